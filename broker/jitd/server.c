/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "server.h"

#include "log.h"
#include "proto.h"
#include "sdnotify.h"
#include "timeutil.h"

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1024
/* Descriptors jitd needs besides its clients: database, firewall, timers,
 * notify_command's pipes, metrics_file. */
#define FD_RESERVE 64
/* Refused connections logged per LOG_WINDOW_MS; the rest are counted. */
#define REFUSED_LOG_BURST 5
#define REFUSED_LOG_WINDOW_MS 10000
/* Consecutive malformed requests after which a client is disconnected. */
#define MAX_BAD_REQUESTS 3
/* Unsent response bytes beyond which a client's requests wait. */
#define OUT_HIGH_WATER (256 * 1024)
/* A client that neither completes a request nor takes any of its answer
 * for this long is closed: jitd's clients (jitctl, pam_jit, jit-sshd) send
 * their request at once, and a connection left open must not hold a slot. */
#define CLIENT_IDLE_MS 10000
#define READ_CHUNK 16384
#define IN_MAX (JIT_PROTO_LINE_MAX + 1 + READ_CHUNK)

/* SRC_CLOSED: a client closed while events of the same epoll_wait may
 * still name it (a chore closed it, say); it is freed after the batch. */
enum source_kind { SRC_LISTENER, SRC_SIGNAL, SRC_TIMER, SRC_TICK, SRC_CHORES, SRC_DATABASE,
		   SRC_CLIENT, SRC_CLOSED };

struct source {
	enum source_kind kind;
	int fd;
};

struct client {
	struct source src;		/* first: epoll hands back a struct source * */
	struct jit_peer peer;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	unsigned bad;
	bool discarding;		/* skipping the rest of an overlong line */
	bool closing;			/* answer no more; close once the output is sent */
	bool eof;			/* the client will send no more */
	bool privileged;		/* uid 0 or a verify caller: may use the reserved slots */
	uint32_t events;		/* what epoll watches for now */
	int64_t progress_ms;		/* last request read or answer byte taken */
	bool follower;			/* an enforcer (through jit-sshd) following a host */
	char follow_host[JIT_HOST_MAX];
	int64_t follow_sent;		/* the last change pushed to it */
	bool push_pending;		/* more to push once its output drains (or in a second) */
	bool push_more;			/* more to push in the next round */
	bool upstream;			/* an enforcer's link to its controller (jit-relay) */
	json_t *held;			/* an answer waiting for enforcers' acks */
	struct jit_apply_wait *wait;	/* which */
	int64_t held_until_ms;		/* apply_timeout: answered then at the latest */
	/* A held answer waiting for request await_id's decision, for
	 * await_peer, asked again when the broker's decisions passed
	 * await_seen. */
	int64_t await_id;
	struct jit_peer *await_peer;
	uint64_t await_seen;
	struct client *prev, *next;
};

struct server {
	struct jit_broker *b;
	int epfd;
	struct source listener, signals, timer, tick, chores;
	struct source database;		/* PostgreSQL's connection, for other controllers' news */
	unsigned long database_connection;	/* which of the store's connections it is */
	unsigned catch_up;		/* chores' seconds since the followers were all looked at */
	unsigned rates_kept;		/* chores' seconds since full rate buckets were forgotten */
	struct client *clients;
	struct client *closed;		/* to free once the current batch is handled */
	size_t n_clients;
	size_t n_ordinary;		/* clients that are not privileged */
	size_t capacity;		/* clients at once, within the descriptor limit */
	size_t reserved;		/* of them, kept for uid 0 and verify callers */
	bool listener_paused;		/* out of descriptors: accept again later */
	struct jit_log_limit refused;	/* log lines about refused connections */
	bool push_more;			/* a follower has more to be sent */
	struct client *upstream;	/* an enforcer's link, or NULL */
	size_t n_held;			/* clients whose answer waits for acks */
	time_t timer_at;		/* when timer is armed for (0: not armed) */
	bool timer_known;		/* ... as read from the database */
	bool stop;
};

/* --- the listening socket ----------------------------------------------------- */

static int group_id(const char *name, gid_t *gid, jit_error *err)
{
	char buf[16384];
	struct group gr, *res = NULL;

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return jit_error_set(err, "socket_group '%s' does not exist (create it with"
				     " 'groupadd --system %s' or set socket_group)", name, name);
	*gid = gr.gr_gid;
	return 0;
}

