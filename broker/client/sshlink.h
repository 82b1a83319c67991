/* SPDX-License-Identifier: ISC */
/* SSH for the broker's clients, with libssh: connecting to jit-sshd as
 * OpenSSH's client does (host key checked against known_hosts, public-key
 * authentication), and pumping a session channel to and from a Unix
 * socket, which jit-sshd does for an enforcer's follow stream on the
 * controller and jit-relay does on the enforcer. */
#ifndef JIT_SSHLINK_H
#define JIT_SSHLINK_H

#include "jit_error.h"

#include <libssh/libssh.h>
#include <signal.h>
#include <stddef.h>

struct jit_ssh_target {
	char user[64];
	char host[256];
	unsigned port;
	const char *identity;		/* NULL: ssh-agent, else ~/.ssh/id_* */
	const char *known_hosts;	/* NULL: ~/.ssh/known_hosts */
	int timeout_s;			/* to connect and for each step; 0: 10 */
};

/* USER@HOST[:PORT] into t (its port stays as it was when none is given). */
int jit_ssh_target_parse(const char *text, struct jit_ssh_target *t);

/* A connected, authenticated session, or NULL with err (a host key that is
 * unknown or changed is refused, naming its fingerprint). */
ssh_session jit_ssh_connect(const struct jit_ssh_target *t, jit_error *err);

/* ssh_disconnect() and ssh_free(), for a session that may be NULL. */
void jit_ssh_close(ssh_session s);

/* A session channel on s running command, or NULL with err. */
ssh_channel jit_ssh_exec(ssh_session s, const char *command, jit_error *err);

/* ssh_channel_close() and ssh_channel_free(), for a channel that may be NULL. */
void jit_ssh_channel_close(ssh_channel ch);

/* Edits each line the channel sends before it is written to the socket:
 * returns the line to write (malloc'd, its newline included), or NULL to
 * end the pump (with the reason in err). */
typedef char *(*jit_pump_line_fn)(const char *line, size_t len, void *ctx, jit_error *err);

struct jit_pump {
	ssh_session session;
	ssh_channel channel;
	int fd;				/* the other end: a Unix socket */
	jit_pump_line_fn edit;		/* NULL: the channel's bytes as they come */
	void *ctx;
	size_t line_max;		/* with edit: the longest line (without newline) */
	volatile sig_atomic_t *stop;	/* NULL, or set (by a signal) to end the pump */
};

/* Copies both ways until either end closes or *stop is set (0), or either
 * fails or edit says no (-1, with err). */
int jit_pump_run(const struct jit_pump *p, jit_error *err);

#endif
