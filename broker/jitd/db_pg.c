/* SPDX-License-Identifier: ISC */
/* db.h's driver for PostgreSQL, through libpq. Parameters and rows travel
 * as text; a persistent statement is prepared on the server once, any
 * other is sent with its parameters each time it runs. */
#include "config.h"

#include "db_driver.h"

#include "timeutil.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* More parameters than any of the store's statements has. */
#define PG_PARAMS_MAX 32
#define PG_SQL_MAX 4096
/* A lost connection is tried again at most this often (seconds), each try
 * given up after PG_CONNECT_TIMEOUT: it is made in steps that hold jitd's
 * loop PG_STEP_MS at most, one each time the store is used or tended
 * (about every second). */
#define PG_RETRY_INTERVAL 2
#define PG_CONNECT_TIMEOUT 10
/* The longest one step waits for the server (ms). */
#define PG_STEP_MS 20

struct pg_stmt;

struct pg_db {
	struct jit_db base;
	PGconn *conn;
	struct pg_stmt *prepared;	/* persistent statements, made again on a new connection */
	bool stale;			/* a new connection lacks them */
	char channel[64];		/* listened to, again on a new connection; "" for none */
	unsigned long connections;	/* made again after a loss */
	time_t last_try;		/* of a new connection */
	bool connecting;		/* PQresetStart() done, PQresetPoll() not yet OK */
	PostgresPollingStatusType polling;	/* what the last poll waits for */
	int64_t changes;		/* of the last statement run */
	unsigned long statements;	/* names given to prepared ones */
	char message[256];		/* the last failure, in PostgreSQL's words */
};

struct pg_stmt {
	struct jit_db_stmt base;
	char name[24];			/* "" when not prepared on the server */
	char *sql;			/* translated: $N placeholders */
	int n_params;
	char *params[PG_PARAMS_MAX];	/* NULL: SQL NULL */
	PGresult *result;		/* once run, until reset */
	int row;			/* the current row of result */
	struct pg_stmt *next;		/* in the connection's prepared */
};

static struct pg_db *pg(struct jit_db *db)
{
	return (struct pg_db *)(void *)db;
}

static struct pg_stmt *pst(struct jit_db_stmt *s)
{
	return (struct pg_stmt *)(void *)s;
}

/* --- failures ----------------------------------------------------------------- */

static int rc_of_sqlstate(const char *state)
{
	if (state == NULL)
		return JIT_DB_UNREACHABLE;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return JIT_DB_UNREACHABLE;	/* connection exception, shutdown */
	if (strcmp(state, "53100") == 0)
		return JIT_DB_FULL;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return JIT_DB_BUSY;
	if (strcmp(state, "25006") == 0)
		return JIT_DB_READONLY;
	if (strcmp(state, "42501") == 0)
		return JIT_DB_PERM;
	if (strncmp(state, "XX001", 5) == 0 || strncmp(state, "XX002", 5) == 0)
		return JIT_DB_CORRUPT;
	if (strcmp(state, "58030") == 0)
		return JIT_DB_IOERR;
	return JIT_DB_ERROR;
}

/* Keeps text (one line) as the last failure's message. */
static void note_message(struct pg_db *db, const char *text)
{
	size_t len;

	(void)snprintf(db->message, sizeof(db->message), "%s", text ? text : "");
	len = strcspn(db->message, "\n");
	db->message[len] = '\0';
}

