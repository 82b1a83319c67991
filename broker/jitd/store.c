/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "store_private.h"

#include "fault.h"
#include "jitd_config.h"

#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each migration takes the schema from version (index) to (index + 1). */
static const char *const migrations[] = {
	/* 0 -> 1: grants and the audit log. */
	"CREATE TABLE grants ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" user TEXT NOT NULL, requested_by TEXT NOT NULL, role TEXT NOT NULL,"
	" policy TEXT NOT NULL, source TEXT NOT NULL, ports TEXT NOT NULL, host TEXT NOT NULL,"
	" created INTEGER NOT NULL, not_before INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" revoked_at INTEGER, revoked_by TEXT, justification TEXT NOT NULL DEFAULT '',"
	" jti TEXT NOT NULL UNIQUE);"
	"CREATE INDEX grants_user ON grants(user);"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, subject TEXT, result TEXT NOT NULL, reason TEXT, details TEXT);"
	"CREATE INDEX audit_time ON audit(time);",
	/* 1 -> 2: ticket use counting and expiry marking. */
	"ALTER TABLE grants ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE grants ADD COLUMN last_used INTEGER;"
	"ALTER TABLE grants ADD COLUMN expired_at INTEGER;"
	"UPDATE grants SET expired_at = expires"
	" WHERE revoked_at IS NULL AND expires <= CAST(strftime('%s','now') AS INTEGER);"
	"CREATE INDEX grants_active ON grants(expires)"
	" WHERE revoked_at IS NULL AND expired_at IS NULL;",
	/* 2 -> 3: what each other host must follow (a controller's grants and
	 * revocations for it, numbered without gaps per host) and how far it has. */
	"CREATE TABLE hosts (host TEXT PRIMARY KEY, last_seq INTEGER NOT NULL DEFAULT 0,"
	" acked INTEGER NOT NULL DEFAULT 0, acked_at INTEGER);"
	"CREATE TABLE host_changes (host TEXT NOT NULL, seq INTEGER NOT NULL,"
	" kind TEXT NOT NULL, grant_id INTEGER NOT NULL, time INTEGER NOT NULL,"
	" PRIMARY KEY (host, seq)) WITHOUT ROWID;",
	/* 3 -> 4: a grant's change carries its signed ticket, which the
	 * enforcer verifies before it opens anything; an enforcer's own
	 * account of its controller: the last change it applied. */
	"ALTER TABLE host_changes ADD COLUMN ticket TEXT;"
	"CREATE TABLE upstream (id INTEGER PRIMARY KEY CHECK (id = 1),"
	" applied INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO upstream (id) VALUES (1);",
	/* 4 -> 5: an enforcer's logins, kept until its controller has them,
	 * numbered within its database's epoch (a random name: a database made
	 * anew numbers from 1 again); a controller's count of each host's
	 * logins taken in that epoch (none twice). */
	"CREATE TABLE upstream_logins (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" grant_id INTEGER NOT NULL, jti TEXT NOT NULL, user TEXT NOT NULL,"
	" source TEXT NOT NULL, port TEXT NOT NULL, time INTEGER NOT NULL);"
	"ALTER TABLE upstream ADD COLUMN epoch TEXT NOT NULL DEFAULT '';"
	"UPDATE upstream SET epoch = lower(hex(randomblob(8)));"
	"ALTER TABLE hosts ADD COLUMN logins INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE hosts ADD COLUMN login_epoch TEXT NOT NULL DEFAULT '';"
	/* The ports the controller's policies guard here, as it last said. */
	"ALTER TABLE upstream ADD COLUMN guard TEXT NOT NULL DEFAULT '';",
	/* 5 -> 6: requests waiting for approvals (and break-glass grants
	 * waiting for their review after the fact), and each review. */
	"CREATE TABLE requests (id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL,"
	" user TEXT NOT NULL, requested_by TEXT NOT NULL, requester_uid INTEGER, remote TEXT,"
	" policy TEXT NOT NULL, approvals INTEGER NOT NULL, created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL, decided INTEGER, request TEXT NOT NULL, result TEXT,"
	" reason TEXT);"
	"CREATE INDEX requests_pending ON requests(expires) WHERE state = 'pending';"
	"CREATE TABLE reviews (request_id INTEGER NOT NULL REFERENCES requests(id),"
	" reviewer TEXT NOT NULL, remote INTEGER NOT NULL, approve INTEGER NOT NULL,"
	" reason TEXT NOT NULL DEFAULT '', time INTEGER NOT NULL,"
	" PRIMARY KEY (request_id, reviewer, remote)) WITHOUT ROWID;",
	/* 6 -> 7: whether a grant's sessions are cut when it is revoked (1)
	 * and when it ends (2). */
	"ALTER TABLE grants ADD COLUMN cut INTEGER NOT NULL DEFAULT 0;",
	/* 7 -> 8: how many logins a grant's ticket allows (0: no limit), and
	 * when the last of them was. */
	("ALTER TABLE grants ADD COLUMN max_logins INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE grants ADD COLUMN used_up_at INTEGER;"),
	/* 8 -> 9: locks: who or what may have no window, until removed or
	 * their end. */
	"CREATE TABLE locks (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
	" target TEXT NOT NULL, reason TEXT NOT NULL, by TEXT NOT NULL, created INTEGER NOT NULL,"
	" expires INTEGER, removed_at INTEGER, removed_by TEXT);",
	/* 9 -> 10: the scheduled windows yet to start (those that start after
	 * they were made), found without reading every grant: the timer asks
	 * for the next after each request. */
	"CREATE INDEX grants_start ON grants(host, not_before)"
	" WHERE revoked_at IS NULL AND expired_at IS NULL AND not_before > created;",
	/* 10 -> 11: rate limits' buckets where several controllers share the
	 * database (PostgreSQL); one jitd on its SQLite file keeps its own in
	 * memory, and this table stays empty... */
	"CREATE TABLE rate_buckets (key TEXT PRIMARY KEY, tokens INTEGER NOT NULL,"
	" at INTEGER NOT NULL) WITHOUT ROWID;"
	/* ... and which controller each host follows ('': none). */
	"ALTER TABLE hosts ADD COLUMN followed_by TEXT NOT NULL DEFAULT '';",
};

#define CUT_ON_REVOKE 1
#define CUT_ON_EXPIRY 2

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == JIT_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

/* A grant's columns in the order columns_to_grant() reads them, of the
 * table named t (in a join, the alias). */
#define GRANT_COLUMNS_OF(t) \
	t ".id, " t ".\"user\", " t ".requested_by, " t ".role, " t ".policy, " t ".source, " \
	t ".ports, " t ".host, " t ".created, " t ".not_before, " t ".expires, " \
	t ".revoked_at, " t ".revoked_by, " t ".expired_at, " t ".justification, " t ".jti, " \
	t ".uses, " t ".last_used, " t ".cut, " t ".max_logins, " t ".used_up_at"
#define GRANT_COLUMNS GRANT_COLUMNS_OF("grants")

/* One use of grant ?2 at ?1; the one that takes its last login marks it
 * used up. */
#define COUNT_USE \
	"UPDATE grants SET uses = uses + 1, last_used = ?1, used_up_at = CASE WHEN max_logins > 0" \
	" AND uses + 1 >= max_logins AND used_up_at IS NULL THEN ?1 ELSE used_up_at END"

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_GRANT_INSERT, ST_GRANT_GET, ST_GRANT_BY_JTI, ST_GRANT_REVOKE, ST_GRANT_USE,
	ST_GRANT_USE_REPORTED, ST_GRANT_EXTEND, ST_NEXT_START,
	ST_DUE, ST_MARK_EXPIRED, ST_NEXT_EXPIRY, ST_COUNT_ACTIVE, ST_AUDIT_INSERT,
	ST_GRANT_HOST, ST_HOST_NEXT_SEQ, ST_CHANGE_INSERT, ST_HOST_ACK,
	ST_MIRROR_GRANT, ST_UPSTREAM_APPLIED, ST_UPSTREAM_SET, ST_HOST_LAST_SEQ,
	ST_LOGIN_QUEUE, ST_LOGIN_DONE, ST_HOST_LOGIN, ST_UPSTREAM_EPOCH, ST_GUARD_GET, ST_GUARD_SET,
	ST_LOCKS, ST_NOTIFY_CHANGE, ST_HOST_FOLLOWED, ST_HOST_UNFOLLOWED, ST_HOST_ELSEWHERE,
	ST_HOSTS_UNFOLLOW_OWN, ST_COUNT
};

/* Where controllers sharing a PostgreSQL database hear of each other's
 * changes for a host (its name the payload). */
#define CHANGES_CHANNEL "jit_changes"

#define DUE_SQL \
	"SELECT " GRANT_COLUMNS " FROM grants" \
	" WHERE revoked_at IS NULL AND expired_at IS NULL AND expires <= ?" \
	" ORDER BY expires LIMIT ?"

