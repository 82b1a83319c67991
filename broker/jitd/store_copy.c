/* SPDX-License-Identifier: ISC */
/* One store's state copied into another, empty, store (jitctl db copy):
 * SQLite to PostgreSQL when a controller is joined by others, or back.
 * Every row keeps its id, so tickets, host changes and enforcers' places
 * in them mean what they meant; the target takes it all in one
 * transaction, from one snapshot of the source. */
#include "config.h"

#include "store_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct copied_table {
	const char *name;
	const char *columns;
	int n_columns;
	bool has_id;		/* an id column PostgreSQL numbers itself */
};

/* Parents before the rows that name them; rate_buckets are left: they
 * are full again within a period. */
static const struct copied_table tables[] = {
	{ "grants", "id, \"user\", requested_by, role, policy, source, ports, host, created,"
		    " not_before, expires, revoked_at, revoked_by, justification, jti, uses,"
		    " last_used, expired_at, cut, max_logins, used_up_at", 21, true },
	{ "audit", "id, time, actor, action, subject, result, reason, details", 8, true },
	{ "hosts", "host, last_seq, acked, acked_at, logins, login_epoch", 6, false },
	{ "host_changes", "host, seq, kind, grant_id, time, ticket", 6, false },
	{ "upstream_logins", "id, grant_id, jti, \"user\", source, port, time", 7, true },
	{ "requests", "id, state, \"user\", requested_by, requester_uid, remote, policy, approvals,"
		      " created, expires, decided, request, result, reason", 14, true },
	{ "reviews", "request_id, reviewer, remote, approve, reason, time", 6, false },
	{ "locks", "id, kind, target, reason, by, created, expires, removed_at, removed_by", 9,
	  true },
};

#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

static bool on_postgresql(const struct jit_store *st)
{
	return jit_db_engine(st->db) == JIT_DB_POSTGRESQL;
}

/* One integer of one row of sql: 0 and *v, or -1. */
static int query_int(struct jit_store *st, const char *sql, int64_t *v, const char *what,
		     jit_error *err)
{
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, sql, false, &s, what);

	*v = 0;
	if (rc == JIT_DB_OK) {
		rc = jit_db_step(s, what);
		if (rc == JIT_DB_ROW)
			*v = jit_db_column_int64(s, 0);
		jit_db_finalize(s);
	}
	return rc == JIT_DB_ROW ? 0 : jit_store_db_fail(st, rc, what, err);
}

/* 0 when the target holds nothing of its own: no row in any table but
 * upstream's one, which says it has applied nothing. */
static int target_empty(struct jit_store *to, jit_error *err)
{
	char sql[96];
	int64_t n;

	for (size_t i = 0; i < N_TABLES; i++) {
		(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i].name);
		if (query_int(to, sql, &n, "counting the target's rows", err) != 0)
			return -1;
		if (n > 0)
			return jit_error_set(err, "the target is not empty: its table %s has %lld"
					     " rows; copy only into a new database", tables[i].name,
					     (long long)n);
	}
	if (query_int(to, "SELECT applied FROM upstream WHERE id = 1", &n,
		      "reading the target's upstream", err) != 0)
		return -1;
	if (n != 0)
		return jit_error_set(err, "the target is not empty: it has applied changes of a"
				     " controller; copy only into a new database");
	return 0;
}

/* The INSERT of one source row into table t of the target. */
static int insert_sql(const struct jit_store *to, const struct copied_table *t, char *sql,
		      size_t size)
{
	size_t len = (size_t)snprintf(sql, size, "INSERT INTO %s (%s)%s VALUES (", t->name,
				      t->columns, t->has_id && on_postgresql(to)
				      ? " OVERRIDING SYSTEM VALUE" : "");

	for (int i = 0; i < t->n_columns && len + 3 < size; i++)
		len += (size_t)snprintf(sql + len, size - len, i ? ",?" : "?");
	if (len + 2 >= size)
		return -1;
	memcpy(sql + len, ")", 2);
	return 0;
}

/* Every row of the source's statement r inserted by w: the count, or -1. */
static int64_t copy_rows(struct jit_store *from, struct jit_store *to, struct jit_db_stmt *r,
			 struct jit_db_stmt *w, int n_columns, jit_error *err)
{
	int64_t rows = 0;
	int rc;

