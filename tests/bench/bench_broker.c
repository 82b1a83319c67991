/* SPDX-License-Identifier: ISC */
/* bench_broker: C clients, each on its own thread and connection, making
 * grant requests to jitd and checking every answer: the response is ok, the
 * ticket verifies under the broker's public key, names the expected user
 * and port, and no ticket id repeats. Prints throughput and latency.
 *
 *   bench_broker -s SOCKET -k PUBKEY -u USER [-c CLIENTS] [-n REQUESTS]
 *                [-d SECONDS] [-f SOURCES -H HOST] [-h HOSTS]
 *
 * -d is each grant's duration (default 600). -h asks a controller for its
 * hosts (a host id or @GROUP): every host's grant must then be applied (its
 * enforcer acked it) when the answer comes, and every ticket verify.
 *
 * With -f and -H each request asks for 22/tcp from the next address of the
 * file SOURCES, and its latency runs until a TCP connection from that
 * address to HOST port 22 is established: request -> port reachable.
 *
 * Exit status 0 when every request was answered correctly. */
#include "config.h"

#include "proto.h"
#include "ticket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REQUEST "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"%s\"," \
		"\"duration\":%d,\"justification\":\"bench\"%s}\n"
#define HOSTS_MAX 300
#define MAX_SOURCES 100000

struct shared {
	const char *socket;
	const char *user;
	struct jit_public_key key;
	int requests;
	int duration;
	char (*sources)[INET6_ADDRSTRLEN];	/* NULL: every request from 192.0.2.10 */
	size_t n_sources;
	const char *host;			/* with sources: probe HOST port 22 */
	char hosts[HOSTS_MAX];			/* "" or ,"hosts":["…"] */
};

