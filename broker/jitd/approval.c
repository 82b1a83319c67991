/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "approval.h"

#include "strlist.h"

#include <stdio.h>
#include <string.h>

struct rule_ctx {
	const struct jit_config *cfg;
	struct jit_approval_rule *rule;
	char *missing;
	size_t size;
};

static void add_policy(struct jit_approval_rule *rule, const struct jit_policy *pol)
{
	for (size_t i = 0; i < rule->n; i++)
		if (rule->policies[i] == pol)
			return;
	if (rule->n == JIT_RULE_POLICIES_MAX)
		return;
	if (pol->approvals > rule->approvals)
		rule->approvals = pol->approvals;
	if (rule->n == 0 || pol->request_ttl < rule->ttl)
		rule->ttl = pol->request_ttl;
	rule->self_approve = (rule->n == 0 || rule->self_approve) && pol->self_approve;
	rule->break_glass = (rule->n == 0 || rule->break_glass) && pol->break_glass;
	rule->policies[rule->n++] = pol;
}

static int rule_policy(const char *name, size_t index, void *ctx)
{
	struct rule_ctx *c = ctx;
	const struct jit_policy *pol = jit_config_policy(c->cfg, name);

	(void)index;
	if (pol == NULL) {
		(void)snprintf(c->missing, c->size, "%s", name);
		return -1;
	}
	if (pol->approvals > 0)
		add_policy(c->rule, pol);
	return 0;
}

int jit_approval_rule(const struct jit_config *cfg, const char *policy_names,
		      struct jit_approval_rule *rule, char *missing, size_t size)
{
	struct rule_ctx c;

	memset(rule, 0, sizeof(*rule));
	rule->cfg = cfg;
	c = (struct rule_ctx){ cfg, rule, missing, size };
	if (size > 0)
		missing[0] = '\0';
	return jit_list_each(policy_names, rule_policy, &c) == 0 ? 0 : -1;
}

static bool in_group(const struct jit_caller *caller, const char *group)
{
	for (size_t i = 0; i < caller->n_groups; i++)
		if (strcmp(caller->groups[i], group) == 0)
			return true;
	return false;
}

static bool is_approver(const struct jit_config *cfg, const struct jit_approver *a,
			const struct jit_caller *caller)
{
	const struct jit_role *role;

	switch (a->kind) {
	case JIT_APPROVER_ROLE:
		role = jit_config_role(cfg, a->name);
		return role != NULL && jit_caller_in_role(caller, role);
	case JIT_APPROVER_GROUP:
		return !caller->remote && in_group(caller, a->name);
	case JIT_APPROVER_USER:
		return !caller->remote && strcmp(caller->user, a->name) == 0;
	case JIT_APPROVER_REMOTE:
		return caller->remote && strcmp(caller->user, a->name) == 0;
	}
	return false;
}

static bool policy_approver(const struct jit_config *cfg, const struct jit_policy *pol,
			    const struct jit_caller *caller)
{
	for (size_t i = 0; i < pol->n_approvers; i++)
		if (is_approver(cfg, &pol->approvers[i], caller))
			return true;
	return false;
}

bool jit_may_review(const struct jit_approval_rule *rule, const struct jit_caller *caller)
{
	if (rule->n == 0)
		return false;
	for (size_t i = 0; i < rule->n; i++)
		if (!policy_approver(rule->cfg, rule->policies[i], caller))
			return false;
	return true;
}

bool jit_is_own_request(const struct jit_caller *caller, const char *requested_by,
			bool requester_remote, const char *user)
{
	if (caller->remote == requester_remote && strcmp(caller->user, requested_by) == 0)
		return true;
	/* The window's user is always a local account. */
	return !caller->remote && strcmp(caller->user, user) == 0;
}

void jit_approver_format(const struct jit_approver *a, char *buf, size_t size)
{
	static const char *const kinds[] = {
		[JIT_APPROVER_ROLE] = "role", [JIT_APPROVER_GROUP] = "group",
		[JIT_APPROVER_USER] = "user", [JIT_APPROVER_REMOTE] = "remote",
	};

	(void)snprintf(buf, size, "%s:%s", kinds[a->kind], a->name);
}

/* Whether approver i of policy p came in an earlier place of the rule. */
static bool seen_before(const struct jit_approval_rule *rule, size_t p, size_t i)
{
	const struct jit_approver *a = &rule->policies[p]->approvers[i];

	for (size_t q = 0; q <= p; q++)
		for (size_t j = 0; j < (q < p ? rule->policies[q]->n_approvers : i); j++) {
			const struct jit_approver *b = &rule->policies[q]->approvers[j];

			if (a->kind == b->kind && strcmp(a->name, b->name) == 0)
				return true;
		}
	return false;
}

void jit_approvers_text(const struct jit_approval_rule *rule, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t p = 0; p < rule->n; p++)
		for (size_t i = 0; i < rule->policies[p]->n_approvers; i++) {
			char one[JIT_NAME_MAX + 8];

			if (seen_before(rule, p, i))
				continue;
			jit_approver_format(&rule->policies[p]->approvers[i], one, sizeof(one));
			(void)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", one);
			len += strlen(buf + len);
			if (len + 1 >= size)
				return;
		}
}
