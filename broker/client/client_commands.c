/* SPDX-License-Identifier: ISC */
/* request | list | revoke | status | audit: the broker's client commands,
 * for jitctl and jit-sshd. */
#include "config.h"

#include "client_private.h"
#include "escape.h"
#include "jit_limits.h"
#include "netaddr.h"
#include "proto.h"
#include "strlist.h"
#include "timeutil.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CALL_TIMEOUT_MS 10000

static const char request_usage[] =
	"Usage: jitctl request --port PORT/PROTO[,...] --from ADDR|CIDR [--duration DURATION]\n"
	"                      [--justification TEXT] [--for USER] [--host HOST|@GROUP[,...]]\n"
	"                      [--start RFC3339|+DURATION] [--break-glass] [--wait[=DURATION]]\n"
	"                      [--json] [--socket PATH]\n"
	"       jitctl request --resume ID [--wait[=DURATION]] [--json] [--socket PATH]\n"
	"  Ask jitd for access; print the ticket alone (with --json: an object with\n"
	"  ticket, grant_id and expires). --duration defaults to the policy's default.\n"
	"  --host (a controller's hosts; default this host): for several hosts, a line\n"
	"  HOST TICKET each (with --json, an object each, with host and applied).\n"
	"  A policy with approvals records the request as pending (exit status 4);\n"
	"  --wait waits until it is decided (at most DURATION), then prints the ticket;\n"
	"  --resume ID asks again about request ID. --break-glass (policies with\n"
	"  break_glass = yes, with --justification) opens at once, reviewed after.\n"
	"  --start: the window opens then (at most the policy's max_advance ahead),\n"
	"  not before; the ticket is printed now.\n";
static const char list_usage[] =
	"Usage: jitctl list [--all] [--active] [--json] [--socket PATH]\n"
	"  Your grants, newest first (--all: everyone's, for uid 0 and audit roles;\n"
	"  --active: open windows only): id, user, host, from, ports, expires in, state.\n";
static const char revoke_usage[] =
	"Usage: jitctl revoke [--terminate] [--json] [--socket PATH] ID\n"
	"  Close grant ID's window at once (yours, or any with a revoke_any role).\n"
	"  --terminate  cut its established sessions too, whatever its policy's\n"
	"               on_revoke says\n"
	"  --json       prints the revoked grant as jitd returns it.\n";
static const char status_usage[] =
	"Usage: jitctl status [--json] [--socket PATH]\n"
	"  What jitd runs with, how many grants are active, and your roles.\n";
static const char hosts_usage[] =
	"Usage: jitctl hosts [--json] [--socket PATH]\n"
	"  A controller's hosts (uid 0 and audit roles): whether its enforcer is\n"
	"  connected and since when, the last change it acked, how many it lags,\n"
	"  its open grants and the ports the policies guard there.\n";
static const char audit_usage[] =
	"Usage: jitctl audit [--since DURATION|RFC3339] [--json | --format table|json|csv]\n"
	"                    [--socket PATH]\n"
	"  Audit log entries since then (default 24h), the newest 1000 at most: yours,\n"
	"  or everyone's for uid 0 and audit roles. --since 1h means the last hour.\n"
	"  CSV (RFC 4180) has a header line: id,time,actor,action,subject,result,reason,details,host.\n"
	"  A controller's table has a HOST column (the host each entry concerns).\n";


static const char *socket_path(const struct jit_client *cl, const struct jit_client_common *co)
{
	const char *env = getenv("JIT_SOCKET");

	if (cl->socket != NULL)
		return cl->socket;
	if (co->socket != NULL)
		return co->socket;
	return env != NULL && env[0] != '\0' ? env : JIT_DEFAULT_SOCKET;
}

/* Sends req (consumed) and returns the successful response, or NULL with
 * the exit status in *status and the reason printed. */
json_t *jit_client_call(const struct jit_client *cl, const char *cmd, const struct jit_client_common *co,
		    json_t *req, int *status)
{
	json_t *resp = NULL;
	jit_error err;
	enum jit_call_status rc;

	if (cl->remote != NULL)
		json_object_set(req, "remote", cl->remote);
	rc = jit_proto_call(socket_path(cl, co), req, CALL_TIMEOUT_MS, &resp, &err);
	json_decref(req);
	if (rc != JIT_CALL_OK) {
		fprintf(cl->io.err, "jitctl %s: %s\n", cmd, err.msg);
		*status = rc == JIT_CALL_UNREACHABLE ? JITCTL_UNREACHABLE : JITCTL_FAILED;
		return NULL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *error = json_string_value(json_object_get(resp, "error"));
		const char *reason = json_string_value(json_object_get(resp, "reason"));
		const char *code = json_string_value(json_object_get(resp, "code"));

		if (code != NULL)
			fprintf(cl->io.err, "jitctl %s: %s (%s): %s\n", cmd, error ? error : "failed", code,
				reason ? reason : "(no reason given)");
		else
			fprintf(cl->io.err, "jitctl %s: %s: %s\n", cmd, error ? error : "failed",
				reason ? reason : "(no reason given)");
		/* busy: jitd had no connection slot, so it could not be asked. */
		*status = error != NULL && strcmp(error, "busy") == 0 ? JITCTL_UNREACHABLE
								     : JITCTL_FAILED;
		json_decref(resp);
		return NULL;
	}
	*status = JITCTL_OK;
	return resp;
}

