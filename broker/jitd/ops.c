/* SPDX-License-Identifier: ISC */
/* The socket protocol's dispatch: a request line checked against its
 * operation's field table before anything else looks at it, the remote
 * identities jit-sshd speaks for, and the helpers every operation answers
 * with (ops.h). The operations are in op_query.c, jit_op_request.c and
 * jit_op_verify.c. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "log.h"
#include "proto.h"
#include "timeutil.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- responses ---------------------------------------------------------------- */

json_t *jit_op_ok(void)
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

json_t *jit_op_error(const char *error, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return jit_broker_error(error, reason);
}

/* A refusal with its stable code, e.g. denied/source_not_allowed. */
json_t *jit_op_refusal(const char *error, const char *code, const char *reason)
{
	json_t *r = jit_broker_error(error, reason);

	json_object_set_new(r, "code", json_string(code));
	return r;
}

/* Counts into one of the broker's metrics. */
void jit_op_count(struct jit_broker *b, struct jit_counter *c, const char *result,
		  const char *reason)
{
	jit_metrics_count(c, result, reason);
	b->metrics_dirty = true;
}

/* --- validation ------------------------------------------------------------------ */

static bool has_control_char(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int check_string(const char *name, json_t *v, size_t max, jit_error *err)
{
	if (!json_is_string(v))
		return jit_error_set(err, "field '%s' must be a string", name);
	if (json_string_length(v) > max)
		return jit_error_set(err, "field '%s' is longer than %zu bytes", name, max);
	if (has_control_char(json_string_value(v)))
		return jit_error_set(err, "field '%s' contains a control character", name);
	return 0;
}

static int check_type(const struct field *f, json_t *v, jit_error *err)
{
	size_t i;
	json_t *item;

	switch (f->type) {
	case F_STRING:
		return check_string(f->name, v, f->max, err);
	case F_INT:
		if (json_is_integer(v))
			return 0;
		return jit_error_set(err, "field '%s' must be an integer", f->name);
	case F_BOOL:
		if (json_is_boolean(v))
			return 0;
		return jit_error_set(err, "field '%s' must be true or false", f->name);
	case F_STRINGS:
		if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > f->max) {
			return jit_error_set(err, "field '%s' must be an array of 1 to %zu strings",
				       f->name, f->max);
		}
		json_array_foreach(v, i, item)
			if (check_string(f->name, item, f->item_max ? f->item_max : 64, err) != 0)
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
int jit_op_validate(const struct op *op, json_t *req, jit_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(req, key, v) {
		const struct field *f;

		if (strcmp(key, "v") == 0 || strcmp(key, "op") == 0)
			continue;
		f = find_field(op->fields, key);
		if (f == NULL) {
			return jit_error_set(err, "op '%s' has no field '%.64s'", op->name, key);
		}
		if (check_type(f, v, err) != 0)
			return -1;
	}
	for (const struct field *f = op->fields; f->name != NULL; f++) {
		if (f->required && json_object_get(req, f->name) == NULL) {
			return jit_error_set(err, "op '%s' needs field '%s'", op->name, f->name);
		}
	}
	return 0;
}

const char *jit_op_str(json_t *req, const char *name)
{
	return json_string_value(json_object_get(req, name));
}

/* An optional integer field within [min, max], else `dflt` when absent. */
int jit_op_int(json_t *req, const char *name, json_int_t min, json_int_t max,
	       json_int_t dflt, json_int_t *out, jit_error *err)
{
	json_t *v = json_object_get(req, name);

	*out = v ? json_integer_value(v) : dflt;
	if (*out < min || *out > max) return jit_error_set(err, "field '%s' must be between %lld and %lld", name,
			       (long long)min, (long long)max);
	return 0;
}

/* --- permissions ------------------------------------------------------------------ */

/* uid 0, or a member of a role with the privilege. */
bool jit_op_peer_may(const struct jit_broker *b, struct jit_peer *peer, enum privilege p)
{
	struct jit_caller caller = jit_peer_caller(peer);

	if (peer->uid == 0)
		return true;
	for (size_t i = 0; i < b->cfg->n_roles; i++) {
		const struct jit_role *r = &b->cfg->roles[i];

		bool has = p == PRIV_AUDIT ? r->audit : p == PRIV_LOCK ? r->lock : r->revoke_any;

		if (has && jit_caller_in_role(&caller, r))
			return true;
	}
	return false;
}

bool jit_broker_may_verify(const struct jit_broker *b, struct jit_peer *peer)
{
	return jit_op_peer_may(b, peer, PRIV_AUDIT);
}

bool jit_op_owns_grant(const struct jit_peer *peer, const struct jit_grant *g)
{
	return strcmp(g->user, peer->user) == 0 || strcmp(g->requested_by, peer->user) == 0;
}

json_t *jit_op_ask_controller(const struct jit_broker *b, const char *what)
{
	const struct jit_controller_address *a = &b->cfg->controller.address[0];
	char reason[JIT_HOST_MAX * 3 + JIT_NAME_MAX + 256];
	bool v6 = strchr(a->host, ':') != NULL;

	(void)snprintf(reason, sizeof(reason), "%s is an enforcer: %s on its controller, %s@%s%s%s:%u"
		       " (jitctl --remote ... --host %s)", b->cfg->host, what, a->user, v6 ? "[" : "",
		       a->host, v6 ? "]" : "", a->port, b->cfg->host);
	return jit_op_refusal("denied", "ask_controller", reason);
}

json_t *jit_op_store_error(const char *what, const jit_error *err)
{
	log_error("%s: %s", what, err->msg);
	return jit_op_error("internal", "%s: %s", what, err->msg);
}

static void rate_text(const struct jit_rate_limit *lim, char *buf, size_t size)
{
	char period[32];

	jit_duration_format(lim->period, period, sizeof(period));
	(void)snprintf(buf, size, "%u per %s", lim->burst, period);
}

/* Takes a token for key; false, with the reason, when key is over the limit. */
bool jit_op_within_rate(struct jit_rate_table *t, const struct jit_rate_limit *lim,
			const char *key, const char *what, char *reason, size_t size)
{
	unsigned long overflows = t->overflows;

	if (jit_rate_take(t, lim, key, jit_monotonic_ms())) {
		if (t->overflows != overflows && (t->overflows & 1023) == 1)
			log_warn("rate limits: more than %d keys in use; new ones go unlimited (%lu so far)",
				 JIT_RATE_KEYS_MAX * 3 / 4, t->overflows);
		return true;
	}
	jit_op_over_rate_reason(lim, key, what, reason, size);
	return false;
}

void jit_op_over_rate_reason(const struct jit_rate_limit *lim, const char *key, const char *what,
			     char *reason, size_t size)
{
	char rate[64];

	rate_text(lim, rate, sizeof(rate));
	(void)snprintf(reason, size, "%s: more than %s (%s)", what, rate, key);
}

/* --- dispatch ---------------------------------------------------------------------------------- */

static const struct op ops[] = {
	{ "ping", jit_no_fields, jit_op_ping, true, false },
	{ "status", jit_no_fields, jit_op_status, true, false },
	{ "request", jit_request_fields, jit_op_request, true, false },
	{ "list", jit_list_fields, jit_op_list, true, false },
	{ "revoke", jit_revoke_fields, jit_op_revoke, true, false },
	{ "audit", jit_audit_fields, jit_op_audit, false, false },
	{ "verify", jit_verify_fields, jit_op_verify, false, false },
	{ "follow", jit_follow_fields, jit_op_follow, true, true },
	{ "ack", jit_ack_fields, jit_op_ack, true, true },
	{ "login", jit_login_fields, jit_op_login, true, true },
	{ "hosts", jit_no_fields, jit_op_hosts, true, false },
	{ "upstream", jit_no_fields, jit_op_upstream, false, false },
	{ "pending", jit_pending_fields, jit_op_pending, true, false },
	{ "approve", jit_review_fields, jit_op_approve, true, false },
	{ "deny", jit_review_fields, jit_op_deny, true, false },
	{ "request_status", jit_request_status_fields, jit_op_request_status, true, false },
	{ "policies", jit_no_fields, jit_op_policies, true, false },
	{ "explain", jit_explain_fields, jit_op_explain, false, false },
	{ "extend", jit_extend_fields, jit_op_extend, true, false },
	{ "lock", jit_lock_fields, jit_op_lock, false, false },
	{ "locks", jit_no_fields, jit_op_locks, false, false },
	{ "unlock", jit_unlock_fields, jit_op_unlock, false, false },
};

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

/* The operation a well-formed request names; NULL with the reason (a bad
 * request) in err. */
static const struct op *request_op(json_t *req, jit_error *err)
{
	json_t *v = json_object_get(req, "v"), *name = json_object_get(req, "op");
	const struct op *op;

	if (!json_is_object(req)) {
		jit_error_set(err, "a request is a JSON object");
		return NULL;
	}
	if (v == NULL || !json_is_integer(v)) {
		jit_error_set(err, "field 'v' (the protocol version, 1) is missing or not an integer");
		return NULL;
	}
	if (json_integer_value(v) != JIT_PROTO_VERSION) {
		jit_error_set(err, "protocol version %lld is not supported (1 is)",
			      (long long)json_integer_value(v));
		return NULL;
	}
	if (!json_is_string(name)) {
		jit_error_set(err, "field 'op' is missing or not a string");
		return NULL;
	}
	op = find_op(json_string_value(name));
	if (op == NULL) {
		jit_error_set(err, "unknown op '%.64s'", json_string_value(name));
		return NULL;
	}
	return jit_op_validate(op, req, err) == 0 ? op : NULL;
}

/* --- remote users ---------------------------------------------------------------------------- */

static const struct field remote_fields[] = {
	{ "user", F_STRING, false, JIT_NAME_MAX - 1, 0 },
	{ "host", F_STRING, false, JIT_HOST_MAX - 1, 0 },
	{ "address", F_STRING, true, JIT_CIDR_STRLEN, 0 },
	{ "key", F_STRING, true, JIT_PEER_KEY_MAX - 1, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

bool jit_peer_is_user(const struct jit_peer *peer, const char *name)
{
	char buf[16384];
	struct passwd pw, *res = NULL;

	return name[0] != '\0' && getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 &&
	       res != NULL && res->pw_uid == peer->uid;
}

bool jit_broker_is_front_door(const struct jit_broker *b, const struct jit_peer *peer)
{
	return jit_peer_is_user(peer, b->cfg->sshd.user);
}

/* The remote user of the request's "remote" object, as a peer of its own:
 * its name, no uid, no groups. -1 with the reason (a bad request) in err. */
static int remote_peer(const struct jit_peer *caller, json_t *remote, struct jit_peer *out,
		       jit_error *err)
{
	static const struct op remote_op = { "remote", remote_fields, NULL, false, false };
	const char *user, *host, *key;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(remote))
		return jit_error_set(err, "field 'remote' must be an object");
	if (jit_op_validate(&remote_op, remote, err) != 0)
		return -1;
	user = jit_op_str(remote, "user");
	host = jit_op_str(remote, "host");
	key = jit_op_str(remote, "key");
	if ((user == NULL) == (host == NULL))
		return jit_error_set(err, "remote: exactly one of user and host");
	if (user != NULL && !jit_config_valid_name(user))
		return jit_error_set(err, "remote: '%s' is not a valid user name", user);
	if (host != NULL && !jit_config_valid_host(host))
		return jit_error_set(err, "remote: '%.64s' is not a host id", host);
	if (jit_addr_parse(jit_op_str(remote, "address"), &out->remote_address) != 0)
		return jit_error_set(err, "remote: '%s' is not an address",
				     jit_op_str(remote, "address"));
	for (const char *c = key; *c != '\0'; c++)
		if (*c <= ' ' || *c > '~')
			return jit_error_set(err, "remote: the key fingerprint must be printable"
					     " ASCII");
	out->uid = (uid_t)-1;
	out->pid = caller->pid;
	out->remote = true;
	(void)snprintf(out->user, sizeof(out->user), "%s", user ? user : host);
	if (host != NULL)
		(void)snprintf(out->remote_host, sizeof(out->remote_host), "%s", host);
	(void)snprintf(out->remote_key, sizeof(out->remote_key), "%s", key);
	(void)snprintf(out->front_door, sizeof(out->front_door), "%s", caller->user);
	return 0;
}

/* Only jit-sshd's user may speak for a remote user: anyone else is denied
 * and audited, and nothing of the request is written (its text is the
 * caller's). */
static json_t *refuse_remote(struct jit_broker *b, const struct jit_peer *caller)
{
	log_info("%s (uid %lu) tried to speak for a remote user", caller->user,
		 (unsigned long)caller->uid);
	jit_broker_audit_denial(b, caller, "remote", NULL,
				"only jit-sshd's user may speak for remote users", NULL);
	return jit_op_refusal("denied", "not_front_door",
			      "only jit-sshd's user ([sshd] user) may speak for remote users");
}

/* The operation req names, run for as (the caller, or the remote user it
 * speaks for). */
static json_t *run_op(struct jit_broker *b, struct jit_peer *as, json_t *req, bool *bad)
{
	const struct op *op;
	jit_error err;
	json_t *resp;

	(void)json_object_del(req, "remote");
	op = request_op(req, &err);
	if (op == NULL)
		return jit_broker_error("bad_request", err.msg);
	if (as->remote && !op->remote_ok)
		return jit_op_error("denied", "op '%s' is not available to remote users", op->name);
	if (as->remote_host[0] != '\0' && !op->host_only)
		return jit_op_refusal("denied", "host_key", "a host's key (jit-host=) may only"
				      " follow that host's changes");
	if (as->remote_host[0] == '\0' && op->host_only)
		return jit_op_refusal("denied", "not_a_host", "follow, ack and login are an enforcer's,"
				      " through jit-sshd with its host's key (jit-host=)");
	*bad = false;
	/* A request's grants say when they end themselves (grant_one());
	 * whatever else an operation does, the timer reads anew. */
	if (op->run != jit_op_request)
		b->timer.reread = true;
	resp = op->run(b, as, req);
	return resp != NULL ? resp : jit_broker_error("internal", "out of memory");
}

json_t *jit_broker_handle(struct jit_broker *b, struct jit_peer *peer, const char *line,
			  size_t len, bool *bad)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *remote, *resp;
	struct jit_peer remote_user;
	jit_error err;

	*bad = true;
	if (req == NULL)
		return jit_op_error("bad_request", "invalid JSON at column %d: %s", jerr.column,
				    jerr.text);
	/* A refused or malformed remote object counts as a bad request: three
	 * in a row close the connection. */
	remote = json_is_object(req) ? json_object_get(req, "remote") : NULL;
	if (remote != NULL && !jit_broker_is_front_door(b, peer))
		resp = refuse_remote(b, peer);
	else if (remote != NULL && remote_peer(peer, remote, &remote_user, &err) != 0)
		resp = jit_broker_error("bad_request", err.msg);
	else
		resp = run_op(b, remote != NULL ? &remote_user : peer, req, bad);
	json_decref(req);
	return resp;
}
