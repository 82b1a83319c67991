/* SPDX-License-Identifier: ISC */
/* The one way jitd starts a child (iptables, ipset, notify_command): by
 * absolute path, with default signal handling and nothing blocked, every
 * descriptor but the three standard ones closed, and no ambient capability
 * unless the child is a firewall tool that needs jitd's CAP_NET_ADMIN. */
#ifndef JIT_SPAWN_H
#define JIT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct jit_spawn {
	const char *path;		/* absolute */
	char *const *argv;
	int stdin_fd, stdout_fd, stderr_fd;	/* -1: /dev/null */
	bool keep_capabilities;		/* the firewall tools; never notify_command */
	bool new_session;		/* setsid(): killed as a group */
};

/* Starts the child. Returns its pid, or -1 with errno (an exec failure
 * included: the child reports it before it exits). */
pid_t jit_spawn(const struct jit_spawn *sp);

/* The absolute path of an executable `name` in $PATH (or the system's
 * directories when PATH is unset) into buf; -1 when there is none. */
int jit_spawn_find(const char *name, char *buf, size_t size);

#endif
