/* SPDX-License-Identifier: ISC */
/* pending | approve | deny, and what request does with a request that
 * waits for approvals (--wait, --resume): for jitctl and jit-sshd. */
#include "config.h"

#include "client_private.h"
#include "escape.h"
#include "timeutil.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One request_status call waits this long at most: below jitd's limit and
 * the call's own timeout. */
#define AWAIT_STEP_MS 8000

static const char pending_usage[] =
	"Usage: jitctl pending [--json] [--socket PATH]\n"
	"  Requests waiting for approvals that you may review, and your own (marked\n"
	"  'yours'); break-glass grants waiting for their review after the fact.\n"
	"  uid 0 and audit roles see every one.\n";
static const char approve_usage[] =
	"Usage: jitctl approve ID [--reason TEXT] [--json] [--socket PATH]\n"
	"  Approve request ID (you must be among its policies' approvers, and not\n"
	"  its requester unless self_approve = yes). The last approval needed opens\n"
	"  the window, counted from then.\n";
static const char deny_usage[] =
	"Usage: jitctl deny ID --reason TEXT [--json] [--socket PATH]\n"
	"  Deny request ID: one denial ends it. The requester may withdraw their own\n"
	"  request this way. Denying a break-glass request closes its windows.\n";

/* --- a request's answers ----------------------------------------------------------------- */

/* "14:30", or "2026-12-24 14:30" when not today (local time). */
static void clock_text(const char *rfc3339, char *buf, size_t size)
{
	time_t t, now = time(NULL);
	struct tm when, today;

	if (rfc3339 == NULL || jit_rfc3339_parse(rfc3339, &t) != 0 ||
	    localtime_r(&t, &when) == NULL || localtime_r(&now, &today) == NULL) {
		(void)snprintf(buf, size, "?");
		return;
	}
	if (when.tm_yday == today.tm_yday && when.tm_year == today.tm_year)
		(void)strftime(buf, size, "%H:%M", &when);
	else
		(void)strftime(buf, size, "%Y-%m-%d %H:%M", &when);
}

static void approvers_joined(json_t *approvers, char *buf, size_t size)
{
	size_t i, len = 0;
	json_t *a;
	char safe[256];

	buf[0] = '\0';
	json_array_foreach(approvers, i, a) {
		(void)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
			       jit_escape_text(json_string_value(a), safe, sizeof(safe)));
		len += strlen(buf + len);
	}
}

/* "pending: request 12 needs 2 approvals (role:leads) by 14:30". */
static void say_pending(const struct jit_client *cl, json_t *r)
{
	char by[32], who[1024];
	json_int_t need = json_integer_value(json_object_get(r, "approvals"));
	json_int_t given = json_integer_value(json_object_get(r, "approved"));

	clock_text(json_string_value(json_object_get(r, "expires")), by, sizeof(by));
	approvers_joined(json_object_get(r, "approvers"), who, sizeof(who));
	fprintf(cl->io.err, "pending: request %lld needs %lld approval%s (%s) by %s",
		(long long)json_integer_value(json_object_get(r, "id")), (long long)need,
		need == 1 ? "" : "s", who, by);
	if (given > 0)
		fprintf(cl->io.err, "; %lld given", (long long)given);
	fputc('\n', cl->io.err);
}

/* The last review's reviewer and reason: who decided. */
static void decider(json_t *r, char *who, size_t size, char *why, size_t why_size)
{
	json_t *reviews = json_object_get(r, "reviews");
	json_t *last = json_array_get(reviews, json_array_size(reviews) - 1);

	(void)jit_client_field(last, "reviewer", who, size);
	(void)jit_client_field(r, "reason", why, why_size);
}

/* A decided request that gave no window: said why; the exit status. */
static int say_refused(const struct jit_client *cl, json_t *r)
{
	const char *state = json_string_value(json_object_get(r, "state"));
	long long id = (long long)json_integer_value(json_object_get(r, "id"));
	char who[256], why[1024];

	decider(r, who, sizeof(who), why, sizeof(why));
	if (state != NULL && strcmp(state, "denied") == 0)
		fprintf(cl->io.err, "jitctl request: request %lld denied by %s: %s\n", id, who, why);
	else if (state != NULL && strcmp(state, "expired") == 0)
		fprintf(cl->io.err, "jitctl request: request %lld expired: nobody decided in time\n",
			id);
	else
		fprintf(cl->io.err, "jitctl request: request %lld: %s\n", id,
			why[0] ? why : "it gave no window");
	return JITCTL_FAILED;
}