/* Colour only for a person at a terminal, and never with NO_COLOR set
 * (no-color.org). */
bool jit_client_use_colour(FILE *out)
{
	const char *no = getenv("NO_COLOR");

	return isatty(fileno(out)) && (no == NULL || no[0] == '\0');
}

/* The SGR colour of a grant state or an audit result: green for what let
 * someone in, red for what kept them out, dim for what is over. */
static const char *word_colour(const char *word)
{
	static const struct {
		const char *word, *sgr;
	} colours[] = {
		{ "active", "32" }, { "granted", "32" }, { "accepted", "32" }, { "ok", "32" },
		{ "denied", "31" }, { "refused", "31" }, { "revoked", "31" }, { "failed", "31" },
		{ "expired", "2" },
	};

	for (size_t i = 0; word != NULL && i < sizeof(colours) / sizeof(colours[0]); i++)
		if (strcmp(word, colours[i].word) == 0)
			return colours[i].sgr;
	return NULL;
}

/* A field of the protocol's answer, escaped for the terminal. */
const char *jit_client_field(json_t *o, const char *key, char *out, size_t size)
{
	return jit_escape_text(json_string_value(json_object_get(o, key)), out, size);
}

/* word, padded to width, coloured when colour is on and the word has one. */
void jit_client_print_word(FILE *out, const char *word, int width, bool colour)
{
	const char *sgr = colour ? word_colour(word) : NULL;
	int len = (int)strlen(word);

	if (sgr != NULL)
		fprintf(out, "\033[%sm%s\033[0m%*s", sgr, word, width > len ? width - len : 0, "");
	else
		fprintf(out, "%-*s", width, word);
}

void jit_client_print_json(FILE *out, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (text != NULL)
		fprintf(out, "%s\n", text);
	free(text);
}

int jit_client_no_operands(const struct jit_client *cl, const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return jit_client_usage_error(&cl->io, cmd, "unexpected argument '%s'",
					      argv[optind]);
	return -1;
}

/* --- request ----------------------------------------------------------------------- */

static int add_port(const char *item, size_t index, void *ctx)
{
	struct jit_portspec spec;

	(void)index;
	if (jit_portspec_parse(item, &spec) != 0)
		return -1;
	return json_array_append_new(ctx, json_string(item));
}

static int add_host_name(const char *item, size_t index, void *ctx)
{
	(void)index;
	return json_array_append_new(ctx, json_string(item));
}

/* 2026-12-24T08:00Z, to the minute: an RFC 3339 time without seconds. */
static int minutes_time(const char *text, time_t *when)
{
	char full[32];

	if (strlen(text) != 17 || text[16] != 'Z')
		return -1;
	(void)snprintf(full, sizeof(full), "%.16s:00Z", text);
	return jit_rfc3339_parse(full, when);
}

/* --start: an RFC 3339 time (to the minute too), or +DURATION from now; -1
 * when it is neither. */
static int start_time(const char *text, char out[JIT_RFC3339_LEN])
{
	int64_t ahead;
	time_t when;

	if (text[0] == '+') {
		if (jit_duration_parse(text + 1, &ahead) != 0)
			return -1;
		when = time(NULL) + (time_t)ahead;
	} else if (jit_rfc3339_parse(text, &when) != 0 && minutes_time(text, &when) != 0) {
		return -1;
	}
	return jit_rfc3339_format(when, out);
}

