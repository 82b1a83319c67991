/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "jitd_config.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char full_example[] =
	"# a full configuration\n"
	"[jitd]\n"
	"host = web01                       # this host's id\n"
	"socket = /run/jit/test.sock\n"
	"socket_group = jitusers\n"
	"database = /var/lib/jit/test.db\n"
	"key = /etc/jit/test.key\n"
	"firewall = none\n"
	"default_duration = 30m\n"
	"skew = 10s\n"
	"\n"
	"[role ops]\n"
	"users = alice, bob\n"
	"groups = wheel\n"
	"policies = ssh, rdp    # rdp is defined below\n"
	"max_duration = 1h\n"
	"grant_others = yes\n"
	"revoke_any = no\n"
	"audit = yes\n"
	"\n"
	"[policy ssh]\n"
	"ports = 22/tcp\n"
	"sources = 192.0.2.0/24, 2001:db8::/32\n"
	"max_duration = 3h\n"
	"justification = required\n"
	"on_revoke = terminate\n"
	"on_expiry = keep\n"
	"max_logins = 3\n"
	"max_advance = 1d\n"
	"\n"
	"  [ policy rdp ]  \n"
	"\tports = 3389/tcp,3389/udp\n"
	"\tsources = any\n"
	"\n"
	"[sshd]\n"
	"user = jit-sshd\n"
	"listen = 192.0.2.1:2222, [2001:db8::1]:22\n"
	"host_key = /etc/jit/test_host_key\n"
	"authorized_keys = /etc/jit/test_keys\n"
	"login_grace = 5s\n"
	"max_auth_tries = 2\n"
	"max_startups = 50\n";

static struct jit_config *parse(const char *text, struct jit_config_errors *errs)
{
	return jit_config_parse("test.conf", text, strlen(text), errs);
}

static void test_full_example(void **state)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = parse(full_example, &errs);
	const struct jit_policy *ssh, *rdp;

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->host, "web01");
	assert_string_equal(cfg->socket, "/run/jit/test.sock");
	assert_string_equal(cfg->socket_group, "jitusers");
	assert_string_equal(cfg->database, "/var/lib/jit/test.db");
	assert_string_equal(cfg->key, "/etc/jit/test.key");
	assert_int_equal(cfg->firewall, JIT_FW_NONE);
	assert_int_equal(cfg->default_duration, 1800);
	assert_int_equal(cfg->skew, 10);
	assert_string_equal(cfg->sshd.user, "jit-sshd");
	assert_int_equal(cfg->sshd.n_listen, 2);
	assert_int_equal(cfg->sshd.listen[0].addr.family, AF_INET);
	assert_int_equal(cfg->sshd.listen[0].port, 2222);
	assert_int_equal(cfg->sshd.listen[1].addr.family, AF_INET6);
	assert_int_equal(cfg->sshd.listen[1].port, 22);
	assert_string_equal(cfg->sshd.host_key, "/etc/jit/test_host_key");
	assert_string_equal(cfg->sshd.authorized_keys, "/etc/jit/test_keys");
	assert_int_equal(cfg->sshd.login_grace, 5);
	assert_int_equal(cfg->sshd.max_auth_tries, 2);
	assert_int_equal(cfg->sshd.max_startups, 50);
	assert_int_equal(cfg->sshd.startups_begin, 50);
	assert_int_equal(cfg->sshd.startups_rate, 100);
	assert_int_equal(cfg->n_policies, 2);
	ssh = jit_config_policy(cfg, "ssh");
	rdp = jit_config_policy(cfg, "rdp");
	assert_non_null(ssh);
	assert_non_null(rdp);
	assert_int_equal(ssh->n_ports, 1);
	assert_int_equal(ssh->ports[0].port, 22);
	assert_int_equal(ssh->n_sources, 2);
	assert_int_equal(ssh->sources[1].addr.family, AF_INET6);
	assert_int_equal(ssh->max_duration, 10800);
	assert_true(ssh->justification_required);
	assert_true(ssh->terminate_on_revoke);
	assert_false(ssh->terminate_on_expiry);
	assert_false(rdp->terminate_on_revoke);
	assert_false(rdp->terminate_on_expiry);
	assert_int_equal(ssh->max_logins, 3);
	assert_int_equal(rdp->max_logins, 0);
	assert_int_equal(ssh->max_advance, 86400);
	assert_int_equal(rdp->max_advance, 7 * 86400);
	assert_int_equal(cfg->used_up_grace, 10);
	assert_int_equal(rdp->n_ports, 2);
	assert_int_equal(rdp->ports[1].proto, JIT_PROTO_UDP);
	assert_int_equal(rdp->n_sources, 0);
	assert_true(rdp->any_source);
	assert_false(ssh->any_source);
	assert_int_equal(rdp->max_duration, 3600);
	assert_false(rdp->justification_required);
	assert_int_equal(cfg->n_roles, 1);
	assert_string_equal(cfg->roles[0].name, "ops");
	assert_int_equal(cfg->roles[0].users.n, 2);
	assert_string_equal(cfg->roles[0].users.items[1], "bob");
	assert_string_equal(cfg->roles[0].groups.items[0], "wheel");
	assert_int_equal(cfg->roles[0].n_policies, 2);
	assert_ptr_equal(&cfg->policies[cfg->roles[0].policies[0]], ssh);
	assert_ptr_equal(&cfg->policies[cfg->roles[0].policies[1]], rdp);
	assert_int_equal(cfg->roles[0].max_duration, 3600);
	assert_true(cfg->roles[0].grant_others);
	assert_false(cfg->roles[0].revoke_any);
	assert_true(cfg->roles[0].audit);
	jit_config_free(cfg);
}