/* Asks about request id once, waiting up to ms for its decision. */
static json_t *ask_status(const struct jit_client *cl, const struct jit_client_common *co,
			  json_int_t id, json_int_t ms, int *status)
{
	json_t *req = json_pack("{s:s, s:I}", "op", "request_status", "id", id);

	if (ms > 0)
		json_object_set_new(req, "wait", json_integer(ms));
	return jit_client_call(cl, "request", co, req, status);
}

/* The milliseconds left of wait_for seconds since start (0: no limit). */
static json_int_t wait_left_ms(int64_t start_ms, int64_t wait_for)
{
	int64_t left;

	if (wait_for == 0)
		return AWAIT_STEP_MS;
	left = start_ms + wait_for * 1000 - jit_monotonic_ms();
	if (left <= 0)
		return 0;
	return left < AWAIT_STEP_MS ? left : AWAIT_STEP_MS;
}

/* The request an answer speaks of: a status answer's, or a request's that
 * came back pending. */
static json_t *answer_request(json_t *resp)
{
	json_t *r = json_object_get(resp, "request");

	return r != NULL ? r : json_object_get(resp, "pending");
}

int jit_client_await(const struct jit_client *cl, const struct jit_client_common *co,
		     json_int_t id, bool wait, int64_t wait_for, json_t **resp)
{
	int64_t start = jit_monotonic_ms();
	bool said = false;
	int status;

	if (*resp == NULL && (*resp = ask_status(cl, co, id, wait ? wait_left_ms(start, wait_for) : 0,
						 &status)) == NULL)
		return status;
	for (;;) {
		json_t *r = answer_request(*resp);
		const char *state = json_string_value(json_object_get(r, "state"));
		json_int_t ms;

		if (state == NULL) {
			fprintf(cl->io.err, "jitctl request: jitd's answer names no request state\n");
			return JITCTL_FAILED;
		}
		if (strcmp(state, "pending") != 0)
			return json_is_array(json_object_get(*resp, "grants")) ? -1 : say_refused(cl, r);
		if (!said)
			say_pending(cl, r);
		said = true;
		ms = wait_left_ms(start, wait_for);
		if (!wait || ms == 0)
			return JITCTL_PENDING;
		json_decref(*resp);
		*resp = ask_status(cl, co, id, ms, &status);
		if (*resp == NULL)
			return status;
	}
}

/* --- pending ------------------------------------------------------------------------------ */

/* "59m30s" until the RFC 3339 time, or "-". */
static void left_text(const char *rfc3339, char *buf, size_t size)
{
	time_t t;

	if (rfc3339 == NULL || jit_rfc3339_parse(rfc3339, &t) != 0 || t <= time(NULL))
		(void)snprintf(buf, size, "-");
	else
		jit_client_duration_text((json_int_t)(t - time(NULL)), buf, size);
}

static void print_open_request(FILE *out, json_t *r)
{
	char by[256], user[256], ports[256], hosts[512], from[64], left[32], note[64], extend[32];
	const char *state = json_string_value(json_object_get(r, "state"));
	bool glass = state != NULL && strcmp(state, "break_glass") == 0;
	char raw[512];

	jit_client_joined(json_object_get(r, "ports"), raw, sizeof(raw));
	(void)jit_escape_text(raw, ports, sizeof(ports));
	jit_client_joined(json_object_get(r, "hosts"), raw, sizeof(raw));
	(void)jit_escape_text(raw[0] ? raw : "-", hosts, sizeof(hosts));
	if (glass)
		(void)snprintf(left, sizeof(left), "-");
	else
		left_text(json_string_value(json_object_get(r, "expires")), left, sizeof(left));
	extend[0] = '\0';
	if (json_is_integer(json_object_get(r, "extend")))
		(void)snprintf(extend, sizeof(extend), "extends %lld ",
			       (long long)json_integer_value(json_object_get(r, "extend")));
	(void)snprintf(note, sizeof(note), "%s%s%s%s", extend, glass ? "break-glass " : "",
		       json_is_true(json_object_get(r, "mine")) ? "yours" : "",
		       json_is_true(json_object_get(r, "may_review")) ? "review" : "");
	fprintf(out, "%-5lld %-12s %-12s %-14s %-12s %-18s %lld/%-7lld %-10s %s\n",
		(long long)json_integer_value(json_object_get(r, "id")),
		jit_client_field(r, "requested_by", by, sizeof(by)),
		jit_client_field(r, "user", user, sizeof(user)), ports, hosts,
		jit_client_field(r, "from", from, sizeof(from)),
		(long long)json_integer_value(json_object_get(r, "approved")),
		(long long)json_integer_value(json_object_get(r, "approvals")), left, note);
}

