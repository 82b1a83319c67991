/* SPDX-License-Identifier: ISC */
/* jitctl scan: which of this host's listening ports jit should guard. */
#include "config.h"

#include "jitctl.h"
#include "jitd_config.h"
#include "scan.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char scan_usage[] =
	"Usage: jitctl scan [--config FILE] [--json]\n"
	"  This host's listening TCP and UDP sockets, each marked: guarded (a policy\n"
	"  of FILE, default " JIT_DEFAULT_CONFIG ", guards its port here), unguarded (a\n"
	"  management port: 22, 3389, 5985, 5986, or one sshd or xrdp listens on,\n"
	"  open to everyone), or other. Run as root to name every socket's process.\n"
	"  Exit 0 when no management port is unguarded, 1 when one is (or the scan\n"
	"  failed).\n";

static json_t *listener_json(const struct jit_listener *l, enum jit_scan_mark mark)
{
	char addr[JIT_CIDR_STRLEN];

	jit_addr_format(&l->addr, addr, sizeof(addr));
	return json_pack("{s:s, s:i, s:s, s:s?, s:s}", "address", addr, "port", l->spec.port,
			 "proto", l->spec.proto == JIT_PROTO_TCP ? "tcp" : "udp",
			 "process", l->process[0] ? l->process : NULL, "mark", jit_scan_mark_name(mark));
}

static void print_row(const struct jit_listener *l, enum jit_scan_mark mark)
{
	char addr[JIT_CIDR_STRLEN], spec[JIT_PORTSPEC_STRLEN];

	jit_addr_format(&l->addr, addr, sizeof(addr));
	jit_portspec_format(&l->spec, spec, sizeof(spec));
	printf("%-10s %-40s %-15s %s\n", spec, addr, l->process[0] ? l->process : "-",
	       mark == JIT_SCAN_UNGUARDED ? "UNGUARDED: a management port open to everyone"
					  : jit_scan_mark_name(mark));
}

/* Prints every listener with its mark; the number unguarded. */
static size_t report(const struct jit_config *cfg, const struct jit_listener *l, size_t n,
		     bool json)
{
	json_t *list = json ? json_array() : NULL;
	size_t unguarded = 0;

	if (!json)
		printf("%-10s %-40s %-15s %s\n", "PORT", "ADDRESS", "PROCESS", "MARK");
	for (size_t i = 0; i < n; i++) {
		enum jit_scan_mark mark = jit_scan_classify(&l[i], cfg->guarded, cfg->n_guarded);

		unguarded += mark == JIT_SCAN_UNGUARDED;
		if (json)
			json_array_append_new(list, listener_json(&l[i], mark));
		else
			print_row(&l[i], mark);
	}
	if (json) {
		char *text = json_dumps(list, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (text != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(list);
	}
	return unguarded;
}

static int scan(const struct jit_config *cfg, bool json)
{
	struct jit_listener *l = calloc(JIT_SCAN_LISTENERS_MAX, sizeof(*l));
	size_t n = 0, unguarded;
	jit_error err;

	if (l == NULL) {
		jitctl_err("scan: out of memory");
		return JITCTL_FAILED;
	}
	if (jit_scan_listeners("/proc", l, JIT_SCAN_LISTENERS_MAX, &n, &err) != 0) {
		jitctl_err("scan: %s", err.msg);
		free(l);
		return JITCTL_FAILED;
	}
	jit_scan_owners("/proc", l, n);
	unguarded = report(cfg, l, n, json);
	free(l);
	if (unguarded > 0)
		fprintf(stderr, "jitctl scan: %zu listening socket%s on management ports open to"
				" everyone: guard %s with a policy\n", unguarded,
			unguarded == 1 ? "" : "s", unguarded == 1 ? "it" : "them");
	return unguarded > 0 ? JITCTL_FAILED : JITCTL_OK;
}

int jitctl_scan(int argc, char **argv)
{
	const char *config = NULL;
	bool json = false;
	const struct jit_client_opt defs[] = {
		{ "config", &config, NULL }, { "json", NULL, &json }, { NULL, NULL, NULL },
	};
	struct jit_config_errors errs;
	struct jit_config *cfg;
	int status = jit_client_parse_opts(JITCTL_STDIO, "scan", scan_usage, argc, argv, defs);

	if (status >= 0)
		return status;
	if (optind < argc)
		return jitctl_usage_error("scan", "unexpected argument '%s'", argv[optind]);
	if (config == NULL)
		config = JIT_DEFAULT_CONFIG;
	cfg = jit_config_load(config, &errs);
	if (cfg == NULL) {
		jit_config_errors_report(&errs, config, jit_config_errors_to_file, stderr);
		jitctl_err("scan: cannot read %s, which says what is guarded", config);
		return JITCTL_FAILED;
	}
	status = scan(cfg, json);
	jit_config_free(cfg);
	return status;
}