static void test_defaults(void **state)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = parse("[jitd]\nhost = h1\n", &errs);

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->socket, "/run/jit/jitd.sock");
	assert_string_equal(cfg->socket_group, "jit");
	assert_string_equal(cfg->database, "/var/lib/jit/jit.db");
	assert_string_equal(cfg->key, "/etc/jit/broker.key");
	assert_int_equal(cfg->firewall, JIT_FW_NFTABLES);
	assert_int_equal(cfg->default_duration, 3600);
	assert_int_equal(cfg->skew, 30);
	assert_string_equal(cfg->sshd.user, "");
	assert_int_equal(cfg->sshd.n_listen, 0);
	assert_string_equal(cfg->sshd.host_key, "/etc/jit/ssh_host_ed25519_key");
	assert_string_equal(cfg->sshd.authorized_keys, "/etc/jit/authorized_keys");
	assert_int_equal(cfg->sshd.login_grace, 10);
	assert_int_equal(cfg->sshd.max_auth_tries, 3);
	assert_int_equal(cfg->sshd.max_startups, 60);
	assert_int_equal(cfg->sshd.startups_begin, 20);
	assert_int_equal(cfg->sshd.startups_rate, 30);
	assert_int_equal(cfg->sshd.per_source_max_startups, 5);
	assert_int_equal(cfg->n_policies, 0);
	assert_int_equal(cfg->n_roles, 0);
	jit_config_free(cfg);
}

struct error_case {
	const char *text;
	const char *error;	/* expected as the first error, line number included */
};

