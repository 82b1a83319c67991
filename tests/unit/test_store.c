/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOW ((time_t)1767225600)	/* 2026-01-01T00:00:00Z */

/* One suite, two backends: with JIT_TEST_POSTGRESQL (a conninfo, for a
 * database of the test's own: tests/unit/store-pg.test), each test starts
 * on an empty PostgreSQL database instead of a new SQLite file. */
static const char *postgresql;

struct fixture {
	char dir[64];
	char path[512];
	struct jit_store *st;
};

static void pg_exec(const char *sql)
{
	PGconn *c = PQconnectdb(postgresql);
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/jit-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (postgresql != NULL) {
		pg_exec("SET client_min_messages = warning;"
			" DROP SCHEMA public CASCADE; CREATE SCHEMA public");
		(void)snprintf(f->path, sizeof(f->path), "%s", postgresql);
	} else {
		(void)snprintf(f->path, sizeof(f->path), "%s/jit.db", f->dir);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	jit_store_close(f->st);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct jit_store *open_store(struct fixture *f)
{
	jit_error err = { "" };

	f->st = jit_store_open(f->path, &err);
	if (f->st == NULL)
		fail_msg("open: %s", err.msg);
	return f->st;
}

static void sample_grant(struct jit_grant *g, const char *user, const char *jti, time_t expires)
{
	memset(g, 0, sizeof(*g));
	(void)snprintf(g->user, sizeof(g->user), "%s", user);
	(void)snprintf(g->requested_by, sizeof(g->requested_by), "%s", user);
	(void)snprintf(g->role, sizeof(g->role), "ops");
	(void)snprintf(g->policy, sizeof(g->policy), "ssh,rdp");
	assert_int_equal(jit_cidr_parse("192.0.2.0/24", &g->source), 0);
	assert_int_equal(jit_portspec_list_parse("22/tcp,3389/tcp", g->ports, JIT_GRANT_PORTS_MAX,
						 &g->n_ports), 0);
	(void)snprintf(g->host, sizeof(g->host), "web01");
	g->created = g->not_before = NOW;
	g->expires = expires;
	(void)snprintf(g->justification, sizeof(g->justification), "change 4711");
	(void)snprintf(g->jti, sizeof(g->jti), "%s", jti);
}

static int64_t add_grant(struct jit_store *st, const char *user, const char *jti, time_t expires)
{
	struct jit_grant g;
	struct jit_audit_entry e = { .time = NOW, .actor = user, .action = "request",
				     .subject = user, .result = "granted" };
	jit_error err = { "" };

	sample_grant(&g, user, jti, expires);
	if (jit_store_grant_add(st, &g, NULL, &e, &err) != 0)
		fail_msg("grant_add: %s", err.msg);
	return g.id;
}

static void test_fresh_database(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	open_store(f);
	assert_int_equal(jit_store_schema_version(f->st), JIT_STORE_SCHEMA_VERSION);
	if (postgresql != NULL)
		return;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);	/* the SQLite file is private */
}

static void test_grant_round_trip_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct jit_grant g;
	jit_error err;
	int64_t id;

	id = add_grant(open_store(f), "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 3600);
	jit_store_close(f->st);
	open_store(f);
	assert_int_equal(jit_store_grant_get(f->st, id, &g, &err), 1);
	assert_string_equal(g.user, "alice");
	assert_string_equal(g.policy, "ssh,rdp");
	assert_int_equal(g.n_ports, 2);
	assert_int_equal(g.ports[1].port, 3389);
	assert_int_equal(g.source.prefix, 24);
	assert_int_equal(g.expires, NOW + 3600);
	assert_string_equal(g.justification, "change 4711");
	assert_int_equal(jit_grant_state(&g, NOW), JIT_GRANT_ACTIVE);
	assert_int_equal(jit_store_grant_by_jti(f->st, "AAAAAAAAAAAAAAAAAAAAAA", &g, &err), 1);
	assert_int_equal(g.id, id);
	assert_int_equal(jit_store_grant_get(f->st, id + 1, &g, &err), 0);
	assert_int_equal(jit_store_grant_by_jti(f->st, "BBBBBBBBBBBBBBBBBBBBBB", &g, &err), 0);
}

static void test_duplicate_jti_refused(void **state)
{
	struct fixture *f = *state;
	struct jit_grant g;
	struct jit_audit_entry e = { .time = NOW, .actor = "a", .action = "request", .result = "granted" };
	jit_error err = { "" };

	add_grant(open_store(f), "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	sample_grant(&g, "bob", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), -1);
	assert_non_null(strstr(err.msg, "recording the grant"));
}

static void test_revoke_once(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "root", .action = "revoke", .result = "ok" };
	struct jit_grant g;
	jit_error err;
	int64_t id = add_grant(open_store(f), "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);

	assert_int_equal(jit_store_grant_revoke(f->st, id, "root", NOW + 1, false, &e, &err), 1);
	assert_int_equal(jit_store_grant_revoke(f->st, id, "root", NOW + 2, false, &e, &err), 0);
	assert_int_equal(jit_store_grant_get(f->st, id, &g, &err), 1);
	assert_int_equal(g.revoked_at, NOW + 1);
	assert_string_equal(g.revoked_by, "root");
	assert_int_equal(jit_grant_state(&g, NOW + 1), JIT_GRANT_REVOKED);
}

/* What becomes of a grant's sessions is recorded with it; a revocation
 * with terminate cuts them whatever the grant said, one without keeps the
 * grant's own choice. */
static void test_revoke_terminate_recorded(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "root", .action = "revoke", .result = "ok" };
	struct jit_grant g;
	jit_error err;
	int64_t kept, cut, expiring;

	open_store(f);
	kept = add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	cut = add_grant(f->st, "alice", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 60);
	sample_grant(&g, "bob", "CCCCCCCCCCCCCCCCCCCCCC", NOW + 60);
	g.cut_on_expiry = true;
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), 0);
	expiring = g.id;
	assert_int_equal(jit_store_grant_revoke(f->st, kept, "root", NOW + 1, false, &e, &err), 1);
	assert_int_equal(jit_store_grant_revoke(f->st, cut, "root", NOW + 1, true, &e, &err), 1);
	jit_store_close(f->st);
	open_store(f);
	assert_int_equal(jit_store_grant_get(f->st, kept, &g, &err), 1);
	assert_false(g.cut_on_revoke);
	assert_false(g.cut_on_expiry);
	assert_int_equal(jit_store_grant_get(f->st, cut, &g, &err), 1);
	assert_true(g.cut_on_revoke);
	assert_false(g.cut_on_expiry);
	assert_int_equal(jit_store_grant_get(f->st, expiring, &g, &err), 1);
	assert_false(g.cut_on_revoke);
	assert_true(g.cut_on_expiry);
}

struct change_log {
	char text[512];
};