/* The code of a result that failed, its message noted. */
static int result_failure(struct pg_db *db, const PGresult *res)
{
	if (res == NULL) {
		note_message(db, PQerrorMessage(db->conn));
		return PQstatus(db->conn) == CONNECTION_OK ? JIT_DB_ERROR : JIT_DB_UNREACHABLE;
	}
	note_message(db, PQresultErrorMessage(res));
	if (PQstatus(db->conn) != CONNECTION_OK)
		return JIT_DB_UNREACHABLE;
	return rc_of_sqlstate(PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

static const char *pg_message(struct jit_db *db, int rc)
{
	(void)rc;
	return pg(db)->message[0] != '\0' ? pg(db)->message : "no reason given";
}

/* --- SQL ---------------------------------------------------------------------- */

/* SQLite's placeholders as PostgreSQL's: ?N is $N, and a bare ? is one past
 * the largest number so far. Quoted text is copied as it is. The number of
 * parameters in *n, or -1 when out does not hold it all. */
static int translate(const char *sql, char *out, size_t size, int *n)
{
	size_t o = 0;
	char quote = 0;

	*n = 0;
	for (const char *p = sql; *p != '\0'; p++) {
		int num;
		char *end;

		if (quote != 0 || *p != '?') {
			if (quote == 0 && (*p == '\'' || *p == '"'))
				quote = *p;
			else if (quote != 0 && *p == quote)
				quote = 0;
			if (o + 1 >= size)
				return -1;
			out[o++] = *p;
			continue;
		}
		num = (int)strtol(p + 1, &end, 10);
		if (end == p + 1)
			num = *n + 1;
		if (num < 1 || num > PG_PARAMS_MAX)
			return -1;
		if (num > *n)
			*n = num;
		if (o + 4 >= size)
			return -1;
		o += (size_t)snprintf(out + o, size - o, "$%d", num);
		p = end - 1;
	}
	out[o] = '\0';
	return 0;
}

/* --- the calls ---------------------------------------------------------------- */

static int command_result(struct pg_db *db, PGresult *res);

static int listen_on(struct pg_db *db)
{
	char sql[96];

	if (db->channel[0] == '\0')
		return JIT_DB_OK;
	(void)snprintf(sql, sizeof(sql), "LISTEN %s", db->channel);
	return command_result(db, PQexec(db->conn, sql));
}

/* The persistent statements prepared again on a new connection, and its
 * channel listened to. */
static int prepare_again(struct pg_db *db)
{
	if (listen_on(db) != JIT_DB_OK)
		return JIT_DB_ERROR;
	for (struct pg_stmt *ps = db->prepared; ps != NULL; ps = ps->next) {
		int rc = command_result(db, PQprepare(db->conn, ps->name, ps->sql, 0, NULL));

		if (rc != JIT_DB_OK)
			return rc;
	}
	return JIT_DB_OK;
}

/* JIT_DB_OK when connected, a lost connection made anew (at most every
 * PG_RETRY_INTERVAL seconds); else JIT_DB_UNREACHABLE. A transaction the
 * old connection had open is gone with it, rolled back by the server. */
/* Whether the new connection's socket is ready for what its last poll
 * waits for, within ms. */
static bool socket_ready(struct pg_db *db, int ms)
{
	struct pollfd pfd = { .fd = PQsocket(db->conn),
			      .events = db->polling == PGRES_POLLING_WRITING ? POLLOUT : POLLIN };

	return pfd.fd >= 0 && poll(&pfd, 1, ms) == 1;
}

/* The new connection's polls while its socket is ready within PG_STEP_MS
 * of each: a server that answers is connected to in one step. */
static void poll_connection(struct pg_db *db)
{
	int64_t start = jit_monotonic_ms(), left;

	while (db->polling != PGRES_POLLING_OK && db->polling != PGRES_POLLING_FAILED &&
	       (left = start + PG_STEP_MS - jit_monotonic_ms()) > 0 &&
	       socket_ready(db, (int)left))
		db->polling = PQresetPoll(db->conn);
}

/* One step of making the connection anew: JIT_DB_OK once it is made, else
 * JIT_DB_UNREACHABLE (still on its way, failed, or not yet tried again). */
static int reconnect_step(struct pg_db *db)
{
	time_t now = time(NULL);

	if (!db->connecting) {
		if (now - db->last_try < PG_RETRY_INTERVAL)
			return JIT_DB_UNREACHABLE;
		db->last_try = now;
		db->stale = true;
		if (!PQresetStart(db->conn)) {
			note_message(db, PQerrorMessage(db->conn));
			return JIT_DB_UNREACHABLE;
		}
		db->connecting = true;
		db->polling = PGRES_POLLING_WRITING;
	}
	poll_connection(db);
	if (db->polling == PGRES_POLLING_OK) {
		db->connecting = false;
		db->connections++;
		return JIT_DB_OK;
	}
	if (db->polling == PGRES_POLLING_FAILED || now - db->last_try >= PG_CONNECT_TIMEOUT) {
		note_message(db, db->polling == PGRES_POLLING_FAILED ? PQerrorMessage(db->conn)
				 : "connecting to the server timed out");
		db->connecting = false;
		return JIT_DB_UNREACHABLE;
	}
	note_message(db, "connecting to the server again");
	return JIT_DB_UNREACHABLE;
}

static int ensure_connected(struct pg_db *db)
{
	int rc;

	if (PQstatus(db->conn) == CONNECTION_OK && !db->stale && !db->connecting)
		return JIT_DB_OK;
	if (db->connecting || PQstatus(db->conn) != CONNECTION_OK) {
		rc = reconnect_step(db);
		if (rc != JIT_DB_OK)
			return rc;
	}
	rc = prepare_again(db);
	db->stale = rc != JIT_DB_OK;
	return rc;
}

static int command_result(struct pg_db *db, PGresult *res)
{
	ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = JIT_DB_OK;

	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		rc = result_failure(db, res);
	PQclear(res);
	return rc;
}

static int pg_exec(struct jit_db *db, const char *sql, const char *what)
{
	int rc = ensure_connected(pg(db));

	(void)what;
	return rc != JIT_DB_OK ? rc : command_result(pg(db), PQexec(pg(db)->conn, sql));
}

static int pg_prepare(struct jit_db *db, const char *sql, bool persistent,
		      struct jit_db_stmt **s, const char *what)
{
	char text[PG_SQL_MAX];
	struct pg_stmt *ps;
	int rc = JIT_DB_OK;

	(void)what;
	*s = NULL;
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return JIT_DB_ERROR;
	ps->base.db = db;
	if (translate(sql, text, sizeof(text), &ps->n_params) != 0 ||
	    (ps->sql = strdup(text)) == NULL) {
		note_message(pg(db), "statement too long or too many parameters");
		free(ps);
		return JIT_DB_ERROR;
	}
	if (persistent) {
		(void)snprintf(ps->name, sizeof(ps->name), "jit_%lu", ++pg(db)->statements);
		rc = ensure_connected(pg(db));
		if (rc == JIT_DB_OK)
			rc = command_result(pg(db), PQprepare(pg(db)->conn, ps->name, ps->sql, 0,
							      NULL));
	}
	if (rc != JIT_DB_OK) {
		free(ps->sql);
		free(ps);
		return rc;
	}
	if (persistent) {
		ps->next = pg(db)->prepared;
		pg(db)->prepared = ps;
	}
	*s = &ps->base;
	return JIT_DB_OK;
}

static int64_t count_of(PGresult *res)
{
	const char *n = PQcmdTuples(res);

	return n != NULL && n[0] != '\0' ? strtoll(n, NULL, 10) : 0;
}

/* Runs the statement with its parameters: JIT_DB_OK and its result kept. */
static int run(struct pg_stmt *ps)
{
	struct pg_db *db = pg(ps->base.db);
	const char *const *params = (const char *const *)ps->params;
	ExecStatusType status;
	int rc = ensure_connected(db);

	if (rc != JIT_DB_OK)
		return rc;
	if (ps->name[0] != '\0')
		ps->result = PQexecPrepared(db->conn, ps->name, ps->n_params, params, NULL, NULL, 0);
	else
		ps->result = PQexecParams(db->conn, ps->sql, ps->n_params, NULL, params, NULL, NULL,
					  0);
	status = ps->result ? PQresultStatus(ps->result) : PGRES_FATAL_ERROR;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		rc = result_failure(db, ps->result);
		PQclear(ps->result);
		ps->result = NULL;
		return rc;
	}
	db->changes = count_of(ps->result);
	ps->row = -1;
	return JIT_DB_OK;
}

static int pg_step(struct jit_db_stmt *s, const char *what)
{
	struct pg_stmt *ps = pst(s);

	(void)what;
	if (ps->result == NULL) {
		int rc = run(ps);

		if (rc != JIT_DB_OK)
			return rc;
	}
	if (ps->row + 1 < PQntuples(ps->result)) {
		ps->row++;
		return JIT_DB_ROW;
	}
	ps->row = PQntuples(ps->result);
	return JIT_DB_DONE;
}

/* --- statements ---------------------------------------------------------------- */

static void pg_reset(struct jit_db_stmt *s)
{
	PQclear(pst(s)->result);
	pst(s)->result = NULL;
}

static void pg_clear(struct jit_db_stmt *s)
{
	struct pg_stmt *ps = pst(s);

	for (int i = 0; i < PG_PARAMS_MAX; i++) {
		free(ps->params[i]);
		ps->params[i] = NULL;
	}
}

static void forget_prepared(struct pg_db *db, const struct pg_stmt *ps)
{
	for (struct pg_stmt **p = &db->prepared; *p != NULL; p = &(*p)->next)
		if (*p == ps) {
			*p = ps->next;
			return;
		}
}

static void pg_finalize(struct jit_db_stmt *s)
{
	struct pg_stmt *ps = pst(s);

	forget_prepared(pg(s->db), ps);
	pg_reset(s);
	pg_clear(s);
	if (ps->name[0] != '\0' && PQstatus(pg(s->db)->conn) == CONNECTION_OK) {
		char sql[64];

		(void)snprintf(sql, sizeof(sql), "DEALLOCATE %s", ps->name);
		PQclear(PQexec(pg(s->db)->conn, sql));
	}
	free(ps->sql);
	free(ps);
}

static void set_param(struct pg_stmt *ps, int i, char *value)
{
	if (i < 1 || i > PG_PARAMS_MAX) {
		free(value);
		return;
	}
	free(ps->params[i - 1]);
	ps->params[i - 1] = value;
}

static void pg_bind_int64(struct jit_db_stmt *s, int i, int64_t v)
{
	char buf[24];

	(void)snprintf(buf, sizeof(buf), "%" PRId64, v);
	set_param(pst(s), i, strdup(buf));
}

static void pg_bind_text(struct jit_db_stmt *s, int i, const char *text)
{
	set_param(pst(s), i, text != NULL ? strdup(text) : NULL);
}

static bool has_value(struct pg_stmt *ps, int col)
{
	return ps->result != NULL && ps->row >= 0 && ps->row < PQntuples(ps->result) &&
	       col < PQnfields(ps->result) && !PQgetisnull(ps->result, ps->row, col);
}

static int64_t pg_column_int64(struct jit_db_stmt *s, int col)
{
	struct pg_stmt *ps = pst(s);

	return has_value(ps, col) ? strtoll(PQgetvalue(ps->result, ps->row, col), NULL, 10) : 0;
}

static const char *pg_column_text(struct jit_db_stmt *s, int col)
{
	struct pg_stmt *ps = pst(s);

	return has_value(ps, col) ? PQgetvalue(ps->result, ps->row, col) : NULL;
}

static bool pg_column_is_null(struct jit_db_stmt *s, int col)
{
	return !has_value(pst(s), col);
}

static int64_t pg_changes(struct jit_db *db)
{
	return pg(db)->changes;
}

static bool pg_in_transaction(struct jit_db *db)
{
	PGTransactionStatusType t = PQtransactionStatus(pg(db)->conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static void *pg_handle(struct jit_db *db)
{
	return pg(db)->conn;
}

static void pg_close(struct jit_db *db)
{
	PQfinish(pg(db)->conn);
	free(db);
}

/* channel: one of jit's own names (letters and _), never input. */
static int pg_tend(struct jit_db *db)
{
	return ensure_connected(pg(db));
}

static int pg_listen(struct jit_db *db, const char *channel)
{
	int rc = ensure_connected(pg(db));

	(void)snprintf(pg(db)->channel, sizeof(pg(db)->channel), "%s", channel);
	return rc != JIT_DB_OK ? rc : listen_on(pg(db));
}

static int pg_listen_fd(struct jit_db *db, unsigned long *connection)
{
	*connection = pg(db)->connections;
	return pg(db)->channel[0] != '\0' && PQstatus(pg(db)->conn) == CONNECTION_OK
		       ? PQsocket(pg(db)->conn) : -1;
}

static void pg_notifications(struct jit_db *db, void (*fn)(const char *payload, void *ctx),
			     void *ctx)
{
	PGnotify *n;

	if (PQstatus(pg(db)->conn) != CONNECTION_OK)
		return;
	(void)PQconsumeInput(pg(db)->conn);
	while ((n = PQnotifies(pg(db)->conn)) != NULL) {
		fn(n->extra, ctx);
		PQfreemem(n);
	}
}

static const struct jit_db_ops pg_ops = {
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.clear = pg_clear,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.step = pg_step,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_is_null = pg_column_is_null,
	.changes = pg_changes,
	.in_transaction = pg_in_transaction,
	.message = pg_message,
	.handle = pg_handle,
	.listen = pg_listen,
	.listen_fd = pg_listen_fd,
	.tend = pg_tend,
	.notifications = pg_notifications,
};

/* --- the connection ------------------------------------------------------------ */

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A password belongs in a passfile, never on the line (or in a log). */
static int refuse_password(const char *conninfo, jit_error *err)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
	int rc = 0;

	if (opts == NULL) {
		rc = jit_error_set(err, "database: not a PostgreSQL URI or conninfo: %s",
				   why ? why : "out of memory");
		PQfreemem(why);
		return rc;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
			rc = jit_error_set(err, "database: a password on the line is refused:"
					   " put it in a passfile");
	PQconninfoFree(opts);
	return rc;
}

/* Our defaults before the URI or conninfo (its settings override them), the
 * passfile after it. */
static PGconn *connect_with(const char *conninfo, const char *passfile)
{
	const char *keys[9], *values[9];
	int n = 0;

	keys[n] = "connect_timeout", values[n++] = "10";
	keys[n] = "application_name", values[n++] = "jitd";
	/* A server gone silent (not closed) is noticed within seconds, not
	 * the minutes TCP would wait: a query's data unacknowledged for 10 s,
	 * an idle connection unanswered for 30 s + 3 x 10 s. */
	keys[n] = "tcp_user_timeout", values[n++] = "10000";
	keys[n] = "keepalives_idle", values[n++] = "30";
	keys[n] = "keepalives_interval", values[n++] = "10";
	keys[n] = "keepalives_count", values[n++] = "3";
	keys[n] = "dbname", values[n++] = conninfo;
	if (passfile != NULL)
		keys[n] = "passfile", values[n++] = passfile;
	keys[n] = NULL, values[n] = NULL;
	return PQconnectdbParams(keys, values, 1);
}

struct jit_db *jit_db_open_postgresql(const char *conninfo, const char *passfile,
				      jit_error *err)
{
	struct pg_db *db;

	if (refuse_password(conninfo, err) != 0)
		return NULL;
	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	db->base.ops = &pg_ops;
	db->base.engine = JIT_DB_POSTGRESQL;
	db->conn = connect_with(conninfo, passfile);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		note_message(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
		jit_db_fail(&db->base, JIT_DB_UNREACHABLE, "connecting to PostgreSQL", err);
		pg_close(&db->base);
		return NULL;
	}
	PQsetNoticeProcessor(db->conn, quiet, NULL);
	return &db->base;
}
