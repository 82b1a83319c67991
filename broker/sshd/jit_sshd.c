/* SPDX-License-Identifier: ISC */
/* jit-sshd: the SSH front door. Remote sysadmins authenticate with a public
 * key listed in the authorized keys, which names the identity it stands
 * for, and send one jitctl command (request, list, revoke, status); jit-sshd
 * forwards it to jitd's socket for that identity, with the key's fingerprint
 * and the address it saw. It holds no signing key and no capability: run as
 * its own user ([sshd] user), the only one jitd lets speak for remote users.
 * One process per connection, as libssh's own forking server does. */
#include "config.h"

#include "authkeys.h"
#include "daemon.h"
#include "jitd_config.h"
#include "log.h"
#include "sdnotify.h"
#include "sshd_session.h"
#include "sshd_startups.h"

#include <errno.h>
#include <grp.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static const char usage[] =
	"Usage: jit-sshd [-c FILE] [-d]\n"
	"       jit-sshd [-c FILE] -t\n"
	"  -c FILE   configuration file (default " JIT_DEFAULT_CONFIG "), section [sshd]\n"
	"  -d        log to stderr, debug lines too\n"
	"  -t        check the configuration, the host key and the authorized keys, and exit\n"
	"  -h        this help;  -V  the version\n"
	"jit-sshd stays in the foreground and logs to syslog.\n";


struct listeners {
	ssh_bind binds[JIT_SSHD_LISTEN_MAX];
	size_t n;
};

/* --- checks before serving ----------------------------------------------------------- */

static struct jit_config *load_config(const char *path)
{
	struct jit_config *cfg = jit_daemon_load_config(path);

	if (cfg != NULL && (cfg->sshd.user[0] == '\0' || cfg->sshd.n_listen == 0)) {
		fprintf(stderr, "%s: jit-sshd needs an [sshd] section with user and listen\n", path);
		jit_config_free(cfg);
		cfg = NULL;
	}
	return cfg;
}

/* The host key is a secret: root's, ours or [sshd] user's, and no one
 * else's to read. */
static int check_host_key(const char *path, const char *user)
{
	struct passwd *pw = getpwnam(user);

	return jit_daemon_check_key_file("host_key", path, pw != NULL ? pw->pw_uid : (uid_t)-1,
					 user);
}

static int check_authorized_keys(const char *path)
{
	struct jit_config_errors errs;
	struct jit_authkeys keys;

	memset(&errs, 0, sizeof(errs));
	if (jit_authkeys_load(path, &keys, &errs) != 0) {
		jit_config_errors_report(&errs, path, jit_config_errors_to_file, stderr);
		return -1;
	}
	jit_authkeys_free(&keys);
	return 0;
}

/* --- listening ------------------------------------------------------------------------- */

static ssh_bind bind_one(const struct jit_config *cfg, const struct jit_listen *l)
{
	ssh_bind b = ssh_bind_new();
	char addr[JIT_CIDR_STRLEN];
	int port = (int)l->port;
	bool no = false;

	jit_addr_format(&l->addr, addr, sizeof(addr));
	if (b == NULL)
		return NULL;
	/* Else libssh would also read /etc/ssh/libssh_server_config. */
	if (ssh_bind_options_set(b, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) != SSH_OK ||
	    ssh_bind_options_set(b, SSH_BIND_OPTIONS_BINDADDR, addr) != SSH_OK ||
	    ssh_bind_options_set(b, SSH_BIND_OPTIONS_BINDPORT, &port) != SSH_OK ||
	    ssh_bind_options_set(b, SSH_BIND_OPTIONS_HOSTKEY, cfg->sshd.host_key) != SSH_OK ||
	    ssh_bind_listen(b) != SSH_OK) {
		log_error("listen %s%s%s:%u: %s", l->addr.family == AF_INET6 ? "[" : "", addr,
			  l->addr.family == AF_INET6 ? "]" : "", l->port, ssh_get_error(b));
		ssh_bind_free(b);
		return NULL;
	}
	log_info("listening on %s%s%s:%u", l->addr.family == AF_INET6 ? "[" : "", addr,
		 l->addr.family == AF_INET6 ? "]" : "", l->port);
	return b;
}

static int listen_all(const struct jit_config *cfg, struct listeners *ls)
{
	for (ls->n = 0; ls->n < cfg->sshd.n_listen; ls->n++) {
		ls->binds[ls->n] = bind_one(cfg, &cfg->sshd.listen[ls->n]);
		if (ls->binds[ls->n] == NULL)
			return -1;
	}
	return 0;
}

static void close_all(struct listeners *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		ssh_bind_free(ls->binds[i]);
	ls->n = 0;
}

/* Started as root (to bind a low port): become [sshd] user for good. */
static int drop_root(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL || pw->pw_uid == 0) {
		log_error("[sshd] user '%s' %s", user, pw ? "must not be root" : "does not exist");
		return -1;
	}
	if (initgroups(user, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
		log_error("cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	log_info("running as %s", user);
	return 0;
}

/* --- serving -------------------------------------------------------------------------- */

static int signals_fd(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, set, NULL) != 0)
		return -1;
	return signalfd(-1, set, SFD_CLOEXEC);
}