/* PostgreSQL's own, where several controllers may act at once. */
static const char *const pg_stmt_sql[ST_COUNT] = {
	/* Its transactions take their locks as they go. */
	[ST_BEGIN] = "BEGIN",
	/* Another controller marking a due grant holds it: this one skips it,
	 * and each grant is marked and audited once. */
	[ST_DUE] = DUE_SQL " FOR UPDATE OF grants SKIP LOCKED",
	/* The host's name to every controller listening, at commit. */
	[ST_NOTIFY_CHANGE] = "SELECT pg_notify('" CHANGES_CHANNEL "', ?1)",
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GRANT_INSERT] =
		"INSERT INTO grants (\"user\", requested_by, role, policy, source, ports, host, created,"
		" not_before, expires, justification, jti, cut, max_logins)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
	[ST_GRANT_GET] = "SELECT " GRANT_COLUMNS " FROM grants WHERE id = ?",
	[ST_GRANT_BY_JTI] = "SELECT " GRANT_COLUMNS " FROM grants WHERE jti = ?",
	[ST_GRANT_REVOKE] =
		"UPDATE grants SET revoked_at = ?, revoked_by = ?, cut = cut | ? WHERE id = ?"
		" AND revoked_at IS NULL AND expired_at IS NULL AND expires > ?",
	/* A login here: counted while the grant has logins left. */
	[ST_GRANT_USE] = COUNT_USE " WHERE id = ?2 AND (max_logins = 0 OR uses < max_logins)",
	/* The first of an index, not min(): PostgreSQL's planner, misled by a
	 * table not yet analysed, would read every active grant for a min(). */
	[ST_NEXT_START] = "SELECT (SELECT not_before FROM grants WHERE revoked_at IS NULL"
			  " AND expired_at IS NULL AND not_before > created AND host = ?1"
			  " AND not_before > ?2 ORDER BY not_before LIMIT 1)",
	/* Every request and login reads them: prepared once. */
	[ST_LOCKS] = "SELECT id, kind, target, reason, by, created, expires FROM locks"
		     " WHERE removed_at IS NULL AND (expires IS NULL OR expires > ?1) ORDER BY id",
	/* ?4: the end the extension was decided from; another extension
	 * committed meanwhile leaves nothing to change. */
	[ST_GRANT_EXTEND] = "UPDATE grants SET expires = ?1 WHERE id = ?2 AND revoked_at IS NULL"
			    " AND expired_at IS NULL AND used_up_at IS NULL AND expires > ?3"
			    " AND expires = ?4 AND ?1 > expires",
	/* An enforcer's login, reported: it was counted there already. */
	[ST_GRANT_USE_REPORTED] = COUNT_USE " WHERE id = ?2",
	[ST_DUE] = DUE_SQL,
	[ST_MARK_EXPIRED] = "UPDATE grants SET expired_at = ? WHERE id = ? AND expired_at IS NULL",
	[ST_NEXT_EXPIRY] = "SELECT (SELECT expires FROM grants"
			   " WHERE revoked_at IS NULL AND expired_at IS NULL ORDER BY expires LIMIT 1)",
	[ST_COUNT_ACTIVE] = "SELECT count(*) FROM grants"
			    " WHERE revoked_at IS NULL AND expired_at IS NULL AND expires > ?",
	[ST_AUDIT_INSERT] =
		"INSERT INTO audit (time, actor, action, subject, result, reason, details)"
		" VALUES (?,?,?,?,?,?,?)",
	[ST_GRANT_HOST] = "SELECT host FROM grants WHERE id = ?",
	[ST_HOST_NEXT_SEQ] = "INSERT INTO hosts (host, last_seq) VALUES (?1, 1)"
			     " ON CONFLICT (host) DO UPDATE SET last_seq = hosts.last_seq + 1",
	[ST_CHANGE_INSERT] = "INSERT INTO host_changes (host, seq, kind, grant_id, time, ticket)"
			     " SELECT host, last_seq, ?2, CAST(?3 AS BIGINT), CAST(?4 AS BIGINT), ?5"
			     " FROM hosts WHERE host = ?1",
	[ST_HOST_ACK] = "UPDATE hosts SET acked = ?2, acked_at = ?3"
			" WHERE host = ?1 AND ?2 <= last_seq AND ?2 >= acked",
	/* A change as the controller sent it: the grant as it is now. */
	[ST_MIRROR_GRANT] =
		"INSERT INTO grants (\"user\", requested_by, role, policy, source, ports, host, created,"
		" not_before, expires, justification, jti, cut, max_logins, id, revoked_at,"
		" revoked_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
		" revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by,"
		" cut = excluded.cut, expires = excluded.expires,"
		/* Extended after it ended here (a link down across its end):
		 * open again. */
		" expired_at = CASE WHEN excluded.expires > grants.expires THEN NULL"
		" ELSE grants.expired_at END",
	[ST_UPSTREAM_APPLIED] = "SELECT applied FROM upstream WHERE id = 1",
	[ST_UPSTREAM_SET] = "UPDATE upstream SET applied = ? WHERE id = 1",
	[ST_HOST_LAST_SEQ] = "SELECT last_seq FROM hosts WHERE host = ?",
	[ST_LOGIN_QUEUE] = "INSERT INTO upstream_logins (grant_id, jti, \"user\", source, port, time)"
			   " VALUES (?,?,?,?,?,?)",
	[ST_LOGIN_DONE] = "DELETE FROM upstream_logins WHERE id = ?",
	[ST_GUARD_GET] = "SELECT guard FROM upstream WHERE id = 1",
	[ST_GUARD_SET] = "UPDATE upstream SET guard = ? WHERE id = 1",
	/* A host's login number n is taken once: the first time, when n is
	 * past the last taken. */
	[ST_HOST_LOGIN] = "INSERT INTO hosts (host, logins, login_epoch) VALUES (?1, ?2, ?3)"
			  " ON CONFLICT (host) DO UPDATE SET logins = ?2, login_epoch = ?3"
			  " WHERE hosts.logins < ?2 OR hosts.login_epoch <> ?3",
	[ST_UPSTREAM_EPOCH] = "SELECT epoch FROM upstream WHERE id = 1",
	[ST_NOTIFY_CHANGE] = "SELECT ?1",	/* run on PostgreSQL alone */
	/* Which controller a host follows (?2: this one), where several share
	 * the database: another's answers wait for its acks too. */
	[ST_HOST_FOLLOWED] = "INSERT INTO hosts (host, followed_by) VALUES (?1, ?2)"
			     " ON CONFLICT (host) DO UPDATE SET followed_by = ?2",
	[ST_HOST_UNFOLLOWED] = "UPDATE hosts SET followed_by = '' WHERE host = ?1"
			       " AND followed_by = ?2",
	[ST_HOST_ELSEWHERE] = "SELECT count(*) FROM hosts WHERE host = ?1"
			      " AND followed_by NOT IN ('', ?2)",
	[ST_HOSTS_UNFOLLOW_OWN] = "UPDATE hosts SET followed_by = '' WHERE followed_by = ?1",
};


/* --- errors, statements ---------------------------------------------------------- */

int jit_store_db_fail(struct jit_store *st, int rc, const char *what, jit_error *err)
{
	return jit_db_fail(st->db, rc, what, err);
}

_Static_assert(ST_COUNT <= JIT_STORE_MAIN_STMTS, "room for every statement");

struct jit_db_stmt *jit_store_stmt_ready(struct jit_db_stmt *s)
{
	jit_db_reset(s);
	jit_db_clear(s);
	return s;
}

static struct jit_db_stmt *stmt(struct jit_store *st, enum stmt_id id)
{
	return jit_store_stmt_ready(st->stmt[id]);
}

int jit_store_db_prepare(struct jit_db *db, const char *sql, struct jit_db_stmt **s,
			 const char *what)
{
	return jit_db_prepare(db, sql, true, s, what);
}

static int prepare_all(struct jit_store *st, jit_error *err)
{
	for (int i = 0; i < ST_COUNT; i++) {
		const char *sql = jit_db_engine(st->db) == JIT_DB_POSTGRESQL && pg_stmt_sql[i]
					  ? pg_stmt_sql[i] : stmt_sql[i];
		int rc = jit_db_prepare(st->db, sql, true, &st->stmt[i], "preparing statements");

		if (rc != JIT_DB_OK)
			return jit_store_db_fail(st, rc, "preparing statements", err);
	}
	if (jit_store_requests_prepare(st, err) != 0)
		return -1;
	return jit_db_engine(st->db) == JIT_DB_POSTGRESQL ? jit_store_rates_prepare(st, err) : 0;
}

int jit_store_step_done(struct jit_store *st, struct jit_db_stmt *s, const char *what, jit_error *err)
{
	int rc = jit_db_step(s, what);

	jit_db_reset(s);
	if (rc != JIT_DB_DONE)
		return jit_store_db_fail(st, rc, what, err);
	return 0;
}

