/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "sshlink.h"
#include "netaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_S 10
#define POLL_MS 1000
#define CHUNK 16384
#define WRITE_TIMEOUT_MS 10000

int jit_ssh_target_parse(const char *text, struct jit_ssh_target *t)
{
	return jit_userhost_split(text, t->user, sizeof(t->user), t->host, sizeof(t->host),
				  &t->port);
}

/* --- connecting ---------------------------------------------------------------------- */

static void host_key_error(ssh_session s, const char *why, const struct jit_ssh_target *t,
			   jit_error *err)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t len = 0;
	char *fp = NULL;

	if (ssh_get_server_publickey(s, &key) == SSH_OK &&
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == SSH_OK)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
	jit_error_set(err, "the host key of %s (port %u) is %s: %s %s. Refused; check it and add"
		      " it to known_hosts (ssh-keyscan -p %u %s)", t->host, t->port, why,
		      key ? ssh_key_type_to_char(ssh_key_type(key)) : "?", fp ? fp : "?", t->port,
		      t->host);
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
}

static int check_host_key(ssh_session s, const struct jit_ssh_target *t, jit_error *err)
{
	switch (ssh_session_is_known_server(s)) {
	case SSH_KNOWN_HOSTS_OK:
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
		host_key_error(s, "CHANGED (someone may be in the middle)", t, err);
		return -1;
	case SSH_KNOWN_HOSTS_OTHER:
		host_key_error(s, "of another type than the one known", t, err);
		return -1;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		host_key_error(s, "unknown", t, err);
		return -1;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		jit_error_set(err, "known_hosts: %s", ssh_get_error(s));
		return -1;
	}
}

static int authenticate(ssh_session s, const struct jit_ssh_target *t, jit_error *err)
{
	ssh_key key = NULL;
	int rc;

	if (t->identity == NULL)
		rc = ssh_userauth_publickey_auto(s, NULL, NULL);
	else if (ssh_pki_import_privkey_file(t->identity, NULL, NULL, NULL, &key) != SSH_OK) {
		jit_error_set(err, "identity %s: cannot read the private key (an encrypted key"
			      " needs ssh-agent)", t->identity);
		return -1;
	} else {
		rc = ssh_userauth_publickey(s, NULL, key);
	}
	ssh_key_free(key);
	if (rc != SSH_AUTH_SUCCESS) {
		jit_error_set(err, "%s@%s refused every key offered", t->user, t->host);
		return -1;
	}
	return 0;
}

