/* SPDX-License-Identifier: ISC */
/* An enforcer's side of the fleet. jit-relay (the process that holds this
 * host's SSH key and dials the controller, with no capability) connects to
 * jitd's socket and asks `upstream`; from then on jitd speaks on that
 * connection as the controller's client: follow from the last change
 * applied, an ack after each batch applied, a heartbeat when all is quiet.
 * Each change is applied as standalone jitd applies its own grants: the
 * store first (grant, number applied and audit entry in one transaction),
 * then the firewall with the kernel's timeout. A grant opens only with a
 * ticket the broker's key signed for this host that says the same as the
 * change, so neither the relay nor the controller's front door can open
 * anything the controller did not sign. */
#include "config.h"

#include "broker.h"
#include "log.h"
#include "ops.h"
#include "proto.h"
#include "ticket.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* --- the op ------------------------------------------------------------------------ */

json_t *jit_op_upstream(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	(void)req;
	if (!b->cfg->enforcer)
		return jit_op_refusal("denied", "not_enforcer", "upstream is for an enforcer's"
				      " jit-relay; this jitd has no [controller]");
	/* uid 0, or [controller] user (jit-relay's). */
	if (peer->remote || (peer->uid != 0 && !jit_peer_is_user(peer, b->cfg->controller.user))) {
		log_info("%s (uid %lu) asked to be the link to the controller: refused",
			 peer->user, (unsigned long)peer->uid);
		return jit_op_refusal("denied", "not_relay", "only [controller] user (jit-relay)"
				      " may be the link to the controller");
	}
	b->upstream.taken = true;
	return jit_op_ok();
}

bool jit_broker_take_upstream(struct jit_broker *b)
{
	bool taken = b->upstream.taken;

	b->upstream.taken = false;
	return taken;
}

static json_t *fleet_request(const char *op)
{
	return json_pack("{s:i, s:s}", "v", JIT_PROTO_VERSION, "op", op);
}

/* A request sent: its answer is the last to come of those on their way. */
static void sent(struct jit_upstream *u, char kind, int64_t id)
{
	unsigned i = (u->sent_first + u->unanswered) % JIT_UPSTREAM_UNANSWERED_MAX;

	u->sent[i].kind = kind;
	u->sent[i].id = id;
	u->unanswered++;
}

json_t *jit_upstream_hello(struct jit_broker *b, int64_t now_ms)
{
	struct jit_upstream *u = &b->upstream;
	jit_error err;
	json_t *req = fleet_request("follow");

	if (jit_store_upstream_applied(b->store, &u->applied, &err) != 0)
		log_error("%s; following from the number applied before", err.msg);
	u->linked = true;
	u->following = false;
	/* Acked again once followed: an ack lost with the last link would
	 * leave a request on the controller waiting for it. */
	u->acked = u->applied > 0 ? u->applied - 1 : 0;
	u->unanswered = 0;
	u->sent_first = 0;
	sent(u, 'f', 0);
	/* Logins still queued are sent again: the controller takes each once. */
	u->login_sent = 0;
	u->logins_seen = jit_store_logins_queued(b->store);
	u->logins_left = true;
	if (jit_store_upstream_epoch(b->store, u->epoch, sizeof(u->epoch), &err) != 0) {
		log_error("%s; logins wait for the next link", err.msg);
		u->logins_left = false;
	}
	u->heard_ms = u->said_ms = now_ms;
	log_info("linked to the controller; following its changes after %lld",
		 (long long)u->applied);
	json_object_set_new(req, "since", json_integer(u->applied));
	return req;
}

void jit_upstream_unlinked(struct jit_broker *b)
{
	if (b->upstream.linked)
		log_info("the link to the controller closed (changes applied up to %lld)",
			 (long long)b->upstream.applied);
	b->upstream.linked = b->upstream.following = false;
	b->upstream.unanswered = 0;
}

/* --- guard ports -------------------------------------------------------------------- */

#define GUARD_TEXT_MAX (JIT_GUARDED_PORTS_MAX * JIT_PORTSPEC_STRLEN)

/* The host's guard ports and the controller's (text as the store keeps it),
 * each once, into cfg->guarded; -1 when they are more than a firewall
 * holds (the guard ports alone are kept then). */