/* Each error path, with the line it names. */
static void test_error_paths(void **state)
{
	static const struct error_case cases[] = {
		{ "[jitd]\nhost = h\n[bogus]\n", "test.conf:3: unknown section [bogus]" },
		{ "[jitd]\nhost = h\n[policy]\n", "test.conf:3: unknown section [policy]" },
		{ "[jitd]\nhost = h\n[jitd x]\n", "test.conf:3: unknown section [jitd x]" },
		{ "[jitd]\nhost = h\ncolour = blue\n", "test.conf:3: unknown key 'colour'" },
		{ "host = h\n[jitd]\nhost = h\n", "test.conf:1: 'host' is outside any section" },
		{ "[jitd]\nhost = h\nhost = i\n", "test.conf:3: host is set twice" },
		{ "[jitd]\nhost = h\n[jitd]\n", "test.conf:3: [jitd] is defined twice" },
		{ "[jitd]\nhost = h\n[sshd]\n", "test.conf:3: [sshd]: user is required" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a b\n", "test.conf:4: user: 'a b' is not a valid user name" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\n[sshd]\nuser = b\n",
		  "test.conf:5: [sshd] is defined twice" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nport = 22\n", "test.conf:5: unknown key 'port'" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nlisten = 192.0.2.1\n", "test.conf:5: listen: '192.0.2.1' is not ADDR:PORT" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nlisten = 2001:db8::1:22\n", "test.conf:5: listen: '2001:db8::1:22' is not ADDR:PORT" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nlisten = [192.0.2.1]:22\n", "is not ADDR:PORT" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nlisten = 192.0.2.1:0\n", "is not ADDR:PORT" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nlisten = 192.0.2.1:65536\n", "is not ADDR:PORT" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nlisten = 192.0.2.1:22,\n", "listen: '' is not ADDR:PORT" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nhost_key = key\n", "host_key: 'key' is not an absolute path" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nlogin_grace = 11m\n", "login_grace: '11m' is not between 1s and 10m" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nmax_auth_tries = 0\n", "max_auth_tries: '0' is not a whole number from 1 to 20" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nmax_startups = 20x\n", "max_startups: '20x' is not a whole number" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nmax_startups = 30:30:20\n", "max_startups: '30:30:20' is neither N nor START:RATE:FULL" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nmax_startups = 10:0:20\n", "is neither N nor START:RATE:FULL" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nmax_startups = 10:30:20:5\n", "is neither N nor START:RATE:FULL" },
		{ "[jitd]\nhost = h\n[sshd]\nuser = a\nper_source_max_startups = 0\n", "per_source_max_startups: '0' is not a whole number from 1 to 1000" },
		{ "[jitd]\nhost = h\n[policy a]\nports = 22/tcp\nsources = any\n[policy a]\nports = 22/tcp\n",
		  "test.conf:6: [policy a] is defined twice" },
		{ "[jitd]\nhost = h\n[hostgroup web]\n", "test.conf:3: [hostgroup web]: hosts is required" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\n",
		  "test.conf:3: pubkey is for an enforcer, which has a [controller] section" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\nkey = /k\n[controller]\naddress = jit@192.0.2.1\n"
		  "identity = /id\nknown_hosts = /kh\n",
		  "test.conf:4: key: an enforcer holds no signing key" },
		{ "[jitd]\nhost = h\n[controller]\naddress = jit@192.0.2.1\nidentity = /id\nknown_hosts = /kh\n",
		  "test.conf: [jitd]: an enforcer needs pubkey" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\n[controller]\nidentity = /id\nknown_hosts = /kh\n",
		  "test.conf:4: [controller]: address is required" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\n[controller]\naddress = 192.0.2.1:22\n"
		  "identity = /id\nknown_hosts = /kh\n",
		  "test.conf:5: address: '192.0.2.1:22' is not USER@HOST[:PORT]" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\n[controller]\naddress = jit@[2001:db8::1\n"
		  "identity = /id\nknown_hosts = /kh\n",
		  "is not USER@HOST[:PORT]" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\n[controller]\naddress = jit@a, jit@b, jit@c, jit@d\n"
		  "address = jit@e, jit@f, jit@g, jit@h\naddress = jit@i\nidentity = /id\nknown_hosts = /kh\n",
		  "test.conf:7: address: more than 8 addresses" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\n[controller]\naddress = jit@c\nguard = 22\n"
		  "identity = /id\nknown_hosts = /kh\n",
		  "test.conf:6: guard: '22' is not a list of up to 32 ports" },
		{ "[jitd]\nhost = h\npubkey = /k.pub\n[controller]\naddress = jit@c\nidentity = /id\n"
		  "known_hosts = /kh\n[policy p]\nports = 22/tcp\nsources = any\n",
		  "test.conf:8: [policy p]: an enforcer takes its policies from its controller" },
		{ "[jitd]\nhost = h\n[hostgroup web]\nhosts = a\n[hostgroup web]\nhosts = b\n",
		  "test.conf:5: [hostgroup web] is defined twice" },
		{ "[jitd]\nhost = h\n[hostgroup web]\nhosts = web 01\n",
		  "test.conf:4: hosts: 'web 01' is not a host id" },
		{ "[jitd]\nhost = h\n[hostgroup web]\nhosts = @db\n",
		  "test.conf:4: hosts: '@db' is not a host id" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\nhosts = h, @web\n",
		  "test.conf:6: [policy p]: no hostgroup named 'web'" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\nhosts = h,,i\n",
		  "test.conf:6: hosts: empty or overlong host id" },
		{ "[jitd]\nsocket = /x\n", "test.conf:1: [jitd]: host is required" },
		{ "# nothing\n", "test.conf: no [jitd] section" },
		{ "[jitd]\nhost = h\ndefault_duration = 1w\n", "test.conf:3: default_duration: '1w' is not a duration" },
		{ "[jitd]\nhost = h\nskew = 10m\n", "test.conf:3: skew: '10m' is more than 5m" },
		{ "[jitd]\nhost = web 01\n", "test.conf:2: host: 'web 01' is not a host id" },
		{ "[jitd]\nhost = h\nsocket = run/jitd.sock\n", "test.conf:3: socket: 'run/jitd.sock' is not an absolute path" },
		{ "[jitd]\nhost = h\nfirewall = pf\n", "test.conf:3: firewall: 'pf' is not one of" },
		{ "[jitd]\nhost = h\nsocket_group = wh eel\n", "test.conf:3: socket_group: 'wh eel'" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22\nsources = any\n", "test.conf:4: ports: '22' is not a list" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = 192.0.2.1/24\n",
		  "test.conf:5: sources: '192.0.2.1/24'" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\njustification = maybe\nsources = any\n",
		  "test.conf:5: justification: 'maybe' is neither required nor optional" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\non_expiry = kill\n",
		  "test.conf:6: on_expiry: 'kill' is neither terminate nor keep" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\nmax_logins = 1001\n",
		  "test.conf:6: max_logins" },
		{ "[jitd]\nhost = h\nused_up_grace = 10m\n", "test.conf:3: used_up_grace: '10m' is more than 5m" },
		{ "[jitd]\nhost = h\n[policy p]\nsources = 192.0.2.0/24\n", "test.conf:3: [policy p]: ports is required" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\n[role r]\nusers = a\npolicies = p, q\n",
		  "test.conf:8: [role r]: no policy named 'q'" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\n[role r]\npolicies = p\n",
		  "test.conf:6: [role r]: users, groups or remote_users is required" },
		{ "[jitd]\nhost = h\n[role r]\nusers = a\n", "test.conf:3: [role r]: policies is required" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\n[role r]\nusers = a\npolicies = p\naudit = 1\n",
		  "test.conf:9: audit: '1' is neither yes nor no" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\n[role r]\nusers = a, , b\npolicies = p\n",
		  "test.conf:7: users: empty or overlong name" },
		{ "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\n[role r]\nusers = a;b\npolicies = p\n",
		  "test.conf:7: users: 'a;b' is not a valid name" },
		{ "[jitd]\nhost =\n", "test.conf:2: host has no value" },
		{ "[jitd]\nhost = h\nskew 10s\n", "test.conf:3: expected 'key = value'" },
		{ "[jitd\nhost = h\n", "test.conf:1: section header without its closing ']'" },
		{ "[jitd]\nhost = h\n[role bad/name]\n", "test.conf:3: 'bad/name' is not a valid section name" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jit_config_errors errs;
		struct jit_config *cfg = parse(cases[i].text, &errs);

		print_message("case %zu: %s\n", i, errs.n ? errs.msg[0] : "(no error)");
		assert_null(cfg);
		assert_true(errs.n >= 1);
		assert_non_null(strstr(errs.msg[0], cases[i].error));
	}
}

/* One pass reports every error, each with its own line. */
static void test_all_errors_reported(void **state)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = parse("[jitd]\nhost = h\nskew = soon\nfirewall = pf\n[nope]\n", &errs);

	(void)state;
	assert_null(cfg);
	assert_int_equal(errs.n, 3);
	assert_non_null(strstr(errs.msg[0], "test.conf:3:"));
	assert_non_null(strstr(errs.msg[1], "test.conf:4:"));
	assert_non_null(strstr(errs.msg[2], "test.conf:5:"));
}

/* A section's missing key is found at its end, after the lines below its
 * header: reported all the same in line order. */
static void test_errors_in_line_order(void **state)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = parse("[jitd]\nhost = h\n[policy p]\nports = 22/tcp\n"
				       "max_duration = soon\n[role r]\npolicies = p, q\n", &errs);

	(void)state;
	assert_null(cfg);
	assert_int_equal(errs.n, 4);
	assert_non_null(strstr(errs.msg[0], "test.conf:3: [policy p]: sources is required"));
	assert_non_null(strstr(errs.msg[1], "test.conf:5: max_duration"));
	assert_non_null(strstr(errs.msg[2], "test.conf:6: [role r]: users, groups or remote_users"));
	assert_non_null(strstr(errs.msg[3], "test.conf:7: [role r]: no policy named 'q'"));
}