int jit_store_begin(struct jit_store *st, jit_error *err)
{
	/* A transaction left open by a ROLLBACK that failed would make every
	 * BEGIN from now on fail: end it first. */
	if (jit_db_in_transaction(st->db))
		(void)jit_db_exec(st->db, "ROLLBACK", "rolling back a transaction left open");
	return jit_store_step_done(st, stmt(st, ST_BEGIN), "starting a transaction", err);
}

int jit_store_commit(struct jit_store *st, jit_error *err)
{
	if (jit_store_step_done(st, stmt(st, ST_COMMIT), "committing", err) != 0) {
		(void)jit_db_exec(st->db, "ROLLBACK", "rolling back");
		return -1;
	}
	return 0;
}

int jit_store_rollback(struct jit_store *st)
{
	if (jit_db_in_transaction(st->db))
		(void)jit_store_step_done(st, stmt(st, ST_ROLLBACK), "rolling back", NULL);
	return -1;
}

/* --- open and migrate ---------------------------------------------------------- */

static int exec_sql(struct jit_store *st, const char *sql, const char *what, jit_error *err)
{
	int rc = jit_db_exec(st->db, sql, what);

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, what, err);
	return 0;
}

static int read_sqlite_version(struct jit_store *st, int *version, jit_error *err);

static int read_user_version(struct jit_store *st, int *version, jit_error *err)
{
	if (jit_db_engine(st->db) == JIT_DB_POSTGRESQL)
		return jit_store_pg_schema_version(st, version, err);
	return read_sqlite_version(st, version, err);
}

static int read_sqlite_version(struct jit_store *st, int *version, jit_error *err)
{
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, "PRAGMA user_version", false, &s,
				"reading the schema version");

	*version = -1;
	if (rc == JIT_DB_OK && (rc = jit_db_step(s, "reading the schema version")) == JIT_DB_ROW) {
		*version = (int)jit_db_column_int64(s, 0);
		rc = JIT_DB_OK;
	}
	jit_db_finalize(s);
	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, "reading the schema version", err);
	return 0;
}

/* Applies one migration and records the new version, atomically. */
static int migrate_one(struct jit_store *st, int from, jit_error *err)
{
	char sql[64];

	(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", from + 1);
	if (exec_sql(st, "BEGIN IMMEDIATE", "starting a migration", err) != 0)
		return -1;
	if (exec_sql(st, migrations[from], "migrating the schema", err) != 0 ||
	    exec_sql(st, sql, "recording the schema version", err) != 0 ||
	    exec_sql(st, "COMMIT", "committing a migration", err) != 0) {
		(void)jit_db_exec(st->db, "ROLLBACK", "rolling back");
		return jit_error_prefix(err, "schema version %d to %d", from, from + 1);
	}
	return 0;
}

static int migrate(struct jit_store *st, jit_error *err)
{
	int version;

	if (jit_db_engine(st->db) == JIT_DB_POSTGRESQL)
		return jit_store_pg_migrate(st, err);

	if (read_user_version(st, &version, err) != 0)
		return -1;
	if (version < 0)
		return jit_error_set(err, "database schema version %d is invalid", version);
	if (version > JIT_STORE_SCHEMA_VERSION)
		return jit_error_set(err, "database schema version %d is newer than this jitd"
				     " understands (%d)", version, JIT_STORE_SCHEMA_VERSION);
	for (; version < JIT_STORE_SCHEMA_VERSION; version++)
		if (migrate_one(st, version, err) != 0)
			return -1;
	return 0;
}

/* PostgreSQL: what other controllers sharing the database change. */
static int listen_for_changes(struct jit_store *st, jit_error *err)
{
	int rc;

	if (jit_db_engine(st->db) != JIT_DB_POSTGRESQL)
		return 0;
	rc = jit_db_listen(st->db, CHANGES_CHANNEL);
	return rc == JIT_DB_OK ? 0 : jit_store_db_fail(st, rc, "listening for changes", err);
}

struct jit_store *jit_store_open(const char *database, jit_error *err)
{
	return jit_store_open_with(database, NULL, err);
}

struct jit_store *jit_store_open_with(const char *database, const char *passfile,
				      jit_error *err)
{
	struct jit_store *st = calloc(1, sizeof(*st));
	bool pg = jit_config_database_is_postgresql(database);

	if (st == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	st->db = pg ? jit_db_open_postgresql(database, passfile, err)
		    : jit_db_open_sqlite(database, err);
	if (st->db == NULL) {
		free(st);
		return NULL;
	}
	if (migrate(st, err) != 0 || prepare_all(st, err) != 0 || listen_for_changes(st, err) != 0) {
		/* A conninfo may say more than an operator's log should. */
		jit_error_prefix(err, "%s", pg ? "PostgreSQL" : database);
		jit_store_close(st);
		return NULL;
	}
	return st;
}

bool jit_store_is_shared(const struct jit_store *st)
{
	return jit_db_engine(st->db) == JIT_DB_POSTGRESQL;
}

void jit_store_close(struct jit_store *st)
{
	if (st == NULL)
		return;
	(void)jit_store_checkpoint_stop(st);
	for (int i = 0; i < ST_COUNT; i++)
		jit_db_finalize(st->stmt[i]);
	jit_store_requests_finalize(st);
	jit_store_rates_finalize(st);
	jit_db_close(st->db);
	jit_store_changed_clear(st);
	free(st->changed);
	free(st->acks);
	free(st);
}

int jit_store_schema_version(struct jit_store *st)
{
	int version = -1;

	(void)read_user_version(st, &version, NULL);
	return version;
}

/* --- grants ---------------------------------------------------------------------- */

enum jit_grant_state jit_grant_state(const struct jit_grant *g, time_t now)
{
	if (g->revoked_at != 0)
		return JIT_GRANT_REVOKED;
	if (g->expired_at != 0 || g->expires <= now)
		return JIT_GRANT_EXPIRED;
	if (g->not_before > now)
		return JIT_GRANT_SCHEDULED;
	return JIT_GRANT_ACTIVE;
}

const char *jit_grant_state_name(enum jit_grant_state s)
{
	switch (s) {
	case JIT_GRANT_ACTIVE: return "active";
	case JIT_GRANT_EXPIRED: return "expired";
	case JIT_GRANT_REVOKED: return "revoked";
	case JIT_GRANT_SCHEDULED: return "scheduled";
	}
	return "?";
}

static void ports_text(const struct jit_grant *g, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->n_ports && len + JIT_PORTSPEC_STRLEN + 1 < size; i++) {
		if (i > 0)
			buf[len++] = ',';
		jit_portspec_format(&g->ports[i], buf + len, size - len);
		len += strlen(buf + len);
	}
}

int jit_store_insert_id(struct jit_store *st, struct jit_db_stmt *s, const char *what,
			int64_t *id, jit_error *err)
{
	int rc = jit_db_step(s, what);

	if (rc == JIT_DB_ROW) {
		*id = jit_db_column_int64(s, 0);
		rc = jit_db_step(s, what);
	}
	jit_db_reset(s);
	return rc == JIT_DB_DONE ? 0 : jit_store_db_fail(st, rc == JIT_DB_ROW ? JIT_DB_ERROR : rc,
							  what, err);
}

void jit_store_copy_column(struct jit_db_stmt *s, int col, char *dst, size_t size)
{
	const char *text = jit_db_column_text(s, col);

	(void)snprintf(dst, size, "%s", text ? text : "");
}

/* Fills g from GRANT_COLUMNS, the first at column c; -1 when a stored
 * value does not parse. */
static int columns_to_grant(struct jit_db_stmt *s, int c, struct jit_grant *g, jit_error *err)
{
	char source[JIT_CIDR_STRLEN + 1], ports[JIT_GRANT_PORTS_MAX * JIT_PORTSPEC_STRLEN];

	memset(g, 0, sizeof(*g));
	g->id = jit_db_column_int64(s, c);
	jit_store_copy_column(s, c + 1, g->user, sizeof(g->user));
	jit_store_copy_column(s, c + 2, g->requested_by, sizeof(g->requested_by));
	jit_store_copy_column(s, c + 3, g->role, sizeof(g->role));
	jit_store_copy_column(s, c + 4, g->policy, sizeof(g->policy));
	jit_store_copy_column(s, c + 5, source, sizeof(source));
	jit_store_copy_column(s, c + 6, ports, sizeof(ports));
	jit_store_copy_column(s, c + 7, g->host, sizeof(g->host));
	g->created = (time_t)jit_db_column_int64(s, c + 8);
	g->not_before = (time_t)jit_db_column_int64(s, c + 9);
	g->expires = (time_t)jit_db_column_int64(s, c + 10);
	g->revoked_at = (time_t)jit_db_column_int64(s, c + 11);
	jit_store_copy_column(s, c + 12, g->revoked_by, sizeof(g->revoked_by));
	g->expired_at = (time_t)jit_db_column_int64(s, c + 13);
	jit_store_copy_column(s, c + 14, g->justification, sizeof(g->justification));
	jit_store_copy_column(s, c + 15, g->jti, sizeof(g->jti));
	g->uses = jit_db_column_int64(s, c + 16);
	g->last_used = (time_t)jit_db_column_int64(s, c + 17);
	g->cut_on_revoke = (jit_db_column_int64(s, c + 18) & CUT_ON_REVOKE) != 0;
	g->cut_on_expiry = (jit_db_column_int64(s, c + 18) & CUT_ON_EXPIRY) != 0;
	g->max_logins = jit_db_column_int64(s, c + 19);
	g->used_up_at = (time_t)jit_db_column_int64(s, c + 20);
	if (jit_cidr_parse(source, &g->source) != 0 ||
	    jit_portspec_list_parse(ports, g->ports, JIT_GRANT_PORTS_MAX, &g->n_ports) != 0)
		return jit_error_set(err, "grant %lld: stored source or ports do not parse",
				     (long long)g->id);
	return 0;
}

static int row_to_grant(struct jit_db_stmt *s, struct jit_grant *g, jit_error *err)
{
	return columns_to_grant(s, 0, g, err);
}

int jit_store_insert_audit(struct jit_store *st, const struct jit_audit_entry *e, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_AUDIT_INSERT);

	jit_db_bind_int64(s, 1, e->time);
	jit_db_bind_text(s, 2, e->actor);
	jit_db_bind_text(s, 3, e->action);
	jit_db_bind_text(s, 4, e->subject);
	jit_db_bind_text(s, 5, e->result);
	jit_db_bind_text(s, 6, e->reason);
	jit_db_bind_text(s, 7, e->details);
	return jit_store_step_done(st, s, "writing the audit log", err);
}

