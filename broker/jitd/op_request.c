/* SPDX-License-Identifier: ISC */
/* The request operation: fields, the observed source of a remote caller,
 * rate limits, the role and policy decision, then the grant recorded,
 * signed and opened in that order. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "approval.h"
#include "decide.h"
#include "log.h"
#include "strlist.h"
#include "ticket.h"
#include "timeutil.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- request ---------------------------------------------------------------------- */

/* Hosts one request may name, groups expanded. */
#define REQUEST_HOSTS_MAX 256

const struct field jit_request_fields[] = {
	{ "ports", F_STRINGS, true, JIT_REQUEST_PORTS_MAX, 0 },
	{ "hosts", F_STRINGS, false, REQUEST_HOSTS_MAX, JIT_HOST_MAX - 1 },
	{ "from", F_STRING, false, JIT_CIDR_STRLEN, 0 },
	{ "duration", F_INT, false, 0, 0 },
	{ "justification", F_STRING, false, JIT_JUSTIFICATION_MAX - 1, 0 },
	{ "for", F_STRING, false, JIT_NAME_MAX - 1, 0 },
	{ "break_glass", F_BOOL, false, 0, 0 },
	{ "start", F_STRING, false, 64, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

static bool user_exists(const char *name)
{
	char buf[16384];
	struct passwd pw, *res = NULL;

	return getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res != NULL;
}

/* start: an RFC 3339 time; one passed (an approval given after it, say)
 * is now. */
static int read_start(json_t *req, struct jit_request *out, jit_error *err)
{
	const char *start = jit_op_str(req, "start");
	time_t when, now = time(NULL);

	if (start == NULL)
		return 0;
	if (jit_rfc3339_parse(start, &when) != 0)
		return jit_error_set(err, "start: '%s' is not an RFC 3339 time like"
				     " 2026-12-24T08:00:00Z", start);
	out->advance = when > now ? when - now : 0;
	return 0;
}

/* The request's fields as jit_decide() takes them; -1 with the reason (a
 * bad request) in err. */
int jit_request_parse(json_t *req, struct jit_request *out, jit_error *err)
{
	json_t *ports = json_object_get(req, "ports"), *item;
	const char *from = jit_op_str(req, "from");
	json_int_t duration = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach(ports, i, item) {
		if (jit_portspec_parse(json_string_value(item), &out->ports[i]) != 0)
			return jit_error_set(err, "ports: '%s' is not PORT/tcp or PORT/udp",
					     json_string_value(item));
	}
	out->n_ports = json_array_size(ports);
	if (from != NULL) {
		if (jit_cidr_parse(from, &out->source) != 0)
			return jit_error_set(err, "from: '%s' is not an address or CIDR"
					     " (host bits must be zero)", from);
		out->has_source = true;
	}
	if (json_object_get(req, "duration") != NULL &&
	    jit_op_int(req, "duration", 1, JIT_DURATION_MAX, 0, &duration, err) != 0)
		return -1;
	out->duration = duration;
	if (read_start(req, out, err) != 0)
		return -1;
	out->justification = jit_op_str(req, "justification");
	out->for_user = jit_op_str(req, "for");
	if (out->for_user != NULL && !user_exists(out->for_user))
		return jit_error_set(err, "for: no user named '%s'", out->for_user);
	return 0;
}

static json_t *request_details(const struct jit_request *r)
{
	char from[JIT_CIDR_STRLEN] = "";

	if (r->has_source)
		jit_cidr_format(&r->source, from, sizeof(from));
	return json_pack("{s:o, s:s, s:o, s:s?, s:s?}", "ports", jit_ports_json(r->ports, r->n_ports),
			 "from", from, "duration",
			 r->duration > 0 ? json_integer((json_int_t)r->duration) : json_null(),
			 "justification", r->justification, "host", r->host);
}

/* Policy names of the decision, each once, comma-separated. */
void jit_decision_policy_names(const struct jit_decision *d, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen = seen || d->policy[j] == d->policy[i];
		if (seen)
			continue;
		(void)snprintf(buf + len, size - len, "%s%s", len ? "," : "", d->policy[i]->name);
		len += strlen(buf + len);
	}
}

static void fill_grant(const struct jit_peer *peer, const struct jit_request *r,
		       const struct jit_decision *d, time_t now, struct jit_grant *g)
{
	memset(g, 0, sizeof(*g));
	(void)snprintf(g->user, sizeof(g->user), "%s", r->for_user ? r->for_user : peer->user);
	(void)snprintf(g->requested_by, sizeof(g->requested_by), "%s", peer->user);
	(void)snprintf(g->role, sizeof(g->role), "%s", d->role ? d->role->name : "root");
	jit_decision_policy_names(d, r->n_ports, g->policy, sizeof(g->policy));
	/* Under several policies, the sessions are cut where any says so, and
	 * the fewest logins any allows are allowed. */
	for (size_t i = 0; i < r->n_ports; i++) {
		g->cut_on_revoke = g->cut_on_revoke || d->policy[i]->terminate_on_revoke;
		g->cut_on_expiry = g->cut_on_expiry || d->policy[i]->terminate_on_expiry;
		if (d->policy[i]->max_logins > 0 &&
		    (g->max_logins == 0 || d->policy[i]->max_logins < g->max_logins))
			g->max_logins = d->policy[i]->max_logins;
	}
	g->source = r->source;
	memcpy(g->ports, r->ports, r->n_ports * sizeof(r->ports[0]));
	g->n_ports = r->n_ports;
	(void)snprintf(g->host, sizeof(g->host), "%s", r->host);
	g->created = now;
	g->not_before = now + (time_t)r->advance;
	g->expires = g->not_before + d->duration;
	(void)snprintf(g->justification, sizeof(g->justification), "%s",
		       r->justification ? r->justification : "");
}

int jit_grant_sign(const struct jit_broker *b, struct jit_grant *g, char **ticket, jit_error *err)
{
	struct jit_claims c;

	memset(&c, 0, sizeof(c));
	(void)snprintf(c.iss, sizeof(c.iss), "%s", b->cfg->host);
	(void)snprintf(c.sub, sizeof(c.sub), "%s", g->user);
	(void)snprintf(c.aud, sizeof(c.aud), "%s", g->host);
	(void)snprintf(c.role, sizeof(c.role), "%s", g->role);
	/* An extension's ticket keeps its grant's id. */
	if (g->jti[0] != '\0')
		memcpy(c.jti, g->jti, sizeof(c.jti));
	else
		jit_claims_new_jti(&c);
	c.iat = c.nbf = g->not_before;
	c.exp = g->expires;
	c.src[0] = g->source;
	c.n_src = 1;
	memcpy(c.ports, g->ports, g->n_ports * sizeof(g->ports[0]));
	c.n_ports = g->n_ports;
	memcpy(g->jti, c.jti, sizeof(g->jti));
	return jit_ticket_sign(&b->key, &c, ticket, err);
}

/* The window could not be opened: the grant must not stay recorded as active. */
static void withdraw_grant(struct jit_broker *b, const struct jit_grant *g, const char *why)
{
	struct jit_audit_entry e = { .time = time(NULL), .actor = "jitd", .action = "revoke",
				     .subject = g->user, .result = "ok", .reason = why };
	jit_error err;

	if (jit_store_grant_revoke(b->store, g->id, "jitd", e.time, false, &e, &err) < 0)
		log_error("grant %lld could not be withdrawn after a firewall error: %s",
			  (long long)g->id, err.msg);
}

/* The n grants a request made before one of its hosts failed. */
static void withdraw_granted(struct jit_broker *b, const struct jit_grant *made, size_t n,
			     const char *why)
{
	jit_error err;

	for (size_t i = 0; i < n; i++) {
		withdraw_grant(b, &made[i], why);
		if (strcmp(made[i].host, b->cfg->host) == 0)
			(void)jit_firewall_close(b->fw, made[i].id, &err);
	}
}

static void log_grant(const struct jit_grant *g)
{
	char from[JIT_CIDR_STRLEN], until[JIT_RFC3339_LEN];

	jit_cidr_format(&g->source, from, sizeof(from));
	(void)jit_rfc3339_format(g->expires, until);
	log_info("grant %lld: %s from %s, policy %s, role %s, requested by %s, until %s",
		 (long long)g->id, g->user, from, g->policy, g->role, g->requested_by, until);
}

/* The hosts a request names ("hosts": ids and @GROUPs), each once; none
 * named: this host. -1 with the reason (a bad request) in err. */
struct host_list {
	const char *items[REQUEST_HOSTS_MAX];
	size_t n;
};

static int add_request_host(struct host_list *l, const char *host, jit_error *err)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], host) == 0)
			return 0;
	if (l->n == REQUEST_HOSTS_MAX)
		return jit_error_set(err, "hosts: more than %d hosts in one request",
				     REQUEST_HOSTS_MAX);
	l->items[l->n++] = host;
	return 0;
}