static void test_line_limits(void **state)
{
	struct jit_config_errors errs;
	char *text = malloc(6000);
	const char nul_text[] = "[jitd]\nhost = h\0x\n";

	(void)state;
	memset(text, 'a', 5999);
	text[5999] = '\0';
	memcpy(text, "[jitd]\nhost = h\n# ", 18);
	assert_null(parse(text, &errs));
	assert_non_null(strstr(errs.msg[0], "test.conf:3: line longer than 4096"));
	free(text);
	assert_null(jit_config_parse("test.conf", nul_text, sizeof(nul_text) - 1, &errs));
	/* In line order: the host the NUL line did not set, then the NUL. */
	assert_int_equal(errs.n, 2);
	assert_non_null(strstr(errs.msg[0], "test.conf:1: [jitd]: host is required"));
	assert_non_null(strstr(errs.msg[1], "test.conf:2: NUL byte"));
}

static void test_error_list_is_bounded(void **state)
{
	struct jit_config_errors errs;
	size_t size = 100 * 16 + 32;
	char *text = malloc(size);
	size_t len = (size_t)snprintf(text, size, "[jitd]\nhost = h\n");

	(void)state;
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(text + len, size - len, "bad%03d = 1\n", i);
	assert_null(jit_config_parse("test.conf", text, len, &errs));
	assert_int_equal(errs.n, JIT_CONFIG_ERRORS_MAX);
	assert_int_equal(errs.dropped, 100 - JIT_CONFIG_ERRORS_MAX);
	free(text);
}