static void print_pending(FILE *out, json_t *resp)
{
	json_t *r;
	size_t i;

	fprintf(out, "%-5s %-12s %-12s %-14s %-12s %-18s %-9s %-10s %s\n", "ID", "REQUESTED BY",
		"USER", "PORTS", "HOSTS", "FROM", "APPROVALS", "EXPIRES IN", "NOTE");
	json_array_foreach(json_object_get(resp, "requests"), i, r) {
		print_open_request(out, r);
	}
}

/* --- approve, deny ------------------------------------------------------------------------- */

static void say_reviewed(const struct jit_client *cl, json_t *resp, bool approve)
{
	json_t *r = json_object_get(resp, "request");
	const char *state = json_string_value(json_object_get(r, "state"));
	long long id = (long long)json_integer_value(json_object_get(r, "id"));

	if (!approve)
		fprintf(cl->io.out, "denied request %lld\n", id);
	else if (state != NULL && strcmp(state, "approved") == 0)
		fprintf(cl->io.out, "approved request %lld: granted\n", id);
	else if (state != NULL && strcmp(state, "reviewed") == 0)
		fprintf(cl->io.out, "approved break-glass request %lld after the fact\n", id);
	else
		fprintf(cl->io.out, "approved request %lld (%lld of %lld approvals)\n", id,
			(long long)json_integer_value(json_object_get(r, "approved")),
			(long long)json_integer_value(json_object_get(r, "approvals")));
}

static int cmd_review(const struct jit_client *cl, const char *cmd, int argc, char **argv)
{
	bool approve = strcmp(cmd, "approve") == 0;
	struct jit_client_common co = { 0 };
	const char *reason = NULL;
	const struct jit_client_opt defs[] = {
		{ "reason", &reason, NULL }, { "json", NULL, &co.json },
		{ "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, cmd, approve ? approve_usage : deny_usage,
					   argc, argv, defs);
	json_int_t id;
	json_t *req, *resp;

	if (status >= 0)
		return status;
	if (optind >= argc)
		return jit_client_usage_error(&cl->io, cmd, "ID is missing");
	if (jit_client_parse_id(argv[optind], &id) != 0)
		return jit_client_usage_error(&cl->io, cmd, "'%s' is not a request id", argv[optind]);
	/* Options may follow the ID too (approve 12 --reason ...): the ID
	 * stands where getopt expects a command name. */
	argc -= optind;
	argv += optind;
	status = jit_client_parse_opts(&cl->io, cmd, approve ? approve_usage : deny_usage, argc,
				       argv, defs);
	if (status >= 0 || (status = jit_client_no_operands(cl, cmd, argc, argv)) >= 0)
		return status;
	if (!approve && (reason == NULL || reason[0] == '\0'))
		return jit_client_usage_error(&cl->io, cmd, "--reason is required");
	req = json_pack("{s:s, s:I}", "op", cmd, "id", id);
	if (reason != NULL)
		json_object_set_new(req, "reason", json_string(reason));
	resp = jit_client_call(cl, cmd, &co, req, &status);
	if (resp == NULL)
		return status;
	if (co.json)
		jit_client_print_json(cl->io.out, json_object_get(resp, "request"));
	else
		say_reviewed(cl, resp, approve);
	json_decref(resp);
	return JITCTL_OK;
}

int jit_client_review_command(const struct jit_client *cl, const char *cmd, int argc,
			      char **argv)
{
	if (strcmp(cmd, "pending") == 0)
		return jit_client_listing(cl, "pending", pending_usage, "requests", print_pending,
					  argc, argv);
	if (strcmp(cmd, "approve") == 0 || strcmp(cmd, "deny") == 0)
		return cmd_review(cl, cmd, argc, argv);
	return -1;
}
