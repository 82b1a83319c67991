/* SPDX-License-Identifier: ISC */
/* db.h's driver for SQLite. */
#include "config.h"

#include "db_driver.h"

#include "fault.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lite_db {
	struct jit_db base;
	sqlite3 *sqlite;
};

struct lite_stmt {
	struct jit_db_stmt base;
	sqlite3_stmt *raw;
};

static sqlite3 *lite(struct jit_db *db)
{
	return ((struct lite_db *)(void *)db)->sqlite;
}

static sqlite3_stmt *raw(struct jit_db_stmt *s)
{
	return ((struct lite_stmt *)(void *)s)->raw;
}

static int rc_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: return JIT_DB_OK;
	case SQLITE_ROW: return JIT_DB_ROW;
	case SQLITE_DONE: return JIT_DB_DONE;
	case SQLITE_FULL: return JIT_DB_FULL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return JIT_DB_BUSY;
	case SQLITE_READONLY: return JIT_DB_READONLY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: return JIT_DB_CORRUPT;
	case SQLITE_IOERR: return JIT_DB_IOERR;
	case SQLITE_CANTOPEN: return JIT_DB_CANTOPEN;
	case SQLITE_PERM: return JIT_DB_PERM;
	default: return JIT_DB_ERROR;
	}
}

/* The SQLite code a failure of ours stands for, for its message. */
static int sqlite_code_of(int rc)
{
	switch (rc) {
	case JIT_DB_FULL: return SQLITE_FULL;
	case JIT_DB_BUSY: return SQLITE_BUSY;
	case JIT_DB_READONLY: return SQLITE_READONLY;
	case JIT_DB_CORRUPT: return SQLITE_CORRUPT;
	case JIT_DB_IOERR: return SQLITE_IOERR;
	case JIT_DB_CANTOPEN: return SQLITE_CANTOPEN;
	case JIT_DB_PERM: return SQLITE_PERM;
	default: return SQLITE_ERROR;
	}
}

static const char *lite_message(struct jit_db *db, int rc)
{
	/* SQLite's message is about its last error, which is not rc when the
	 * fault-injection seam made the call fail. */
	sqlite3 *h = lite(db);

	return h != NULL && rc_of(sqlite3_extended_errcode(h)) == rc ? sqlite3_errmsg(h)
								     : sqlite3_errstr(sqlite_code_of(rc));
}

/* --- the calls, through the fault-injection seam ------------------------------- */

static int lite_exec(struct jit_db *db, const char *sql, const char *what)
{
	int rc = jit_fault(JIT_FAULT_SQLITE_EXEC, what);

	return rc_of(rc != 0 ? rc : sqlite3_exec(lite(db), sql, NULL, NULL, NULL));
}

static int lite_prepare(struct jit_db *db, const char *sql, bool persistent,
			struct jit_db_stmt **s, const char *what)
{
	int rc = jit_fault(JIT_FAULT_SQLITE_PREPARE, what);
	struct lite_stmt *ls;

	*s = NULL;
	if (rc != 0)
		return rc_of(rc);
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		return JIT_DB_ERROR;
	ls->base.db = db;
	rc = sqlite3_prepare_v3(lite(db), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
				&ls->raw, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(ls->raw);
		free(ls);
		return rc_of(rc);
	}
	*s = &ls->base;
	return JIT_DB_OK;
}

static int lite_step(struct jit_db_stmt *s, const char *what)
{
	int rc = what != NULL ? jit_fault(JIT_FAULT_SQLITE_STEP, what) : 0;

	return rc_of(rc != 0 ? rc : sqlite3_step(raw(s)));
}

/* --- statements ---------------------------------------------------------------- */

static void lite_finalize(struct jit_db_stmt *s)
{
	sqlite3_finalize(raw(s));
	free(s);
}

static void lite_reset(struct jit_db_stmt *s)
{
	sqlite3_reset(raw(s));
}

static void lite_clear(struct jit_db_stmt *s)
{
	sqlite3_clear_bindings(raw(s));
}

static void lite_bind_int64(struct jit_db_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(raw(s), i, (sqlite3_int64)v);
}

static void lite_bind_text(struct jit_db_stmt *s, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(raw(s), i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(raw(s), i);
}

static int64_t lite_column_int64(struct jit_db_stmt *s, int col)
{
	return (int64_t)sqlite3_column_int64(raw(s), col);
}

static const char *lite_column_text(struct jit_db_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(raw(s), col);
}

static bool lite_column_is_null(struct jit_db_stmt *s, int col)
{
	return sqlite3_column_type(raw(s), col) == SQLITE_NULL;
}

static int64_t lite_changes(struct jit_db *db)
{
	return (int64_t)sqlite3_changes64(lite(db));
}

static bool lite_in_transaction(struct jit_db *db)
{
	return sqlite3_get_autocommit(lite(db)) == 0;
}

static void *lite_handle(struct jit_db *db)
{
	return lite(db);
}

static void lite_close(struct jit_db *db)
{
	sqlite3_close(lite(db));
	free(db);
}

static const struct jit_db_ops lite_ops = {
	.close = lite_close,
	.exec = lite_exec,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.clear = lite_clear,
	.bind_int64 = lite_bind_int64,
	.bind_text = lite_bind_text,
	.step = lite_step,
	.column_int64 = lite_column_int64,
	.column_text = lite_column_text,
	.column_is_null = lite_column_is_null,
	.changes = lite_changes,
	.in_transaction = lite_in_transaction,
	.message = lite_message,
	.handle = lite_handle,
};

/* --- the connection ------------------------------------------------------------ */

/* Creates the file 0600 first, so that SQLite never makes it world-readable. */
static int create_private(const char *path, jit_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return jit_error_set(err, "%s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

static int configure(struct jit_db *db, jit_error *err)
{
	/* WAL with synchronous=NORMAL survives a crash of jitd at any point;
	 * only a power loss can take the last commits, and it takes the
	 * kernel's firewall state with them. */
	int rc = lite_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			       " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
			   "configuring the database");

	return rc == JIT_DB_OK ? 0 : jit_db_fail(db, rc, "configuring the database", err);
}

struct jit_db *jit_db_open_sqlite(const char *path, jit_error *err)
{
	struct lite_db *db = calloc(1, sizeof(*db));
	int rc;

	if (db == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	db->base.ops = &lite_ops;
	db->base.engine = JIT_DB_SQLITE;
	if (create_private(path, err) != 0) {
		free(db);
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db->sqlite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		jit_db_fail(&db->base, rc_of(rc), path, err);
		lite_close(&db->base);
		return NULL;
	}
	sqlite3_extended_result_codes(db->sqlite, 1);
	(void)sqlite3_busy_timeout(db->sqlite, 1000);
	if (configure(&db->base, err) != 0) {
		jit_error_prefix(err, "%s", path);
		lite_close(&db->base);
		return NULL;
	}
	return &db->base;
}