/* A policy that names no sources is refused: "any source" is written out. */
static void test_sources_explicit(void **state)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = parse("[jitd]\nhost = h\n[policy p]\nports = 22/tcp\n", &errs);

	(void)state;
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "test.conf:3: [policy p]: sources is required"));
	assert_non_null(strstr(errs.msg[0], "'sources = any'"));
	cfg = parse("[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\n", &errs);
	assert_non_null(cfg);
	assert_true(cfg->policies[0].any_source);
	jit_config_free(cfg);
	cfg = parse("[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any, 192.0.2.0/24\n", &errs);
	assert_null(cfg);
	assert_non_null(strstr(errs.msg[0], "is neither 'any' nor a list"));
}

/* Policies guarding more distinct ports than the firewall holds: an error. */
static void test_guarded_ports_limit(void **state)
{
	char *text = malloc(64 * 1024);
	size_t len = 0;
	struct jit_config_errors errs;
	struct jit_config *cfg;

	(void)state;
	assert_non_null(text);
	len += (size_t)sprintf(text + len, "[jitd]\nhost = h\n");
	for (int pol = 0; pol < 9; pol++) {
		len += (size_t)sprintf(text + len, "[policy p%d]\nsources = any\nports = ", pol);
		for (int i = 0; i < 29; i++)	/* 9 x 29 = 261 distinct ports */
			len += (size_t)sprintf(text + len, "%s%d/tcp", i ? ", " : "", 1000 + pol * 29 + i);
		len += (size_t)sprintf(text + len, "\n");
	}
	cfg = jit_config_parse("test.conf", text, len, &errs);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "[policy p8]: the policies guard more than 256"));
	/* The same ports twice count once: 256 distinct are fine. */
	len = (size_t)sprintf(text, "[jitd]\nhost = h\n");
	for (int pol = 0; pol < 16; pol++) {
		len += (size_t)sprintf(text + len, "[policy p%d]\nsources = any\nports = ", pol);
		for (int i = 0; i < 16; i++)
			len += (size_t)sprintf(text + len, "%s%d/tcp", i ? ", " : "", 1000 + pol * 16 + i);
		len += (size_t)sprintf(text + len, "\n[policy q%d]\nsources = any\nports = 1000/tcp\n", pol);
	}
	cfg = jit_config_parse("test.conf", text, len, &errs);
	assert_non_null(cfg);
	assert_int_equal(cfg->n_guarded, 256);	/* each port once, as the firewall takes them */
	jit_config_free(cfg);
	free(text);
}

