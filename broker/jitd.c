/* jitd: the jit broker daemon. */
#include "config.h"

#include "jitd_config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_CONFIG "/etc/jit/jitd.conf"

static const char usage[] =
	"Usage: jitd [-c FILE] -t\n"
	"\n"
	"  -c FILE   configuration file (default " DEFAULT_CONFIG ")\n"
	"  -t        check the configuration and exit: 0 when valid, else 1 with\n"
	"            one FILE:LINE: reason line per error\n"
	"  -h        this help\n"
	"  -V        version\n"
	"\n"
	"This build checks configurations only; serving requests comes next.\n";

static int check_config(const char *path)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = jit_config_load(path, &errs);

	if (cfg != NULL) {
		jit_config_free(cfg);
		return 0;
	}
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (errs.dropped > 0)
		fprintf(stderr, "%s: %zu more errors not shown\n", path, errs.dropped);
	return 1;
}

int main(int argc, char **argv)
{
	const char *config = DEFAULT_CONFIG;
	int test_only = 0;
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, ":c:thV")) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("jitd %s\n", PACKAGE_VERSION);
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
	if (!test_only) {
		fprintf(stderr, "jitd: this build only checks configurations (-t); "
				"serving requests is not implemented yet\n");
		return 2;
	}
	return check_config(config);
}
