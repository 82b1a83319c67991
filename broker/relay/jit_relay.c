/* SPDX-License-Identifier: ISC */
/* jit-relay: an enforcer's way out to its controller. It holds this host's
 * SSH key ([controller] identity) and nothing else: no capability, no
 * signing key, no say over the firewall. It dials the controller's
 * jit-sshd ([controller] address, each in turn), runs `follow` there, and
 * connects to the local jitd, which takes the connection as its link
 * (op upstream) and speaks the fleet's protocol through it; jit-relay only
 * copies bytes both ways. When either end goes away it dials again, after
 * a wait that doubles up to [controller] reconnect_max, with jitter. */
#include "config.h"

#include "daemon.h"
#include "jitd_config.h"
#include "log.h"
#include "proto.h"
#include "sdnotify.h"
#include "sshlink.h"

#include <errno.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JITD_TIMEOUT_MS 10000
#define ANSWER_MAX 4096

static const char usage[] =
	"Usage: jit-relay [-c FILE] [-d]\n"
	"       jit-relay [-c FILE] -t\n"
	"  -c FILE   configuration file (default " JIT_DEFAULT_CONFIG "), section [controller]\n"
	"  -d        log to stderr, debug lines too\n"
	"  -t        check the configuration and the identity, and exit\n"
	"  -h        this help;  -V  the version\n"
	"jit-relay stays in the foreground and logs to syslog.\n";


static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* --- checks ----------------------------------------------------------------------- */

static struct jit_config *load_config(const char *path)
{
	struct jit_config *cfg = jit_daemon_load_config(path);

	if (cfg != NULL && !cfg->enforcer) {
		fprintf(stderr, "%s: jit-relay needs a [controller] section (this jitd is no"
			" enforcer)\n", path);
		jit_config_free(cfg);
		cfg = NULL;
	}
	return cfg;
}

/* The host's key is a secret: a regular file no one else may read. */
static int check_identity(const char *path)
{
	if (jit_daemon_check_key_file("identity", path, (uid_t)-1,
				      "the user jit-relay runs as") != 0)
		return -1;
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "identity %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* --- one link ----------------------------------------------------------------------- */

/* jitd's answer to upstream, a byte at a time: what follows it is the
 * controller's to read. */
static int read_answer(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, JITD_TIMEOUT_MS) != 1)
			return -1;
		r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

/* A connection to jitd that it took as its link; -1 having logged why not. */
static int link_jitd(const struct jit_config *cfg)
{
	static const char hello[] = "{\"v\":1,\"op\":\"upstream\"}\n";
	char answer[ANSWER_MAX];
	jit_error err;
	json_t *resp;
	int fd = jit_proto_connect(cfg->socket, JITD_TIMEOUT_MS, &err);
	bool ok;

	if (fd < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	if (write(fd, hello, sizeof(hello) - 1) != (ssize_t)(sizeof(hello) - 1) ||
	    read_answer(fd, answer, sizeof(answer)) != 0) {
		log_error("jitd at %s did not answer", cfg->socket);
		close(fd);
		return -1;
	}
	resp = json_loads(answer, 0, NULL);
	ok = json_is_true(json_object_get(resp, "ok"));
	if (!ok) {
		const char *reason = json_string_value(json_object_get(resp, "reason"));

		log_error("jitd refused the link: %s", reason ? reason : answer);
	}
	json_decref(resp);
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One link through the controller at a: how many seconds it lasted, or
 * -1 when it could not be made. */
static int64_t relay_once(const struct jit_config *cfg, const struct jit_controller_address *a)
{
	struct jit_ssh_target t = { .port = a->port, .identity = cfg->controller.identity,
				    .known_hosts = cfg->controller.known_hosts[0] ?
						   cfg->controller.known_hosts : NULL };
	ssh_session s;
	ssh_channel ch = NULL;
	jit_error err;
	time_t started = 0;
	int fd = -1;

	(void)snprintf(t.user, sizeof(t.user), "%s", a->user);
	(void)snprintf(t.host, sizeof(t.host), "%s", a->host);
	s = jit_ssh_connect(&t, &err);
	if (s == NULL) {
		log_error("%s", err.msg);
		return -1;
	}
	ch = jit_ssh_exec(s, "follow", &err);
	if (ch == NULL)
		log_error("%s: cannot run follow: %s", a->host, err.msg);
	else
		fd = link_jitd(cfg);
	if (fd >= 0) {
		struct jit_pump pump = { .session = s, .channel = ch, .fd = fd, .stop = &stopping };

		started = time(NULL);
		log_info("linked jitd to the controller at %s port %u", a->host, a->port);
		if (jit_pump_run(&pump, &err) != 0)
			log_info("the link through %s ended: %s", a->host, err.msg);
		else
			log_info("the link through %s ended", a->host);
		close(fd);
	}
	jit_ssh_channel_close(ch);
	jit_ssh_close(s);
	return fd >= 0 ? time(NULL) - started : -1;
}

/* --- waiting ------------------------------------------------------------------------ */

/* Milliseconds before attempt n (0, 1, ...): 1 s doubling up to max_s,
 * then a random part of it from a half to the whole, so that hosts cut off
 * together do not come back together. */
static int64_t backoff_ms(unsigned n, int64_t max_s)
{
	int64_t ms = 1000;
	uint32_t r = 0;

	for (unsigned i = 0; i < n && ms < max_s * 1000; i++)
		ms *= 2;
	if (ms > max_s * 1000)
		ms = max_s * 1000;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid();
	return ms / 2 + (int64_t)(r % (uint32_t)(ms / 2 + 1));
}

static void wait_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	/* SIGTERM cuts it short. */
	(void)nanosleep(&ts, NULL);
}

/* A link that lasted this long was a good one: the waits start over. */
#define GOOD_LINK_S 10

static void relay(const struct jit_config *cfg)
{
	unsigned failures = 0;

	if (jit_sd_notify("READY=1") < 0)
		log_error("cannot tell the service manager that jit-relay is ready ($NOTIFY_SOCKET)");
	while (!stopping) {
		int64_t lasted = -1;

		for (size_t i = 0; i < cfg->controller.n_address && !stopping && lasted < 0; i++)
			lasted = relay_once(cfg, &cfg->controller.address[i]);
		failures = lasted >= GOOD_LINK_S ? 0 : failures + 1;
		if (!stopping)
			wait_ms(backoff_ms(failures, cfg->controller.reconnect_max));
	}
	(void)jit_sd_notify("STOPPING=1");
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct jit_daemon_opts o = { NULL, false, false };
	struct jit_config *cfg;
	int rc = jit_daemon_parse_opts("jit-relay", usage, argc, argv, &o);

	if (rc >= 0)
		return rc;
	cfg = load_config(o.config);
	if (cfg == NULL || check_identity(cfg->controller.identity) != 0) {
		jit_config_free(cfg);
		return 1;
	}
	if (o.test) {
		jit_config_free(cfg);
		return 0;
	}
	jit_log_init("jit-relay", o.debug, o.debug);
	catch_signals();
	rc = 1;
	if (ssh_init() != SSH_OK) {
		log_error("libssh could not start");
	} else {
		relay(cfg);
		rc = 0;
	}
	log_info("stopping");
	jit_config_free(cfg);
	ssh_finalize();
	return rc;
}