json_t *jit_client_build_request(const struct jit_client *cl, const char *cmd,
				 const struct jit_client_request *a, int *status)
{
	char start[JIT_RFC3339_LEN] = "";
	json_t *ports = json_array(), *hosts = json_array(), *req;
	int64_t seconds = 0;
	struct jit_cidr cidr;

	*status = JITCTL_USAGE;
	/* A remote request comes from the address jit-sshd saw, unless told. */
	if (a->port == NULL || (a->from == NULL && cl->remote == NULL)) {
		jit_client_usage(&cl->io, cmd, "%s is required", a->port ? "--from" : "--port");
		goto refused;
	}
	if (jit_list_each(a->port, add_port, ports) != 0) {
		jit_client_usage(&cl->io, cmd, "--port: '%s' is not a list of PORT/tcp or"
				 " PORT/udp", a->port);
		goto refused;
	}
	if (a->from != NULL && jit_cidr_parse(a->from, &cidr) != 0) {
		jit_client_usage(&cl->io, cmd, "--from: '%s' is not an address or CIDR", a->from);
		goto refused;
	}
	if (a->duration != NULL && jit_duration_parse(a->duration, &seconds) != 0) {
		jit_client_usage(&cl->io, cmd, "--duration: '%s' is not like 90s, 30m, 3h or 1d",
				 a->duration);
		goto refused;
	}
	if (a->hosts != NULL && jit_list_each(a->hosts, add_host_name, hosts) != 0) {
		jit_client_usage(&cl->io, cmd, "--host: '%s' is not a list of HOST or @HOSTGROUP",
				 a->hosts);
		goto refused;
	}
	if (a->start != NULL && start_time(a->start, start) != 0) {
		jit_client_usage(&cl->io, cmd, "--start: '%s' is neither a UTC time like"
				 " 2026-12-24T08:00Z nor +DURATION like +2h", a->start);
		goto refused;
	}
	req = json_pack("{s:s, s:o, s:s*}", "op", cmd, "ports", ports, "from", a->from);
	if (start[0] != '\0')
		json_object_set_new(req, "start", json_string(start));
	if (a->hosts != NULL)
		json_object_set(req, "hosts", hosts);
	if (seconds > 0)
		json_object_set_new(req, "duration", json_integer(seconds));
	if (a->justification != NULL)
		json_object_set_new(req, "justification", json_string(a->justification));
	if (a->for_user != NULL)
		json_object_set_new(req, "for", json_string(a->for_user));
	if (a->break_glass)
		json_object_set_new(req, "break_glass", json_true());
	json_decref(hosts);
	return req;
refused:
	json_decref(ports);
	json_decref(hosts);
	return NULL;
}

/* Hosts whose enforcer has not applied the grant yet, and windows that
 * open later, on stderr. */
static void report_pending(const struct jit_client *cl, json_t *grants)
{
	size_t i;
	json_t *g;
	char why[512], start[64];

	json_array_foreach(grants, i, g) {
		json_t *grant = json_object_get(g, "grant");
		const char *state = json_string_value(json_object_get(grant, "state"));

		if (state != NULL && strcmp(state, "scheduled") == 0)
			fprintf(cl->io.err, "jitctl request: scheduled: the window opens at %s\n",
				jit_client_field(grant, "not_before", start, sizeof(start)));
		if (!json_is_string(json_object_get(g, "pending")))
			continue;
		fprintf(cl->io.err, "jitctl request: %s: its window opens once it has applied it,"
			" for what is left of it\n", jit_client_field(g, "pending", why, sizeof(why)));
	}
}

/* One host's grant as --json shows it. */
static void print_granted_json(FILE *out, json_t *g, bool with_host)
{
	json_t *grant = json_object_get(g, "grant");
	json_t *o = json_pack("{s:O, s:O, s:O}", "ticket", json_object_get(g, "ticket"),
			      "grant_id", json_object_get(grant, "id"), "expires",
			      json_object_get(grant, "expires"));

	if (with_host) {
		json_object_set(o, "host", json_object_get(g, "host"));
		json_object_set(o, "applied", json_object_get(g, "applied"));
	}
	jit_client_print_json(out, o);
	json_decref(o);
}

/* Several hosts: a line "HOST TICKET" each, or with --json an object a line. */
static void print_granted(FILE *out, json_t *grants, bool json)
{
	size_t i;
	json_t *g;
	char host[256];

	json_array_foreach(grants, i, g) {
		if (json)
			print_granted_json(out, g, true);
		else
			fprintf(out, "%s %s\n", jit_client_field(g, "host", host, sizeof(host)),
				json_string_value(json_object_get(g, "ticket")));
	}
}

/* A granted answer's tickets, as the options ask. */
static int print_outcome(const struct jit_client *cl, json_t *resp, bool json)
{
	FILE *out = cl->io.out;
	json_t *grants = json_object_get(resp, "grants");

	report_pending(cl, grants);
	if (json_array_size(grants) == 1 && json)
		print_granted_json(out, json_array_get(grants, 0), false);
	else if (json_array_size(grants) == 1)
		fprintf(out, "%s\n", json_string_value(json_object_get(json_array_get(grants, 0),
									"ticket")));
	else
		print_granted(out, grants, json);
	if (json_is_integer(json_object_get(resp, "break_glass")))
		fprintf(cl->io.err, "jitctl request: break-glass: request %lld opened without approval;"
			" its approvers review it after the fact\n",
			(long long)json_integer_value(json_object_get(resp, "break_glass")));
	return JITCTL_OK;
}

/* --wait[=DURATION]: 0 (until decided or lapsed) or the seconds; -1 when
 * the value is not a duration. */
static int wait_seconds(const struct jit_client *cl, const char *value, int64_t *seconds)
{
	*seconds = 0;
	if (value != NULL && jit_duration_parse(value, seconds) != 0) {
		jit_client_usage(&cl->io, "request", "--wait: '%s' is not like 90s, 30m, 3h or 1d",
				 value);
		return -1;
	}
	return 0;
}

