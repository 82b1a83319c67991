/* SPDX-License-Identifier: ISC */
/* The one way jit reads a file it trusts (jitd.conf, key files,
 * authorized_keys): the file itself, never a symbolic link; a regular file;
 * its owner and mode passed before a byte is read; bounded in size; read
 * whole, or not at all. */
#ifndef JIT_SAFEFILE_H
#define JIT_SAFEFILE_H

#include "jit_error.h"

#include <stddef.h>
#include <sys/stat.h>

/* Whether a file's owner and mode are safe for what it holds; -1 with the
 * reason in err when not. */
typedef int (*jit_file_check_fn)(const struct stat *st, jit_error *err);

/* Reads path, at most max bytes, into *text (NUL-terminated, *len bytes;
 * the caller frees it, wiping it first when it holds a secret). check may
 * be NULL. -1 with the reason in err (without the path): a symbolic link,
 * not a regular file, check's reason, too large, changed while read, or
 * the system's error; nothing is kept then. errno is the system's error
 * when there was one, else 0 (ENOENT: the file is missing). */
int jit_file_read(const char *path, size_t max, jit_file_check_fn check, char **text, size_t *len,
		  jit_error *err);

/* Frees what jit_file_read() read after zeroing it. */
void jit_file_wipe(char *text, size_t len);

#endif
