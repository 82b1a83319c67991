/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child saw: its status lines and its open descriptors. */
static char *child_view(bool keep_capabilities)
{
	static char *const argv[] = {
		"/bin/sh", "-c",
		"grep -E '^(CapAmb|SigBlk|SigIgn):' /proc/self/status | tr '\\n\\t' '  ';"
		" ls /proc/self/fd | tr '\\n' ' '",
		NULL,
	};
	int out[2];
	struct jit_spawn sp = { .path = "/bin/sh", .argv = argv, .stdin_fd = -1, .stderr_fd = -1,
				.keep_capabilities = keep_capabilities };
	static char buf[4096];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	sp.stdout_fd = out[1];
	pid = jit_spawn(&sp);
	assert_true(pid > 0);
	close(out[1]);
	while ((n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(out[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return buf;
}

/* jitd's state when it spawns: signals blocked for its signalfd, SIGPIPE
 * ignored, a descriptor without O_CLOEXEC. */
static int leaky_fd = -1;

static int setup_parent(void **state)
{
	sigset_t set;

	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	leaky_fd = dup2(open("/dev/null", O_RDONLY), 42);
	return leaky_fd == 42 ? 0 : -1;
}

static void test_signals_reset(void **state)
{
	const char *view = child_view(false);

	(void)state;
	if (strstr(view, "SigBlk: 0000000000000000") == NULL ||
	    strstr(view, "SigIgn: 0000000000000000") == NULL)
		fail_msg("the child saw %s", view);
}

static void test_descriptors_closed(void **state)
{
	const char *view = strstr(child_view(false), " 0 1 2 ");

	(void)state;
	/* 0, 1, 2 and ls's own directory descriptor, not the parent's 42. */
	assert_non_null(view);
	assert_null(strstr(view, " 42 "));
}

/* Raises CAP_NET_ADMIN into the ambient set, as jitd.service gives it. */
static bool raise_ambient_net_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	data[0].inheritable |= 1u << CAP_NET_ADMIN;
	return syscall(SYS_capset, &hdr, data) == 0 &&
	       prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) == 0;
}

static void test_ambient_capabilities(void **state)
{
	(void)state;
	if (!raise_ambient_net_admin()) {
		print_message("no CAP_NET_ADMIN to raise (not root): skipped\n");
		skip();
	}
	assert_non_null(strstr(child_view(false), "CapAmb: 0000000000000000"));
	assert_non_null(strstr(child_view(true), "CapAmb: 0000000000001000"));
}

static void test_failures(void **state)
{
	char *const argv[] = { "x", NULL };
	struct jit_spawn rel = { .path = "bin/true", .argv = argv, -1, -1, -1, false, false };
	struct jit_spawn missing = { .path = "/nonexistent/x", .argv = argv, -1, -1, -1, false, false };
	char path[256];

	(void)state;
	assert_int_equal(jit_spawn(&rel), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(jit_spawn(&missing), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(jit_spawn_find("sh", path, sizeof(path)), 0);
	assert_true(path[0] == '/');
	assert_int_equal(jit_spawn_find("no-such-program-here", path, sizeof(path)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_reset),
		cmocka_unit_test(test_descriptors_closed),
		cmocka_unit_test(test_ambient_capabilities),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests_name("spawn", tests, setup_parent, NULL);
}
