/* SPDX-License-Identifier: ISC */
/* Approvals: a request whose policies want them is recorded as pending;
 * reviewers approve or deny it (pending, approve, deny); the last approval
 * decides it again for its requester and grants it, the window counted
 * from then; the requester learns of it through request_status (with a
 * wait, the answer is held until it is decided). Break-glass requests open
 * at once and wait for their review after the fact. */
#include "config.h"

#include "approval.h"
#include "broker.h"
#include "log.h"
#include "ops.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest one request_status may wait: below the socket's idle limit
 * and the client's own timeout. */
#define AWAIT_MS_MAX 8000
/* Open requests one pending answer shows at most. */
#define PENDING_LIST_MAX 200

const struct field jit_pending_fields[] = {
	{ NULL, F_STRING, false, 0, 0 },
};

const struct field jit_review_fields[] = {
	{ "id", F_INT, true, 0, 0 },
	{ "reason", F_STRING, false, JIT_REVIEW_REASON_MAX - 1, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

const struct field jit_request_status_fields[] = {
	{ "id", F_INT, true, 0, 0 },
	{ "wait", F_INT, false, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* --- what a request shows ------------------------------------------------------------ */

static int approvals_given(const struct jit_access_request *ar)
{
	int n = 0;

	for (size_t i = 0; i < ar->n_reviews; i++)
		n += ar->reviews[i].approve;
	return n;
}

static json_t *reviews_json(const struct jit_access_request *ar)
{
	json_t *a = json_array();

	for (size_t i = 0; i < ar->n_reviews; i++) {
		const struct jit_review *rv = &ar->reviews[i];

		json_array_append_new(a, json_pack("{s:s, s:b, s:s, s:s, s:o}", "reviewer", rv->reviewer,
						   "remote", rv->remote, "verdict",
						   rv->approve ? "approve" : "deny", "reason", rv->reason,
						   "time", jit_rfc3339_json(rv->time)));
	}
	return a;
}

static json_t *approvers_json(const struct jit_approval_rule *rule)
{
	char text[2048];
	json_t *a = json_array();
	const char *p = text;

	jit_approvers_text(rule, text, sizeof(text));
	while (*p != '\0') {
		const char *end = strstr(p, ", ");
		size_t len = end ? (size_t)(end - p) : strlen(p);

		json_array_append_new(a, json_stringn(p, len));
		p += len + (end ? 2 : 0);
	}
	return a;
}

/* The request as answers and events show it; viewer (may be NULL) gets
 * "mine" and "may_review". */
static json_t *request_json(const struct jit_broker *b, const struct jit_access_request *ar,
			    struct jit_peer *viewer)
{
	json_t *fields = json_loads(ar->request, 0, NULL), *o;
	struct jit_approval_rule rule;
	char missing[JIT_NAME_MAX];

	if (jit_approval_rule(b->cfg, ar->policy, &rule, missing, sizeof(missing)) != 0)
		rule.n = 0;
	o = json_pack("{s:I, s:s, s:s, s:s, s:b, s:O?, s:O?, s:O?, s:O?, s:O?, s:s, s:i, s:i,"
		      " s:o, s:o, s:o, s:o, s:o}",
		      "id", (json_int_t)ar->id, "state", jit_request_state_name(ar->state),
		      "user", ar->user, "requested_by", ar->requested_by,
		      "remote", ar->requester_uid < 0,
		      "ports", json_object_get(fields, "ports"), "hosts", json_object_get(fields, "hosts"),
		      "from", json_object_get(fields, "from"),
		      "duration", json_object_get(fields, "duration"),
		      "justification", json_object_get(fields, "justification"),
		      "policy", ar->policy, "approvals", ar->approvals, "approved", approvals_given(ar),
		      "approvers", approvers_json(&rule), "reviews", reviews_json(ar),
		      "created", jit_rfc3339_json(ar->created), "expires",
		      jit_rfc3339_json(ar->expires), "decided", jit_rfc3339_json(ar->decided));
	/* An extension's: the grant it extends. */
	if (o != NULL && json_is_integer(json_object_get(fields, "extend")))
		json_object_set(o, "extend", json_object_get(fields, "extend"));
	json_decref(fields);
	if (o == NULL)
		return NULL;
	if (ar->reason[0] != '\0')
		json_object_set_new(o, "reason", json_string(ar->reason));
	if (viewer != NULL) {
		struct jit_caller caller = jit_peer_caller(viewer);
		bool own = jit_is_own_request(&caller, ar->requested_by, ar->requester_uid < 0,
					      ar->user);

		json_object_set_new(o, "mine", json_boolean(own));
		json_object_set_new(o, "may_review",
				    json_boolean(jit_may_review(&rule, &caller) &&
						 (!own || rule.self_approve)));
	}
	return o;
}

/* An event about the request: its state, requester, reviewers, reasons. */
static void request_event(struct jit_broker *b, const char *event,
			  const struct jit_access_request *ar)
{
	jit_broker_event(b, event, json_pack("{s:o?}", "request", request_json(b, ar, NULL)));
}

/* --- recording a request ---------------------------------------------------------------- */

static char *remote_text(const struct jit_peer *peer)
{
	json_t *remote = jit_broker_remote_json(peer);
	char *text = remote ? json_dumps(remote, JSON_COMPACT) : NULL;

	json_decref(remote);
	return text;
}

/* What the audit entry of a recorded request holds: its fields, and who
 * jit-sshd spoke for. */
static char *request_details(const struct jit_peer *peer, json_t *fields)
{
	json_t *d = json_deep_copy(fields);
	char *text;

	if (d == NULL)
		return NULL;
	json_object_set_new(d, "remote", jit_broker_remote_json(peer));
	if (json_is_null(json_object_get(d, "remote")))
		(void)json_object_del(d, "remote");
	text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return text;
}

static void fill_request(struct jit_access_request *ar, const struct jit_peer *peer,
			 const struct jit_request *r, const char *policies, time_t now)
{
	memset(ar, 0, sizeof(*ar));
	(void)snprintf(ar->user, sizeof(ar->user), "%s", r->for_user ? r->for_user : peer->user);
	(void)snprintf(ar->requested_by, sizeof(ar->requested_by), "%s", peer->user);
	ar->requester_uid = peer->remote ? -1 : (int64_t)peer->uid;
	(void)snprintf(ar->policy, sizeof(ar->policy), "%s", policies);
	ar->created = now;
}

/* Records the request in state (pending, or break_glass with result) and
 * audits it with result `audit_result`; 0, or -1 with err. */
static int record_request(struct jit_broker *b, const struct jit_peer *peer, json_t *req,
			  struct jit_access_request *ar, const char *audit_result, jit_error *err)
{
	json_t *fields = json_deep_copy(req);
	char *details;
	struct jit_audit_entry e = { .time = ar->created, .actor = peer->user,
				     .action = "request", .subject = ar->user,
				     .result = audit_result };
	int rc = -1;

	if (fields == NULL)
		return jit_error_set(err, "out of memory");
	(void)json_object_del(fields, "op");
	(void)json_object_del(fields, "v");
	(void)json_object_del(fields, "break_glass");
	ar->request = json_dumps(fields, JSON_COMPACT);
	ar->remote = remote_text(peer);
	details = request_details(peer, fields);
	e.details = details;
	if (ar->request == NULL || details == NULL)
		jit_error_set(err, "out of memory");
	else
		rc = jit_store_request_add(b->store, ar, &e, err);
	b->timer.reread = true;	/* it lapses on the timer */
	free(details);
	json_decref(fields);
	return rc;
}

static json_t *hold_request(struct jit_broker *b, struct jit_peer *peer, json_t *req,
			    const struct jit_request *r, const char *policies,
			    const struct jit_approval_rule *rule)
{
	struct jit_access_request ar;
	time_t now = time(NULL);
	jit_error err;
	json_t *resp;

	fill_request(&ar, peer, r, policies, now);
	ar.state = JIT_REQ_PENDING;
	ar.approvals = rule->approvals;
	ar.expires = now + rule->ttl;
	if (record_request(b, peer, req, &ar, "pending", &err) != 0) {
		jit_access_request_clear(&ar);
		jit_op_count(b, &b->metrics.requests, "error", "store");
		return jit_op_store_error("recording the request", &err);
	}
	log_info("request %lld by %s for %s: pending, %d approval%s needed (policy %s)",
		 (long long)ar.id, peer->user, ar.user, ar.approvals, ar.approvals == 1 ? "" : "s",
		 policies);
	jit_op_count(b, &b->metrics.requests, "pending", NULL);
	request_event(b, "pending", &ar);
	resp = jit_op_ok();
	json_object_set_new(resp, "pending", request_json(b, &ar, peer));
	jit_access_request_clear(&ar);
	return resp;
}

/* A refusal of a break-glass request, audited and sent as an event. */
static json_t *refuse_break_glass(struct jit_broker *b, struct jit_peer *peer,
				  const char *code, const char *reason)
{
	jit_broker_audit_denial(b, peer, "request", peer->user, reason,
				json_pack("{s:s, s:b}", "denial", code, "break_glass", 1));
	jit_op_count(b, &b->metrics.requests, "denied", code);
	jit_broker_event(b, "denial", json_pack("{s:s, s:s, s:s}", "user", peer->user, "code", code,
						"reason", reason));
	return jit_op_refusal("denied", code, reason);
}

static json_t *check_break_glass(struct jit_broker *b, struct jit_peer *peer,
				 const struct jit_request *r, const struct jit_approval_rule *rule)
{
	char reason[256];

	for (size_t i = 0; i < rule->n; i++)
		if (!rule->policies[i]->break_glass) {
			(void)snprintf(reason, sizeof(reason), "policy %s does not allow break-glass"
				       " requests (break_glass = no)", rule->policies[i]->name);
			return refuse_break_glass(b, peer, "break_glass_not_allowed", reason);
		}
	if (r->justification == NULL || r->justification[0] == '\0')
		return refuse_break_glass(b, peer, "justification_required",
					  "a break-glass request needs a justification");
	return NULL;
}

json_t *jit_review_gate(struct jit_broker *b, struct jit_peer *peer, json_t *req,
			const struct jit_request *r, const char *policies, bool *break_glass)
{
	struct jit_approval_rule rule;
	char missing[JIT_NAME_MAX];

	*break_glass = false;
	/* uid 0 may grant itself anything a policy guards: approvals would
	 * only slow it down. */
	if (!peer->remote && peer->uid == 0)
		return NULL;
	if (jit_approval_rule(b->cfg, policies, &rule, missing, sizeof(missing)) != 0)
		return jit_op_error("internal", "policy '%s' vanished while deciding", missing);
	if (rule.approvals == 0)
		return NULL;
	if (json_is_true(json_object_get(req, "break_glass"))) {
		json_t *refused = check_break_glass(b, peer, r, &rule);

		*break_glass = refused == NULL;
		return refused;
	}
	return hold_request(b, peer, req, r, policies, &rule);
}

void jit_review_break_glass(struct jit_broker *b, struct jit_peer *peer, json_t *req,
			    const struct jit_request *r, const char *policies, json_t *resp)
{
	struct jit_access_request ar;
	jit_error err;
	json_t *grants = json_object_get(resp, "grants");

	if (!json_is_true(json_object_get(resp, "ok")))
		return;
	fill_request(&ar, peer, r, policies, time(NULL));
	ar.state = JIT_REQ_BREAK_GLASS;
	ar.approvals = 1;
	ar.expires = ar.created;
	ar.result = json_dumps(grants, JSON_COMPACT);
	if (ar.result == NULL || record_request(b, peer, req, &ar, "break_glass", &err) != 0) {
		/* The grants stand, and their own audit entries say so. */
		log_error("break-glass grant for %s: its review could not be recorded: %s",
			  ar.user, ar.result ? err.msg : "out of memory");
	} else {
		log_warn("request %lld: BREAK-GLASS by %s for %s (policy %s): opened without"
			 " approval, waiting for its review", (long long)ar.id, peer->user, ar.user,
			 policies);
		json_object_set_new(resp, "break_glass", json_integer((json_int_t)ar.id));
		request_event(b, "break_glass", &ar);
	}
	jit_access_request_clear(&ar);
}

/* --- the requester's answer ----------------------------------------------------------------- */

/* An approved request's grants, each applied when its host acked it (the
 * acks still missing from connected hosts into b->wait, for the server to
 * wait for). */
static json_t *settled_grants(struct jit_broker *b, const char *result)
{
	json_t *grants = json_loads(result, 0, NULL), *g;
	size_t i;

	if (!json_is_array(grants)) {
		json_decref(grants);
		return json_array();
	}
	json_array_foreach(grants, i, g) {
		const char *host = json_string_value(json_object_get(g, "host"));
		json_int_t seq = json_integer_value(json_object_get(g, "seq"));

		if (host == NULL || json_is_true(json_object_get(g, "applied")))
			continue;
		if (jit_broker_host_acked(b, host, seq)) {
			json_object_set_new(g, "applied", json_true());
			(void)json_object_del(g, "pending");
		} else {
			json_object_set_new(g, "pending",
					    jit_pending_json(host, jit_broker_expect_ack_seq(b, host, seq)));
		}
	}
	return grants;
}

/* The answer to request_status: the request, and once granted (to its
 * requester or uid 0) the grants with their tickets, as a request's answer
 * has them. */
static json_t *status_answer(struct jit_broker *b, const struct jit_access_request *ar,
			     struct jit_peer *peer)
{
	json_t *resp = jit_op_ok(), *grants;

	json_object_set_new(resp, "request", request_json(b, ar, peer));
	if (ar->result == NULL || ar->state == JIT_REQ_DENIED)
		return resp;
	grants = settled_grants(b, ar->result);
	if (json_array_size(grants) == 1) {
		json_object_set(resp, "ticket", json_object_get(json_array_get(grants, 0), "ticket"));
		json_object_set(resp, "grant", json_object_get(json_array_get(grants, 0), "grant"));
	}
	json_object_set_new(resp, "grants", grants);
	return resp;
}

static bool may_see_tickets(const struct jit_access_request *ar, struct jit_peer *peer)
{
	bool remote = ar->requester_uid < 0;

	if (!peer->remote && peer->uid == 0)
		return true;
	return peer->remote == remote && strcmp(peer->user, ar->requested_by) == 0;
}

/* --- expiry ------------------------------------------------------------------------------ */

static void request_expired(const struct jit_access_request *ar, void *ctx)
{
	struct jit_broker *b = ctx;

	log_info("request %lld by %s expired: nobody decided before its request_ttl",
		 (long long)ar->id, ar->requested_by);
	b->decisions++;
	request_event(b, "expired_request", ar);
}

void jit_broker_expire_requests(struct jit_broker *b, time_t now)
{
	jit_error err;

	if (jit_store_requests_expire_due(b->store, now, request_expired, b, &err) < 0)
		log_error("marking lapsed requests: %s", err.msg);
}

int jit_broker_next_request_expiry(struct jit_broker *b, time_t *when)
{
	jit_error err;
	int rc = jit_store_next_request_expiry(b->store, when, &err);

	if (rc < 0)
		log_error("%s", err.msg);
	return rc;
}

/* 1 and the request (expired first when its time passed), 0 with the
 * answer in *resp when there is none or the store failed. */
static int load_request(struct jit_broker *b, int64_t id, struct jit_access_request *ar,
			time_t now, json_t **resp)
{
	jit_error err;
	int rc = jit_store_request_get(b->store, id, ar, &err);

	if (rc < 0) {
		*resp = jit_op_store_error("reading the request", &err);
		return 0;
	}
	if (rc == 0) {
		*resp = jit_op_refusal("not_found", "no_such_request", "no request with this id");
		return 0;
	}
	if (ar->state == JIT_REQ_PENDING && ar->expires <= now) {
		jit_access_request_clear(ar);
		jit_broker_expire_requests(b, now);
		return load_request(b, id, ar, now, resp);
	}
	return 1;
}

json_t *jit_broker_request_answer(struct jit_broker *b, const struct jit_peer *peer, int64_t id,
				  bool *decided)
{
	struct jit_access_request ar;
	struct jit_peer viewer = *peer;
	json_t *resp;

	*decided = true;
	if (!load_request(b, id, &ar, time(NULL), &resp))
		return resp;
	*decided = ar.state != JIT_REQ_PENDING;
	resp = status_answer(b, &ar, &viewer);
	jit_access_request_clear(&ar);
	return resp;
}

bool jit_broker_take_await(struct jit_broker *b, int64_t *id, int64_t *ms, struct jit_peer *peer)
{
	if (!b->await.set)
		return false;
	b->await.set = false;
	*id = b->await.id;
	*ms = b->await.ms;
	*peer = b->await.peer;
	return true;
}

json_t *jit_op_request_status(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_int_t id = json_integer_value(json_object_get(req, "id")), wait = 0;
	struct jit_access_request ar;
	jit_error err;
	json_t *resp;

	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "ask about a request");
	if (jit_op_int(req, "wait", 0, AWAIT_MS_MAX, 0, &wait, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	if (!load_request(b, id, &ar, time(NULL), &resp))
		return resp;
	if (!may_see_tickets(&ar, peer)) {
		jit_access_request_clear(&ar);
		return jit_op_refusal("denied", "not_yours", "this request is not yours");
	}
	resp = status_answer(b, &ar, peer);
	if (ar.state == JIT_REQ_PENDING && wait > 0) {
		b->await.set = true;
		b->await.id = id;
		b->await.ms = wait;
		b->await.peer = *peer;
	}
	jit_access_request_clear(&ar);
	return resp;
}

/* --- pending ------------------------------------------------------------------------------ */

struct pending_out {
	struct jit_broker *b;
	struct jit_peer *peer;
	bool everyone;			/* uid 0 and audit roles see every request */
	json_t *list;
};

static int add_open(const struct jit_access_request *ar, void *ctx)
{
	struct pending_out *out = ctx;
	json_t *o = request_json(out->b, ar, out->peer);

	if (o == NULL)
		return -1;
	if (out->everyone || json_is_true(json_object_get(o, "mine")) ||
	    json_is_true(json_object_get(o, "may_review")))
		json_array_append_new(out->list, o);
	else
		json_decref(o);
	return 0;
}

json_t *jit_op_pending(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct pending_out out = { b, peer, jit_op_peer_may(b, peer, PRIV_AUDIT), json_array() };
	jit_error err;
	json_t *resp;

	(void)req;
	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "review requests");
	jit_broker_expire_requests(b, time(NULL));
	if (jit_store_requests_open_each(b->store, PENDING_LIST_MAX, add_open, &out, &err) != 0) {
		json_decref(out.list);
		return jit_op_store_error("reading open requests", &err);
	}
	resp = jit_op_ok();
	json_object_set_new(resp, "requests", out.list);
	return resp;
}

/* --- approve and deny --------------------------------------------------------------------- */

static const char *text_or_empty(json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL ? s : "";
}

/* The requester as the request recorded them, to decide again for: a
 * local user by uid (their groups as they are now), or jit-sshd's remote
 * identity. -1 with the reason when the account changed. */
static int requester_peer(const struct jit_access_request *ar, struct jit_peer *p,
			  jit_error *err)
{
	json_t *remote;
	const char *addr;

	if (ar->requester_uid >= 0) {
		jit_peer_from_uid((uid_t)ar->requester_uid, p);
		if (strcmp(p->user, ar->requested_by) != 0)
			return jit_error_set(err, "uid %lld is no longer %s",
					     (long long)ar->requester_uid, ar->requested_by);
		return 0;
	}
	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->remote = true;
	(void)snprintf(p->user, sizeof(p->user), "%s", ar->requested_by);
	remote = ar->remote ? json_loads(ar->remote, 0, NULL) : NULL;
	addr = json_string_value(json_object_get(remote, "address"));
	if (addr == NULL || jit_addr_parse(addr, &p->remote_address) != 0) {
		json_decref(remote);
		return jit_error_set(err, "the request's remote address is missing");
	}
	(void)snprintf(p->remote_key, sizeof(p->remote_key), "%s",
		       text_or_empty(json_object_get(remote, "key")));
	(void)snprintf(p->front_door, sizeof(p->front_door), "%s",
		       text_or_empty(json_object_get(remote, "via")));
	json_decref(remote);
	return 0;
}

/* The grants' answer without their tickets: what the approver sees. */
static json_t *without_tickets(json_t *grants)
{
	json_t *copy = json_deep_copy(grants), *g;
	size_t i;

	json_array_foreach(copy, i, g) {
		(void)json_object_del(g, "ticket");
	}
	return copy;
}

/* The last approval came: decided again for the requester and granted
 * now; the request marked failed when that is refused. The approver's
 * answer. */
static json_t *grant_request(struct jit_broker *b, struct jit_peer *reviewer,
			     struct jit_access_request *ar, time_t now)
{
	struct jit_peer requester;
	json_t *fields = json_loads(ar->request, 0, NULL), *grant, *resp;
	char *result;
	jit_error err;

	if (fields == NULL || requester_peer(ar, &requester, &err) != 0)
		grant = jit_op_error("internal", "%s",
				     fields == NULL ? "the request's fields are unreadable" : err.msg);
	else if (json_object_get(fields, "extend") != NULL)
		grant = jit_extend_approved(b, &requester, fields);
	else
		grant = jit_request_grant_approved(b, &requester, fields);
	json_decref(fields);
	b->decisions++;
	if (!json_is_true(json_object_get(grant, "ok"))) {
		const char *why = json_string_value(json_object_get(grant, "reason"));

		(void)snprintf(ar->reason, sizeof(ar->reason), "approved, but no longer granted: %s",
			       why ? why : "(no reason)");
		(void)jit_store_request_move(b->store, ar->id, JIT_REQ_APPROVED, JIT_REQ_FAILED, now,
					     ar->reason, NULL, NULL, &err);
		ar->state = JIT_REQ_FAILED;
		log_info("request %lld: %s", (long long)ar->id, ar->reason);
		request_event(b, "denied", ar);
		return grant;
	}
	result = json_dumps(json_object_get(grant, "grants"), JSON_COMPACT);
	if (result == NULL || jit_store_request_move(b->store, ar->id, JIT_REQ_APPROVED,
						     JIT_REQ_APPROVED, now, NULL, result, NULL,
						     &err) != 1)
		log_error("request %lld: its grants could not be kept for its requester: %s",
			  (long long)ar->id, result ? err.msg : "out of memory");
	free(result);
	log_info("request %lld of %s approved by %s: granted", (long long)ar->id, ar->requested_by,
		 reviewer->user);
	request_event(b, "approved", ar);
	resp = jit_op_ok();
	json_object_set_new(resp, "request", request_json(b, ar, reviewer));
	json_object_set_new(resp, "grants", without_tickets(json_object_get(grant, "grants")));
	json_decref(grant);
	return resp;
}

/* A break-glass grant denied after the fact: its windows closed. */
static void revoke_break_glass(struct jit_broker *b, struct jit_peer *reviewer,
			       const struct jit_access_request *ar, time_t now)
{
	json_t *grants = json_loads(ar->result ? ar->result : "[]", 0, NULL), *g;
	size_t i;

	json_array_foreach(grants, i, g) {
		struct jit_grant grant;
		json_int_t id = json_integer_value(json_object_get(json_object_get(g, "grant"), "id"));
		jit_error err;

		if (jit_store_grant_get(b->store, id, &grant, &err) == 1)
			json_decref(jit_revoke_grant(b, reviewer, &grant, false, now));
	}
	json_decref(grants);
}

/* Whether the caller may give this verdict: NULL, else the refusal. */
static json_t *review_refusal(struct jit_broker *b, struct jit_peer *peer,
			      const struct jit_access_request *ar, bool approve)
{
	struct jit_caller caller = jit_peer_caller(peer);
	struct jit_approval_rule rule;
	char missing[JIT_NAME_MAX];
	bool own = jit_is_own_request(&caller, ar->requested_by, ar->requester_uid < 0, ar->user);
	bool root = !peer->remote && peer->uid == 0;

	if (ar->state != JIT_REQ_PENDING && ar->state != JIT_REQ_BREAK_GLASS)
		return jit_op_refusal("denied", "decided", ar->state == JIT_REQ_REVIEWED
				      ? "this request was reviewed already"
				      : "this request is decided already");
	if (jit_approval_rule(b->cfg, ar->policy, &rule, missing, sizeof(missing)) != 0 && approve)
		return jit_op_error("denied", "policy %s of this request is no longer configured:"
				    " it can only be denied", missing);
	/* Denying only closes: the requester may withdraw, uid 0 may stop it. */
	if (!approve && (own || root))
		return NULL;
	if (approve && own && !rule.self_approve)
		return jit_op_refusal("denied", "self_approval",
				      "your own request needs someone else's approval");
	if (!jit_may_review(&rule, &caller)) {
		char who[1024];

		jit_approvers_text(&rule, who, sizeof(who));
		return jit_op_error("denied", "you are not among this request's approvers (%s)",
				    who[0] ? who : "none");
	}
	return NULL;
}

/* The approvals the request needs: the policies as they are now, since a
 * reload may have raised the count. */
static int approvals_needed(struct jit_broker *b, const struct jit_access_request *ar)
{
	struct jit_approval_rule rule;
	char missing[JIT_NAME_MAX];

	if (jit_approval_rule(b->cfg, ar->policy, &rule, missing, sizeof(missing)) == 0 &&
	    rule.approvals > ar->approvals)
		return rule.approvals;
	return ar->approvals;
}

/* The review's refusal when the store wrote nothing. */
static json_t *review_not_written(enum jit_review_result rc, const jit_error *err)
{
	if (rc == JIT_REVIEW_ERROR)
		return jit_op_store_error("recording the review", err);
	if (rc == JIT_REVIEW_DECIDED)
		return jit_op_refusal("denied", "decided", "this request was decided meanwhile");
	return jit_op_refusal("denied", "reviewed", "you have reviewed this request already");
}

static json_t *review(struct jit_broker *b, struct jit_peer *peer, json_t *req, bool approve)
{
	json_int_t id = json_integer_value(json_object_get(req, "id"));
	const char *reason = jit_op_str(req, "reason");
	time_t now = time(NULL);
	struct jit_access_request ar;
	struct jit_review rv = { .remote = peer->remote, .approve = approve, .time = now };
	struct jit_audit_entry e = { .time = now, .actor = peer->user,
				     .action = approve ? "approve" : "deny", .result = "ok" };
	enum jit_request_state from, to = JIT_REQ_PENDING;
	enum jit_review_result rc;
	int approved = 0, needed;
	jit_error err;
	json_t *resp;

	if (!approve && (reason == NULL || reason[0] == '\0'))
		return jit_broker_error("bad_request", "a denial needs a reason");
	if (!load_request(b, id, &ar, now, &resp))
		return resp;
	resp = review_refusal(b, peer, &ar, approve);
	if (resp != NULL) {
		jit_broker_audit_denial(b, peer, e.action, ar.user,
					json_string_value(json_object_get(resp, "reason")),
					json_pack("{s:I}", "request", id));
		jit_access_request_clear(&ar);
		return resp;
	}
	(void)snprintf(rv.reviewer, sizeof(rv.reviewer), "%s", peer->user);
	jit_audit_clean(reason ? reason : "", rv.reason, sizeof(rv.reason));
	from = ar.state;
	needed = approvals_needed(b, &ar);
	e.subject = ar.user;
	e.reason = rv.reason[0] ? rv.reason : NULL;
	rc = jit_store_request_review(b->store, id, &rv, from, needed, &e, &to, &approved, &err);
	jit_access_request_clear(&ar);
	if (rc != JIT_REVIEW_WRITTEN)
		return review_not_written(rc, &err);
	/* As written, with what other reviewers gave meanwhile. */
	if (!load_request(b, id, &ar, now, &resp))
		return resp;
	ar.state = to;
	log_info("request %lld of %s: %s by %s (%d of %d approvals)", (long long)id,
		 ar.requested_by, approve ? "approved" : "denied", peer->user, approved, needed);
	if (to == JIT_REQ_APPROVED) {
		resp = grant_request(b, peer, &ar, now);
		jit_access_request_clear(&ar);
		return resp;
	}
	if (to != from) {
		b->decisions++;
		if (from == JIT_REQ_BREAK_GLASS && to == JIT_REQ_DENIED)
			revoke_break_glass(b, peer, &ar, now);
		request_event(b, approve ? "approved" : "denied", &ar);
	}
	resp = jit_op_ok();
	json_object_set_new(resp, "request", request_json(b, &ar, peer));
	jit_access_request_clear(&ar);
	return resp;
}

json_t *jit_op_approve(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "review requests");
	return review(b, peer, req, true);
}

json_t *jit_op_deny(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "review requests");
	return review(b, peer, req, false);
}
