/* SPDX-License-Identifier: ISC */
/* The socket protocol's operations driven in process: a broker with
 * firewall = none on a temporary directory, requests handed to
 * jit_broker_handle() as jitd's loop hands them, the answers checked. The
 * caller is this process's user name with a uid other than 0, in a role
 * with every power and named as jit-sshd's user so that remote identities
 * are reached too. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "broker.h"
#include "keys.h"
#include "log.h"
#include "peer.h"
#include "ticket.h"
#include "timeutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char dir[64], conf[128], key[128], db[128];
	struct jit_broker b;
	struct jit_peer caller;		/* in role all, not uid 0 */
	struct jit_peer door;		/* this process as it is: [sshd] user */
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static void write_key(const char *path)
{
	struct jit_secret_key key;
	char paserk[JIT_PASERK_MAX], line[JIT_PASERK_MAX + 1];

	assert_int_equal(jit_key_generate(&key), 0);
	jit_paserk_secret(&key, paserk);
	(void)snprintf(line, sizeof(line), "%s\n", paserk);
	write_file(path, line, 0600);
	jit_secret_key_wipe(&key);
	sodium_memzero(line, sizeof(line));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char text[2048];
	jit_error err;

	if (f == NULL)
		return -1;
	*state = f;
	if (sodium_init() < 0)
		return -1;
	jit_log_discard();
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/jit-test-ops.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	(void)snprintf(f->conf, sizeof(f->conf), "%s/jitd.conf", f->dir);
	(void)snprintf(f->key, sizeof(f->key), "%s/broker.key", f->dir);
	(void)snprintf(f->db, sizeof(f->db), "%s/jit.db", f->dir);
	jit_peer_from_uid(getuid(), &f->door);
	/* Never uid 0, who may ask anything: the caller's powers are role all's. */
	f->caller = f->door;
	f->caller.uid = 65534;
	write_key(f->key);
	(void)snprintf(text, sizeof(text),
		       "[jitd]\nhost = ops01\nsocket = %s/jitd.sock\ndatabase = %s\nkey = %s\n"
		       "firewall = none\nrate_requests = off\nrate_verifications = off\n\n"
		       "[policy ssh]\nports = 22/tcp\nsources = 192.0.2.0/24\nmax_duration = 2h\n"
		       "justification = required\n\n"
		       "[hostgroup web]\nhosts = web01, web02\n\n"
		       "[policy ssh-web]\nports = 22/tcp\nsources = 192.0.2.0/24\nhosts = @web\n\n"
		       "[policy once]\nports = 2222/tcp\nsources = 192.0.2.0/24\nmax_logins = 1\n\n"
		       "[role all]\nusers = %s\nremote_users = erin\npolicies = ssh, ssh-web, once\n"
		       "grant_others = yes\nrevoke_any = yes\naudit = yes\n\n"
		       "[role brief]\nusers = jit-brief, daemon\npolicies = ssh\nmax_duration = 30m\n\n"
		       "[sshd]\nuser = %s\n",
		       f->dir, f->db, f->key, f->caller.user, f->caller.user);
	write_file(f->conf, text, 0644);
	if (jit_broker_start(&f->b, f->conf, &err) != 0) {
		print_error("jit_broker_start: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	jit_broker_stop(&f->b);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The answer to one request line from peer, as jitd's loop would send it. */
static json_t *ask_as(struct fixture *f, struct jit_peer *peer, const char *line, bool *bad)
{
	bool ignored;
	json_t *r = jit_broker_handle(&f->b, peer, line, strlen(line), bad ? bad : &ignored);

	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "v")), 1);
	return r;
}

