/* SPDX-License-Identifier: ISC */
/* policies: what the caller may ask for, for jitctl and jit-sshd; explain:
 * how a user's request would be decided, and where the configuration
 * decides it. */
#include "config.h"

#include "client_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char policies_usage[] =
	"Usage: jitctl policies [--json] [--socket PATH]\n"
	"  The policies your roles allow: ports, hosts, sources, the longest window,\n"
	"  the logins a window allows and whether its sessions are cut, and whether\n"
	"  a justification or approvals are needed. uid 0 sees every policy.\n";
static const char explain_usage[] =
	"Usage: jitctl explain --user USER --port PORT/PROTO[,...] --from ADDR|CIDR\n"
	"                      [--host HOST] [--duration DURATION] [--justification TEXT]\n"
	"                      [--json] [--socket PATH]\n"
	"  How jitd would decide USER's request (uid 0 and audit roles), nothing\n"
	"  granted: the decision, and the FILE:LINE of the role and policies that\n"
	"  make it (denied: of those it considered). Exit 0 granted, 1 denied.\n";

/* "justification, 2 approvals (role:leads), break-glass", or "-". */
static void needs_text(json_t *p, char *buf, size_t size)
{
	json_int_t approvals = json_integer_value(json_object_get(p, "approvals"));
	size_t len;

	buf[0] = '\0';
	if (json_is_true(json_object_get(p, "justification")))
		(void)snprintf(buf, size, "justification");
	len = strlen(buf);
	if (approvals > 0) {
		char approvers[256];

		jit_client_joined(json_object_get(p, "approvers"), approvers, sizeof(approvers));
		(void)snprintf(buf + len, size - len, "%s%lld approval%s (%s)", len ? ", " : "",
			       (long long)approvals, approvals == 1 ? "" : "s", approvers);
		len += strlen(buf + len);
	}
	if (json_is_true(json_object_get(p, "break_glass")))
		(void)snprintf(buf + len, size - len, "%sbreak-glass", len ? ", " : "");
	if (buf[0] == '\0')
		(void)snprintf(buf, size, "-");
}

static bool terminates(json_t *p, const char *key)
{
	const char *v = json_string_value(json_object_get(p, key));

	return v != NULL && strcmp(v, "terminate") == 0;
}

/* "1 login, sessions cut on revoke and at the end", or "-". */
static void limits_text(json_t *p, char *buf, size_t size)
{
	json_int_t logins = json_integer_value(json_object_get(p, "max_logins"));
	bool on_revoke = terminates(p, "on_revoke"), on_expiry = terminates(p, "on_expiry");
	size_t len;

	buf[0] = '\0';
	if (logins > 0)
		(void)snprintf(buf, size, "%lld login%s", (long long)logins, logins == 1 ? "" : "s");
	len = strlen(buf);
	if (on_revoke || on_expiry)
		(void)snprintf(buf + len, size - len, "%ssessions cut %s", len ? ", " : "",
			       on_revoke && on_expiry ? "on revoke and at the end"
			       : on_revoke ? "on revoke" : "at the end");
	if (buf[0] == '\0')
		(void)snprintf(buf, size, "-");
}

enum { COL_NAME, COL_ROLES, COL_PORTS, COL_HOSTS, COL_SOURCES, COL_MAX, COL_LIMITS, COL_NEEDS,
       COLS };

struct policy_row {
	char col[COLS][512];
};

static void policy_row(json_t *p, struct policy_row *r)
{
	(void)jit_client_field(p, "name", r->col[COL_NAME], sizeof(r->col[COL_NAME]));
	jit_client_joined(json_object_get(p, "roles"), r->col[COL_ROLES], sizeof(r->col[0]));
	if (r->col[COL_ROLES][0] == '\0')
		(void)snprintf(r->col[COL_ROLES], sizeof(r->col[0]), "-");
	jit_client_joined(json_object_get(p, "ports"), r->col[COL_PORTS], sizeof(r->col[0]));
	jit_client_joined(json_object_get(p, "hosts"), r->col[COL_HOSTS], sizeof(r->col[0]));
	jit_client_joined(json_object_get(p, "sources"), r->col[COL_SOURCES], sizeof(r->col[0]));
	jit_client_duration_text(json_integer_value(json_object_get(p, "max_duration")),
				 r->col[COL_MAX], sizeof(r->col[0]));
	limits_text(p, r->col[COL_LIMITS], sizeof(r->col[0]));
	needs_text(p, r->col[COL_NEEDS], sizeof(r->col[0]));
}

/* A header line and a line per policy, each column as wide as its widest. */
static void print_table(FILE *out, json_t *list)
{
	static const struct policy_row head = { { "POLICY", "ROLES", "PORTS", "HOSTS", "SOURCES",
						  "MAX", "LIMITS", "NEEDS" } };
	size_t n = json_array_size(list);
	struct policy_row *rows = calloc(n + 1, sizeof(*rows));
	int w[COLS] = { 0 };

	if (rows == NULL)
		return;
	rows[0] = head;
	for (size_t i = 0; i < n; i++)
		policy_row(json_array_get(list, i), &rows[i + 1]);
	for (size_t i = 0; i <= n; i++)
		for (int c = 0; c < COLS; c++)
			if ((int)strlen(rows[i].col[c]) > w[c])
				w[c] = (int)strlen(rows[i].col[c]);
	for (size_t i = 0; i <= n; i++) {
		for (int c = 0; c < COL_NEEDS; c++)
			fprintf(out, "%-*s  ", w[c], rows[i].col[c]);
		fprintf(out, "%s\n", rows[i].col[COL_NEEDS]);
	}
	free(rows);
}

