/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "decide.h"
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

static const char policy_conf[] =
	"[jitd]\n"
	"host = web01\n"
	"default_duration = 1h\n"
	"[policy ssh]\n"
	"ports = 22/tcp\n"
	"sources = 192.0.2.0/24, 2001:db8::/32\n"
	"max_duration = 3h\n"
	"justification = required\n"
	"[policy ssh-lab]\n"
	"ports = 22/tcp\n"
	"sources = 198.51.100.0/24\n"
	"max_duration = 30m\n"
	"[policy rdp]\n"
	"ports = 3389/tcp\n"
	"sources = any\n"
	"max_duration = 2h\n"
	"[policy winrm]\n"
	"ports = 5985/tcp, 5986/tcp\n"
	"sources = any\n"
	"[role ops]\n"
	"users = alice\n"
	"groups = wheel\n"
	"policies = ssh, ssh-lab, rdp\n"
	"max_duration = 1h\n"
	"[role lead]\n"
	"users = carol\n"
	"policies = ssh, rdp, winrm\n"
	"grant_others = yes\n"
	"[role far]\n"
	"remote_users = erin\n"
	"policies = rdp\n";

struct decide_case {
	const char *name;
	unsigned uid;
	enum jit_denial want;
	const char *user;
	const char *group;		/* one supplementary group, or NULL */
	const char *for_user;
	const char *ports;
	const char *duration;		/* NULL: default */
	const char *source;		/* NULL: none given */
	const char *justification;
	const char *want_role;		/* when granted; NULL for uid 0 */
	int64_t want_duration;		/* when granted */
	const char *want_policy;	/* of the first port, when granted */
	const char *want_reason;	/* part of the reason, when denied */
	bool remote;			/* a jit-sshd identity */
};

#define J "change 4711"

