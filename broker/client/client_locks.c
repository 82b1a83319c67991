/* SPDX-License-Identifier: ISC */
/* lock, locks and unlock: keeping a user, a role, a source prefix or a host
 * from every window, for jitctl and jit-sshd. */
#include "config.h"

#include "client_private.h"
#include "escape.h"
#include "timeutil.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char lock_usage[] =
	"Usage: jitctl lock --user USER | --role ROLE | --source CIDR | --host HOST\n"
	"                   --reason TEXT [--ttl DURATION] [--json] [--socket PATH]\n"
	"  Refuse every request and login matching it, with its reason, and revoke\n"
	"  the grants it matches now (their sessions cut where their policy says\n"
	"  so); until jitctl unlock, or for --ttl. uid 0 and roles with lock = yes.\n";
static const char locks_usage[] =
	"Usage: jitctl locks [--json] [--socket PATH]\n"
	"  The locks in force: id, what they lock, until when, by whom, why.\n";
static const char unlock_usage[] =
	"Usage: jitctl unlock [--json] [--socket PATH] ID\n"
	"  Remove lock ID.\n";

static int cmd_lock(const struct jit_client *cl, int argc, char **argv)
{
	struct jit_client_common co = { 0 };
	const char *user = NULL, *role = NULL, *source = NULL, *host = NULL, *reason = NULL,
		   *ttl = NULL;
	const struct jit_client_opt defs[] = {
		{ "user", &user, NULL }, { "role", &role, NULL }, { "source", &source, NULL },
		{ "host", &host, NULL }, { "reason", &reason, NULL }, { "ttl", &ttl, NULL },
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "lock", lock_usage, argc, argv, defs);
	int64_t seconds = 0;
	json_t *req, *resp;

	if (status >= 0 || (status = jit_client_no_operands(cl, "lock", argc, argv)) >= 0)
		return status;
	if ((user != NULL) + (role != NULL) + (source != NULL) + (host != NULL) != 1)
		return jit_client_usage_error(&cl->io, "lock", "give one of --user, --role, --source"
					      " and --host");
	if (reason == NULL || reason[0] == '\0')
		return jit_client_usage_error(&cl->io, "lock", "--reason is required");
	if (ttl != NULL && (jit_duration_parse(ttl, &seconds) != 0 || seconds <= 0))
		return jit_client_usage_error(&cl->io, "lock", "--ttl: '%s' is not like 90s, 30m,"
					      " 3h or 1d", ttl);
	req = json_pack("{s:s, s:s, s:s*, s:s*, s:s*, s:s*}", "op", "lock", "reason", reason, "user",
			user, "role", role, "source", source, "host", host);
	if (seconds > 0)
		json_object_set_new(req, "ttl", json_integer(seconds));
	resp = jit_client_call(cl, "lock", &co, req, &status);
	if (resp == NULL)
		return status;
	if (co.json) {
		jit_client_print_json(cl->io.out, resp);
	} else {
		json_t *lock = json_object_get(resp, "lock");
		char kind[32], target[256], ids[512];

		jit_client_joined(json_object_get(resp, "revoked"), ids, sizeof(ids));
		fprintf(cl->io.out, "locked %s %s (lock %lld); grants revoked: %s\n",
			jit_client_field(lock, "kind", kind, sizeof(kind)),
			jit_client_field(lock, "target", target, sizeof(target)),
			(long long)json_integer_value(json_object_get(lock, "id")),
			ids[0] ? ids : "none");
	}
	json_decref(resp);
	return JITCTL_OK;
}

static void print_locks(FILE *out, json_t *resp)
{
	json_t *locks = json_object_get(resp, "locks"), *l;
	size_t i;

	if (json_array_size(locks) == 0) {
		fprintf(out, "no lock is in force\n");
		return;
	}
	fprintf(out, "%-5s %-28s %-20s %-12s %s\n", "ID", "LOCKS", "UNTIL", "BY", "REASON");
	json_array_foreach(locks, i, l) {
		char kind[32], target[256], what[300], until[64], by[64], raw[1024], reason[1024];

		(void)snprintf(what, sizeof(what), "%s %s",
			       jit_client_field(l, "kind", kind, sizeof(kind)),
			       jit_client_field(l, "target", target, sizeof(target)));
		(void)jit_client_field(l, "expires", until, sizeof(until));
		(void)jit_client_field(l, "reason", raw, sizeof(raw));
		(void)jit_escape_text(raw, reason, sizeof(reason));
		fprintf(out, "%-5lld %-28s %-20s %-12s %s\n",
			(long long)json_integer_value(json_object_get(l, "id")), what,
			until[0] ? until : "until unlocked", jit_client_field(l, "by", by, sizeof(by)),
			reason);
	}
}

static int cmd_unlock(const struct jit_client *cl, int argc, char **argv)
{
	struct jit_client_common co = { 0 };
	const struct jit_client_opt defs[] = {
		{ "json", NULL, &co.json }, { "socket", &co.socket, NULL }, { NULL, NULL, NULL },
	};
	int status = jit_client_parse_opts(&cl->io, "unlock", unlock_usage, argc, argv, defs);
	json_int_t id;
	json_t *resp;

	if (status >= 0)
		return status;
	if (optind >= argc)
		return jit_client_usage_error(&cl->io, "unlock", "ID is missing");
	if (jit_client_parse_id(argv[optind], &id) != 0)
		return jit_client_usage_error(&cl->io, "unlock", "'%s' is not a lock id", argv[optind]);
	optind++;
	if ((status = jit_client_no_operands(cl, "unlock", argc, argv)) >= 0)
		return status;
	resp = jit_client_call(cl, "unlock", &co, json_pack("{s:s, s:I}", "op", "unlock", "id", id),
			       &status);
	if (resp == NULL)
		return status;
	if (co.json)
		jit_client_print_json(cl->io.out, resp);
	else
		fprintf(cl->io.out, "unlocked lock %lld\n", (long long)id);
	json_decref(resp);
	return JITCTL_OK;
}

int jit_client_lock_command(const struct jit_client *cl, const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "lock") == 0)
		return cmd_lock(cl, argc, argv);
	if (strcmp(cmd, "locks") == 0)
		return jit_client_listing(cl, "locks", locks_usage, "locks", print_locks, argc, argv);
	if (strcmp(cmd, "unlock") == 0)
		return cmd_unlock(cl, argc, argv);
	return -1;
}