static int merge_guard(struct jit_config *cfg, const char *controllers)
{
	struct jit_portspec theirs[JIT_GUARDED_PORTS_MAX];
	size_t n = 0;

	memcpy(cfg->guarded, cfg->controller.guard, cfg->controller.n_guard * sizeof(theirs[0]));
	cfg->n_guarded = cfg->controller.n_guard;
	if (controllers[0] == '\0')
		return 0;
	if (jit_portspec_list_parse(controllers, theirs, JIT_GUARDED_PORTS_MAX, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (jit_portspec_in(cfg->guarded, cfg->n_guarded, &theirs[i]))
			continue;
		if (cfg->n_guarded == JIT_GUARDED_PORTS_MAX) {
			cfg->n_guarded = cfg->controller.n_guard;
			return -1;
		}
		cfg->guarded[cfg->n_guarded++] = theirs[i];
	}
	return 0;
}

void jit_upstream_restore_guard(struct jit_broker *b)
{
	char text[GUARD_TEXT_MAX];
	jit_error err;

	if (jit_store_upstream_guard(b->store, text, sizeof(text), &err) != 0)
		log_error("%s; guarding the guard ports alone", err.msg);
	else if (merge_guard(b->cfg, text) != 0)
		log_error("the controller's guard ports (%s) cannot be guarded; guarding the guard"
			  " ports alone", text);
}

/* The follow answer's guard ports: guarded from now on, and remembered. */
static void adopt_guard(struct jit_broker *b, json_t *guard)
{
	char text[GUARD_TEXT_MAX] = "", old[GUARD_TEXT_MAX];
	size_t len = 0, i;
	json_t *p;
	jit_error err;

	json_array_foreach(guard, i, p) {
		const char *port = json_string_value(p);

		if (port == NULL || len + strlen(port) + 2 > sizeof(text))
			break;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", len ? "," : "", port);
	}
	if (jit_store_upstream_guard(b->store, old, sizeof(old), &err) == 0 && strcmp(old, text) == 0)
		return;
	if (merge_guard(b->cfg, text) != 0) {
		log_error("the controller's guard ports (%s) cannot be guarded", text);
		return;
	}
	if (jit_store_upstream_set_guard(b->store, text, &err) != 0)
		log_error("%s", err.msg);
	log_info("guarding %zu ports (the controller's: %s)", b->cfg->n_guarded,
		 text[0] ? text : "none");
	jit_firewall_configure(b->fw, b->cfg);
	(void)jit_broker_reconcile(b, time(NULL));
}

/* --- a change ---------------------------------------------------------------------- */

static bool same_ports(const struct jit_claims *c, const struct jit_grant *g)
{
	if (c->n_ports != g->n_ports)
		return false;
	for (size_t i = 0; i < g->n_ports; i++)
		if (!jit_portspec_equal(&c->ports[i], &g->ports[i]))
			return false;
	return true;
}

/* The ticket is the broker's, for this host, and says what the grant says.
 * A grant's first change may come after the grant was extended: its
 * ticket then ends earlier, and so does the window here until the
 * extension's change comes (a window never outlasts a ticket signed). */
static int check_ticket(const struct jit_broker *b, const char *ticket, struct jit_grant *g,
			bool first, jit_error *err)
{
	struct jit_claims c;
	char src[JIT_CIDR_STRLEN], want[JIT_CIDR_STRLEN];

	if (ticket == NULL)
		return jit_error_set(err, "the grant came without its ticket");
	if (jit_ticket_open(ticket, strlen(ticket), b->keys, b->n_keys, &c, err) != JIT_OK)
		return -1;
	jit_cidr_format(&g->source, want, sizeof(want));
	if (c.n_src == 1)
		jit_cidr_format(&c.src[0], src, sizeof(src));
	if (strcmp(c.aud, b->cfg->host) != 0 || strcmp(c.jti, g->jti) != 0 ||
	    strcmp(c.sub, g->user) != 0 || (first ? c.exp > g->expires : c.exp != g->expires) ||
	    c.nbf != g->not_before || c.n_src != 1 || strcmp(src, want) != 0 || !same_ports(&c, g))
		return jit_error_set(err, "its ticket says something else than the grant");
	g->expires = c.exp;
	return 0;
}

/* The change's grant, checked; -1 with why it is refused. */
static int change_grant(const struct jit_broker *b, json_t *change, const char *kind,
			struct jit_grant *g, jit_error *err)
{
	if (jit_grant_from_json(json_object_get(change, "grant"), g, err) != 0)
		return -1;
	if (strcmp(g->host, b->cfg->host) != 0)
		return jit_error_set(err, "it is for host %s, not this one", g->host);
	if (strcmp(kind, "grant") == 0 || strcmp(kind, "extend") == 0)
		return check_ticket(b, json_string_value(json_object_get(change, "ticket")), g,
				    strcmp(kind, "grant") == 0, err);
	if (strcmp(kind, "revoke") == 0)
		return g->revoked_at != 0 ? 0 : jit_error_set(err, "a revocation of a grant"
							      " not revoked");
	return jit_error_set(err, "unknown kind of change '%.32s'", kind);
}

/* The firewall made to match the grant as recorded. */
static void enforce(struct jit_broker *b, const struct jit_grant *g, time_t now)
{
	enum jit_grant_state state = jit_grant_state(g, now);
	jit_error err;

	/* Scheduled: its window opens at its start (jit_broker_expire()). */
	if (state == JIT_GRANT_SCHEDULED)
		return;
	/* A grant new here or extended: its window, with its end. */
	if (state == JIT_GRANT_ACTIVE)
		jit_broker_update_window(b, g);
	else if (jit_firewall_close(b->fw, g->id, &err) != 0)
		jit_broker_firewall_failed(b, g->id, &err);
	if (g->revoked_at != 0 && g->cut_on_revoke)
		(void)jit_broker_cut_sessions(b, g, "revoked");
}

static void log_applied(const struct jit_grant *g, const char *kind, int64_t seq, time_t now)
{
	char from[JIT_CIDR_STRLEN];

	jit_cidr_format(&g->source, from, sizeof(from));
	if (strcmp(kind, "revoke") == 0)
		log_info("change %lld: grant %lld revoked by %s", (long long)seq, (long long)g->id,
			 g->revoked_by);
	else if (strcmp(kind, "extend") == 0)
		log_info("change %lld: grant %lld extended, %s", (long long)seq, (long long)g->id,
			 jit_grant_state(g, now) == JIT_GRANT_ACTIVE ? "open" : "over already");
	else
		log_info("change %lld: grant %lld for %s from %s, %s", (long long)seq,
			 (long long)g->id, g->user, from,
			 jit_grant_state(g, now) == JIT_GRANT_ACTIVE ? "open"
			 : jit_grant_state(g, now) == JIT_GRANT_SCHEDULED ? "scheduled"
			 : "over already");
}

/* Records and enforces change seq; -1 when the store failed (the link is
 * dropped and the change comes again). */
static int apply_change(struct jit_broker *b, json_t *change, int64_t seq, time_t now)
{
	const char *kind = json_string_value(json_object_get(change, "kind"));
	struct jit_audit_entry e = { .time = now, .actor = "jitd", .action = "apply",
				     .result = "ok" };
	struct jit_grant g;
	jit_error why, err;
	char details[128];
	bool ok;

	if (kind == NULL)
		kind = "";
	ok = change_grant(b, change, kind, &g, &why) == 0;
	(void)snprintf(details, sizeof(details), "{\"seq\":%lld,\"grant\":%lld,\"kind\":\"%s\"}",
		       (long long)seq, ok ? (long long)g.id : 0LL, ok ? kind : "refused");
	e.details = details;
	e.subject = ok ? g.user : NULL;
	if (!ok) {
		log_error("change %lld refused: %s; nothing opened", (long long)seq, why.msg);
		e.result = "refused";
		e.reason = why.msg;
	}
	if (jit_store_mirror(b->store, ok ? &g : NULL, seq, &e, &err) != 0) {
		log_error("change %lld: %s", (long long)seq, err.msg);
		return -1;
	}
	b->upstream.applied = seq;
	if (!ok)
		return 0;
	/* As recorded here: with the logins counted here (used up, say). */
	if (jit_store_grant_get(b->store, g.id, &g, &err) != 1) {
		log_error("change %lld: grant %lld is not in the store after its change; reconciling",
			  (long long)seq, (long long)g.id);
		b->needs_reconcile = true;
		return 0;
	}
	enforce(b, &g, now);
	log_applied(&g, kind, seq, now);
	return 0;
}

/* A change line: the next one applied, one seen before skipped, a gap (a
 * change lost on the way) refused by dropping the link. */
static int change_line(struct jit_broker *b, json_t *change)
{
	json_t *seq = json_object_get(change, "seq");
	int64_t n;

	if (!json_is_integer(seq)) {
		log_error("the controller sent a change without a number; dropping the link");
		return -1;
	}
	n = json_integer_value(seq);
	if (n <= b->upstream.applied)
		return 0;
	if (n != b->upstream.applied + 1) {
		log_error("the controller sent change %lld after %lld; dropping the link to follow"
			  " again", (long long)n, (long long)b->upstream.applied);
		return -1;
	}
	return apply_change(b, change, n, time(NULL));
}

/* A login's answer: reported (or refused, which is logged and final: the
 * controller would refuse it again). */
static void login_answered(struct jit_broker *b, int64_t id, bool ok, const char *reason)
{
	jit_error err;

	if (!ok)
		log_error("the controller refused login %lld: %s", (long long)id,
			  reason ? reason : "(no reason)");
	if (jit_store_login_reported(b->store, id, &err) != 0)
		log_error("login %lld: %s (it is reported again on the next link)", (long long)id,
			  err.msg);
}

/* The answer to a request of ours (they come in the order sent): follow's
 * says which host we follow. */
static int answer_line(struct jit_broker *b, json_t *resp)
{
	struct jit_upstream *u = &b->upstream;
	const char *host = json_string_value(json_object_get(resp, "host"));
	const char *reason = json_string_value(json_object_get(resp, "reason"));
	bool ok = json_is_true(json_object_get(resp, "ok"));
	char kind;
	int64_t id;

	if (u->unanswered == 0) {
		log_error("the controller answered a request never sent; dropping the link");
		return -1;
	}
	kind = u->sent[u->sent_first].kind;
	id = u->sent[u->sent_first].id;
	u->sent_first = (u->sent_first + 1) % JIT_UPSTREAM_UNANSWERED_MAX;
	u->unanswered--;
	if (kind == 'l') {
		login_answered(b, id, ok, reason);
		return 0;
	}
	if (!ok) {
		log_error("the controller refused %s: %s", kind == 'f' ? "to be followed" : "an ack",
			  reason ? reason : "(no reason)");
		return kind == 'f' ? -1 : 0;	/* a refused follow leaves nothing to do */
	}
	if (kind == 'f' && host != NULL) {
		if (strcmp(host, b->cfg->host) != 0) {
			log_error("the controller knows this host's key as host %s, not %s; dropping"
				  " the link", host, b->cfg->host);
			return -1;
		}
		u->following = true;
		log_info("following the controller's changes for %s", host);
		if (json_is_array(json_object_get(resp, "guard")))
			adopt_guard(b, json_object_get(resp, "guard"));
	}
	return 0;
}

int jit_upstream_line(struct jit_broker *b, const char *line, size_t len, int64_t now_ms)
{
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL), *change;
	int rc;

	b->upstream.heard_ms = now_ms;
	if (!json_is_object(j)) {
		log_error("the controller sent a line that is not a JSON object; dropping the link");
		json_decref(j);
		return -1;
	}
	change = json_object_get(j, "change");
	rc = change != NULL ? change_line(b, change) : answer_line(b, j);
	json_decref(j);
	return rc;
}