static const struct decide_case cases[] = {
	{ "granted with everything in bounds", 1000, JIT_GRANTED, "alice", NULL, NULL, "22/tcp", "30m", "192.0.2.10", J,
	  "ops", 1800, "ssh", NULL, false },
	{ "default duration within the role's maximum", 1000, JIT_GRANTED, "alice", NULL, NULL, "22/tcp", NULL, "192.0.2.10", J,
	  "ops", 3600, "ssh", NULL, false },
	{ "a second policy for the same port grants", 1000, JIT_GRANTED, "alice", NULL, NULL, "22/tcp", NULL, "198.51.100.7", NULL,
	  "ops", 1800, "ssh-lab", NULL, false },
	{ "source outside every prefix", 1000, JIT_DENY_SOURCE, "alice", NULL, NULL, "22/tcp", "30m", "203.0.113.5", J,
	  NULL, 0, NULL, "outside the prefixes of policy ssh", false },
	{ "duration over the role's maximum", 1000, JIT_DENY_DURATION_ROLE, "alice", NULL, NULL, "22/tcp", "2h", "192.0.2.10", J,
	  NULL, 0, NULL, "exceeds role ops's maximum of 1h", false },
	{ "duration at the role's maximum", 1000, JIT_GRANTED, "alice", NULL, NULL, "22/tcp", "1h", "192.0.2.10", J,
	  "ops", 3600, "ssh", NULL, false },
	{ "duration one second over the role's maximum", 1000, JIT_DENY_DURATION_ROLE, "alice", NULL, NULL, "22/tcp", "3601s", "192.0.2.10", J,
	  NULL, 0, NULL, "3601s exceeds role ops", false },
	{ "duration over the policy's maximum", 1000, JIT_DENY_DURATION_POLICY, "carol", NULL, NULL, "22/tcp", "4h", "192.0.2.10", J,
	  NULL, 0, NULL, "exceeds policy ssh's maximum of 3h", false },
	{ "justification missing where required", 1000, JIT_DENY_JUSTIFICATION, "alice", NULL, NULL, "22/tcp", "30m", "192.0.2.10", NULL,
	  NULL, 0, NULL, "policy ssh requires a justification", false },
	{ "empty justification is none", 1000, JIT_DENY_JUSTIFICATION, "alice", NULL, NULL, "22/tcp", "30m", "192.0.2.10", "",
	  NULL, 0, NULL, "requires a justification", false },
	{ "port no policy of the role covers", 1000, JIT_DENY_PORT, "alice", NULL, NULL, "5985/tcp", NULL, "192.0.2.10", J,
	  NULL, 0, NULL, "no policy of role ops covers 5985/tcp", false },
	{ "protocol is part of the port", 1000, JIT_DENY_PORT, "alice", NULL, NULL, "22/udp", NULL, "192.0.2.10", J,
	  NULL, 0, NULL, "covers 22/udp", false },
	{ "every port must be granted", 1000, JIT_DENY_PORT, "alice", NULL, NULL, "22/tcp,5986/tcp", NULL, "192.0.2.10", J,
	  NULL, 0, NULL, "5986/tcp", false },
	{ "several ports, each by its policy", 1000, JIT_GRANTED, "alice", NULL, NULL, "22/tcp,3389/tcp", NULL, "192.0.2.10", J,
	  "ops", 3600, "ssh", NULL, false },
	{ "user in no role", 1001, JIT_DENY_NO_ROLE, "dave", NULL, NULL, "22/tcp", NULL, "192.0.2.10", J,
	  NULL, 0, NULL, "dave is in no role", false },
	{ "role through a group", 1002, JIT_GRANTED, "eve", "wheel", NULL, "22/tcp", "10m", "192.0.2.10", J,
	  "ops", 600, "ssh", NULL, false },
	{ "for another user without grant_others", 1000, JIT_DENY_FOR_OTHERS, "alice", NULL, "bob", "22/tcp", NULL, "192.0.2.10", J,
	  NULL, 0, NULL, "role ops may not request for other users", false },
	{ "for oneself by name is not for another", 1000, JIT_GRANTED, "alice", NULL, "alice", "22/tcp", NULL, "192.0.2.10", J,
	  "ops", 3600, "ssh", NULL, false },
	{ "for another user with grant_others", 1003, JIT_GRANTED, "carol", NULL, "bob", "5985/tcp", NULL, "203.0.113.9", NULL,
	  "lead", 3600, "winrm", NULL, false },
	{ "uid 0 may ask anything a policy guards", 0, JIT_GRANTED, "root", NULL, "bob", "5986/tcp,22/tcp", "10d", "203.0.113.9", NULL,
	  NULL, 864000, "winrm", NULL, false },
	{ "uid 0 gets the default within the policy", 0, JIT_GRANTED, "root", NULL, NULL, "22/tcp", NULL, "198.51.100.1", NULL,
	  NULL, 3600, "ssh", NULL, false },
	{ "uid 0 still needs a guarded port", 0, JIT_DENY_PORT, "root", NULL, NULL, "8080/tcp", NULL, "192.0.2.10", NULL,
	  NULL, 0, NULL, "no policy covers 8080/tcp", false },
	{ "no source given", 1000, JIT_DENY_NO_SOURCE, "alice", NULL, NULL, "22/tcp", NULL, NULL, J,
	  NULL, 0, NULL, "no source", false },
	{ "CIDR inside the policy's prefix", 1000, JIT_GRANTED, "alice", NULL, NULL, "22/tcp", NULL, "192.0.2.0/25", J,
	  "ops", 3600, "ssh", NULL, false },
	{ "CIDR wider than the policy's prefix", 1000, JIT_DENY_SOURCE, "alice", NULL, NULL, "22/tcp", NULL, "192.0.0.0/16", J,
	  NULL, 0, NULL, "192.0.0.0/16", false },
	{ "IPv6 prefix inside", 1000, JIT_GRANTED, "alice", NULL, NULL, "22/tcp", NULL, "2001:db8:1::/64", J,
	  "ops", 3600, "ssh", NULL, false },
	{ "policy without sources admits any", 1000, JIT_DENY_DURATION_ROLE, "alice", NULL, NULL, "3389/tcp", "2h", "203.0.113.7", NULL,
	  NULL, 0, NULL, "role ops", false },
	{ "a remote identity does not take a local user's role", 4294967295u, JIT_DENY_NO_ROLE, "alice", NULL, NULL, "22/tcp", NULL, "192.0.2.10", J,
	  NULL, 0, NULL, "alice is in no role", true },
	{ "a remote identity takes the role naming it in remote_users", 4294967295u, JIT_GRANTED, "erin", NULL, NULL, "3389/tcp", "20m", "192.0.2.10", NULL,
	  "far", 1200, "rdp", NULL, true },
	{ "a local user does not take a remote identity's role", 1004, JIT_DENY_NO_ROLE, "erin", NULL, NULL, "3389/tcp", NULL, "192.0.2.10", NULL,
	  NULL, 0, NULL, "erin is in no role", false },
	{ "policy without sources admits any, in bounds", 1000, JIT_GRANTED, "alice", NULL, NULL, "3389/tcp", "45m", "203.0.113.7", NULL,
	  "ops", 2700, "rdp", NULL, false },
};

static void run_case(const struct jit_config *cfg, const struct decide_case *c)
{
	const char *groups[1] = { c->group };
	struct jit_caller caller = { .remote = c->remote, .uid = c->uid, .user = c->user, .groups = groups,
				     .n_groups = c->group ? 1 : 0 };
	struct jit_request req = { .for_user = c->for_user, .justification = c->justification };
	struct jit_decision d;
	enum jit_denial got;

	assert_int_equal(jit_portspec_list_parse(c->ports, req.ports, JIT_REQUEST_PORTS_MAX,
						 &req.n_ports), 0);
	if (c->duration != NULL)
		assert_int_equal(jit_duration_parse(c->duration, &req.duration), 0);
	if (c->source != NULL) {
		assert_int_equal(jit_cidr_parse(c->source, &req.source), 0);
		req.has_source = true;
	}
	got = jit_decide(cfg, &caller, &req, &d);
	print_message("%s: %s %s\n", c->name, jit_denial_name(got), d.reason);
	assert_int_equal(got, c->want);
	assert_int_equal(d.denial, got);
	if (got != JIT_GRANTED) {
		assert_non_null(strstr(d.reason, c->want_reason));
		return;
	}
	if (c->want_role == NULL)
		assert_null(d.role);
	else
		assert_string_equal(d.role->name, c->want_role);
	assert_int_equal(d.duration, c->want_duration);
	assert_string_equal(d.policy[0]->name, c->want_policy);
}