/* A socket file left by a jitd that is gone is removed; a live one is not. */
static int clear_stale_socket(const struct sockaddr_un *sa, jit_error *err)
{
	struct stat st;
	int fd, live;

	if (lstat(sa->sun_path, &st) != 0)
		return errno == ENOENT ? 0 : jit_error_set(err, "%s: %s", sa->sun_path,
							   strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return jit_error_set(err, "%s exists and is not a socket", sa->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return jit_error_set(err, "socket: %s", strerror(errno));
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (live)
		return jit_error_set(err, "another jitd is listening on %s", sa->sun_path);
	if (unlink(sa->sun_path) != 0)
		return jit_error_set(err, "%s: %s", sa->sun_path, strerror(errno));
	return 0;
}

/* Gives path to gid unless it has it already: running with socket_group as
 * its group (as jitd.service does), jitd needs no chown, which its system
 * call filter refuses. */
static int set_group(const char *path, gid_t gid)
{
	struct stat st;

	if (gid == (gid_t)-1)
		return 0;
	if (stat(path, &st) != 0)
		return -1;
	return st.st_gid == gid ? 0 : chown(path, (uid_t)-1, gid);
}

static int bind_socket(int fd, const struct sockaddr_un *sa, gid_t gid, jit_error *err)
{
	mode_t old = umask(0117);
	int rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));

	umask(old);
	if (rc != 0)
		return jit_error_set(err, "cannot bind %s: %s", sa->sun_path, strerror(errno));
	if (set_group(sa->sun_path, gid) != 0 || chmod(sa->sun_path, 0660) != 0) {
		jit_error_set(err, "cannot set owner and mode of %s: %s", sa->sun_path,
			      strerror(errno));
		(void)unlink(sa->sun_path);
		return -1;
	}
	return 0;
}

int jit_server_listen(const struct jit_config *cfg, jit_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	int fd;

	if (strlen(cfg->socket) >= sizeof(sa.sun_path))
		return jit_error_set(err, "socket path too long: %s", cfg->socket);
	memcpy(sa.sun_path, cfg->socket, strlen(cfg->socket) + 1);
	if (group_id(cfg->socket_group, &gid, err) != 0 || jit_make_parent_dir(cfg->socket, 0755, err) != 0 ||
	    clear_stale_socket(&sa, err) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return jit_error_set(err, "socket: %s", strerror(errno));
	if (bind_socket(fd, &sa, gid, err) != 0) {
		close(fd);
		return -1;
	}
	if (listen(fd, SOMAXCONN) != 0) {
		jit_error_set(err, "listen on %s: %s", sa.sun_path, strerror(errno));
		(void)unlink(sa.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

/* --- epoll bookkeeping --------------------------------------------------------- */

static int watch(struct server *s, struct source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, src->fd, &ev);
}

static void client_watch(struct server *s, struct client *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = &c->src };

	if (events == c->events)
		return;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->src.fd, &ev) == 0)
		c->events = events;
}

/* --- clients ------------------------------------------------------------------------ */

static void rearm_expiry_timer(struct server *s);
static void resume_listener(struct server *s);