static int request_hosts(const struct jit_config *cfg, json_t *hosts, struct host_list *out,
			 jit_error *err)
{
	size_t i;
	json_t *item;

	out->n = 0;
	if (hosts == NULL)
		return add_request_host(out, cfg->host, err);
	json_array_foreach(hosts, i, item) {
		const char *name = json_string_value(item);
		const struct jit_hostgroup *g;

		if (name[0] != '@') {
			if (!jit_config_valid_host(name))
				return jit_error_set(err, "hosts: '%s' is not a host id or @HOSTGROUP",
						     name);
			if (add_request_host(out, name, err) != 0)
				return -1;
			continue;
		}
		g = jit_config_hostgroup(cfg, name + 1);
		if (g == NULL)
			return jit_error_set(err, "hosts: no hostgroup named '%.64s'", name + 1);
		for (size_t j = 0; j < g->hosts.n; j++)
			if (add_request_host(out, g->hosts.items[j], err) != 0)
				return -1;
	}
	return 0;
}

/* The step of a grant that failed. */
enum grant_step { STEP_SIGN, STEP_STORE, STEP_FIREWALL };

/* One host's grant: signed, recorded with its audit entry, and opened when
 * the host is this one. -1 with err and *failed. */
static int grant_one(struct jit_broker *b, const struct jit_peer *peer,
		     const struct jit_request *r, const struct jit_decision *d, time_t now,
		     const char *remote_text, struct jit_grant *g, char **ticket,
		     enum grant_step *failed, jit_error *err)
{
	struct jit_audit_entry e = { .time = now, .actor = peer->user, .action = "request",
				     .result = "granted", .details = remote_text };
	struct jit_fw_entry entry;

