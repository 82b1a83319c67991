/* SPDX-License-Identifier: ISC */
/* The approval rule of a request's policies, and who may review it. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "approval.h"

#include <string.h>

static const char approval_conf[] =
	"[jitd]\n"
	"host = web01\n"
	"[policy ssh]\n"
	"ports = 22/tcp\n"
	"sources = any\n"
	"approvals = 2\n"
	"approvers = role:leads, user:erin, remote:rev\n"
	"request_ttl = 30m\n"
	"self_approve = yes\n"
	"[policy rdp]\n"
	"ports = 3389/tcp\n"
	"sources = any\n"
	"approvals = 1\n"
	"approvers = group:secops, user:erin\n"
	"break_glass = yes\n"
	"self_approve = yes\n"
	"[policy open]\n"
	"ports = 8080/tcp\n"
	"sources = any\n"
	"[role leads]\n"
	"users = carol\n"
	"remote_users = remcarol\n"
	"policies = ssh\n";

static struct jit_config *cfg;

static int setup(void **state)
{
	struct jit_config_errors errs;

	(void)state;
	cfg = jit_config_parse("test", approval_conf, strlen(approval_conf), &errs);
	return cfg == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	jit_config_free(cfg);
	return 0;
}

static struct jit_caller caller(const char *user, const char *group, bool remote)
{
	static const char *groups[1];

	groups[0] = group;
	return (struct jit_caller){ .remote = remote, .uid = 1000, .user = user, .groups = groups,
				    .n_groups = group ? 1 : 0 };
}

static void test_rule_of_one_policy(void **state)
{
	struct jit_approval_rule rule;
	char missing[64];

	(void)state;
	assert_int_equal(jit_approval_rule(cfg, "ssh", &rule, missing, sizeof(missing)), 0);
	assert_int_equal(rule.approvals, 2);
	assert_int_equal(rule.ttl, 1800);
	assert_true(rule.self_approve);
	assert_false(rule.break_glass);
	assert_int_equal(rule.n, 1);
}

static void test_rule_is_the_strictest(void **state)
{
	struct jit_approval_rule rule;
	char missing[64], text[256];

	(void)state;
	assert_int_equal(jit_approval_rule(cfg, "rdp,ssh,open", &rule, missing, sizeof(missing)), 0);
	assert_int_equal(rule.approvals, 2);		/* the most */
	assert_int_equal(rule.ttl, 1800);		/* the shortest: rdp's default 1h, ssh's 30m */
	assert_true(rule.self_approve);			/* both allow it */
	assert_false(rule.break_glass);			/* ssh does not */
	assert_int_equal(rule.n, 2);			/* open needs no approvals */
	jit_approvers_text(&rule, text, sizeof(text));
	assert_string_equal(text, "group:secops, user:erin, role:leads, remote:rev");
}

static void test_rule_without_approvals(void **state)
{
	struct jit_approval_rule rule;
	char missing[64];

	(void)state;
	assert_int_equal(jit_approval_rule(cfg, "open", &rule, missing, sizeof(missing)), 0);
	assert_int_equal(rule.approvals, 0);
	assert_int_equal(rule.n, 0);
}

static void test_rule_names_a_missing_policy(void **state)
{
	struct jit_approval_rule rule;
	char missing[64];

	(void)state;
	assert_int_equal(jit_approval_rule(cfg, "ssh,gone", &rule, missing, sizeof(missing)), -1);
	assert_string_equal(missing, "gone");
}

static void test_reviewers(void **state)
{
	struct jit_approval_rule ssh, both;
	char missing[64];
	struct jit_caller c;

	(void)state;
	assert_int_equal(jit_approval_rule(cfg, "ssh", &ssh, missing, sizeof(missing)), 0);
	assert_int_equal(jit_approval_rule(cfg, "ssh,rdp", &both, missing, sizeof(missing)), 0);
	c = caller("carol", NULL, false);
	assert_true(jit_may_review(&ssh, &c));		/* role:leads */
	assert_false(jit_may_review(&both, &c));	/* not named by rdp */
	c = caller("erin", NULL, false);
	assert_true(jit_may_review(&both, &c));		/* user:erin in both */
	c = caller("erin", NULL, true);
	assert_false(jit_may_review(&ssh, &c));		/* a remote erin is not user:erin */
	c = caller("rev", NULL, true);
	assert_true(jit_may_review(&ssh, &c));		/* remote:rev */
	c = caller("rev", NULL, false);
	assert_false(jit_may_review(&ssh, &c));		/* nor a local rev remote:rev */
	c = caller("remcarol", NULL, true);
	assert_true(jit_may_review(&ssh, &c));		/* the role's remote_users */
	c = caller("dave", "secops", false);
	assert_false(jit_may_review(&ssh, &c));
	assert_int_equal(jit_approval_rule(cfg, "rdp", &ssh, missing, sizeof(missing)), 0);
	assert_true(jit_may_review(&ssh, &c));		/* group:secops */
	c = caller("dave", "secops", true);
	assert_false(jit_may_review(&ssh, &c));		/* groups are local */
}

static void test_no_policies_no_reviewers(void **state)
{
	struct jit_approval_rule rule;
	char missing[64];
	struct jit_caller c = caller("erin", NULL, false);

	(void)state;
	assert_int_equal(jit_approval_rule(cfg, "open", &rule, missing, sizeof(missing)), 0);
	assert_false(jit_may_review(&rule, &c));
}

static void test_own_request(void **state)
{
	struct jit_caller c = caller("alice", NULL, false);

	(void)state;
	assert_true(jit_is_own_request(&c, "alice", false, "alice"));
	assert_true(jit_is_own_request(&c, "carol", false, "alice"));	/* for alice */
	assert_false(jit_is_own_request(&c, "alice", true, "bob"));	/* a remote alice asked */
	c = caller("alice", NULL, true);
	assert_true(jit_is_own_request(&c, "alice", true, "bob"));
	assert_false(jit_is_own_request(&c, "carol", false, "alice"));	/* the local alice's window */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_of_one_policy),
		cmocka_unit_test(test_rule_is_the_strictest),
		cmocka_unit_test(test_rule_without_approvals),
		cmocka_unit_test(test_rule_names_a_missing_policy),
		cmocka_unit_test(test_reviewers),
		cmocka_unit_test(test_no_policies_no_reviewers),
		cmocka_unit_test(test_own_request),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