static void client_close(struct server *s, struct client *c)
{
	if (c->follower) {
		log_info("%s stopped following", c->follow_host);
		jit_broker_follower(s->b, c->follow_host, false, time(NULL));
	}
	if (c == s->upstream) {
		s->upstream = NULL;
		jit_upstream_unlinked(s->b);
	}
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
	close(c->src.fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_clients--;
	if (!c->privileged)
		s->n_ordinary--;
	resume_listener(s);
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	if (c->held != NULL)
		s->n_held--;
	json_decref(c->held);
	jit_apply_wait_free(c->wait);
	free(c->await_peer);
	c->held = NULL;
	c->wait = NULL;
	c->await_peer = NULL;
	c->src.kind = SRC_CLOSED;
	c->next = s->closed;
	s->closed = c;
}

static void free_closed_clients(struct server *s)
{
	while (s->closed != NULL) {
		struct client *c = s->closed;

		s->closed = c->next;
		free(c);
	}
}

static int out_reserve(struct client *c, size_t more)
{
	size_t cap = c->out_cap ? c->out_cap : 4096;
	char *grown;

	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	while (cap < c->out_len + more)
		cap *= 2;
	if (cap == c->out_cap)
		return 0;
	grown = realloc(c->out, cap);
	if (grown == NULL)
		return -1;
	c->out = grown;
	c->out_cap = cap;
	return 0;
}

/* Queues the response as one line; a client we cannot answer is closed. */
static void client_reply(struct client *c, json_t *resp)
{
	char *text = json_dumps(resp, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0;

	json_decref(resp);
	if (text == NULL || out_reserve(c, len + 1) != 0) {
		log_error("client uid %u: cannot queue a response", (unsigned)c->peer.uid);
		c->closing = true;
		c->out_len = c->out_off = 0;
		free(text);
		return;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	c->progress_ms = jit_monotonic_ms();
	free(text);
}

/* Sends what it can; false when the client is gone. */
static bool client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->src.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
		c->progress_ms = jit_monotonic_ms();
	}
	c->out_off = c->out_len = 0;
	return true;
}

static void count_bad(struct client *c, bool bad)
{
	c->bad = bad ? c->bad + 1 : 0;
	if (c->bad >= MAX_BAD_REQUESTS) {
		log_info("client uid %u pid %d: %u malformed requests in a row, disconnecting",
			 (unsigned)c->peer.uid, (int)c->peer.pid, c->bad);
		c->closing = true;
	}
}

/* c is the link to the controller from now on; one at a time, the newest. */
static void become_upstream(struct server *s, struct client *c)
{
	if (s->upstream != NULL && s->upstream != c) {
		log_info("a new link to the controller replaces the one before");
		client_close(s, s->upstream);
	}
	s->upstream = c;
	c->upstream = true;
	client_reply(c, jit_upstream_hello(s->b, jit_monotonic_ms()));
}

/* The answer waits for a request's decision when the broker says so
 * (request_status with wait): true, and held. */
static bool hold_for_decision(struct server *s, struct client *c, json_t *resp)
{
	struct jit_peer peer;
	int64_t id, ms;

	if (!jit_broker_take_await(s->b, &id, &ms, &peer))
		return false;
	c->await_peer = malloc(sizeof(*c->await_peer));
	if (c->await_peer == NULL)
		return false;	/* answered now: the client asks again */
	*c->await_peer = peer;
	c->await_id = id;
	c->await_seen = s->b->decisions;
	c->held = resp;
	s->n_held++;
	c->held_until_ms = jit_monotonic_ms() + ms;
	return true;
}

static void handle_line(struct server *s, struct client *c, const char *line, size_t len)
{
	bool bad, follows;
	int64_t since = 0;
	char host[JIT_HOST_MAX];
	json_t *resp;

	if (c->upstream) {
		s->b->timer.reread = true;	/* the controller's changes */
		if (jit_upstream_line(s->b, line, len, jit_monotonic_ms()) != 0)
			c->closing = true;
		return;
	}
	resp = jit_broker_handle(s->b, &c->peer, line, len, &bad);
	c->wait = jit_broker_take_wait(s->b);
	if (c->wait != NULL) {
		c->held = resp;	/* answered by release_held() */
		s->n_held++;
		c->held_until_ms = jit_monotonic_ms() + s->b->cfg->apply_timeout * 1000;
	} else if (!hold_for_decision(s, c, resp)) {
		client_reply(c, resp);
	}
	count_bad(c, bad);
	if (jit_broker_take_upstream(s->b))
		become_upstream(s, c);
	jit_broker_take_follow(s->b, host, sizeof(host), &since, &follows);
	if (follows) {
		if (c->follower)	/* following again: another host, or anew */
			jit_broker_follower(s->b, c->follow_host, false, time(NULL));
		(void)snprintf(c->follow_host, sizeof(c->follow_host), "%s", host);
		c->follower = true;
		c->follow_sent = since;
		c->push_more = s->push_more = true;
		jit_broker_follower(s->b, c->follow_host, true, time(NULL));
	}
}

static void refuse_long_line(struct client *c)
{
	char why[64];

	(void)snprintf(why, sizeof(why), "request line longer than %d bytes", JIT_PROTO_LINE_MAX);
	client_reply(c, jit_broker_error("bad_request", why));
	count_bad(c, true);
}

/* Answers the complete lines in the input buffer while output has room;
 * returns how many were answered. */
static int process_input(struct server *s, struct client *c)
{
	size_t start = 0;
	int answered = 0;

	/* One answer at a time: the next request waits for a held one. */
	while (!c->closing && c->held == NULL && c->out_len - c->out_off < OUT_HIGH_WATER) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		size_t len;

		if (nl == NULL)
			break;
		len = (size_t)(nl - (c->in + start));
		if (c->discarding) {
			c->discarding = false;
		} else if (len > JIT_PROTO_LINE_MAX) {
			refuse_long_line(c);
		} else {
			handle_line(s, c, c->in + start, len);
			answered++;
		}
		start += len + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len > JIT_PROTO_LINE_MAX && !c->closing && memchr(c->in, '\n', c->in_len) == NULL) {
		/* No newline within the limit: refuse the line, skip to its end. */
		if (!c->discarding)
			refuse_long_line(c);
		c->discarding = true;
		c->in_len = 0;
	}
	return answered;
}

static int in_reserve(struct client *c)
{
	size_t cap = c->in_cap ? c->in_cap * 2 : 2 * READ_CHUNK;
	char *grown;

	/* process_input() keeps in_len <= JIT_PROTO_LINE_MAX, so at IN_MAX
	 * there is always room for another read. */
	if (c->in_cap - c->in_len >= READ_CHUNK || c->in_cap == IN_MAX)
		return 0;
	if (cap > IN_MAX)
		cap = IN_MAX;
	grown = realloc(c->in, cap);
	if (grown == NULL)
		return -1;
	c->in = grown;
	c->in_cap = cap;
	return 0;
}

/* One read per wakeup: epoll is level-triggered, so busy clients take turns.
 * False when the connection failed. */