struct worker {
	pthread_t thread;
	const struct shared *sh;
	double *latency_us;		/* one per request */
	size_t first_source;
	char (*jti)[JIT_JTI_LEN];
	int ok;
	char error[256];
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line into buf (NUL-terminated, without the newline). */
static int read_line(int fd, char *buf, size_t size, size_t *carry)
{
	size_t len = *carry;

	for (;;) {
		char *nl = memchr(buf, '\n', len);
		ssize_t n;

		if (nl != NULL) {
			size_t line = (size_t)(nl - buf);

			*nl = '\0';
			/* keep what follows for the next call */
			*carry = len - line - 1;
			return (int)line;
		}
		if (len + 1 >= size)
			return -1;
		n = recv(fd, buf + len, size - len - 1, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
}

/* One ticket: it verifies and says what was asked; its id kept when jti. */
static int check_ticket(struct worker *w, const char *ticket, int i, char *jti)
{
	struct jit_claims c;
	jit_error reason;

	if (ticket == NULL) {
		(void)snprintf(w->error, sizeof(w->error), "request %d: no ticket", i);
		return -1;
	}
	if (jit_ticket_open(ticket, strlen(ticket), &w->sh->key, 1, &c, &reason) != JIT_OK) {
		(void)snprintf(w->error, sizeof(w->error), "request %d: ticket: %.200s", i, reason.msg);
		return -1;
	}
	if (strcmp(c.sub, w->sh->user) != 0 || c.n_ports != 1 || c.ports[0].port != 22) {
		(void)snprintf(w->error, sizeof(w->error), "request %d: wrong claims", i);
		return -1;
	}
	if (jti != NULL)
		memcpy(jti, c.jti, JIT_JTI_LEN);
	return 0;
}

/* With -h: each host's grant applied by its enforcer, each ticket good. */
static int check_hosts(struct worker *w, json_t *grants, int i)
{
	size_t k;
	json_t *g;

	if (!json_is_array(grants) || json_array_size(grants) == 0) {
		(void)snprintf(w->error, sizeof(w->error), "request %d: no grants", i);
		return -1;
	}
	json_array_foreach(grants, k, g) {
		if (!json_is_true(json_object_get(g, "applied"))) {
			(void)snprintf(w->error, sizeof(w->error), "request %d: %s", i,
				       json_string_value(json_object_get(g, "pending")));
			return -1;
		}
		if (check_ticket(w, json_string_value(json_object_get(g, "ticket")), i,
				 k == 0 ? w->jti[i] : NULL) != 0)
			return -1;
	}
	return 0;
}

static int check_response(struct worker *w, const char *line, int i)
{
	json_t *resp = json_loads(line, 0, NULL);
	int rc = -1;

	if (!json_is_true(json_object_get(resp, "ok")))
		(void)snprintf(w->error, sizeof(w->error), "request %d: %.200s", i, line);
	else if (w->sh->hosts[0] != '\0')
		rc = check_hosts(w, json_object_get(resp, "grants"), i);
	else
		rc = check_ticket(w, json_string_value(json_object_get(resp, "ticket")), i, w->jti[i]);
	json_decref(resp);
	return rc;
}

static int sockaddr_of(const char *text, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*len = sizeof(*v4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, text, &v6->sin6_addr) != 1)
		return -1;
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(port);
	*len = sizeof(*v6);
	return AF_INET6;
}

/* A TCP connection from src to host port 22, within 1 s: 0 when established. */
static int reach(const char *src, const char *host)
{
	struct sockaddr_storage from, to;
	socklen_t from_len, to_len;
	int family = sockaddr_of(host, 22, &to, &to_len), fd, rc = -1;
	struct pollfd p;

	if (family < 0 || sockaddr_of(src, 0, &from, &from_len) != family)
		return -1;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&from, from_len) == 0 &&
	    (connect(fd, (struct sockaddr *)&to, to_len) == 0 || errno == EINPROGRESS)) {
		int err = 0;
		socklen_t len = sizeof(err);

		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, 1000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
		    err == 0)
			rc = 0;
	}
	close(fd);
	return rc;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	char *buf = malloc(JIT_PROTO_RESPONSE_MAX);
	size_t carry = 0;
	int fd = connect_to(w->sh->socket);

	if (fd < 0 || buf == NULL) {
		(void)snprintf(w->error, sizeof(w->error), "connect: %s", strerror(errno));
		free(buf);
		return NULL;
	}
	for (int i = 0; i < w->sh->requests; i++) {
		const char *src = w->sh->sources
					  ? w->sh->sources[(w->first_source + (size_t)i) % w->sh->n_sources]
					  : "192.0.2.10";
		char req[sizeof(REQUEST) + INET6_ADDRSTRLEN + HOSTS_MAX + 16];
		double t0 = now_us();
		int len;

		(void)snprintf(req, sizeof(req), REQUEST, src, w->sh->duration, w->sh->hosts);
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
		    (len = read_line(fd, buf, JIT_PROTO_RESPONSE_MAX, &carry)) < 0) {
			(void)snprintf(w->error, sizeof(w->error), "request %d: connection lost", i);
			break;
		}
		if (w->sh->host != NULL && check_response(w, buf, i) == 0 && reach(src, w->sh->host) != 0) {
			(void)snprintf(w->error, sizeof(w->error), "request %d: %s cannot reach %s:22",
				       i, src, w->sh->host);
			break;
		}
		w->latency_us[i] = now_us() - t0;
		if (w->error[0] != '\0' || (w->sh->host == NULL && check_response(w, buf, i) != 0))
			break;
		memmove(buf, buf + len + 1, carry);
		w->ok++;
	}
	close(fd);
	free(buf);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_jti(const void *a, const void *b)
{
	return strcmp(a, b);
}

static double percentile(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return sorted[i < n ? i : n - 1];
}

