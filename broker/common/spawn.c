/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child could not run the program: the shell's "command not found". */
#define EXIT_NOT_RUN 127

extern char **environ;

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int jit_spawn_find(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/') != NULL)
		return name[0] == '/' && snprintf(buf, size, "%s", name) < (int)size ? 0 : -1;
	for (const char *dir = path && path[0] ? path : DEFAULT_PATH; *dir != '\0';) {
		size_t len = strcspn(dir, ":");
		struct stat st;

		if (len > 0 && dir[0] == '/' &&
		    snprintf(buf, size, "%.*s/%s", (int)len, dir, name) < (int)size &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
		dir += len + (dir[len] == ':');
	}
	return -1;
}

/* In the child, before exec: only async-signal-safe calls. */
static void child_setup(const struct jit_spawn *sp, int report_fd)
{
	int fds[3] = { sp->stdin_fd, sp->stdout_fd, sp->stderr_fd };
	/* The kernel's struct sigaction, all zero: SIG_DFL (0), no flags, an
	 * empty mask, whatever the architecture's field order. The raw call,
	 * since glibc's wrapper refuses the two signals it keeps for itself
	 * (32 and 33), which may arrive ignored all the same. */
	static const uint64_t dfl[8];
	sigset_t none;

	/* Every disposition to its default (SIGKILL and SIGSTOP refuse: fine). */
	for (int sig = 1; sig <= 64; sig++)
		(void)syscall(SYS_rt_sigaction, sig, dfl, NULL, sizeof(uint64_t));
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (sp->new_session)
		(void)setsid();
	if (!sp->keep_capabilities &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return;
	for (int i = 0; i < 3; i++) {
		int fd = fds[i] >= 0 ? fds[i] : open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);

		if (fd < 0 || (fd != i && dup2(fd, i) != i))
			return;
	}
	/* Everything else goes, but the pipe that reports a failed exec. */
	if (report_fd > 3)
		(void)syscall(SYS_close_range, 3, (unsigned)report_fd - 1, 0);
	(void)syscall(SYS_close_range, (unsigned)report_fd + 1, ~0U, 0);
	execve(sp->path, sp->argv, environ);
}

pid_t jit_spawn(const struct jit_spawn *sp)
{
	int report[2], child_errno = 0;
	ssize_t n;
	pid_t pid;

	if (sp->path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	if (pipe2(report, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		child_setup(sp, report[1]);
		child_errno = errno;
		(void)!write(report[1], &child_errno, sizeof(child_errno));
		_exit(EXIT_NOT_RUN);
	}
	(void)close(report[1]);
	if (pid < 0) {
		(void)close(report[0]);
		return -1;
	}
	/* EOF: the exec closed the pipe. Anything else: it failed. */
	while ((n = read(report[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	(void)close(report[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = child_errno;
		return -1;
	}
	return pid;
}