static int log_change(const struct jit_host_change *c, void *ctx)
{
	struct change_log *l = ctx;
	size_t len = strlen(l->text);

	(void)snprintf(l->text + len, sizeof(l->text) - len, "%lld:%s:%lld:%s ", (long long)c->seq,
		       c->kind, (long long)c->grant.id, c->grant.host);
	return 0;
}

static int host_seen;

static int count_host(const struct jit_host_state *h, void *ctx)
{
	(void)ctx;
	assert_string_equal(h->host, "web02");
	assert_int_equal(h->last_seq, 3);
	assert_int_equal(h->acked, 2);
	assert_int_equal(h->acked_at, NOW + 5);
	host_seen++;
	return 0;
}

/* With this store's own host set, a grant for another host and its
 * revocation queue that host's changes, numbered 1, 2, ... without a gap;
 * this host's grants queue none. Acks move forward only, and never past the
 * last change. */
static void test_host_changes(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "root", .action = "revoke", .result = "ok" };
	struct change_log log = { "" };
	struct jit_grant g;
	jit_error err;
	int64_t own, other, third;

	jit_store_set_host(open_store(f), "web01");
	own = add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	sample_grant(&g, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 60);
	(void)snprintf(g.host, sizeof(g.host), "web02");
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), 0);
	other = g.id;
	sample_grant(&g, "carol", "CCCCCCCCCCCCCCCCCCCCCC", NOW + 60);
	(void)snprintf(g.host, sizeof(g.host), "web02");
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), 0);
	third = g.id;
	assert_int_equal(jit_store_grant_revoke(f->st, other, "root", NOW + 1, false, &e, &err), 1);
	assert_int_equal(jit_store_grant_revoke(f->st, own, "root", NOW + 1, false, &e, &err), 1);
	assert_int_equal(jit_store_changes_each(f->st, "web02", 0, 0, log_change, &log, &err), 0);
	(void)snprintf(g.user, sizeof(g.user), "%lld:grant:%lld:web02 %lld:grant:%lld:web02 "
		       "3:revoke:%lld:web02 ", 1LL, (long long)other, 2LL, (long long)third,
		       (long long)other);
	assert_string_equal(log.text, g.user);
	log.text[0] = '\0';
	assert_int_equal(jit_store_changes_each(f->st, "web02", 2, 0, log_change, &log, &err), 0);
	assert_non_null(strstr(log.text, "3:revoke:"));
	assert_null(strstr(log.text, "2:grant:"));
	log.text[0] = '\0';
	assert_int_equal(jit_store_changes_each(f->st, "web01", 0, 0, log_change, &log, &err), 0);
	assert_string_equal(log.text, "");
	assert_int_equal(jit_store_host_ack(f->st, "web02", 2, NOW + 5, &err), 0);
	assert_int_equal(jit_store_host_ack(f->st, "web02", 1, NOW + 6, &err), -1);
	assert_int_equal(jit_store_host_ack(f->st, "web02", 4, NOW + 6, &err), -1);
	assert_non_null(strstr(err.msg, "web02 acked change 4, which it was never sent"));
	assert_int_equal(jit_store_host_ack(f->st, "db01", 1, NOW + 6, &err), -1);
	assert_int_equal(jit_store_hosts_each(f->st, count_host, NULL, &err), 0);
	assert_int_equal(host_seen, 1);
}

static int ticket_of_change(const struct jit_host_change *c, void *ctx)
{
	(void)snprintf(ctx, 64, "%s:%s", c->kind, c->ticket ? c->ticket : "(none)");
	return 0;
}

/* A grant's change carries the ticket it was signed with; its revocation none. */
static void test_changes_carry_the_ticket(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "root", .action = "request",
				     .result = "granted" };
	struct jit_grant g;
	char seen[64];
	jit_error err;

	jit_store_set_host(open_store(f), "ctl");
	sample_grant(&g, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 60);
	(void)snprintf(g.host, sizeof(g.host), "web02");
	assert_int_equal(jit_store_grant_add(f->st, &g, "v4.public.TICKET", &e, &err), 0);
	assert_int_equal(jit_store_changes_each(f->st, "web02", 0, 1, ticket_of_change, seen, &err),
			 0);
	assert_string_equal(seen, "grant:v4.public.TICKET");
	assert_int_equal(jit_store_grant_revoke(f->st, g.id, "root", NOW + 1, false, &e, &err), 1);
	assert_int_equal(jit_store_changes_each(f->st, "web02", 1, 1, ticket_of_change, seen, &err),
			 0);
	assert_string_equal(seen, "revoke:(none)");
}

/* An enforcer's mirror: the controller's grant under its own id, then its
 * revocation, each with the number applied, which survives a reopening. */
static void test_mirror(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "jitd", .action = "apply", .result = "ok" };
	struct jit_grant g, got;
	int64_t applied = -1;
	jit_error err;

	open_store(f);
	assert_int_equal(jit_store_upstream_applied(f->st, &applied, &err), 0);
	assert_int_equal(applied, 0);
	sample_grant(&g, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 60);
	g.id = 41;
	assert_int_equal(jit_store_mirror(f->st, &g, 1, &e, &err), 0);
	assert_int_equal(jit_store_grant_get(f->st, 41, &got, &err), 1);
	assert_string_equal(got.user, "bob");
	assert_int_equal(got.revoked_at, 0);
	assert_false(got.cut_on_revoke);
	g.revoked_at = NOW + 5;
	g.cut_on_revoke = true;
	(void)snprintf(g.revoked_by, sizeof(g.revoked_by), "carol");
	assert_int_equal(jit_store_mirror(f->st, &g, 2, &e, &err), 0);
	assert_int_equal(jit_store_mirror(f->st, NULL, 3, NULL, &err), 0);
	assert_int_equal(jit_store_grant_get(f->st, 41, &got, &err), 1);
	assert_int_equal(got.revoked_at, NOW + 5);
	assert_string_equal(got.revoked_by, "carol");
	assert_true(got.cut_on_revoke);
	jit_store_close(f->st);
	f->st = jit_store_open(f->path, &err);
	assert_non_null(f->st);
	assert_int_equal(jit_store_upstream_applied(f->st, &applied, &err), 0);
	assert_int_equal(applied, 3);
}

/* A host's login is taken once per number and epoch: sent again, it is
 * not counted again; from a database made anew (another epoch), number 1
 * is a new login. */
