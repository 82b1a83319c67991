/* SPDX-License-Identifier: ISC */
/* The operations of the socket protocol: ping, status, request, list,
 * revoke, audit and verify. Every request is checked against its operation's
 * field table before anything else looks at it. */
#include "config.h"

#include "broker.h"
#include "decide.h"
#include "log.h"
#include "paseto.h"
#include "proto.h"
#include "ticket.h"
#include "timeutil.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000
#define AUDIT_LIMIT_DEFAULT 1000
#define AUDIT_LIMIT_MAX 10000
#define AUDIT_SINCE_DEFAULT 86400
/* An audit answer stops short of this many bytes (its newest entries kept):
 * building it must not stall the loop for the PAM module's answers. */
#define AUDIT_ANSWER_MAX (4 * 1024 * 1024)

enum field_type { F_STRING, F_INT, F_BOOL, F_STRINGS };

struct field {
	const char *name;
	enum field_type type;
	bool required;
	size_t max;		/* strings: bytes; string arrays: items */
};

typedef json_t *(*op_fn)(struct jit_broker *b, struct jit_peer *peer, json_t *req);

struct op {
	const char *name;
	const struct field *fields;
	op_fn run;
	bool remote_ok;		/* may jit-sshd ask it for a remote user */
};

/* --- responses ---------------------------------------------------------------- */

static json_t *response_ok(void)
{
	return json_pack("{s:i, s:b}", "v", JIT_PROTO_VERSION, "ok", 1);
}

/* reason with every byte outside printable ASCII replaced by '?'. */
static void printable_ascii(const char *reason, char *out, size_t size)
{
	size_t i = 0;

	for (; reason[i] != '\0' && i + 1 < size; i++)
		out[i] = reason[i] >= ' ' && reason[i] <= '~' ? reason[i] : '?';
	out[i] = '\0';
}

json_t *jit_broker_error(const char *error, const char *reason)
{
	char safe[512];
	json_t *resp = json_pack("{s:i, s:b, s:s, s:s}", "v", JIT_PROTO_VERSION, "ok", 0,
				 "error", error, "reason", reason);

	if (resp != NULL)
		return resp;
	/* The reason quoted invalid UTF-8 from the request (a cut-off character,
	 * jansson's message about a bad byte): answer all the same. */
	printable_ascii(reason, safe, sizeof(safe));
	return json_pack("{s:i, s:b, s:s, s:s}", "v", JIT_PROTO_VERSION, "ok", 0, "error", error,
			 "reason", safe);
}

static json_t *error_fmt(const char *error, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static json_t *error_fmt(const char *error, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return jit_broker_error(error, reason);
}

/* A refusal with its stable code, e.g. denied/source_not_allowed. */
static json_t *refusal(const char *error, const char *code, const char *reason)
{
	json_t *r = jit_broker_error(error, reason);

	json_object_set_new(r, "code", json_string(code));
	return r;
}

/* Counts into one of the broker's metrics. */
static void count(struct jit_broker *b, struct jit_counter *c, const char *result,
		  const char *reason)
{
	jit_metrics_count(c, result, reason);
	b->metrics_dirty = true;
}

static json_t *rfc3339_json(time_t t)
{
	char buf[JIT_RFC3339_LEN];

	if (t == 0 || jit_rfc3339_format(t, buf) != 0)
		return json_null();
	return json_string(buf);
}

static json_t *ports_json(const struct jit_portspec *ports, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char p[JIT_PORTSPEC_STRLEN];

		jit_portspec_format(&ports[i], p, sizeof(p));
		json_array_append_new(a, json_string(p));
	}
	return a;
}

json_t *jit_grant_json(const struct jit_grant *g, time_t now)
{
	char from[JIT_CIDR_STRLEN];
	enum jit_grant_state state = jit_grant_state(g, now);

	jit_cidr_format(&g->source, from, sizeof(from));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:I, s:s,"
			 " s:o, s:s?, s:s, s:I, s:o, s:s}",
			 "id", (json_int_t)g->id, "user", g->user, "requested_by", g->requested_by,
			 "role", g->role, "policy", g->policy, "from", from,
			 "ports", ports_json(g->ports, g->n_ports), "host", g->host,
			 "created", rfc3339_json(g->created), "not_before", rfc3339_json(g->not_before),
			 "expires", rfc3339_json(g->expires),
			 "expires_in", (json_int_t)(state == JIT_GRANT_ACTIVE ? g->expires - now : 0),
			 "state", jit_grant_state_name(state),
			 "revoked_at", rfc3339_json(g->revoked_at),
			 "revoked_by", g->revoked_at ? g->revoked_by : NULL,
			 "justification", g->justification, "uses", (json_int_t)g->uses,
			 "last_used", rfc3339_json(g->last_used), "jti", g->jti);
}

/* --- validation ------------------------------------------------------------------ */

