/* SPDX-License-Identifier: ISC */
/* The policies operation: what the caller may ask for, as their roles and
 * the policies of those roles say. */
#include "config.h"

#include "approval.h"
#include "broker.h"
#include "ops.h"

#include <string.h>

/* What the caller's roles allow under one policy. */
struct policy_reach {
	json_t *roles;
	int64_t max_duration;	/* the longest of the roles' maxima */
};

/* The caller's roles that name policy `index`, and the longest window
 * any of them may be granted under it. */
static void policy_reach(const struct jit_config *cfg, const struct jit_caller *caller,
			 size_t index, struct policy_reach *out)
{
	const struct jit_policy *pol = &cfg->policies[index];

	out->roles = json_array();
	out->max_duration = 0;
	for (size_t r = 0; r < cfg->n_roles; r++) {
		const struct jit_role *role = &cfg->roles[r];
		int64_t max = jit_policy_max_for(role, pol);

		if (!jit_caller_in_role(caller, role))
			continue;
		for (size_t k = 0; k < role->n_policies; k++)
			if (role->policies[k] == index) {
				json_array_append_new(out->roles, json_string(role->name));
				if (max > out->max_duration)
					out->max_duration = max;
				break;
			}
	}
}

static json_t *sources_json(const struct jit_policy *pol)
{
	json_t *list = json_array();
	char text[JIT_CIDR_STRLEN];

	if (pol->any_source)
		json_array_append_new(list, json_string("any"));
	for (size_t i = 0; i < pol->n_sources; i++) {
		jit_cidr_format(&pol->sources[i], text, sizeof(text));
		json_array_append_new(list, json_string(text));
	}
	return list;
}

static json_t *hosts_json(const struct jit_policy *pol)
{
	json_t *list = json_array();

	for (size_t i = 0; i < pol->hosts.n; i++)
		json_array_append_new(list, json_string(pol->hosts.items[i]));
	return list;
}

static json_t *approvers_json(const struct jit_policy *pol)
{
	json_t *list = json_array();
	char text[JIT_NAME_MAX + 16];

	for (size_t i = 0; i < pol->n_approvers; i++) {
		jit_approver_format(&pol->approvers[i], text, sizeof(text));
		json_array_append_new(list, json_string(text));
	}
	return list;
}

/* A window no longer than the firewall can time. */
static int64_t within_firewall(const struct jit_config *cfg, int64_t seconds)
{
	return cfg->duration_cap > 0 && seconds > cfg->duration_cap ? cfg->duration_cap : seconds;
}

static json_t *policy_json(const struct jit_config *cfg, const struct jit_policy *pol,
			   json_t *roles, int64_t max_duration)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:b, s:i, s:o, s:I, s:b, s:b}",
			 "name", pol->name, "roles", roles,
			 "ports", jit_ports_json(pol->ports, pol->n_ports),
			 "hosts", hosts_json(pol), "sources", sources_json(pol),
			 "max_duration", (json_int_t)within_firewall(cfg, max_duration),
			 "justification", pol->justification_required,
			 "approvals", pol->approvals, "approvers", approvers_json(pol),
			 "request_ttl", (json_int_t)pol->request_ttl,
			 "self_approve", pol->self_approve, "break_glass", pol->break_glass);
}

/* uid 0 may ask for any port a policy guards: every policy, with its own
 * limits (which bind uid 0 only where the firewall does). */
static json_t *every_policy(const struct jit_config *cfg)
{
	json_t *list = json_array();

	for (size_t i = 0; i < cfg->n_policies; i++)
		json_array_append_new(list, policy_json(cfg, &cfg->policies[i], json_array(),
							cfg->policies[i].max_duration));
	return list;
}

static json_t *callers_policies(const struct jit_config *cfg, const struct jit_caller *caller)
{
	json_t *list = json_array();

	for (size_t i = 0; i < cfg->n_policies; i++) {
		struct policy_reach reach;

		policy_reach(cfg, caller, i, &reach);
		if (json_array_size(reach.roles) == 0) {
			json_decref(reach.roles);
			continue;
		}
		json_array_append_new(list, policy_json(cfg, &cfg->policies[i], reach.roles,
							reach.max_duration));
	}
	return list;
}

json_t *jit_op_policies(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct jit_caller caller = jit_peer_caller(peer);
	bool unrestricted = !peer->remote && peer->uid == 0;
	json_t *resp;

	(void)req;
	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "ask what you may request");
	resp = jit_op_ok();
	json_object_set_new(resp, "user", json_string(caller.user));
	json_object_set_new(resp, "unrestricted", json_boolean(unrestricted));
	json_object_set_new(resp, "policies", unrestricted ? every_policy(b->cfg)
							   : callers_policies(b->cfg, &caller));
	return resp;
}