static bool client_read(struct client *c)
{
	ssize_t n;

	if (in_reserve(c) != 0)
		return false;
	if (c->in_len == c->in_cap)
		return true;	/* full of answered-later lines: read once they are */
	n = recv(c->src.fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	if (n == 0)
		c->eof = true;	/* half-closed: answer what came, then close */
	else
		c->in_len += (size_t)n;
	return true;
}

static bool has_complete_line(const struct client *c)
{
	return !c->closing && c->held == NULL && c->in_len > 0 &&
	       memchr(c->in, '\n', c->in_len) != NULL;
}

/* What is due for the controller: acks, logins, a heartbeat. */
static void upstream_send(struct client *c, struct jit_broker *b)
{
	json_t *req;

	while (c->out_len - c->out_off < OUT_HIGH_WATER &&
	       (req = jit_upstream_next(b, jit_monotonic_ms())) != NULL)
		client_reply(c, req);
}

static void client_event(struct server *s, struct client *c, uint32_t events)
{
	bool readable = (events & EPOLLIN) && !c->eof && !c->closing, flushed;
	uint32_t want = 0;

	if ((readable && !client_read(c)) ||
	    (!(events & EPOLLIN) && (events & (EPOLLHUP | EPOLLERR)))) {
		client_close(s, c);
		return;
	}
	if (process_input(s, c) > 0)
		rearm_expiry_timer(s);
	if (c->upstream && !c->closing)
		upstream_send(c, s->b);
	flushed = client_flush(c);
	jit_metrics_phase_done(&s->b->metrics, JIT_PHASE_WRITE, jit_monotonic_seconds());
	if (!flushed ||
	    (c->out_len == 0 && (c->closing || (c->eof && !has_complete_line(c))))) {
		client_close(s, c);
		return;
	}
	if (c->push_pending && c->out_len - c->out_off < OUT_HIGH_WATER) {
		c->push_pending = false;
		c->push_more = s->push_more = true;
	}
	/* Lines left for when the output drained: a writable socket wakes us
	 * for them even if the client sends nothing more. */
	if (c->out_len > 0 || has_complete_line(c))
		want |= EPOLLOUT;
	if (!c->eof && !c->closing && c->held == NULL && c->out_len < OUT_HIGH_WATER)
		want |= EPOLLIN;
	client_watch(s, c, want);
}

/* At most REFUSED_LOG_BURST lines per window about refused connections;
 * the first line after a window says how many went unlogged. */
static void log_refused(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_refused(struct server *s, const char *fmt, ...)
{
	unsigned long dropped;
	bool allowed = jit_log_limit_allow(&s->refused, REFUSED_LOG_BURST, REFUSED_LOG_WINDOW_MS,
					   &dropped);
	char line[256];
	va_list ap;

	if (dropped > 0)
		log_warn("%lu more refused connections not logged", dropped);
	if (!allowed)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warn("refusing a connection: %s", line);
}

/* Out of descriptors: a level-triggered listener would wake us at once
 * again, so it sleeps until a client closes or the next chore second. */
static void pause_listener(struct server *s, int error)
{
	struct epoll_event ev = { .events = 0, .data.ptr = &s->listener };

	log_refused(s, "accept: %s (%zu clients); accepting again once a descriptor is free",
		    strerror(error), s->n_clients);
	if (!s->listener_paused && epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listener.fd, &ev) == 0)
		s->listener_paused = true;
}

static void resume_listener(struct server *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->listener };

	if (s->listener_paused && epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listener.fd, &ev) == 0)
		s->listener_paused = false;
}

static size_t uid_connections(const struct server *s, uid_t uid)
{
	size_t n = 0;

	for (const struct client *c = s->clients; c != NULL; c = c->next)
		n += c->peer.uid == uid;
	return n;
}

/* Why c may not have a slot, or NULL. uid 0 and verify callers may use
 * every slot; everyone else shares the rest, each uid at most its share. */
static const char *admission_refusal(const struct server *s, const struct client *c,
				     char *why, size_t size)
{
	int share = s->b->cfg->connections_per_uid;

	if (s->n_clients >= s->capacity)
		return "every connection slot is taken";
	if (c->privileged)
		return NULL;
	if (s->n_ordinary >= s->capacity - s->reserved)
		return "every ordinary connection slot is taken; the rest are kept for uid 0"
		       " and the PAM module";
	/* jit-sshd holds a connection per SSH session and bounds those itself
	 * (max_startups): its uid has no share, only the ordinary slots. */
	if (uid_connections(s, c->peer.uid) >= (size_t)share &&
	    !jit_broker_is_front_door(s->b, &c->peer)) {
		(void)snprintf(why, size, "uid %u holds its share of %d connections"
			       " (connections_per_uid)", (unsigned)c->peer.uid, share);
		return why;
	}
	return NULL;
}

/* One line, so that the refused client can say why; a fresh socket's
 * buffer always takes it. */