	fill_grant(peer, r, d, now, g);
	e.subject = g->user;
	jit_metrics_phase_end(&b->metrics, JIT_PHASE_DECIDE, jit_monotonic_seconds());
	*failed = STEP_SIGN;
	if (jit_grant_sign(b, g, ticket, err) != 0)
		return -1;
	jit_metrics_phase_end(&b->metrics, JIT_PHASE_SIGN, jit_monotonic_seconds());
	*failed = STEP_STORE;
	if (jit_store_grant_add(b->store, g, *ticket, &e, err) != 0) {
		free(*ticket);
		*ticket = NULL;
		return -1;
	}
	jit_metrics_phase_end(&b->metrics, JIT_PHASE_STORE, jit_monotonic_seconds());
	/* Every grant ends on this jitd's timer; only this host's windows
	 * start on it. Another host's enforcer opens its window; a scheduled
	 * one opens at its start (jit_broker_expire()). */
	jit_broker_timer_note(b, g->expires);
	if (strcmp(g->host, b->cfg->host) != 0)
		return 0;
	if (g->not_before > now) {
		jit_broker_timer_note(b, g->not_before);
		return 0;
	}
	*failed = STEP_FIREWALL;
	jit_fw_entry_from_grant(g, b->cfg->used_up_grace, &entry);
	if (jit_firewall_open(b->fw, &entry, err) != 0) {
		log_error("grant %lld: %s", (long long)g->id, err->msg);
		b->metrics.firewall_errors++;
		withdraw_grant(b, g, err->msg);
		(void)jit_broker_reconcile(b, now);
		free(*ticket);
		*ticket = NULL;
		return -1;
	}
	jit_metrics_phase_end(&b->metrics, JIT_PHASE_FIREWALL, jit_monotonic_seconds());
	return 0;
}

/* What the answer says of one host's grant: its ticket, the grant, and
 * whether its window is open yet (another host's opens when its enforcer
 * applies it). */
