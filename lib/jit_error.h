/* SPDX-License-Identifier: ISC */
/* One human-readable reason per failure, carried back to the caller. */
#ifndef JIT_ERROR_H
#define JIT_ERROR_H

#include <stddef.h>

#define JIT_ERROR_MAX 256

typedef struct {
	char msg[JIT_ERROR_MAX];
} jit_error;

/* Sets the message when err is not NULL; always returns -1 so callers can
 * write `return jit_error_set(err, ...);`. */
int jit_error_set(jit_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with "prefix: ". */
int jit_error_prefix(jit_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
