/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "ratelimit.h"
#include "timeutil.h"

#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

int jit_rate_limit_parse(const char *s, struct jit_rate_limit *out)
{
	char *end;
	unsigned long n;

	if (strcmp(s, "off") == 0) {
		*out = (struct jit_rate_limit){ 0, 0 };
		return 0;
	}
	if (s[0] < '1' || s[0] > '9')
		return -1;
	n = strtoul(s, &end, 10);
	if (*end != '/' || n > 100000 || jit_duration_parse(end + 1, &out->period) != 0 ||
	    out->period < 1 || out->period > 86400)
		return -1;
	out->burst = (unsigned)n;
	return 0;
}

/* FNV-1a: keys are ours ("uid:…", "src:…"), not chosen to collide. */
static size_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return (size_t)(h % JIT_RATE_KEYS_MAX);
}

static double refilled(const struct jit_rate_bucket *b, const struct jit_rate_limit *lim,
		       int64_t now_ms)
{
	double t = b->tokens + (double)(now_ms - b->last_ms) * lim->burst /
		   ((double)lim->period * 1000.0);

	return t > lim->burst ? lim->burst : t;
}

/* Rebuilds the table without the buckets that are full again: they hold
 * nothing a new bucket would not. */
static void forget_full(struct jit_rate_table *t, const struct jit_rate_limit *lim, int64_t now_ms)
{
	struct jit_rate_bucket *old = t->buckets;
	struct jit_rate_bucket *fresh = calloc(JIT_RATE_KEYS_MAX, sizeof(*fresh));

	if (fresh == NULL)
		return;
	t->buckets = fresh;
	t->used = 0;
	for (size_t i = 0; i < JIT_RATE_KEYS_MAX; i++) {
		size_t j;

		if (old[i].key[0] == '\0' || refilled(&old[i], lim, now_ms) >= lim->burst)
			continue;
		for (j = key_hash(old[i].key); fresh[j].key[0] != '\0'; j = (j + 1) % JIT_RATE_KEYS_MAX)
			;
		fresh[j] = old[i];
		t->used++;
	}
	free(old);
}

static struct jit_rate_bucket *find_or_add(struct jit_rate_table *t,
					   const struct jit_rate_limit *lim, const char *key,
					   int64_t now_ms)
{
	size_t i;

	if (t->buckets == NULL && (t->buckets = calloc(JIT_RATE_KEYS_MAX, sizeof(*t->buckets))) == NULL)
		return NULL;
	for (i = key_hash(key); t->buckets[i].key[0] != '\0'; i = (i + 1) % JIT_RATE_KEYS_MAX)
		if (strcmp(t->buckets[i].key, key) == 0)
			return &t->buckets[i];
	/* Open addressing needs room to end a probe: keep a quarter free. */
	if (t->used >= JIT_RATE_KEYS_MAX * 3 / 4) {
		forget_full(t, lim, now_ms);
		if (t->used >= JIT_RATE_KEYS_MAX * 3 / 4)
			return NULL;
		for (i = key_hash(key); t->buckets[i].key[0] != '\0'; i = (i + 1) % JIT_RATE_KEYS_MAX)
			;
	}
	(void)snprintf(t->buckets[i].key, sizeof(t->buckets[i].key), "%s", key);
	t->buckets[i].tokens = lim->burst;
	t->buckets[i].last_ms = now_ms;
	t->used++;
	return &t->buckets[i];
}

bool jit_rate_take(struct jit_rate_table *t, const struct jit_rate_limit *lim, const char *key,
		   int64_t now_ms)
{
	struct jit_rate_bucket *b;

	if (lim->burst == 0)
		return true;
	b = find_or_add(t, lim, key, now_ms);
	if (b == NULL) {
		t->overflows++;
		return true;
	}
	b->tokens = refilled(b, lim, now_ms);
	b->last_ms = now_ms;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

void jit_rate_source_key(const struct jit_addr *addr, char *key, size_t size)
{
	struct jit_cidr c = { .addr = *addr, .prefix = addr->family == AF_INET ? 32 : 64 };
	char text[JIT_CIDR_STRLEN];

	if (addr->family != AF_INET)
		memset(c.addr.bytes + 8, 0, 8);
	jit_cidr_format(&c, text, sizeof(text));
	(void)snprintf(key, size, "src:%s", text);
}

void jit_rate_table_free(struct jit_rate_table *t)
{
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
