/* SPDX-License-Identifier: ISC */
/* Who is on the other end of a Unix socket: SO_PEERCRED's uid, and the
 * user name and groups the user database gives it. */
#ifndef JIT_PEER_H
#define JIT_PEER_H

#include "decide.h"
#include "jit_limits.h"

#include <stddef.h>
#include <sys/types.h>

#define JIT_PEER_GROUPS_MAX 64
/* Room for an SSH key fingerprint as jit-sshd sends it, with the NUL. */
#define JIT_PEER_KEY_MAX 128

struct jit_peer {
	uid_t uid;
	pid_t pid;
	char user[JIT_NAME_MAX];	/* "uid=N" when the uid has no name */
	char groups[JIT_PEER_GROUPS_MAX][JIT_NAME_MAX];
	const char *group_names[JIT_PEER_GROUPS_MAX];
	size_t n_groups;
	/* Set when jit-sshd speaks for a remote user: user is then that identity,
	 * with no groups and no uid of its own. */
	bool remote;
	struct jit_addr remote_address;	/* as jit-sshd's connection saw it */
	char remote_key[JIT_PEER_KEY_MAX];	/* the key's fingerprint, "SHA256:…" */
	char front_door[JIT_NAME_MAX];	/* the local user jit-sshd runs as */
	/* A jit-host= key: the enforcer of this host, which may only follow
	 * its changes; user is then the host id (cut to fit). */
	char remote_host[JIT_HOST_MAX];
};

/* Fills peer from the socket's credentials. -1 when the kernel gives none. */
int jit_peer_from_socket(int fd, struct jit_peer *peer);

/* Fills peer for uid from the user database. */
void jit_peer_from_uid(uid_t uid, struct jit_peer *peer);

/* The caller as jit_decide() takes it; valid while peer lives unmoved. */
struct jit_caller jit_peer_caller(struct jit_peer *peer);

#endif
