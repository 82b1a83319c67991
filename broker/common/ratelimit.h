/* SPDX-License-Identifier: ISC */
/* Rate limits: token buckets keyed by who or where ("uid:1000",
 * "src:192.0.2.10", "src:2001:db8:1:2::/64"). A limit of N per PERIOD lets a
 * key make N calls at once and gives it back N every PERIOD. */
#ifndef JIT_RATELIMIT_H
#define JIT_RATELIMIT_H

#include "netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys remembered at once. Full buckets are forgotten first; with every
 * bucket in use, a new key is let through and the overflow logged: the
 * limiter must not become a way to lock everyone out. */
#define JIT_RATE_KEYS_MAX 4096
#define JIT_RATE_KEY_MAX 80

struct jit_rate_limit {
	unsigned burst;			/* 0: no limit */
	int64_t period;			/* seconds */
};

struct jit_rate_bucket {
	char key[JIT_RATE_KEY_MAX];
	double tokens;
	int64_t last_ms;
};

struct jit_rate_table {
	struct jit_rate_bucket *buckets;	/* JIT_RATE_KEYS_MAX, open addressing */
	size_t used;
	unsigned long overflows;
};

/* "20/1m", "5/30s", or "off". 0, or -1 when malformed. */
int jit_rate_limit_parse(const char *s, struct jit_rate_limit *out);

/* Takes a token from key's bucket: true when the call may go ahead. */
bool jit_rate_take(struct jit_rate_table *t, const struct jit_rate_limit *lim, const char *key,
		   int64_t now_ms);

/* The key for an address: IPv4 whole, IPv6 by its /64 (one host's share). */
void jit_rate_source_key(const struct jit_addr *addr, char *key, size_t size);

void jit_rate_table_free(struct jit_rate_table *t);

#endif
