/* SPDX-License-Identifier: ISC */
/* slowclient: jitd's clients at their worst, for the load test.
 *
 *   slowclient SOCKET idle N      N connections that never send a byte
 *   slowclient SOCKET trickle N   N connections sending a request a byte
 *                                 every 500 ms (too slow to finish in 10 s)
 *   slowclient SOCKET noread N    one connection sending N requests at once
 *                                 and never reading an answer
 *
 * Prints "ready" once every connection is open (and, for noread, the
 * requests are sent as far as jitd takes them), then "closed K" when jitd
 * has closed all K of them. Exits 0 then, or 1 after 60 s. */
#include "config.h"

#include "unixconn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 512
#define REQUEST "{\"v\":1,\"op\":\"status\"}\n"

/* Sends as many pipelined requests as the socket takes without blocking. */
static void send_requests(int fd, long n)
{
	for (long i = 0; i < n; i++)
		if (send(fd, REQUEST, strlen(REQUEST), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			break;
}

/* Whether jitd closed fd: a hang-up, seen without reading what it sent. */
static int peer_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

int main(int argc, char **argv)
{
	int fds[MAX_CONNS], open_fds = 0, closed = 0;
	long n = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
	size_t sent = 0;
	time_t deadline;

	if (argc != 4 || n < 1 || (strcmp(argv[2], "noread") != 0 && n > MAX_CONNS)) {
		fprintf(stderr, "usage: slowclient SOCKET idle|trickle|noread N\n");
		return 2;
	}
	for (long i = 0; i < (strcmp(argv[2], "noread") == 0 ? 1 : n); i++) {
		fds[i] = unix_connect(argv[1]);
		if (fds[i] < 0) {
			fprintf(stderr, "slowclient: connect %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		open_fds++;
	}
	if (strcmp(argv[2], "noread") == 0)
		send_requests(fds[0], n);
	printf("ready\n");
	fflush(stdout);
	deadline = time(NULL) + 60;
	while (closed < open_fds && time(NULL) < deadline) {
		closed = 0;
		for (int i = 0; i < open_fds; i++) {
			if (strcmp(argv[2], "trickle") == 0 && sent < strlen(REQUEST) && !peer_closed(fds[i]))
				(void)send(fds[i], &REQUEST[sent], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			closed += peer_closed(fds[i]);
		}
		sent++;
		usleep(500000);
	}
	printf("closed %d\n", closed);
	for (int i = 0; i < open_fds; i++)
		close(fds[i]);
	return closed == open_fds ? 0 : 1;
}