/* The columns ST_GRANT_INSERT and ST_MIRROR_GRANT share, 1 to 14. */
static void bind_grant(struct jit_db_stmt *s, const struct jit_grant *g)
{
	char source[JIT_CIDR_STRLEN], ports[JIT_GRANT_PORTS_MAX * JIT_PORTSPEC_STRLEN];

	jit_cidr_format(&g->source, source, sizeof(source));
	ports_text(g, ports, sizeof(ports));
	jit_db_bind_text(s, 1, g->user);
	jit_db_bind_text(s, 2, g->requested_by);
	jit_db_bind_text(s, 3, g->role);
	jit_db_bind_text(s, 4, g->policy);
	jit_db_bind_text(s, 5, source);
	jit_db_bind_text(s, 6, ports);
	jit_db_bind_text(s, 7, g->host);
	jit_db_bind_int64(s, 8, g->created);
	jit_db_bind_int64(s, 9, g->not_before);
	jit_db_bind_int64(s, 10, g->expires);
	jit_db_bind_text(s, 11, g->justification);
	jit_db_bind_text(s, 12, g->jti);
	jit_db_bind_int64(s, 13, (g->cut_on_revoke ? CUT_ON_REVOKE : 0) |
				(g->cut_on_expiry ? CUT_ON_EXPIRY : 0));
	jit_db_bind_int64(s, 14, g->max_logins);
}

static int insert_grant(struct jit_store *st, struct jit_grant *g, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_GRANT_INSERT);

	bind_grant(s, g);
	return jit_store_insert_id(st, s, "recording the grant", &g->id, err);
}

/* Every value is validated text (CIDR, ports, base64url): no escaping needed. */
static void grant_details(const struct jit_grant *g, const char *remote, char *buf, size_t size)
{
	char source[JIT_CIDR_STRLEN], ports[JIT_GRANT_PORTS_MAX * JIT_PORTSPEC_STRLEN];
	char expires[JIT_RFC3339_LEN];

	jit_cidr_format(&g->source, source, sizeof(source));
	ports_text(g, ports, sizeof(ports));
	(void)jit_rfc3339_format(g->expires, expires);
	(void)snprintf(buf, size,
		       "{\"grant\":%lld,\"host\":\"%s\",\"from\":\"%s\",\"ports\":\"%s\","
		       "\"expires\":\"%s\",\"jti\":\"%s\"%s%s}", (long long)g->id, g->host, source,
		       ports, expires, g->jti, remote ? ",\"remote\":" : "", remote ? remote : "");
}

/* payload to every controller listening on the database (PostgreSQL), at
 * commit; nothing on SQLite. */
static int notify_others(struct jit_store *st, const char *payload, const char *what,
			 jit_error *err)
{
	struct jit_db_stmt *s;
	int rc;

	if (jit_db_engine(st->db) != JIT_DB_POSTGRESQL)
		return 0;
	s = stmt(st, ST_NOTIFY_CHANGE);
	jit_db_bind_text(s, 1, payload);
	rc = jit_db_step(s, "telling the other controllers");
	jit_db_reset(s);
	if (rc != JIT_DB_ROW)
		return jit_store_db_fail(st, rc == JIT_DB_DONE ? JIT_DB_ERROR : rc, what, err);
	return 0;
}

void jit_store_set_host(struct jit_store *st, const char *host)
{
	(void)snprintf(st->own_host, sizeof(st->own_host), "%s", host);
}

/* A host with news for its follower. Out of memory, the list is given up
 * as "every host" (changes_overflow): followers are then all looked at. */
static void note_changed(struct jit_store *st, const char *host)
{
	char *copy;

	if (st->n_changed > 0 && strcmp(st->changed[st->n_changed - 1], host) == 0)
		return;
	if (st->n_changed == st->cap_changed) {
		size_t cap = st->cap_changed ? 2 * st->cap_changed : 16;
		char **grown = realloc(st->changed, cap * sizeof(*grown));

		if (grown == NULL) {
			st->changes_overflow = true;
			return;
		}
		st->changed = grown;
		st->cap_changed = cap;
	}
	copy = strdup(host);
	if (copy == NULL) {
		st->changes_overflow = true;
		return;
	}
	st->changed[st->n_changed++] = copy;
}

bool jit_store_changes_overflow(struct jit_store *st)
{
	bool was = st->changes_overflow;

	st->changes_overflow = false;
	return was;
}

/* Within the caller's transaction: host's next change, numbered one past
 * its last, for a grant of another host than this one. */
static int queue_change(struct jit_store *st, const char *host, const char *kind,
			int64_t grant_id, const char *ticket, time_t now, jit_error *err)
{
	struct jit_db_stmt *s;

	if (st->own_host[0] == '\0' || strcmp(host, st->own_host) == 0)
		return 0;
	s = stmt(st, ST_HOST_NEXT_SEQ);
	jit_db_bind_text(s, 1, host);
	if (jit_store_step_done(st, s, "numbering the host's change", err) != 0)
		return -1;
	s = stmt(st, ST_CHANGE_INSERT);
	jit_db_bind_text(s, 1, host);
	jit_db_bind_text(s, 2, kind);
	jit_db_bind_int64(s, 3, grant_id);
	jit_db_bind_int64(s, 4, now);
	jit_db_bind_text(s, 5, ticket);
	if (jit_store_step_done(st, s, "queueing the host's change", err) != 0)
		return -1;
	s = stmt(st, ST_HOST_LAST_SEQ);
	jit_db_bind_text(s, 1, host);
	st->last_seq_queued = jit_db_step(s, NULL) == JIT_DB_ROW ? jit_db_column_int64(s, 0) : 0;
	jit_db_reset(s);
	if (notify_others(st, host, "telling the other controllers of the change", err) != 0)
		return -1;
	note_changed(st, host);
	return 0;
}

int jit_store_listen_fd(struct jit_store *st, unsigned long *connection)
{
	return jit_db_listen_fd(st->db, connection);
}

/* Another controller's ack, kept for the broker; dropped when too many are
 * waiting (an answer held for it is then sent at its apply_timeout). */
static void note_heard_ack(struct jit_store *st, const char *host, int64_t seq)
{
	if (st->n_acks == st->cap_acks) {
		size_t cap = st->cap_acks ? 2 * st->cap_acks : 16;
		struct jit_heard_ack *grown;

		if (cap > JIT_STORE_HEARD_ACKS_MAX ||
		    (grown = realloc(st->acks, cap * sizeof(*grown))) == NULL)
			return;
		st->acks = grown;
		st->cap_acks = cap;
	}
	(void)snprintf(st->acks[st->n_acks].host, sizeof(st->acks[0].host), "%s", host);
	st->acks[st->n_acks++].seq = seq;
}

/* "HOST": a change queued for it; "HOST SEQ": it acked SEQ. */
static void heard_change(const char *payload, void *ctx)
{
	const char *space = strchr(payload, ' ');
	char host[JIT_HOST_MAX], *end;
	long long seq;

	if (space == NULL) {
		if (jit_config_valid_host(payload))
			note_changed(ctx, payload);
		return;
	}
	if ((size_t)(space - payload) >= sizeof(host))
		return;
	memcpy(host, payload, (size_t)(space - payload));
	host[space - payload] = '\0';
	errno = 0;
	seq = strtoll(space + 1, &end, 10);
	if (jit_config_valid_host(host) && errno == 0 && *end == '\0' && seq > 0)
		note_heard_ack(ctx, host, seq);
}

