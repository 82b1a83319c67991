/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "proto.h"
#include "timeutil.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds left until deadline, at least 0. */
static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - jit_monotonic_ms();

	return left > 0 ? (int)left : 0;
}

static const char *connect_hint(int e)
{
	switch (e) {
	case ENOENT:
	case ECONNREFUSED:
		return " (is jitd running?)";
	case EACCES:
	case EPERM:
		return " (are you in jitd's socket group?)";
	default:
		return "";
	}
}

int jit_proto_connect(const char *path, int timeout_ms, jit_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		jit_error_set(err, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		jit_error_set(err, "socket: %s", strerror(errno));
		return -1;
	}
	/* A Unix stream connect waits on a full backlog for up to SO_SNDTIMEO. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		jit_error_set(err, "cannot connect to jitd at %s: %s%s", path, strerror(e),
			      connect_hint(e));
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, jit_error *err)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			jit_error_set(err, "sending to jitd: %s", strerror(errno));
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the first newline; returns the line (without it) to free(). */
static char *read_line(int fd, int64_t deadline, enum jit_call_status *status, jit_error *err)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	*status = JIT_CALL_FAILED;
	while (buf != NULL) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (len + 1 >= cap) {
			char *grown;

			if (cap > JIT_PROTO_RESPONSE_MAX) {
				jit_error_set(err, "response from jitd exceeds %d bytes",
					      JIT_PROTO_RESPONSE_MAX);
				break;
			}
			grown = realloc(buf, cap * 2);
			if (grown == NULL)
				break;
			buf = grown;
			cap *= 2;
		}
		if (poll(&p, 1, remaining_ms(deadline)) == 0) {
			jit_error_set(err, "jitd did not answer in time");
			*status = JIT_CALL_UNREACHABLE;
			break;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* jitd stopped or restarted before answering: it could
			 * not be asked, as when it is not running. */
			jit_error_set(err, "jitd closed the connection without an answer%s%s",
				      n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			*status = JIT_CALL_UNREACHABLE;
			break;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl != NULL) {
			*nl = '\0';
			*status = JIT_CALL_OK;
			return buf;
		}
	}
	if (buf == NULL)
		jit_error_set(err, "out of memory");
	free(buf);
	return NULL;
}

static json_t *parse_response(const char *line, jit_error *err)
{
	json_error_t jerr;
	json_t *resp = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);

	if (!json_is_object(resp)) {
		jit_error_set(err, "jitd sent an invalid response: %s",
			      resp ? "not an object" : jerr.text);
		json_decref(resp);
		return NULL;
	}
	if (json_integer_value(json_object_get(resp, "v")) != JIT_PROTO_VERSION) {
		jit_error_set(err, "jitd answered with an unknown protocol version");
		json_decref(resp);
		return NULL;
	}
	return resp;
}

enum jit_call_status jit_proto_call(const char *socket_path, json_t *req, int timeout_ms,
				    json_t **resp, jit_error *err)
{
	int64_t deadline = jit_monotonic_ms() + timeout_ms;
	enum jit_call_status status = JIT_CALL_FAILED;
	char *text;
	int fd;

	*resp = NULL;
	if (json_object_set_new(req, "v", json_integer(JIT_PROTO_VERSION)) != 0 ||
	    (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		jit_error_set(err, "cannot encode the request");
		return JIT_CALL_FAILED;
	}
	fd = jit_proto_connect(socket_path, timeout_ms, err);
	if (fd < 0) {
		free(text);
		return JIT_CALL_UNREACHABLE;
	}
	status = JIT_CALL_UNREACHABLE;
	if (send_all(fd, text, strlen(text), err) == 0 && send_all(fd, "\n", 1, err) == 0) {
		char *line = read_line(fd, deadline, &status, err);

		if (line != NULL) {
			*resp = parse_response(line, err);
			status = *resp ? JIT_CALL_OK : JIT_CALL_FAILED;
			free(line);
		}
	}
	free(text);
	close(fd);
	return status;
}
