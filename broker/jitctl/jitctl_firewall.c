/* SPDX-License-Identifier: ISC */
/* jitctl firewall show | remove: what jit holds in the kernel. */
#include "config.h"

#include "firewall.h"
#include "jitctl.h"
#include "proto.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char firewall_usage[] =
	"Usage: jitctl firewall show [--config FILE] [--backend nftables|iptables]\n"
	"       jitctl firewall remove [--config FILE] [--backend nftables|iptables] [--force]\n"
	"  show: print the table, chains, sets and elements jit holds in the kernel.\n"
	"  remove: take them all away, leaving every other rule as it was (root).\n"
	"  The backend is the configuration's firewall = (default " JIT_DEFAULT_CONFIG ")\n"
	"  unless --backend names it. remove refuses while jitd answers on its\n"
	"  socket, since jitd would put its rules back: stop jitd first, or --force.\n";

struct fw_args {
	const char *config, *backend;
	bool force;
};

static int backend_kind(const char *name, enum jit_firewall_kind *kind)
{
	if (strcmp(name, "nftables") == 0)
		*kind = JIT_FW_NFTABLES;
	else if (strcmp(name, "iptables") == 0)
		*kind = JIT_FW_IPTABLES;
	else if (strcmp(name, "none") == 0)
		*kind = JIT_FW_NONE;
	else
		return -1;
	return 0;
}

/* The configuration named or the default one, or NULL with the reason printed. */
static struct jit_config *load(const char *path)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = jit_config_load(path, &errs);

	if (cfg == NULL) {
		jit_config_errors_report(&errs, path, jit_config_errors_to_file, stderr);
		fprintf(stderr, "jitctl firewall: cannot read the configuration; name the backend"
				" with --backend\n");
	}
	return cfg;
}

static bool jitd_answers(const char *socket_path)
{
	json_t *req = json_pack("{s:s}", "op", "ping"), *resp = NULL;
	jit_error err;
	bool up = jit_proto_call(socket_path, req, 2000, &resp, &err) == JIT_CALL_OK;

	json_decref(req);
	json_decref(resp);
	return up;
}

static int run(const char *action, struct jit_config *cfg)
{
	struct jit_firewall *fw;
	jit_error err;
	int rc;

	fw = jit_firewall_new(cfg, &err);
	if (fw == NULL) {
		fprintf(stderr, "jitctl firewall: %s\n", err.msg);
		return JITCTL_FAILED;
	}
	if (strcmp(action, "show") == 0) {
		rc = jit_firewall_show(fw, stdout, &err);
	} else {
		rc = jit_firewall_remove(fw, &err);
		if (rc >= 0)
			printf("%s\n", rc == 1 ? "jit holds nothing in the kernel: nothing to remove"
					       : "removed everything jit held in the kernel");
		rc = rc < 0 ? -1 : 0;
	}
	if (rc != 0)
		fprintf(stderr, "jitctl firewall %s: %s\n", action, err.msg);
	jit_firewall_free(fw);
	return rc == 0 ? JITCTL_OK : JITCTL_FAILED;
}

int jitctl_firewall(int argc, char **argv)
{
	struct fw_args a = { 0 };
	const struct jit_client_opt defs[] = {
		{ "config", &a.config, NULL }, { "backend", &a.backend, NULL },
		{ "force", NULL, &a.force }, { NULL, NULL, NULL },
	};
	struct jit_config *cfg, fallback;
	const char *action;
	int status;

	if (argc < 2 || (strcmp(argv[1], "show") != 0 && strcmp(argv[1], "remove") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(firewall_usage, stdout);
			return JITCTL_OK;
		}
		return jitctl_usage_error("firewall", "say show or remove");
	}
	action = argv[1];
	status = jit_client_parse_opts(JITCTL_STDIO, "firewall", firewall_usage, argc - 1, argv + 1,
				       defs);
	if (status >= 0)
		return status;
	if (optind < argc - 1)
		return jitctl_usage_error("firewall", "unexpected argument '%s'", argv[optind + 1]);
	memset(&fallback, 0, sizeof(fallback));
	if (a.backend != NULL && backend_kind(a.backend, &fallback.firewall) != 0)
		return jitctl_usage_error("firewall", "--backend: '%s' is not nftables, iptables"
					  " or none", a.backend);
	cfg = a.backend && !a.config ? NULL : load(a.config ? a.config : JIT_DEFAULT_CONFIG);
	if (cfg == NULL && (a.config || !a.backend))
		return JITCTL_FAILED;
	if (cfg != NULL && a.backend != NULL)
		cfg->firewall = fallback.firewall;
	if (strcmp(action, "remove") == 0 && !a.force && cfg != NULL && jitd_answers(cfg->socket)) {
		fprintf(stderr, "jitctl firewall remove: jitd answers on %s and would put its rules"
				" back; stop it first (or --force)\n", cfg->socket);
		jit_config_free(cfg);
		return JITCTL_FAILED;
	}
	status = run(action, cfg ? cfg : &fallback);
	jit_config_free(cfg);
	return status;
}
