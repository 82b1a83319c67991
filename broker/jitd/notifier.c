/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "notifier.h"
#include "log.h"
#include "spawn.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* stdin from the pipe, stdout and stderr to /dev/null, in a session of its
 * own, and none of jitd's capabilities. */
static int spawn_with_stdin(const char *command, int stdin_fd, pid_t *pid)
{
	char *argv[] = { (char *)command, NULL };
	struct jit_spawn sp = { .path = command, .argv = argv, .stdin_fd = stdin_fd,
				.stdout_fd = -1, .stderr_fd = -1, .new_session = true };

	*pid = jit_spawn(&sp);
	return *pid < 0 ? errno : 0;
}

int jit_notifier_run(struct jit_notifier *n, const char *command, const char *event,
		     int64_t timeout_ms, struct jit_counter *counter)
{
	size_t len = strlen(event);
	int pipefd[2], rc;
	pid_t pid;

	if (n->n == JIT_NOTIFY_RUNNING || len >= JIT_NOTIFY_EVENT_MAX) {
		log_error("notify_command: %s; event dropped",
			  n->n == JIT_NOTIFY_RUNNING ? "too many still running" : "event too long");
		jit_metrics_count(counter, "dropped", NULL);
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		log_error("notify_command: pipe: %s", strerror(errno));
		jit_metrics_count(counter, "failed", NULL);
		return -1;
	}
	rc = spawn_with_stdin(command, pipefd[0], &pid);
	(void)close(pipefd[0]);
	if (rc != 0) {
		(void)close(pipefd[1]);
		log_error("notify_command %s: %s", command, strerror(rc));
		jit_metrics_count(counter, "failed", NULL);
		return -1;
	}
	/* Fits the pipe's buffer: written at once whether the child reads or not. */
	if (write(pipefd[1], event, len) != (ssize_t)len || write(pipefd[1], "\n", 1) != 1)
		log_error("notify_command %s: could not hand over the event", command);
	(void)close(pipefd[1]);
	n->runs[n->n++] = (struct jit_notify_run){ pid, jit_monotonic_ms() + timeout_ms, 0 };
	return 0;
}

/* Counts a finished run by how it ended. */
static void count_end(const struct jit_notify_run *r, int status, struct jit_counter *counter)
{
	if (r->killed) {
		log_error("notify_command (pid %d) ran past notify_timeout and was killed",
			  (int)r->pid);
		jit_metrics_count(counter, "timeout", NULL);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		jit_metrics_count(counter, "sent", NULL);
	} else {
		log_error("notify_command (pid %d) failed: %s %d", (int)r->pid,
			  WIFEXITED(status) ? "exit status" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		jit_metrics_count(counter, "failed", NULL);
	}
}

void jit_notifier_tick(struct jit_notifier *n, struct jit_counter *counter)
{
	int64_t now = jit_monotonic_ms();
	size_t i = 0;

	while (i < n->n) {
		struct jit_notify_run *r = &n->runs[i];
		int status = 0;
		pid_t done = waitpid(r->pid, &status, WNOHANG);

		if (done == r->pid || (done < 0 && errno == ECHILD)) {
			count_end(r, status, counter);
			n->runs[i] = n->runs[--n->n];
			continue;
		}
		if (!r->killed && now >= r->deadline_ms) {
			/* Its own session (setsid): the whole group goes. */
			(void)kill(-r->pid, SIGKILL);
			(void)kill(r->pid, SIGKILL);
			r->killed = 1;
		}
		i++;
	}
}

void jit_notifier_stop(struct jit_notifier *n, struct jit_counter *counter)
{
	for (size_t i = 0; i < n->n; i++) {
		(void)kill(-n->runs[i].pid, SIGKILL);
		(void)kill(n->runs[i].pid, SIGKILL);
		n->runs[i].killed = 1;
	}
	while (n->n > 0) {
		int status = 0;

		if (waitpid(n->runs[n->n - 1].pid, &status, 0) < 0 && errno == EINTR)
			continue;
		count_end(&n->runs[n->n - 1], status, counter);
		n->n--;
	}
}