/* request --resume ID: the request's answer, waited for with --wait. */
static int resume_request(const struct jit_client *cl, const struct jit_client_common *co,
			  const char *resume, bool wait, int64_t wait_for)
{
	json_int_t id;
	json_t *resp = NULL;
	int status;

	if (jit_client_parse_id(resume, &id) != 0)
		return jit_client_usage_error(&cl->io, "request", "--resume: '%s' is not a request id",
					      resume);
	status = jit_client_await(cl, co, id, wait, wait_for, &resp);
	if (status < 0)
		status = print_outcome(cl, resp, co->json);
	json_decref(resp);
	return status;
}

/* Only --wait, --json and --socket go with --resume. */
static bool resume_alone(const struct jit_client_request *a)
{
	return a->port == NULL && a->from == NULL && a->duration == NULL &&
	       a->justification == NULL && a->for_user == NULL && a->hosts == NULL &&
	       a->start == NULL && !a->break_glass;
}

/* A granted answer printed, or a pending one said (and with wait, waited
 * for, then printed as decided); resp taken over. The exit status. */
static int outcome_or_pending(const struct jit_client *cl, const struct jit_client_common *co,
			      json_t *resp, bool wait, int64_t wait_for)
{
	json_t *pending = json_object_get(resp, "pending");
	int status;

	if (json_is_object(pending)) {
		status = jit_client_await(cl, co, json_integer_value(json_object_get(pending, "id")),
					  wait, wait_for, &resp);
		if (status >= 0) {
			json_decref(resp);
			return status;
		}
	}
	status = print_outcome(cl, resp, co->json);
	json_decref(resp);
	return status;
}

static int cmd_request(const struct jit_client *cl, int argc, char **argv)
{
	struct jit_client_request a = { 0 };
	struct jit_client_common co = { 0 };
	const char *wait_value = NULL, *resume = NULL;
	bool wait = false;
	const struct jit_client_opt defs[] = {
		{ "port", &a.port, NULL }, { "from", &a.from, NULL },
		{ "duration", &a.duration, NULL }, { "justification", &a.justification, NULL },
		{ "for", &a.for_user, NULL }, { "host", &a.hosts, NULL },
		{ "break-glass", NULL, &a.break_glass }, { "wait", &wait_value, &wait },
		{ "start", &a.start, NULL },
		{ "resume", &resume, NULL },
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "request", request_usage, argc, argv, defs);
	int64_t wait_for;
	json_t *req, *resp;

	if (status >= 0 || (status = jit_client_no_operands(cl, "request", argc, argv)) >= 0)
		return status;
	if (wait_seconds(cl, wait_value, &wait_for) != 0)
		return JITCTL_USAGE;
	if (resume != NULL && !resume_alone(&a))
		return jit_client_usage_error(&cl->io, "request", "--resume takes only --wait, --json"
					      " and --socket");
	if (resume != NULL)
		return resume_request(cl, &co, resume, wait, wait_for);
	req = jit_client_build_request(cl, "request", &a, &status);
	if (req == NULL || (resp = jit_client_call(cl, "request", &co, req, &status)) == NULL)
		return status;
	return outcome_or_pending(cl, &co, resp, wait, wait_for);
}

int jit_client_request_ticket(const struct jit_client *cl, const struct jit_client_request *r,
			      char **ticket)
{
	struct jit_client_common co = { 0 };
	json_t *req, *resp, *pending;
	int status;

	req = jit_client_build_request(cl, "request", r, &status);
	if (req == NULL || (resp = jit_client_call(cl, "request", &co, req, &status)) == NULL)
		return status;
	pending = json_object_get(resp, "pending");
	if (json_is_object(pending)) {
		status = jit_client_await(cl, &co, json_integer_value(json_object_get(pending, "id")),
					  true, 0, &resp);
		if (status >= 0) {
			json_decref(resp);
			return status;
		}
	}
	*ticket = json_is_string(json_object_get(resp, "ticket"))
		? strdup(json_string_value(json_object_get(resp, "ticket"))) : NULL;
	json_decref(resp);
	return *ticket != NULL ? JITCTL_OK : JITCTL_FAILED;
}

/* --- list ---------------------------------------------------------------------------- */

/* "2h05m", "4m30s", "12s". */
void jit_client_duration_text(json_int_t s, char *buf, size_t size)
{
	if (s >= 3600)
		(void)snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
			       (long long)(s % 3600 / 60));
	else if (s >= 60)
		(void)snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		(void)snprintf(buf, size, "%llds", (long long)s);
}

/* As jit_client_duration_text(), or "-" when nothing is left. */
static void remaining_text(json_int_t s, char *buf, size_t size)
{
	if (s <= 0)
		(void)snprintf(buf, size, "-");
	else
		jit_client_duration_text(s, buf, size);
}

void jit_client_joined(json_t *strings, char *buf, size_t size)
{
	size_t i, len = 0;
	json_t *p;

	buf[0] = '\0';
	json_array_foreach(strings, i, p) {
		(void)snprintf(buf + len, size - len, "%s%s", i ? "," : "", json_string_value(p));
		len += strlen(buf + len);
	}
}