static void test_host_logins(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "alice", .action = "login",
				     .result = "ok" };
	struct jit_login l = { .id = 1, .epoch = "aaaa", .time = NOW };
	struct jit_grant g;
	jit_error err;

	jit_store_set_host(open_store(f), "ctl");
	sample_grant(&g, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	(void)snprintf(g.host, sizeof(g.host), "web02");
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), 0);
	l.grant_id = g.id;
	assert_int_equal(jit_store_host_login(f->st, "web02", &l, &e, &err), 1);
	assert_int_equal(jit_store_host_login(f->st, "web02", &l, &e, &err), 0);
	l.id = 2;
	assert_int_equal(jit_store_host_login(f->st, "web02", &l, &e, &err), 1);
	l.id = 1;
	(void)snprintf(l.epoch, sizeof(l.epoch), "bbbb");
	assert_int_equal(jit_store_host_login(f->st, "web02", &l, &e, &err), 1);
	assert_int_equal(jit_store_grant_get(f->st, g.id, &g, &err), 1);
	assert_int_equal(g.uses, 3);
}

/* A grant allowing two logins counts two, marks itself used up at the
 * second, and refuses a third without recording anything; a controller
 * counts what its enforcer reports, and marks it the same. */
static void test_max_logins(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "root", .action = "verify",
				     .result = "ok" };
	struct jit_login l = { .id = 1, .epoch = "aaaa", .time = NOW + 5 };
	struct jit_grant g;
	jit_error err;

	sample_grant(&g, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	g.max_logins = 2;
	assert_int_equal(jit_store_grant_add(open_store(f), &g, NULL, &e, &err), 0);
	l.grant_id = g.id;
	assert_int_equal(jit_store_grant_use(f->st, &l, &e, &err), 1);
	assert_int_equal(jit_store_grant_get(f->st, g.id, &g, &err), 1);
	assert_int_equal(g.max_logins, 2);
	assert_int_equal(g.used_up_at, 0);
	l.time = NOW + 7;
	assert_int_equal(jit_store_grant_use(f->st, &l, &e, &err), 1);
	l.time = NOW + 9;
	assert_int_equal(jit_store_grant_use(f->st, &l, &e, &err), 0);
	assert_int_equal(jit_store_grant_get(f->st, g.id, &g, &err), 1);
	assert_int_equal(g.uses, 2);
	assert_int_equal(g.used_up_at, NOW + 7);
	assert_int_equal(g.last_used, NOW + 7);

	sample_grant(&g, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 60);
	(void)snprintf(g.host, sizeof(g.host), "web02");
	g.max_logins = 1;
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), 0);
	l.grant_id = g.id;
	assert_int_equal(jit_store_host_login(f->st, "web02", &l, &e, &err), 1);
	assert_int_equal(jit_store_grant_get(f->st, g.id, &g, &err), 1);
	assert_int_equal(g.used_up_at, NOW + 9);
}

static int marked;

static void count_marked(const struct jit_grant *g, void *ctx)
{
	(void)g, (void)ctx;
	marked++;
}

static void test_expiry_marking(void **state)
{
	struct fixture *f = *state;
	struct jit_grant g;
	jit_error err;
	time_t next = 0;
	int64_t soon, later;

	open_store(f);
	assert_int_equal(jit_store_next_expiry(f->st, &next, &err), 0);
	soon = add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 10);
	later = add_grant(f->st, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 20);
	assert_int_equal(jit_store_next_expiry(f->st, &next, &err), 1);
	assert_int_equal(next, NOW + 10);
	marked = 0;
	assert_int_equal(jit_store_expire_due(f->st, NOW + 9, count_marked, NULL, &err), 0);
	assert_int_equal(jit_store_expire_due(f->st, NOW + 10, count_marked, NULL, &err), 1);
	assert_int_equal(marked, 1);
	assert_int_equal(jit_store_grant_get(f->st, soon, &g, &err), 1);
	assert_int_equal(g.expired_at, NOW + 10);
	assert_int_equal(jit_store_next_expiry(f->st, &next, &err), 1);
	assert_int_equal(next, NOW + 20);
	assert_int_equal(jit_store_grant_get(f->st, later, &g, &err), 1);
	assert_int_equal(g.expired_at, 0);
}

/* More grants end at once than one batch holds: every one is marked, each
 * reported once, and none is left due. */
static void test_expiry_in_batches(void **state)
{
	struct fixture *f = *state;
	const int n = 2 * JIT_STORE_EXPIRE_BATCH + 7;
	jit_error err;
	time_t next = 0;
	char jti[32];

	open_store(f);
	for (int i = 0; i < n; i++) {
		(void)snprintf(jti, sizeof(jti), "JTI%019d", i);
		(void)add_grant(f->st, "alice", jti, NOW + 10 + i % 3);
	}
	marked = 0;
	assert_int_equal(jit_store_expire_due(f->st, NOW + 20, count_marked, NULL, &err), n);
	assert_int_equal(marked, n);
	assert_int_equal(jit_store_next_expiry(f->st, &next, &err), 0);
	assert_int_equal(jit_store_expire_due(f->st, NOW + 20, count_marked, NULL, &err), 0);
}

struct collected {
	int64_t ids[8];
	size_t n;
};

static int collect(const struct jit_grant *g, void *ctx)
{
	struct collected *c = ctx;

	c->ids[c->n++] = g->id;
	return c->n == 8;
}

static int64_t add_scheduled(struct jit_store *st, const char *jti, time_t start)
{
	struct jit_grant g;
	struct jit_audit_entry e = { .time = NOW, .actor = "alice", .action = "request",
				     .subject = "alice", .result = "granted" };
	jit_error err = { "" };

	sample_grant(&g, "alice", jti, start + 600);
	g.not_before = start;
	if (jit_store_grant_add(st, &g, NULL, &e, &err) != 0)
		fail_msg("grant_add: %s", err.msg);
	return g.id;
}

/* Only grants made to start later are scheduled: one that started when it
 * was made is not found again when the timer opens what has started. */
static void test_scheduled_starts(void **state)
{
	struct fixture *f = *state;
	struct collected c = { 0 };
	jit_error err = { "" };
	time_t when = 0;
	int64_t later, soon;

	open_store(f);
	(void)add_grant(f->st, "alice", "jti-now", NOW + 600);
	assert_int_equal(jit_store_next_start(f->st, "web01", NOW - 60, &when, &err), 0);
	later = add_scheduled(f->st, "jti-later", NOW + 7200);
	soon = add_scheduled(f->st, "jti-soon", NOW + 60);
	assert_int_equal(jit_store_next_start(f->st, "web01", NOW - 60, &when, &err), 1);
	assert_int_equal(when, NOW + 60);
	assert_int_equal(jit_store_next_start(f->st, "web01", NOW + 60, &when, &err), 1);
	assert_int_equal(when, NOW + 7200);
	assert_int_equal(jit_store_next_start(f->st, "web02", NOW - 60, &when, &err), 0);
	assert_int_equal(jit_store_started_each(f->st, "web01", NOW - 60, NOW + 60, collect, &c, &err),
			 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], soon);
	c.n = 0;
	assert_int_equal(jit_store_started_each(f->st, "web01", NOW + 60, NOW + 7200, collect, &c,
						&err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], later);
}

