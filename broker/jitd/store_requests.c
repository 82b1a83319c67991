/* SPDX-License-Identifier: ISC */
/* Requests waiting for approvals, and their reviews, in the store. */
#include "config.h"

#include "store_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum request_stmt {
	RQ_INSERT, RQ_GET, RQ_REVIEWS, RQ_REVIEW_INSERT, RQ_MOVE, RQ_DUE, RQ_NEXT, RQ_OPEN,
	RQ_APPROVALS, RQ_COUNT
};

_Static_assert(RQ_COUNT <= JIT_STORE_REQUEST_STMTS, "room for every request statement");

#define REQUEST_COLUMNS \
	"id, state, \"user\", requested_by, requester_uid, remote, policy, approvals, created," \
	" expires, decided, request, result, reason"

static const char *const request_sql[RQ_COUNT] = {
	[RQ_INSERT] = "INSERT INTO requests (state, \"user\", requested_by, requester_uid, remote,"
		      " policy, approvals, created, expires, request, result) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
		      " RETURNING id",
	[RQ_GET] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE id = ?",
	[RQ_REVIEWS] = "SELECT reviewer, remote, approve, reason, time FROM reviews"
		       " WHERE request_id = ? ORDER BY time, reviewer LIMIT ?",
	[RQ_REVIEW_INSERT] = "INSERT INTO reviews (request_id, reviewer, remote, approve, reason,"
			     " time) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
	[RQ_MOVE] = "UPDATE requests SET state = ?3,"
		    " decided = CASE WHEN ?3 = ?2 THEN decided ELSE ?4 END,"
		    " reason = coalesce(?5, reason),"
		    " result = coalesce(?6, result) WHERE id = ?1 AND state = ?2",
	[RQ_DUE] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE state = 'pending'"
		   " AND expires <= ? ORDER BY expires LIMIT ?",
	/* The first of the index (see store.c's ST_NEXT_EXPIRY). */
	[RQ_NEXT] = "SELECT (SELECT expires FROM requests WHERE state = 'pending'"
		    " ORDER BY expires LIMIT 1)",
	[RQ_OPEN] = "SELECT " REQUEST_COLUMNS " FROM requests"
		    " WHERE state IN ('pending', 'break_glass') ORDER BY id DESC LIMIT ?",
	[RQ_APPROVALS] = "SELECT count(*) FROM reviews WHERE request_id = ? AND approve = 1",
};

/* Requests marked expired per transaction. */
#define EXPIRE_BATCH 64

static const char *const state_names[] = {
	[JIT_REQ_PENDING] = "pending", [JIT_REQ_APPROVED] = "approved",
	[JIT_REQ_DENIED] = "denied", [JIT_REQ_EXPIRED] = "expired",
	[JIT_REQ_FAILED] = "failed", [JIT_REQ_BREAK_GLASS] = "break_glass",
	[JIT_REQ_REVIEWED] = "reviewed",
};

const char *jit_request_state_name(enum jit_request_state s)
{
	if ((size_t)s < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[s];
	return "?";
}

static int state_from_name(const char *name, enum jit_request_state *s)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(state_names[i], name) == 0) {
			*s = (enum jit_request_state)i;
			return 0;
		}
	return -1;
}

/* PostgreSQL's own, where several controllers may act at once. */
static const char *const pg_request_sql[RQ_COUNT] = {
	/* A lapsed request another controller is marking is left to it. */
	[RQ_DUE] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE state = 'pending'"
		   " AND expires <= ? ORDER BY expires LIMIT ? FOR UPDATE SKIP LOCKED",
};

int jit_store_requests_prepare(struct jit_store *st, jit_error *err)
{
	for (int i = 0; i < RQ_COUNT; i++) {
		const char *sql = jit_db_engine(st->db) == JIT_DB_POSTGRESQL && pg_request_sql[i]
					  ? pg_request_sql[i] : request_sql[i];
		int rc = jit_store_db_prepare(st->db, sql, &st->requests[i],
					      "preparing statements");

		if (rc != JIT_DB_OK)
			return jit_store_db_fail(st, rc, "preparing statements", err);
	}
	return 0;
}