static json_t *ask(struct fixture *f, const char *line, bool *bad)
{
	return ask_as(f, &f->caller, line, bad);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void test_ping_and_malformed(void **state)
{
	struct fixture *f = *state;
	bool bad = false;
	json_t *r = ask(f, "{\"v\":1,\"op\":\"ping\"}", &bad);

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_false(bad);
	json_decref(r);
	r = ask(f, "{\"v\":1,\"op\":\"ping\",\"extra\":1}", &bad);
	assert_string_equal(str(r, "error"), "bad_request");
	assert_non_null(strstr(str(r, "reason"), "has no field 'extra'"));
	assert_true(bad);
	json_decref(r);
	r = ask(f, "not json", &bad);
	assert_string_equal(str(r, "error"), "bad_request");
	assert_true(bad);
	json_decref(r);
}

/* Granted: a ticket and the grant; then denied for a source outside the
 * policy, with its code; then listed, verified and revoked. */
static void test_request_verify_revoke(void **state)
{
	struct fixture *f = *state;
	json_t *r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10\","
			   "\"duration\":600,\"justification\":\"ops test\"}", NULL);
	json_t *grant = json_object_get(r, "grant");
	char line[1024];
	json_int_t id;

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_non_null(strstr(str(r, "ticket"), "v4.public."));
	assert_string_equal(str(grant, "from"), "192.0.2.10/32");
	id = json_integer_value(json_object_get(grant, "id"));
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"verify\",\"ticket\":\"%s\",\"user\":\"%s\","
		       "\"from\":\"192.0.2.10\",\"port\":\"22/tcp\"}", str(r, "ticket"), f->caller.user);
	json_decref(r);
	r = ask(f, line, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "grant"), "uses")), 1);
	json_decref(r);
	r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"203.0.113.1\","
		   "\"justification\":\"x\"}", NULL);
	assert_string_equal(str(r, "error"), "denied");
	assert_string_equal(str(r, "code"), "source_not_allowed");
	json_decref(r);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"revoke\",\"id\":%lld}", (long long)id);
	r = ask(f, line, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(json_object_get(r, "grant"), "state"), "revoked");
	assert_string_equal(str(json_object_get(r, "grant"), "on_revoke"), "keep");
	assert_null(json_object_get(r, "terminated"));
	json_decref(r);
	r = ask(f, line, NULL);
	assert_string_equal(str(r, "error"), "not_active");
	json_decref(r);
}

/* A grant under max_logins = 1: its first login is accepted and uses it
 * up, the second is refused with code used_up, by ticket and by grant. */
static void test_max_logins(void **state)
{
	struct fixture *f = *state;
	json_t *r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"2222/tcp\"],"
			   "\"from\":\"192.0.2.10\",\"duration\":600}", NULL);
	char line[1024];

	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "grant"),
							    "max_logins")), 1);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"verify\",\"ticket\":\"%s\",\"user\":\"%s\","
		       "\"from\":\"192.0.2.10\",\"port\":\"2222/tcp\"}", str(r, "ticket"),
		       f->caller.user);
	json_decref(r);
	r = ask(f, line, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(json_object_get(r, "grant"), "state"), "used_up");
	assert_non_null(str(json_object_get(r, "grant"), "used_up_at"));
	json_decref(r);
	r = ask(f, line, NULL);
	assert_string_equal(str(r, "error"), "refused");
	assert_string_equal(str(r, "code"), "used_up");
	assert_non_null(strstr(str(r, "reason"), "used up: it allows 1 login"));
	json_decref(r);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"verify\",\"user\":\"%s\","
		       "\"from\":\"192.0.2.10\",\"port\":\"2222/tcp\"}", f->caller.user);
	r = ask(f, line, NULL);
	assert_string_equal(str(r, "code"), "no grant");
	json_decref(r);
}

static json_t *extend_by(struct fixture *f, struct jit_peer *peer, json_int_t id, int seconds)
{
	char line[128];

	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"extend\",\"id\":%lld,\"duration\":%d}",
		       (long long)id, seconds);
	return ask_as(f, peer, line, NULL);
}

/* extend: a later end and a new ticket with the same id, which the login
 * check takes; refused past the policy's maximum counted from the start,
 * for another's grant, and for one no longer active. */
