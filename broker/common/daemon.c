/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int jit_daemon_parse_opts(const char *name, const char *usage, int argc, char **argv,
			  struct jit_daemon_opts *o)
{
	int c;

	o->config = JIT_DEFAULT_CONFIG;
	opterr = 0;
	while ((c = getopt(argc, argv, ":c:dthV")) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'd': o->debug = true; break;
		case 't': o->test = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("%s %s\n", name, PACKAGE_VERSION); return 0;
		case ':':
			fprintf(stderr, "%s: option -%c needs a value\n%s", name, optopt, usage);
			return 2;
		default:
			fprintf(stderr, "%s: unknown option -%c\n%s", name, optopt, usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n%s", name, argv[optind], usage);
		return 2;
	}
	return -1;
}

struct jit_config *jit_daemon_load_config(const char *path)
{
	struct jit_config_errors errs;
	struct jit_config *cfg;

	memset(&errs, 0, sizeof(errs));
	cfg = jit_config_load(path, &errs);
	jit_config_errors_report(&errs, path, jit_config_errors_to_file, stderr);
	return cfg;
}

int jit_daemon_check_key_file(const char *what, const char *path, uid_t owner,
			      const char *owner_text)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s %s: %s (create it with ssh-keygen -t ed25519 -N '' -f %s)\n",
			what, path, strerror(errno), path);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != owner)) {
		fprintf(stderr, "%s %s: must be a file of mode 0600 or 0400, owned by root or %s\n",
			what, path, owner_text);
		return -1;
	}
	return 0;
}