struct row {
	char id[24], user[256], host[256], from[JIT_CIDR_STRLEN], ports[128],
		left[32], state[16];
};

static void grant_row(json_t *g, struct row *r)
{
	char ports[sizeof(r->ports)];

	(void)snprintf(r->id, sizeof(r->id), "%lld",
		       (long long)json_integer_value(json_object_get(g, "id")));
	(void)jit_client_field(g, "user", r->user, sizeof(r->user));
	(void)jit_client_field(g, "host", r->host, sizeof(r->host));
	(void)jit_client_field(g, "from", r->from, sizeof(r->from));
	jit_client_joined(json_object_get(g, "ports"), ports, sizeof(ports));
	(void)jit_escape_text(ports, r->ports, sizeof(r->ports));
	remaining_text(json_integer_value(json_object_get(g, "expires_in")), r->left,
		       sizeof(r->left));
	(void)jit_client_field(g, "state", r->state, sizeof(r->state));
}

static int width(int w, const char *s)
{
	int len = (int)strlen(s);

	return len > w ? len : w;
}

static void print_table(FILE *out, json_t *grants)
{
	static const struct row head = { "ID", "USER", "HOST", "FROM", "PORTS", "EXPIRES IN",
					 "STATE" };
	size_t n = json_array_size(grants);
	struct row *rows = calloc(n + 1, sizeof(*rows));
	bool colour = jit_client_use_colour(out);
	int w[6] = { 0 };

	if (rows == NULL)
		return;
	rows[0] = head;
	for (size_t i = 0; i < n; i++)
		grant_row(json_array_get(grants, i), &rows[i + 1]);
	for (size_t i = 0; i <= n; i++) {
		w[0] = width(w[0], rows[i].id);
		w[1] = width(w[1], rows[i].user);
		w[2] = width(w[2], rows[i].host);
		w[3] = width(w[3], rows[i].from);
		w[4] = width(w[4], rows[i].ports);
		w[5] = width(w[5], rows[i].left);
	}
	for (size_t i = 0; i <= n; i++) {
		fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  ", w[0], rows[i].id, w[1],
			rows[i].user, w[2], rows[i].host, w[3], rows[i].from, w[4], rows[i].ports,
			w[5], rows[i].left);
		jit_client_print_word(out, rows[i].state, 0, colour && i > 0);
		fputc('\n', out);
	}
	free(rows);
}