static void test_decisions(void **state)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = jit_config_parse("policy.conf", policy_conf, strlen(policy_conf), &errs);

	(void)state;
	if (cfg == NULL)
		fail_msg("%s", errs.msg[0]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(cfg, &cases[i]);
	jit_config_free(cfg);
}

/* With iptables, even uid 0 cannot ask for a window ipset cannot time. */
static void test_firewall_duration_cap(void **state)
{
	static const char text[] = "[jitd]\nhost = h\nfirewall = iptables\n[policy p]\n"
				   "ports = 22/tcp\nsources = any\n";
	struct jit_config_errors errs;
	struct jit_config *cfg = jit_config_parse("ipt.conf", text, strlen(text), &errs);
	struct jit_caller root = { .uid = 0, .user = "root" };
	struct jit_request req = { .n_ports = 1, .has_source = true };
	struct jit_decision d;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(jit_portspec_parse("22/tcp", &req.ports[0]), 0);
	assert_int_equal(jit_cidr_parse("192.0.2.1", &req.source), 0);
	req.duration = JIT_IPSET_TIMEOUT_MAX + 1;
	assert_int_equal(jit_decide(cfg, &root, &req, &d), JIT_DENY_DURATION_FIREWALL);
	assert_non_null(strstr(d.reason, "exceeds the iptables firewall's longest window"));
	req.duration = JIT_IPSET_TIMEOUT_MAX;
	assert_int_equal(jit_decide(cfg, &root, &req, &d), JIT_GRANTED);
	jit_config_free(cfg);
}

/* A controller's policy covers the hosts it names: a window for one of them
 * is granted, one for a host no policy of the role covers is refused as
 * host_not_allowed, and without hosts = a policy is this host's alone. */
static void test_hosts(void **state)
{
	static const char text[] = "[jitd]\nhost = ctl\n[hostgroup web]\nhosts = web01, web02\n"
				   "[policy ssh-web]\nports = 22/tcp\nsources = any\nhosts = @web\n"
				   "[policy ssh-ctl]\nports = 2222/tcp\nsources = any\n"
				   "[role ops]\nusers = alice\npolicies = ssh-web, ssh-ctl\n";
	struct jit_config_errors errs;
	struct jit_config *cfg = jit_config_parse("fleet.conf", text, strlen(text), &errs);
	struct jit_caller alice = { .uid = 1000, .user = "alice" };
	struct jit_caller root = { .uid = 0, .user = "root" };
	struct jit_request req = { .n_ports = 1, .has_source = true, .host = "web02" };
	struct jit_decision d;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(jit_portspec_parse("22/tcp", &req.ports[0]), 0);
	assert_int_equal(jit_cidr_parse("192.0.2.1", &req.source), 0);
	assert_int_equal(jit_decide(cfg, &alice, &req, &d), JIT_GRANTED);
	assert_string_equal(d.policy[0]->name, "ssh-web");
	req.host = "db01";
	assert_int_equal(jit_decide(cfg, &alice, &req, &d), JIT_DENY_HOST);
	assert_string_equal(d.reason, "no policy of role ops covers 22/tcp on host db01");
	assert_string_equal(jit_denial_name(d.denial), "host_not_allowed");
	assert_int_equal(jit_decide(cfg, &root, &req, &d), JIT_DENY_HOST);
	req.host = NULL;	/* the controller itself: ssh-web is not for it */
	assert_int_equal(jit_decide(cfg, &alice, &req, &d), JIT_DENY_HOST);
	assert_int_equal(jit_portspec_parse("2222/tcp", &req.ports[0]), 0);
	assert_int_equal(jit_decide(cfg, &alice, &req, &d), JIT_GRANTED);
	req.host = "web01";
	assert_int_equal(jit_decide(cfg, &alice, &req, &d), JIT_DENY_HOST);
	jit_config_free(cfg);
}

static void test_denial_names(void **state)
{
	(void)state;
	assert_string_equal(jit_denial_name(JIT_GRANTED), "granted");
	assert_string_equal(jit_denial_name(JIT_DENY_NO_ROLE), "no_role");
	assert_string_equal(jit_denial_name(JIT_DENY_SOURCE), "source_not_allowed");
	assert_string_equal(jit_denial_name(JIT_DENY_JUSTIFICATION), "justification_required");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_denial_names),
		cmocka_unit_test(test_firewall_duration_cap),
		cmocka_unit_test(test_hosts),
	};

	return cmocka_run_group_tests_name("decide", tests, NULL, NULL);
}