static void test_extend(void **state)
{
	struct fixture *f = *state;
	struct jit_peer other = f->caller;
	json_t *r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10\","
			   "\"duration\":600,\"justification\":\"ops test\"}", NULL);
	json_t *grant = json_object_get(r, "grant");
	json_int_t id = json_integer_value(json_object_get(grant, "id"));
	char jti[64], expires[64], line[1024];
	struct jit_claims c;
	jit_error err;

	(void)snprintf(jti, sizeof(jti), "%s", str(grant, "jti"));
	json_decref(r);
	r = extend_by(f, &f->caller, id, 1800);
	assert_true(json_is_true(json_object_get(r, "ok")));
	grant = json_object_get(r, "grant");
	assert_string_equal(str(grant, "jti"), jti);
	assert_int_equal(json_integer_value(json_object_get(grant, "expires_in")) > 2300, 1);
	assert_int_equal(jit_ticket_open(str(r, "ticket"), strlen(str(r, "ticket")), f->b.keys,
					 f->b.n_keys, &c, &err), JIT_OK);
	assert_string_equal(c.jti, jti);
	(void)snprintf(expires, sizeof(expires), "%s", str(grant, "expires"));
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"verify\",\"ticket\":\"%s\",\"user\":\"%s\","
		       "\"from\":\"192.0.2.10\",\"port\":\"22/tcp\"}", str(r, "ticket"), f->caller.user);
	json_decref(r);
	r = ask(f, line, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(json_object_get(r, "grant"), "expires"), expires);
	json_decref(r);

	r = extend_by(f, &f->caller, id, 7200);
	assert_string_equal(str(r, "code"), "duration_exceeds_policy");
	json_decref(r);
	(void)snprintf(other.user, sizeof(other.user), "jit-brief");
	r = extend_by(f, &other, id, 60);
	assert_string_equal(str(r, "code"), "not_yours");
	json_decref(r);
	r = extend_by(f, &f->caller, id, 0);
	assert_string_equal(str(r, "error"), "bad_request");
	json_decref(r);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"revoke\",\"id\":%lld}", (long long)id);
	json_decref(ask(f, line, NULL));
	r = extend_by(f, &f->caller, id, 60);
	assert_string_equal(str(r, "error"), "not_active");
	json_decref(r);
}

/* A request with a start: recorded now, its ticket valid from the start,
 * scheduled until then (no login), opened at it; one further ahead than
 * the policy's max_advance (7d by default) is denied. */
static void test_scheduled(void **state)
{
	struct fixture *f = *state;
	char line[1024], start[JIT_RFC3339_LEN];
	time_t now = time(NULL), next;
	size_t open_before = jit_firewall_entries(f->b.fw);
	json_t *r, *grant;

	(void)jit_rfc3339_format(now + 3600, start);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],"
		       "\"from\":\"192.0.2.11\",\"duration\":600,\"justification\":\"later\","
		       "\"start\":\"%s\"}", start);
	r = ask(f, line, NULL);
	grant = json_object_get(r, "grant");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(grant, "state"), "scheduled");
	assert_string_equal(str(grant, "not_before"), start);
	assert_int_equal(jit_firewall_entries(f->b.fw), open_before);
	assert_int_equal(jit_broker_next_expiry(&f->b, &next), 1);
	assert_true(next <= now + 3600);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"verify\",\"user\":\"%s\","
		       "\"from\":\"192.0.2.11\",\"port\":\"22/tcp\"}", f->caller.user);
	json_decref(r);
	r = ask(f, line, NULL);
	assert_string_equal(str(r, "code"), "no grant");
	json_decref(r);
	/* The second before its start (the other tests' grants ended by
	 * then), and its start. */
	assert_int_equal(jit_broker_expire(&f->b, now + 3599), 0);
	open_before = jit_firewall_entries(f->b.fw);
	assert_int_equal(jit_broker_expire(&f->b, now + 3600), 0);
	assert_int_equal(jit_firewall_entries(f->b.fw), open_before + 1);

	(void)jit_rfc3339_format(now + 8 * 86400, start);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],"
		       "\"from\":\"192.0.2.11\",\"justification\":\"much later\","
		       "\"start\":\"%s\"}", start);
	r = ask(f, line, NULL);
	assert_string_equal(str(r, "code"), "start_too_far");
	assert_non_null(strstr(str(r, "reason"), "policy ssh allows 7d ahead (max_advance)"));
	json_decref(r);
	r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.11\","
		   "\"justification\":\"x\",\"start\":\"tomorrow\"}", NULL);
	assert_string_equal(str(r, "error"), "bad_request");
	json_decref(r);
}

