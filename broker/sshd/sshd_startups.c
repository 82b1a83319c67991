/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "sshd_startups.h"

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/* Same source: the same IPv4 address, or the same IPv6 /64. */
static bool same_source(const struct jit_addr *a, const struct jit_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 8) == 0;
}

static int from_source(const struct jit_startups *s, const struct jit_addr *from)
{
	int n = 0;

	for (int i = 0; i < s->n; i++)
		n += same_source(&s->list[i].from, from);
	return n;
}

/* The percentage dropped with n being served: rate at start, rising in a
 * line to 100 at full. */
static long drop_rate(const struct jit_sshd_config *c, int n)
{
	int span = c->max_startups - c->startups_begin;

	if (n < c->startups_begin)
		return 0;
	if (span <= 0)
		return 100;
	return c->startups_rate + (long)(100 - c->startups_rate) * (n - c->startups_begin) / span;
}

const char *jit_startups_refusal(const struct jit_startups *s, const struct jit_addr *from,
				 const struct jit_sshd_config *c, long dice)
{
	if (s->n >= c->max_startups || s->n >= JIT_STARTUPS_MAX)
		return "max_startups reached";
	if (from_source(s, from) >= c->per_source_max_startups)
		return "per_source_max_startups reached for this source";
	if (dice < drop_rate(c, s->n))
		return "max_startups: dropped early at random";
	return NULL;
}

void jit_startups_add(struct jit_startups *s, pid_t pid, const struct jit_addr *from)
{
	if (s->n < JIT_STARTUPS_MAX)
		s->list[s->n++] = (struct jit_startup){ pid, *from };
}

void jit_startups_remove(struct jit_startups *s, pid_t pid)
{
	for (int i = 0; i < s->n; i++)
		if (s->list[i].pid == pid) {
			s->list[i] = s->list[--s->n];
			return;
		}
}
