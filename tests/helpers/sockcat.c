/* SPDX-License-Identifier: ISC */
/* sockcat [-n LINES] SOCKET: sends standard input to a Unix stream socket
 * while copying everything received to standard output, and closes the
 * sending half at the end of input. With -n it keeps the connection open
 * instead and stops after LINES lines were received (exit 4 when they do
 * not come within 10 s of the last byte). Sending and receiving at once,
 * it never deadlocks against a server that stops reading while its answers
 * go unread. The tests use it to send jitd bytes jitctl never would. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct pump {
	int fd;
	char pending[65536];
	size_t len, off;
	bool input_done, keep_open;
	long lines_left;		/* with -n */
};

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS)) {
		fprintf(stderr, "sockcat: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void read_input(struct pump *p)
{
	ssize_t n = read(STDIN_FILENO, p->pending, sizeof(p->pending));

	if (n > 0) {
		p->len = (size_t)n;
		p->off = 0;
		return;
	}
	p->input_done = true;
	if (!p->keep_open)
		(void)shutdown(p->fd, SHUT_WR);
}

/* false when the peer is gone (what it sent before is still read). */
static bool send_pending(struct pump *p)
{
	ssize_t n = send(p->fd, p->pending + p->off, p->len - p->off, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	p->off += (size_t)n;
	if (p->off == p->len)
		p->len = p->off = 0;
	return true;
}

/* false at the end of the conversation. */
static bool receive(struct pump *p)
{
	char buf[65536];
	ssize_t n = recv(p->fd, buf, sizeof(buf), 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	/* Flushed at once: a test may read what came while this still runs. */
	if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		p->lines_left -= buf[i] == '\n';
	return !(p->keep_open && p->lines_left <= 0);
}

int main(int argc, char **argv)
{
	struct pump p = { .fd = -1 };
	int rc = 0;

	if (argc == 4 && strcmp(argv[1], "-n") == 0) {
		p.keep_open = true;
		p.lines_left = strtol(argv[2], NULL, 10);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: sockcat [-n LINES] SOCKET\n");
		return 2;
	}
	p.fd = connect_to(argv[1]);
	if (p.fd < 0)
		return 1;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = p.fd, .events = (short)(POLLIN | (p.len ? POLLOUT : 0)) },
			{ .fd = p.input_done || p.len ? -1 : STDIN_FILENO, .events = POLLIN },
		};
		int ready = poll(fds, 2, p.keep_open ? 10000 : -1);

		if (ready == 0) {
			rc = 4;
			break;
		}
		if (fds[1].revents)
			read_input(&p);
		if ((fds[0].revents & POLLOUT) && !send_pending(&p)) {
			p.len = p.off = 0;
			p.input_done = true;
			rc = 3;
		}
		if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !receive(&p))
			break;
	}
	close(p.fd);
	return rc;
}