/* A request line with one number in it, by peer. */
#define ask_line(f, peer, fmt, n) ask_formatted(f, peer, fmt, (long long)(n))
static json_t *ask_formatted(struct fixture *f, struct jit_peer *peer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static json_t *ask_formatted(struct fixture *f, struct jit_peer *peer, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return ask_as(f, peer, line, NULL);
}

#define ASK_SSH "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"]," \
		"\"from\":\"192.0.2.%lld\",\"duration\":600,\"justification\":\"x\"}"

/* A lock on a user revokes the user's grants and refuses the user's
 * requests and logins with its reason, until it is removed; a lock on a
 * source refuses a request from a prefix overlapping it. Only uid 0 and
 * roles with lock = yes lock. */
static void test_locks(void **state)
{
	struct fixture *f = *state;
	struct jit_peer brief = f->caller, root = f->door;
	json_t *r = ask_line(f, &f->caller, ASK_SSH, 40);
	json_int_t grant = json_integer_value(json_object_get(json_object_get(r, "grant"), "id")), lock;
	char ticket[1024], line[1536];

	(void)snprintf(ticket, sizeof(ticket), "%s", str(r, "ticket"));
	json_decref(r);
	(void)snprintf(brief.user, sizeof(brief.user), "jit-brief");
	r = ask_as(f, &brief, "{\"v\":1,\"op\":\"lock\",\"user\":\"x\",\"reason\":\"no\"}", NULL);
	assert_string_equal(str(r, "code"), "not_locker");
	json_decref(r);
	root.uid = 0;
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"lock\",\"user\":\"%s\","
		       "\"reason\":\"INC-9 account compromised\"}", f->caller.user);
	r = ask_as(f, &root, line, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	lock = json_integer_value(json_object_get(json_object_get(r, "lock"), "id"));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "revoked"), 0)), grant);
	json_decref(r);
	r = ask_line(f, &f->caller, ASK_SSH, 41);
	assert_string_equal(str(r, "code"), "locked");
	assert_non_null(strstr(str(r, "reason"), "INC-9 account compromised"));
	json_decref(r);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"verify\",\"user\":\"%s\","
		       "\"from\":\"192.0.2.40\",\"port\":\"22/tcp\",\"ticket\":\"%s\"}",
		       f->caller.user, ticket);
	r = ask(f, line, NULL);
	assert_string_equal(str(r, "error"), "refused");
	json_decref(r);
	r = ask_as(f, &root, "{\"v\":1,\"op\":\"locks\"}", NULL);
	assert_int_equal(json_array_size(json_object_get(r, "locks")), 1);
	json_decref(r);
	r = ask_line(f, &root, "{\"v\":1,\"op\":\"unlock\",\"id\":%lld}", lock);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = ask_line(f, &root, "{\"v\":1,\"op\":\"unlock\",\"id\":%lld}", lock);
	assert_string_equal(str(r, "code"), "no_such_lock");
	json_decref(r);
	r = ask_line(f, &f->caller, ASK_SSH, 42);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	r = ask_as(f, &root, "{\"v\":1,\"op\":\"lock\",\"source\":\"192.0.2.128/25\","
		   "\"reason\":\"scanner\",\"ttl\":60}", NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = ask_line(f, &f->caller, ASK_SSH, 200);
	assert_string_equal(str(r, "code"), "locked");
	json_decref(r);
	r = ask_line(f, &f->caller, ASK_SSH, 43);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = ask_as(f, &root, "{\"v\":1,\"op\":\"lock\",\"role\":\"nosuch\",\"reason\":\"x\"}", NULL);
	assert_string_equal(str(r, "error"), "bad_request");
	json_decref(r);
	r = ask_as(f, &root, "{\"v\":1,\"op\":\"lock\",\"user\":\"a\",\"host\":\"b\",\"reason\":\"x\"}",
		   NULL);
	assert_string_equal(str(r, "error"), "bad_request");
	json_decref(r);
}

/* revoke with terminate: the grant's sessions are cut whatever its policy
 * said (backend none: there are none to cut), and the grant says so, in
 * its JSON as an enforcer reads it back. */