/* iptables' ipset times at most 2147483 s: a longer maximum is an error
 * there, and fine with nftables. */
static void test_duration_cap(void **state)
{
	static const char ipt[] = "[jitd]\nhost = h\nfirewall = iptables\n[policy p]\nports = 22/tcp\n"
				  "sources = any\nmax_duration = 25d\n[role r]\nusers = a\n"
				  "policies = p\nmax_duration = 30d\n";
	static const char nft[] = "[jitd]\nhost = h\nfirewall = nftables\n[policy p]\nports = 22/tcp\n"
				  "sources = any\nmax_duration = 366d\n";
	struct jit_config_errors errs;
	struct jit_config *cfg = parse(ipt, &errs);

	(void)state;
	assert_null(cfg);
	assert_int_equal(errs.n, 2);
	assert_non_null(strstr(errs.msg[0], "test.conf:4: [policy p]: max_duration is longer than the"
				" iptables firewall can hold"));
	assert_non_null(strstr(errs.msg[1], "test.conf:8: [role r]: max_duration"));
	cfg = parse(nft, &errs);
	assert_non_null(cfg);
	assert_int_equal(cfg->duration_cap, JIT_DURATION_MAX);
	jit_config_free(cfg);
}

/* remote_users is its own namespace; a name in it and in some role's users
 * is accepted with a warning. */
static void test_remote_users(void **state)
{
	static const char text[] = "[jitd]\nhost = h\n[policy p]\nports = 22/tcp\nsources = any\n"
				   "[role local]\nusers = alice\npolicies = p\n"
				   "[role far]\nremote_users = alice, bob\npolicies = p\n";
	struct jit_config_errors errs;
	struct jit_config *cfg = parse(text, &errs);

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->roles[1].remote_users.n, 2);
	assert_int_equal(cfg->roles[1].users.n, 0);
	assert_int_equal(errs.n_warnings, 1);
	assert_non_null(strstr(errs.warning[0], "test.conf:9: warning: [role far]: 'alice' is a"
				" remote identity here and a local user in [role local]"));
	jit_config_free(cfg);
}

/* A policy covers the hosts it names, groups expanded, each once; without
 * hosts = it covers this host alone; this host guards only the ports of the
 * policies that cover it. */
static void test_policy_hosts(void **state)
{
	static const char text[] = "[jitd]\nhost = ctl\n"
				   "[hostgroup web]\nhosts = web01, web02\n"
				   "[policy ssh]\nports = 22/tcp\nsources = any\n"
				   "hosts = web02, @web, db01\n"
				   "[policy rdp]\nports = 3389/tcp\nsources = any\n"
				   "[role ops]\nusers = alice\npolicies = ssh, rdp\n";
	struct jit_config_errors errs;
	struct jit_config *cfg = parse(text, &errs);
	const struct jit_policy *ssh, *rdp;

	(void)state;
	assert_non_null(cfg);
	ssh = jit_config_policy(cfg, "ssh");
	rdp = jit_config_policy(cfg, "rdp");
	assert_int_equal(ssh->hosts.n, 3);
	assert_string_equal(ssh->hosts.items[0], "web02");
	assert_string_equal(ssh->hosts.items[1], "web01");
	assert_string_equal(ssh->hosts.items[2], "db01");
	assert_true(jit_policy_covers(ssh, "web01"));
	assert_false(jit_policy_covers(ssh, "ctl"));
	assert_int_equal(rdp->hosts.n, 1);
	assert_true(jit_policy_covers(rdp, "ctl"));
	assert_non_null(jit_config_hostgroup(cfg, "web"));
	assert_null(jit_config_hostgroup(cfg, "db"));
	/* ctl guards 3389 (rdp covers it), not 22 (ssh is for other hosts). */
	assert_int_equal(cfg->n_guarded, 1);
	assert_int_equal(cfg->guarded[0].port, 3389);
	jit_config_free(cfg);
	/* ... and, with no [sshd], says the other hosts cannot follow it. */
	assert_int_equal(errs.n_warnings, 1);
	assert_non_null(strstr(errs.warning[0], "test.conf:8: warning: [policy ssh]: host web02 has"
				" no way to follow this controller"));
	cfg = parse("[jitd]\nhost = ctl\n[policy ssh]\nports = 22/tcp\nsources = any\n"
		    "hosts = web02\n[sshd]\nuser = jit-sshd\n", &errs);
	assert_non_null(cfg);
	assert_int_equal(errs.n_warnings, 0);
	jit_config_free(cfg);
}

