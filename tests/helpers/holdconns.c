/* SPDX-License-Identifier: ISC */
/* holdconns: many connections to jitd held open at once, for the tests of
 * jitd's connection shares.
 *
 *   holdconns SOCKET N [nowait]
 *
 * Opens N connections, sends a ping on each and reads one answer line from
 * each. Prints "answered A busy B" (B: answered with error "busy", the
 * refusal of a connection jitd had no slot for) and the first such answer,
 * then keeps every
 * connection open until its standard input ends. With nowait, reads no
 * answer and prints "sent N". Exits 0, or 1 when a connection could not
 * be made or gave neither answer within 20 s. */
#include "config.h"

#include "unixconn.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define PING "{\"v\":1,\"op\":\"ping\"}\n"

/* One line from fd into buf within 20 s; -1 when none came. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (len + 1 < size) {
		ssize_t n;

		if (poll(&p, 1, 20000) != 1)
			return -1;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len) != NULL)
			return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static int fds[MAX_CONNS];
	int n = argc == 3 || argc == 4 ? atoi(argv[2]) : 0, answered = 0, busy = 0;
	int nowait = argc == 4 && strcmp(argv[3], "nowait") == 0;
	char line[4096], first_busy[4096] = "";

	if (n <= 0 || n > MAX_CONNS) {
		fprintf(stderr, "usage: holdconns SOCKET N [nowait] (N from 1 to %d)\n", MAX_CONNS);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		fds[i] = unix_connect(argv[1]);
		if (fds[i] < 0) {
			perror("holdconns: connect");
			return 1;
		}
		/* A connection refused for want of a slot may be closed before
		 * the ping goes out: its answer is read all the same. */
		(void)send(fds[i], PING, strlen(PING), MSG_NOSIGNAL);
		if (nowait)
			continue;
		if (read_line(fds[i], line, sizeof(line)) != 0) {
			fprintf(stderr, "holdconns: connection %d got no answer\n", i + 1);
			return 1;
		}
		if (strstr(line, "\"error\":\"busy\"") != NULL && busy++ == 0)
			(void)snprintf(first_busy, sizeof(first_busy), "%s", line);
		else if (strstr(line, "\"ok\":true") != NULL)
			answered++;
	}
	if (nowait)
		printf("sent %d\n", n);
	else
		printf("answered %d busy %d\n%s", answered, busy, first_busy);
	fflush(stdout);
	while (read(0, line, sizeof(line)) > 0)
		;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}
