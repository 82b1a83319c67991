/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "daemon_opts.h"

#include <stdio.h>
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
