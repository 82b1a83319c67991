/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "strlist.h"

#include <string.h>

int jit_list_each(const char *list, int (*fn)(const char *item, size_t index, void *ctx),
		  void *ctx)
{
	char item[JIT_LIST_ITEM_MAX + 1];
	const char *p = list;

	for (size_t index = 0;; index++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len > JIT_LIST_ITEM_MAX)
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (fn(item, index, ctx) != 0)
			return -1;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

struct wanted_item {
	const char *item;
	int found;
};

static int same_item(const char *item, size_t index, void *ctx)
{
	struct wanted_item *w = ctx;

	(void)index;
	w->found = strcmp(item, w->item) == 0;
	return w->found;
}

int jit_list_contains(const char *list, const char *item)
{
	struct wanted_item w = { item, 0 };

	if (list[0] != '\0')
		(void)jit_list_each(list, same_item, &w);
	return w.found;
}