/* The WAL's checkpoints run on their own thread: after enough commits one
 * has run, and what it copied is in the database file itself. */
static void test_checkpoints_on_their_thread(void **state)
{
	struct fixture *f = *state;
	jit_error err = { "" };
	struct stat before, after;
	char jti[32];


	open_store(f);
	assert_int_equal(jit_store_checkpoint_start(f->st, &err), 0);
	assert_int_equal(stat(f->path, &before), 0);
	for (int i = 0; i < 400; i++) {
		(void)snprintf(jti, sizeof(jti), "jti-%d", i);
		(void)add_grant(f->st, "alice", jti, NOW + 600);
	}
	assert_true(jit_store_checkpoint_stop(f->st).thread >= 1);
	assert_int_equal(stat(f->path, &after), 0);
	assert_true(after.st_size > before.st_size);
	assert_int_equal(jit_store_checkpoint_stop(f->st).thread, 0);
}

#define WAL_FRAME (4096 + 24)	/* a page and its frame header */

/* Commits one after another, as fast as they come, never let the thread
 * catch up with the WAL; past its bound the committing thread copies back
 * the rest, and the WAL is written from its start again: it never holds
 * more than the bound and one transaction's pages. */
static void test_wal_bounded_under_steady_commits(void **state)
{
	struct fixture *f = *state;
	jit_error err = { "" };
	struct jit_checkpoint_counts counts;
	char wal[sizeof(f->path) + 8], jti[32];
	struct stat sb;
	off_t longest = 0;
	const int every = 50, bound = 200;

	(void)snprintf(wal, sizeof(wal), "%s-wal", f->path);
	open_store(f);
	assert_int_equal(jit_store_checkpoint_start_every(f->st, every, bound, &err), 0);
	for (int i = 0; i < 600; i++) {
		(void)snprintf(jti, sizeof(jti), "jti-%d", i);
		(void)add_grant(f->st, "alice", jti, NOW + 600);
		assert_int_equal(stat(wal, &sb), 0);
		if (sb.st_size > longest)
			longest = sb.st_size;
	}
	counts = jit_store_checkpoint_stop(f->st);
	assert_true(counts.committing >= 1);
	/* A grant's transaction writes fewer than 16 pages. */
	assert_true(longest <= 32 + (off_t)(bound + 16) * WAL_FRAME);
}

static void test_list_filters(void **state)
{
	struct fixture *f = *state;
	struct jit_grant_filter all = { .now = NOW }, alice = { .user = "alice", .now = NOW },
				active = { .active_only = true, .now = NOW + 15 };
	struct collected c = { 0 };
	jit_error err;
	int64_t a1, b1, a2, count = 0;

	open_store(f);
	a1 = add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 10);
	b1 = add_grant(f->st, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 20);
	a2 = add_grant(f->st, "alice", "CCCCCCCCCCCCCCCCCCCCCC", NOW + 30);
	assert_int_equal(jit_store_grants_each(f->st, &all, collect, &c, &err), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.ids[0], a2);	/* newest first */
	assert_int_equal(c.ids[2], a1);
	c.n = 0;
	assert_int_equal(jit_store_grants_each(f->st, &alice, collect, &c, &err), 0);
	assert_int_equal(c.n, 2);
	c.n = 0;
	assert_int_equal(jit_store_grants_each(f->st, &active, collect, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[1], b1);
	assert_int_equal(jit_store_count_active(f->st, NOW + 15, &count, &err), 0);
	assert_int_equal(count, 2);
	all.limit = 1;
	c.n = 0;
	assert_int_equal(jit_store_grants_each(f->st, &all, collect, &c, &err), 0);
	assert_int_equal(c.n, 1);
}

struct audit_seen {
	char actions[8][16];
	size_t n;
};

static int collect_audit(const struct jit_audit_entry *e, void *ctx)
{
	struct audit_seen *s = ctx;

	(void)snprintf(s->actions[s->n++], sizeof(s->actions[0]), "%s", e->action);
	return 0;
}

