/* SPDX-License-Identifier: ISC */
/* hangup: a jitd that dies before answering.
 *
 *   hangup SOCKET
 *       Listens on a Unix stream socket at SOCKET, prints "ready" once it
 *       does, accepts one connection, reads the request line and closes the
 *       connection without a word. Lets a test see what a client does when
 *       jitd stops between reading a request and answering it. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_at(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "hangup: socket path too long: %s\n", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (unlink(path) != 0 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(fd, 1) != 0) {
		fprintf(stderr, "hangup: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Reads until a newline or the end; 0 when a newline came. */
static int read_request(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (memchr(buf, '\n', (size_t)n) != NULL)
			return 0;
	}
}

int main(int argc, char **argv)
{
	int fd, conn, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: hangup SOCKET\n");
		return 2;
	}
	fd = listen_at(argv[1]);
	if (fd < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	conn = accept(fd, NULL, NULL);
	close(fd);
	if (conn < 0) {
		fprintf(stderr, "hangup: accept: %s\n", strerror(errno));
		return 1;
	}
	rc = read_request(conn);
	close(conn);
	unlink(argv[1]);
	return rc == 0 ? 0 : 1;
}