static int cmd_list(const struct jit_client *cl, int argc, char **argv)
{
	FILE *out = cl->io.out;
	struct jit_client_common co = { 0 };
	bool all = false, active = false;
	const struct jit_client_opt defs[] = {
		{ "all", NULL, &all }, { "active", NULL, &active }, { "json", NULL, &co.json },
		{ "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "list", list_usage, argc, argv, defs);
	json_t *resp;

	if (status >= 0 || (status = jit_client_no_operands(cl, "list", argc, argv)) >= 0)
		return status;
	resp = jit_client_call(cl, "list", &co, json_pack("{s:s, s:b, s:b}", "op", "list", "all", all, "active",
					   active), &status);
	if (resp == NULL)
		return status;
	if (co.json)
		jit_client_print_json(out, json_object_get(resp, "grants"));
	else
		print_table(out, json_object_get(resp, "grants"));
	json_decref(resp);
	return JITCTL_OK;
}

/* --- revoke -------------------------------------------------------------------------- */

int jit_client_parse_id(const char *s, json_int_t *id)
{
	char *end;
	long long v;

	if (s[0] < '1' || s[0] > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0 || v == LLONG_MAX)
		return -1;
	*id = (json_int_t)v;
	return 0;
}

static int cmd_revoke(const struct jit_client *cl, int argc, char **argv)
{
	FILE *out = cl->io.out;
	struct jit_client_common co = { 0 };
	bool terminate = false;
	const struct jit_client_opt defs[] = {
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL },
		{ "terminate", NULL, &terminate }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "revoke", revoke_usage, argc, argv, defs);
	json_int_t id;
	json_t *req, *resp, *g;
	char ports[128];

	if (status >= 0)
		return status;
	if (optind >= argc)
		return jit_client_usage_error(&cl->io, "revoke", "ID is missing");
	if (jit_client_parse_id(argv[optind], &id) != 0)
		return jit_client_usage_error(&cl->io, "revoke", "'%s' is not a grant id", argv[optind]);
	optind++;
	if ((status = jit_client_no_operands(cl, "revoke", argc, argv)) >= 0)
		return status;
	req = json_pack("{s:s, s:I}", "op", "revoke", "id", id);
	if (terminate)
		json_object_set_new(req, "terminate", json_true());
	resp = jit_client_call(cl, "revoke", &co, req, &status);
	if (resp == NULL)
		return status;
	g = json_object_get(resp, "grant");
	if (json_is_string(json_object_get(resp, "warning")))
		fprintf(cl->io.err, "jitctl revoke: warning: %s\n",
			json_string_value(json_object_get(resp, "warning")));
	if (json_is_string(json_object_get(resp, "pending"))) {
		char why[512];

		fprintf(cl->io.err, "jitctl revoke: %s: the window closes once it has applied it"
			" (or at its end)\n", jit_client_field(resp, "pending", why, sizeof(why)));
	}
	if (co.json) {
		jit_client_print_json(out, g);
		json_decref(resp);
		return JITCTL_OK;
	}
	jit_client_joined(json_object_get(g, "ports"), ports, sizeof(ports));
	fprintf(out, "revoked grant %lld: %s from %s to %s", (long long)id,
	       json_string_value(json_object_get(g, "user")),
	       json_string_value(json_object_get(g, "from")), ports);
	if (json_is_integer(json_object_get(resp, "terminated")))
		fprintf(out, "; %lld connection%s cut",
			(long long)json_integer_value(json_object_get(resp, "terminated")),
			json_integer_value(json_object_get(resp, "terminated")) == 1 ? "" : "s");
	fputc('\n', out);
	json_decref(resp);
	return JITCTL_OK;
}

/* --- extend -------------------------------------------------------------------------- */

static const char extend_usage[] =
	"Usage: jitctl extend ID --duration DURATION [--wait[=DURATION]] [--json] [--socket PATH]\n"
	"  Make grant ID's window end DURATION later, decided again against roles and\n"
	"  policies (the longest window counting from its start), with approvals where\n"
	"  its policies want them (exit 4 while pending; --wait waits for them).\n"
	"  Prints the grant's new ticket, which ends with it (the old one ends as it did).\n";

static int cmd_extend(const struct jit_client *cl, int argc, char **argv)
{
	struct jit_client_common co = { 0 };
	const char *duration = NULL, *wait_value = NULL;
	bool wait = false;
	const struct jit_client_opt defs[] = {
		{ "duration", &duration, NULL }, { "wait", &wait_value, &wait },
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "extend", extend_usage, argc, argv, defs);
	int64_t seconds, wait_for;
	json_int_t id;
	json_t *resp;

	if (status >= 0)
		return status;
	if (optind >= argc)
		return jit_client_usage_error(&cl->io, "extend", "ID is missing");
	if (jit_client_parse_id(argv[optind], &id) != 0)
		return jit_client_usage_error(&cl->io, "extend", "'%s' is not a grant id", argv[optind]);
	/* Options may follow the ID too (extend 12 --duration 30m). */
	argc -= optind;
	argv += optind;
	status = jit_client_parse_opts(&cl->io, "extend", extend_usage, argc, argv, defs);
	if (status >= 0 || (status = jit_client_no_operands(cl, "extend", argc, argv)) >= 0)
		return status;
	if (duration == NULL)
		return jit_client_usage_error(&cl->io, "extend", "--duration is required");
	if (jit_duration_parse(duration, &seconds) != 0 || seconds <= 0)
		return jit_client_usage_error(&cl->io, "extend",
					      "--duration: '%s' is not like 90s, 30m, 3h or 1d",
					      duration);
	if (wait_seconds(cl, wait_value, &wait_for) != 0)
		return JITCTL_USAGE;
	resp = jit_client_call(cl, "extend", &co, json_pack("{s:s, s:I, s:I}", "op", "extend",
							    "id", id, "duration",
							    (json_int_t)seconds), &status);
	if (resp == NULL)
		return status;
	return outcome_or_pending(cl, &co, resp, wait, wait_for);
}

/* --- status ----------------------------------------------------------------------------- */

static void print_status(FILE *out, json_t *r)
{
	json_t *caller = json_object_get(r, "caller"), *v, *uid = json_object_get(caller, "uid");
	char uptime[32], list[512], safe[4][2048], who[64];
	size_t i, len = 0;

	jit_client_duration_text(json_integer_value(json_object_get(r, "uptime")), uptime, sizeof(uptime));
	fprintf(out, "jitd %s on host %s, firewall %s, up %s\n", jit_client_field(r, "version", safe[0], 256),
	       jit_client_field(r, "host", safe[1], sizeof(safe[1])),
	       jit_client_field(r, "firewall", safe[2], 256), uptime);
	fprintf(out, "active grants: %lld\n", (long long)json_integer_value(json_object_get(r, "active_grants")));
	jit_client_joined(json_object_get(r, "policies"), list, sizeof(list));
	fprintf(out, "policies: %s\n", list[0] ? jit_escape_text(list, safe[0], sizeof(safe[0])) : "(none)");
	fprintf(out, "signing key: %s\n", jit_client_field(r, "key", safe[1], sizeof(safe[1])));
	list[0] = '\0';
	json_array_foreach(json_object_get(caller, "roles"), i, v) {
		(void)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
			       json_string_value(v));
		len += strlen(list + len);
	}
	/* A remote identity has no uid: it came through jit-sshd. */
	if (json_is_integer(uid))
		(void)snprintf(who, sizeof(who), "uid %lld", (long long)json_integer_value(uid));
	else
		(void)snprintf(who, sizeof(who), "remote, through jit-sshd");
	fprintf(out, "you: %s (%s), roles: %s\n", jit_client_field(caller, "user", safe[2], sizeof(safe[2])), who,
	       list[0] ? jit_escape_text(list, safe[3], sizeof(safe[3])) : "(none)");
}