static void test_audit_filters(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e1 = { .time = NOW, .actor = "alice", .action = "one", .result = "ok" },
			       e2 = { .time = NOW + 5, .actor = "root", .action = "two",
				      .subject = "alice", .result = "ok" },
			       e3 = { .time = NOW + 9, .actor = "bob", .action = "three", .result = "ok" };
	struct audit_seen s = { 0 };
	jit_error err;

	open_store(f);
	assert_int_equal(jit_store_audit_add(f->st, &e1, &err), 0);
	assert_int_equal(jit_store_audit_add(f->st, &e2, &err), 0);
	assert_int_equal(jit_store_audit_add(f->st, &e3, &err), 0);
	assert_int_equal(jit_store_audit_each(f->st, 0, NULL, 0, false, collect_audit, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.actions[0], "one");	/* oldest first */
	s.n = 0;
	assert_int_equal(jit_store_audit_each(f->st, 0, "alice", 0, false, collect_audit, &s, &err), 0);
	assert_int_equal(s.n, 2);	/* as actor and as subject */
	s.n = 0;
	assert_int_equal(jit_store_audit_each(f->st, NOW + 1, NULL, 0, false, collect_audit, &s, &err), 0);
	assert_int_equal(s.n, 2);
	s.n = 0;
	assert_int_equal(jit_store_audit_each(f->st, 0, NULL, 2, false, collect_audit, &s, &err), 0);
	assert_int_equal(s.n, 2);	/* the newest two, oldest first */
	assert_string_equal(s.actions[0], "two");
	assert_string_equal(s.actions[1], "three");
}


/* --- requests waiting for approvals ------------------------------------------------ */

static int64_t add_request(struct jit_store *st, const char *user, time_t expires)
{
	struct jit_access_request r;
	struct jit_audit_entry e = { .time = NOW, .actor = user, .action = "request",
				     .subject = user, .result = "pending" };
	jit_error err;

	memset(&r, 0, sizeof(r));
	r.state = JIT_REQ_PENDING;
	(void)snprintf(r.user, sizeof(r.user), "%s", user);
	(void)snprintf(r.requested_by, sizeof(r.requested_by), "%s", user);
	r.requester_uid = 1000;
	(void)snprintf(r.policy, sizeof(r.policy), "ssh");
	r.approvals = 2;
	r.created = NOW;
	r.expires = expires;
	r.request = (char *)"{\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10/32\"}";
	if (jit_store_request_add(st, &r, &e, &err) != 0)
		fail_msg("request_add: %s", err.msg);
	return r.id;
}

static struct jit_review review_by(const char *who, bool approve, time_t when)
{
	struct jit_review rv = { .approve = approve, .time = when };

	(void)snprintf(rv.reviewer, sizeof(rv.reviewer), "%s", who);
	(void)snprintf(rv.reason, sizeof(rv.reason), "%s", approve ? "fine" : "no");
	return rv;
}

static void test_request_round_trip(void **state)
{
	struct fixture *f = *state;
	struct jit_access_request r;
	jit_error err;
	int64_t id;

	open_store(f);
	id = add_request(f->st, "alice", NOW + 3600);
	assert_int_equal(jit_store_request_get(f->st, id, &r, &err), 1);
	assert_int_equal(r.state, JIT_REQ_PENDING);
	assert_string_equal(r.requested_by, "alice");
	assert_int_equal(r.requester_uid, 1000);
	assert_int_equal(r.approvals, 2);
	assert_int_equal(r.expires, NOW + 3600);
	assert_string_equal(r.request, "{\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10/32\"}");
	assert_null(r.result);
	assert_null(r.remote);
	assert_int_equal(r.n_reviews, 0);
	jit_access_request_clear(&r);
	assert_int_equal(jit_store_request_get(f->st, id + 1, &r, &err), 0);
}

/* jit_store_request_review() with its outcome checked; *to the state. */
static enum jit_review_result review_as(struct jit_store *st, int64_t id, const struct jit_review *rv,
					enum jit_request_state from, int needed,
					enum jit_request_state *to)
{
	struct jit_audit_entry e = { .time = NOW, .actor = rv->reviewer,
				     .action = rv->approve ? "approve" : "deny", .result = "ok" };
	jit_error err = { "" };
	int approvals = -1;
	enum jit_review_result rc = jit_store_request_review(st, id, rv, from, needed, &e, to,
							     &approvals, &err);

	if (rc == JIT_REVIEW_ERROR)
		fail_msg("review: %s", err.msg);
	return rc;
}

static void test_reviews_once_each(void **state)
{
	struct fixture *f = *state;
	struct jit_access_request r;
	struct jit_review carol = review_by("carol", true, NOW + 1);
	struct jit_review erin = review_by("erin", true, NOW + 2);
	enum jit_request_state to;
	jit_error err;
	int64_t id;

	open_store(f);
	id = add_request(f->st, "alice", NOW + 3600);
	assert_int_equal(review_as(f->st, id, &carol, JIT_REQ_PENDING, 3, &to), JIT_REVIEW_WRITTEN);
	assert_int_equal(to, JIT_REQ_PENDING);
	/* The same reviewer again: nothing written. */
	assert_int_equal(review_as(f->st, id, &carol, JIT_REQ_PENDING, 1, &to),
			 JIT_REVIEW_DUPLICATE);
	assert_int_equal(jit_store_request_get(f->st, id, &r, &err), 1);
	assert_int_equal(r.state, JIT_REQ_PENDING);
	assert_int_equal(r.n_reviews, 1);
	assert_string_equal(r.reviews[0].reviewer, "carol");
	assert_true(r.reviews[0].approve);
	jit_access_request_clear(&r);
	/* A remote identity of the same name is another reviewer. */
	carol.remote = true;
	assert_int_equal(review_as(f->st, id, &carol, JIT_REQ_PENDING, 3, &to), JIT_REVIEW_WRITTEN);
	assert_int_equal(to, JIT_REQ_PENDING);
	assert_int_equal(review_as(f->st, id, &erin, JIT_REQ_PENDING, 3, &to), JIT_REVIEW_WRITTEN);
	assert_int_equal(to, JIT_REQ_APPROVED);
	assert_int_equal(jit_store_request_get(f->st, id, &r, &err), 1);
	assert_int_equal(r.state, JIT_REQ_APPROVED);
	assert_int_equal(r.decided, NOW + 2);
	assert_int_equal(r.n_reviews, 3);
	jit_access_request_clear(&r);
}

static int count_review_audit(const struct jit_audit_entry *e, void *ctx)
{
	if (strcmp(e->action, "approve") == 0 && e->details != NULL &&
	    strstr(e->details, "\"approvals\":2,\"needed\":2") != NULL)
		(*(int *)ctx)++;
	return 0;
}

/* A review written by another controller after this one read the request
 * is counted: the request moves on what the store holds, not on what the
 * caller read, and the audit entry says so. */
static void test_review_counts_what_others_gave(void **state)
{
	struct fixture *f = *state;
	struct jit_review carol = review_by("carol", true, NOW + 1);
	struct jit_review erin = review_by("erin", true, NOW + 2);
	struct jit_store *other;
	struct jit_access_request r;
	enum jit_request_state to;
	jit_error err = { "" };
	int64_t id;
	int audited = 0;

	open_store(f);
	other = jit_store_open(f->path, &err);
	assert_non_null(other);
	id = add_request(f->st, "alice", NOW + 3600);
	assert_int_equal(review_as(other, id, &carol, JIT_REQ_PENDING, 2, &to), JIT_REVIEW_WRITTEN);
	jit_store_close(other);
	assert_int_equal(review_as(f->st, id, &erin, JIT_REQ_PENDING, 2, &to), JIT_REVIEW_WRITTEN);
	assert_int_equal(to, JIT_REQ_APPROVED);
	assert_int_equal(jit_store_request_get(f->st, id, &r, &err), 1);
	assert_int_equal(r.state, JIT_REQ_APPROVED);
	jit_access_request_clear(&r);
	assert_int_equal(jit_store_audit_each(f->st, 0, NULL, 0, false, count_review_audit,
					      &audited, &err), 0);
	assert_int_equal(audited, 1);
}

/* Two extensions decided from the same end (on two controllers): the
 * first moves it, the second finds it moved and changes nothing. */
static void test_extend_from_the_end_read(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "alice", .action = "extend",
				     .subject = "alice", .result = "ok" };
	struct jit_grant g;
	jit_error err = { "" };
	int64_t id;

	open_store(f);
	id = add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	assert_int_equal(jit_store_grant_extend(f->st, id, NOW + 60, NOW + 120, NULL, NOW + 1, &e,
						&err), 1);
	assert_int_equal(jit_store_grant_extend(f->st, id, NOW + 60, NOW + 180, NULL, NOW + 1, &e,
						&err), 0);
	assert_int_equal(jit_store_grant_get(f->st, id, &g, &err), 1);
	assert_int_equal(g.expires, NOW + 120);
	assert_int_equal(jit_store_grant_extend(f->st, id, NOW + 120, NOW + 180, NULL, NOW + 1, &e,
						&err), 1);
	assert_int_equal(jit_store_grant_get(f->st, id, &g, &err), 1);
	assert_int_equal(g.expires, NOW + 180);
}