	while ((rc = jit_db_step(r, "reading the source")) == JIT_DB_ROW) {
		for (int c = 0; c < n_columns; c++) {
			if (jit_db_column_is_null(r, c))
				jit_db_bind_null(w, c + 1);
			else
				jit_db_bind_text(w, c + 1, jit_db_column_text(r, c));
		}
		if (jit_store_step_done(to, w, "writing the target", err) != 0)
			return -1;
		jit_db_clear(w);
		rows++;
	}
	return rc == JIT_DB_DONE ? rows : jit_store_db_fail(from, rc, "reading the source", err);
}

static int64_t copy_table(struct jit_store *from, struct jit_store *to,
			  const struct copied_table *t, jit_error *err)
{
	struct jit_db_stmt *r = NULL, *w = NULL;
	char sql[1024];
	int64_t rows = -1;
	int rc;

	(void)snprintf(sql, sizeof(sql), "SELECT %s FROM %s", t->columns, t->name);
	rc = jit_db_prepare(from->db, sql, false, &r, "reading the source");
	if (rc != JIT_DB_OK)
		return jit_store_db_fail(from, rc, "reading the source", err);
	if (insert_sql(to, t, sql, sizeof(sql)) != 0) {
		jit_db_finalize(r);
		return jit_error_set(err, "%s: too many columns", t->name);
	}
	rc = jit_db_prepare(to->db, sql, false, &w, "writing the target");
	if (rc == JIT_DB_OK)
		rows = copy_rows(from, to, r, w, t->n_columns, err);
	else
		(void)jit_store_db_fail(to, rc, "writing the target", err);
	jit_db_finalize(r);
	jit_db_finalize(w);
	return rows;
}

/* The source's upstream row (what an enforcer applied, its epoch and
 * guard) over the target's. */
static int copy_upstream(struct jit_store *from, struct jit_store *to, jit_error *err)
{
	struct jit_db_stmt *r, *w;
	int rc = jit_db_prepare(from->db, "SELECT applied, epoch, guard FROM upstream WHERE id = 1",
				false, &r, "reading the source");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(from, rc, "reading the source", err);
	rc = jit_db_prepare(to->db, "UPDATE upstream SET applied = ?1, epoch = ?2, guard = ?3"
			    " WHERE id = 1", false, &w, "writing the target");
	if (rc != JIT_DB_OK) {
		jit_db_finalize(r);
		return jit_store_db_fail(to, rc, "writing the target", err);
	}
	rc = copy_rows(from, to, r, w, 3, err) < 0 ? -1 : 0;
	jit_db_finalize(r);
	jit_db_finalize(w);
	return rc;
}

/* PostgreSQL numbers the next row of each table after the rows copied. */
static int renumber(struct jit_store *to, jit_error *err)
{
	char sql[256];
	int64_t next;

	if (!on_postgresql(to))
		return 0;	/* SQLite's AUTOINCREMENT followed the rows */
	for (size_t i = 0; i < N_TABLES; i++) {
		if (!tables[i].has_id)
			continue;
		(void)snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
			       " coalesce(max(id), 0) + 1, false) FROM %s", tables[i].name,
			       tables[i].name);
		if (query_int(to, sql, &next, "numbering the target's rows", err) != 0)
			return -1;
	}
	return 0;
}

static int copy_all(struct jit_store *from, struct jit_store *to,
		    void (*copied)(const char *table, int64_t rows, void *ctx), void *ctx,
		    jit_error *err)
{
	if (target_empty(to, err) != 0)
		return -1;
	for (size_t i = 0; i < N_TABLES; i++) {
		int64_t rows = copy_table(from, to, &tables[i], err);

		if (rows < 0) {
			jit_error_prefix(err, "%s", tables[i].name);
			return -1;
		}
		if (copied != NULL)
			copied(tables[i].name, rows, ctx);
	}
	if (copy_upstream(from, to, err) != 0)
		return -1;
	return renumber(to, err);
}

int jit_store_copy(struct jit_store *from, struct jit_store *to,
		   void (*copied)(const char *table, int64_t rows, void *ctx), void *ctx,
		   jit_error *err)
{
	/* One snapshot of every source table. */
	const char *snapshot = on_postgresql(from)
			       ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
	int rc = jit_db_exec(from->db, snapshot, "reading the source");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(from, rc, "reading the source", err);
	if (jit_store_begin(to, err) != 0) {
		(void)jit_db_exec(from->db, "ROLLBACK", "ending the source's snapshot");
		return -1;
	}
	rc = copy_all(from, to, copied, ctx, err);
	(void)jit_db_exec(from->db, "ROLLBACK", "ending the source's snapshot");
	if (rc != 0)
		return jit_store_rollback(to);
	return jit_store_commit(to, err);
}
