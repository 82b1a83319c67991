/* SPDX-License-Identifier: ISC */
/* The operations that read or close: ping, status, list, revoke, audit. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000
#define AUDIT_LIMIT_DEFAULT 1000
#define AUDIT_LIMIT_MAX 10000
#define AUDIT_SINCE_DEFAULT 86400
/* An audit answer stops short of this many bytes (its newest entries kept):
 * building it must not stall the loop for the PAM module's answers. */
#define AUDIT_ANSWER_MAX (4 * 1024 * 1024)

/* --- ping and status ---------------------------------------------------------------- */

const struct field jit_no_fields[] = { { NULL, F_STRING, false, 0, 0 } };

json_t *jit_op_ping(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_t *r = jit_op_ok();

	(void)b, (void)peer, (void)req;
	json_object_set_new(r, "version", json_string(PACKAGE_VERSION));
	return r;
}

static json_t *caller_roles(const struct jit_broker *b, struct jit_peer *peer)
{
	struct jit_caller caller = jit_peer_caller(peer);
	json_t *roles = json_array();

	for (size_t i = 0; i < b->cfg->n_roles; i++)
		if (jit_caller_in_role(&caller, &b->cfg->roles[i]))
			json_array_append_new(roles, json_string(b->cfg->roles[i].name));
	return roles;
}

