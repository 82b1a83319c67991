/* SPDX-License-Identifier: ISC */
/* jitctl: shared pieces of the command-line tool. */
#ifndef JITCTL_H
#define JITCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum jitctl_exit {
	JITCTL_OK = 0,
	JITCTL_FAILED = 1,	/* refused, invalid, or the operation failed */
	JITCTL_USAGE = 2,
	JITCTL_UNREACHABLE = 3,	/* jitd could not be asked */
};

/* Prints "jitctl: MESSAGE" to stderr. */
void jitctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "jitctl CMD: MESSAGE" and a hint to run --help. */
void jitctl_usage_message(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The message above, as an expression worth JITCTL_USAGE. */
/* Whether s is valid UTF-8, as every text sent as JSON must be. */
bool jitctl_valid_utf8(const char *s);

#define jitctl_usage_error(...) (jitctl_usage_message(__VA_ARGS__), JITCTL_USAGE)

#define JITCTL_OPTS_MAX 12

/* One long option of a command: a value (value != NULL) or a flag. */
struct jitctl_opt {
	const char *name;
	const char **value;
	bool *flag;
};

/* Parses a command's options (defs ends with a NULL name; --help is always
 * there). Returns -1 to go on, else an exit status; leaves optind at the
 * first operand. Options given twice are usage errors. */
int jitctl_parse_opts(const char *cmd, const char *usage, int argc, char **argv,
		      const struct jitctl_opt *defs);

int jitctl_keygen(int argc, char **argv);
int jitctl_ticket(int argc, char **argv);
/* request, list, revoke, status, audit; -1 when cmd is none of them. */
int jitctl_broker(const char *cmd, int argc, char **argv);
int jitctl_firewall(int argc, char **argv);

/* For jit-sshd: from now on the broker commands speak to jitd at socket for
 * the remote user described by remote (borrowed: it must outlive them). */
void jitctl_broker_remote(const char *socket, json_t *remote);

/* Asks jitd for a window as `jitctl request` would; the ticket in *ticket. */
int jitctl_request_ticket(const char *port, const char *from, const char *duration,
			  const char *justification, char **ticket);

/* jitctl --remote USER@HOST[:PORT] ... (argv[0] is "--remote") and jitctl ssh. */
int jitctl_remote(int argc, char **argv);
int jitctl_ssh(int argc, char **argv);

/* jitctl as ssh's askpass for jitctl ssh: answers the ticket prompt from
 * $JITCTL_ASKPASS_TICKET, asks any other on the terminal. */
int jitctl_askpass(const char *prompt);

#endif
