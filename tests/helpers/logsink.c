/* SPDX-License-Identifier: ISC */
/* logsink: stands in for syslog in the tests' private mount namespaces.
 *
 *   logsink SOCKET FILE
 *       Binds a Unix datagram socket at SOCKET (normally /dev/log, in a
 *       namespace where /dev is the test's own), prints "ready" once bound,
 *       then appends each message received to FILE, one per line, until
 *       killed. Lets a test read what pam_jit told pam_syslog. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MESSAGE_MAX 8192

static int bind_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "logsink: socket path too long: %s\n", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (unlink(path) != 0 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "logsink: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int copy_messages(int fd, FILE *out)
{
	char message[MESSAGE_MAX];

	for (;;) {
		ssize_t n = recv(fd, message, sizeof(message), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "logsink: recv: %s\n", strerror(errno));
			return 1;
		}
		while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == '\0'))
			n--;
		fprintf(out, "%.*s\n", (int)n, message);
		fflush(out);
	}
}

int main(int argc, char **argv)
{
	FILE *out;
	int fd, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: logsink SOCKET FILE\n");
		return 2;
	}
	out = fopen(argv[2], "ae");
	if (!out) {
		fprintf(stderr, "logsink: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	fd = bind_socket(argv[1]);
	if (fd < 0) {
		fclose(out);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	rc = copy_messages(fd, out);
	close(fd);
	fclose(out);
	return rc;
}