void jit_store_requests_finalize(struct jit_store *st)
{
	for (int i = 0; i < RQ_COUNT; i++)
		jit_db_finalize(st->requests[i]);
}

static struct jit_db_stmt *rq(struct jit_store *st, enum request_stmt id)
{
	return jit_store_stmt_ready(st->requests[id]);
}

void jit_access_request_clear(struct jit_access_request *r)
{
	free(r->remote);
	free(r->request);
	free(r->result);
	memset(r, 0, sizeof(*r));
}

/* A text column on the heap, NULL for SQL NULL; -1 when out of memory. */
static int heap_column(struct jit_db_stmt *s, int col, char **out)
{
	const char *text = jit_db_column_text(s, col);

	*out = NULL;
	if (text == NULL)
		return 0;
	*out = strdup(text);
	return *out != NULL ? 0 : -1;
}

static int row_to_request(struct jit_db_stmt *s, struct jit_access_request *r, jit_error *err)
{
	char state[16];

	memset(r, 0, sizeof(*r));
	r->id = jit_db_column_int64(s, 0);
	jit_store_copy_column(s, 1, state, sizeof(state));
	jit_store_copy_column(s, 2, r->user, sizeof(r->user));
	jit_store_copy_column(s, 3, r->requested_by, sizeof(r->requested_by));
	r->requester_uid = jit_db_column_is_null(s, 4) ? -1
								     : jit_db_column_int64(s, 4);
	jit_store_copy_column(s, 6, r->policy, sizeof(r->policy));
	r->approvals = (int)jit_db_column_int64(s, 7);
	r->created = (time_t)jit_db_column_int64(s, 8);
	r->expires = (time_t)jit_db_column_int64(s, 9);
	r->decided = (time_t)jit_db_column_int64(s, 10);
	jit_store_copy_column(s, 13, r->reason, sizeof(r->reason));
	if (state_from_name(state, &r->state) != 0)
		return jit_error_set(err, "request %lld: unknown state '%s'", (long long)r->id, state);
	if (heap_column(s, 5, &r->remote) != 0 || heap_column(s, 11, &r->request) != 0 ||
	    heap_column(s, 12, &r->result) != 0) {
		jit_access_request_clear(r);
		return jit_error_set(err, "out of memory");
	}
	if (r->request == NULL) {
		jit_access_request_clear(r);
		return jit_error_set(err, "request %lld has no fields", (long long)r->id);
	}
	return 0;
}

static int read_reviews(struct jit_store *st, struct jit_access_request *r, jit_error *err)
{
	struct jit_db_stmt *s = rq(st, RQ_REVIEWS);
	int rc;

	jit_db_bind_int64(s, 1, r->id);
	jit_db_bind_int64(s, 2, JIT_REVIEWS_MAX);
	r->n_reviews = 0;
	while ((rc = jit_db_step(s, "reading reviews")) == JIT_DB_ROW) {
		struct jit_review *rv = &r->reviews[r->n_reviews++];

		jit_store_copy_column(s, 0, rv->reviewer, sizeof(rv->reviewer));
		rv->remote = (int)jit_db_column_int64(s, 1) != 0;
		rv->approve = (int)jit_db_column_int64(s, 2) != 0;
		jit_store_copy_column(s, 3, rv->reason, sizeof(rv->reason));
		rv->time = (time_t)jit_db_column_int64(s, 4);
	}
	jit_db_reset(s);
	if (rc != JIT_DB_DONE)
		return jit_store_db_fail(st, rc, "reading reviews", err);
	return 0;
}

