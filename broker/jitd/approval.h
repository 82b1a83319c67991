/* SPDX-License-Identifier: ISC */
/* What a request needs before it opens (approvals), and who may give
 * them: pure functions of the configuration and the caller. */
#ifndef JIT_APPROVAL_H
#define JIT_APPROVAL_H

#include "decide.h"
#include "jitd_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Distinct policies one request may be decided by. */
#define JIT_RULE_POLICIES_MAX 64

/* The strictest of the request's policies: the most approvals, the
 * shortest request_ttl, self_approve and break_glass only where every
 * policy that needs approvals allows them; and those policies, each of
 * whose approvers a reviewer must be among. */
struct jit_approval_rule {
	const struct jit_config *cfg;	/* the roles approvers name */
	int approvals;			/* 0: granted at once */
	int64_t ttl;
	bool self_approve;
	bool break_glass;
	const struct jit_policy *policies[JIT_RULE_POLICIES_MAX];
	size_t n;
};

/* The rule of the policies named (comma-separated, as a grant records
 * them). -1 with the first name no policy has any more in missing. */
int jit_approval_rule(const struct jit_config *cfg, const char *policy_names,
		      struct jit_approval_rule *rule, char *missing, size_t size);

/* Whether caller is named in the approvers of every policy of the rule
 * (role: its members; group: and user: local callers; remote: a jit-sshd
 * identity). Says nothing of self-approval. */
bool jit_may_review(const struct jit_approval_rule *rule, const struct jit_caller *caller);

/* Whether the caller is the one who asked (requested_by, its namespace
 * by remote) or the local user the window is for. */
bool jit_is_own_request(const struct jit_caller *caller, const char *requested_by,
			bool requester_remote, const char *user);

/* The rule's approvers as written ("role:leads, user:carol"), each once. */
void jit_approvers_text(const struct jit_approval_rule *rule, char *buf, size_t size);

/* One approver as written: "role:leads". */
void jit_approver_format(const struct jit_approver *a, char *buf, size_t size);

#endif