static void test_revoke_terminate(void **state)
{
	struct fixture *f = *state;
	json_t *r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10\","
			   "\"duration\":600,\"justification\":\"ops test\"}", NULL);
	json_int_t id = json_integer_value(json_object_get(json_object_get(r, "grant"), "id"));
	struct jit_grant g;
	char line[128];
	jit_error err;

	assert_string_equal(str(json_object_get(r, "grant"), "on_revoke"), "keep");
	assert_string_equal(str(json_object_get(r, "grant"), "on_expiry"), "keep");
	json_decref(r);
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"revoke\",\"id\":%lld,\"terminate\":true}",
		       (long long)id);
	r = ask(f, line, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "terminated")), 0);
	assert_string_equal(str(json_object_get(r, "grant"), "on_revoke"), "terminate");
	assert_int_equal(jit_grant_from_json(json_object_get(r, "grant"), &g, &err), 0);
	assert_true(g.cut_on_revoke);
	assert_false(g.cut_on_expiry);
	json_object_set_new(json_object_get(r, "grant"), "on_expiry", json_string("later"));
	assert_int_equal(jit_grant_from_json(json_object_get(r, "grant"), &g, &err), -1);
	assert_non_null(strstr(err.msg, "'on_expiry' is neither keep nor terminate"));
	json_decref(r);
	r = ask(f, "{\"v\":1,\"op\":\"revoke\",\"id\":1,\"terminate\":\"yes\"}", NULL);
	assert_string_equal(str(r, "error"), "bad_request");
	json_decref(r);
}

#include "firewall.h"

/* A controller's request for other hosts: one grant and ticket per host,
 * signed for that host and recorded, this host's firewall left as it was;
 * a host no policy covers or a group not defined refuses the request. */
static void test_request_for_hosts(void **state)
{
	struct fixture *f = *state;
	size_t open_before = jit_firewall_entries(f->b.fw);
	json_t *r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10\","
			   "\"hosts\":[\"web02\",\"@web\"],\"duration\":600}", NULL);
	json_t *grants = json_object_get(r, "grants"), *g;
	char line[1024];

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_array_size(grants), 2);	/* web02 once */
	assert_null(json_object_get(r, "ticket"));	/* several hosts: in grants only */
	g = json_array_get(grants, 0);
	assert_string_equal(str(g, "host"), "web02");
	assert_string_equal(str(json_object_get(g, "grant"), "host"), "web02");
	assert_false(json_is_true(json_object_get(g, "applied")));
	assert_string_equal(str(g, "pending"), "web02's enforcer is not connected");
	assert_string_equal(str(json_array_get(grants, 1), "host"), "web01");
	assert_int_equal(jit_firewall_entries(f->b.fw), open_before);
	/* web02's ticket does not let anyone in here. */
	(void)snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"verify\",\"ticket\":\"%s\",\"user\":\"%s\","
		       "\"from\":\"192.0.2.10\",\"port\":\"22/tcp\"}", str(g, "ticket"), f->caller.user);
	json_decref(r);
	r = ask(f, line, NULL);
	assert_string_equal(str(r, "error"), "refused");
	assert_string_equal(str(r, "code"), "wrong host");
	json_decref(r);
	r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10\","
		   "\"hosts\":[\"web01\",\"db01\"]}", NULL);
	assert_string_equal(str(r, "code"), "host_not_allowed");
	assert_string_equal(str(r, "reason"), "no policy of role all covers 22/tcp on host db01");
	json_decref(r);
	r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10\","
		   "\"hosts\":[\"@db\"]}", NULL);
	assert_string_equal(str(r, "error"), "bad_request");
	assert_string_equal(str(r, "reason"), "hosts: no hostgroup named 'db'");
	json_decref(r);
	/* This host's own window still opens here. */
	r = ask(f, "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.10\","
		   "\"hosts\":[\"ops01\"],\"justification\":\"own\"}", NULL);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(r, "grants"), 0),
						 "applied")));
	assert_int_equal(jit_firewall_entries(f->b.fw), open_before + 1);
	json_decref(r);
}

/* jit-sshd speaking for erin, a remote identity of role all; nobody else
 * may. */