const struct jit_heard_ack *jit_store_heard_acks(const struct jit_store *st, size_t *n)
{
	*n = st->n_acks;
	return st->acks;
}

void jit_store_heard_acks_clear(struct jit_store *st)
{
	st->n_acks = 0;
}

/* The host's follow by this controller, told to the others. */
int jit_store_host_follow(struct jit_store *st, const char *host, bool followed, jit_error *err)
{
	struct jit_db_stmt *s;

	if (jit_db_engine(st->db) != JIT_DB_POSTGRESQL)
		return 0;
	s = stmt(st, followed ? ST_HOST_FOLLOWED : ST_HOST_UNFOLLOWED);
	jit_db_bind_text(s, 1, host);
	jit_db_bind_text(s, 2, st->own_host);
	return jit_store_step_done(st, s, "recording whom the host follows", err);
}

int jit_store_host_followed_elsewhere(struct jit_store *st, const char *host)
{
	struct jit_db_stmt *s;
	int64_t n = 0;
	int rc;

	if (jit_db_engine(st->db) != JIT_DB_POSTGRESQL)
		return 0;
	s = stmt(st, ST_HOST_ELSEWHERE);
	jit_db_bind_text(s, 1, host);
	jit_db_bind_text(s, 2, st->own_host);
	rc = jit_db_step(s, NULL);
	if (rc == JIT_DB_ROW)
		n = jit_db_column_int64(s, 0);
	jit_db_reset(s);
	return rc == JIT_DB_ROW ? n > 0 : -1;
}

int jit_store_hosts_unfollow_own(struct jit_store *st, jit_error *err)
{
	struct jit_db_stmt *s;

	if (jit_db_engine(st->db) != JIT_DB_POSTGRESQL)
		return 0;
	s = stmt(st, ST_HOSTS_UNFOLLOW_OWN);
	jit_db_bind_text(s, 1, st->own_host);
	return jit_store_step_done(st, s, "forgetting the hosts this controller followed", err);
}

void jit_store_take_notifications(struct jit_store *st)
{
	jit_db_notifications(st->db, heard_change, st);
}

void jit_store_tend(struct jit_store *st)
{
	if (!jit_db_in_transaction(st->db))
		(void)jit_db_tend(st->db);
}

void jit_store_changes_catch_up(struct jit_store *st)
{
	if (jit_db_engine(st->db) == JIT_DB_POSTGRESQL)
		st->changes_overflow = true;
}

const char *const *jit_store_changed_hosts(struct jit_store *st, size_t *n)
{
	*n = st->n_changed;
	return (const char *const *)st->changed;
}

void jit_store_changed_clear(struct jit_store *st)
{
	for (size_t i = 0; i < st->n_changed; i++)
		free(st->changed[i]);
	st->n_changed = 0;
}

int64_t jit_store_last_seq_queued(const struct jit_store *st)
{
	return st->last_seq_queued;
}

int jit_store_grant_add(struct jit_store *st, struct jit_grant *g, const char *ticket,
			const struct jit_audit_entry *audit, jit_error *err)
{
	struct jit_audit_entry e = *audit;
	char details[1024];

	if (jit_store_begin(st, err) != 0)
		return -1;
	if (insert_grant(st, g, err) != 0 ||
	    queue_change(st, g->host, "grant", g->id, ticket, g->created, err) != 0)
		return jit_store_rollback(st);
	grant_details(g, audit->details, details, sizeof(details));
	e.details = details;
	if (jit_store_insert_audit(st, &e, err) != 0)
		return jit_store_rollback(st);
	return jit_store_commit(st, err);
}

static int grant_lookup(struct jit_store *st, struct jit_db_stmt *s, struct jit_grant *g,
			jit_error *err)
{
	int rc = jit_db_step(s, "reading a grant"), found;

	if (rc == JIT_DB_ROW)
		found = row_to_grant(s, g, err) == 0 ? 1 : -1;
	else if (rc == JIT_DB_DONE)
		found = 0;
	else
		found = jit_store_db_fail(st, rc, "reading a grant", err);
	jit_db_reset(s);
	return found;
}

int jit_store_grant_get(struct jit_store *st, int64_t id, struct jit_grant *g, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_GRANT_GET);

	jit_db_bind_int64(s, 1, id);
	return grant_lookup(st, s, g, err);
}

int jit_store_grant_by_jti(struct jit_store *st, const char *jti, struct jit_grant *g,
			   jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_GRANT_BY_JTI);

	jit_db_bind_text(s, 1, jti);
	return grant_lookup(st, s, g, err);
}

static int grant_host(struct jit_store *st, int64_t id, char *host, size_t size, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_GRANT_HOST);
	int rc;

	jit_db_bind_int64(s, 1, id);
	rc = jit_db_step(s, "reading the grant's host");
	if (rc == JIT_DB_ROW)
		jit_store_copy_column(s, 0, host, size);
	jit_db_reset(s);
	return rc == JIT_DB_ROW ? 0 : jit_store_db_fail(st, rc, "reading the grant's host", err);
}

/* The rest of a transaction begun with the UPDATE s of grant id, bound:
 * run, then the change for the grant's host (kind, ticket) and the audit
 * entry, committed. 1, 0 when s changed nothing (rolled back), -1. */
static int finish_grant_change(struct jit_store *st, struct jit_db_stmt *s, const char *what, int64_t id,
			       const char *kind, const char *ticket, time_t now,
			       const struct jit_audit_entry *audit, jit_error *err)
{
	char host[JIT_HOST_MAX];

	if (jit_store_step_done(st, s, what, err) != 0)
		return jit_store_rollback(st);
	if (jit_db_changes(st->db) == 0) {
		jit_store_rollback(st);
		return 0;
	}
	if (grant_host(st, id, host, sizeof(host), err) != 0 ||
	    queue_change(st, host, kind, id, ticket, now, err) != 0 ||
	    jit_store_insert_audit(st, audit, err) != 0 || jit_store_commit(st, err) != 0)
		return jit_store_rollback(st);
	return 1;
}

int jit_store_grant_revoke(struct jit_store *st, int64_t id, const char *by, time_t now,
			   bool terminate, const struct jit_audit_entry *audit, jit_error *err)
{
	struct jit_db_stmt *s;

	if (jit_store_begin(st, err) != 0)
		return -1;
	s = stmt(st, ST_GRANT_REVOKE);
	jit_db_bind_int64(s, 1, now);
	jit_db_bind_text(s, 2, by);
	jit_db_bind_int64(s, 3, terminate ? CUT_ON_REVOKE : 0);
	jit_db_bind_int64(s, 4, id);
	jit_db_bind_int64(s, 5, now);
	return finish_grant_change(st, s, "revoking the grant", id, "revoke", NULL, now, audit, err);
}

int jit_store_grant_extend(struct jit_store *st, int64_t id, time_t was, time_t expires,
			   const char *ticket, time_t now, const struct jit_audit_entry *audit,
			   jit_error *err)
{
	struct jit_db_stmt *s;

	if (jit_store_begin(st, err) != 0)
		return -1;
	s = stmt(st, ST_GRANT_EXTEND);
	jit_db_bind_int64(s, 1, expires);
	jit_db_bind_int64(s, 2, id);
	jit_db_bind_int64(s, 3, now);
	jit_db_bind_int64(s, 4, was);
	return finish_grant_change(st, s, "extending the grant", id, "extend", ticket, now, audit,
				   err);
}

/* 1 when counted, 0 when ST_GRANT_USE found the grant used up, -1. */
static int count_use(struct jit_store *st, enum stmt_id which, int64_t id, time_t when,
		     jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, which);

	jit_db_bind_int64(s, 1, when);
	jit_db_bind_int64(s, 2, id);
	if (jit_store_step_done(st, s, "recording the ticket's use", err) != 0)
		return -1;
	return jit_db_changes(st->db) > 0 ? 1 : 0;
}

static int queue_login(struct jit_store *st, const struct jit_login *l, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_LOGIN_QUEUE);

	jit_db_bind_int64(s, 1, l->grant_id);
	jit_db_bind_text(s, 2, l->jti);
	jit_db_bind_text(s, 3, l->user);
	jit_db_bind_text(s, 4, l->from);
	jit_db_bind_text(s, 5, l->port);
	jit_db_bind_int64(s, 6, l->time);
	return jit_store_step_done(st, s, "queueing the login for the controller", err);
}

void jit_store_report_logins(struct jit_store *st, bool on)
{
	st->report_logins = on;
}

uint64_t jit_store_logins_queued(const struct jit_store *st)
{
	return st->logins_queued;
}