json_t *jit_granted_json(struct jit_broker *b, const struct jit_grant *g, const char *ticket,
			 time_t now)
{
	bool here = strcmp(g->host, b->cfg->host) == 0;
	json_t *o = json_pack("{s:s, s:s, s:o, s:b}", "host", g->host, "ticket", ticket, "grant",
			      jit_grant_json(g, now), "applied", here);

	if (!here) {
		/* The host's change number: what a later answer (an approved
		 * request's, to its requester) waits for. */
		json_object_set_new(o, "seq", json_integer(jit_store_last_seq_queued(b->store)));
		json_object_set_new(o, "pending",
				    jit_pending_json(g->host, jit_broker_expect_ack(b, g->host)));
	}
	return o;
}

/* The answer to a grant that failed at step (the grants made before it
 * withdrawn), as one host's failure always was. */
static json_t *grant_failed(struct jit_broker *b, enum grant_step step, const jit_error *err)
{
	switch (step) {
	case STEP_SIGN:
		return jit_op_store_error("signing the ticket", err);
	case STEP_STORE:
		jit_op_count(b, &b->metrics.requests, "error", "store");
		return jit_op_store_error("recording the grant", err);
	case STEP_FIREWALL:
		break;
	}
	jit_op_count(b, &b->metrics.requests, "error", "firewall");
	return jit_op_error("internal", "the firewall could not be opened: %s", err->msg);
}

/* Every host's grant, or none: a failure withdraws those made before it. */
static json_t *grant_all(struct jit_broker *b, struct jit_peer *peer, struct jit_request *r,
			 const struct host_list *hosts, const struct jit_decision *d)
{
	json_t *remote = jit_broker_remote_json(peer), *grants, *resp;
	char *remote_text = remote ? json_dumps(remote, JSON_COMPACT) : NULL;
	struct jit_grant *made = calloc(hosts->n, sizeof(*made));
	time_t now = time(NULL);
	enum grant_step failed = STEP_SIGN;
	size_t n = 0;
	jit_error err;

	json_decref(remote);
	if (made == NULL) {
		free(remote_text);
		return jit_broker_error("internal", "out of memory");
	}
	grants = json_array();
	for (; n < hosts->n; n++) {
		char *ticket = NULL;

		r->host = hosts->items[n];
		if (grant_one(b, peer, r, &d[n], now, remote_text, &made[n], &ticket, &failed,
			      &err) != 0)
			break;
		log_grant(&made[n]);
		if (jit_broker_has_events(b))
			jit_broker_event(b, "grant",
					 json_pack("{s:o}", "grant", jit_grant_json(&made[n], now)));
		json_array_append_new(grants, jit_granted_json(b, &made[n], ticket, now));
		free(ticket);
	}
	free(remote_text);
	if (n < hosts->n) {
		jit_apply_wait_free(jit_broker_take_wait(b));
		withdraw_granted(b, made, n, err.msg);
		free(made);
		json_decref(grants);
		return grant_failed(b, failed, &err);
	}
	free(made);
	jit_op_count(b, &b->metrics.requests, "granted", NULL);
	resp = jit_op_ok();
	/* One host: the ticket and the grant as before there were fleets. */
	if (hosts->n == 1) {
		json_t *only = json_array_get(grants, 0);

		json_object_set(resp, "ticket", json_object_get(only, "ticket"));
		json_object_set(resp, "grant", json_object_get(only, "grant"));
	}
	json_object_set_new(resp, "grants", grants);
	return resp;
}

/* A remote request's source: the address jit-sshd saw, or a CIDR that holds
 * it. Else -1, the denial recorded and its reason in err. */
