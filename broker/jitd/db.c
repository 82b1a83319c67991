/* SPDX-License-Identifier: ISC */
/* db.h's calls, each to the driver of its connection. */
#include "config.h"

#include "db_driver.h"


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
	case JIT_DB_UNREACHABLE: return "database unreachable";
	default: return "database error";
	}
}

int jit_db_fail(struct jit_db *db, int rc, const char *what, jit_error *err)
{
	jit_error_set(err, "%s: %s (%s)", what, kind_of(rc),
		      db != NULL ? db->ops->message(db, rc) : "out of memory");
	return -1;
}

void jit_db_close(struct jit_db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

enum jit_db_engine jit_db_engine(const struct jit_db *db)
{
	return db->engine;
}

int jit_db_exec(struct jit_db *db, const char *sql, const char *what)
{
	return db->ops->exec(db, sql, what);
}

int jit_db_prepare(struct jit_db *db, const char *sql, bool persistent, struct jit_db_stmt **s,
		   const char *what)
{
	return db->ops->prepare(db, sql, persistent, s, what);
}

void jit_db_finalize(struct jit_db_stmt *s)
{
	if (s != NULL)
		s->db->ops->finalize(s);
}

void jit_db_reset(struct jit_db_stmt *s)
{
	s->db->ops->reset(s);
}

void jit_db_clear(struct jit_db_stmt *s)
{
	s->db->ops->clear(s);
}

void jit_db_bind_int64(struct jit_db_stmt *s, int i, int64_t v)
{
	s->db->ops->bind_int64(s, i, v);
}

void jit_db_bind_text(struct jit_db_stmt *s, int i, const char *text)
{
	s->db->ops->bind_text(s, i, text);
}

void jit_db_bind_null(struct jit_db_stmt *s, int i)
{
	s->db->ops->bind_text(s, i, NULL);
}

int jit_db_step(struct jit_db_stmt *s, const char *what)
{
	return s->db->ops->step(s, what);
}

int64_t jit_db_column_int64(struct jit_db_stmt *s, int col)
{
	return s->db->ops->column_int64(s, col);
}

const char *jit_db_column_text(struct jit_db_stmt *s, int col)
{
	return s->db->ops->column_text(s, col);
}

bool jit_db_column_is_null(struct jit_db_stmt *s, int col)
{
	return s->db->ops->column_is_null(s, col);
}

int64_t jit_db_changes(struct jit_db *db)
{
	return db->ops->changes(db);
}

bool jit_db_in_transaction(struct jit_db *db)
{
	return db->ops->in_transaction(db);
}

void *jit_db_handle(struct jit_db *db)
{
	return db->ops->handle(db);
}

int jit_db_tend(struct jit_db *db)
{
	return db->ops->tend != NULL ? db->ops->tend(db) : JIT_DB_OK;
}

int jit_db_listen(struct jit_db *db, const char *channel)
{
	return db->ops->listen != NULL ? db->ops->listen(db, channel) : JIT_DB_OK;
}

int jit_db_listen_fd(struct jit_db *db, unsigned long *connection)
{
	*connection = 0;
	return db->ops->listen_fd != NULL ? db->ops->listen_fd(db, connection) : -1;
}

void jit_db_notifications(struct jit_db *db, void (*fn)(const char *payload, void *ctx),
			  void *ctx)
{
	if (db->ops->notifications != NULL)
		db->ops->notifications(db, fn, ctx);
}
