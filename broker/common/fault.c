/* SPDX-License-Identifier: ISC */
/* Fault injection for tests; see fault.h. Built only with
 * --enable-fault-injection. */
#include "config.h"

#include "fault.h"

#include "log.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RULES_MAX 16

struct fault_rule {
	enum jit_fault_site site;
	int error;
	const char *error_name;
	char match[64];		/* counts only calls whose description holds it */
	unsigned long after, times; /* times 0: every call from `after` on */
	unsigned long calls;
};

struct fault_state {
	struct stat seen;	/* the rules file as last read; st_ino 0: none */
	struct fault_rule rules[RULES_MAX];
	size_t n;
};

static struct fault_state faults;

static const char *const site_names[JIT_FAULT_SITES] = {
	[JIT_FAULT_SQLITE_PREPARE] = "sqlite3_prepare",
	[JIT_FAULT_SQLITE_STEP] = "sqlite3_step",
	[JIT_FAULT_SQLITE_EXEC] = "sqlite3_exec",
	[JIT_FAULT_NFT] = "nft",
	[JIT_FAULT_IPSET] = "ipset",
	[JIT_FAULT_IPTABLES] = "iptables",
};

struct error_name {
	const char *name;
	int code;
	bool sqlite;
};

static const struct error_name error_names[] = {
	{ "SQLITE_FULL", SQLITE_FULL, true },
	{ "SQLITE_BUSY", SQLITE_BUSY, true },
	{ "SQLITE_READONLY", SQLITE_READONLY, true },
	{ "SQLITE_IOERR", SQLITE_IOERR, true },
	{ "SQLITE_CORRUPT", SQLITE_CORRUPT, true },
	{ "EPERM", EPERM, false },
	{ "ENOMEM", ENOMEM, false },
	{ "ENOBUFS", ENOBUFS, false },
	{ "EBUSY", EBUSY, false },
	{ "EEXIST", EEXIST, false },
	{ "ENOENT", ENOENT, false },
};

static bool is_sqlite_site(enum jit_fault_site s)
{
	return s == JIT_FAULT_SQLITE_PREPARE || s == JIT_FAULT_SQLITE_STEP ||
	       s == JIT_FAULT_SQLITE_EXEC;
}

static int parse_site(const char *word, enum jit_fault_site *site)
{
	for (int i = 0; i < JIT_FAULT_SITES; i++)
		if (strcmp(word, site_names[i]) == 0) {
			*site = (enum jit_fault_site)i;
			return 0;
		}
	return -1;
}

static const struct error_name *parse_error(const char *word, enum jit_fault_site site)
{
	for (size_t i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++)
		if (strcmp(word, error_names[i].name) == 0 &&
		    error_names[i].sqlite == is_sqlite_site(site))
			return &error_names[i];
	return NULL;
}

static int parse_count(const char *word, const char *key, unsigned long *out)
{
	size_t klen = strlen(key);
	char *end;

	if (strncmp(word, key, klen) != 0 || word[klen] != '=' || word[klen + 1] == '\0')
		return -1;
	errno = 0;
	*out = strtoul(word + klen + 1, &end, 10);
	return errno == 0 && *end == '\0' && word[klen + 1] != '-' ? 0 : -1;
}

/* One rule from "SITE ERROR [match=WORD] [after=N] [times=M]"; -1 when it
 * does not parse. */
static int parse_rule(char *line, struct fault_rule *r)
{
	char *save = NULL, *site = strtok_r(line, " \t\n", &save);
	char *error = strtok_r(NULL, " \t\n", &save), *word;
	const struct error_name *e;

	memset(r, 0, sizeof(*r));
	if (site == NULL || error == NULL || parse_site(site, &r->site) != 0 ||
	    (e = parse_error(error, r->site)) == NULL)
		return -1;
	r->error = e->code;
	r->error_name = e->name;
	while ((word = strtok_r(NULL, " \t\n", &save)) != NULL) {
		if (strncmp(word, "match=", 6) == 0 && word[6] != '\0' &&
		    strlen(word + 6) < sizeof(r->match)) {
			memcpy(r->match, word + 6, strlen(word + 6) + 1);
			continue;
		}
		if (parse_count(word, "after", &r->after) != 0 &&
		    parse_count(word, "times", &r->times) != 0)
			return -1;
	}
	return 0;
}

static void read_rules(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[256];
	int lineno = 0;

	faults.n = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || strspn(line, " \t\n") == strlen(line))
			continue;
		if (faults.n == RULES_MAX || parse_rule(line, &faults.rules[faults.n]) != 0) {
			log_error("%s:%d: not a fault rule; injecting none", path, lineno);
			faults.n = 0;
			break;
		}
		faults.n++;
	}
	fclose(f);
	log_warn("fault injection: %zu rule%s from %s", faults.n, faults.n == 1 ? "" : "s", path);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Rereads the rules when the file changed, came or went. */
static void refresh_rules(void)
{
	const char *path = getenv("JIT_FAULTS");
	struct stat now;

	if (path == NULL || stat(path, &now) != 0) {
		if (faults.seen.st_ino != 0 && path != NULL)
			log_warn("fault injection: %s is gone; injecting none", path);
		memset(&faults, 0, sizeof(faults));
		return;
	}
	if (same_file(&now, &faults.seen))
		return;
	faults.seen = now;
	read_rules(path);
}

int jit_fault(enum jit_fault_site site, const char *what)
{
	refresh_rules();
	for (size_t i = 0; i < faults.n; i++) {
		struct fault_rule *r = &faults.rules[i];
		unsigned long call;

		if (r->site != site || (r->match[0] != '\0' && strstr(what, r->match) == NULL))
			continue;
		call = r->calls++;
		if (call < r->after || (r->times != 0 && call - r->after >= r->times))
			continue;
		log_warn("fault injected: %s fails with %s (call %lu) in %s", site_names[site],
			 r->error_name, call + 1, what);
		return r->error;
	}
	return 0;
}
