/* SPDX-License-Identifier: ISC */
/* An enforcer's session on the controller's jit-sshd: its host's key
 * (jit-host="NAME") may run `follow` and nothing else. The channel then
 * carries newline-delimited JSON both ways between the enforcer and jitd:
 * each line the enforcer sends must be one of the fleet's requests (follow,
 * ack, login) and is given the host's identity before it reaches jitd;
 * jitd's answers and pushed changes go back as they are. */
#ifndef JIT_SSHD_FOLLOW_H
#define JIT_SSHD_FOLLOW_H

#include <jansson.h>
#include <libssh/libssh.h>
#include <stddef.h>

/* The enforcer's line edited for jitd: a JSON object whose "op" is a fleet
 * request, with "remote" set to remote (any "remote" it had replaced).
 * Returns the line (malloc'd, its newline included), or NULL with why. */
char *jit_sshd_follow_line(const char *line, size_t len, json_t *remote, const char **why);

/* Runs the follow session for remote ({"host","address","key"}) against
 * jitd at socket until either end closes. Returns 0, or -1 having logged
 * why. */
int jit_sshd_follow(ssh_session session, ssh_channel channel, const char *socket,
		    json_t *remote);

#endif
