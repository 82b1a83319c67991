/* SPDX-License-Identifier: ISC */
/* What the operations of the socket protocol share, private to jitd's
 * operations (ops.c, op_query.c, op_request.c, op_verify.c, ...). */
#ifndef JIT_OPS_H
#define JIT_OPS_H

#include "broker.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum field_type { F_STRING, F_INT, F_BOOL, F_STRINGS };

struct field {
	const char *name;
	enum field_type type;
	bool required;
	size_t max;		/* strings: bytes; string arrays: items */
	size_t item_max;	/* string arrays: bytes of an item; 0: 64 */
};

typedef json_t *(*op_fn)(struct jit_broker *b, struct jit_peer *peer, json_t *req);

struct op {
	const char *name;
	const struct field *fields;
	op_fn run;
	bool remote_ok;		/* may jit-sshd ask it for a remote user */
	bool host_only;		/* an enforcer's (a jit-host= key's), and no one else's */
};

/* The operations and their field tables. */
extern const struct field jit_no_fields[], jit_request_fields[], jit_list_fields[], jit_revoke_fields[],
	jit_audit_fields[], jit_verify_fields[], jit_follow_fields[], jit_ack_fields[],
	jit_login_fields[], jit_pending_fields[], jit_review_fields[], jit_request_status_fields[],
	jit_explain_fields[], jit_extend_fields[], jit_lock_fields[], jit_unlock_fields[];
json_t *jit_op_ping(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_status(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_request(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_list(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_revoke(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_audit(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_verify(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_follow(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_ack(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_hosts(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_login(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_upstream(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_pending(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_approve(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_deny(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_request_status(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_policies(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_explain(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_extend(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_lock(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_locks(struct jit_broker *b, struct jit_peer *peer, json_t *req);
json_t *jit_op_unlock(struct jit_broker *b, struct jit_peer *peer, json_t *req);

/* op_lock.c: 0 when no lock in force matches the user, role, source
 * and host (each may be NULL); else -1 with the reason to refuse (a lock's,
 * or that the locks could not be read: failing closed). */
int jit_lock_check(struct jit_broker *b, const char *user, const char *role,
		   const struct jit_cidr *source, const char *host, time_t now, char *reason,
		   size_t size);

/* op_query.c: revokes g for `by` (audited, closed here or queued for its
 * host, the event sent), its sessions cut where its policy or terminate
 * says so; the answer, or the reason it was not active. */
json_t *jit_revoke_grant(struct jit_broker *b, const struct jit_peer *by, struct jit_grant *g,
			 bool terminate, time_t now);

/* op_request.c: a request recorded for approvals (its fields as the
 * request op took them, the source filled in), decided again for its
 * requester and granted now. */
json_t *jit_request_grant_approved(struct jit_broker *b, struct jit_peer *peer, json_t *req);

/* op_extend.c: an extension recorded for approvals (its fields: extend, the
 * grant's id, and duration), decided again for its requester and applied. */
json_t *jit_extend_approved(struct jit_broker *b, struct jit_peer *peer, json_t *fields);

struct jit_decision;
struct jit_request;
/* op_request.c, for op_extend.c: the decision's policy names over n ports,
 * each once; g's ticket signed (with g's jti when it has one); a denial,
 * audited and counted; what an answer says of one host's grant. */
void jit_decision_policy_names(const struct jit_decision *d, size_t n, char *buf, size_t size);
int jit_grant_sign(const struct jit_broker *b, struct jit_grant *g, char **ticket, jit_error *err);
json_t *jit_request_denied(struct jit_broker *b, struct jit_peer *peer, const struct jit_request *r,
			   const struct jit_decision *d);
/* A decision granted, but a lock matches: d made its denial (locked). */
bool jit_request_locked(struct jit_broker *b, const struct jit_peer *peer,
			const struct jit_request *r, struct jit_decision *d);
json_t *jit_granted_json(struct jit_broker *b, const struct jit_grant *g, const char *ticket,
			 time_t now);

/* op_request.c: a request's ports, from, duration, justification and for
 * (each checked; for names a user that exists); -1 with the reason. */
struct jit_request;
int jit_request_parse(json_t *req, struct jit_request *out, jit_error *err);

/* op_review.c, for op_request.c: after the role and policy check passed,
 * whether the request's policies want approvals. NULL: grant it now
 * (*break_glass set when it is a break-glass request, to be recorded by
 * jit_review_break_glass() after the grant); else the answer: recorded as
 * pending, or refused. */
json_t *jit_review_gate(struct jit_broker *b, struct jit_peer *peer, json_t *req,
			const struct jit_request *r, const char *policies, bool *break_glass);
void jit_review_break_glass(struct jit_broker *b, struct jit_peer *peer, json_t *req,
			    const struct jit_request *r, const char *policies, json_t *resp);

/* {"v":1,"ok":true}, to add the operation's fields to. */
json_t *jit_op_ok(void);
/* An error response with its reason formatted. */
json_t *jit_op_error(const char *error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A refusal with its stable code, e.g. denied/source_not_allowed. */
json_t *jit_op_refusal(const char *error, const char *code, const char *reason);
/* Counts into one of the broker's metrics. */
void jit_op_count(struct jit_broker *b, struct jit_counter *c, const char *result,
		  const char *reason);
/* An enforcer decides nothing: what (a request, a revocation) is for its
 * controller, which the refusal names. */
json_t *jit_op_ask_controller(const struct jit_broker *b, const char *what);
/* The store failed: logged, and answered as internal. */
json_t *jit_op_store_error(const char *what, const jit_error *err);

/* An RFC 3339 string, or null for 0; a port list as ["22/tcp", ...]. */
json_t *jit_rfc3339_json(time_t t);
json_t *jit_ports_json(const struct jit_portspec *ports, size_t n);

/* Every member known to the operation and of its type, every required one
 * present; else -1 with the reason in err. */
int jit_op_validate(const struct op *op, json_t *req, jit_error *err);
/* A string field (validated), or NULL. */
const char *jit_op_str(json_t *req, const char *name);
/* An optional integer field within [min, max], else dflt when absent;
 * -1 with the reason in err when out of range. */
int jit_op_int(json_t *req, const char *name, json_int_t min, json_int_t max, json_int_t dflt,
	       json_int_t *out, jit_error *err);

enum privilege { PRIV_AUDIT, PRIV_REVOKE_ANY, PRIV_LOCK };

/* uid 0, or a member of a role with the privilege. */
bool jit_op_peer_may(const struct jit_broker *b, struct jit_peer *peer, enum privilege p);
/* The grant is the caller's, or was asked for by the caller. */
bool jit_op_owns_grant(const struct jit_peer *peer, const struct jit_grant *g);
/* Takes a token for key; false, with the reason, when key is over the limit. */
bool jit_op_within_rate(struct jit_rate_table *t, const struct jit_rate_limit *lim,
			const char *key, const char *what, char *reason, size_t size);
/* The reason key is refused: what, more than the limit. */
void jit_op_over_rate_reason(const struct jit_rate_limit *lim, const char *key, const char *what,
			     char *reason, size_t size);

#endif
