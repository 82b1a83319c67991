/* SPDX-License-Identifier: ISC */
/* What a driver of db.h provides: its calls, which db.c dispatches to.
 * Private to db.c and the drivers. */
#ifndef JIT_DB_DRIVER_H
#define JIT_DB_DRIVER_H

#include "db.h"

struct jit_db_ops {
	void (*close)(struct jit_db *db);
	int (*exec)(struct jit_db *db, const char *sql, const char *what);
	int (*prepare)(struct jit_db *db, const char *sql, bool persistent,
		       struct jit_db_stmt **s, const char *what);
	void (*finalize)(struct jit_db_stmt *s);
	void (*reset)(struct jit_db_stmt *s);
	void (*clear)(struct jit_db_stmt *s);
	void (*bind_int64)(struct jit_db_stmt *s, int i, int64_t v);
	void (*bind_text)(struct jit_db_stmt *s, int i, const char *text);
	int (*step)(struct jit_db_stmt *s, const char *what);
	int64_t (*column_int64)(struct jit_db_stmt *s, int col);
	const char *(*column_text)(struct jit_db_stmt *s, int col);
	bool (*column_is_null)(struct jit_db_stmt *s, int col);
	int64_t (*changes)(struct jit_db *db);
	bool (*in_transaction)(struct jit_db *db);
	/* The engine's own words for rc's failure, for jit_db_fail(). */
	const char *(*message)(struct jit_db *db, int rc);
	void *(*handle)(struct jit_db *db);
	/* NULL where there is nothing to tend (a connection to make anew). */
	int (*tend)(struct jit_db *db);
	/* NULL where the engine has no notifications. */
	int (*listen)(struct jit_db *db, const char *channel);
	int (*listen_fd)(struct jit_db *db, unsigned long *connection);
	void (*notifications)(struct jit_db *db, void (*fn)(const char *payload, void *ctx),
			      void *ctx);
};

/* The first member of each driver's connection and statement. */
struct jit_db {
	const struct jit_db_ops *ops;
	enum jit_db_engine engine;
};

struct jit_db_stmt {
	struct jit_db *db;
};

#endif