static void test_decided_request_takes_no_review(void **state)
{
	struct fixture *f = *state;
	struct jit_access_request r;
	struct jit_review carol = review_by("carol", false, NOW + 1);
	struct jit_review erin = review_by("erin", true, NOW + 2);
	enum jit_request_state to;
	jit_error err;
	int64_t id;

	open_store(f);
	id = add_request(f->st, "alice", NOW + 3600);
	assert_int_equal(review_as(f->st, id, &carol, JIT_REQ_PENDING, 2, &to), JIT_REVIEW_WRITTEN);
	assert_int_equal(to, JIT_REQ_DENIED);
	/* An approval that lost the race: the request is no longer pending. */
	assert_int_equal(review_as(f->st, id, &erin, JIT_REQ_PENDING, 1, &to), JIT_REVIEW_DECIDED);
	assert_int_equal(jit_store_request_get(f->st, id, &r, &err), 1);
	assert_int_equal(r.state, JIT_REQ_DENIED);
	assert_string_equal(r.reason, "no");
	assert_int_equal(r.n_reviews, 1);
	jit_access_request_clear(&r);
	assert_int_equal(jit_store_request_move(f->st, id, JIT_REQ_PENDING, JIT_REQ_EXPIRED, NOW + 5,
						"late", NULL, NULL, &err), 0);
}

static int open_seen;

static int count_open(const struct jit_access_request *r, void *ctx)
{
	(void)ctx;
	assert_true(r->state == JIT_REQ_PENDING || r->state == JIT_REQ_BREAK_GLASS);
	open_seen++;
	return 0;
}

static void count_lapsed(const struct jit_access_request *r, void *ctx)
{
	(void)ctx;
	assert_int_equal(r->state, JIT_REQ_EXPIRED);
	marked++;
}

static void test_requests_lapse(void **state)
{
	struct fixture *f = *state;
	struct jit_access_request r;
	jit_error err;
	time_t next = 0;
	int64_t soon, later;

	open_store(f);
	assert_int_equal(jit_store_next_request_expiry(f->st, &next, &err), 0);
	soon = add_request(f->st, "alice", NOW + 10);
	later = add_request(f->st, "bob", NOW + 20);
	assert_int_equal(jit_store_next_request_expiry(f->st, &next, &err), 1);
	assert_int_equal(next, NOW + 10);
	marked = 0;
	assert_int_equal(jit_store_requests_expire_due(f->st, NOW + 9, count_lapsed, NULL, &err), 0);
	assert_int_equal(jit_store_requests_expire_due(f->st, NOW + 10, count_lapsed, NULL, &err), 1);
	assert_int_equal(marked, 1);
	assert_int_equal(jit_store_request_get(f->st, soon, &r, &err), 1);
	assert_int_equal(r.state, JIT_REQ_EXPIRED);
	jit_access_request_clear(&r);
	assert_int_equal(jit_store_next_request_expiry(f->st, &next, &err), 1);
	assert_int_equal(next, NOW + 20);
	open_seen = 0;
	assert_int_equal(jit_store_requests_open_each(f->st, 0, count_open, NULL, &err), 0);
	assert_int_equal(open_seen, 1);
	(void)later;
}

static void test_request_survives_reopen(void **state)
{
	struct fixture *f = *state;
	struct jit_access_request r;
	jit_error err;
	int64_t id;

	open_store(f);
	id = add_request(f->st, "alice", NOW + 3600);
	jit_store_close(f->st);
	open_store(f);
	assert_int_equal(jit_store_request_get(f->st, id, &r, &err), 1);
	assert_int_equal(r.state, JIT_REQ_PENDING);
	jit_access_request_clear(&r);
}

static void exec_on(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* A database as schema version 1 left it, with one grant, one past its
 * window and never marked. */
static void test_migration_from_version_1(void **state)
{
	struct fixture *f = *state;
	struct jit_grant g;
	jit_error err;


	exec_on(f->path,
		"CREATE TABLE grants (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL,"
		" requested_by TEXT NOT NULL, role TEXT NOT NULL, policy TEXT NOT NULL,"
		" source TEXT NOT NULL, ports TEXT NOT NULL, host TEXT NOT NULL,"
		" created INTEGER NOT NULL, not_before INTEGER NOT NULL, expires INTEGER NOT NULL,"
		" revoked_at INTEGER, revoked_by TEXT, justification TEXT NOT NULL DEFAULT '',"
		" jti TEXT NOT NULL UNIQUE);"
		"CREATE INDEX grants_user ON grants(user);"
		"CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL,"
		" actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT, result TEXT NOT NULL,"
		" reason TEXT, details TEXT);"
		"CREATE INDEX audit_time ON audit(time);"
		"INSERT INTO grants (user, requested_by, role, policy, source, ports, host, created,"
		" not_before, expires, jti) VALUES ('carol', 'carol', 'ops', 'ssh', '198.51.100.0/24',"
		" '22/tcp', 'web01', 1000, 1000, 2000, 'DDDDDDDDDDDDDDDDDDDDDD');"
		"PRAGMA user_version = 1;");
	open_store(f);
	assert_int_equal(jit_store_schema_version(f->st), JIT_STORE_SCHEMA_VERSION);
	assert_int_equal(jit_store_grant_get(f->st, 1, &g, &err), 1);
	assert_string_equal(g.user, "carol");
	assert_int_equal(g.uses, 0);
	assert_int_equal(g.expired_at, 2000);	/* marked by the migration */
	add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	jit_error err = { "" };

	if (postgresql != NULL)
		pg_exec("CREATE TABLE jit_schema (version INTEGER NOT NULL);"
			" INSERT INTO jit_schema VALUES (99)");
	else
		exec_on(f->path, "PRAGMA user_version = 99;");
	f->st = jit_store_open(f->path, &err);
	assert_null(f->st);
	assert_non_null(strstr(err.msg, "schema version 99 is newer"));
}

static void test_not_a_database_refused(void **state)
{
	struct fixture *f = *state;
	jit_error err = { "" };
	FILE *fp;

	fp = fopen(f->path, "w");

	assert_non_null(fp);
	for (int i = 0; i < 64; i++)
		fputs("this is not an SQLite database\n", fp);
	fclose(fp);
	f->st = jit_store_open(f->path, &err);
	assert_null(f->st);
	assert_non_null(strstr(err.msg, "database is corrupt"));
}

/* Another process holding the write lock: the grant is refused, clearly. */
static void test_locked_database_refuses_grant(void **state)
{
	struct fixture *f = *state;
	struct jit_grant g;
	struct jit_audit_entry e = { .time = NOW, .actor = "a", .action = "request", .result = "granted" };
	struct jit_grant_filter all = { .now = NOW };
	struct collected c = { 0 };
	jit_error err = { "" };
	sqlite3 *other;


	open_store(f);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	sample_grant(&g, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), -1);
	assert_non_null(strstr(err.msg, "database is locked"));
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(jit_store_grants_each(f->st, &all, collect, &c, &err), 0);
	assert_int_equal(c.n, 0);	/* nothing half-written */
	add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 60);
}

static int count_expire(const struct jit_audit_entry *e, void *ctx)
{
	if (strcmp(e->action, "expire") == 0)
		(*(int *)ctx)++;
	return 0;
}

