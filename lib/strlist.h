/* SPDX-License-Identifier: ISC */
/* Comma-separated lists as configuration and command lines write them. */
#ifndef JIT_STRLIST_H
#define JIT_STRLIST_H

#include <stddef.h>

/* Longest item, without the NUL: a host id's (each caller checks its own
 * kind of item, a user name being shorter). */
#define JIT_LIST_ITEM_MAX 255

/* Calls fn on each item of `list`, trimmed of blanks, as a NUL-terminated
 * string; `index` counts from 0. Stops and returns -1 at an empty or overlong
 * item or when fn returns non-zero; 0 after the last item. */
int jit_list_each(const char *list, int (*fn)(const char *item, size_t index, void *ctx),
		  void *ctx);

/* Whether the list (as jit_list_each() reads it; "" holds nothing) holds
 * item. */
int jit_list_contains(const char *list, const char *item);

#endif
