/* SPDX-License-Identifier: ISC */
/* The verify operation, the PAM module's question: is this login allowed,
 * by its ticket or by an active grant? Small enough to review on its own. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "log.h"
#include "paseto.h"
#include "ticket.h"

#include <stdio.h>
#include <string.h>

const struct field jit_verify_fields[] = {
	{ "ticket", F_STRING, false, JIT_PASETO_MAX_TOKEN, 0 },
	{ "user", F_STRING, true, JIT_NAME_MAX - 1, 0 },
	{ "from", F_STRING, true, JIT_CIDR_STRLEN, 0 },
	{ "port", F_STRING, true, JIT_PORTSPEC_STRLEN, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* A login as the PAM module describes it, and what its ticket must allow. */
struct login {
	struct jit_expect want;
	const char *from_text;
};

static json_t *verify_refused(struct jit_broker *b, struct jit_peer *peer,
			      const struct login *l, const char *code, const char *reason)
{
	jit_broker_audit(b, peer, "verify", l->want.user, "refused", reason,
	      json_pack("{s:s, s:s}", "from", l->from_text, "code", code));
	jit_op_count(b, &b->metrics.verifications, "refused", code);
	log_info("login of %s from %s refused: %s", l->want.user, l->from_text, reason);
	return jit_op_refusal("refused", code, reason);
}


static json_t *used_up_refusal(struct jit_broker *b, struct jit_peer *peer,
				const struct login *l, const struct jit_grant *g)
{
	char reason[96];

	(void)snprintf(reason, sizeof(reason), "the ticket's grant is used up: it allows %lld login%s",
		       (long long)g->max_logins, g->max_logins == 1 ? "" : "s");
	return verify_refused(b, peer, l, "used_up", reason);
}

/* The last login a grant allows: its window here closes after
 * used_up_grace, the session in progress going on. */
static void close_used_up(struct jit_broker *b, const struct jit_grant *g)
{
	log_info("grant %lld of %s used up (%lld login%s): its window closes in %llds",
		 (long long)g->id, g->user, (long long)g->max_logins, g->max_logins == 1 ? "" : "s",
		 (long long)b->cfg->used_up_grace);
	if (strcmp(g->host, b->cfg->host) == 0)
		jit_broker_update_window(b, g);
}

/* Counts the use and answers yes, unless a lock matches the grant. The
 * login's address is in the grant's source (its ticket's, or the grant
 * found for it), so a source lock holding it overlaps the source. */
static json_t *verify_accepted(struct jit_broker *b, struct jit_peer *peer,
			       const struct login *l, struct jit_grant *g)
{
	char details[160], port[JIT_PORTSPEC_STRLEN], reason[JIT_JUSTIFICATION_MAX + 256];
	struct jit_audit_entry e = { .time = l->want.now, .actor = peer->user, .action = "verify",
				     .subject = l->want.user, .result = "ok", .details = details };
	struct jit_login use = { .grant_id = g->id, .time = l->want.now };
	jit_error err;
	json_t *r;
	int rc;

	if (jit_lock_check(b, g->user, g->role, &g->source, g->host, l->want.now, reason,
			   sizeof(reason)) != 0)
		return verify_refused(b, peer, l, "locked", reason);
	jit_portspec_format(&l->want.port, port, sizeof(port));
	(void)snprintf(details, sizeof(details), "{\"grant\":%lld,\"from\":\"%s\",\"port\":\"%s\"}",
		       (long long)g->id, l->from_text, port);
	(void)snprintf(use.jti, sizeof(use.jti), "%s", g->jti);
	(void)snprintf(use.user, sizeof(use.user), "%s", l->want.user);
	(void)snprintf(use.from, sizeof(use.from), "%s", l->from_text);
	(void)snprintf(use.port, sizeof(use.port), "%s", port);
	rc = jit_store_grant_use(b->store, &use, &e, &err);
	if (rc < 0)
		return jit_op_store_error("recording the ticket's use", &err);
	if (rc == 0)
		return used_up_refusal(b, peer, l, g);
	g->uses++;
	g->last_used = l->want.now;
	if (g->max_logins > 0 && g->uses >= g->max_logins) {
		g->used_up_at = l->want.now;
		close_used_up(b, g);
	}
	r = jit_op_ok();
	json_object_set_new(r, "grant", jit_grant_json(g, l->want.now));
	jit_op_count(b, &b->metrics.verifications, "accepted", NULL);
	jit_broker_event(b, "login", json_pack("{s:o, s:s, s:s, s:s}", "grant",
					       jit_grant_json(g, l->want.now), "user", l->want.user,
					       "from", l->from_text, "port", port));
	return r;
}

