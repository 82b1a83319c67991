/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "jit_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int jit_error_set(jit_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int jit_error_prefix(jit_error *err, const char *fmt, ...)
{
	char old[JIT_ERROR_MAX];
	size_t len, room;
	va_list ap;

	if (err == NULL)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	if (len + 3 > sizeof(err->msg))
		return -1;
	memcpy(err->msg + len, ": ", 2);
	len += 2;
	room = sizeof(err->msg) - len - 1;
	old[sizeof(old) - 1] = '\0';
	room = strnlen(old, room);
	memcpy(err->msg + len, old, room);
	err->msg[len + room] = '\0';
	return -1;
}
