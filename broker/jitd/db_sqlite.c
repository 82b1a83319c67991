/* SPDX-License-Identifier: ISC */
/* db.h's driver for SQLite. */
#include "config.h"

#include "db.h"

#include "fault.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct jit_db {
	sqlite3 *sqlite;
};

/* A statement is SQLite's own: no wrapper to allocate. */
static sqlite3_stmt *raw(struct jit_db_stmt *s)
{
	return (sqlite3_stmt *)(void *)s;
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

/* What an operator should read for the usual failures. */
static const char *kind_of(int rc)
{
	switch (rc) {
	case JIT_DB_FULL: return "disk full";
	case JIT_DB_BUSY: return "database is locked";
	case JIT_DB_READONLY: return "database is read-only";
	case JIT_DB_CORRUPT: return "database is corrupt";
	case JIT_DB_IOERR: return "I/O error";
	case JIT_DB_CANTOPEN: return "cannot open the database";
	case JIT_DB_PERM: return "permission denied";
	default: return "database error";
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

int jit_db_fail(struct jit_db *db, int rc, const char *what, jit_error *err)
{
	/* SQLite's message is about its last error, which is not rc when the
	 * fault-injection seam made the call fail. */
	const char *msg = db != NULL && db->sqlite != NULL &&
			  rc_of(sqlite3_extended_errcode(db->sqlite)) == rc
				  ? sqlite3_errmsg(db->sqlite)
				  : sqlite3_errstr(sqlite_code_of(rc));

	jit_error_set(err, "%s: %s (%s)", what, kind_of(rc), msg);
	return -1;
}

/* --- the calls, through the fault-injection seam ------------------------------- */

int jit_db_exec(struct jit_db *db, const char *sql, const char *what)
{
	int rc = jit_fault(JIT_FAULT_SQLITE_EXEC, what);

	return rc_of(rc != 0 ? rc : sqlite3_exec(db->sqlite, sql, NULL, NULL, NULL));
}

int jit_db_prepare(struct jit_db *db, const char *sql, bool persistent, struct jit_db_stmt **s,
		   const char *what)
{
	int rc = jit_fault(JIT_FAULT_SQLITE_PREPARE, what);
	sqlite3_stmt *prepared = NULL;

	*s = NULL;
	if (rc == 0)
		rc = sqlite3_prepare_v3(db->sqlite, sql, -1,
					persistent ? SQLITE_PREPARE_PERSISTENT : 0, &prepared, NULL);
	*s = (struct jit_db_stmt *)(void *)prepared;
	return rc_of(rc);
}

int jit_db_step(struct jit_db_stmt *s, const char *what)
{
	int rc = what != NULL ? jit_fault(JIT_FAULT_SQLITE_STEP, what) : 0;

	return rc_of(rc != 0 ? rc : sqlite3_step(raw(s)));
}

/* --- statements ---------------------------------------------------------------- */

void jit_db_finalize(struct jit_db_stmt *s)
{
	sqlite3_finalize(raw(s));
}

void jit_db_reset(struct jit_db_stmt *s)
{
	sqlite3_reset(raw(s));
}

void jit_db_clear(struct jit_db_stmt *s)
{
	sqlite3_clear_bindings(raw(s));
}

void jit_db_bind_int64(struct jit_db_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(raw(s), i, (sqlite3_int64)v);
}

void jit_db_bind_text(struct jit_db_stmt *s, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(raw(s), i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(raw(s), i);
}

void jit_db_bind_null(struct jit_db_stmt *s, int i)
{
	sqlite3_bind_null(raw(s), i);
}

int64_t jit_db_column_int64(struct jit_db_stmt *s, int col)
{
	return (int64_t)sqlite3_column_int64(raw(s), col);
}

const char *jit_db_column_text(struct jit_db_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(raw(s), col);
}

bool jit_db_column_is_null(struct jit_db_stmt *s, int col)
{
	return sqlite3_column_type(raw(s), col) == SQLITE_NULL;
}

int64_t jit_db_changes(struct jit_db *db)
{
	return (int64_t)sqlite3_changes64(db->sqlite);
}

bool jit_db_in_transaction(struct jit_db *db)
{
	return sqlite3_get_autocommit(db->sqlite) == 0;
}

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
	int rc = jit_db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				 " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
			     "configuring the database");

	return rc == JIT_DB_OK ? 0 : jit_db_fail(db, rc, "configuring the database", err);
}

struct jit_db *jit_db_open_sqlite(const char *path, jit_error *err)
{
	struct jit_db *db = calloc(1, sizeof(*db));
	int rc;

	if (db == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	if (create_private(path, err) != 0) {
		free(db);
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db->sqlite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		jit_db_fail(db, rc_of(rc), path, err);
		jit_db_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db->sqlite, 1);
	(void)sqlite3_busy_timeout(db->sqlite, 1000);
	if (configure(db, err) != 0) {
		jit_error_prefix(err, "%s", path);
		jit_db_close(db);
		return NULL;
	}
	return db;
}

void jit_db_close(struct jit_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->sqlite);
	free(db);
}

enum jit_db_engine jit_db_engine(const struct jit_db *db)
{
	(void)db;
	return JIT_DB_SQLITE;
}

void *jit_db_handle(struct jit_db *db)
{
	return db->sqlite;
}
