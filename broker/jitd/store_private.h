/* SPDX-License-Identifier: ISC */
/* What store.c and store_requests.c share: the store itself and the few
 * helpers every query uses. Private to them. */
#ifndef JIT_STORE_PRIVATE_H
#define JIT_STORE_PRIVATE_H

#include "store.h"

#include "db.h"

/* Room for store.c's statements, and for those store_requests.c prepares
 * with them. */
#define JIT_STORE_MAIN_STMTS 40
#define JIT_STORE_REQUEST_STMTS 12
#define JIT_STORE_RATE_STMTS 2

struct jit_store {
	struct jit_db *db;
	struct jit_db_stmt *stmt[JIT_STORE_MAIN_STMTS];	/* store.c's */
	char own_host[JIT_HOST_MAX];	/* grants for any other host queue a change */
	int64_t last_seq_queued;	/* the number of the last change queued */
	char **changed;			/* hosts with changes queued since the last clear */
	size_t n_changed, cap_changed;
	bool changes_overflow;		/* a host could not be noted: all may have news */
	struct jit_heard_ack *acks;	/* other controllers' hosts' acks, heard */
	size_t n_acks, cap_acks;
	bool report_logins;		/* an enforcer's: each use queued for the controller */
	uint64_t logins_queued;		/* by this process */
	struct jit_db_stmt *requests[JIT_STORE_REQUEST_STMTS];	/* store_requests.c's */
	struct jit_db_stmt *rates[JIT_STORE_RATE_STMTS];	/* store_rates.c's (PostgreSQL) */
	struct jit_checkpointer *checkpointer;	/* NULL: SQLite's own, after a commit */
};

/* -1, with what failed and the database's reason in err. */
int jit_store_db_fail(struct jit_store *st, int rc, const char *what, jit_error *err);
/* One persistent statement prepared; db.h's code. */
int jit_store_db_prepare(struct jit_db *db, const char *sql, struct jit_db_stmt **s,
			 const char *what);
/* A prepared statement, reset, its bindings cleared. */
struct jit_db_stmt *jit_store_stmt_ready(struct jit_db_stmt *s);
/* Steps s to its end: 0, or -1 with err. */
int jit_store_step_done(struct jit_store *st, struct jit_db_stmt *s, const char *what, jit_error *err);
/* Steps an INSERT ... RETURNING id to its end: 0 and *id, or -1 with err. */
int jit_store_insert_id(struct jit_store *st, struct jit_db_stmt *s, const char *what,
			int64_t *id, jit_error *err);
/* A column's text copied into dst (size bytes with the NUL; "" for NULL). */
void jit_store_copy_column(struct jit_db_stmt *s, int col, char *dst, size_t size);
int jit_store_begin(struct jit_store *st, jit_error *err);
int jit_store_commit(struct jit_store *st, jit_error *err);
/* Ends the open transaction; always -1, for `return jit_store_rollback(st);`. */
int jit_store_rollback(struct jit_store *st);
/* A query of one time (the first of an index): 1 and *when, 0 when it is NULL, -1. */
int jit_store_first_time(struct jit_store *st, struct jit_db_stmt *s, const char *what, time_t *when,
			 jit_error *err);
int jit_store_insert_audit(struct jit_store *st, const struct jit_audit_entry *e, jit_error *err);

/* store_schema_pg.c: the schema version in PostgreSQL (0: none yet), and
 * the schema made or checked. */
int jit_store_pg_schema_version(struct jit_store *st, int *version, jit_error *err);
int jit_store_pg_migrate(struct jit_store *st, jit_error *err);

/* store_requests.c: its statements, prepared and finalised with the rest. */
int jit_store_requests_prepare(struct jit_store *st, jit_error *err);
void jit_store_requests_finalize(struct jit_store *st);

/* store_rates.c: its statements, on PostgreSQL only. */
int jit_store_rates_prepare(struct jit_store *st, jit_error *err);
void jit_store_rates_finalize(struct jit_store *st);

#endif
