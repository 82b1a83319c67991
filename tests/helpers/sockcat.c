/* sockcat [-n LINES] SOCKET: sends standard input to a Unix stream socket,
 * closes the sending half, and copies everything received to standard
 * output. With -n it keeps the connection open instead and stops after
 * LINES lines were received (exit 4 when they do not come within 10 s).
 * The tests use it to send jitd bytes jitctl never would. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Copies received bytes to stdout until `lines` newlines came; 0 when they did. */
static int read_lines(int fd, long lines)
{
	char buf[65536];

	while (lines > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			return 4;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return 4;
		for (ssize_t i = 0; i < n; i++)
			lines -= buf[i] == '\n';
		(void)write_fn(STDOUT_FILENO, buf, (size_t)n);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long lines = 0;
	int fd, sent;

	if (argc == 4 && strcmp(argv[1], "-n") == 0) {
		lines = strtol(argv[2], NULL, 10);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: sockcat [-n LINES] SOCKET\n");
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
	if (lines > 0) {
		int rc = read_lines(fd, lines);

		close(fd);
		return sent == 0 ? rc : 3;
	}
	(void)shutdown(fd, SHUT_WR);
	(void)copy(fd, STDOUT_FILENO, write_fn);
	close(fd);
	return sent == 0 ? 0 : 3;
}
