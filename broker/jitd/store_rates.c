/* SPDX-License-Identifier: ISC */
/* Rate limits' buckets in the database, where several controllers share it
 * (PostgreSQL): one statement takes a token under the bucket's row lock,
 * so two controllers serving one caller at once take from one bucket. */
#include "config.h"

#include "store_private.h"

enum rate_stmt { RATE_TAKE, RATE_FORGET, RATE_COUNT };

_Static_assert(RATE_COUNT <= JIT_STORE_RATE_STMTS, "room for every rate statement");

/* Thousandths of a token, and milliseconds of the server's clock. */
#define NOW_MS "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"
/* The bucket's tokens now: ?2 the burst, ?3 the period (ms). */
#define REFILLED "least(CAST(?2 AS BIGINT), b.tokens + greatest(excluded.at - b.at, 0) * ?2 / ?3)"

static const char *const rate_sql[RATE_COUNT] = {
	/* A row only when the token was taken. */
	[RATE_TAKE] = "INSERT INTO rate_buckets AS b (key, tokens, at)"
		      " VALUES (?1, CAST(?2 AS BIGINT) - 1000, " NOW_MS ")"
		      " ON CONFLICT (key) DO UPDATE SET tokens = " REFILLED " - 1000,"
		      " at = excluded.at WHERE " REFILLED " >= 1000 RETURNING tokens",
	[RATE_FORGET] = "DELETE FROM rate_buckets WHERE at < " NOW_MS " - CAST(?1 AS BIGINT)",
};

int jit_store_rates_prepare(struct jit_store *st, jit_error *err)
{
	for (int i = 0; i < RATE_COUNT; i++) {
		int rc = jit_store_db_prepare(st->db, rate_sql[i], &st->rates[i],
					      "preparing statements");

		if (rc != JIT_DB_OK)
			return jit_store_db_fail(st, rc, "preparing statements", err);
	}
	return 0;
}

void jit_store_rates_finalize(struct jit_store *st)
{
	for (int i = 0; i < RATE_COUNT; i++) {
		jit_db_finalize(st->rates[i]);
		st->rates[i] = NULL;
	}
}

bool jit_store_shares_rates(const struct jit_store *st)
{
	return st->rates[RATE_TAKE] != NULL;
}

int jit_store_rate_take(struct jit_store *st, const char *key, unsigned burst, int64_t period,
			jit_error *err)
{
	struct jit_db_stmt *s = jit_store_stmt_ready(st->rates[RATE_TAKE]);
	int rc;

	jit_db_bind_text(s, 1, key);
	jit_db_bind_int64(s, 2, (int64_t)burst * 1000);
	jit_db_bind_int64(s, 3, period > 0 ? period * 1000 : 1);
	rc = jit_db_step(s, "taking a rate limit's token");
	jit_db_reset(s);
	if (rc == JIT_DB_ROW)
		return 1;
	if (rc == JIT_DB_DONE)
		return 0;
	return jit_store_db_fail(st, rc, "taking a rate limit's token", err);
}

int jit_store_rates_forget(struct jit_store *st, int64_t period, jit_error *err)
{
	struct jit_db_stmt *s = jit_store_stmt_ready(st->rates[RATE_FORGET]);

	jit_db_bind_int64(s, 1, period * 1000);
	if (jit_store_step_done(st, s, "forgetting full rate buckets", err) != 0)
		return -1;
	return (int)jit_db_changes(st->db);
}