/* A TCP connection within timeout_ms, or -1 with errno. */
static int connect_within(const struct addrinfo *ai, int timeout_ms)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int error = 0, one = 1;
	socklen_t len = sizeof(error);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)
		error = errno;
	else if (poll(&p, 1, timeout_ms) != 1)
		error = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
		error = errno;
	if (error == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		error = errno;
	if (error != 0) {
		close(fd);
		errno = error;
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Each address the name resolves to in turn, as OpenSSH's client tries
 * them: the first that takes the connection. -1 when none does. */
static int dial(const struct jit_ssh_target *t, int timeout_ms, jit_error *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	char port[8];
	int fd = -1, rc, error = 0;

	(void)snprintf(port, sizeof(port), "%u", t->port);
	rc = getaddrinfo(t->host, port, &hints, &res);
	if (rc != 0) {
		jit_error_set(err, "cannot resolve %s: %s", t->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = connect_within(ai, timeout_ms);
		if (fd < 0)
			error = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		jit_error_set(err, "cannot connect to %s port %u: %s", t->host, t->port,
			      strerror(error));
	return fd;
}

static int set_options(ssh_session s, const struct jit_ssh_target *t, long timeout,
		       jit_error *err)
{
	bool no = false;
	int port = (int)t->port, nodelay = 1;

	if (ssh_options_set(s, SSH_OPTIONS_HOST, t->host) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_USER, t->user) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &port) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay) != SSH_OK ||
	    (t->known_hosts != NULL &&
	     ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, t->known_hosts) != SSH_OK)) {
		jit_error_set(err, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	return 0;
}

ssh_session jit_ssh_connect(const struct jit_ssh_target *t, jit_error *err)
{
	ssh_session s = ssh_new();
	long timeout = t->timeout_s > 0 ? t->timeout_s : DEFAULT_TIMEOUT_S;
	int fd;

	if (s == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	/* The host name stays libssh's: known_hosts is looked up by it. */
	if (set_options(s, t, timeout, err) != 0 || (fd = dial(t, (int)timeout * 1000, err)) < 0) {
		ssh_free(s);
		return NULL;
	}
	if (ssh_options_set(s, SSH_OPTIONS_FD, &fd) != SSH_OK) {
		jit_error_set(err, "ssh options: %s", ssh_get_error(s));
		close(fd);
		ssh_free(s);
		return NULL;
	}
	/* From here the session owns the socket. */
	if (ssh_connect(s) != SSH_OK) {
		jit_error_set(err, "cannot connect to %s port %u: %s", t->host, t->port,
			      ssh_get_error(s));
		ssh_free(s);
		return NULL;
	}
	if (check_host_key(s, t, err) != 0 || authenticate(s, t, err) != 0) {
		jit_ssh_close(s);
		return NULL;
	}
	return s;
}

void jit_ssh_close(ssh_session s)
{
	if (s == NULL)
		return;
	ssh_disconnect(s);
	ssh_free(s);
}

ssh_channel jit_ssh_exec(ssh_session s, const char *command, jit_error *err)
{
	ssh_channel ch = ssh_channel_new(s);

	if (ch != NULL && ssh_channel_open_session(ch) == SSH_OK &&
	    ssh_channel_request_exec(ch, command) == SSH_OK)
		return ch;
	jit_error_set(err, "%s", ssh_get_error(s));
	jit_ssh_channel_close(ch);
	return NULL;
}

void jit_ssh_channel_close(ssh_channel ch)
{
	if (ch == NULL)
		return;
	ssh_channel_close(ch);
	ssh_channel_free(ch);
}

/* --- pumping ------------------------------------------------------------------------- */

struct pump_state {
	const struct jit_pump *p;
	char *line;			/* a line from the channel, not yet whole */
	size_t line_len;
	bool fd_ready;
	bool channel_done;		/* its EOF passed on: the socket's answers still come */
};

static int fd_ready(socket_t fd, int revents, void *userdata)
{
	(void)fd, (void)revents;
	((struct pump_state *)userdata)->fd_ready = true;
	return 0;
}

static int write_fd(int fd, const char *data, size_t len, jit_error *err)
{
	while (len > 0) {
		struct pollfd w = { .fd = fd, .events = POLLOUT };
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		/* jitd reads as it can: a full socket drains within its timeout. */
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    poll(&w, 1, WRITE_TIMEOUT_MS) == 1)
			continue;
		if (n <= 0) {
			jit_error_set(err, "writing to jitd: %s", n < 0 ? strerror(errno) : "closed");
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_channel(ssh_channel ch, const char *data, size_t len, jit_error *err)
{
	while (len > 0) {
		uint32_t chunk = len > CHUNK ? CHUNK : (uint32_t)len;
		int n = ssh_channel_write(ch, data, chunk);

		if (n <= 0) {
			jit_error_set(err, "writing to the SSH channel failed");
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Each whole line of buf, edited, to the socket; the rest kept. */
static int edit_lines(struct pump_state *st, const char *buf, size_t len, jit_error *err)
{
	const struct jit_pump *p = st->p;

	for (size_t i = 0; i < len; i++) {
		char *out;
		int rc;

		if (buf[i] != '\n') {
			if (st->line_len == p->line_max) {
				jit_error_set(err, "a line longer than %zu bytes", p->line_max);
				return -1;
			}
			st->line[st->line_len++] = buf[i];
			continue;
		}
		out = p->edit(st->line, st->line_len, p->ctx, err);
		st->line_len = 0;
		if (out == NULL)
			return -1;
		rc = write_fd(p->fd, out, strlen(out), err);
		free(out);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* What the channel holds, to the socket. 1 at its end, 0 to go on, -1. */
static int from_channel(struct pump_state *st, jit_error *err)
{
	char buf[CHUNK];
	int n;

	while ((n = ssh_channel_read_nonblocking(st->p->channel, buf, sizeof(buf), 0)) > 0) {
		int rc = st->p->edit != NULL ? edit_lines(st, buf, (size_t)n, err) :
					       write_fd(st->p->fd, buf, (size_t)n, err);

		if (rc != 0)
			return -1;
	}
	if (n == SSH_ERROR) {
		jit_error_set(err, "reading the SSH channel: %s", ssh_get_error(st->p->session));
		return -1;
	}
	if (ssh_channel_is_closed(st->p->channel))
		return 1;
	/* The other side sends no more: jitd gets its EOF and answers what
	 * came; the pump ends when it closes. */
	if (ssh_channel_is_eof(st->p->channel) && !st->channel_done) {
		st->channel_done = true;
		(void)shutdown(st->p->fd, SHUT_WR);
	}
	return 0;
}

/* What the socket holds, to the channel. 1 at its end, 0 to go on, -1. */
static int from_fd(struct pump_state *st, jit_error *err)
{
	char buf[CHUNK];

	st->fd_ready = false;
	for (;;) {
		ssize_t n = read(st->p->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			jit_error_set(err, "reading from jitd: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 1;
		if (write_channel(st->p->channel, buf, (size_t)n, err) != 0)
			return -1;
	}
}

static int pump_loop(struct pump_state *st, ssh_event event, jit_error *err)
{
	int rc = 0;

	while (rc == 0 && (st->p->stop == NULL || !*st->p->stop)) {
		if (ssh_event_dopoll(event, POLL_MS) == SSH_ERROR &&
		    (ssh_get_status(st->p->session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0) {
			jit_error_set(err, "the SSH connection closed: %s",
				      ssh_get_error(st->p->session));
			return -1;
		}
		if (!st->channel_done)
			rc = from_channel(st, err);
		else if (ssh_channel_is_closed(st->p->channel))
			rc = 1;
		if (rc == 0 && st->fd_ready)
			rc = from_fd(st, err);
	}
	return rc < 0 ? -1 : 0;
}

int jit_pump_run(const struct jit_pump *p, jit_error *err)
{
	struct pump_state st = { .p = p };
	ssh_event event = ssh_event_new();
	int rc = -1;

	if (p->edit != NULL && (st.line = malloc(p->line_max)) == NULL) {
		ssh_event_free(event);
		jit_error_set(err, "out of memory");
		return -1;
	}
	if (event == NULL || fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    ssh_event_add_session(event, p->session) != SSH_OK ||
	    ssh_event_add_fd(event, p->fd, POLLIN, fd_ready, &st) != SSH_OK) {
		jit_error_set(err, "cannot watch the SSH connection and jitd's socket");
	} else {
		st.fd_ready = true;	/* whatever came before the pump started */
		rc = pump_loop(&st, event, err);
		ssh_event_remove_fd(event, p->fd);
		ssh_event_remove_session(event, p->session);
	}
	ssh_event_free(event);
	free(st.line);
	return rc;
}