/* A host id as long as [jitd] host may be is a list item too. */
static void test_long_host_id(void **state)
{
	char long_host[JIT_HOST_MAX], conf[1024];
	struct jit_config_errors errs;
	struct jit_config *cfg;

	(void)state;
	memset(long_host, 'h', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = '\0';
	(void)snprintf(conf, sizeof(conf), "[jitd]\nhost = ctl\n[hostgroup g]\nhosts = a, %s\n",
		       long_host);
	cfg = parse(conf, &errs);
	assert_non_null(cfg);
	assert_int_equal(jit_config_hostgroup(cfg, "g")->hosts.n, 2);
	assert_string_equal(jit_config_hostgroup(cfg, "g")->hosts.items[1], long_host);
	jit_config_free(cfg);
}

/* An enforcer: the broker's public key, its controllers' addresses (on
 * one line and a line each) tried in order (port 22 unless given), and the
 * guard ports it closes from the start, which are all it guards until the
 * controller says more. */
static void test_enforcer(void **state)
{
	static const char text[] = "[jitd]\nhost = web02\npubkey = /etc/jit/broker.pub\n"
				   "[controller]\naddress = jit@192.0.2.1:2222, jit@[2001:db8::1]:2222\n"
				   "address = jit@ctl.example\nidentity = /etc/jit/host_key\n"
				   "known_hosts = /etc/jit/controller_known_hosts\n"
				   "guard = 22/tcp, 3389/tcp\n";
	struct jit_config_errors errs;
	struct jit_config *cfg = parse(text, &errs);

	(void)state;
	assert_non_null(cfg);
	assert_true(cfg->enforcer);
	assert_string_equal(cfg->pubkey, "/etc/jit/broker.pub");
	assert_int_equal(cfg->controller.n_address, 3);
	assert_string_equal(cfg->controller.address[0].user, "jit");
	assert_string_equal(cfg->controller.address[0].host, "192.0.2.1");
	assert_int_equal(cfg->controller.address[0].port, 2222);
	assert_string_equal(cfg->controller.address[1].host, "2001:db8::1");
	assert_string_equal(cfg->controller.address[2].host, "ctl.example");
	assert_int_equal(cfg->controller.address[2].port, 22);
	assert_string_equal(cfg->controller.identity, "/etc/jit/host_key");
	assert_int_equal(cfg->n_guarded, 2);
	assert_int_equal(cfg->guarded[1].port, 3389);
	jit_config_free(cfg);
	cfg = parse("[jitd]\nhost = ctl\n", &errs);
	assert_non_null(cfg);
	assert_false(cfg->enforcer);
	jit_config_free(cfg);
}

static void test_max_startups_openssh_form(void **state)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = parse("[jitd]\nhost = h\n[sshd]\nuser = a\nmax_startups = 10:30:100\n"
				       "per_source_max_startups = 3\n", &errs);

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->sshd.startups_begin, 10);
	assert_int_equal(cfg->sshd.startups_rate, 30);
	assert_int_equal(cfg->sshd.max_startups, 100);
	assert_int_equal(cfg->sshd.per_source_max_startups, 3);
	jit_config_free(cfg);
}

static void test_load_file_errors(void **state)
{
	struct jit_config_errors errs;

	(void)state;
	assert_null(jit_config_load("/nonexistent/jitd.conf", &errs));
	assert_non_null(strstr(errs.msg[0], "/nonexistent/jitd.conf: No such file"));
	assert_null(jit_config_load("/tmp", &errs));
	assert_non_null(strstr(errs.msg[0], "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_error_paths),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_errors_in_line_order),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_error_list_is_bounded),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_sources_explicit),
		cmocka_unit_test(test_guarded_ports_limit),
		cmocka_unit_test(test_duration_cap),
		cmocka_unit_test(test_remote_users),
		cmocka_unit_test(test_max_startups_openssh_form),
		cmocka_unit_test(test_policy_hosts),
		cmocka_unit_test(test_enforcer),
		cmocka_unit_test(test_long_host_id),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
