/* SPDX-License-Identifier: ISC */
/* What jit-sshd and jit-relay share at start: their options (-c FILE, -d,
 * -t, -h, -V), reading jitd.conf, and the check of their SSH key's file. */
#ifndef JIT_DAEMON_H
#define JIT_DAEMON_H

#include "jitd_config.h"

#include <stdbool.h>
#include <sys/types.h>

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

/* The configuration at path, its errors and warnings said on stderr; NULL
 * when it is not valid. */
struct jit_config *jit_daemon_load_config(const char *path);

/* An SSH private key's file (what names the option, as "host_key"): a
 * regular file of mode 0600 or 0400 owned by root, this process's uid or
 * owner (-1 for none), who is named in the message as owner_text. 0, or -1
 * having said why on stderr. */
int jit_daemon_check_key_file(const char *what, const char *path, uid_t owner,
			      const char *owner_text);

#endif