int jit_store_request_add(struct jit_store *st, struct jit_access_request *r,
			  const struct jit_audit_entry *audit, jit_error *err)
{
	struct jit_db_stmt *s;

	if (jit_store_begin(st, err) != 0)
		return -1;
	s = rq(st, RQ_INSERT);
	jit_db_bind_text(s, 1, jit_request_state_name(r->state));
	jit_db_bind_text(s, 2, r->user);
	jit_db_bind_text(s, 3, r->requested_by);
	if (r->requester_uid >= 0)
		jit_db_bind_int64(s, 4, r->requester_uid);
	jit_db_bind_text(s, 5, r->remote);
	jit_db_bind_text(s, 6, r->policy);
	jit_db_bind_int64(s, 7, r->approvals);
	jit_db_bind_int64(s, 8, r->created);
	jit_db_bind_int64(s, 9, r->expires);
	jit_db_bind_text(s, 10, r->request);
	jit_db_bind_text(s, 11, r->result);
	if (jit_store_insert_id(st, s, "recording the request", &r->id, err) != 0)
		return jit_store_rollback(st);
	if (audit != NULL) {
		struct jit_audit_entry e = *audit;
		char details[64];

		/* The entry names the request it made; the caller's details
		 * (the request's fields) follow. */
		if (e.details == NULL) {
			(void)snprintf(details, sizeof(details), "{\"request\":%lld}", (long long)r->id);
			e.details = details;
		}
		if (jit_store_insert_audit(st, &e, err) != 0)
			return jit_store_rollback(st);
	}
	return jit_store_commit(st, err);
}

int jit_store_request_get(struct jit_store *st, int64_t id, struct jit_access_request *r,
			  jit_error *err)
{
	struct jit_db_stmt *s = rq(st, RQ_GET);
	int rc;

	jit_db_bind_int64(s, 1, id);
	rc = jit_db_step(s, "reading a request");
	if (rc == JIT_DB_DONE) {
		jit_db_reset(s);
		return 0;
	}
	if (rc != JIT_DB_ROW) {
		jit_db_reset(s);
		return jit_store_db_fail(st, rc, "reading a request", err);
	}
	rc = row_to_request(s, r, err);
	jit_db_reset(s);
	if (rc != 0)
		return -1;
	if (read_reviews(st, r, err) != 0) {
		jit_access_request_clear(r);
		return -1;
	}
	return 1;
}

/* The move inside an open transaction: 1 moved, 0 not in `from`, -1. */
static int move_state(struct jit_store *st, int64_t id, enum jit_request_state from,
		      enum jit_request_state to, time_t now, const char *reason,
		      const char *result, jit_error *err)
{
	struct jit_db_stmt *s = rq(st, RQ_MOVE);

	jit_db_bind_int64(s, 1, id);
	jit_db_bind_text(s, 2, jit_request_state_name(from));
	jit_db_bind_text(s, 3, jit_request_state_name(to));
	jit_db_bind_int64(s, 4, now);
	jit_db_bind_text(s, 5, reason);
	jit_db_bind_text(s, 6, result);
	if (jit_store_step_done(st, s, "recording the request's state", err) != 0)
		return -1;
	return jit_db_changes(st->db) == 1 ? 1 : 0;
}

static int insert_review(struct jit_store *st, int64_t id, const struct jit_review *rv,
			 jit_error *err)
{
	struct jit_db_stmt *s = rq(st, RQ_REVIEW_INSERT);

	jit_db_bind_int64(s, 1, id);
	jit_db_bind_text(s, 2, rv->reviewer);
	jit_db_bind_int64(s, 3, rv->remote);
	jit_db_bind_int64(s, 4, rv->approve);
	jit_db_bind_text(s, 5, rv->reason);
	jit_db_bind_int64(s, 6, rv->time);
	if (jit_store_step_done(st, s, "recording the review", err) != 0)
		return -1;
	return jit_db_changes(st->db) == 1 ? 1 : 0;
}

enum jit_request_state jit_request_after_review(enum jit_request_state from, bool approve,
						int approvals, int needed)
{
	if (from == JIT_REQ_BREAK_GLASS)
		return approve ? JIT_REQ_REVIEWED : JIT_REQ_DENIED;
	if (!approve)
		return JIT_REQ_DENIED;
	return approvals >= needed ? JIT_REQ_APPROVED : JIT_REQ_PENDING;
}

/* The request's approvals as this transaction sees them: -1. */
static int count_approvals(struct jit_store *st, int64_t id, jit_error *err)
{
	struct jit_db_stmt *s = rq(st, RQ_APPROVALS);
	int64_t n = -1;
	int rc;

	jit_db_bind_int64(s, 1, id);
	rc = jit_db_step(s, "counting the request's approvals");
	if (rc == JIT_DB_ROW)
		n = jit_db_column_int64(s, 0);
	jit_db_reset(s);
	if (rc != JIT_DB_ROW)
		return jit_store_db_fail(st, rc, "counting the request's approvals", err);
	return n > JIT_REVIEWS_MAX ? JIT_REVIEWS_MAX : (int)n;
}

