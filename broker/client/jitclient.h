/* SPDX-License-Identifier: ISC */
/* The broker's client commands (request, list, revoke, status, audit) and
 * the option parsing every jitctl command shares. jitctl runs them for the
 * local user; jit-sshd runs them for a remote one, with its output and
 * errors going to the SSH channel: everything a command prints goes to the
 * streams of its context, never to stdout or stderr by name. */
#ifndef JIT_CLIENT_H
#define JIT_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* The exit statuses of jitctl and of jit-sshd's commands. */
enum jitctl_exit {
	JITCTL_OK = 0,
	JITCTL_FAILED = 1,	/* refused, invalid, or the operation failed */
	JITCTL_USAGE = 2,
	JITCTL_UNREACHABLE = 3,	/* jitd could not be asked */
	JITCTL_PENDING = 4,	/* a request waits for approvals */
};

/* Where a command's answer and its messages go. */
struct jit_client_io {
	FILE *out, *err;
};

/* A client of jitd. */
struct jit_client {
	const char *socket;	/* NULL: the command's --socket, else $JIT_SOCKET, else
				 * the default; set, --socket is not looked at */
	json_t *remote;		/* NULL, or the remote user every request speaks for
				 * (jit-sshd's; borrowed) */
	struct jit_client_io io;
};

/* Prints "jitctl CMD: MESSAGE" and a hint to run --help on io->err. */
void jit_client_usage(const struct jit_client_io *io, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The message above, as an expression worth JITCTL_USAGE. */
#define jit_client_usage_error(io, ...) (jit_client_usage((io), __VA_ARGS__), JITCTL_USAGE)

/* Whether s is valid UTF-8, as every text sent as JSON must be. */
bool jit_client_valid_utf8(const char *s);

#define JIT_CLIENT_OPTS_MAX 16

/* One long option of a command: a value (value != NULL), a flag, or both:
 * a flag with an optional value (--wait or --wait=10m). */
struct jit_client_opt {
	const char *name;
	const char **value;
	bool *flag;
};

/* Parses a command's options (defs ends with a NULL name; --help is always
 * there and prints usage on io->out). Stops at the first operand or after
 * "--". Returns -1 to go on, else an exit status; leaves optind at the
 * first operand. Options given twice and values that are not UTF-8 are
 * usage errors. */
int jit_client_parse_opts(const struct jit_client_io *io, const char *cmd, const char *usage,
			  int argc, char **argv, const struct jit_client_opt *defs);

/* Runs request, list, revoke, status or audit (argv[0] is the command);
 * -1 when cmd is none of them. */
int jit_client_command(const struct jit_client *cl, const char *cmd, int argc, char **argv);

/* What `jitctl request` asks for, as given on its command line. */
struct jit_client_request {
	const char *port, *from, *duration, *justification, *for_user;
	const char *hosts;	/* "web01,@web"; NULL: jitd's own host */
	const char *start;	/* RFC 3339 or +DURATION; NULL: now */
	bool break_glass;
};

/* Asks jitd for a window as `jitctl request` would; the ticket in *ticket
 * (the caller frees it). A request that needs approvals is waited for
 * (said on the client's err stream) until it is decided or lapses. */
int jit_client_request_ticket(const struct jit_client *cl, const struct jit_client_request *r,
			      char **ticket);

#endif
