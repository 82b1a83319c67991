/* SPDX-License-Identifier: ISC */
/* The policies operation: what the caller may ask for, as their roles and
 * the policies of those roles say; explain: how a request of a given user
 * would be decided, and the places in the configuration that decide it. */
#include "config.h"

#include "approval.h"
#include "broker.h"
#include "ops.h"

#include <pwd.h>
#include <string.h>

/* What the caller's roles allow under one policy. */
struct policy_reach {
	json_t *roles;
	int64_t max_duration;	/* the longest of the roles' maxima */
};

static bool role_names_policy(const struct jit_role *role, size_t index)
{
	for (size_t k = 0; k < role->n_policies; k++)
		if (role->policies[k] == index)
			return true;
	return false;
}

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

		if (!jit_caller_in_role(caller, role) || !role_names_policy(role, index))
			continue;
		json_array_append_new(out->roles, json_string(role->name));
		if (max > out->max_duration)
			out->max_duration = max;
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
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:b, s:i, s:o, s:I, s:b, s:b, s:i, s:I,"
			 " s:s, s:s}",
			 "name", pol->name, "roles", roles,
			 "ports", jit_ports_json(pol->ports, pol->n_ports),
			 "hosts", hosts_json(pol), "sources", sources_json(pol),
			 "max_duration", (json_int_t)within_firewall(cfg, max_duration),
			 "justification", pol->justification_required,
			 "approvals", pol->approvals, "approvers", approvers_json(pol),
			 "request_ttl", (json_int_t)pol->request_ttl,
			 "self_approve", pol->self_approve, "break_glass", pol->break_glass,
			 "max_logins", pol->max_logins, "max_advance", (json_int_t)pol->max_advance,
			 "on_revoke", pol->terminate_on_revoke ? "terminate" : "keep",
			 "on_expiry", pol->terminate_on_expiry ? "terminate" : "keep");
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

/* --- explain ------------------------------------------------------------------------------------- */