/* Inside the review's transaction: the review written, the approvals
 * counted and the request moved. */
static enum jit_review_result write_review(struct jit_store *st, int64_t id,
					   const struct jit_review *rv,
					   enum jit_request_state from, int needed,
					   enum jit_request_state *to, int *approvals,
					   jit_error *err)
{
	int rc;

	/* Moving it to the state it is in holds its row (PostgreSQL) and
	 * proves it is still there. */
	rc = move_state(st, id, from, from, rv->time, NULL, NULL, err);
	if (rc != 1)
		return rc == 0 ? JIT_REVIEW_DECIDED : JIT_REVIEW_ERROR;
	rc = insert_review(st, id, rv, err);
	if (rc != 1)
		return rc == 0 ? JIT_REVIEW_DUPLICATE : JIT_REVIEW_ERROR;
	*approvals = count_approvals(st, id, err);
	if (*approvals < 0)
		return JIT_REVIEW_ERROR;
	*to = jit_request_after_review(from, rv->approve, *approvals, needed);
	if (*to != from && move_state(st, id, from, *to, rv->time, rv->reason, NULL, err) != 1)
		return JIT_REVIEW_ERROR;
	return JIT_REVIEW_WRITTEN;
}

enum jit_review_result jit_store_request_review(struct jit_store *st, int64_t id,
						const struct jit_review *rv,
						enum jit_request_state from, int needed,
						const struct jit_audit_entry *audit,
						enum jit_request_state *to, int *approvals,
						jit_error *err)
{
	struct jit_audit_entry e = *audit;
	enum jit_review_result rc;
	char details[128];

	if (jit_store_begin(st, err) != 0)
		return JIT_REVIEW_ERROR;
	rc = write_review(st, id, rv, from, needed, to, approvals, err);
	if (rc == JIT_REVIEW_WRITTEN) {
		(void)snprintf(details, sizeof(details),
			       "{\"request\":%lld,\"approvals\":%d,\"needed\":%d}", (long long)id,
			       *approvals, needed);
		e.details = details;
		if (jit_store_insert_audit(st, &e, err) != 0)
			rc = JIT_REVIEW_ERROR;
	}
	if (rc != JIT_REVIEW_WRITTEN) {
		(void)jit_store_rollback(st);
		return rc;
	}
	return jit_store_commit(st, err) == 0 ? JIT_REVIEW_WRITTEN : JIT_REVIEW_ERROR;
}

int jit_store_request_move(struct jit_store *st, int64_t id, enum jit_request_state from,
			   enum jit_request_state to, time_t now, const char *reason,
			   const char *result, const struct jit_audit_entry *audit,
			   jit_error *err)
{
	int rc;

	if (jit_store_begin(st, err) != 0)
		return -1;
	rc = move_state(st, id, from, to, now, reason, result, err);
	if (rc == 1 && audit != NULL && jit_store_insert_audit(st, audit, err) != 0)
		rc = -1;
	if (rc != 1) {
		(void)jit_store_rollback(st);
		return rc;
	}
	return jit_store_commit(st, err) == 0 ? 1 : -1;
}

/* Reads every row of s (already bound) into out, at most max; -1. */
static int read_requests(struct jit_store *st, struct jit_db_stmt *s, struct jit_access_request *out,
			 size_t max, size_t *n, const char *what, jit_error *err)
{
	int rc = JIT_DB_DONE;

	*n = 0;
	while (*n < max && (rc = jit_db_step(s, what)) == JIT_DB_ROW) {
		if (row_to_request(s, &out[*n], err) != 0)
			break;
		(*n)++;
	}
	jit_db_reset(s);
	if (rc == JIT_DB_ROW && *n < max)
		return -1;	/* row_to_request failed, err set */
	if (rc != JIT_DB_ROW && rc != JIT_DB_DONE)
		return jit_store_db_fail(st, rc, what, err);
	return 0;
}