int jit_store_grant_use(struct jit_store *st, const struct jit_login *l,
			const struct jit_audit_entry *audit, jit_error *err)
{
	int counted;

	if (jit_store_begin(st, err) != 0)
		return -1;
	counted = count_use(st, ST_GRANT_USE, l->grant_id, l->time, err);
	if (counted == 0) {
		jit_store_rollback(st);
		return 0;
	}
	if (counted < 0 || (st->report_logins && queue_login(st, l, err) != 0) ||
	    jit_store_insert_audit(st, audit, err) != 0)
		return jit_store_rollback(st);
	if (jit_store_commit(st, err) != 0)
		return -1;
	if (st->report_logins)
		st->logins_queued++;
	return 1;
}

static int query_each(struct jit_store *st, struct jit_db_stmt *s,
		      int (*row)(struct jit_db_stmt *s, void *ctx, jit_error *err), void *ctx,
		      const char *what, jit_error *err);
static int step_rows(struct jit_store *st, struct jit_db_stmt *s,
		     int (*row)(struct jit_db_stmt *s, void *ctx, jit_error *err), void *ctx,
		     const char *what, jit_error *err);

struct login_cb {
	int (*fn)(const struct jit_login *l, void *ctx);
	void *ctx;
};

static int login_row(struct jit_db_stmt *s, void *ctx, jit_error *err)
{
	struct login_cb *cb = ctx;
	struct jit_login l = { .id = jit_db_column_int64(s, 0),
			       .grant_id = jit_db_column_int64(s, 1),
			       .time = (time_t)jit_db_column_int64(s, 6) };

	(void)err;
	jit_store_copy_column(s, 2, l.jti, sizeof(l.jti));
	jit_store_copy_column(s, 3, l.user, sizeof(l.user));
	jit_store_copy_column(s, 4, l.from, sizeof(l.from));
	jit_store_copy_column(s, 5, l.port, sizeof(l.port));
	return cb->fn(&l, cb->ctx);
}

int jit_store_logins_each(struct jit_store *st, int64_t after, int64_t limit,
			  int (*fn)(const struct jit_login *l, void *ctx), void *ctx, jit_error *err)
{
	static const char sql[] =
		"SELECT id, grant_id, jti, \"user\", source, port, time FROM upstream_logins"
		" WHERE id > ?1 ORDER BY id LIMIT ?2";
	struct login_cb cb = { fn, ctx };
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, sql, false, &s, "reading the logins to report");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, "reading the logins to report", err);
	jit_db_bind_int64(s, 1, after);
	jit_db_bind_int64(s, 2, limit > 0 ? limit : INT64_MAX);
	return query_each(st, s, login_row, &cb, "reading the logins to report", err);
}

/* The one text column a statement on the upstream row reads. */
static int upstream_text(struct jit_store *st, enum stmt_id id, char *buf, size_t size,
			 const char *what, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, id);
	int rc = jit_db_step(s, NULL);

	buf[0] = '\0';
	if (rc == JIT_DB_ROW)
		jit_store_copy_column(s, 0, buf, size);
	jit_db_reset(s);
	if (rc != JIT_DB_ROW)
		return jit_store_db_fail(st, rc, what, err);
	return 0;
}

int jit_store_upstream_epoch(struct jit_store *st, char *buf, size_t size, jit_error *err)
{
	return upstream_text(st, ST_UPSTREAM_EPOCH, buf, size, "reading the database's epoch", err);
}

int jit_store_login_reported(struct jit_store *st, int64_t id, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_LOGIN_DONE);

	jit_db_bind_int64(s, 1, id);
	return jit_store_step_done(st, s, "forgetting a login reported", err);
}

int jit_store_host_login(struct jit_store *st, const char *host, const struct jit_login *l,
			 const struct jit_audit_entry *audit, jit_error *err)
{
	struct jit_db_stmt *s;

	if (jit_store_begin(st, err) != 0)
		return -1;
	s = stmt(st, ST_HOST_LOGIN);
	jit_db_bind_text(s, 1, host);
	jit_db_bind_int64(s, 2, l->id);
	jit_db_bind_text(s, 3, l->epoch);
	if (jit_store_step_done(st, s, "numbering the host's login", err) != 0)
		return jit_store_rollback(st);
	if (jit_db_changes(st->db) == 0) {
		jit_store_rollback(st);
		return 0;
	}
	if (count_use(st, ST_GRANT_USE_REPORTED, l->grant_id, l->time, err) < 0 ||
	    jit_store_insert_audit(st, audit, err) != 0 ||
	    jit_store_commit(st, err) != 0)
		return jit_store_rollback(st);
	return 1;
}

static int mark_expired(struct jit_store *st, const struct jit_grant *g, time_t now,
			jit_error *err)
{
	char details[64 + JIT_HOST_MAX];
	struct jit_audit_entry e = { .time = now, .actor = "jitd", .action = "expire",
				     .subject = g->user, .result = "ok", .details = details };
	struct jit_db_stmt *s = stmt(st, ST_MARK_EXPIRED);

	(void)snprintf(details, sizeof(details), "{\"grant\":%lld,\"host\":\"%s\"}",
		       (long long)g->id, g->host);
	jit_db_bind_int64(s, 1, now);
	jit_db_bind_int64(s, 2, g->id);
	if (jit_store_step_done(st, s, "marking a grant expired", err) != 0)
		return -1;
	return jit_store_insert_audit(st, &e, err);
}

/* Up to a batch of due grants, read in full before any is changed. */
static int read_due(struct jit_store *st, time_t now, struct jit_grant *out, size_t *n,
		    jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_DUE);
	int rc = JIT_DB_DONE;

	*n = 0;
	jit_db_bind_int64(s, 1, now);
	jit_db_bind_int64(s, 2, JIT_STORE_EXPIRE_BATCH);
	while (*n < JIT_STORE_EXPIRE_BATCH &&
	       (rc = jit_db_step(s, "reading due grants")) == JIT_DB_ROW) {
		if (row_to_grant(s, &out[*n], err) != 0) {
			jit_db_reset(s);
			return -1;
		}
		(*n)++;
	}
	jit_db_reset(s);
	if (*n < JIT_STORE_EXPIRE_BATCH && rc != JIT_DB_DONE)
		return jit_store_db_fail(st, rc, "reading due grants", err);
	return 0;
}

/* One batch in one transaction; the number marked, or -1. */
static int expire_batch(struct jit_store *st, time_t now, struct jit_grant *due, size_t *n,
			jit_error *err)
{
	if (jit_store_begin(st, err) != 0)
		return -1;
	if (read_due(st, now, due, n, err) != 0)
		return jit_store_rollback(st);
	for (size_t i = 0; i < *n; i++)
		if (mark_expired(st, &due[i], now, err) != 0)
			return jit_store_rollback(st);
	return jit_store_commit(st, err);
}

int jit_store_expire_due(struct jit_store *st, time_t now,
			 void (*fn)(const struct jit_grant *g, void *ctx), void *ctx,
			 jit_error *err)
{
	/* Batches bound the memory: 10,000 grants ending at once would
	 * otherwise be read whole, some 20 MB. */
	struct jit_grant *due = malloc(JIT_STORE_EXPIRE_BATCH * sizeof(*due));
	size_t n;
	int total = 0;

	if (due == NULL)
		return jit_error_set(err, "out of memory");
	do {
		if (expire_batch(st, now, due, &n, err) != 0) {
			free(due);
			return -1;
		}
		for (size_t i = 0; fn != NULL && i < n; i++)
			fn(&due[i], ctx);
		total += (int)n;
	} while (n == JIT_STORE_EXPIRE_BATCH);
	free(due);
	return total;
}

int jit_store_first_time(struct jit_store *st, struct jit_db_stmt *s, const char *what, time_t *when,
			 jit_error *err)
{
	int rc = jit_db_step(s, what), found = 0;

	if (rc == JIT_DB_ROW && !jit_db_column_is_null(s, 0)) {
		*when = (time_t)jit_db_column_int64(s, 0);
		found = 1;
	} else if (rc != JIT_DB_ROW) {
		found = jit_store_db_fail(st, rc, what, err);
	}
	jit_db_reset(s);
	return found;
}

int jit_store_next_expiry(struct jit_store *st, time_t *when, jit_error *err)
{
	return jit_store_first_time(st, stmt(st, ST_NEXT_EXPIRY), "finding the next expiry", when,
				    err);
}

const char *jit_lock_kind_name(enum jit_lock_kind k)
{
	switch (k) {
	case JIT_LOCK_USER: return "user";
	case JIT_LOCK_ROLE: return "role";
	case JIT_LOCK_SOURCE: return "source";
	case JIT_LOCK_HOST: return "host";
	}
	return "?";
}

static int lock_kind_of(const char *name, enum jit_lock_kind *k)
{
	for (int i = JIT_LOCK_USER; i <= JIT_LOCK_HOST; i++)
		if (strcmp(name, jit_lock_kind_name((enum jit_lock_kind)i)) == 0) {
			*k = (enum jit_lock_kind)i;
			return 0;
		}
	return -1;
}