const struct field jit_explain_fields[] = {
	{ "user", F_STRING, true, JIT_NAME_MAX - 1, 0 },
	{ "ports", F_STRINGS, true, JIT_REQUEST_PORTS_MAX, 0 },
	{ "hosts", F_STRINGS, false, 1, JIT_HOST_MAX - 1 },
	{ "from", F_STRING, true, JIT_CIDR_STRLEN, 0 },
	{ "duration", F_INT, false, 0, 0 },
	{ "justification", F_STRING, false, JIT_JUSTIFICATION_MAX - 1, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* The local user `name` as jitd would see them asking: uid and groups from
 * the user database. */
static int explained_peer(const char *name, struct jit_peer *p, jit_error *err)
{
	char buf[16384];
	struct passwd pw, *res = NULL;

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return jit_error_set(err, "user: no user named '%s'", name);
	jit_peer_from_uid(res->pw_uid, p);
	return 0;
}

/* "/etc/jit/jitd.conf:12": where a section of the configuration begins. */
static json_t *place_json(const struct jit_broker *b, unsigned line)
{
	return json_sprintf("%s:%u", b->config_path, line);
}

static json_t *section_json(const struct jit_broker *b, const char *name, unsigned line)
{
	return json_pack("{s:s, s:o}", "name", name, "at", place_json(b, line));
}

static json_t *policy_for_port(const struct jit_broker *b, const struct jit_portspec *port,
			       const struct jit_policy *pol)
{
	json_t *o = section_json(b, pol->name, pol->line);
	char text[JIT_PORTSPEC_STRLEN];

	jit_portspec_format(port, text, sizeof(text));
	json_object_set_new(o, "port", json_string(text));
	return o;
}

/* The roles the user is in, each with its place. */
static json_t *user_roles(const struct jit_broker *b, const struct jit_caller *caller)
{
	json_t *list = json_array();

	for (size_t r = 0; r < b->cfg->n_roles; r++)
		if (jit_caller_in_role(caller, &b->cfg->roles[r]))
			json_array_append_new(list, section_json(b, b->cfg->roles[r].name,
								 b->cfg->roles[r].line));
	return list;
}

/* Whether one of the caller's roles names the policy (uid 0: any policy does). */
static bool caller_has_policy(const struct jit_config *cfg, const struct jit_caller *caller,
			      size_t index)
{
	if (caller->uid == 0)
		return true;
	for (size_t r = 0; r < cfg->n_roles; r++)
		if (jit_caller_in_role(caller, &cfg->roles[r]) &&
		    role_names_policy(&cfg->roles[r], index))
			return true;
	return false;
}

/* Granted: the policy chosen for each port. Denied: every policy of the
 * user's roles that covers one of the ports, as considered. */
static json_t *decision_policies(const struct jit_broker *b, const struct jit_caller *caller,
				 const struct jit_request *r, const struct jit_decision *d)
{
	json_t *list = json_array();

	for (size_t p = 0; p < r->n_ports; p++) {
		if (d->denial == JIT_GRANTED) {
			json_array_append_new(list, policy_for_port(b, &r->ports[p], d->policy[p]));
			continue;
		}
		for (size_t i = 0; i < b->cfg->n_policies; i++) {
			const struct jit_policy *pol = &b->cfg->policies[i];

			if (jit_portspec_in(pol->ports, pol->n_ports, &r->ports[p]) &&
			    caller_has_policy(b->cfg, caller, i))
				json_array_append_new(list, policy_for_port(b, &r->ports[p], pol));
		}
	}
	return list;
}

/* The approvals the granted request would wait for: its strictest policy's;
 * none for uid 0. */
static int approvals_needed(const struct jit_caller *caller, const struct jit_request *r,
			    const struct jit_decision *d)
{
	int most = 0;

	if (d->denial != JIT_GRANTED || caller->uid == 0)
		return 0;
	for (size_t p = 0; p < r->n_ports; p++)
		if (d->policy[p]->approvals > most)
			most = d->policy[p]->approvals;
	return most;
}

static json_t *explanation(const struct jit_broker *b, const struct jit_caller *caller,
			   const struct jit_request *r, const struct jit_decision *d)
{
	bool granted = d->denial == JIT_GRANTED;
	json_t *resp = jit_op_ok();

	json_object_set_new(resp, "user", json_string(caller->user));
	json_object_set_new(resp, "granted", json_boolean(granted));
	json_object_set_new(resp, "code", granted ? json_null()
						  : json_string(jit_denial_name(d->denial)));
	json_object_set_new(resp, "reason", granted ? json_null() : json_string(d->reason));
	json_object_set_new(resp, "duration", granted ? json_integer((json_int_t)d->duration)
						      : json_null());
	json_object_set_new(resp, "approvals", json_integer(approvals_needed(caller, r, d)));
	json_object_set_new(resp, "role", granted && d->role != NULL
			    ? section_json(b, d->role->name, d->role->line) : json_null());
	json_object_set_new(resp, "roles", user_roles(b, caller));
	json_object_set_new(resp, "policies", decision_policies(b, caller, r, d));
	return resp;
}

json_t *jit_op_explain(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct jit_peer who;
	struct jit_caller caller;
	struct jit_request r;
	struct jit_decision d;
	jit_error err;

	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "explain decisions");
	if (!jit_op_peer_may(b, peer, PRIV_AUDIT))
		return jit_op_refusal("denied", "not_auditor",
				      "explaining decisions needs uid 0 or a role with audit = yes");
	if (jit_request_parse(req, &r, &err) != 0 ||
	    explained_peer(jit_op_str(req, "user"), &who, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	r.host = json_string_value(json_array_get(json_object_get(req, "hosts"), 0));
	caller = jit_peer_caller(&who);
	(void)jit_decide(b->cfg, &caller, &r, &d);
	return explanation(b, &caller, &r, &d);
}
