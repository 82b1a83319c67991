/* sockcat SOCKET: sends standard input to a Unix stream socket, closes the
 * sending half, and copies everything received to standard output. The
 * tests use it to send jitd bytes jitctl never would. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int copy(int from, int to, int (*write_fn)(int fd, const char *buf, size_t len))
{
	char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write_fn(to, buf, (size_t)n) != 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static int send_fn(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_fn(int fd, const char *buf, size_t len)
{
	(void)fd;
	return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, sent;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: sockcat SOCKET\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "sockcat: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* The peer may hang up early (that is what some tests check): what it
	 * sent before is still read and printed. */
	sent = copy(STDIN_FILENO, fd, send_fn);
	(void)shutdown(fd, SHUT_WR);
	(void)copy(fd, STDOUT_FILENO, write_fn);
	close(fd);
	return sent == 0 ? 0 : 3;
}