static int report(struct worker *w, int clients, int requests, double elapsed_us)
{
	size_t total = (size_t)clients * (size_t)requests, n = 0, dups = 0;
	double *all = malloc(total * sizeof(*all));
	char (*jtis)[JIT_JTI_LEN] = malloc(total * JIT_JTI_LEN);
	int failed = 0;

	if (all == NULL || jtis == NULL) {
		free(all);
		free(jtis);
		return 1;
	}
	for (int c = 0; c < clients; c++) {
		if (w[c].error[0] != '\0') {
			fprintf(stderr, "client %d: %s\n", c, w[c].error);
			failed = 1;
		}
		memcpy(all + n, w[c].latency_us, (size_t)w[c].ok * sizeof(*all));
		memcpy(jtis + n, w[c].jti, (size_t)w[c].ok * JIT_JTI_LEN);
		n += (size_t)w[c].ok;
	}
	qsort(jtis, n, JIT_JTI_LEN, cmp_jti);
	for (size_t i = 1; i < n; i++)
		dups += strcmp(jtis[i - 1], jtis[i]) == 0;
	qsort(all, n, sizeof(*all), cmp_double);
	printf("%d clients x %d requests: %zu answered correctly, %zu duplicate ticket ids\n",
	       clients, requests, n, dups);
	if (n > 0)
		printf("  %.0f grants/s   latency p50 %.2f ms   p99 %.2f ms   max %.2f ms\n",
		       (double)n / (elapsed_us / 1e6), percentile(all, n, 0.50) / 1e3,
		       percentile(all, n, 0.99) / 1e3, all[n - 1] / 1e3);
	free(all);
	free(jtis);
	return failed || n != total || dups != 0;
}

static int load_sources(const char *path, struct shared *sh)
{
	FILE *f = fopen(path, "r");
	char line[INET6_ADDRSTRLEN + 2];

	sh->sources = calloc(MAX_SOURCES, sizeof(*sh->sources));
	if (f == NULL || sh->sources == NULL) {
		fprintf(stderr, "bench_broker: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	while (sh->n_sources < MAX_SOURCES && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		(void)snprintf(sh->sources[sh->n_sources++], INET6_ADDRSTRLEN, "%.45s", line);
	}
	fclose(f);
	return sh->n_sources > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct shared sh = { .requests = 20, .duration = 600 };
	const char *pubkey = NULL, *sources_file = NULL;
	int clients = 50, opt, rc;
	struct worker *w;
	jit_error err;
	double t0;

	while ((opt = getopt(argc, argv, "s:k:u:c:n:d:f:H:h:")) != -1) {
		switch (opt) {
		case 'h':
			(void)snprintf(sh.hosts, sizeof(sh.hosts), ",\"hosts\":[\"%.256s\"]", optarg);
			break;
		case 'f': sources_file = optarg; break;
		case 'H': sh.host = optarg; break;
		case 's': sh.socket = optarg; break;
		case 'k': pubkey = optarg; break;
		case 'u': sh.user = optarg; break;
		case 'c': clients = atoi(optarg); break;
		case 'n': sh.requests = atoi(optarg); break;
		case 'd': sh.duration = atoi(optarg); break;
		default: return 2;
		}
	}
	if (sh.socket == NULL || pubkey == NULL || sh.user == NULL || clients < 1 ||
	    sh.requests < 1 || sh.duration < 1) {
		fprintf(stderr, "usage: bench_broker -s SOCKET -k PUBKEY -u USER [-c N] [-n N] [-d SECONDS]"
				" [-f SOURCES -H HOST] [-h HOSTS]\n");
		return 2;
	}
	if (jit_public_key_load(pubkey, &sh.key, &err) != 0) {
		fprintf(stderr, "bench_broker: %s\n", err.msg);
		return 2;
	}
	if (sources_file != NULL && load_sources(sources_file, &sh) != 0) {
		free(sh.sources);
		return 2;
	}
	w = calloc((size_t)clients, sizeof(*w));
	if (w == NULL) {
		free(sh.sources);
		return 1;
	}
	for (int c = 0; c < clients; c++) {
		w[c].sh = &sh;
		w[c].first_source = (size_t)c * (size_t)sh.requests;
		w[c].latency_us = calloc((size_t)sh.requests, sizeof(double));
		w[c].jti = calloc((size_t)sh.requests, JIT_JTI_LEN);
	}
	t0 = now_us();
	for (int c = 0; c < clients; c++)
		pthread_create(&w[c].thread, NULL, run_worker, &w[c]);
	for (int c = 0; c < clients; c++)
		pthread_join(w[c].thread, NULL);
	rc = report(w, clients, sh.requests, now_us() - t0);
	for (int c = 0; c < clients; c++) {
		free(w[c].latency_us);
		free(w[c].jti);
	}
	free(w);
	free(sh.sources);
	return rc;
}
