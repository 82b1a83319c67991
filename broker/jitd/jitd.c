/* SPDX-License-Identifier: ISC */
/* jitd: the jit broker daemon. */
#include "config.h"

#include "broker.h"
#include "fault.h"
#include "jitd_config.h"
#include "log.h"
#include "server.h"

#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: jitd [-c FILE] [-f] [-d]\n"
	"       jitd [-c FILE] -t\n"
	"\n"
	"  -c FILE   configuration file (default " JIT_DEFAULT_CONFIG ")\n"
	"  -t        check the configuration and the signing key and exit: 0 when\n"
	"            valid, else 1 with one FILE:LINE: reason line per error\n"
	"  -f        stay in the foreground (log to syslog)\n"
	"  -d        debug: stay in the foreground and log to stderr, debug lines too\n"
	"  -h        this help\n"
	"  -V        version\n"
	"\n"
	"Signals: SIGHUP reloads the configuration and key (a bad file is refused and\n"
	"the running configuration stays); SIGTERM and SIGINT stop jitd.\n";

struct options {
	const char *config;
	bool test_only, foreground, debug;
};

/* Groups a role names that the system does not have: nobody holds the
 * role through them, which is most likely a typo. */
static void warn_missing_groups(const char *path, const struct jit_config *cfg)
{
	for (size_t r = 0; r < cfg->n_roles; r++) {
		const struct jit_role *role = &cfg->roles[r];

		for (size_t i = 0; i < role->groups.n; i++) {
			char buf[16384];
			struct group gr, *res = NULL;

			if (getgrnam_r(role->groups.items[i], &gr, buf, sizeof(buf), &res) == 0 &&
			    res != NULL)
				continue;
			fprintf(stderr, "%s:%u: warning: [role %s]: no group named '%s' on this"
				" system\n", path, role->line, role->name, role->groups.items[i]);
		}
	}
}

/* The signing key as jitd will read it at start: there, readable by this
 * user, mode 0600, owned by root or this user, a k4.secret PASERK; an
 * enforcer's public key, a k4.public PASERK. */
static int check_key(const struct jit_config *cfg)
{
	struct jit_secret_key key;
	struct jit_public_key pub;
	jit_error err;

	if (cfg->enforcer && jit_public_key_load(cfg->pubkey, &pub, &err) != 0) {
		fprintf(stderr, "pubkey: %s\n", err.msg);
		return -1;
	}
	if (cfg->enforcer)
		return 0;
	if (jit_secret_key_load(cfg->key, &key, &err) != 0) {
		fprintf(stderr, "key: %s\n", err.msg);
		return -1;
	}
	jit_secret_key_wipe(&key);
	return 0;
}

static int check_config(const char *path)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = jit_config_load(path, &errs);

	jit_config_errors_report(&errs, path, jit_config_errors_to_file, stderr);
	if (cfg != NULL) {
		int rc;

		warn_missing_groups(path, cfg);
		rc = check_key(cfg);
		jit_config_free(cfg);
		return rc == 0 ? 0 : 1;
	}
	return 1;
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, ":c:tfdhV")) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 't': o->test_only = true; break;
		case 'f': o->foreground = true; break;
		case 'd': o->debug = o->foreground = true; break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("jitd %s%s\n", PACKAGE_VERSION,
			       JIT_FAULT_BUILD ? " (with fault injection, for tests only)" : "");
			return 0;
		case ':':
			fprintf(stderr, "jitd: option -%c needs a value\n%s", optopt, usage);
			return 2;
		default:
			fprintf(stderr, "jitd: unknown option -%c\n%s", optopt, usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jitd: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	return -1;
}

/* Detaches once the socket listens, so that "jitd && jitctl ..." works. */
static int daemonize(void)
{
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0 || chdir("/") != 0)
		return -1;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -1;
	(void)dup2(null, STDIN_FILENO);
	(void)dup2(null, STDOUT_FILENO);
	(void)dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	return 0;
}

static int serve(const struct options *o)
{
	struct jit_broker b;
	jit_error err;
	int fd, rc;

	jit_log_init("jitd", o->debug, o->debug);
	if (JIT_FAULT_BUILD)
		log_warn("built with --enable-fault-injection: for tests only, never deploy this"
			 " build (JIT_FAULTS makes its database and firewall calls fail)");
	if (sodium_init() < 0) {
		log_fatal("cannot initialise libsodium");
		return 1;
	}
	if (jit_broker_start(&b, o->config, &err) != 0) {
		log_fatal("%s", err.msg);
		if (!o->debug)
			fprintf(stderr, "jitd: fatal: %s\n", err.msg);
		jit_broker_stop(&b);
		return 1;
	}
	fd = jit_server_listen(b.cfg, &err);
	if (fd < 0) {
		log_fatal("%s", err.msg);
		if (!o->debug)
			fprintf(stderr, "jitd: fatal: %s\n", err.msg);
		jit_broker_stop(&b);
		return 1;
	}
	if (!o->foreground && daemonize() != 0) {
		log_fatal("cannot detach from the terminal");
		close(fd);
		jit_broker_stop(&b);
		return 1;
	}
	if (jit_store_checkpoint_start(b.store, &err) != 0)
		log_warn("%s; SQLite checkpoints after a commit instead", err.msg);
	rc = jit_server_run(&b, fd);
	jit_broker_stop(&b);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct options o = { .config = JIT_DEFAULT_CONFIG };
	int rc = parse_options(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (o.test_only)
		return check_config(o.config);
	return serve(&o);
}