static bool has_control_char(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int check_string(const char *name, json_t *v, size_t max, char *why, size_t size)
{
	if (!json_is_string(v)) {
		(void)snprintf(why, size, "field '%s' must be a string", name);
		return -1;
	}
	if (json_string_length(v) > max) {
		(void)snprintf(why, size, "field '%s' is longer than %zu bytes", name, max);
		return -1;
	}
	if (has_control_char(json_string_value(v))) {
		(void)snprintf(why, size, "field '%s' contains a control character", name);
		return -1;
	}
	return 0;
}

static int check_type(const struct field *f, json_t *v, char *why, size_t size)
{
	size_t i;
	json_t *item;

	switch (f->type) {
	case F_STRING:
		return check_string(f->name, v, f->max, why, size);
	case F_INT:
		if (json_is_integer(v))
			return 0;
		(void)snprintf(why, size, "field '%s' must be an integer", f->name);
		return -1;
	case F_BOOL:
		if (json_is_boolean(v))
			return 0;
		(void)snprintf(why, size, "field '%s' must be true or false", f->name);
		return -1;
	case F_STRINGS:
		if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > f->max) {
			(void)snprintf(why, size, "field '%s' must be an array of 1 to %zu strings",
				       f->name, f->max);
			return -1;
		}
		json_array_foreach(v, i, item)
			if (check_string(f->name, item, 64, why, size) != 0)
				return -1;
		return 0;
	}
	return -1;
}