int jit_store_lock_add(struct jit_store *st, struct jit_lock *l, const struct jit_audit_entry *audit,
		       jit_error *err)
{
	static const char sql[] = "INSERT INTO locks (kind, target, reason, by, created, expires)"
				  " VALUES (?,?,?,?,?,?) RETURNING id";
	struct jit_audit_entry entry = *audit;
	char details[64 + JIT_HOST_MAX];
	struct jit_db_stmt *s;
	int rc;

	if (jit_store_begin(st, err) != 0)
		return -1;
	rc = jit_db_prepare(st->db, sql, false, &s, "recording the lock");
	if (rc != JIT_DB_OK) {
		(void)jit_store_db_fail(st, rc, "recording the lock", err);
		return jit_store_rollback(st);
	}
	jit_db_bind_text(s, 1, jit_lock_kind_name(l->kind));
	jit_db_bind_text(s, 2, l->target);
	jit_db_bind_text(s, 3, l->reason);
	jit_db_bind_text(s, 4, l->by);
	jit_db_bind_int64(s, 5, l->created);
	if (l->expires != 0)
		jit_db_bind_int64(s, 6, l->expires);
	rc = jit_store_insert_id(st, s, "recording the lock", &l->id, err);
	jit_db_finalize(s);
	if (rc != 0)
		return jit_store_rollback(st);
	(void)snprintf(details, sizeof(details), "{\"lock\":%lld,\"kind\":\"%s\",\"target\":\"%s\"}",
		       (long long)l->id, jit_lock_kind_name(l->kind), l->target);
	entry.details = details;
	if (jit_store_insert_audit(st, &entry, err) != 0 || jit_store_commit(st, err) != 0)
		return jit_store_rollback(st);
	return 0;
}

int jit_store_lock_remove(struct jit_store *st, int64_t id, const char *by, time_t now,
			  const struct jit_audit_entry *audit, jit_error *err)
{
	static const char sql[] = "UPDATE locks SET removed_at = ?1, removed_by = ?2 WHERE id = ?3"
				  " AND removed_at IS NULL AND (expires IS NULL OR expires > ?1)";
	struct jit_db_stmt *s;
	int rc;

	if (jit_store_begin(st, err) != 0)
		return -1;
	rc = jit_db_prepare(st->db, sql, false, &s, "removing the lock");
	if (rc != JIT_DB_OK) {
		(void)jit_store_db_fail(st, rc, "removing the lock", err);
		return jit_store_rollback(st);
	}
	jit_db_bind_int64(s, 1, now);
	jit_db_bind_text(s, 2, by);
	jit_db_bind_int64(s, 3, id);
	rc = jit_store_step_done(st, s, "removing the lock", err);
	jit_db_finalize(s);
	if (rc != 0)
		return jit_store_rollback(st);
	if (jit_db_changes(st->db) == 0) {
		jit_store_rollback(st);
		return 0;
	}
	if (jit_store_insert_audit(st, audit, err) != 0 || jit_store_commit(st, err) != 0)
		return jit_store_rollback(st);
	return 1;
}

struct lock_cb {
	int (*fn)(const struct jit_lock *l, void *ctx);
	void *ctx;
};

static int lock_row(struct jit_db_stmt *s, void *ctx, jit_error *err)
{
	struct lock_cb *cb = ctx;
	struct jit_lock l = { .id = jit_db_column_int64(s, 0),
			      .created = (time_t)jit_db_column_int64(s, 5),
			      .expires = (time_t)jit_db_column_int64(s, 6) };
	char kind[16];

	jit_store_copy_column(s, 1, kind, sizeof(kind));
	if (lock_kind_of(kind, &l.kind) != 0)
		return jit_error_set(err, "lock %lld: stored kind '%s' is unknown", (long long)l.id,
				     kind);
	jit_store_copy_column(s, 2, l.target, sizeof(l.target));
	jit_store_copy_column(s, 3, l.reason, sizeof(l.reason));
	jit_store_copy_column(s, 4, l.by, sizeof(l.by));
	return cb->fn(&l, cb->ctx);
}

int jit_store_locks_each(struct jit_store *st, time_t now,
			 int (*fn)(const struct jit_lock *l, void *ctx), void *ctx, jit_error *err)
{
	struct lock_cb cb = { fn, ctx };
	struct jit_db_stmt *s = stmt(st, ST_LOCKS);
	int rc;

	jit_db_bind_int64(s, 1, now);
	rc = step_rows(st, s, lock_row, &cb, "reading the locks", err);
	jit_db_reset(s);
	return rc;
}

int jit_store_next_start(struct jit_store *st, const char *host, time_t after, time_t *when,
			 jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_NEXT_START);

	jit_db_bind_text(s, 1, host);
	jit_db_bind_int64(s, 2, after);
	return jit_store_first_time(st, s, "finding the next start", when, err);
}

struct started_cb {
	int (*fn)(const struct jit_grant *g, void *ctx);
	void *ctx;
};

static int started_row(struct jit_db_stmt *s, void *ctx, jit_error *err)
{
	struct started_cb *cb = ctx;
	struct jit_grant g;

	if (row_to_grant(s, &g, err) != 0)
		return -1;
	return cb->fn(&g, cb->ctx);
}

int jit_store_started_each(struct jit_store *st, const char *host, time_t after, time_t now,
			   int (*fn)(const struct jit_grant *g, void *ctx), void *ctx, jit_error *err)
{
	static const char sql[] =
		"SELECT " GRANT_COLUMNS " FROM grants WHERE revoked_at IS NULL"
		" AND expired_at IS NULL AND not_before > created AND host = ?1 AND not_before > ?2"
		" AND not_before <= ?3 AND expires > ?3 ORDER BY not_before";
	struct started_cb cb = { fn, ctx };
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, sql, false, &s, "finding the grants that start");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, "finding the grants that start", err);
	jit_db_bind_text(s, 1, host);
	jit_db_bind_int64(s, 2, after);
	jit_db_bind_int64(s, 3, now);
	return query_each(st, s, started_row, &cb, "finding the grants that start", err);
}

int jit_store_count_active(struct jit_store *st, time_t now, int64_t *count, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_COUNT_ACTIVE);
	int rc;

	jit_db_bind_int64(s, 1, now);
	rc = jit_db_step(s, "counting active grants");
	if (rc == JIT_DB_ROW)
		*count = jit_db_column_int64(s, 0);
	jit_db_reset(s);
	return rc == JIT_DB_ROW ? 0 : jit_store_db_fail(st, rc, "counting active grants", err);
}

/* Runs a query built at call time, calling row for each result row. */
/* Each row of s to row() until it returns non-zero: 0, or -1 with err. */
static int step_rows(struct jit_store *st, struct jit_db_stmt *s,
		     int (*row)(struct jit_db_stmt *s, void *ctx, jit_error *err), void *ctx,
		     const char *what, jit_error *err)
{
	int rc;

	while ((rc = jit_db_step(s, what)) == JIT_DB_ROW) {
		int stop = row(s, ctx, err);

		if (stop < 0)
			return -1;
		if (stop > 0)
			break;
	}
	if (rc != JIT_DB_ROW && rc != JIT_DB_DONE)
		return jit_store_db_fail(st, rc, what, err);
	return 0;
}

/* step_rows() over a statement prepared for this query alone. */
static int query_each(struct jit_store *st, struct jit_db_stmt *s,
		      int (*row)(struct jit_db_stmt *s, void *ctx, jit_error *err), void *ctx,
		      const char *what, jit_error *err)
{
	int rc = step_rows(st, s, row, ctx, what, err);

	jit_db_finalize(s);
	return rc;
}

struct grant_cb {
	int (*fn)(const struct jit_grant *g, void *ctx);
	void *ctx;
};

static int grant_row(struct jit_db_stmt *s, void *ctx, jit_error *err)
{
	struct grant_cb *cb = ctx;
	struct jit_grant g;

	int rc;

	if (row_to_grant(s, &g, err) != 0)
		return -1;
	rc = cb->fn(&g, cb->ctx);
	if (rc < 0)
		return jit_error_set(err, "listing grants: out of memory");
	return rc > 0;
}

int jit_store_grants_each(struct jit_store *st, const struct jit_grant_filter *f,
			  int (*fn)(const struct jit_grant *g, void *ctx), void *ctx,
			  jit_error *err)
{
	static const char sql[] =
		"SELECT " GRANT_COLUMNS " FROM grants"
		" WHERE (CAST(?1 AS TEXT) IS NULL OR \"user\" = ?1 OR requested_by = ?1)"
		" AND (?2 = 0 OR (revoked_at IS NULL AND expired_at IS NULL AND expires > ?3))"
		" AND (CAST(?5 AS TEXT) IS NULL OR host = ?5)"
		" ORDER BY id DESC LIMIT ?4";
	struct grant_cb cb = { fn, ctx };
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, sql, false, &s, "listing grants");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, "listing grants", err);
	jit_db_bind_text(s, 1, f->user);
	jit_db_bind_int64(s, 2, f->active_only ? 1 : 0);
	jit_db_bind_int64(s, 3, f->now);
	jit_db_bind_int64(s, 4, f->limit > 0 ? f->limit : INT64_MAX);
	jit_db_bind_text(s, 5, f->host);
	return query_each(st, s, grant_row, &cb, "listing grants", err);
}