static int remote_source(struct jit_broker *b, struct jit_peer *peer, struct jit_request *r,
			 jit_error *err)
{
	char from[JIT_CIDR_STRLEN], seen[JIT_CIDR_STRLEN];

	if (!r->has_source) {
		jit_cidr_host(&peer->remote_address, &r->source);
		r->has_source = true;
		return 0;
	}
	if (jit_cidr_contains(&r->source, &peer->remote_address))
		return 0;
	jit_cidr_format(&r->source, from, sizeof(from));
	jit_addr_format(&peer->remote_address, seen, sizeof(seen));
	jit_error_set(err, "from %s does not hold %s, the address the request came from", from,
		      seen);
	jit_broker_audit_denial(b, peer, "request", peer->user, err->msg,
				json_pack("{s:s, s:s}", "from", from, "denial", "source_not_observed"));
	jit_op_count(b, &b->metrics.requests, "denied", "source_not_observed");
	jit_broker_event(b, "denial", json_pack("{s:s, s:s, s:s, s:s}", "user", peer->user,
						"code", "source_not_observed", "reason", err->msg,
						"from", from));
	return -1;
}

bool jit_request_locked(struct jit_broker *b, const struct jit_peer *peer,
			const struct jit_request *r, struct jit_decision *d)
{
	if (jit_lock_check(b, r->for_user ? r->for_user : peer->user, d->role ? d->role->name : NULL,
			   &r->source, r->host, time(NULL), d->reason, sizeof(d->reason)) == 0)
		return false;
	d->denial = JIT_DENY_LOCKED;
	return true;
}

json_t *jit_request_denied(struct jit_broker *b, struct jit_peer *peer, const struct jit_request *r,
			   const struct jit_decision *d)
{
	const char *code = jit_denial_name(d->denial);
	const char *user = r->for_user ? r->for_user : peer->user;
	json_t *details = request_details(r);

	log_info("request by %s denied: %s", peer->user, d->reason);
	json_object_set_new(details, "denial", json_string(code));
	jit_broker_event(b, "denial", json_pack("{s:s, s:s, s:s, s:s, s:O}", "user", user,
						"requested_by", peer->user, "code", code,
						"reason", d->reason, "request", details));
	jit_broker_audit_denial(b, peer, "request", user, d->reason, details);
	jit_op_count(b, &b->metrics.requests, "denied", code);
	return jit_op_refusal("denied", code, d->reason);
}

/* A token of rate_requests for key: from the bucket the controllers share
 * in the database where they share one, else from this jitd's. 1; 0 over
 * the limit, -1 the database failed, each with the reason. */
static int take_request_token(struct jit_broker *b, const char *key, char *reason, size_t size)
{
	const struct jit_rate_limit *lim = &b->cfg->rate_requests;
	jit_error err;
	int rc;

	if (!jit_store_shares_rates(b->store))
		return jit_op_within_rate(&b->request_rates, lim, key, "requests", reason, size);
	if (lim->burst == 0)
		return 1;
	rc = jit_store_rate_take(b->store, key, lim->burst, lim->period, &err);
	if (rc == 0)
		jit_op_over_rate_reason(lim, key, "requests", reason, size);
	else if (rc < 0)
		(void)snprintf(reason, size, "%s", err.msg);
	return rc;
}

/* rate_requests, for the caller and for the source asked: NULL, else the
 * refusal (over it: the denial recorded). */
static json_t *request_rate(struct jit_broker *b, struct jit_peer *peer,
			    const struct jit_request *r)
{
	char key[JIT_RATE_KEY_MAX], reason[256];
	int rc;

	if (peer->remote)
		(void)snprintf(key, sizeof(key), "user:%s", peer->user);
	else
		(void)snprintf(key, sizeof(key), "uid:%u", (unsigned)peer->uid);
	rc = take_request_token(b, key, reason, sizeof(reason));
	if (rc == 1 && r->has_source) {
		jit_rate_source_key(&r->source.addr, key, sizeof(key));
		rc = take_request_token(b, key, reason, sizeof(reason));
	}
	if (rc == 1)
		return NULL;
	if (rc < 0) {
		jit_op_count(b, &b->metrics.requests, "error", "store");
		return jit_op_error("internal", "%s: nothing was granted", reason);
	}
	log_warn("request by %s refused: %s", peer->user, reason);
	jit_broker_audit_denial(b, peer, "request", r->for_user ? r->for_user : peer->user, reason,
				json_pack("{s:s}", "denial", "rate_limited"));
	jit_op_count(b, &b->metrics.requests, "denied", "rate_limited");
	jit_broker_event(b, "denial", json_pack("{s:s, s:s, s:s}", "user", peer->user,
						"code", "rate_limited", "reason", reason));
	return jit_op_refusal("denied", "rate_limited", reason);
}

