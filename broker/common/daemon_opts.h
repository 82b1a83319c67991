/* SPDX-License-Identifier: ISC */
/* The options jit-sshd and jit-relay share: -c FILE, -d, -t, -h, -V. */
#ifndef JIT_DAEMON_OPTS_H
#define JIT_DAEMON_OPTS_H

#include <stdbool.h>

#define JIT_DEFAULT_CONFIG "/etc/jit/jitd.conf"

struct jit_daemon_opts {
	const char *config;		/* -c; JIT_DEFAULT_CONFIG */
	bool debug;			/* -d: log to stderr, debug lines too */
	bool test;			/* -t: check and exit */
};

/* Parses argv for the program `name`. Returns -1 to go on, else the exit
 * status: 0 after -h (usage on stdout) or -V, 2 after a usage error (said
 * on stderr with the usage). */
int jit_daemon_parse_opts(const char *name, const char *usage, int argc, char **argv,
			  struct jit_daemon_opts *o);

#endif
