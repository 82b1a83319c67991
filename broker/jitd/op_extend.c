/* SPDX-License-Identifier: ISC */
/* The extend operation: a later end for an active grant, decided again as
 * the request it would be now (the maximum counting from the grant's
 * start), with approvals where its policies want them, then signed anew
 * (the same ticket id), recorded and applied in place. */
#include "config.h"

#include "broker.h"
#include "decide.h"
#include "log.h"
#include "ops.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest one extension may add. */
#define EXTEND_MAX (366 * 86400)

const struct field jit_extend_fields[] = {
	{ "id", F_INT, true, 0, 0 },
	{ "duration", F_INT, true, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* What the extension is decided as: the grant's user, ports, source and
 * host, from its start to its new end, with its justification. */
static void extension_request(const struct jit_grant *g, const struct jit_peer *peer,
			      time_t end, struct jit_request *r)
{
	memset(r, 0, sizeof(*r));
	r->host = g->host;
	r->for_user = strcmp(g->user, peer->user) != 0 ? g->user : NULL;
	memcpy(r->ports, g->ports, g->n_ports * sizeof(g->ports[0]));
	r->n_ports = g->n_ports;
	r->duration = end - g->created;
	r->has_source = true;
	r->source = g->source;
	r->justification = g->justification[0] ? g->justification : NULL;
}

/* The fields an extension waiting for approvals is recorded with: those
 * of a request (what reviewers are shown), and the grant it extends. */
static json_t *extension_fields(const struct jit_grant *g, int64_t duration)
{
	char from[JIT_CIDR_STRLEN];

	jit_cidr_format(&g->source, from, sizeof(from));
	return json_pack("{s:I, s:I, s:o, s:s, s:[s], s:s, s:s}", "extend", (json_int_t)g->id,
			 "duration", (json_int_t)duration, "ports",
			 jit_ports_json(g->ports, g->n_ports), "from", from, "hosts", g->host,
			 "for", g->user, "justification", g->justification);
}

/* Why the store extended nothing: the grant ended, or another extension
 * (on this controller or another) moved its end since it was read. */
static json_t *not_extended(struct jit_broker *b, int64_t id, time_t was, time_t now)
{
	struct jit_grant g;
	jit_error err;

	if (jit_store_grant_get(b->store, id, &g, &err) == 1 &&
	    jit_grant_state(&g, now) == JIT_GRANT_ACTIVE && g.used_up_at == 0 && g.expires != was) {
		char until[JIT_RFC3339_LEN], reason[128];

		(void)jit_rfc3339_format(g.expires, until);
		(void)snprintf(reason, sizeof(reason),
			       "grant %lld was extended meanwhile, until %s: ask again",
			       (long long)id, until);
		return jit_op_refusal("denied", "extended_meanwhile", reason);
	}
	return jit_op_error("not_active", "grant %lld is no longer active", (long long)id);
}

/* The ticket signed, the end recorded and the window given it. */
static json_t *apply_extension(struct jit_broker *b, struct jit_peer *peer, struct jit_grant *g,
			       time_t end, time_t now)
{
	char details[96], until[JIT_RFC3339_LEN], *ticket = NULL;
	struct jit_audit_entry e = { .time = now, .actor = peer->user, .action = "extend",
				     .subject = g->user, .result = "ok", .details = details };
	time_t was = g->expires;
	json_t *resp;
	jit_error err;
	int rc;

	(void)jit_rfc3339_format(end, until);
	(void)snprintf(details, sizeof(details), "{\"grant\":%lld,\"expires\":\"%s\"}",
		       (long long)g->id, until);
	g->expires = end;
	if (jit_grant_sign(b, g, &ticket, &err) != 0)
		return jit_op_store_error("signing the ticket", &err);
	rc = jit_store_grant_extend(b->store, g->id, was, end, ticket, now, &e, &err);
	if (rc <= 0) {
		free(ticket);
		g->expires = was;
		return rc < 0 ? jit_op_store_error("extending the grant", &err)
			      : not_extended(b, g->id, was, now);
	}
	if (strcmp(g->host, b->cfg->host) == 0)
		jit_broker_update_window(b, g);
	log_info("grant %lld of %s extended by %s until %s", (long long)g->id, g->user, peer->user,
		 until);
	resp = jit_op_ok();
	json_object_set_new(resp, "ticket", json_string(ticket));
	json_object_set_new(resp, "grant", jit_grant_json(g, now));
	json_object_set_new(resp, "grants", json_pack("[o]", jit_granted_json(b, g, ticket, now)));
	jit_broker_event(b, "extension", json_pack("{s:o, s:s}", "grant", jit_grant_json(g, now),
						   "by", peer->user));
	free(ticket);
	return resp;
}

/* Held for approvals where its policies want them: the answer, else NULL. */
static json_t *hold_for_approvals(struct jit_broker *b, struct jit_peer *peer,
				  const struct jit_grant *g, int64_t duration,
				  const struct jit_request *r, const struct jit_decision *d)
{
	char policies[JIT_POLICY_LIST_MAX];
	json_t *fields = extension_fields(g, duration), *held;
	bool break_glass;

	jit_decision_policy_names(d, r->n_ports, policies, sizeof(policies));
	held = jit_review_gate(b, peer, fields, r, policies, &break_glass);
	json_decref(fields);
	return held;
}

/* Decided again and, unless approvals are wanted first (approved: they were
 * given), applied. */
static json_t *extend_grant(struct jit_broker *b, struct jit_peer *peer, struct jit_grant *g,
			    int64_t duration, bool approved)
{
	struct jit_caller caller = jit_peer_caller(peer);
	time_t now = time(NULL), end = g->expires + (time_t)duration;
	struct jit_decision d;
	struct jit_request r;

	if (jit_grant_state(g, now) != JIT_GRANT_ACTIVE || g->used_up_at != 0)
		return jit_op_error("not_active", "grant %lld is %s", (long long)g->id,
				    g->used_up_at ? "used up" : jit_grant_state_name(jit_grant_state(g, now)));
	extension_request(g, peer, end, &r);
	if (jit_decide(b->cfg, &caller, &r, &d) != JIT_GRANTED || jit_request_locked(b, peer, &r, &d))
		return jit_request_denied(b, peer, &r, &d);
	if (!approved) {
		json_t *held = hold_for_approvals(b, peer, g, duration, &r, &d);

		if (held != NULL)
			return held;
	}
	return apply_extension(b, peer, g, end, now);
}

/* Grant id, the caller's (or uid 0's) to extend; NULL, else the refusal. */
static json_t *extendable(struct jit_broker *b, struct jit_peer *peer, json_int_t id,
			  struct jit_grant *g)
{
	jit_error err;
	int rc = jit_store_grant_get(b->store, id, g, &err);

	if (rc < 0)
		return jit_op_store_error("reading the grant", &err);
	if (rc == 0)
		return jit_op_refusal("not_found", "no_such_grant", "no grant with this id");
	if (!jit_op_owns_grant(peer, g) && !(peer->uid == 0 && !peer->remote)) {
		jit_broker_audit_denial(b, peer, "extend", g->user, "not the caller's grant",
					json_pack("{s:I}", "grant", id));
		return jit_op_refusal("denied", "not_yours", "this grant is not yours to extend");
	}
	return NULL;
}

static json_t *extend(struct jit_broker *b, struct jit_peer *peer, json_t *req, bool approved)
{
	json_int_t id = json_integer_value(json_object_get(req, approved ? "extend" : "id"));
	json_int_t duration = json_integer_value(json_object_get(req, "duration"));
	struct jit_grant g;
	json_t *refused;

	if (duration < 1 || duration > EXTEND_MAX)
		return jit_op_error("bad_request", "duration: %lld is not from 1 second to 366 days",
				    (long long)duration);
	refused = extendable(b, peer, id, &g);
	return refused ? refused : extend_grant(b, peer, &g, duration, approved);
}

json_t *jit_op_extend(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "extend it");
	return extend(b, peer, req, false);
}

json_t *jit_extend_approved(struct jit_broker *b, struct jit_peer *peer, json_t *fields)
{
	return extend(b, peer, fields, true);
}
