/* SPDX-License-Identifier: ISC */
/* The SQL database under jitd's store: a connection, statements prepared
 * on it, their parameters and rows. The store's queries and transactions
 * are written once against this (store.c, store_requests.c); a driver
 * carries them to its engine (db_sqlite.c, db_pg.c). Statements use
 * SQLite's placeholders, ? for the next parameter and ?N for the Nth, and
 * SQL both engines read alike. */
#ifndef JIT_DB_H
#define JIT_DB_H

#include "jit_error.h"

#include <stdbool.h>
#include <stdint.h>

/* What a call returns: JIT_DB_OK, a step's JIT_DB_ROW or JIT_DB_DONE, or
 * one of the failures an operator should be told apart. */
enum jit_db_rc {
	JIT_DB_OK = 0,
	JIT_DB_ROW,
	JIT_DB_DONE,
	JIT_DB_FULL,		/* disk full */
	JIT_DB_BUSY,		/* locked by another writer */
	JIT_DB_READONLY,
	JIT_DB_CORRUPT,
	JIT_DB_IOERR,
	JIT_DB_CANTOPEN,
	JIT_DB_PERM,
	JIT_DB_UNREACHABLE,	/* the server is down or the connection lost */
	JIT_DB_ERROR,		/* anything else */
};

enum jit_db_engine { JIT_DB_SQLITE, JIT_DB_POSTGRESQL };

struct jit_db;
struct jit_db_stmt;

/* Opens (creating it 0600 when missing) the SQLite database at path, in
 * WAL mode. NULL with the reason in err. */
struct jit_db *jit_db_open_sqlite(const char *path, jit_error *err);
/* Connects to PostgreSQL (a libpq URI or conninfo; passfile: a password
 * file, or NULL). A password on the line itself is refused. */
struct jit_db *jit_db_open_postgresql(const char *conninfo, const char *passfile,
				      jit_error *err);
void jit_db_close(struct jit_db *db);
enum jit_db_engine jit_db_engine(const struct jit_db *db);

/* Runs one or more statements without parameters or rows. */
int jit_db_exec(struct jit_db *db, const char *sql, const char *what);

/* persistent: kept for the connection's life (prepared once, run often). */
int jit_db_prepare(struct jit_db *db, const char *sql, bool persistent, struct jit_db_stmt **s,
		   const char *what);
void jit_db_finalize(struct jit_db_stmt *s);

/* Ready to run again: reset, and with jit_db_clear() its parameters
 * unbound (NULL). */
void jit_db_reset(struct jit_db_stmt *s);
void jit_db_clear(struct jit_db_stmt *s);

/* Parameters, from 1. A text is copied; NULL binds SQL NULL. */
void jit_db_bind_int64(struct jit_db_stmt *s, int i, int64_t v);
void jit_db_bind_text(struct jit_db_stmt *s, int i, const char *text);
void jit_db_bind_null(struct jit_db_stmt *s, int i);

/* The next row (JIT_DB_ROW), the end (JIT_DB_DONE), or a failure. what:
 * the step as the fault-injection seam matches it; NULL: outside the seam. */
int jit_db_step(struct jit_db_stmt *s, const char *what);

/* The current row's columns, from 0: 0 and NULL for SQL NULL. */
int64_t jit_db_column_int64(struct jit_db_stmt *s, int col);
const char *jit_db_column_text(struct jit_db_stmt *s, int col);
bool jit_db_column_is_null(struct jit_db_stmt *s, int col);

/* Rows the last INSERT, UPDATE or DELETE changed. */
int64_t jit_db_changes(struct jit_db *db);
bool jit_db_in_transaction(struct jit_db *db);

/* -1, with what failed, the kind of failure and the engine's reason. */
int jit_db_fail(struct jit_db *db, int rc, const char *what, jit_error *err);

/* A step of the upkeep that needs no query: a lost connection to a server
 * made anew (PostgreSQL), without waiting. JIT_DB_OK when connected. */
int jit_db_tend(struct jit_db *db);

/* Notifications between connections to one database (PostgreSQL's
 * LISTEN/NOTIFY; SQLite has none): jit_db_listen() subscribes to channel,
 * again on every new connection; jit_db_listen_fd() is the descriptor that
 * turns readable when one may have come (-1: none) and which connection it
 * is (both change after a lost connection); jit_db_notifications() passes each one come to fn,
 * without waiting. */
int jit_db_listen(struct jit_db *db, const char *channel);
int jit_db_listen_fd(struct jit_db *db, unsigned long *connection);
void jit_db_notifications(struct jit_db *db, void (*fn)(const char *payload, void *ctx),
			  void *ctx);

/* The driver's own handle, for what only that engine has (SQLite's WAL
 * checkpoints). */
void *jit_db_handle(struct jit_db *db);

#endif