static void clear_all(struct jit_access_request *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		jit_access_request_clear(&r[i]);
}

int jit_store_requests_open_each(struct jit_store *st, int64_t limit,
				 int (*fn)(const struct jit_access_request *r, void *ctx),
				 void *ctx, jit_error *err)
{
	size_t max = limit > 0 && limit < 1000 ? (size_t)limit : 1000, n = 0;
	struct jit_access_request *open = calloc(max, sizeof(*open));
	struct jit_db_stmt *s;
	int rc = 0;

	if (open == NULL)
		return jit_error_set(err, "out of memory");
	s = rq(st, RQ_OPEN);
	jit_db_bind_int64(s, 1, (int64_t)max);
	if (read_requests(st, s, open, max, &n, "reading open requests", err) != 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (read_reviews(st, &open[i], err) != 0)
			rc = -1;
		else if (fn(&open[i], ctx) != 0)
			break;
	}
	clear_all(open, n);
	free(open);
	return rc;
}

/* 1 marked and audited, 0 no longer pending, -1. */
static int expire_one(struct jit_store *st, const struct jit_access_request *r, time_t now,
		      jit_error *err)
{
	char details[64];
	struct jit_audit_entry e = { .time = now, .actor = "jitd", .action = "request",
				     .subject = r->user, .result = "expired",
				     .reason = "nobody decided before request_ttl passed",
				     .details = details };

	int rc;

	(void)snprintf(details, sizeof(details), "{\"request\":%lld}", (long long)r->id);
	rc = move_state(st, r->id, JIT_REQ_PENDING, JIT_REQ_EXPIRED, now, e.reason, NULL, err);
	if (rc != 1)
		return rc;	/* decided meanwhile (another controller): not ours to audit */
	return jit_store_insert_audit(st, &e, err) == 0 ? 1 : -1;
}

/* One transaction's lapsed requests: *n read, the first *marked of due
 * those it marked (the rest cleared). */
static int expire_batch(struct jit_store *st, time_t now, struct jit_access_request *due,
			size_t *n, size_t *marked, jit_error *err)
{
	struct jit_db_stmt *s;

	*n = *marked = 0;
	if (jit_store_begin(st, err) != 0)
		return -1;
	s = rq(st, RQ_DUE);
	jit_db_bind_int64(s, 1, now);
	jit_db_bind_int64(s, 2, EXPIRE_BATCH);
	if (read_requests(st, s, due, EXPIRE_BATCH, n, "reading lapsed requests", err) != 0) {
		*marked = *n;	/* all cleared by the caller */
		return jit_store_rollback(st);
	}
	for (size_t i = 0; i < *n; i++) {
		int rc = expire_one(st, &due[i], now, err);

		if (rc < 0) {
			*marked = *n;	/* all cleared by the caller */
			return jit_store_rollback(st);
		}
		if (rc == 1) {
			struct jit_access_request r = due[i];

			due[i] = due[*marked];
			due[(*marked)++] = r;
		}
	}
	clear_all(due + *marked, *n - *marked);
	return jit_store_commit(st, err);
}

int jit_store_requests_expire_due(struct jit_store *st, time_t now,
				  void (*fn)(const struct jit_access_request *r, void *ctx),
				  void *ctx, jit_error *err)
{
	struct jit_access_request *due = calloc(EXPIRE_BATCH, sizeof(*due));
	size_t n, marked;
	int total = 0;

	if (due == NULL)
		return jit_error_set(err, "out of memory");
	do {
		if (expire_batch(st, now, due, &n, &marked, err) != 0) {
			clear_all(due, marked);
			free(due);
			return -1;
		}
		for (size_t i = 0; i < marked; i++) {
			due[i].state = JIT_REQ_EXPIRED;
			if (fn != NULL)
				fn(&due[i], ctx);
		}
		clear_all(due, marked);
		total += (int)marked;
	} while (n == EXPIRE_BATCH);
	free(due);
	return total;
}

int jit_store_next_request_expiry(struct jit_store *st, time_t *when, jit_error *err)
{
	return jit_store_first_time(st, rq(st, RQ_NEXT), "finding the next lapsing request", when,
				    err);
}
