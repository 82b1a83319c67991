/* SPDX-License-Identifier: ISC */
/* tcpprobe: TCP connections for the firewall tests.
 *
 *   tcpprobe [-s SRC] [-t MS] HOST PORT
 *       Connects from SRC; exit 0 when connected within MS (default 500),
 *       1 when refused, dropped or timed out.
 *   tcpprobe -m [-t MS] HOST PORT < SOURCES
 *       Connects from every source address on standard input at once and
 *       prints "N connected, M not".
 *   tcpprobe -k [-s SRC] [-t MS] HOST PORT
 *       Holds one connection: prints "connected", then sends each line of
 *       standard input and prints the echo; exit 3 when the connection
 *       breaks, 0 at the end of input. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SOURCES 4096

struct target {
	struct sockaddr_storage sa;
	socklen_t len;
	int family;
};

static int parse_addr(const char *text, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return AF_INET6;
	}
	return -1;
}

/* A non-blocking socket bound to src (if any) with its connect started. */
static int start_connect(const struct target *t, const char *src)
{
	int fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (src != NULL) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (parse_addr(src, 0, &ss, &len) != t->family ||
		    bind(fd, (struct sockaddr *)&ss, len) != 0) {
			fprintf(stderr, "tcpprobe: cannot bind %s: %s\n", src, strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)&t->sa, t->len) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool connected(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
}

/* Waits up to ms for each fd; returns how many connected. */
static int await_all(const int *fds, int n, int ms)
{
	struct pollfd *p = calloc((size_t)n + 1, sizeof(*p));
	int ok = 0, pending = n;

	if (p == NULL)
		return 0;
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLOUT };
	while (pending > 0 && poll(p, (nfds_t)n, ms) > 0) {
		pending = 0;
		for (int i = 0; i < n; i++) {
			if (p[i].fd < 0)
				continue;
			if (p[i].revents != 0) {
				ok += connected(p[i].fd);
				p[i].fd = -1;
			} else {
				pending++;
			}
		}
	}
	free(p);
	return ok;
}

static int hold(int fd)
{
	char line[4096];
	FILE *in;

	fcntl(fd, F_SETFL, 0);
	printf("connected\n");
	fflush(stdout);
	in = fdopen(fd, "r");
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char echo[4096];

		if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || fgets(echo, sizeof(echo), in) == NULL)
			return 3;
		fputs(echo, stdout);
		fflush(stdout);
	}
	fclose(in);
	return 0;
}

static int multi(const struct target *t, int ms)
{
	static int fds[MAX_SOURCES];
	char src[INET6_ADDRSTRLEN + 2];
	int n = 0, ok;

	while (n < MAX_SOURCES && fgets(src, sizeof(src), stdin) != NULL) {
		src[strcspn(src, "\n")] = '\0';
		fds[n] = start_connect(t, src);
		if (fds[n] < 0)
			return 2;
		n++;
	}
	ok = await_all(fds, n, ms);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	printf("%d connected, %d not\n", ok, n - ok);
	return 0;
}

int main(int argc, char **argv)
{
	const char *src = NULL;
	int ms = 500, opt, fd, ok;
	bool many = false, keep = false;
	struct target t;

	while ((opt = getopt(argc, argv, "s:t:mk")) != -1) {
		switch (opt) {
		case 's': src = optarg; break;
		case 't': ms = atoi(optarg); break;
		case 'm': many = true; break;
		case 'k': keep = true; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 ||
	    (t.family = parse_addr(argv[optind], (unsigned)atoi(argv[optind + 1]), &t.sa, &t.len)) < 0) {
		fprintf(stderr, "usage: tcpprobe [-m|-k] [-s SRC] [-t MS] HOST PORT\n");
		return 2;
	}
	if (many)
		return multi(&t, ms);
	fd = start_connect(&t, src);
	if (fd < 0)
		return 1;
	ok = await_all(&fd, 1, ms);
	if (ok && keep)
		return hold(fd);
	close(fd);
	return ok ? 0 : 1;
}
