/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "peer.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define PW_BUF 16384

static void add_group(struct jit_peer *peer, gid_t gid)
{
	char buf[PW_BUF];
	struct group gr, *res = NULL;

	if (peer->n_groups == JIT_PEER_GROUPS_MAX)
		return;
	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return;
	if (strlen(gr.gr_name) >= JIT_NAME_MAX)
		return;
	memcpy(peer->groups[peer->n_groups], gr.gr_name, strlen(gr.gr_name) + 1);
	peer->n_groups++;
}

static void add_groups(struct jit_peer *peer, const char *name, gid_t primary)
{
	gid_t gids[JIT_PEER_GROUPS_MAX];
	int n = JIT_PEER_GROUPS_MAX;

	/* A user in more groups than we keep gets the first ones only:
	 * fewer groups can only mean fewer roles. */
	if (getgrouplist(name, primary, gids, &n) < 0)
		n = JIT_PEER_GROUPS_MAX;
	for (int i = 0; i < n; i++)
		add_group(peer, gids[i]);
}

void jit_peer_from_uid(uid_t uid, struct jit_peer *peer)
{
	char buf[PW_BUF];
	struct passwd pw, *res = NULL;

	memset(peer, 0, sizeof(*peer));
	peer->uid = uid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL ||
	    strlen(pw.pw_name) >= JIT_NAME_MAX) {
		/* Not a valid configuration name, so it matches no role. */
		(void)snprintf(peer->user, sizeof(peer->user), "uid=%u", (unsigned)uid);
		return;
	}
	memcpy(peer->user, pw.pw_name, strlen(pw.pw_name) + 1);
	add_groups(peer, pw.pw_name, pw.pw_gid);
}

int jit_peer_from_socket(int fd, struct jit_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return -1;
	jit_peer_from_uid(cred.uid, peer);
	peer->pid = cred.pid;
	return 0;
}

struct jit_caller jit_peer_caller(struct jit_peer *peer)
{
	for (size_t i = 0; i < peer->n_groups; i++)
		peer->group_names[i] = peer->groups[i];
	return (struct jit_caller){ .remote = peer->remote, .uid = peer->uid, .user = peer->user,
				    .groups = peer->group_names, .n_groups = peer->n_groups };
}