json_t *jit_op_status(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	time_t now = time(NULL);
	int64_t active = 0;
	json_t *r, *policies = json_array();
	jit_error err;

	(void)req;
	if (jit_store_count_active(b->store, now, &active, &err) != 0) {
		json_decref(policies);
		return jit_op_store_error("counting grants", &err);
	}
	for (size_t i = 0; i < b->cfg->n_policies; i++)
		json_array_append_new(policies, json_string(b->cfg->policies[i].name));
	r = jit_op_ok();
	json_object_set_new(r, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(r, "host", json_string(b->cfg->host));
	json_object_set_new(r, "firewall", json_string(jit_firewall_backend(b->fw)));
	json_object_set_new(r, "started", jit_rfc3339_json(b->started));
	json_object_set_new(r, "uptime", json_integer((json_int_t)(now - b->started)));
	json_object_set_new(r, "active_grants", json_integer((json_int_t)active));
	json_object_set_new(r, "key", json_string(b->keys[0].pid));
	json_object_set_new(r, "policies", policies);
	/* A remote identity has no uid of its own: null, and "remote". */
	json_object_set_new(r, "caller", json_pack("{s:s, s:o, s:b, s:o}", "user", peer->user,
						   "uid", peer->remote ? json_null()
						   : json_integer((json_int_t)peer->uid),
						   "remote", peer->remote, "roles",
						   caller_roles(b, peer)));
	return r;
}

/* --- list ---------------------------------------------------------------------------- */

const struct field jit_list_fields[] = {
	{ "all", F_BOOL, false, 0, 0 },
	{ "active", F_BOOL, false, 0, 0 },
	{ "limit", F_INT, false, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

struct grants_out {
	json_t *array;
	time_t now;
};

static int append_grant(const struct jit_grant *g, void *ctx)
{
	struct grants_out *out = ctx;

	return json_array_append_new(out->array, jit_grant_json(g, out->now)) == 0 ? 0 : -1;
}

json_t *jit_op_list(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	bool all = json_is_true(json_object_get(req, "all"));
	struct jit_grant_filter f = { .user = all ? NULL : peer->user,
				      .active_only = json_is_true(json_object_get(req, "active")),
				      .now = time(NULL) };
	struct grants_out out = { json_array(), f.now };
	json_int_t limit;
	jit_error err;
	json_t *r;

	if (jit_op_int(req, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT, &limit, &err) != 0) {
		json_decref(out.array);
		return jit_broker_error("bad_request", err.msg);
	}
	if (all && !jit_op_peer_may(b, peer, PRIV_AUDIT)) {
		json_decref(out.array);
		jit_broker_audit_denial(b, peer, "list", NULL, "needs a role with audit", NULL);
		return jit_op_refusal("denied", "not_auditor",
			       "listing everyone's grants needs uid 0 or a role with audit = yes");
	}
	f.limit = limit;
	if (jit_store_grants_each(b->store, &f, append_grant, &out, &err) != 0) {
		json_decref(out.array);
		return jit_op_store_error("listing grants", &err);
	}
	r = jit_op_ok();
	json_object_set_new(r, "grants", out.array);
	return r;
}

/* --- revoke ------------------------------------------------------------------------------- */

const struct field jit_revoke_fields[] = {
	{ "id", F_INT, true, 0, 0 },
	{ "terminate", F_BOOL, false, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* The revoked window of this host's grant g closed, and its sessions cut
 * where g says so; r gets what went wrong, and how many were cut. */
static void close_revoked(struct jit_broker *b, const struct jit_grant *g, json_t *r, time_t now)
{
	jit_error err;
	long cut;

	if (jit_firewall_close(b->fw, g->id, &err) != 0) {
		log_error("revoke %lld: %s; reconciling", (long long)g->id, err.msg);
		b->metrics.firewall_errors++;
		if (jit_broker_reconcile(b, now) != 0)
			json_object_set_new(r, "warning", json_sprintf(
				"the firewall could not be closed (%s): jitd retries every"
				" reconcile_interval, and the kernel closes the window at its"
				" expiry at the latest",
				err.msg));
	}
	if (!g->cut_on_revoke)
		return;
	cut = jit_broker_cut_sessions(b, g, "revoked");
	if (cut >= 0)
		json_object_set_new(r, "terminated", json_integer(cut));
	else if (json_object_get(r, "warning") == NULL)
		json_object_set_new(r, "warning", json_string(
			"the window is closed but its established sessions could not be cut"
			" (jitd's log says why)"));
}

json_t *jit_revoke_grant(struct jit_broker *b, const struct jit_peer *by, struct jit_grant *g,
			 bool terminate, time_t now)
{
	struct jit_audit_entry e = { .time = now, .actor = by->user, .action = "revoke",
				     .subject = g->user, .result = "ok" };
	char details[64 + JIT_HOST_MAX];
	jit_error err;
	json_t *r;
	int rc;

	g->cut_on_revoke = g->cut_on_revoke || terminate;
	(void)snprintf(details, sizeof(details),
		       "{\"grant\":%lld,\"host\":\"%s\",\"sessions\":\"%s\"}",
		       (long long)g->id, g->host, g->cut_on_revoke ? "terminate" : "keep");
	e.details = details;
	rc = jit_store_grant_revoke(b->store, g->id, by->user, now, terminate, &e, &err);
	if (rc < 0)
		return jit_op_store_error("revoking the grant", &err);
	if (rc == 0)
		return jit_op_error("not_active", "grant %lld is already %s", (long long)g->id,
				 jit_grant_state_name(jit_grant_state(g, now)));
	r = jit_op_ok();
	if (strcmp(g->host, b->cfg->host) != 0) {
		/* Another host's grant: its enforcer closes the window (until
		 * one is connected, its kernel timeout does). */
		json_object_set_new(r, "host", json_string(g->host));
		json_object_set_new(r, "applied", json_false());
		json_object_set_new(r, "pending",
				    jit_pending_json(g->host, jit_broker_expect_ack(b, g->host)));
	} else {
		close_revoked(b, g, r, now);
	}
	log_info("grant %lld of %s revoked by %s", (long long)g->id, g->user, by->user);
	g->revoked_at = now;
	(void)snprintf(g->revoked_by, sizeof(g->revoked_by), "%s", by->user);
	json_object_set_new(r, "grant", jit_grant_json(g, now));
	jit_broker_event(b, "revocation", json_pack("{s:o, s:s}", "grant", jit_grant_json(g, now),
						    "by", by->user));
	return r;
}

static json_t *revoke_grant(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_int_t id = json_integer_value(json_object_get(req, "id"));
	struct jit_grant g;
	jit_error err;
	int rc = jit_store_grant_get(b->store, id, &g, &err);

	if (rc < 0)
		return jit_op_store_error("reading the grant", &err);
	if (rc == 0)
		return jit_op_refusal("not_found", "no_such_grant", "no grant with this id");
	if (!jit_op_owns_grant(peer, &g) && !jit_op_peer_may(b, peer, PRIV_REVOKE_ANY)) {
		jit_broker_audit_denial(b, peer, "revoke", g.user, "not the caller's grant",
					json_pack("{s:I}", "grant", id));
		return jit_op_refusal("denied", "not_yours",
			       "this grant is not yours; revoking it needs a role with revoke_any = yes");
	}
	return jit_revoke_grant(b, peer, &g, json_is_true(json_object_get(req, "terminate")),
				time(NULL));
}

json_t *jit_op_revoke(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "revoke it");
	return revoke_grant(b, peer, req);
}

/* --- audit ----------------------------------------------------------------------------------- */

const struct field jit_audit_fields[] = {
	{ "since", F_STRING, false, 64, 0 },
	{ "limit", F_INT, false, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* An audit answer's entries, newest first while they are read, and how
 * many bytes they hold: the answer stops at AUDIT_ANSWER_MAX. */
struct entries_out {
	json_t *array;
	size_t bytes;
	bool cut;
	const char *own_host;		/* an entry's host when its details name none */
};

static json_t *details_json(const char *text)
{
	if (text == NULL)
		return NULL;
	if (strlen(text) > JIT_AUDIT_DETAILS_MAX)
		return json_pack("{s:I}", "truncated", (json_int_t)strlen(text));
	return json_loads(text, 0, NULL);
}

static size_t entry_bytes(const struct jit_audit_entry *e)
{
	const char *parts[] = { e->actor, e->action, e->subject, e->result, e->reason, e->details };
	size_t n = 128;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		n += parts[i] ? strlen(parts[i]) : 0;
	return n;
}

static int append_entry(const struct jit_audit_entry *e, void *ctx)
{
	struct entries_out *out = ctx;
	const char *host;
	json_t *o, *details;

	out->bytes += entry_bytes(e);
	if (out->bytes > AUDIT_ANSWER_MAX) {
		out->cut = true;
		return 1;
	}
	details = details_json(e->details);
	host = json_string_value(json_object_get(details, "host"));
	o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s?, s:s, s:s?, s:o*}", "id", (json_int_t)e->id,
		      "time", jit_rfc3339_json(e->time), "host", host ? host : out->own_host,
		      "actor", e->actor ? e->actor : "", "action", e->action ? e->action : "",
		      "subject", e->subject, "result", e->result ? e->result : "", "reason",
		      e->reason, "details", details);
	return json_array_append_new(out->array, o) == 0 ? 0 : -1;
}

/* The entries read newest first, oldest first as the answer has them. */
static json_t *oldest_first(json_t *newest_first)
{
	json_t *a = json_array();

	for (size_t i = json_array_size(newest_first); i > 0; i--)
		json_array_append(a, json_array_get(newest_first, i - 1));
	json_decref(newest_first);
	return a;
}

json_t *jit_op_audit(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	const char *since_text = jit_op_str(req, "since");
	time_t since = time(NULL) - AUDIT_SINCE_DEFAULT;
	struct entries_out out = { NULL, 0, false, b->cfg->host };
	json_t *r;
	json_int_t limit;
	jit_error err;

	if (since_text != NULL && jit_rfc3339_parse(since_text, &since) != 0)
		return jit_op_error("bad_request", "since: '%s' is not an RFC 3339 time", since_text);
	if (jit_op_int(req, "limit", 1, AUDIT_LIMIT_MAX, AUDIT_LIMIT_DEFAULT, &limit, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	out.array = json_array();
	/* One more than asked tells whether older entries were left out. */
	if (jit_store_audit_each(b->store, since, jit_op_peer_may(b, peer, PRIV_AUDIT) ? NULL : peer->user,
				 limit + 1, true, append_entry, &out, &err) != 0) {
		json_decref(out.array);
		return jit_op_store_error("reading the audit log", &err);
	}
	if (json_array_size(out.array) > (size_t)limit) {
		json_array_remove(out.array, (size_t)limit);
		out.cut = true;
	}
	r = jit_op_ok();
	json_object_set_new(r, "fleet", json_boolean(b->cfg->fleet));
	json_object_set_new(r, "truncated", json_boolean(out.cut));
	json_object_set_new(r, "entries", oldest_first(out.array));
	return r;
}