static json_t *verify_ticket(struct jit_broker *b, struct jit_peer *peer, const struct login *l,
			     const char *ticket)
{
	struct jit_claims c;
	struct jit_grant g;
	enum jit_verdict v;
	jit_error reason, err;
	int rc;

	v = jit_ticket_verify(ticket, strlen(ticket), b->keys, b->n_keys, &l->want, &c, &reason);
	if (v != JIT_OK)
		return verify_refused(b, peer, l, jit_verdict_name(v), reason.msg);
	rc = jit_store_grant_by_jti(b->store, c.jti, &g, &err);
	if (rc < 0)
		return jit_op_store_error("finding the ticket's grant", &err);
	if (rc == 0 || strcmp(g.user, c.sub) != 0 || strcmp(g.host, l->want.host) != 0)
		return verify_refused(b, peer, l, "unknown ticket", "unknown ticket: jitd has no"
				      " grant with this ticket id");
	if (jit_grant_state(&g, l->want.now) != JIT_GRANT_ACTIVE)
		return verify_refused(b, peer, l, jit_grant_state_name(jit_grant_state(&g, l->want.now)),
				      g.revoked_at ? "the ticket's grant was revoked"
				      : g.not_before > l->want.now ? "the ticket's grant has not started"
				      : "the ticket's grant has expired");
	if (g.used_up_at != 0)
		return used_up_refusal(b, peer, l, &g);
	return verify_accepted(b, peer, l, &g);
}

struct grant_match {
	const struct login *login;
	struct jit_grant found;
	bool matched;
};

static int match_grant(const struct jit_grant *g, void *ctx)
{
	struct grant_match *m = ctx;

	const struct jit_expect *want = &m->login->want;

	if (strcmp(g->user, want->user) != 0 || !jit_cidr_contains(&g->source, &want->from))
		return 0;
	if (!jit_portspec_in(g->ports, g->n_ports, &want->port) || g->used_up_at != 0 ||
	    g->not_before > want->now)
		return 0;
	m->found = *g;
	m->matched = true;
	return 1;
}

/* Without a ticket: is there an active grant for this login? */
static json_t *verify_grant(struct jit_broker *b, struct jit_peer *peer, const struct login *l)
{
	struct jit_grant_filter f = { .user = l->want.user, .host = l->want.host,
				      .active_only = true, .now = l->want.now };
	struct grant_match m = { .login = l };
	jit_error err;

	if (jit_store_grants_each(b->store, &f, match_grant, &m, &err) != 0)
		return jit_op_store_error("finding an active grant", &err);
	if (!m.matched)
		return verify_refused(b, peer, l, "no grant", "no active grant for this user,"
				      " source and port");
	return verify_accepted(b, peer, l, &m.found);
}

/* rate_verifications, for the login's source and for its user. */
static bool verify_within_rate(struct jit_broker *b, const struct login *l, char *reason,
			       size_t size)
{
	const struct jit_rate_limit *lim = &b->cfg->rate_verifications;
	char key[JIT_RATE_KEY_MAX];

	jit_rate_source_key(&l->want.from, key, sizeof(key));
	if (!jit_op_within_rate(&b->verify_rates, lim, key, "logins", reason, size))
		return false;
	(void)snprintf(key, sizeof(key), "user:%s", l->want.user);
	return jit_op_within_rate(&b->verify_rates, lim, key, "logins", reason, size);
}

json_t *jit_op_verify(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct login l = { .want = { .user = jit_op_str(req, "user"), .host = b->cfg->host,
				     .now = time(NULL), .skew = b->cfg->skew },
			   .from_text = jit_op_str(req, "from") };
	const char *ticket = jit_op_str(req, "ticket");
	const char *port = jit_op_str(req, "port");
	char reason[256];

	if (!jit_op_peer_may(b, peer, PRIV_AUDIT)) {
		jit_broker_audit_denial(b, peer, "verify", l.want.user, "needs uid 0 or the audit role",
					NULL);
		return jit_op_refusal("denied", "not_auditor",
			       "verify is for the PAM module: it needs uid 0 or a role with audit = yes");
	}
	if (jit_addr_parse(l.from_text, &l.want.from) != 0)
		return jit_op_error("bad_request", "from: '%s' is not a numeric address", l.from_text);
	if (jit_portspec_parse(port, &l.want.port) != 0)
		return jit_op_error("bad_request", "port: '%s' is not PORT/tcp or PORT/udp", port);
	if (!verify_within_rate(b, &l, reason, sizeof(reason)))
		return verify_refused(b, peer, &l, "rate_limited", reason);
	return ticket ? verify_ticket(b, peer, &l, ticket) : verify_grant(b, peer, &l);
}