/* Another controller's connection holding row id of table in an open
 * transaction; the store's sweeps wait at most 5 s for a lock (a failure,
 * not a hang, when they do not skip it). */
static PGconn *hold_row(const char *table, int64_t id)
{
	PGconn *other = PQconnectdb(postgresql);
	char sql[96];
	PGresult *r;

	pg_exec("ALTER DATABASE jit SET lock_timeout = '5s'");
	(void)snprintf(sql, sizeof(sql), "BEGIN; SELECT 1 FROM %s WHERE id = %lld FOR UPDATE", table,
		       (long long)id);
	r = PQexec(other, sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	return other;
}

/* Two controllers marking expiry at once: a due grant the other holds is
 * skipped, not marked twice; once it is let go, the next sweep finds it
 * marked or marks it, each grant audited once. */
static void test_expiry_skips_what_another_marks(void **state)
{
	struct fixture *f = *state;
	PGconn *other;
	jit_error err;
	int64_t held;
	int expires = 0;

	open_store(f);
	held = add_grant(f->st, "alice", "AAAAAAAAAAAAAAAAAAAAAA", NOW + 10);
	(void)add_grant(f->st, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 20);
	other = hold_row("grants", held);
	marked = 0;
	assert_int_equal(jit_store_expire_due(f->st, NOW + 30, count_marked, NULL, &err), 1);
	assert_int_equal(marked, 1);	/* bob's: alice's is held */
	PQclear(PQexec(other, "COMMIT"));
	PQfinish(other);
	assert_int_equal(jit_store_expire_due(f->st, NOW + 30, count_marked, NULL, &err), 1);
	assert_int_equal(jit_store_expire_due(f->st, NOW + 30, count_marked, NULL, &err), 0);
	assert_int_equal(jit_store_audit_each(f->st, 0, NULL, 0, false, count_expire, &expires,
					      &err), 0);
	assert_int_equal(expires, 2);
}

/* A change one controller queues for a host reaches another's list of
 * hosts with news (what its server pushes to followers), once it commits;
 * the wait is for the other's descriptor to turn readable. */
static void test_changes_heard_by_another_controller(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "root", .action = "request",
				     .result = "granted" };
	struct jit_store *other;
	const char *const *hosts;
	struct pollfd pfd = { .events = POLLIN };
	unsigned long connection;
	struct jit_grant g;
	jit_error err = { "" };
	size_t n = 0;

	jit_store_set_host(open_store(f), "ctl-a");
	other = jit_store_open(f->path, &err);
	assert_non_null(other);
	jit_store_set_host(other, "ctl-b");
	pfd.fd = jit_store_listen_fd(other, &connection);
	assert_true(pfd.fd >= 0);
	sample_grant(&g, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 60);
	(void)snprintf(g.host, sizeof(g.host), "web02");
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), 0);
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	jit_store_take_notifications(other);
	hosts = jit_store_changed_hosts(other, &n);
	assert_int_equal(n, 1);
	assert_string_equal(hosts[0], "web02");
	jit_store_close(other);
}

/* Rate limits shared by two controllers: one bucket, whichever takes;
 * tokens come back with the server's clock (moved here by moving the
 * bucket's time back); buckets full again are forgotten. */
static void test_rates_shared_by_controllers(void **state)
{
	struct fixture *f = *state;
	struct jit_store *other;
	jit_error err = { "" };

	open_store(f);
	other = jit_store_open(f->path, &err);
	assert_non_null(other);
	assert_true(jit_store_shares_rates(f->st));
	assert_int_equal(jit_store_rate_take(f->st, "uid:1000", 3, 60, &err), 1);
	assert_int_equal(jit_store_rate_take(other, "uid:1000", 3, 60, &err), 1);
	assert_int_equal(jit_store_rate_take(f->st, "uid:1000", 3, 60, &err), 1);
	assert_int_equal(jit_store_rate_take(other, "uid:1000", 3, 60, &err), 0);
	assert_int_equal(jit_store_rate_take(f->st, "uid:1000", 3, 60, &err), 0);
	assert_int_equal(jit_store_rate_take(other, "uid:1001", 3, 60, &err), 1);
	/* 20 s later, one of the three is back. */
	pg_exec("UPDATE rate_buckets SET at = at - 20000 WHERE key = 'uid:1000'");
	assert_int_equal(jit_store_rate_take(other, "uid:1000", 3, 60, &err), 1);
	assert_int_equal(jit_store_rate_take(f->st, "uid:1000", 3, 60, &err), 0);
	assert_int_equal(jit_store_rates_forget(f->st, 60, &err), 0);
	pg_exec("UPDATE rate_buckets SET at = at - 61000 WHERE key = 'uid:1001'");
	assert_int_equal(jit_store_rates_forget(f->st, 60, &err), 1);
	jit_store_close(other);
}

/* A database of schema version 10 (before the shared buckets) is migrated
 * when a controller opens it. */
static void test_pg_migrates_from_version_10(void **state)
{
	struct fixture *f = *state;
	jit_error err = { "" };

	open_store(f);
	jit_store_close(f->st);
	pg_exec("DROP TABLE rate_buckets; ALTER TABLE hosts DROP COLUMN followed_by;"
		" UPDATE jit_schema SET version = 10");
	open_store(f);
	assert_int_equal(jit_store_schema_version(f->st), JIT_STORE_SCHEMA_VERSION);
	assert_int_equal(jit_store_rate_take(f->st, "uid:0", 1, 60, &err), 1);
}

/* A host following controller B: A reads it so (its answers then wait
 * for the host's acks), hears each ack B records, and reads it so no more
 * once B lets it go or starts again. */