/* The policies of every host's decision, each once, comma-separated. */
static void decision_policies(const struct jit_decision *d, size_t n_hosts, size_t n_ports,
			      char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t h = 0; h < n_hosts; h++)
		for (size_t p = 0; p < n_ports; p++) {
			const char *name = d[h].policy[p]->name;

			if (jit_list_contains(buf, name))
				continue;
			(void)snprintf(buf + len, size - len, "%s%s", len ? "," : "", name);
			len += strlen(buf + len);
		}
}

/* The role and policy check for every host, all or nothing; granted, the
 * grants, unless the policies want approvals first (given: approved). */
static json_t *decide_hosts(struct jit_broker *b, struct jit_peer *peer, struct jit_request *r,
			    const struct host_list *hosts, json_t *req, bool approved)
{
	struct jit_caller caller = jit_peer_caller(peer);
	struct jit_decision *d = hosts->n > 0 ? calloc(hosts->n, sizeof(*d)) : NULL;
	char policies[JIT_POLICY_LIST_MAX];
	bool break_glass = false;
	json_t *resp = NULL;

	if (d == NULL)
		return jit_broker_error(hosts->n > 0 ? "internal" : "bad_request",
					hosts->n > 0 ? "out of memory" : "the request names no host");
	for (size_t i = 0; i < hosts->n && resp == NULL; i++) {
		r->host = hosts->items[i];
		if (jit_decide(b->cfg, &caller, r, &d[i]) != JIT_GRANTED ||
		    jit_request_locked(b, peer, r, &d[i]))
			resp = jit_request_denied(b, peer, r, &d[i]);
	}
	if (resp == NULL) {
		decision_policies(d, hosts->n, r->n_ports, policies, sizeof(policies));
		if (!approved)
			resp = jit_review_gate(b, peer, req, r, policies, &break_glass);
	}
	if (resp == NULL) {
		resp = grant_all(b, peer, r, hosts, d);
		if (break_glass)
			jit_review_break_glass(b, peer, req, r, policies, resp);
	}
	free(d);
	return resp;
}

/* The request's source as text, into req: what a request recorded for
 * its approvals is granted from later. */
static void note_source(json_t *req, const struct jit_request *r)
{
	char from[JIT_CIDR_STRLEN];

	jit_cidr_format(&r->source, from, sizeof(from));
	json_object_set_new(req, "from", json_string(from));
}

/* The request's fields and hosts; -1 with the reason (a bad request). */
static int read_request(const struct jit_broker *b, json_t *req, struct jit_request *r,
			struct host_list *hosts, jit_error *err)
{
	if (jit_request_parse(req, r, err) != 0)
		return -1;
	return request_hosts(b->cfg, json_object_get(req, "hosts"), hosts, err);
}

static json_t *decide_request(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct jit_request r;
	struct host_list hosts;
	json_t *refused;
	jit_error err;

	if (read_request(b, req, &r, &hosts, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	if (peer->remote && remote_source(b, peer, &r, &err) != 0)
		return jit_op_refusal("denied", "source_not_observed", err.msg);
	if (r.has_source)
		note_source(req, &r);
	refused = request_rate(b, peer, &r);
	if (refused != NULL)
		return refused;
	return decide_hosts(b, peer, &r, &hosts, req, false);
}

json_t *jit_request_grant_approved(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct jit_request r;
	struct host_list hosts;
	jit_error err;

	if (read_request(b, req, &r, &hosts, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	return decide_hosts(b, peer, &r, &hosts, req, true);
}

json_t *jit_op_request(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	double start = jit_monotonic_seconds();
	json_t *resp;

	if (!b->cfg->enforcer)
		jit_metrics_phase_begin(&b->metrics, start);
	resp = b->cfg->enforcer ? jit_op_ask_controller(b, "ask for a window")
				: decide_request(b, peer, req);
	/* The write phase ends when the server has sent the answer. */
	jit_metrics_phase_end(&b->metrics, JIT_PHASE_DECIDE, jit_monotonic_seconds());
	jit_metrics_observe_request(&b->metrics, jit_monotonic_seconds() - start);
	b->metrics_dirty = true;
	return resp;
}

