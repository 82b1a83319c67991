/* SPDX-License-Identifier: ISC */
/* tcpecho PORT...: listens on every address (IPv4 and IPv6) on each TCP
 * port and echoes what each connection sends, until killed. It stands in
 * for sshd and RDP in the firewall tests. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4096

static int listen_on(unsigned port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT,
				   .sin6_port = htons((uint16_t)port) };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), off = 0, on = 1;

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1024) != 0) {
		fprintf(stderr, "tcpecho: port %u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	static struct pollfd fds[MAX_FDS];
	int n_listen = argc - 1;
	nfds_t n = 0;

	if (argc < 2 || argc - 1 > 16) {
		fprintf(stderr, "usage: tcpecho PORT...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		fds[n++] = (struct pollfd){ .fd = listen_on((unsigned)atoi(argv[i])), .events = POLLIN };
	for (;;) {
		if (poll(fds, n, -1) < 0 && errno != EINTR)
			return 1;
		for (nfds_t i = 0; i < n; i++) {
			char buf[4096];
			ssize_t got;

			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if ((int)i < n_listen) {
				int c = accept(fds[i].fd, NULL, NULL);

				if (c >= 0 && n < MAX_FDS)
					fds[n++] = (struct pollfd){ .fd = c, .events = POLLIN };
				else if (c >= 0)
					close(c);
				continue;
			}
			got = read(fds[i].fd, buf, sizeof(buf));
			if (got <= 0 || write(fds[i].fd, buf, (size_t)got) != got) {
				close(fds[i].fd);
				fds[i--] = fds[--n];
			}
		}
	}
}