static void test_remote_identity(void **state)
{
	struct fixture *f = *state;
	json_t *r = ask_as(f, &f->door, "{\"v\":1,\"op\":\"status\",\"remote\":{\"user\":\"erin\","
			   "\"address\":\"192.0.2.20\",\"key\":\"SHA256:x\"}}", NULL);
	json_t *caller = json_object_get(r, "caller");

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(caller, "user"), "erin");
	assert_true(json_is_null(json_object_get(caller, "uid")));
	assert_true(json_is_true(json_object_get(caller, "remote")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(caller, "roles"), 0)),
			    "all");
	json_decref(r);
	r = ask_as(f, &f->door, "{\"v\":1,\"op\":\"audit\",\"remote\":{\"user\":\"erin\","
		   "\"address\":\"192.0.2.20\",\"key\":\"SHA256:x\"}}", NULL);
	assert_string_equal(str(r, "error"), "denied");
	json_decref(r);
	/* From anyone but jit-sshd's user, a remote object is refused. */
	r = ask(f, "{\"v\":1,\"op\":\"status\",\"remote\":{\"user\":\"erin\","
		   "\"address\":\"192.0.2.20\",\"key\":\"SHA256:x\"}}", NULL);
	assert_string_equal(str(r, "code"), "not_front_door");
	json_decref(r);
}

/* Policy `name` of a policies answer, or NULL. */
static json_t *policy_named(json_t *answer, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(answer, "policies"), i, p) {
		if (strcmp(str(p, "name"), name) == 0)
			return p;
	}
	return NULL;
}

static json_t *first(json_t *o, const char *key)
{
	return json_array_get(json_object_get(o, key), 0);
}

/* What each caller may ask for: their roles' policies with their limits,
 * the longest window their roles allow; every policy for uid 0; nothing
 * for one in no role. */
static void test_policies(void **state)
{
	struct fixture *f = *state;
	struct jit_peer brief = f->caller, stranger = f->caller, root = f->door;
	json_t *r = ask(f, "{\"v\":1,\"op\":\"policies\"}", NULL), *ssh, *web;

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_true(json_is_false(json_object_get(r, "unrestricted")));
	assert_int_equal(json_array_size(json_object_get(r, "policies")), 3);
	assert_int_equal(json_integer_value(json_object_get(policy_named(r, "once"), "max_logins")), 1);
	assert_string_equal(str(policy_named(r, "once"), "on_revoke"), "keep");
	ssh = policy_named(r, "ssh");
	web = policy_named(r, "ssh-web");
	assert_non_null(ssh);
	assert_non_null(web);
	assert_string_equal(json_string_value(first(ssh, "roles")), "all");
	assert_string_equal(json_string_value(first(ssh, "ports")), "22/tcp");
	assert_string_equal(json_string_value(first(ssh, "hosts")), "ops01");
	assert_string_equal(json_string_value(first(ssh, "sources")), "192.0.2.0/24");
	assert_int_equal(json_integer_value(json_object_get(ssh, "max_duration")), 7200);
	assert_true(json_is_true(json_object_get(ssh, "justification")));
	assert_int_equal(json_integer_value(json_object_get(ssh, "approvals")), 0);
	assert_int_equal(json_array_size(json_object_get(web, "hosts")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(web, "hosts"), 1)),
			    "web02");
	assert_true(json_is_false(json_object_get(web, "justification")));
	json_decref(r);

	(void)snprintf(brief.user, sizeof(brief.user), "jit-brief");
	brief.n_groups = 0;
	r = ask_as(f, &brief, "{\"v\":1,\"op\":\"policies\"}", NULL);
	assert_int_equal(json_array_size(json_object_get(r, "policies")), 1);
	ssh = policy_named(r, "ssh");
	assert_non_null(ssh);
	assert_string_equal(json_string_value(first(ssh, "roles")), "brief");
	assert_int_equal(json_integer_value(json_object_get(ssh, "max_duration")), 1800);
	json_decref(r);

	(void)snprintf(stranger.user, sizeof(stranger.user), "jit-stranger");
	stranger.n_groups = 0;
	r = ask_as(f, &stranger, "{\"v\":1,\"op\":\"policies\"}", NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_array_size(json_object_get(r, "policies")), 0);
	json_decref(r);

	root.uid = 0;
	r = ask_as(f, &root, "{\"v\":1,\"op\":\"policies\"}", NULL);
	assert_true(json_is_true(json_object_get(r, "unrestricted")));
	assert_int_equal(json_array_size(json_object_get(r, "policies")), 3);
	assert_int_equal(json_array_size(json_object_get(policy_named(r, "ssh"), "roles")), 0);
	json_decref(r);

	r = ask_as(f, &f->door, "{\"v\":1,\"op\":\"policies\",\"remote\":{\"user\":\"erin\","
		   "\"address\":\"192.0.2.20\",\"key\":\"SHA256:x\"}}", NULL);
	assert_string_equal(str(r, "user"), "erin");
	assert_int_equal(json_array_size(json_object_get(r, "policies")), 3);
	json_decref(r);
}