/* --- what other hosts follow ------------------------------------------------------- */

struct change_cb {
	int (*fn)(const struct jit_host_change *c, void *ctx);
	void *ctx;
};

static int change_row(struct jit_db_stmt *s, void *ctx, jit_error *err)
{
	struct change_cb *cb = ctx;
	struct jit_host_change c = { .seq = jit_db_column_int64(s, 0),
				     .time = (time_t)jit_db_column_int64(s, 2) };

	jit_store_copy_column(s, 1, c.kind, sizeof(c.kind));
	c.ticket = (const char *)jit_db_column_text(s, 3);
	if (columns_to_grant(s, 4, &c.grant, err) != 0)
		return -1;
	return cb->fn(&c, cb->ctx);
}

int jit_store_changes_each(struct jit_store *st, const char *host, int64_t since, int64_t limit,
			   int (*fn)(const struct jit_host_change *c, void *ctx), void *ctx,
			   jit_error *err)
{
	static const char sql[] =
		"SELECT c.seq, c.kind, c.time, c.ticket, " GRANT_COLUMNS_OF("g") " FROM host_changes c"
		" JOIN grants g ON g.id = c.grant_id WHERE c.host = ?1 AND c.seq > ?2"
		" ORDER BY c.seq LIMIT ?3";
	struct change_cb cb = { fn, ctx };
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, sql, false, &s, "reading the host's changes");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, "reading the host's changes", err);
	jit_db_bind_text(s, 1, host);
	jit_db_bind_int64(s, 2, since);
	jit_db_bind_int64(s, 3, limit > 0 ? limit : INT64_MAX);
	return query_each(st, s, change_row, &cb, "reading the host's changes", err);
}

/* The other controllers told: an answer one holds may wait for this ack. */
static int notify_ack(struct jit_store *st, const char *host, int64_t seq, jit_error *err)
{
	char payload[JIT_HOST_MAX + 24];

	(void)snprintf(payload, sizeof(payload), "%s %lld", host, (long long)seq);
	return notify_others(st, payload, "telling the other controllers of the ack", err);
}

int jit_store_host_ack(struct jit_store *st, const char *host, int64_t seq, time_t now,
		       jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_HOST_ACK);

	jit_db_bind_text(s, 1, host);
	jit_db_bind_int64(s, 2, seq);
	jit_db_bind_int64(s, 3, now);
	if (jit_store_step_done(st, s, "recording the host's ack", err) != 0)
		return -1;
	if (jit_db_changes(st->db) == 0)
		return jit_error_set(err, "%s acked change %lld, which it was never sent or"
				     " which it acked before", host, (long long)seq);
	return notify_ack(st, host, seq, err);
}

/* --- an enforcer's mirror ------------------------------------------------------------ */

int jit_store_upstream_applied(struct jit_store *st, int64_t *seq, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_UPSTREAM_APPLIED);
	int rc = jit_db_step(s, NULL);

	*seq = rc == JIT_DB_ROW ? jit_db_column_int64(s, 0) : 0;
	jit_db_reset(s);
	if (rc != JIT_DB_ROW)
		return jit_store_db_fail(st, rc, "reading the last change applied", err);
	return 0;
}

int jit_store_upstream_guard(struct jit_store *st, char *buf, size_t size, jit_error *err)
{
	return upstream_text(st, ST_GUARD_GET, buf, size, "reading the controller's guard ports",
			     err);
}

int jit_store_upstream_set_guard(struct jit_store *st, const char *ports, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_GUARD_SET);

	jit_db_bind_text(s, 1, ports);
	return jit_store_step_done(st, s, "recording the controller's guard ports", err);
}

static int mirror_grant(struct jit_store *st, const struct jit_grant *g, jit_error *err)
{
	struct jit_db_stmt *s = stmt(st, ST_MIRROR_GRANT);

	bind_grant(s, g);
	jit_db_bind_int64(s, 15, g->id);
	if (g->revoked_at != 0) {
		jit_db_bind_int64(s, 16, g->revoked_at);
		jit_db_bind_text(s, 17, g->revoked_by);
	} else {
		jit_db_bind_null(s, 16);
		jit_db_bind_null(s, 17);
	}
	return jit_store_step_done(st, s, "recording the controller's grant", err);
}

int jit_store_mirror(struct jit_store *st, const struct jit_grant *g, int64_t seq,
		     const struct jit_audit_entry *audit, jit_error *err)
{
	struct jit_db_stmt *s;

	if (jit_store_begin(st, err) != 0)
		return -1;
	if (g != NULL && mirror_grant(st, g, err) != 0)
		return jit_store_rollback(st);
	s = stmt(st, ST_UPSTREAM_SET);
	jit_db_bind_int64(s, 1, seq);
	if (jit_store_step_done(st, s, "recording the change applied", err) != 0 ||
	    (audit != NULL && jit_store_insert_audit(st, audit, err) != 0))
		return jit_store_rollback(st);
	return jit_store_commit(st, err);
}

struct host_cb {
	int (*fn)(const struct jit_host_state *h, void *ctx);
	void *ctx;
};

static int host_row(struct jit_db_stmt *s, void *ctx, jit_error *err)
{
	struct host_cb *cb = ctx;
	struct jit_host_state h = { .last_seq = jit_db_column_int64(s, 1),
				    .acked = jit_db_column_int64(s, 2),
				    .acked_at = (time_t)jit_db_column_int64(s, 3) };

	(void)err;
	jit_store_copy_column(s, 0, h.host, sizeof(h.host));
	return cb->fn(&h, cb->ctx);
}

int jit_store_hosts_each(struct jit_store *st, int (*fn)(const struct jit_host_state *h, void *ctx),
			 void *ctx, jit_error *err)
{
	static const char sql[] = "SELECT host, last_seq, acked, acked_at FROM hosts ORDER BY host";
	struct host_cb cb = { fn, ctx };
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, sql, false, &s, "listing the hosts");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, "listing the hosts", err);
	return query_each(st, s, host_row, &cb, "listing the hosts", err);
}

/* --- audit ------------------------------------------------------------------------ */

int jit_store_audit_add(struct jit_store *st, const struct jit_audit_entry *e, jit_error *err)
{
	return jit_store_insert_audit(st, e, err);
}

struct audit_cb {
	int (*fn)(const struct jit_audit_entry *e, void *ctx);
	void *ctx;
};

static const char *column_text(struct jit_db_stmt *s, int col)
{
	return (const char *)jit_db_column_text(s, col);
}

static int audit_row(struct jit_db_stmt *s, void *ctx, jit_error *err)
{
	struct audit_cb *cb = ctx;
	struct jit_audit_entry e = {
		.id = jit_db_column_int64(s, 0),
		.time = (time_t)jit_db_column_int64(s, 1),
		.actor = column_text(s, 2),
		.action = column_text(s, 3),
		.subject = column_text(s, 4),
		.result = column_text(s, 5),
		.reason = column_text(s, 6),
		.details = column_text(s, 7),
	};

	int rc = cb->fn(&e, cb->ctx);

	if (rc < 0)
		return jit_error_set(err, "reading the audit log: out of memory");
	return rc > 0;
}

int jit_store_audit_each(struct jit_store *st, time_t since, const char *user, int64_t limit,
			 bool newest_first, int (*fn)(const struct jit_audit_entry *e, void *ctx),
			 void *ctx, jit_error *err)
{
	static const char oldest_sql[] =
		"SELECT * FROM (SELECT id, time, actor, action, subject, result, reason, details"
		" FROM audit WHERE time >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR actor = ?2 OR subject = ?2)"
		" ORDER BY id DESC LIMIT ?3) AS recent ORDER BY id";
	static const char newest_sql[] =
		"SELECT id, time, actor, action, subject, result, reason, details"
		" FROM audit WHERE time >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR actor = ?2 OR subject = ?2)"
		" ORDER BY id DESC LIMIT ?3";
	struct audit_cb cb = { fn, ctx };
	struct jit_db_stmt *s;
	int rc = jit_db_prepare(st->db, newest_first ? newest_sql : oldest_sql, false, &s,
			    "reading the audit log");

	if (rc != JIT_DB_OK)
		return jit_store_db_fail(st, rc, "reading the audit log", err);
	jit_db_bind_int64(s, 1, since);
	jit_db_bind_text(s, 2, user);
	jit_db_bind_int64(s, 3, limit > 0 ? limit : INT64_MAX);
	return query_each(st, s, audit_row, &cb, "reading the audit log", err);
}