static int cmd_status(const struct jit_client *cl, int argc, char **argv)
{
	FILE *out = cl->io.out;
	struct jit_client_common co = { 0 };
	const struct jit_client_opt defs[] = {
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "status", status_usage, argc, argv, defs);
	json_t *resp;

	if (status >= 0 || (status = jit_client_no_operands(cl, "status", argc, argv)) >= 0)
		return status;
	resp = jit_client_call(cl, "status", &co, json_pack("{s:s}", "op", "status"), &status);
	if (resp == NULL)
		return status;
	json_object_del(resp, "v");
	json_object_del(resp, "ok");
	if (co.json)
		jit_client_print_json(out, resp);
	else
		print_status(out, resp);
	json_decref(resp);
	return JITCTL_OK;
}

/* --- hosts ---------------------------------------------------------------------------------- */

static void print_hosts(FILE *out, json_t *hosts)
{
	size_t i;
	json_t *h;
	char host[256], since[64], guard[256];

	fprintf(out, "%-16s %-9s %-20s %6s %4s %5s  %s\n", "HOST", "CONNECTED", "SINCE", "ACKED",
		"LAG", "OPEN", "GUARD");
	json_array_foreach(hosts, i, h) {
		jit_client_joined(json_object_get(h, "guard"), guard, sizeof(guard));
		fprintf(out, "%-16s %-9s %-20s %6lld %4lld %5lld  %s\n",
			jit_client_field(h, "host", host, sizeof(host)),
			json_is_true(json_object_get(h, "connected")) ? "yes" : "no",
			json_is_string(json_object_get(h, "since")) ?
				jit_client_field(h, "since", since, sizeof(since)) : "-",
			(long long)json_integer_value(json_object_get(h, "acked")),
			(long long)json_integer_value(json_object_get(h, "lag")),
			(long long)json_integer_value(json_object_get(h, "open_grants")),
			guard[0] ? guard : "-");
	}
}

int jit_client_listing(const struct jit_client *cl, const char *cmd, const char *usage,
		       const char *key, void (*print)(FILE *out, json_t *resp), int argc, char **argv)
{
	struct jit_client_common co = { 0 };
	const struct jit_client_opt defs[] = {
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, cmd, usage, argc, argv, defs);
	json_t *resp;

	if (status >= 0 || (status = jit_client_no_operands(cl, cmd, argc, argv)) >= 0)
		return status;
	resp = jit_client_call(cl, cmd, &co, json_pack("{s:s}", "op", cmd), &status);
	if (resp == NULL)
		return status;
	if (co.json)
		jit_client_print_json(cl->io.out, json_object_get(resp, key));
	else
		print(cl->io.out, resp);
	json_decref(resp);
	return JITCTL_OK;
}

static void print_hosts_answer(FILE *out, json_t *resp)
{
	print_hosts(out, json_object_get(resp, "hosts"));
}

/* --- audit ---------------------------------------------------------------------------------- */

/* "1h" (that long ago) or an RFC 3339 time, as RFC 3339. */
static int since_time(const char *arg, char out[JIT_RFC3339_LEN])
{
	int64_t ago;
	time_t t;

	if (jit_duration_parse(arg, &ago) == 0)
		t = time(NULL) - (time_t)ago;
	else if (jit_rfc3339_parse(arg, &t) != 0)
		return -1;
	return jit_rfc3339_format(t, out);
}