static void refuse_client(struct server *s, struct client *c, const char *why)
{
	json_t *resp = jit_broker_error("busy", why);
	char *text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;

	log_refused(s, "%s (uid %u, pid %d): %s", c->peer.user, (unsigned)c->peer.uid,
		    (int)c->peer.pid, why);
	if (text != NULL) {
		size_t len = strlen(text);

		text[len] = '\n';	/* json_dumps' NUL makes room for it */
		(void)send(c->src.fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	free(text);
	json_decref(resp);
	close(c->src.fd);
	free(c);
}

static void client_add(struct server *s, struct client *c)
{
	c->src.kind = SRC_CLIENT;
	c->events = EPOLLIN;
	c->progress_ms = jit_monotonic_ms();
	if (watch(s, &c->src, EPOLLIN) != 0) {
		log_error("epoll: %s", strerror(errno));
		close(c->src.fd);
		free(c);
		return;
	}
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = c;
	s->clients = c;
	s->n_clients++;
	if (!c->privileged)
		s->n_ordinary++;
	log_debug("client connected: %s (uid %u, pid %d)", c->peer.user, (unsigned)c->peer.uid,
		  (int)c->peer.pid);
}

static void accept_clients(struct server *s)
{
	for (;;) {
		int fd = accept4(s->listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;
		const char *why;
		char buf[128];

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				pause_listener(s, errno);
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				 errno != ECONNABORTED)
				log_error("accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL || jit_peer_from_socket(fd, &c->peer) != 0) {
			log_refused(s, "%s", c ? "no peer credentials" : "out of memory");
			free(c);
			close(fd);
			continue;
		}
		c->src.fd = fd;
		c->privileged = c->peer.uid == 0 || jit_broker_may_verify(s->b, &c->peer);
		why = admission_refusal(s, c, buf, sizeof(buf));
		if (why != NULL)
			refuse_client(s, c, why);
		else
			client_add(s, c);
	}
}

/* --- followers ------------------------------------------------------------------------ */

/* Changes pushed to one follower per round: the rest in the next. */
#define PUSH_BATCH 64

static int push_change(const struct jit_host_change *ch, void *ctx)
{
	struct client *c = ctx;
	json_t *line = json_pack("{s:i, s:{s:I, s:s, s:o, s:s*}}", "v", JIT_PROTO_VERSION,
				 "change", "seq", (json_int_t)ch->seq, "kind", ch->kind, "grant",
				 jit_grant_json(&ch->grant, time(NULL)), "ticket", ch->ticket);

	if (line == NULL)
		return -1;
	client_reply(c, line);
	c->follow_sent = ch->seq;
	return 0;
}

/* What c has not been sent of its host's changes, as far as its output
 * takes; false when the connection failed. */
static bool push_to(struct server *s, struct client *c)
{
	int64_t before = c->follow_sent;
	jit_error err;

	if (c->out_len - c->out_off >= OUT_HIGH_WATER) {
		c->push_pending = true;	/* client_event, once it drains */
		return true;
	}
	if (jit_store_changes_each(s->b->store, c->follow_host, c->follow_sent, PUSH_BATCH,
				   push_change, c, &err) != 0) {
		log_error("changes for %s: %s; trying again in a second", c->follow_host, err.msg);
		c->push_pending = true;	/* the chores' second */
		return true;
	}
	if (c->follow_sent - before == PUSH_BATCH) {
		c->push_more = true;	/* the rest in the next round */
		s->push_more = true;
	}
	if (c->follow_sent == before)
		return true;
	if (!client_flush(c))
		return false;
	client_watch(s, c, c->out_len > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
	return true;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* After each batch of events: news for the followers, when there is any:
 * those of the hosts that had changes, those with more to be sent, or all
 * when the store could not say which hosts. */
static void push_changes(struct server *s)
{
	bool all;
	size_t n = 0;
	const char **hosts;
	struct client *c, *next;

	/* Those libpq took in with the answers to our own queries; the acks
	 * among them release held answers (release_held(), next). */
	jit_store_take_notifications(s->b->store);
	jit_broker_take_heard_acks(s->b);
	all = jit_store_changes_overflow(s->b->store);
	hosts = (const char **)jit_store_changed_hosts(s->b->store, &n);

	if (n == 0 && !all && !s->push_more)
		return;
	s->push_more = false;
	if (n > 1)
		qsort(hosts, n, sizeof(*hosts), compare_names);
	for (c = s->clients; c != NULL; c = next) {
		const char *host = c->follow_host;

		next = c->next;
		if (!c->follower || c->closing)
			continue;
		if (!all && !c->push_more &&
		    (n == 0 || bsearch(&host, hosts, n, sizeof(*hosts), compare_names) == NULL))
			continue;
		c->push_more = false;
		if (!push_to(s, c))
			client_close(s, c);
	}
	jit_store_changed_clear(s->b->store);
}

/* --- answers held for acks ----------------------------------------------------------- */

/* A held answer waiting for a decision: asked again when something was
 * decided; once decided (or at its deadline) it is sent, or waits on for
 * its grants' acks. Whether it is to be sent now. */
static bool decision_ready(struct server *s, struct client *c, int64_t now)
{
	bool decided = false;
	json_t *resp;

	if (s->b->decisions == c->await_seen && now < c->held_until_ms)
		return false;
	c->await_seen = s->b->decisions;
	resp = jit_broker_request_answer(s->b, c->await_peer, c->await_id, &decided);
	json_decref(c->held);
	c->held = resp;
	jit_apply_wait_free(c->wait);
	c->wait = jit_broker_take_wait(s->b);
	if (!decided && now < c->held_until_ms)
		return false;
	c->await_id = 0;
	free(c->await_peer);
	c->await_peer = NULL;
	if (c->wait == NULL)
		return true;
	c->held_until_ms = now + s->b->cfg->apply_timeout * 1000;
	return false;
}

static bool held_ready(struct server *s, struct client *c, int64_t now)
{
	if (c->await_id != 0)
		return decision_ready(s, c, now);
	return c->wait == NULL || jit_broker_wait_done(s->b, c->wait) || now >= c->held_until_ms;
}

/* Each held answer whose acks came, or whose apply_timeout passed, sent;
 * and those waiting for a decision that came. */
static void release_held(struct server *s)
{
	int64_t now = jit_monotonic_ms();
	struct client *c, *next;

	for (c = s->n_held > 0 ? s->clients : NULL; c != NULL; c = next) {
		next = c->next;
		if (c->held == NULL || c->closing || !held_ready(s, c, now))
			continue;
		if (c->wait != NULL)
			c->held = jit_broker_settle(s->b, c->held, c->wait);
		client_reply(c, c->held);
		c->held = NULL;
		s->n_held--;
		jit_apply_wait_free(c->wait);
		c->wait = NULL;
		if (!client_flush(c)) {
			client_close(s, c);
			continue;
		}
		/* Lines that came meanwhile, and the rest of the answer: a
		 * writable socket wakes the client for both. */
		client_watch(s, c, EPOLLIN | EPOLLOUT);
	}
}

/* How long epoll may sleep: until the first held answer is due (-1: no
 * answer is held). */
static int held_timeout_ms(const struct server *s)
{
	int64_t now, first = -1;

	if (s->n_held == 0)
		return -1;
	now = jit_monotonic_ms();
	for (const struct client *c = s->clients; c != NULL; c = c->next)
		if (c->held != NULL && (first < 0 || c->held_until_ms < first))
			first = c->held_until_ms;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

/* --- signals and the expiry timer ---------------------------------------------------- */

/* In a second, relative: for retries after the database failed. */
static void retry_expiry_soon(struct server *s)
{
	struct itimerspec its = { .it_value = { .tv_sec = 1 } };

	(void)timerfd_settime(s->timer.fd, 0, &its, NULL);
	s->timer_known = false;
}

static void set_expiry_timer(struct server *s, time_t when)
{
	struct itimerspec its = { .it_value = { .tv_sec = when } };

	(void)timerfd_settime(s->timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
	s->timer_at = when;
}

static void arm_expiry_timer(struct server *s)
{
	time_t when, noted;
	int rc;

	(void)jit_broker_take_timer_news(s->b, &noted);	/* all read now */
	rc = jit_broker_next_expiry(s->b, &when);
	if (rc < 0) {
		retry_expiry_soon(s);
		return;
	}
	set_expiry_timer(s, rc > 0 ? (when > 0 ? when : 1) : 0);
	s->timer_known = true;
}

/* After operations: grants alone only bring the timer forward, to their
 * earliest end or start (no query); anything else reads it anew. */
static void rearm_expiry_timer(struct server *s)
{
	time_t earliest;

	if (jit_broker_take_timer_news(s->b, &earliest) || !s->timer_known) {
		arm_expiry_timer(s);
		return;
	}
	if (earliest > 0 && (s->timer_at == 0 || earliest < s->timer_at))
		set_expiry_timer(s, earliest);
}

/* The second the timer fired in: time() reads a coarse clock that can still
 * say the second before, which would find nothing due and fire again. */
static time_t precise_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return time(NULL);
	return ts.tv_sec;
}

static void timer_event(struct server *s)
{
	uint64_t expirations;

	if (read(s->timer.fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_error("timerfd: %s", strerror(errno));
	/* Marking them failed: the grants are still due, so the timer would
	 * fire at once. Try again in a second; the kernel closes their
	 * windows on time meanwhile. */
	if (jit_broker_expire(s->b, precise_now()) != 0)
		retry_expiry_soon(s);
	else
		arm_expiry_timer(s);
}

/* A one-second timer for the chores: idle clients, and the broker's
 * metrics and notifications. */
static void arm_chores(struct server *s)
{
	struct itimerspec its = { .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } };

	(void)timerfd_settime(s->chores.fd, 0, &its, NULL);
}

static void close_idle_clients(struct server *s)
{
	int64_t now = jit_monotonic_ms();
	struct client *c = s->clients, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		/* A follower waits for changes: its silence is the rule. */
		if (c->follower || c->upstream || c->held != NULL ||
		    now - c->progress_ms < CLIENT_IDLE_MS)
			continue;
		log_info("client %s (uid %u, pid %d) idle for %d s: closed", c->peer.user,
			 (unsigned)c->peer.uid, (int)c->peer.pid, CLIENT_IDLE_MS / 1000);
		client_close(s, c);
	}
}

/* The link to the controller: dropped when it went silent (jit-relay then
 * dials again), else what is due sent (a heartbeat, each second; logins,
 * after each batch, with stale false). */
static void tend_upstream(struct server *s, bool check_stale)
{
	struct client *c = s->upstream;

	if (c == NULL || c->closing)
		return;
	if (check_stale && jit_upstream_stale(s->b, jit_monotonic_ms())) {
		log_error("the controller said nothing for %lld s; dropping the link",
			  (long long)(2 * s->b->cfg->controller.heartbeat));
		client_close(s, c);
		return;
	}
	upstream_send(c, s->b);
	if (!client_flush(c)) {
		client_close(s, c);
		return;
	}
	client_watch(s, c, c->out_len > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* Seconds between looks at every follower: a notification lost with a
 * connection to PostgreSQL costs at most this. */
#define CATCH_UP_INTERVAL 3

/* The store's descriptor for other controllers' news, watched: it is a new
 * one after a lost connection was made again (libpq closed the old). */
static void watch_database(struct server *s)
{
	unsigned long connection;
	int fd = jit_store_listen_fd(s->b->store, &connection);

	if (fd == s->database.fd && connection == s->database_connection)
		return;
	/* Gone already when libpq closed it; a new socket may have its number. */
	if (s->database.fd >= 0)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->database.fd, NULL);
	s->database.fd = fd;
	s->database_connection = connection;
	if (fd >= 0 && watch(s, &s->database, EPOLLIN) != 0)
		log_error("epoll: %s", strerror(errno));
}

/* Seconds between sweeps of the rate buckets the controllers share. */
#define RATES_FORGET_INTERVAL 60

/* Buckets full again forgotten, so the table holds only recent callers. */
static void forget_full_rates(struct server *s)
{
	const struct jit_rate_limit *lim = &s->b->cfg->rate_requests;
	jit_error err;

	if (++s->rates_kept < RATES_FORGET_INTERVAL)
		return;
	s->rates_kept = 0;
	if (jit_store_shares_rates(s->b->store) && lim->burst > 0 &&
	    jit_store_rates_forget(s->b->store, lim->period, &err) < 0)
		log_warn("rate limits: %s", err.msg);
}

static void chores_event(struct server *s)
{
	uint64_t expirations;

	if (read(s->chores.fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_error("timerfd: %s", strerror(errno));
	close_idle_clients(s);
	tend_upstream(s, true);
	for (struct client *c = s->clients; c != NULL; c = c->next)
		if (c->push_pending) {
			c->push_pending = false;
			c->push_more = s->push_more = true;
		}
	resume_listener(s);
	if (jit_broker_has_housekeeping(s->b))
		jit_broker_housekeeping(s->b);
	jit_store_tend(s->b->store);
	if (++s->catch_up >= CATCH_UP_INTERVAL) {
		s->catch_up = 0;
		jit_store_changes_catch_up(s->b->store);
	}
	forget_full_rates(s);
	/* What other controllers on the database made meanwhile (not while
	 * the timer retries a failed read: it reads again itself). */
	if (jit_store_is_shared(s->b->store) && s->timer_known)
		arm_expiry_timer(s);
	/* Free pages amid the heap back to the kernel: glibc gives back only
	 * its top, and libnftables' 2 MB buffer of every change, the plan's
	 * chunks and the store's blocks leave free pages between (some 3 MiB
	 * at 100,000 grants). */
	(void)malloc_trim(0);
}

static void arm_tick(struct server *s)
{
	struct itimerspec its = { .it_interval = { .tv_sec = (time_t)s->b->cfg->reconcile_interval },
				  .it_value = { .tv_sec = (time_t)s->b->cfg->reconcile_interval } };

	(void)timerfd_settime(s->tick.fd, 0, &its, NULL);
}

static void tick_event(struct server *s)
{
	uint64_t expirations;

	if (read(s->tick.fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_error("timerfd: %s", strerror(errno));
	jit_broker_tick(s->b);
}

static void signal_event(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->signals.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading");
			(void)jit_sd_notify("RELOADING=1");
			(void)jit_broker_reload(s->b);
			arm_expiry_timer(s);
			arm_tick(s);
			(void)jit_sd_notify("READY=1");
		} else {
			log_info("signal %u: shutting down", si.ssi_signo);
			(void)jit_sd_notify("STOPPING=1");
			s->stop = true;
		}
	}
}

static int open_signalfd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0)
		return -1;
	(void)signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* --- the loop ---------------------------------------------------------------------------- */

/* As many clients as the descriptor limit leaves room for, raising the soft
 * limit towards the hard one when it is lower than MAX_CLIENTS needs. */
static void size_capacity(struct server *s)
{
	struct rlimit rl;
	rlim_t want = MAX_CLIENTS + FD_RESERVE;

	s->capacity = MAX_CLIENTS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < want) {
			rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < want)
			s->capacity = rl.rlim_cur > FD_RESERVE + 16 ? (size_t)(rl.rlim_cur - FD_RESERVE) : 16;
	}
	s->reserved = s->capacity / 8 > 4 ? s->capacity / 8 : 4;
	if (s->capacity < MAX_CLIENTS)
		log_warn("the descriptor limit leaves room for %zu clients (LimitNOFILE=, ulimit -n)",
			 s->capacity);
}

static int server_setup(struct server *s)
{
	size_capacity(s);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->signals.kind = SRC_SIGNAL;
	s->signals.fd = open_signalfd();
	s->timer.kind = SRC_TIMER;
	s->timer.fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	s->tick.kind = SRC_TICK;
	s->tick.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->chores.kind = SRC_CHORES;
	s->chores.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->database.kind = SRC_DATABASE;
	s->database.fd = -1;
	if (s->epfd < 0 || s->signals.fd < 0 || s->timer.fd < 0 || s->tick.fd < 0 ||
	    s->chores.fd < 0 || watch(s, &s->listener, EPOLLIN) != 0 ||
	    watch(s, &s->signals, EPOLLIN) != 0 || watch(s, &s->timer, EPOLLIN) != 0 ||
	    watch(s, &s->tick, EPOLLIN) != 0 || watch(s, &s->chores, EPOLLIN) != 0) {
		log_error("setting up the event loop: %s", strerror(errno));
		return -1;
	}
	arm_expiry_timer(s);
	arm_tick(s);
	arm_chores(s);
	watch_database(s);
	return 0;
}

static void dispatch(struct server *s, struct source *src, uint32_t events)
{
	switch (src->kind) {
	case SRC_LISTENER:
		accept_clients(s);
		break;
	case SRC_SIGNAL:
		signal_event(s);
		break;
	case SRC_TIMER:
		timer_event(s);
		break;
	case SRC_TICK:
		tick_event(s);
		break;
	case SRC_CHORES:
		chores_event(s);
		break;
	case SRC_DATABASE:
		break;	/* read by push_changes(), after every batch of events */
	case SRC_CLIENT:
		client_event(s, (struct client *)src, events);
		break;
	case SRC_CLOSED:
		break;
	}
}

static void server_teardown(struct server *s)
{
	while (s->clients != NULL)
		client_close(s, s->clients);
	free_closed_clients(s);
	/* The socket path is a restart-only setting: still the one bound. */
	(void)unlink(s->b->cfg->socket);
	close(s->listener.fd);
	if (s->timer.fd >= 0)
		close(s->timer.fd);
	if (s->tick.fd >= 0)
		close(s->tick.fd);
	if (s->chores.fd >= 0)
		close(s->chores.fd);
	if (s->signals.fd >= 0)
		close(s->signals.fd);
	if (s->epfd >= 0)
		close(s->epfd);
}

int jit_server_run(struct jit_broker *b, int listen_fd)
{
	struct server s = { .b = b, .listener = { SRC_LISTENER, listen_fd } };
	struct epoll_event events[64];
	int rc = server_setup(&s);

	if (rc == 0) {
		log_info("jitd %s serving on %s (host %s, firewall %s)", PACKAGE_VERSION,
			 b->cfg->socket, b->cfg->host, jit_firewall_backend(b->fw));
		if (jit_sd_notify("READY=1") < 0)
			log_error("cannot tell the service manager that jitd is ready"
				  " ($NOTIFY_SOCKET)");
	}
	while (rc == 0 && !s.stop) {
		/* A follower with more to be sent: look again at once. */
		int n = epoll_wait(s.epfd, events, 64, s.push_more ? 0 : held_timeout_ms(&s));

		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			rc = -1;
		}
		for (int i = 0; i < n && !s.stop; i++)
			dispatch(&s, events[i].data.ptr, events[i].events);
		push_changes(&s);
		watch_database(&s);
		release_held(&s);
		if (jit_upstream_has_news(b))
			tend_upstream(&s, false);
		free_closed_clients(&s);
	}
	server_teardown(&s);
	return rc;
}
