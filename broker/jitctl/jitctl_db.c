/* SPDX-License-Identifier: ISC */
/* jitctl db copy: a controller's state moved to another database (SQLite
 * to PostgreSQL when other controllers join it), with the controller
 * stopped. */
#include "config.h"

#include "jitctl.h"
#include "jitd_config.h"
#include "store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char db_usage[] =
	"Usage: jitctl db copy --from DATABASE --to DATABASE [--passfile FILE]\n"
	"\n"
	"Copies every grant, audit entry, host and its changes, request, review and\n"
	"lock of one jitd database into another, empty, one, ids kept, in one\n"
	"transaction. DATABASE: an SQLite file (sqlite:PATH or an absolute path,\n"
	"which must exist as a source) or PostgreSQL (a postgresql:// URI or a\n"
	"conninfo, without a password). --passfile: PostgreSQL's password file (mode\n"
	"0600). Stop the controller first. A target with any row of its own is refused.\n";

/* DATABASE as jitd.conf's database takes it: "sqlite:" taken off. */
static const char *database_arg(const char *arg)
{
	return strncmp(arg, "sqlite:", 7) == 0 ? arg + 7 : arg;
}

/* NULL, else why the database may not be named so. */
static const char *database_problem(const char *db, bool source)
{
	struct stat st;

	if (jit_config_database_is_postgresql(db))
		return jit_config_database_names_password(db)
		       ? "a password on the command line is refused (any process list shows it):"
			 " put it in --passfile" : NULL;
	if (db[0] != '/')
		return "not an absolute path, a postgresql:// URI or a conninfo";
	if (source && stat(db, &st) != 0)
		return strerror(errno);
	return NULL;
}

static void print_copied(const char *table, int64_t rows, void *ctx)
{
	(void)ctx;
	printf("%-16s %lld\n", table, (long long)rows);
}

/* Whether the target is an SQLite file the copy will make. */
static bool new_sqlite_file(const char *db)
{
	struct stat st;

	return !jit_config_database_is_postgresql(db) && stat(db, &st) != 0 && errno == ENOENT;
}

/* An SQLite file the copy made, and its journal, gone again. */
static void remove_sqlite_file(const char *db)
{
	char path[JIT_PATH_MAX + 8];

	(void)unlink(db);
	(void)snprintf(path, sizeof(path), "%s-wal", db);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s-shm", db);
	(void)unlink(path);
}

/* The stores opened, the copy made; what the user is told. */
static int copy_between(const char *from_db, const char *to_db, const char *passfile)
{
	struct jit_store *from, *to = NULL;
	jit_error err = { "" };
	int rc = JITCTL_FAILED;
	bool made;

	from = jit_store_open_with(from_db, passfile, &err);
	if (from == NULL) {
		jitctl_err("db copy: --from: %s", err.msg);
		return JITCTL_FAILED;
	}
	made = new_sqlite_file(to_db);
	to = jit_store_open_with(to_db, passfile, &err);
	if (to == NULL)
		jitctl_err("db copy: --to: %s", err.msg);
	else if (jit_store_copy(from, to, print_copied, NULL, &err) != 0)
		jitctl_err("db copy: %s; nothing was written", err.msg);
	else
		rc = JITCTL_OK;
	jit_store_close(to);
	jit_store_close(from);
	if (rc != JITCTL_OK && made)
		remove_sqlite_file(to_db);
	return rc;
}

static int db_copy(int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *passfile = NULL, *why;
	const struct jit_client_opt defs[] = {
		{ "from", &from, NULL }, { "to", &to, NULL }, { "passfile", &passfile, NULL },
		{ NULL, NULL, NULL }
	};
	char unsafe[160];
	int rc = jit_client_parse_opts(JITCTL_STDIO, "db copy", db_usage, argc, argv, defs);

	if (rc >= 0)
		return rc;
	if (optind < argc)
		return jitctl_usage_error("db copy", "unexpected argument '%s'", argv[optind]);
	if (from == NULL || to == NULL)
		return jitctl_usage_error("db copy", "--from DATABASE and --to DATABASE are required");
	from = database_arg(from);
	to = database_arg(to);
	if ((why = database_problem(from, true)) != NULL)
		return jitctl_usage_error("db copy", "--from %s: %s", from, why);
	if ((why = database_problem(to, false)) != NULL)
		return jitctl_usage_error("db copy", "--to: %s", why);
	if (strcmp(from, to) == 0)
		return jitctl_usage_error("db copy", "--from and --to are the same database");
	if (passfile != NULL && jit_config_passfile_unsafe(passfile, unsafe, sizeof(unsafe)))
		return jitctl_usage_error("db copy", "--passfile %s: %s", passfile, unsafe);
	return copy_between(from, to, passfile);
}

int jitctl_db(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(db_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? JITCTL_USAGE : JITCTL_OK;
	}
	if (strcmp(argv[1], "copy") != 0)
		return jitctl_usage_error("db", "unknown command '%s' (copy)", argv[1]);
	return db_copy(argc - 1, argv + 1);
}