/* A controller's entries (fleet) have a HOST column after the time. */
static void print_entries(FILE *out, json_t *entries, bool fleet)
{
	bool colour = jit_client_use_colour(out);
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e) {
		const char *subject = json_string_value(json_object_get(e, "subject"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		char *details = json_dumps(json_object_get(e, "details"), JSON_COMPACT);
		char when[64], actor[256], action[64], subj[256], result[64], why[2048], more[16384];

		fprintf(out, "%s  ", jit_client_field(e, "time", when, sizeof(when)));
		if (fleet) {
			char host[JIT_HOST_MAX + 8];

			fprintf(out, "%-10s ", jit_client_field(e, "host", host, sizeof(host)));
		}
		fprintf(out, "%-10s %-8s %-10s ",
		       jit_client_field(e, "actor", actor, sizeof(actor)),
		       jit_client_field(e, "action", action, sizeof(action)),
		       subject ? jit_escape_text(subject, subj, sizeof(subj)) : "-");
		jit_client_print_word(out, json_is_string(json_object_get(e, "result"))
				   ? jit_client_field(e, "result", result, sizeof(result)) : "-", 8, colour);
		fprintf(out, "%s%s%s%s\n", reason ? "  " : "", reason ? jit_escape_text(reason, why, sizeof(why)) : "",
		       details ? "  " : "", details ? jit_escape_text(details, more, sizeof(more)) : "");
		free(details);
	}
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
 * break, quotes doubled. A field a spreadsheet could take for a formula
 * (leading =, +, -, @, TAB or CR) gets a ' first, inside the quotes, and is
 * quoted, so that the ' never shifts a column. */
static void csv_field(FILE *out, const char *text, bool last)
{
	bool formula = text != NULL && text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL;
	bool quote = formula || (text != NULL && strpbrk(text, ",\"\r\n") != NULL);

	if (quote)
		fputc('"', out);
	if (formula)
		fputc('\'', out);
	for (const char *c = text ? text : ""; *c != '\0'; c++) {
		if (*c == '"')
			fputc('"', out);
		fputc(*c, out);
	}
	if (quote)
		fputc('"', out);
	fputc(last ? '\n' : ',', out);
}

static void print_entries_csv(FILE *out, json_t *entries)
{
	static const char *const fields[] = { "time", "actor", "action", "subject", "result",
					      "reason" };
	size_t i;
	json_t *e;

	fprintf(out, "%s\n", "id,time,actor,action,subject,result,reason,details,host");
	json_array_foreach(entries, i, e) {
		char id[32], *details = json_dumps(json_object_get(e, "details"), JSON_COMPACT);

		(void)snprintf(id, sizeof(id), "%lld",
			       (long long)json_integer_value(json_object_get(e, "id")));
		csv_field(out, id, false);
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			csv_field(out, json_string_value(json_object_get(e, fields[f])), false);
		csv_field(out, details, false);
		csv_field(out, json_string_value(json_object_get(e, "host")), true);
		free(details);
	}
}

static int cmd_audit(const struct jit_client *cl, int argc, char **argv)
{
	FILE *out = cl->io.out;
	struct jit_client_common co = { 0 };
	const char *since = NULL, *format = NULL;
	const struct jit_client_opt defs[] = {
		{ "since", &since, NULL }, { "json", NULL, &co.json },
		{ "format", &format, NULL }, { "socket", &co.socket, NULL },
		{ NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "audit", audit_usage, argc, argv, defs);
	json_t *req, *resp;

	if (status >= 0 || (status = jit_client_no_operands(cl, "audit", argc, argv)) >= 0)
		return status;
	if (format != NULL && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "table") != 0)
		return jit_client_usage_error(&cl->io, "audit", "--format: '%s' is not table, json or csv",
					  format);
	if (format != NULL && co.json && strcmp(format, "json") != 0)
		return jit_client_usage_error(&cl->io, "audit", "--json and --format %s contradict", format);
	if (format != NULL && strcmp(format, "json") == 0)
		co.json = true;
	req = json_pack("{s:s}", "op", "audit");
	if (since != NULL) {
		char since_text[JIT_RFC3339_LEN];

		if (since_time(since, since_text) != 0) {
			json_decref(req);
			return jit_client_usage_error(&cl->io, "audit", "--since: '%s' is neither a duration"
						  " (1h) nor an RFC 3339 time", since);
		}
		json_object_set_new(req, "since", json_string(since_text));
	}
	resp = jit_client_call(cl, "audit", &co, req, &status);
	if (resp == NULL)
		return status;
	if (co.json)
		jit_client_print_json(out, json_object_get(resp, "entries"));
	else if (format != NULL && strcmp(format, "csv") == 0)
		print_entries_csv(out, json_object_get(resp, "entries"));
	else
		print_entries(out, json_object_get(resp, "entries"),
			      json_is_true(json_object_get(resp, "fleet")));
	if (json_is_true(json_object_get(resp, "truncated")))
		fprintf(cl->io.err, "jitctl audit: showing the newest %zu entries only; narrow with --since\n",
			json_array_size(json_object_get(resp, "entries")));
	json_decref(resp);
	return JITCTL_OK;
}

int jit_client_command(const struct jit_client *cl, const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "request") == 0)
		return cmd_request(cl, argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(cl, argc, argv);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(cl, argc, argv);
	if (strcmp(cmd, "extend") == 0)
		return cmd_extend(cl, argc, argv);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(cl, argc, argv);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(cl, argc, argv);
	if (strcmp(cmd, "hosts") == 0)
		return jit_client_listing(cl, "hosts", hosts_usage, "hosts", print_hosts_answer, argc,
					  argv);
	if (strcmp(cmd, "policies") == 0 || strcmp(cmd, "explain") == 0)
		return jit_client_policy_command(cl, cmd, argc, argv);
	if (strcmp(cmd, "lock") == 0 || strcmp(cmd, "locks") == 0 || strcmp(cmd, "unlock") == 0)
		return jit_client_lock_command(cl, cmd, argc, argv);
	return jit_client_review_command(cl, cmd, argc, argv);
}
