/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "sockclose.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sockets closed at most per call: a window from a wide prefix may have
 * many. */
#define SOCKETS_MAX 65536

/* Every state of a connection with a peer (not LISTEN, not TIME_WAIT). */
#define CONNECTED_STATES                                                                  \
	((1U << TCP_ESTABLISHED) | (1U << TCP_SYN_RECV) | (1U << TCP_FIN_WAIT1) |         \
	 (1U << TCP_FIN_WAIT2) | (1U << TCP_CLOSE_WAIT) | (1U << TCP_LAST_ACK) |          \
	 (1U << TCP_CLOSING))

struct diag_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
};

struct found_socket {
	uint8_t family;
	struct inet_diag_sockid id;
};

struct socket_list {
	struct found_socket *items;
	size_t n, cap;
	bool full;
};

static int send_request(int fd, uint16_t type, uint16_t flags, uint8_t family,
			const struct inet_diag_sockid *id)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct diag_request req;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = type;
	req.nlh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = CONNECTED_STATES;
	if (id != NULL)
		req.r.id = *id;
	return sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) ==
		       (ssize_t)sizeof(req) ? 0 : -1;
}

/* The socket's peer and local port, as a conntrack flow would say them:
 * an IPv4 peer of an IPv6 socket (::ffff:192.0.2.10) as IPv4. */
static bool socket_cut(const struct jit_cut *c, const struct inet_diag_msg *m)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct jit_flow f = { .l4proto = IPPROTO_TCP, .dport = ntohs(m->id.idiag_sport) };
	const uint8_t *peer = (const uint8_t *)m->id.idiag_dst;

	if (m->idiag_family == AF_INET) {
		f.src.family = AF_INET;
		memcpy(f.src.bytes, peer, 4);
	} else if (memcmp(peer, mapped, sizeof(mapped)) == 0) {
		f.src.family = AF_INET;
		memcpy(f.src.bytes, peer + 12, 4);
	} else {
		f.src.family = AF_INET6;
		memcpy(f.src.bytes, peer, 16);
	}
	return jit_cut_takes(c, &f);
}

static int keep_socket(struct socket_list *l, const struct inet_diag_msg *m)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct found_socket *grown;

		if (cap > SOCKETS_MAX) {
			l->full = true;
			return 0;
		}
		grown = realloc(l->items, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n].family = m->idiag_family;
	l->items[l->n].id = m->id;
	l->n++;
	return 0;
}

/* One batch of a dump's answer: 1 when the dump is done, 0 for more, -1. */
static int read_dump_batch(int fd, const struct jit_cut *c, struct socket_list *l,
			   jit_error *err)
{
	static _Alignas(struct nlmsghdr) char buf[32768];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	size_t left;

	if (n < 0)
		return jit_error_set(err, "reading the sockets: %s", strerror(errno));
	left = (size_t)n;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
	     h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e_msg = NLMSG_DATA(h);

			return jit_error_set(err, "reading the sockets: %s", strerror(-e_msg->error));
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			continue;
		if (socket_cut(c, NLMSG_DATA(h)) && keep_socket(l, NLMSG_DATA(h)) != 0)
			return jit_error_set(err, "out of memory");
	}
	return 0;
}

static int list_family(int fd, uint8_t family, const struct jit_cut *c, struct socket_list *l,
		       jit_error *err)
{
	int rc;

	if (send_request(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, family, NULL) != 0)
		return jit_error_set(err, "asking for the sockets: %s", strerror(errno));
	while ((rc = read_dump_batch(fd, c, l, err)) == 0)
		;
	return rc < 0 ? -1 : 0;
}

/* An IPv4 window's peers may also be on IPv6 sockets, as mapped addresses. */
static int list_sockets(int fd, const struct jit_cut *c, struct socket_list *l, jit_error *err)
{
	if (c->window->source.addr.family == AF_INET && list_family(fd, AF_INET, c, l, err) != 0)
		return -1;
	return list_family(fd, AF_INET6, c, l, err);
}

/* The kernel's answer to one SOCK_DESTROY: 0 or its errno. */
static int destroy_answer(int fd)
{
	_Alignas(struct nlmsghdr) char buf[1024];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

	if (n < 0)
		return errno;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR)
		return EPROTO;
	return -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

static long destroy_sockets(int fd, const struct socket_list *l, bool *unsupported,
			    jit_error *err)
{
	long closed = 0;

	for (size_t i = 0; i < l->n; i++) {
		int rc = send_request(fd, SOCK_DESTROY, NLM_F_ACK, l->items[i].family,
				      &l->items[i].id);

		rc = rc == 0 ? destroy_answer(fd) : errno;
		if (rc == 0)
			closed++;
		else if (rc == EOPNOTSUPP) {
			*unsupported = true;
			return jit_error_set(err, "this kernel cannot close sockets"
						  " (CONFIG_INET_DIAG_DESTROY)");
		} else if (rc != ENOENT) {	/* gone meanwhile is as good */
			return jit_error_set(err, "closing a socket: %s", strerror(rc));
		}
	}
	return closed;
}

long jit_sockets_close(const struct jit_cut *c, bool *unsupported, jit_error *err)
{
	struct socket_list l = { 0 };
	long closed = -1;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	*unsupported = false;
	if (fd < 0)
		return jit_error_set(err, "sock_diag: %s", strerror(errno));
	if (list_sockets(fd, c, &l, err) == 0)
		closed = destroy_sockets(fd, &l, unsupported, err);
	if (closed >= 0 && l.full)
		closed = jit_error_set(err, "more than %d sockets to close; the rest stay",
				       SOCKETS_MAX);
	close(fd);
	free(l.items);
	return closed;
}