static void print_policies(FILE *out, json_t *resp)
{
	json_t *list = json_object_get(resp, "policies");
	char user[256];

	(void)jit_client_field(resp, "user", user, sizeof(user));
	if (json_is_true(json_object_get(resp, "unrestricted")))
		fprintf(out, "%s (uid 0) may ask for any port these policies guard, from any source,"
			" for as long as the firewall can time, with no approvals\n", user);
	if (json_array_size(list) == 0)
		fprintf(out, "%s may ask for nothing: no role of theirs names a policy\n", user);
	else
		print_table(out, list);
}

/* --- explain ------------------------------------------------------------------------------------- */

/* "  role admins   /etc/jit/jitd.conf:40" and a line per policy. */
static void print_places(FILE *out, json_t *resp, bool granted)
{
	json_t *roles = json_object_get(resp, "roles"), *role = json_object_get(resp, "role"), *o;
	char name[256], at[512], port[64];
	size_t i;

	json_array_foreach(roles, i, o) {
		(void)jit_client_field(o, "name", name, sizeof(name));
		(void)jit_client_field(o, "at", at, sizeof(at));
		fprintf(out, "  role %-16s %s%s\n", name, at,
			granted && json_equal(o, role) ? "  (grants it)" : "");
	}
	json_array_foreach(json_object_get(resp, "policies"), i, o) {
		(void)jit_client_field(o, "name", name, sizeof(name));
		(void)jit_client_field(o, "at", at, sizeof(at));
		(void)jit_client_field(o, "port", port, sizeof(port));
		fprintf(out, "  policy %-14s %s  %s%s\n", name, at, port,
			granted ? "" : " (considered)");
	}
}

/* "granted to alice for 1h00m, once 2 approvals are given". */
static void print_granted(FILE *out, json_t *resp, const char *user)
{
	json_int_t approvals = json_integer_value(json_object_get(resp, "approvals"));
	char duration[32];

	jit_client_duration_text(json_integer_value(json_object_get(resp, "duration")), duration,
				 sizeof(duration));
	fprintf(out, "granted to %s for %s", user, duration);
	if (approvals > 0)
		fprintf(out, ", once %lld approval%s given", (long long)approvals,
			approvals == 1 ? " is" : "s are");
	fputc('\n', out);
}

/* "denied to alice (source_not_allowed): source ... ". */
static void print_denied(FILE *out, json_t *resp, const char *user)
{
	char code[64], reason[512];

	fprintf(out, "denied to %s (%s): %s\n", user,
		jit_client_field(resp, "code", code, sizeof(code)),
		jit_client_field(resp, "reason", reason, sizeof(reason)));
}

static void print_explanation(FILE *out, json_t *resp)
{
	bool granted = json_is_true(json_object_get(resp, "granted"));
	char user[256];

	(void)jit_client_field(resp, "user", user, sizeof(user));
	if (granted)
		print_granted(out, resp, user);
	else
		print_denied(out, resp, user);
	print_places(out, resp, granted);
}

static int cmd_explain(const struct jit_client *cl, int argc, char **argv)
{
	struct jit_client_request a = { 0 };
	struct jit_client_common co = { 0 };
	const char *user = NULL;
	const struct jit_client_opt defs[] = {
		{ "user", &user, NULL }, { "port", &a.port, NULL }, { "from", &a.from, NULL },
		{ "host", &a.hosts, NULL }, { "duration", &a.duration, NULL },
		{ "justification", &a.justification, NULL },
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "explain", explain_usage, argc, argv, defs);
	json_t *req, *resp;

	if (status >= 0 || (status = jit_client_no_operands(cl, "explain", argc, argv)) >= 0)
		return status;
	if (user == NULL)
		return jit_client_usage_error(&cl->io, "explain", "--user is required");
	if (a.from == NULL)
		return jit_client_usage_error(&cl->io, "explain", "--from is required");
	if (a.hosts != NULL && strchr(a.hosts, ',') != NULL)
		return jit_client_usage_error(&cl->io, "explain", "--host takes one host");
	req = jit_client_build_request(cl, "explain", &a, &status);
	if (req == NULL)
		return status;
	json_object_set_new(req, "user", json_string(user));
	resp = jit_client_call(cl, "explain", &co, req, &status);
	if (resp == NULL)
		return status;
	if (co.json)
		jit_client_print_json(cl->io.out, resp);
	else
		print_explanation(cl->io.out, resp);
	status = json_is_true(json_object_get(resp, "granted")) ? JITCTL_OK : JITCTL_FAILED;
	json_decref(resp);
	return status;
}

int jit_client_policy_command(const struct jit_client *cl, const char *cmd, int argc,
			      char **argv)
{
	if (strcmp(cmd, "policies") == 0)
		return jit_client_listing(cl, "policies", policies_usage, "policies", print_policies,
					  argc, argv);
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(cl, argc, argv);
	return -1;
}