static const struct field *find_field(const struct field *fields, const char *name)
{
	for (const struct field *f = fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* Every member known to the operation and of its type, every required one present. */
static int validate(const struct op *op, json_t *req, char *why, size_t size)
{
	const char *key;
	json_t *v;

	json_object_foreach(req, key, v) {
		const struct field *f;

		if (strcmp(key, "v") == 0 || strcmp(key, "op") == 0)
			continue;
		f = find_field(op->fields, key);
		if (f == NULL) {
			(void)snprintf(why, size, "op '%s' has no field '%.64s'", op->name, key);
			return -1;
		}
		if (check_type(f, v, why, size) != 0)
			return -1;
	}
	for (const struct field *f = op->fields; f->name != NULL; f++) {
		if (f->required && json_object_get(req, f->name) == NULL) {
			(void)snprintf(why, size, "op '%s' needs field '%s'", op->name, f->name);
			return -1;
		}
	}
	return 0;
}

static const char *str_field(json_t *req, const char *name)
{
	return json_string_value(json_object_get(req, name));
}

/* An optional integer field within [min, max], else `dflt` when absent. */
static int int_field(json_t *req, const char *name, json_int_t min, json_int_t max,
		     json_int_t dflt, json_int_t *out, char *why, size_t size)
{
	json_t *v = json_object_get(req, name);

	*out = v ? json_integer_value(v) : dflt;
	if (*out < min || *out > max) {
		(void)snprintf(why, size, "field '%s' must be between %lld and %lld", name,
			       (long long)min, (long long)max);
		return -1;
	}
	return 0;
}

/* --- permissions ------------------------------------------------------------------ */

enum privilege { PRIV_AUDIT, PRIV_REVOKE_ANY };

/* uid 0, or a member of a role with the privilege. */
static bool peer_may(const struct jit_broker *b, struct jit_peer *peer, enum privilege p)
{
	struct jit_caller caller = jit_peer_caller(peer);

	if (peer->uid == 0)
		return true;
	for (size_t i = 0; i < b->cfg->n_roles; i++) {
		const struct jit_role *r = &b->cfg->roles[i];

		if ((p == PRIV_AUDIT ? r->audit : r->revoke_any) && jit_caller_in_role(&caller, r))
			return true;
	}
	return false;
}

bool jit_broker_may_verify(const struct jit_broker *b, struct jit_peer *peer)
{
	return peer_may(b, peer, PRIV_AUDIT);
}

static bool owns_grant(const struct jit_peer *peer, const struct jit_grant *g)
{
	return strcmp(g->user, peer->user) == 0 || strcmp(g->requested_by, peer->user) == 0;
}

static json_t *store_error(const char *what, const jit_error *err)
{
	log_error("%s: %s", what, err->msg);
	return error_fmt("internal", "%s: %s", what, err->msg);
}

/* --- ping and status ---------------------------------------------------------------- */

static const struct field no_fields[] = { { NULL, F_STRING, false, 0 } };

static json_t *op_ping(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_t *r = response_ok();

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

static json_t *op_status(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	time_t now = time(NULL);
	int64_t active = 0;
	json_t *r, *policies = json_array();
	jit_error err;

	(void)req;
	if (jit_store_count_active(b->store, now, &active, &err) != 0) {
		json_decref(policies);
		return store_error("counting grants", &err);
	}
	for (size_t i = 0; i < b->cfg->n_policies; i++)
		json_array_append_new(policies, json_string(b->cfg->policies[i].name));
	r = response_ok();
	json_object_set_new(r, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(r, "host", json_string(b->cfg->host));
	json_object_set_new(r, "firewall", json_string(jit_firewall_backend(b->fw)));
	json_object_set_new(r, "started", rfc3339_json(b->started));
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

/* --- request ---------------------------------------------------------------------- */

static const struct field request_fields[] = {
	{ "ports", F_STRINGS, true, JIT_REQUEST_PORTS_MAX },
	{ "from", F_STRING, false, JIT_CIDR_STRLEN },
	{ "duration", F_INT, false, 0 },
	{ "justification", F_STRING, false, JIT_JUSTIFICATION_MAX - 1 },
	{ "for", F_STRING, false, JIT_NAME_MAX - 1 },
	{ NULL, F_STRING, false, 0 },
};

static bool user_exists(const char *name)
{
	char buf[16384];
	struct passwd pw, *res = NULL;

	return getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res != NULL;
}

/* The request's fields as jit_decide() takes them; NULL or a bad_request. */
static json_t *parse_request(json_t *req, struct jit_request *out)
{
	json_t *ports = json_object_get(req, "ports"), *item;
	const char *from = str_field(req, "from");
	json_int_t duration = 0;
	char why[256];
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach(ports, i, item) {
		if (jit_portspec_parse(json_string_value(item), &out->ports[i]) != 0)
			return error_fmt("bad_request", "ports: '%s' is not PORT/tcp or PORT/udp",
					 json_string_value(item));
	}
	out->n_ports = json_array_size(ports);
	if (from != NULL) {
		if (jit_cidr_parse(from, &out->source) != 0)
			return error_fmt("bad_request", "from: '%s' is not an address or CIDR"
					 " (host bits must be zero)", from);
		out->has_source = true;
	}
	if (json_object_get(req, "duration") != NULL &&
	    int_field(req, "duration", 1, JIT_DURATION_MAX, 0, &duration, why, sizeof(why)) != 0)
		return jit_broker_error("bad_request", why);
	out->duration = duration;
	out->justification = str_field(req, "justification");
	out->for_user = str_field(req, "for");
	if (out->for_user != NULL && !user_exists(out->for_user))
		return error_fmt("bad_request", "for: no user named '%s'", out->for_user);
	return NULL;
}

static json_t *request_details(const struct jit_request *r)
{
	char from[JIT_CIDR_STRLEN] = "";

	if (r->has_source)
		jit_cidr_format(&r->source, from, sizeof(from));
	return json_pack("{s:o, s:s, s:o, s:s?}", "ports", ports_json(r->ports, r->n_ports),
			 "from", from, "duration",
			 r->duration > 0 ? json_integer((json_int_t)r->duration) : json_null(),
			 "justification", r->justification);
}

/* Policy names of the decision, each once, comma-separated. */
static void policy_names(const struct jit_decision *d, size_t n, char *buf, size_t size)
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

static void fill_grant(const struct jit_broker *b, const struct jit_peer *peer,
		       const struct jit_request *r, const struct jit_decision *d, time_t now,
		       struct jit_grant *g)
{
	memset(g, 0, sizeof(*g));
	(void)snprintf(g->user, sizeof(g->user), "%s", r->for_user ? r->for_user : peer->user);
	(void)snprintf(g->requested_by, sizeof(g->requested_by), "%s", peer->user);
	(void)snprintf(g->role, sizeof(g->role), "%s", d->role ? d->role->name : "root");
	policy_names(d, r->n_ports, g->policy, sizeof(g->policy));
	g->source = r->source;
	memcpy(g->ports, r->ports, r->n_ports * sizeof(r->ports[0]));
	g->n_ports = r->n_ports;
	(void)snprintf(g->host, sizeof(g->host), "%s", b->cfg->host);
	g->created = g->not_before = now;
	g->expires = now + d->duration;
	(void)snprintf(g->justification, sizeof(g->justification), "%s",
		       r->justification ? r->justification : "");
}

static int sign_ticket(const struct jit_broker *b, struct jit_grant *g, char **ticket,
		       jit_error *err)
{
	struct jit_claims c;

	memset(&c, 0, sizeof(c));
	(void)snprintf(c.iss, sizeof(c.iss), "%s", b->cfg->host);
	(void)snprintf(c.sub, sizeof(c.sub), "%s", g->user);
	(void)snprintf(c.aud, sizeof(c.aud), "%s", g->host);
	(void)snprintf(c.role, sizeof(c.role), "%s", g->role);
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

	if (jit_store_grant_revoke(b->store, g->id, "jitd", e.time, &e, &err) < 0)
		log_error("grant %lld could not be withdrawn after a firewall error: %s",
			  (long long)g->id, err.msg);
}

static void log_grant(const struct jit_grant *g)
{
	char from[JIT_CIDR_STRLEN], until[JIT_RFC3339_LEN];

	jit_cidr_format(&g->source, from, sizeof(from));
	(void)jit_rfc3339_format(g->expires, until);
	log_info("grant %lld: %s from %s, policy %s, role %s, requested by %s, until %s",
		 (long long)g->id, g->user, from, g->policy, g->role, g->requested_by, until);
}

static json_t *grant_and_sign(struct jit_broker *b, struct jit_peer *peer,
			      const struct jit_request *r, const struct jit_decision *d)
{
	struct jit_grant g;
	struct jit_audit_entry e = { .actor = peer->user, .action = "request",
				     .result = "granted" };
	time_t now = time(NULL);
	char *ticket = NULL;
	json_t *resp;
	jit_error err;

	json_t *remote = jit_broker_remote_json(peer);
	char *remote_text = remote ? json_dumps(remote, JSON_COMPACT) : NULL;
	int rc;

	json_decref(remote);
	fill_grant(b, peer, r, d, now, &g);
	if (sign_ticket(b, &g, &ticket, &err) != 0) {
		free(remote_text);
		return store_error("signing the ticket", &err);
	}
	e.time = now;
	e.subject = g.user;
	e.details = remote_text;
	rc = jit_store_grant_add(b->store, &g, &e, &err);
	free(remote_text);
	if (rc != 0) {
		free(ticket);
		count(b, &b->metrics.requests, "error", "store");
		return store_error("recording the grant", &err);
	}
	struct jit_fw_entry entry;

	jit_fw_entry_from_grant(&g, &entry);
	if (jit_firewall_open(b->fw, &entry, &err) != 0) {
		log_error("grant %lld: %s", (long long)g.id, err.msg);
		b->metrics.firewall_errors++;
		count(b, &b->metrics.requests, "error", "firewall");
		withdraw_grant(b, &g, err.msg);
		(void)jit_broker_reconcile(b, now);
		free(ticket);
		return error_fmt("internal", "the firewall could not be opened: %s", err.msg);
	}
	log_grant(&g);
	count(b, &b->metrics.requests, "granted", NULL);
	jit_broker_event(b, "grant", json_pack("{s:o}", "grant", jit_grant_json(&g, now)));
	resp = response_ok();
	json_object_set_new(resp, "ticket", json_string(ticket));
	json_object_set_new(resp, "grant", jit_grant_json(&g, now));
	free(ticket);
	return resp;
}

/* A remote request's source: the address jit-sshd saw, or a CIDR that holds
 * it. NULL, or the denial. */
static json_t *remote_source(struct jit_broker *b, struct jit_peer *peer, struct jit_request *r)
{
	char from[JIT_CIDR_STRLEN], seen[JIT_CIDR_STRLEN], reason[160];

	if (!r->has_source) {
		r->source.addr = peer->remote_address;
		r->source.prefix = peer->remote_address.family == AF_INET ? 32 : 128;
		r->has_source = true;
		return NULL;
	}
	if (jit_cidr_contains(&r->source, &peer->remote_address))
		return NULL;
	jit_cidr_format(&r->source, from, sizeof(from));
	jit_addr_format(&peer->remote_address, seen, sizeof(seen));
	(void)snprintf(reason, sizeof(reason), "from %s does not hold %s, the address the request"
		       " came from", from, seen);
	jit_broker_audit_denial(b, peer, "request", peer->user, reason,
				json_pack("{s:s, s:s}", "from", from, "denial", "source_not_observed"));
	count(b, &b->metrics.requests, "denied", "source_not_observed");
	jit_broker_event(b, "denial", json_pack("{s:s, s:s, s:s, s:s}", "user", peer->user,
						"code", "source_not_observed", "reason", reason,
						"from", from));
	return refusal("denied", "source_not_observed", reason);
}

static json_t *deny_request(struct jit_broker *b, struct jit_peer *peer,
			    const struct jit_request *r, const struct jit_decision *d)
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
	count(b, &b->metrics.requests, "denied", code);
	return refusal("denied", code, d->reason);
}

static void rate_text(const struct jit_rate_limit *lim, char *buf, size_t size)
{
	char period[32];

	jit_duration_format(lim->period, period, sizeof(period));
	(void)snprintf(buf, size, "%u per %s", lim->burst, period);
}

/* Takes a token for key; false, with the reason, when key is over the limit. */
static bool within_rate(struct jit_rate_table *t, const struct jit_rate_limit *lim,
			const char *key, const char *what, char *reason, size_t size)
{
	unsigned long overflows = t->overflows;
	char rate[64];

	if (jit_rate_take(t, lim, key, jit_monotonic_ms())) {
		if (t->overflows != overflows && (t->overflows & 1023) == 1)
			log_warn("rate limits: more than %d keys in use; new ones go unlimited (%lu so far)",
				 JIT_RATE_KEYS_MAX * 3 / 4, t->overflows);
		return true;
	}
	rate_text(lim, rate, sizeof(rate));
	(void)snprintf(reason, size, "%s: more than %s (%s)", what, rate, key);
	return false;
}

/* rate_requests, for the caller and for the source asked. NULL, or the denial. */
static json_t *request_rate(struct jit_broker *b, struct jit_peer *peer,
			    const struct jit_request *r)
{
	const struct jit_rate_limit *lim = &b->cfg->rate_requests;
	char key[JIT_RATE_KEY_MAX], reason[256];
	bool ok;

	if (peer->remote)
		(void)snprintf(key, sizeof(key), "user:%s", peer->user);
	else
		(void)snprintf(key, sizeof(key), "uid:%u", (unsigned)peer->uid);
	ok = within_rate(&b->request_rates, lim, key, "requests", reason, sizeof(reason));
	if (ok && r->has_source) {
		jit_rate_source_key(&r->source.addr, key, sizeof(key));
		ok = within_rate(&b->request_rates, lim, key, "requests", reason, sizeof(reason));
	}
	if (ok)
		return NULL;
	log_warn("request by %s refused: %s", peer->user, reason);
	jit_broker_audit_denial(b, peer, "request", r->for_user ? r->for_user : peer->user, reason,
				json_pack("{s:s}", "denial", "rate_limited"));
	count(b, &b->metrics.requests, "denied", "rate_limited");
	jit_broker_event(b, "denial", json_pack("{s:s, s:s, s:s}", "user", peer->user,
						"code", "rate_limited", "reason", reason));
	return refusal("denied", "rate_limited", reason);
}

static json_t *decide_request(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct jit_request r;
	struct jit_decision d;
	struct jit_caller caller = jit_peer_caller(peer);
	json_t *bad = parse_request(req, &r);

	if (bad != NULL)
		return bad;
	if (peer->remote && (bad = remote_source(b, peer, &r)) != NULL)
		return bad;
	if ((bad = request_rate(b, peer, &r)) != NULL)
		return bad;
	if (jit_decide(b->cfg, &caller, &r, &d) != JIT_GRANTED)
		return deny_request(b, peer, &r, &d);
	return grant_and_sign(b, peer, &r, &d);
}

static json_t *op_request(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	double start = jit_monotonic_seconds();
	json_t *resp = decide_request(b, peer, req);

	jit_metrics_observe_request(&b->metrics, jit_monotonic_seconds() - start);
	b->metrics_dirty = true;
	return resp;
}

/* --- list ---------------------------------------------------------------------------- */

static const struct field list_fields[] = {
	{ "all", F_BOOL, false, 0 },
	{ "active", F_BOOL, false, 0 },
	{ "limit", F_INT, false, 0 },
	{ NULL, F_STRING, false, 0 },
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

static json_t *op_list(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	bool all = json_is_true(json_object_get(req, "all"));
	struct jit_grant_filter f = { .user = all ? NULL : peer->user,
				      .active_only = json_is_true(json_object_get(req, "active")),
				      .now = time(NULL) };
	struct grants_out out = { json_array(), f.now };
	json_int_t limit;
	char why[128];
	jit_error err;
	json_t *r;

	if (int_field(req, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT, &limit, why,
		      sizeof(why)) != 0) {
		json_decref(out.array);
		return jit_broker_error("bad_request", why);
	}
	if (all && !peer_may(b, peer, PRIV_AUDIT)) {
		json_decref(out.array);
		jit_broker_audit_denial(b, peer, "list", NULL, "needs a role with audit", NULL);
		return refusal("denied", "not_auditor",
			       "listing everyone's grants needs uid 0 or a role with audit = yes");
	}
	f.limit = limit;
	if (jit_store_grants_each(b->store, &f, append_grant, &out, &err) != 0) {
		json_decref(out.array);
		return store_error("listing grants", &err);
	}
	r = response_ok();
	json_object_set_new(r, "grants", out.array);
	return r;
}

/* --- revoke ------------------------------------------------------------------------------- */

static const struct field revoke_fields[] = {
	{ "id", F_INT, true, 0 },
	{ NULL, F_STRING, false, 0 },
};

static json_t *op_revoke(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_int_t id = json_integer_value(json_object_get(req, "id"));
	time_t now = time(NULL);
	struct jit_audit_entry e = { .time = now, .actor = peer->user, .action = "revoke",
				     .result = "ok" };
	char details[64];
	struct jit_grant g;
	jit_error err;
	int rc = jit_store_grant_get(b->store, id, &g, &err);
	json_t *r;

	if (rc < 0)
		return store_error("reading the grant", &err);
	if (rc == 0)
		return refusal("not_found", "no_such_grant", "no grant with this id");
	if (!owns_grant(peer, &g) && !peer_may(b, peer, PRIV_REVOKE_ANY)) {
		jit_broker_audit_denial(b, peer, "revoke", g.user, "not the caller's grant",
					json_pack("{s:I}", "grant", id));
		return refusal("denied", "not_yours",
			       "this grant is not yours; revoking it needs a role with revoke_any = yes");
	}
	(void)snprintf(details, sizeof(details), "{\"grant\":%lld}", (long long)id);
	e.subject = g.user;
	e.details = details;
	rc = jit_store_grant_revoke(b->store, id, peer->user, now, &e, &err);
	if (rc < 0)
		return store_error("revoking the grant", &err);
	if (rc == 0)
		return error_fmt("not_active", "grant %lld is already %s", (long long)id,
				 jit_grant_state_name(jit_grant_state(&g, now)));
	r = response_ok();
	if (jit_firewall_close(b->fw, g.id, &err) != 0) {
		log_error("revoke %lld: %s; reconciling", (long long)id, err.msg);
		b->metrics.firewall_errors++;
		if (jit_broker_reconcile(b, now) != 0)
			json_object_set_new(r, "warning", json_sprintf(
				"the firewall could not be closed (%s): jitd retries every"
				" reconcile_interval, and the kernel closes the window at its"
				" expiry at the latest",
				err.msg));
	}
	log_info("grant %lld of %s revoked by %s", (long long)id, g.user, peer->user);
	g.revoked_at = now;
	(void)snprintf(g.revoked_by, sizeof(g.revoked_by), "%s", peer->user);
	json_object_set_new(r, "grant", jit_grant_json(&g, now));
	jit_broker_event(b, "revocation", json_pack("{s:o, s:s}", "grant", jit_grant_json(&g, now),
						    "by", peer->user));
	return r;
}

/* --- audit ----------------------------------------------------------------------------------- */

static const struct field audit_fields[] = {
	{ "since", F_STRING, false, 64 },
	{ "limit", F_INT, false, 0 },
	{ NULL, F_STRING, false, 0 },
};

/* An audit answer's entries, newest first while they are read, and how
 * many bytes they hold: the answer stops at AUDIT_ANSWER_MAX. */
struct entries_out {
	json_t *array;
	size_t bytes;
	bool cut;
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
	json_t *o;

	out->bytes += entry_bytes(e);
	if (out->bytes > AUDIT_ANSWER_MAX) {
		out->cut = true;
		return 1;
	}
	o = json_pack("{s:I, s:o, s:s, s:s, s:s?, s:s, s:s?, s:o*}", "id", (json_int_t)e->id,
		      "time", rfc3339_json(e->time), "actor", e->actor ? e->actor : "", "action",
		      e->action ? e->action : "", "subject", e->subject, "result",
		      e->result ? e->result : "", "reason", e->reason, "details",
		      details_json(e->details));
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

static json_t *op_audit(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	const char *since_text = str_field(req, "since");
	time_t since = time(NULL) - AUDIT_SINCE_DEFAULT;
	struct entries_out out = { NULL, 0, false };
	json_t *r;
	json_int_t limit;
	char why[128];
	jit_error err;

	if (since_text != NULL && jit_rfc3339_parse(since_text, &since) != 0)
		return error_fmt("bad_request", "since: '%s' is not an RFC 3339 time", since_text);
	if (int_field(req, "limit", 1, AUDIT_LIMIT_MAX, AUDIT_LIMIT_DEFAULT, &limit, why,
		      sizeof(why)) != 0)
		return jit_broker_error("bad_request", why);
	out.array = json_array();
	/* One more than asked tells whether older entries were left out. */
	if (jit_store_audit_each(b->store, since, peer_may(b, peer, PRIV_AUDIT) ? NULL : peer->user,
				 limit + 1, true, append_entry, &out, &err) != 0) {
		json_decref(out.array);
		return store_error("reading the audit log", &err);
	}
	if (json_array_size(out.array) > (size_t)limit) {
		json_array_remove(out.array, (size_t)limit);
		out.cut = true;
	}
	r = response_ok();
	json_object_set_new(r, "truncated", json_boolean(out.cut));
	json_object_set_new(r, "entries", oldest_first(out.array));
	return r;
}

/* --- verify (the PAM module's question) ----------------------------------------------------- */

static const struct field verify_fields[] = {
	{ "ticket", F_STRING, false, JIT_PASETO_MAX_TOKEN },
	{ "user", F_STRING, true, JIT_NAME_MAX - 1 },
	{ "from", F_STRING, true, JIT_CIDR_STRLEN },
	{ "port", F_STRING, true, JIT_PORTSPEC_STRLEN },
	{ NULL, F_STRING, false, 0 },
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
	count(b, &b->metrics.verifications, "refused", code);
	log_info("login of %s from %s refused: %s", l->want.user, l->from_text, reason);
	return refusal("refused", code, reason);
}

/* Counts the use and answers yes. */
static json_t *verify_accepted(struct jit_broker *b, struct jit_peer *peer,
			       const struct login *l, struct jit_grant *g)
{
	char details[160], port[JIT_PORTSPEC_STRLEN];
	struct jit_audit_entry e = { .time = l->want.now, .actor = peer->user, .action = "verify",
				     .subject = l->want.user, .result = "ok", .details = details };
	jit_error err;
	json_t *r;

	jit_portspec_format(&l->want.port, port, sizeof(port));
	(void)snprintf(details, sizeof(details), "{\"grant\":%lld,\"from\":\"%s\",\"port\":\"%s\"}",
		       (long long)g->id, l->from_text, port);
	if (jit_store_grant_use(b->store, g->id, l->want.now, &e, &err) != 0)
		return store_error("recording the ticket's use", &err);
	g->uses++;
	g->last_used = l->want.now;
	r = response_ok();
	json_object_set_new(r, "grant", jit_grant_json(g, l->want.now));
	count(b, &b->metrics.verifications, "accepted", NULL);
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
		return store_error("finding the ticket's grant", &err);
	if (rc == 0 || strcmp(g.user, c.sub) != 0)
		return verify_refused(b, peer, l, "unknown ticket", "unknown ticket: jitd has no"
				      " grant with this ticket id");
	if (jit_grant_state(&g, l->want.now) != JIT_GRANT_ACTIVE)
		return verify_refused(b, peer, l, jit_grant_state_name(jit_grant_state(&g, l->want.now)),
				      g.revoked_at ? "the ticket's grant was revoked"
						   : "the ticket's grant has expired");
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
	for (size_t i = 0; i < g->n_ports; i++) {
		if (jit_portspec_equal(&g->ports[i], &want->port)) {
			m->found = *g;
			m->matched = true;
			return 1;
		}
	}
	return 0;
}

/* Without a ticket: is there an active grant for this login? */
static json_t *verify_grant(struct jit_broker *b, struct jit_peer *peer, const struct login *l)
{
	struct jit_grant_filter f = { .user = l->want.user, .active_only = true,
				      .now = l->want.now };
	struct grant_match m = { .login = l };
	jit_error err;

	if (jit_store_grants_each(b->store, &f, match_grant, &m, &err) != 0)
		return store_error("finding an active grant", &err);
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
	if (!within_rate(&b->verify_rates, lim, key, "logins", reason, size))
		return false;
	(void)snprintf(key, sizeof(key), "user:%s", l->want.user);
	return within_rate(&b->verify_rates, lim, key, "logins", reason, size);
}

static json_t *op_verify(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct login l = { .want = { .user = str_field(req, "user"), .host = b->cfg->host,
				     .now = time(NULL), .skew = b->cfg->skew },
			   .from_text = str_field(req, "from") };
	const char *ticket = str_field(req, "ticket");
	const char *port = str_field(req, "port");
	char reason[256];

	if (!peer_may(b, peer, PRIV_AUDIT)) {
		jit_broker_audit_denial(b, peer, "verify", l.want.user, "needs uid 0 or the audit role",
					NULL);
		return refusal("denied", "not_auditor",
			       "verify is for the PAM module: it needs uid 0 or a role with audit = yes");
	}
	if (jit_addr_parse(l.from_text, &l.want.from) != 0)
		return error_fmt("bad_request", "from: '%s' is not a numeric address", l.from_text);
	if (jit_portspec_parse(port, &l.want.port) != 0)
		return error_fmt("bad_request", "port: '%s' is not PORT/tcp or PORT/udp", port);
	if (!verify_within_rate(b, &l, reason, sizeof(reason)))
		return verify_refused(b, peer, &l, "rate_limited", reason);
	return ticket ? verify_ticket(b, peer, &l, ticket) : verify_grant(b, peer, &l);
}

/* --- dispatch ---------------------------------------------------------------------------------- */

static const struct op ops[] = {
	{ "ping", no_fields, op_ping, true },
	{ "status", no_fields, op_status, true },
	{ "request", request_fields, op_request, true },
	{ "list", list_fields, op_list, true },
	{ "revoke", revoke_fields, op_revoke, true },
	{ "audit", audit_fields, op_audit, false },
	{ "verify", verify_fields, op_verify, false },
};

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

/* The operation a well-formed request names, or NULL with the error response. */
static const struct op *request_op(json_t *req, json_t **error)
{
	json_t *v = json_object_get(req, "v"), *name = json_object_get(req, "op");
	const struct op *op;
	char why[256];

	if (!json_is_object(req)) {
		*error = jit_broker_error("bad_request", "a request is a JSON object");
		return NULL;
	}
	if (v == NULL || !json_is_integer(v)) {
		*error = jit_broker_error("bad_request", "field 'v' (the protocol version, 1) is"
					  " missing or not an integer");
		return NULL;
	}
	if (json_integer_value(v) != JIT_PROTO_VERSION) {
		*error = error_fmt("bad_request", "protocol version %lld is not supported (1 is)",
				   (long long)json_integer_value(v));
		return NULL;
	}
	if (!json_is_string(name)) {
		*error = jit_broker_error("bad_request", "field 'op' is missing or not a string");
		return NULL;
	}
	op = find_op(json_string_value(name));
	if (op == NULL) {
		*error = error_fmt("bad_request", "unknown op '%.64s'", json_string_value(name));
		return NULL;
	}
	if (validate(op, req, why, sizeof(why)) != 0) {
		*error = jit_broker_error("bad_request", why);
		return NULL;
	}
	return op;
}

/* --- remote users ---------------------------------------------------------------------------- */

static const struct field remote_fields[] = {
	{ "user", F_STRING, true, JIT_NAME_MAX - 1 },
	{ "address", F_STRING, true, JIT_CIDR_STRLEN },
	{ "key", F_STRING, true, JIT_PEER_KEY_MAX - 1 },
	{ NULL, F_STRING, false, 0 },
};

bool jit_broker_is_front_door(const struct jit_broker *b, const struct jit_peer *peer)
{
	char buf[16384];
	struct passwd pw, *res = NULL;

	return b->cfg->sshd.user[0] != '\0' &&
	       getpwnam_r(b->cfg->sshd.user, &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
	       res->pw_uid == peer->uid;
}

/* The remote user of the request's "remote" object, as a peer of its own:
 * its name, no uid, no groups. NULL, or the error. */
static json_t *remote_peer(const struct jit_peer *caller, json_t *remote, struct jit_peer *out)
{
	static const struct op remote_op = { "remote", remote_fields, NULL, false };
	const char *user, *key;
	char why[256];

	if (!json_is_object(remote))
		return jit_broker_error("bad_request", "field 'remote' must be an object");
	if (validate(&remote_op, remote, why, sizeof(why)) != 0)
		return jit_broker_error("bad_request", why);
	user = str_field(remote, "user");
	key = str_field(remote, "key");
	memset(out, 0, sizeof(*out));
	if (!jit_config_valid_name(user))
		return error_fmt("bad_request", "remote: '%s' is not a valid user name", user);
	if (jit_addr_parse(str_field(remote, "address"), &out->remote_address) != 0)
		return error_fmt("bad_request", "remote: '%s' is not an address",
				 str_field(remote, "address"));
	for (const char *c = key; *c != '\0'; c++)
		if (*c <= ' ' || *c > '~')
			return jit_broker_error("bad_request", "remote: the key fingerprint must be"
						" printable ASCII");
	out->uid = (uid_t)-1;
	out->pid = caller->pid;
	out->remote = true;
	(void)snprintf(out->user, sizeof(out->user), "%s", user);
	(void)snprintf(out->remote_key, sizeof(out->remote_key), "%s", key);
	(void)snprintf(out->front_door, sizeof(out->front_door), "%s", caller->user);
	return NULL;
}

/* Moves the request's "remote" object, if any, into *as: who jit-sshd speaks
 * for. Only jit-sshd's user may; anyone else is denied and audited. */
static json_t *take_remote(struct jit_broker *b, struct jit_peer *caller, json_t *req,
			   struct jit_peer *as, bool *is_remote)
{
	json_t *remote = json_is_object(req) ? json_object_get(req, "remote") : NULL, *err;

	*is_remote = remote != NULL;
	if (remote == NULL)
		return NULL;
	if (!jit_broker_is_front_door(b, caller)) {
		log_info("%s (uid %lu) tried to speak for a remote user", caller->user,
			 (unsigned long)caller->uid);
		/* Nothing of the request is written: its text is the caller's. */
		jit_broker_audit_denial(b, caller, "remote", NULL,
					"only jit-sshd's user may speak for remote users", NULL);
		return refusal("denied", "not_front_door",
			       "only jit-sshd's user ([sshd] user) may speak for remote users");
	}
	err = remote_peer(caller, remote, as);
	if (err == NULL)
		json_object_del(req, "remote");
	return err;
}

json_t *jit_broker_handle(struct jit_broker *b, struct jit_peer *peer, const char *line,
			  size_t len, bool *bad)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *resp = NULL;
	const struct op *op;
	struct jit_peer remote;
	bool is_remote = false;

	*bad = true;
	if (req == NULL)
		return error_fmt("bad_request", "invalid JSON at column %d: %s", jerr.column,
				 jerr.text);
	/* A refused or malformed remote object counts as a bad request: three
	 * in a row close the connection. */
	resp = take_remote(b, peer, req, &remote, &is_remote);
	if (resp != NULL) {
		json_decref(req);
		return resp;
	}
	op = request_op(req, &resp);
	if (op != NULL && is_remote && !op->remote_ok) {
		resp = error_fmt("denied", "op '%s' is not available to remote users", op->name);
		op = NULL;
	}
	if (op != NULL) {
		*bad = false;
		resp = op->run(b, is_remote ? &remote : peer, req);
		if (resp == NULL)
			resp = jit_broker_error("internal", "out of memory");
	}
	json_decref(req);
	return resp;
}
