/* SPDX-License-Identifier: ISC */
/* jit-sshd's connections being served, and whether to serve one more:
 * OpenSSH's MaxStartups start:rate:full random early drop, and a share per
 * source address so that one client cannot take every slot. */
#ifndef JIT_SSHD_STARTUPS_H
#define JIT_SSHD_STARTUPS_H

#include "jitd_config.h"
#include "netaddr.h"

#include <sys/types.h>

#define JIT_STARTUPS_MAX 1000

struct jit_startups {
	struct jit_startup {
		pid_t pid;
		struct jit_addr from;
	} list[JIT_STARTUPS_MAX];
	int n;
};

/* Why a connection from `from` is not served, or NULL. dice is a number
 * from 0 to 99, drawn at random by the caller: from startups_begin on the
 * connection is dropped when dice falls below the drop rate there. */
const char *jit_startups_refusal(const struct jit_startups *s, const struct jit_addr *from,
				 const struct jit_sshd_config *c, long dice);

void jit_startups_add(struct jit_startups *s, pid_t pid, const struct jit_addr *from);
void jit_startups_remove(struct jit_startups *s, pid_t pid);

#endif