/* "CONF:LINE" of a section. */
static void place(const struct fixture *f, unsigned line, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%s:%u", f->conf, line);
}

/* explain decides for the user named, as their request would be decided,
 * and names the places in the configuration; for auditors only. */
static void test_explain(void **state)
{
	struct fixture *f = *state;
	struct jit_peer stranger = f->caller;
	const struct jit_config *cfg = f->b.cfg;
	char brief_at[256], ssh_at[256];
	json_t *r, *considered;

	place(f, cfg->roles[1].line, brief_at, sizeof(brief_at));
	place(f, cfg->policies[0].line, ssh_at, sizeof(ssh_at));
	r = ask(f, "{\"v\":1,\"op\":\"explain\",\"user\":\"daemon\",\"ports\":[\"22/tcp\"],"
		"\"from\":\"192.0.2.9\",\"justification\":\"x\"}", NULL);
	assert_true(json_is_true(json_object_get(r, "granted")));
	assert_int_equal(json_integer_value(json_object_get(r, "duration")), 1800);
	assert_string_equal(str(json_object_get(r, "role"), "name"), "brief");
	assert_string_equal(str(json_object_get(r, "role"), "at"), brief_at);
	assert_string_equal(str(first(r, "policies"), "name"), "ssh");
	assert_string_equal(str(first(r, "policies"), "at"), ssh_at);
	assert_string_equal(str(first(r, "policies"), "port"), "22/tcp");
	json_decref(r);

	r = ask(f, "{\"v\":1,\"op\":\"explain\",\"user\":\"daemon\",\"ports\":[\"22/tcp\"],"
		"\"from\":\"198.51.100.9\",\"justification\":\"x\"}", NULL);
	assert_true(json_is_false(json_object_get(r, "granted")));
	assert_string_equal(str(r, "code"), "source_not_allowed");
	assert_true(json_is_null(json_object_get(r, "role")));
	assert_string_equal(str(first(r, "roles"), "at"), brief_at);
	considered = json_object_get(r, "policies");
	assert_int_equal(json_array_size(considered), 1);
	assert_string_equal(str(json_array_get(considered, 0), "at"), ssh_at);
	json_decref(r);

	r = ask(f, "{\"v\":1,\"op\":\"explain\",\"user\":\"jit-no-such-user\",\"ports\":[\"22/tcp\"],"
		"\"from\":\"192.0.2.9\"}", NULL);
	assert_string_equal(str(r, "error"), "bad_request");
	json_decref(r);

	(void)snprintf(stranger.user, sizeof(stranger.user), "jit-stranger");
	stranger.n_groups = 0;
	r = ask_as(f, &stranger, "{\"v\":1,\"op\":\"explain\",\"user\":\"daemon\","
		   "\"ports\":[\"22/tcp\"],\"from\":\"192.0.2.9\"}", NULL);
	assert_string_equal(str(r, "code"), "not_auditor");
	json_decref(r);
}

/* The audit log answers oldest first, bounded by limit, saying so. */
static void test_audit_limit(void **state)
{
	struct fixture *f = *state;
	json_t *r = ask(f, "{\"v\":1,\"op\":\"audit\",\"limit\":1}", NULL);

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_array_size(json_object_get(r, "entries")), 1);
	assert_true(json_is_true(json_object_get(r, "truncated")));
	json_decref(r);
	r = ask(f, "{\"v\":1,\"op\":\"audit\",\"limit\":0}", NULL);
	assert_string_equal(str(r, "error"), "bad_request");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_and_malformed),
		cmocka_unit_test(test_request_verify_revoke),
		cmocka_unit_test(test_revoke_terminate),
		cmocka_unit_test(test_max_logins),
		cmocka_unit_test(test_extend),
		cmocka_unit_test(test_scheduled),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_remote_identity),
		cmocka_unit_test(test_request_for_hosts),
		cmocka_unit_test(test_audit_limit),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests_name("ops", tests, setup, teardown);
}
