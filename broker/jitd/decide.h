/* SPDX-License-Identifier: ISC */
/* The role and policy check of a grant request: a pure function of the
 * configuration, the caller and the request. */
#ifndef JIT_DECIDE_H
#define JIT_DECIDE_H

#include "jitd_config.h"
#include "netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JIT_REQUEST_PORTS_MAX 32

/* Who asks, as SO_PEERCRED and the user database say. */
struct jit_caller {
	bool remote;			/* a jit-sshd identity: only remote_users match it */
	uid_t uid;
	const char *user;
	const char *const *groups;
	size_t n_groups;
};

struct jit_request {
	const char *host;		/* the host the window is for; NULL: this host */
	const char *for_user;		/* NULL: the caller */
	struct jit_portspec ports[JIT_REQUEST_PORTS_MAX];
	size_t n_ports;
	int64_t duration;		/* seconds; 0: the default */
	bool has_source;
	struct jit_cidr source;
	const char *justification;	/* NULL or empty: none */
	int64_t advance;		/* seconds from now to its start; 0: now */
};

enum jit_denial {
	JIT_GRANTED = 0,
	JIT_DENY_NO_ROLE,		/* the caller is in no role */
	JIT_DENY_FOR_OTHERS,		/* --for USER without grant_others */
	JIT_DENY_PORT,			/* a port no role's policy covers */
	JIT_DENY_NO_SOURCE,		/* no source address or prefix */
	JIT_DENY_SOURCE,		/* source outside the policy's prefixes */
	JIT_DENY_DURATION_POLICY,	/* longer than the policy allows */
	JIT_DENY_DURATION_ROLE,		/* longer than the role allows */
	JIT_DENY_JUSTIFICATION,		/* the policy requires one */
	JIT_DENY_DURATION_FIREWALL,	/* longer than the firewall can time */
	JIT_DENY_HOST,			/* the port's policies do not cover the host */
	JIT_DENY_ADVANCE,		/* starts further ahead than the policy allows */
	JIT_DENY_LOCKED,		/* a lock (jitctl lock) matches: set by op_request.c */
};

struct jit_decision {
	enum jit_denial denial;
	char reason[256];		/* one sentence for the caller and the audit log */
	const struct jit_role *role;	/* the role that granted; NULL for uid 0 */
	const struct jit_policy *policy[JIT_REQUEST_PORTS_MAX];	/* per port */
	int64_t duration;		/* granted seconds */
};

/* True when the caller is one of the role's users or in one of its groups;
 * a remote caller only when it is one of the role's remote_users. */
bool jit_caller_in_role(const struct jit_caller *caller, const struct jit_role *role);

/* The longest duration `role` (NULL: uid 0) may be granted under `pol`. */
int64_t jit_policy_max_for(const struct jit_role *role, const struct jit_policy *pol);

/* Short stable name of a denial ("no_role", "source_not_allowed", ...). */
const char *jit_denial_name(enum jit_denial d);

/* Granted when one of the caller's roles covers every port on the host with
 * one of its policies such that the source fits the policy's prefixes, the duration is
 * within the role's and the policy's maxima and a justification is present
 * where the policy requires one. uid 0 may ask anything of a port some
 * policy guards. Returns the denial (JIT_GRANTED when granted). */
enum jit_denial jit_decide(const struct jit_config *cfg, const struct jit_caller *caller,
			   const struct jit_request *req, struct jit_decision *out);

#endif
