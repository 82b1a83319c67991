/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sshd_command.h"
#include "sshd_follow.h"

#include <stdlib.h>
#include <string.h>

struct split_case {
	const char *line;
	int n;
	const char *words[6];
};

static void test_split_as_a_shell_would(void **state)
{
	static const struct split_case cases[] = {
		{ "request --port 22/tcp", 3, { "request", "--port", "22/tcp" } },
		{ "  list\t --json  ", 2, { "list", "--json" } },
		{ "", 0, { NULL } },
		{ "   ", 0, { NULL } },
		{ "a 'b c' d", 3, { "a", "b c", "d" } },
		{ "a \"b \\\"c\\\" \\\\ d\"", 2, { "a", "b \"c\" \\ d" } },
		{ "a 'x\\y'", 2, { "a", "x\\y" } },
		{ "a \"x\\y\"", 2, { "a", "x\\y" } },
		{ "a\\ b c", 2, { "a b", "c" } },
		{ "pre'fix'\"ed\"", 1, { "prefixed" } },
		{ "a '' b", 3, { "a", "", "b" } },
		{ "ends\\", 1, { "ends\\" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128];
		char *words[8];
		const char *why = NULL;
		int n = jit_sshd_split(cases[i].line, buf, words, 8, &why);

		if (n != cases[i].n) {
			print_error("case %zu ('%s'): %d words, wanted %d (%s)\n", i, cases[i].line, n,
				    cases[i].n, why ? why : "");
			fail();
		}
		for (int w = 0; w < n; w++)
			assert_string_equal(words[w], cases[i].words[w]);
	}
}

static void test_split_refusals(void **state)
{
	char buf[128];
	char *words[4];
	const char *why = NULL;

	(void)state;
	assert_int_equal(jit_sshd_split("a 'b", buf, words, 4, &why), -1);
	assert_string_equal(why, "a quote is not closed");
	assert_int_equal(jit_sshd_split("a \"b\\\"", buf, words, 4, &why), -1);
	assert_string_equal(why, "a quote is not closed");
	assert_int_equal(jit_sshd_split("a\nb", buf, words, 4, &why), -1);
	assert_string_equal(why, "control characters are not allowed");
	assert_int_equal(jit_sshd_split("a b c d e", buf, words, 4, &why), -1);
	assert_string_equal(why, "too many words");
	assert_int_equal(jit_sshd_split("a b c d", buf, words, 4, &why), 4);
}

static void assert_run(const char *line, int status, const char *err)
{
	struct jit_sshd_output out;
	json_t *remote = json_pack("{s:s, s:s, s:s}", "user", "alice", "address", "192.0.2.1",
				   "key", "SHA256:x");
	int got = jit_sshd_run(line, "/nonexistent/jitd.sock", remote, &out);

	if (got != status || out.err == NULL || strstr(out.err, err) == NULL) {
		print_error("'%s': exit %d, wanted %d; stderr '%s', wanted '%s'\n", line, got, status,
			    out.err ? out.err : "(none)", err);
		fail();
	}
	assert_non_null(out.out);
	assert_int_equal(out.out_len, 0);
	jit_sshd_output_free(&out);
	json_decref(remote);
}

static void test_run_only_the_remote_commands(void **state)
{
	(void)state;
	assert_run("", 2, "Usage: ssh [-p PORT] jit@BROKER COMMAND");
	assert_run("help", 2, "Usage: ssh [-p PORT] jit@BROKER COMMAND");
	assert_run("audit", 2, "unknown command 'audit'");
	assert_run("keygen --out /tmp", 2, "unknown command 'keygen'");
	assert_run("list --socket /run/other.sock", 2, "--socket is not for remote users");
	assert_run("list --socket=/run/other.sock", 2, "--socket is not for remote users");
	assert_run("request --port 22/tcp --justification 'x", 2, "a quote is not closed");
	assert_run("request", 2, "--port is required");
	/* A well-formed command goes to the socket, which is not there. */
	assert_run("status", 3, "cannot connect to jitd at /nonexistent/jitd.sock");
}

/* Only request --wait may run as long as a request waits for approvals. */
static void test_waiting_commands(void **state)
{
	(void)state;
	assert_true(jit_sshd_command_waits("request --port 22/tcp --wait"));
	assert_true(jit_sshd_command_waits("request --resume 12 --wait=10m"));
	assert_true(jit_sshd_command_waits("request '--wait'"));
	assert_false(jit_sshd_command_waits("request --port 22/tcp"));
	assert_false(jit_sshd_command_waits("list --wait"));
	assert_false(jit_sshd_command_waits("request --justification --waiting"));
	assert_false(jit_sshd_command_waits("request -- --wait"));
	assert_false(jit_sshd_command_waits("request 'unclosed --wait"));
	assert_false(jit_sshd_command_waits(""));
}

static void test_overlong_command(void **state)
{
	char line[JIT_SSHD_COMMAND_MAX + 2];

	(void)state;
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_run(line, 2, "longer than");
}

/* An enforcer's lines: the fleet's requests only, each given the host's
 * identity (any identity the line claimed replaced). */
static void test_follow_lines(void **state)
{
	json_t *remote = json_pack("{s:s, s:s, s:s}", "host", "web02", "address", "192.0.2.20",
				   "key", "SHA256:x");
	const char *why = NULL;
	const char *ack = "{\"v\":1,\"op\":\"ack\",\"seq\":3,"
			  "\"remote\":{\"host\":\"web01\",\"address\":\"192.0.2.1\",\"key\":\"k\"}}";
	char *out = jit_sshd_follow_line(ack, strlen(ack), remote, &why);
	json_t *got;

	(void)state;
	assert_non_null(out);
	assert_int_equal(out[strlen(out) - 1], '\n');
	got = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "remote"),
							      "host")), "web02");
	assert_int_equal(json_integer_value(json_object_get(got, "seq")), 3);
	json_decref(got);
	free(out);
	for (size_t i = 0; i < 4; i++) {
		static const char *const refused[] = {
			"{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"]}", "[1]", "{\"v\":1}",
			"{\"op\":\"ack\",\"op\":\"revoke\"}",
		};

		why = NULL;
		assert_null(jit_sshd_follow_line(refused[i], strlen(refused[i]), remote, &why));
		assert_non_null(why);
	}
	assert_non_null(strstr(why, "not a JSON object"));
	json_decref(remote);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_as_a_shell_would),
		cmocka_unit_test(test_split_refusals),
		cmocka_unit_test(test_run_only_the_remote_commands),
		cmocka_unit_test(test_waiting_commands),
		cmocka_unit_test(test_overlong_command),
		cmocka_unit_test(test_follow_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