/* --- what to send ------------------------------------------------------------------ */

struct login_out {
	json_t *req;
	const char *epoch;
};

static int login_request(const struct jit_login *l, void *ctx)
{
	struct login_out *out = ctx;
	char when[JIT_RFC3339_LEN];

	(void)jit_rfc3339_format(l->time, when);
	out->req = json_pack("{s:i, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "v",
			     JIT_PROTO_VERSION, "op", "login", "id", (json_int_t)l->id, "jti", l->jti,
			     "user", l->user, "from", l->from, "port", l->port, "time", when,
			     "epoch", out->epoch);
	return 1;
}

/* The next queued login not yet sent on this link, or NULL. */
static json_t *next_login(struct jit_broker *b)
{
	struct jit_upstream *u = &b->upstream;
	struct login_out out = { NULL, u->epoch };
	jit_error err;

	if (u->epoch[0] == '\0' ||
	    (!u->logins_left && jit_store_logins_queued(b->store) == u->logins_seen))
		return NULL;
	u->logins_seen = jit_store_logins_queued(b->store);
	if (jit_store_logins_each(b->store, u->login_sent, 1, login_request, &out, &err) < 0) {
		log_error("%s", err.msg);
		return NULL;
	}
	u->logins_left = out.req != NULL;
	if (out.req != NULL) {
		u->login_sent = json_integer_value(json_object_get(out.req, "id"));
		sent(u, 'l', u->login_sent);
	}
	return out.req;
}

json_t *jit_upstream_next(struct jit_broker *b, int64_t now_ms)
{
	struct jit_upstream *u = &b->upstream;
	bool quiet = now_ms - u->said_ms >= b->cfg->controller.heartbeat * 1000;
	json_t *req;

	if (!u->linked || !u->following || u->unanswered >= JIT_UPSTREAM_UNANSWERED_MAX)
		return NULL;
	if (u->applied != u->acked || quiet) {
		/* A heartbeat is an ack of what was acked already. */
		req = fleet_request("ack");
		json_object_set_new(req, "seq", json_integer(u->applied));
		u->acked = u->applied;
		sent(u, 'a', u->applied);
	} else if ((req = next_login(b)) == NULL) {
		return NULL;
	}
	u->said_ms = now_ms;
	return req;
}

bool jit_upstream_has_news(const struct jit_broker *b)
{
	return b->upstream.linked && b->upstream.following &&
	       jit_store_logins_queued(b->store) != b->upstream.logins_seen;
}

bool jit_upstream_stale(const struct jit_broker *b, int64_t now_ms)
{
	const struct jit_upstream *u = &b->upstream;

	return u->linked && now_ms - u->heard_ms > 2 * b->cfg->controller.heartbeat * 1000;
}