static void serve_child(ssh_session session, struct listeners *ls, int sfd,
			const struct jit_config *cfg)
{
	sigset_t none;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	close(sfd);
	close_all(ls);
	jit_sshd_serve(session, cfg);
	ssh_disconnect(session);
	ssh_free(session);
}

/* At most one line a second about dropped connections, then a count. */
static void log_drop(struct jit_log_limit *limit, const struct jit_startups *ch,
		     const struct jit_addr *from, const char *why)
{
	unsigned long dropped;
	bool allowed = jit_log_limit_allow(limit, 1, 1000, &dropped);
	char addr[JIT_CIDR_STRLEN];

	if (dropped > 0)
		log_info("%lu more dropped connections not logged", dropped);
	if (!allowed)
		return;
	jit_addr_format(from, addr, sizeof(addr));
	log_info("connection from %s dropped: %s (%d served)", addr, why, ch->n);
}

/* Accepts one connection on b and hands it to a process of its own. */
static void accept_one(ssh_bind b, struct listeners *ls, int sfd, const struct jit_config *cfg,
		       struct jit_startups *ch, struct jit_log_limit *drops)
{
	ssh_session session = ssh_new();
	struct jit_addr from;
	const char *why;
	pid_t pid;

	if (session == NULL)
		return;
	if (ssh_bind_accept(b, session) != SSH_OK) {
		log_error("accept: %s", ssh_get_error(b));
		ssh_free(session);
		return;
	}
	if (jit_sshd_peer(session, &from) != 0) {
		ssh_free(session);
		return;
	}
	why = jit_startups_refusal(ch, &from, &cfg->sshd, random() % 100);
	if (why != NULL) {
		log_drop(drops, ch, &from, why);
		ssh_free(session);
		return;
	}
	pid = fork();
	if (pid == 0) {
		serve_child(session, ls, sfd, cfg);
		jit_config_free((struct jit_config *)cfg);
		ssh_finalize();
		_exit(0);
	}
	if (pid < 0)
		log_error("fork: %s", strerror(errno));
	else
		jit_startups_add(ch, pid, &from);
	/* The child has the connection now; this copy only closes its socket. */
	ssh_free(session);
}

static void reap(struct jit_startups *ch)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		jit_startups_remove(ch, pid);
}

/* Returns at SIGTERM or SIGINT. */
static int serve(struct listeners *ls, int sfd, const struct jit_config *cfg)
{
	struct pollfd fds[JIT_SSHD_LISTEN_MAX + 1];
	static struct jit_startups children;
	struct jit_log_limit drops = { 0 };

	for (size_t i = 0; i < ls->n; i++)
		fds[i] = (struct pollfd){ .fd = ssh_bind_get_fd(ls->binds[i]), .events = POLLIN };
	fds[ls->n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (jit_sd_notify("READY=1") < 0)
		log_error("cannot tell the service manager that jit-sshd is ready ($NOTIFY_SOCKET)");
	for (;;) {
		if (poll(fds, ls->n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		if (fds[ls->n].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(&children);
				else if (si.ssi_signo == SIGHUP)
					log_info("SIGHUP: the authorized keys are read at each connection;"
						 " other changes need a restart");
				else {
					log_info("stopping on signal %u", si.ssi_signo);
					(void)jit_sd_notify("STOPPING=1");
					return 0;
				}
			}
		}
		for (size_t i = 0; i < ls->n; i++)
			if (fds[i].revents & POLLIN)
				accept_one(ls->binds[i], ls, sfd, cfg, &children, &drops);
	}
}

int main(int argc, char **argv)
{
	struct jit_daemon_opts o = { NULL, false, false };
	struct listeners ls = { .n = 0 };
	struct jit_config *cfg;
	sigset_t set;
	int rc = jit_daemon_parse_opts("jit-sshd", usage, argc, argv, &o), sfd;

	if (rc >= 0)
		return rc;
	cfg = load_config(o.config);
	if (cfg == NULL || check_host_key(cfg->sshd.host_key, cfg->sshd.user) != 0 ||
	    check_authorized_keys(cfg->sshd.authorized_keys) != 0) {
		jit_config_free(cfg);
		return 1;
	}
	if (o.test) {
		jit_config_free(cfg);
		return 0;
	}
	jit_log_init("jit-sshd", o.debug, o.debug);
	rc = 1;
	if (ssh_init() != SSH_OK) {
		log_error("libssh could not start");
	} else if ((sfd = signals_fd(&set)) < 0) {
		log_error("signals: %s", strerror(errno));
	} else {
		if (listen_all(cfg, &ls) == 0 && drop_root(cfg->sshd.user) == 0)
			rc = serve(&ls, sfd, cfg);
		close(sfd);
	}
	close_all(&ls);
	jit_config_free(cfg);
	ssh_finalize();
	return rc;
}