static void test_acks_heard_by_another_controller(void **state)
{
	struct fixture *f = *state;
	struct jit_audit_entry e = { .time = NOW, .actor = "root", .action = "request",
				     .result = "granted" };
	struct pollfd pfd = { .events = POLLIN };
	const struct jit_heard_ack *heard;
	struct jit_heard_ack got = { "", 0 };
	unsigned long connection;
	struct jit_store *b;
	struct jit_grant g;
	jit_error err = { "" };
	size_t n = 0;

	jit_store_set_host(open_store(f), "ctl-a");
	b = jit_store_open(f->path, &err);
	assert_non_null(b);
	jit_store_set_host(b, "ctl-b");
	assert_int_equal(jit_store_host_followed_elsewhere(f->st, "web02"), 0);
	assert_int_equal(jit_store_host_follow(b, "web02", true, &err), 0);
	assert_int_equal(jit_store_host_followed_elsewhere(f->st, "web02"), 1);
	assert_int_equal(jit_store_host_followed_elsewhere(b, "web02"), 0);
	sample_grant(&g, "bob", "BBBBBBBBBBBBBBBBBBBBBB", NOW + 60);
	(void)snprintf(g.host, sizeof(g.host), "web02");
	assert_int_equal(jit_store_grant_add(f->st, &g, NULL, &e, &err), 0);
	pfd.fd = jit_store_listen_fd(f->st, &connection);
	assert_true(pfd.fd >= 0);
	assert_int_equal(jit_store_host_ack(b, "web02", 1, NOW, &err), 0);
	/* A's own change's notification first, then B's ack. */
	while (n == 0 && poll(&pfd, 1, 10000) == 1) {
		jit_store_take_notifications(f->st);
		heard = jit_store_heard_acks(f->st, &n);
		if (n > 0)
			got = heard[0];
	}
	assert_int_equal(n, 1);
	assert_string_equal(got.host, "web02");
	assert_int_equal(got.seq, 1);
	jit_store_heard_acks_clear(f->st);
	(void)jit_store_heard_acks(f->st, &n);
	assert_int_equal(n, 0);
	assert_int_equal(jit_store_host_follow(b, "web02", false, &err), 0);
	assert_int_equal(jit_store_host_followed_elsewhere(f->st, "web02"), 0);
	assert_int_equal(jit_store_host_follow(b, "web02", true, &err), 0);
	assert_int_equal(jit_store_hosts_unfollow_own(b, &err), 0);
	assert_int_equal(jit_store_host_followed_elsewhere(f->st, "web02"), 0);
	jit_store_close(b);
}

static int count_lapsed_audit(const struct jit_audit_entry *e, void *ctx)
{
	if (strcmp(e->result, "expired") == 0 && strcmp(e->action, "request") == 0)
		(*(int *)ctx)++;
	return 0;
}

/* Two controllers marking lapsed requests at once: one another holds is
 * skipped, and each is marked, told and audited once. */
static void test_lapsed_requests_once(void **state)
{
	struct fixture *f = *state;
	PGconn *other;
	char sql[96];
	jit_error err;
	int64_t held;
	int audited = 0;

	open_store(f);
	held = add_request(f->st, "alice", NOW + 10);
	(void)add_request(f->st, "bob", NOW + 20);
	other = hold_row("requests", held);
	marked = 0;
	assert_int_equal(jit_store_requests_expire_due(f->st, NOW + 30, count_lapsed, NULL, &err), 1);
	assert_int_equal(marked, 1);	/* bob's: alice's is held */
	/* The other marks alice's itself, and commits. */
	(void)snprintf(sql, sizeof(sql), "UPDATE requests SET state = 'expired' WHERE id = %lld;"
		       " COMMIT", (long long)held);
	PQclear(PQexec(other, sql));
	PQfinish(other);
	assert_int_equal(jit_store_requests_expire_due(f->st, NOW + 30, count_lapsed, NULL, &err), 0);
	assert_int_equal(marked, 1);
	assert_int_equal(jit_store_audit_each(f->st, 0, NULL, 0, false, count_lapsed_audit,
					      &audited, &err), 0);
	assert_int_equal(audited, 1);
}

struct review_call {
	struct jit_store *st;
	int64_t id;
	struct jit_review rv;
	enum jit_review_result rc;
	enum jit_request_state to;
	int approvals;
};

static void *review_on_thread(void *arg)
{
	struct review_call *c = arg;
	struct jit_audit_entry e = { .time = NOW, .actor = c->rv.reviewer, .action = "approve",
				     .result = "ok" };
	jit_error err;

	c->rc = jit_store_request_review(c->st, c->id, &c->rv, JIT_REQ_PENDING, 2, &e, &c->to,
					 &c->approvals, &err);
	return NULL;
}

/* Whether a backend of this database waits for a lock. */
static bool someone_waits_for_a_lock(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT count(*) FROM pg_locks WHERE NOT granted");
	bool waits = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "0") != 0;

	PQclear(r);
	return waits;
}

/* Two approvals of a request needing two, given at once on two
 * controllers: the second waits for the first's row, then counts both and
 * approves. (Counted before the first committed, each would see one, and
 * the request would stay pending with both given.) */
static void test_reviews_at_once_count_each_other(void **state)
{
	struct fixture *f = *state;
	PGconn *other = PQconnectdb(postgresql), *watch = PQconnectdb(postgresql);
	struct review_call call = { .rc = JIT_REVIEW_ERROR };
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pthread_t thread;
	PGresult *r;
	char sql[256];
	int waited;

	open_store(f);
	call.st = f->st;
	call.id = add_request(f->st, "alice", NOW + 3600);
	call.rv = review_by("erin", true, NOW + 2);
	/* The other controller's review, written and not yet committed. */
	(void)snprintf(sql, sizeof(sql), "BEGIN; UPDATE requests SET state = state WHERE id = %lld;"
		       " INSERT INTO reviews (request_id, reviewer, remote, approve, reason, time)"
		       " VALUES (%lld, 'carol', 0, 1, 'fine', %lld)", (long long)call.id,
		       (long long)call.id, (long long)NOW + 1);
	r = PQexec(other, sql);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	assert_int_equal(pthread_create(&thread, NULL, review_on_thread, &call), 0);
	/* No event says a backend is waiting: look, for at most 30 s. */
	for (waited = 0; waited < 3000 && !someone_waits_for_a_lock(watch); waited++)
		(void)nanosleep(&tick, NULL);
	assert_true(waited < 3000);
	PQclear(PQexec(other, "COMMIT"));
	assert_int_equal(pthread_join(thread, NULL), 0);
	PQfinish(other);
	PQfinish(watch);
	assert_int_equal(call.rc, JIT_REVIEW_WRITTEN);
	assert_int_equal(call.approvals, 2);
	assert_int_equal(call.to, JIT_REQ_APPROVED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* PostgreSQL's alone, first: several controllers on one database. */
		cmocka_unit_test_setup_teardown(test_expiry_skips_what_another_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_heard_by_another_controller, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_acks_heard_by_another_controller, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lapsed_requests_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reviews_at_once_count_each_other, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rates_shared_by_controllers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_migrates_from_version_10, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_round_trip_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_jti_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_terminate_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_logins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_carry_the_ticket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_logins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_marking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reviews_once_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_counts_what_others_gave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decided_request_takes_no_review, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extend_from_the_end_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_lapse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scheduled_starts, setup, teardown),
		/* What only an SQLite file has, last: its migrations, WAL and locks. */
		cmocka_unit_test_setup_teardown(test_migration_from_version_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_on_their_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_bounded_under_steady_commits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_database_refuses_grant, setup, teardown),
	};
	const size_t pg_only = 7, sqlite_only = 5, n = sizeof(tests) / sizeof(tests[0]);

	postgresql = getenv("JIT_TEST_POSTGRESQL");
	if (postgresql != NULL)
		return _cmocka_run_group_tests("store on PostgreSQL", tests, n - sqlite_only, NULL,
					       NULL);
	return _cmocka_run_group_tests("store on SQLite", tests + pg_only, n - pg_only, NULL, NULL);
}
