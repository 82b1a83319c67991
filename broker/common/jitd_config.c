/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "jitd_config.h"
#include "safefile.h"
#include "strlist.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_LINE_MAX 4096

enum section_kind { SEC_NONE, SEC_JITD, SEC_POLICY, SEC_ROLE, SEC_SSHD, SEC_HOSTGROUP,
		    SEC_CONTROLLER };

struct parser {
	const char *file;
	struct jit_config *cfg;
	struct jit_config_errors *errs;
	unsigned line;
	enum section_kind section;
	unsigned section_line;
	unsigned seen;			/* keys of the current section, one bit each */
	bool seen_jitd, seen_sshd, seen_controller;
	unsigned key_line, pubkey_line;	/* where [jitd] key and pubkey were set */
};

/* A key whose value needs more than a type: it reads value into field. */
typedef int (*value_fn)(struct parser *p, const char *key, const char *value, void *field);

/* How a key's value is read, and what its field is. */
enum key_type {
	K_PATH,		/* an absolute path: char[JIT_PATH_MAX] */
	K_USER,		/* a user name: char[JIT_NAME_MAX] */
	K_GROUP,	/* a group name: char[JIT_NAME_MAX] */
	K_DURATION,	/* int64_t seconds, within [min, max] */
	K_INT,		/* int, within [min, max] */
	K_YES_NO,	/* bool */
	K_NAMES,	/* struct jit_names */
	K_RATE,		/* struct jit_rate_limit */
	K_CUSTOM,	/* read by parse */
};

/* One key of a section: its field's offset in the section's struct
 * (jit_config for [jitd], jit_sshd_config for [sshd], jit_policy, jit_role);
 * for durations and numbers the range (a duration's min 0: from 1s, its max
 * 0: up to JIT_DURATION_MAX); and the default, written as in the file,
 * read by the same code when the section begins (NULL: zero, empty). */
struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	int64_t min, max;
	const char *dflt;
	value_fn parse;
};

static void perr_at(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (p->errs->n == JIT_CONFIG_ERRORS_MAX) {
		p->errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (line > 0)
		(void)snprintf(p->errs->msg[p->errs->n], sizeof(p->errs->msg[0]), "%.200s:%u: %s",
			       p->file, line, reason);
	else
		(void)snprintf(p->errs->msg[p->errs->n], sizeof(p->errs->msg[0]), "%.200s: %s",
			       p->file, reason);
	p->errs->line[p->errs->n] = line;
	p->errs->n++;
}

#define perr(p, ...) perr_at((p), (p)->line, __VA_ARGS__)

const char *jit_firewall_name(enum jit_firewall_kind kind)
{
	switch (kind) {
	case JIT_FW_NFTABLES: return "nftables";
	case JIT_FW_IPTABLES: return "iptables";
	case JIT_FW_NONE: return "none";
	}
	return "?";
}

/* --- value parsers -------------------------------------------------------- */

/* User, group, section and policy names: letters, digits, '_', '.', '-'
 * (not first), and a final '$' as machine accounts have. */
bool jit_config_valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= JIT_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '.' || c == '-' || (c == '$' && i == len - 1);

		if (!ok)
			return false;
	}
	return true;
}

bool jit_config_valid_host(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= JIT_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static int set_path(struct parser *p, const char *key, const char *value, char *dst)
{
	if (value[0] != '/' || strlen(value) >= JIT_PATH_MAX) {
		perr(p, "%s: '%s' is not an absolute path", key, value);
		return -1;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int set_name(struct parser *p, const char *key, const char *value, const char *what,
		    char *dst)
{
	if (!jit_config_valid_name(value)) {
		perr(p, "%s: '%s' is not a valid %s name", key, value, what);
		return -1;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int set_duration(struct parser *p, const struct key_def *k, const char *value,
			int64_t *dst)
{
	char min[16], max[16];

	if (jit_duration_parse(value, dst) != 0) {
		perr(p, "%s: '%s' is not a duration like 90s, 30m, 3h or 1d (at most 366d)", k->name,
		     value);
		return -1;
	}
	if ((k->max == 0 || *dst <= k->max) && *dst >= k->min)
		return 0;
	jit_duration_format(k->min, min, sizeof(min));
	jit_duration_format(k->max, max, sizeof(max));
	if (k->min == 0)
		perr(p, "%s: '%s' is more than %s", k->name, value, max);
	else
		perr(p, "%s: '%s' is not between %s and %s", k->name, value, min, max);
	return -1;
}

static int set_yes_no(struct parser *p, const char *key, const char *value, bool *dst)
{
	if (strcmp(value, "yes") == 0)
		*dst = true;
	else if (strcmp(value, "no") == 0)
		*dst = false;
	else {
		perr(p, "%s: '%s' is neither yes nor no", key, value);
		return -1;
	}
	return 0;
}

static int set_int(struct parser *p, const struct key_def *k, const char *value, int *dst)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (*end != '\0' || errno != 0 || n < k->min || n > k->max || value[0] == '\0') {
		perr(p, "%s: '%s' is not a whole number from %lld to %lld", k->name, value,
		     (long long)k->min, (long long)k->max);
		return -1;
	}
	*dst = (int)n;
	return 0;
}

struct names_target {
	struct parser *p;
	const char *key;
	struct jit_names *dst;
	bool reported;
};

static int add_name(const char *item, size_t index, void *ctx)
{
	struct names_target *t = ctx;
	void *grown;

	(void)index;
	if (!jit_config_valid_name(item)) {
		perr(t->p, "%s: '%s' is not a valid name", t->key, item);
		t->reported = true;
		return -1;
	}
	grown = realloc(t->dst->items, (t->dst->n + 1) * sizeof(*t->dst->items));
	if (grown == NULL) {
		perr(t->p, "out of memory");
		t->reported = true;
		return -1;
	}
	t->dst->items = grown;
	memcpy(t->dst->items[t->dst->n++], item, strlen(item) + 1);
	return 0;
}

/* Comma-separated names, blanks around each allowed. */
static int set_names(struct parser *p, const char *key, const char *value,
		     struct jit_names *dst)
{
	struct names_target t = { p, key, dst, false };

	if (jit_list_each(value, add_name, &t) == 0)
		return 0;
	if (!t.reported)
		perr(p, "%s: empty or overlong name in '%s'", key, value);
	return -1;
}

static int set_rate(struct parser *p, const char *key, const char *value,
		    struct jit_rate_limit *dst)
{
	if (jit_rate_limit_parse(value, dst) == 0)
		return 0;
	perr(p, "%s: '%s' is not a rate like 20/1m (at most 100000 per 1s to 1d) or off", key,
	     value);
	return -1;
}

struct hosts_target {
	struct parser *p;
	const char *key;
	struct jit_hosts *dst;
	bool groups_allowed;		/* a policy's hosts: "@GROUP" too */
	bool reported;
};

static int add_host(const char *item, size_t index, void *ctx)
{
	struct hosts_target *t = ctx;
	bool group = item[0] == '@' && t->groups_allowed;
	void *grown;

	(void)index;
	if (group ? !jit_config_valid_name(item + 1) : !jit_config_valid_host(item)) {
		perr(t->p, "%s: '%s' is not a host id%s", t->key, item,
		     t->groups_allowed ? " or @HOSTGROUP" : "");
		t->reported = true;
		return -1;
	}
	grown = realloc(t->dst->items, (t->dst->n + 1) * sizeof(*t->dst->items));
	if (grown == NULL) {
		perr(t->p, "out of memory");
		t->reported = true;
		return -1;
	}
	t->dst->items = grown;
	memcpy(t->dst->items[t->dst->n++], item, strlen(item) + 1);
	return 0;
}

/* Comma-separated host ids (with groups_allowed, "@GROUP" too). */
static int set_hosts(struct parser *p, const char *key, const char *value, struct jit_hosts *dst,
		     bool groups_allowed)
{
	struct hosts_target t = { p, key, dst, groups_allowed, false };

	if (jit_list_each(value, add_host, &t) == 0)
		return 0;
	if (!t.reported)
		perr(p, "%s: empty or overlong host id in '%s'", key, value);
	return -1;
}

/* Up to JIT_POLICY_PORTS_MAX ports, "22/tcp, 3389/tcp": a policy's or an
 * enforcer's guard. */
static int set_ports(struct parser *p, const char *key, const char *value,
		     struct jit_portspec *ports, size_t *n)
{
	if (jit_portspec_list_parse(value, ports, JIT_POLICY_PORTS_MAX, n) == 0)
		return 0;
	*n = 0;
	perr(p, "%s: '%s' is not a list of up to %d ports like 22/tcp, 3389/tcp", key, value,
	     JIT_POLICY_PORTS_MAX);
	return -1;
}

/* Reads value into the key's field of the section's struct at base. */
static int set_value(struct parser *p, const struct key_def *k, void *base, const char *value)
{
	void *field = (char *)base + k->offset;

	switch (k->type) {
	case K_PATH: return set_path(p, k->name, value, field);
	case K_USER: return set_name(p, k->name, value, "user", field);
	case K_GROUP: return set_name(p, k->name, value, "group", field);
	case K_DURATION: return set_duration(p, k, value, field);
	case K_INT: return set_int(p, k, value, field);
	case K_YES_NO: return set_yes_no(p, k->name, value, field);
	case K_NAMES: return set_names(p, k->name, value, field);
	case K_RATE: return set_rate(p, k->name, value, field);
	case K_CUSTOM: return k->parse(p, k->name, value, field);
	}
	return -1;
}

/* --- [jitd] ---------------------------------------------------------------- */

static int jitd_host(struct parser *p, const char *key, const char *value, void *field)
{
	if (!jit_config_valid_host(value)) {
		perr(p, "%s: '%s' is not a host id (letters, digits, '.', '-', '_')", key, value);
		return -1;
	}
	memcpy(field, value, strlen(value) + 1);
	return 0;
}

static int jitd_firewall(struct parser *p, const char *key, const char *value, void *field)
{
	static const enum jit_firewall_kind kinds[] = { JIT_FW_NFTABLES, JIT_FW_IPTABLES,
							JIT_FW_NONE };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(value, jit_firewall_name(kinds[i])) != 0)
			continue;
#ifndef JIT_WITH_IPTABLES
		if (kinds[i] == JIT_FW_IPTABLES) {
			perr(p, "%s: this jitd was built without iptables (./configure"
			     " --without-iptables): use nftables", key);
			return -1;
		}
#endif
		*(enum jit_firewall_kind *)field = kinds[i];
		return 0;
	}
	perr(p, "%s: '%s' is not one of nftables, iptables, none", key, value);
	return -1;
}

/* The signing key's path, and whether the file set it (an enforcer's must not). */
static int jitd_key(struct parser *p, const char *key, const char *value, void *field)
{
	if (p->line > 0)
		p->key_line = p->line;
	return set_path(p, key, value, field);
}

static int jitd_pubkey(struct parser *p, const char *key, const char *value, void *field)
{
	p->pubkey_line = p->line;
	return set_path(p, key, value, field);
}

static int jitd_notify_command(struct parser *p, const char *key, const char *value, void *field)
{
	p->cfg->notify_line = p->line;
	return set_path(p, key, value, field);
}

bool jit_config_database_is_postgresql(const char *database)
{
	return strncmp(database, "postgresql://", 13) == 0 ||
	       strncmp(database, "postgres://", 11) == 0 ||
	       (database[0] != '/' && strchr(database, '=') != NULL);
}

/* A password in a URI's user part (user:secret@) or its query, or a
 * conninfo's password key. */
bool jit_config_database_names_password(const char *database)
{
	const char *authority, *at, *colon, *p;

	if (database[0] != 'p' || strstr(database, "://") == NULL) {
		for (p = strstr(database, "password"); p != NULL; p = strstr(p + 1, "password")) {
			const char *after = p + 8;

			while (*after == ' ' || *after == '\t')
				after++;
			if ((p == database || p[-1] == ' ' || p[-1] == '\t') && *after == '=')
				return true;
		}
		return false;
	}
	authority = strstr(database, "://") + 3;
	at = strchr(authority, '@');
	colon = strchr(authority, ':');
	if (at != NULL && colon != NULL && colon < at && strcspn(authority, "/?") > (size_t)(at - authority))
		return true;
	p = strchr(database, '?');
	return p != NULL && (strstr(p, "?password=") != NULL || strstr(p, "&password=") != NULL);
}

static int jitd_database(struct parser *p, const char *key, const char *value, void *field)
{
	if (!jit_config_database_is_postgresql(value))
		return set_path(p, key, value, field);
	if (strlen(value) >= JIT_PATH_MAX) {
		perr(p, "%s: longer than %d bytes", key, JIT_PATH_MAX - 1);
		return -1;
	}
	if (jit_config_database_names_password(value)) {
		perr(p, "%s: a password on the line is refused (every log and process list"
		     " could read it): put it in passfile", key);
		return -1;
	}
	memcpy(field, value, strlen(value) + 1);
	return 0;
}

static int jitd_passfile(struct parser *p, const char *key, const char *value, void *field)
{
	p->cfg->passfile_line = p->line;
	return set_path(p, key, value, field);
}

#define JITD(f) offsetof(struct jit_config, f)

static const struct key_def jitd_keys[] = {
	{ "host", K_CUSTOM, JITD(host), 0, 0, NULL, jitd_host },
	{ "socket", K_PATH, JITD(socket), 0, 0, "/run/jit/jitd.sock", NULL },
	{ "socket_group", K_GROUP, JITD(socket_group), 0, 0, "jit", NULL },
	{ "database", K_CUSTOM, JITD(database), 0, 0, "/var/lib/jit/jit.db", jitd_database },
	{ "passfile", K_CUSTOM, JITD(passfile), 0, 0, NULL, jitd_passfile },
	{ "key", K_CUSTOM, JITD(key), 0, 0, "/etc/jit/broker.key", jitd_key },
	{ "pubkey", K_CUSTOM, JITD(pubkey), 0, 0, NULL, jitd_pubkey },
	{ "firewall", K_CUSTOM, JITD(firewall), 0, 0, "nftables", jitd_firewall },
	{ "default_duration", K_DURATION, JITD(default_duration), 0, 0, "1h", NULL },
	/* A large skew would let tickets live far past their window. */
	{ "skew", K_DURATION, JITD(skew), 0, 300, "30s", NULL },
	{ "reconcile_interval", K_DURATION, JITD(reconcile_interval), 0, 3600, "5s", NULL },
	{ "metrics_file", K_PATH, JITD(metrics_file), 0, 0, NULL, NULL },
	{ "notify_command", K_CUSTOM, JITD(notify_command), 0, 0, NULL, jitd_notify_command },
	{ "notify_timeout", K_DURATION, JITD(notify_timeout), 1, 60, "5s", NULL },
	{ "rate_requests", K_RATE, JITD(rate_requests), 0, 0, "20/1m", NULL },
	{ "rate_verifications", K_RATE, JITD(rate_verifications), 0, 0, "60/1m", NULL },
	{ "connections_per_uid", K_INT, JITD(connections_per_uid), 1, 1024, "32", NULL },
	{ "audit_denials", K_RATE, JITD(audit_denials), 0, 0, "10/1m", NULL },
	/* Below the idle limit of jitd's clients (10 s), which a wait is not. */
	{ "apply_timeout", K_DURATION, JITD(apply_timeout), 0, 9, "2s", NULL },
	{ "used_up_grace", K_DURATION, JITD(used_up_grace), 0, JIT_USED_UP_GRACE_MAX, "10s", NULL },
	{ NULL, K_CUSTOM, 0, 0, 0, NULL, NULL },
};

/* --- [sshd] ---------------------------------------------------------------- */

/* "ADDR:PORT", with IPv6 addresses in brackets: "[2001:db8::1]:2222", into
 * a struct jit_listen. */
static int parse_listen(const char *text, void *slot)
{
	struct jit_listen *out = slot;
	char addr[JIT_CIDR_STRLEN];
	bool bracketed;

	if (jit_hostport_split(text, false, addr, sizeof(addr), &out->port, &bracketed) != 0 ||
	    jit_addr_parse(addr, &out->addr) != 0 || bracketed != (out->addr.family == AF_INET6))
		return -1;
	return 0;
}

/* value's comma-separated addresses, at most max, each read by parse into
 * its slot of out (slots of size bytes); their count in *n, 0 after
 * reporting the first that is not what (the form expected). */
static int set_addresses(struct parser *p, const char *key, const char *value, const char *what,
			 int (*parse)(const char *text, void *slot), void *out, size_t size,
			 size_t max, size_t *n)
{
	char copy[CONFIG_LINE_MAX + 1], *item, *next;

	*n = 0;
	(void)snprintf(copy, sizeof(copy), "%s", value);
	for (item = copy; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		item += strspn(item, " \t");
		item[strcspn(item, " \t")] = '\0';
		if (*n == max)
			perr(p, "%s: more than %zu addresses", key, max);
		else if (parse(item, (char *)out + *n * size) != 0)
			perr(p, "%s: '%s' is not %s", key, item, what);
		else {
			(*n)++;
			continue;
		}
		*n = 0;
		return -1;
	}
	return 0;
}

static int sshd_listen(struct parser *p, const char *key, const char *value, void *field)
{
	struct jit_sshd_config *s = field;

	return set_addresses(p, key, value, "ADDR:PORT (IPv6 as [ADDR]:PORT)", parse_listen,
			     s->listen, sizeof(s->listen[0]), JIT_SSHD_LISTEN_MAX, &s->n_listen);
}

/* N, or OpenSSH's start:rate:full (random early drop from start on, rate
 * percent there, rising to all at full). */
static int sshd_max_startups(struct parser *p, const char *key, const char *value, void *field)
{
	static const struct key_def whole = { "max_startups", K_INT, 0, 1, 1000, NULL, NULL };
	struct jit_sshd_config *c = field;
	int start, rate, full, used = 0;

	if (strchr(value, ':') == NULL) {
		if (set_int(p, &whole, value, &c->max_startups) != 0)
			return -1;
		c->startups_begin = c->max_startups;
		c->startups_rate = 100;
		return 0;
	}
	if (sscanf(value, "%d:%d:%d%n", &start, &rate, &full, &used) != 3 ||
	    value[used] != '\0' || start < 1 || start > full || full > 1000 || rate < 1 ||
	    rate > 100) {
		perr(p, "%s: '%s' is neither N nor START:RATE:FULL (1 <= START <= FULL <= 1000,"
		     " RATE a percentage from 1 to 100)", key, value);
		return -1;
	}
	c->startups_begin = start;
	c->startups_rate = rate;
	c->max_startups = full;
	return 0;
}

#define SSHD(f) offsetof(struct jit_sshd_config, f)

static const struct key_def sshd_keys[] = {
	{ "user", K_USER, SSHD(user), 0, 0, NULL, NULL },
	{ "listen", K_CUSTOM, 0, 0, 0, NULL, sshd_listen },
	{ "host_key", K_PATH, SSHD(host_key), 0, 0, "/etc/jit/ssh_host_ed25519_key", NULL },
	{ "authorized_keys", K_PATH, SSHD(authorized_keys), 0, 0, "/etc/jit/authorized_keys", NULL },
	{ "login_grace", K_DURATION, SSHD(login_grace), 1, 600, "10s", NULL },
	{ "max_auth_tries", K_INT, SSHD(max_auth_tries), 1, 20, "3", NULL },
	{ "max_startups", K_CUSTOM, 0, 0, 0, "20:30:60", sshd_max_startups },
	{ "per_source_max_startups", K_INT, SSHD(per_source_max_startups), 1, 1000, "5", NULL },
	{ NULL, K_CUSTOM, 0, 0, 0, NULL, NULL },
};

/* --- [policy NAME] ----------------------------------------------------------- */

static struct jit_policy *cur_policy(struct parser *p)
{
	return &p->cfg->policies[p->cfg->n_policies - 1];
}

static int policy_ports(struct parser *p, const char *key, const char *value, void *field)
{
	struct jit_policy *pol = field;

	return set_ports(p, key, value, pol->ports, &pol->n_ports);
}

static int policy_sources(struct parser *p, const char *key, const char *value, void *field)
{
	struct jit_policy *pol = field;

	if (strcmp(value, "any") == 0) {
		pol->any_source = true;
		pol->n_sources = 0;
		return 0;
	}
	pol->any_source = false;
	if (jit_cidr_list_parse(value, pol->sources, JIT_POLICY_SOURCES_MAX, &pol->n_sources) == 0)
		return 0;
	pol->n_sources = 0;
	perr(p, "%s: '%s' is neither 'any' nor a list of up to %d prefixes like 192.0.2.0/24,"
	     " 2001:db8::/32 (host bits must be zero)", key, value, JIT_POLICY_SOURCES_MAX);
	return -1;
}

/* A key of two words: *field true for `yes`, false for `no`. */
static int two_words(struct parser *p, const char *key, const char *value, bool *field,
		     const char *yes, const char *no)
{
	if (strcmp(value, yes) == 0)
		*field = true;
	else if (strcmp(value, no) == 0)
		*field = false;
	else {
		perr(p, "%s: '%s' is neither %s nor %s", key, value, yes, no);
		return -1;
	}
	return 0;
}

static int policy_justification(struct parser *p, const char *key, const char *value, void *field)
{
	return two_words(p, key, value, field, "required", "optional");
}

/* on_revoke, on_expiry: what becomes of a window's established sessions. */
static int policy_sessions(struct parser *p, const char *key, const char *value, void *field)
{
	return two_words(p, key, value, field, "terminate", "keep");
}

static int policy_hosts(struct parser *p, const char *key, const char *value, void *field)
{
	cur_policy(p)->hosts_line = p->line;
	return set_hosts(p, key, value, field, true);
}

static int parse_approver(const char *item, struct jit_approver *a)
{
	static const struct {
		const char *prefix;
		enum jit_approver_kind kind;
	} kinds[] = {
		{ "role:", JIT_APPROVER_ROLE }, { "group:", JIT_APPROVER_GROUP },
		{ "user:", JIT_APPROVER_USER }, { "remote:", JIT_APPROVER_REMOTE },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = strlen(kinds[i].prefix);

		if (strncmp(item, kinds[i].prefix, len) != 0)
			continue;
		if (!jit_config_valid_name(item + len))
			return -1;
		a->kind = kinds[i].kind;
		memcpy(a->name, item + len, strlen(item + len) + 1);
		return 0;
	}
	return -1;
}

static int add_approver(const char *item, size_t index, void *ctx)
{
	struct jit_policy *pol = ctx;

	if (index >= JIT_POLICY_APPROVERS_MAX || parse_approver(item, &pol->approvers[index]) != 0)
		return -1;
	pol->n_approvers = index + 1;
	return 0;
}

static int policy_approvers(struct parser *p, const char *key, const char *value, void *field)
{
	struct jit_policy *pol = field;

	pol->approvers_line = p->line;
	pol->n_approvers = 0;
	if (jit_list_each(value, add_approver, pol) == 0)
		return 0;
	pol->n_approvers = 0;
	perr(p, "%s: '%s' is not a list of up to %d of role:NAME, group:NAME, user:NAME and"
	     " remote:NAME", key, value, JIT_POLICY_APPROVERS_MAX);
	return -1;
}

#define POLICY(f) offsetof(struct jit_policy, f)

static const struct key_def policy_keys[] = {
	{ "ports", K_CUSTOM, 0, 0, 0, NULL, policy_ports },
	{ "hosts", K_CUSTOM, POLICY(hosts_written), 0, 0, NULL, policy_hosts },
	{ "sources", K_CUSTOM, 0, 0, 0, NULL, policy_sources },
	{ "max_duration", K_DURATION, POLICY(max_duration), 0, 0, "1h", NULL },
	{ "justification", K_CUSTOM, POLICY(justification_required), 0, 0, "optional",
	  policy_justification },
	{ "approvals", K_INT, POLICY(approvals), 0, JIT_APPROVALS_MAX, "0", NULL },
	{ "approvers", K_CUSTOM, 0, 0, 0, NULL, policy_approvers },
	{ "request_ttl", K_DURATION, POLICY(request_ttl), 0, JIT_REQUEST_TTL_MAX, "1h", NULL },
	{ "self_approve", K_YES_NO, POLICY(self_approve), 0, 0, "no", NULL },
	{ "break_glass", K_YES_NO, POLICY(break_glass), 0, 0, "no", NULL },
	{ "on_revoke", K_CUSTOM, POLICY(terminate_on_revoke), 0, 0, "keep", policy_sessions },
	{ "on_expiry", K_CUSTOM, POLICY(terminate_on_expiry), 0, 0, "keep", policy_sessions },
	{ "max_logins", K_INT, POLICY(max_logins), 0, JIT_MAX_LOGINS_MAX, "0", NULL },
	{ "max_advance", K_DURATION, POLICY(max_advance), 0, JIT_MAX_ADVANCE_MAX, "7d", NULL },
	{ NULL, K_CUSTOM, 0, 0, 0, NULL, NULL },
};

/* --- [role NAME] ---------------------------------------------------------------- */

static struct jit_role *cur_role(struct parser *p)
{
	return &p->cfg->roles[p->cfg->n_roles - 1];
}

static int role_policies(struct parser *p, const char *key, const char *value, void *field)
{
	cur_role(p)->policies_line = p->line;
	return set_names(p, key, value, field);
}

#define ROLE(f) offsetof(struct jit_role, f)

static const struct key_def role_keys[] = {
	{ "users", K_NAMES, ROLE(users), 0, 0, NULL, NULL },
	{ "groups", K_NAMES, ROLE(groups), 0, 0, NULL, NULL },
	{ "remote_users", K_NAMES, ROLE(remote_users), 0, 0, NULL, NULL },
	{ "policies", K_CUSTOM, ROLE(policy_names), 0, 0, NULL, role_policies },
	{ "max_duration", K_DURATION, ROLE(max_duration), 0, 0, NULL, NULL },
	{ "grant_others", K_YES_NO, ROLE(grant_others), 0, 0, NULL, NULL },
	{ "revoke_any", K_YES_NO, ROLE(revoke_any), 0, 0, NULL, NULL },
	{ "audit", K_YES_NO, ROLE(audit), 0, 0, NULL, NULL },
	{ "lock", K_YES_NO, ROLE(lock), 0, 0, NULL, NULL },
	{ NULL, K_CUSTOM, 0, 0, 0, NULL, NULL },
};

/* --- [hostgroup NAME] ----------------------------------------------------------- */

static struct jit_hostgroup *cur_hostgroup(struct parser *p)
{
	return &p->cfg->hostgroups[p->cfg->n_hostgroups - 1];
}

static int hostgroup_hosts(struct parser *p, const char *key, const char *value, void *field)
{
	return set_hosts(p, key, value, field, false);
}

static const struct key_def hostgroup_keys[] = {
	{ "hosts", K_CUSTOM, offsetof(struct jit_hostgroup, hosts), 0, 0, NULL, hostgroup_hosts },
	{ NULL, K_CUSTOM, 0, 0, 0, NULL, NULL },
};

/* --- [controller] ----------------------------------------------------------------- */

/* "USER@HOST[:PORT]", port 22 unless given, IPv6 in brackets with a port,
 * into a struct jit_controller_address. */
static int parse_controller_address(const char *text, void *slot)
{
	struct jit_controller_address *out = slot;

	if (jit_userhost_split(text, out->user, sizeof(out->user), out->host, sizeof(out->host),
			       &out->port) != 0 || !jit_config_valid_name(out->user))
		return -1;
	return 0;
}

/* Each line's addresses after those of the lines before: a controller a
 * line, or several on one. */
static int controller_address(struct parser *p, const char *key, const char *value, void *field)
{
	struct jit_controller_config *c = field;
	struct jit_controller_address more[JIT_CONTROLLER_ADDRESSES_MAX];
	size_t n;

	if (set_addresses(p, key, value, "USER@HOST[:PORT] (IPv6 as USER@[ADDR]:PORT)",
			  parse_controller_address, more, sizeof(more[0]),
			  JIT_CONTROLLER_ADDRESSES_MAX, &n) != 0)
		return -1;
	if (c->n_address + n > JIT_CONTROLLER_ADDRESSES_MAX) {
		perr(p, "%s: more than %d addresses", key, JIT_CONTROLLER_ADDRESSES_MAX);
		return -1;
	}
	memcpy(c->address + c->n_address, more, n * sizeof(more[0]));
	c->n_address += n;
	return 0;
}

static int controller_guard(struct parser *p, const char *key, const char *value, void *field)
{
	struct jit_controller_config *c = field;

	return set_ports(p, key, value, c->guard, &c->n_guard);
}

#define CONTROLLER(f) offsetof(struct jit_controller_config, f)

static const struct key_def controller_keys[] = {
	{ "address", K_CUSTOM, 0, 0, 0, NULL, controller_address },
	{ "identity", K_PATH, CONTROLLER(identity), 0, 0, NULL, NULL },
	{ "known_hosts", K_PATH, CONTROLLER(known_hosts), 0, 0, NULL, NULL },
	{ "guard", K_CUSTOM, 0, 0, 0, NULL, controller_guard },
	{ "user", K_USER, CONTROLLER(user), 0, 0, "jit-relay", NULL },
	{ "reconnect_max", K_DURATION, CONTROLLER(reconnect_max), 1, 3600, "30s", NULL },
	{ "heartbeat", K_DURATION, CONTROLLER(heartbeat), 1, 3600, "15s", NULL },
	{ NULL, K_CUSTOM, 0, 0, 0, NULL, NULL },
};

/* --- sections ------------------------------------------------------------------- */

static const struct key_def *section_keys(enum section_kind kind)
{
	switch (kind) {
	case SEC_JITD: return jitd_keys;
	case SEC_POLICY: return policy_keys;
	case SEC_ROLE: return role_keys;
	case SEC_SSHD: return sshd_keys;
	case SEC_HOSTGROUP: return hostgroup_keys;
	case SEC_CONTROLLER: return controller_keys;
	case SEC_NONE: break;
	}
	return NULL;
}

/* The struct the current section's keys are fields of. */
static void *section_base(struct parser *p)
{
	switch (p->section) {
	case SEC_JITD: return p->cfg;
	case SEC_SSHD: return &p->cfg->sshd;
	case SEC_POLICY: return cur_policy(p);
	case SEC_ROLE: return cur_role(p);
	case SEC_HOSTGROUP: return cur_hostgroup(p);
	case SEC_CONTROLLER: return &p->cfg->controller;
	case SEC_NONE: break;
	}
	return NULL;
}

/* The defaults of a section's keys, into the struct at base. */
static void set_section_defaults(struct parser *p, const struct key_def *keys, void *base)
{
	for (const struct key_def *k = keys; k->name != NULL; k++)
		if (k->dflt != NULL)
			(void)set_value(p, k, base, k->dflt);
}

/* Whether the current section set key (rightly or not). */
static bool key_seen(const struct parser *p, const struct key_def *keys, const char *key)
{
	for (unsigned i = 0; keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, key) == 0)
			return (p->seen & (1u << i)) != 0;
	return false;
}

/* Required keys of the section just ended. A key that was set but wrong is
 * reported where it is set, not again as missing. */
static void section_end(struct parser *p)
{
	if (p->section == SEC_SSHD && !key_seen(p, sshd_keys, "user"))
		perr_at(p, p->section_line, "[sshd]: user is required");
	if (p->section == SEC_JITD && !key_seen(p, jitd_keys, "host"))
		perr_at(p, p->section_line, "[jitd]: host is required");
	if (p->section == SEC_POLICY && !key_seen(p, policy_keys, "ports"))
		perr_at(p, p->section_line, "[policy %s]: ports is required", cur_policy(p)->name);
	if (p->section == SEC_POLICY && !key_seen(p, policy_keys, "sources"))
		perr_at(p, p->section_line, "[policy %s]: sources is required: the prefixes requests"
			" may come from, or 'sources = any' to allow every address",
			cur_policy(p)->name);
	if (p->section == SEC_CONTROLLER) {
		static const char *const required[] = { "address", "identity", "known_hosts" };

		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			if (!key_seen(p, controller_keys, required[i]))
				perr_at(p, p->section_line, "[controller]: %s is required", required[i]);
	}
	if (p->section == SEC_HOSTGROUP && !key_seen(p, hostgroup_keys, "hosts"))
		perr_at(p, p->section_line, "[hostgroup %s]: hosts is required", cur_hostgroup(p)->name);
	if (p->section == SEC_ROLE) {
		struct jit_role *r = cur_role(p);

		if (!key_seen(p, role_keys, "users") && !key_seen(p, role_keys, "groups") &&
		    !key_seen(p, role_keys, "remote_users"))
			perr_at(p, p->section_line, "[role %s]: users, groups or remote_users is"
				" required", r->name);
		if (!key_seen(p, role_keys, "policies"))
			perr_at(p, p->section_line, "[role %s]: policies is required", r->name);
	}
	p->section = SEC_NONE;
}

static bool name_taken(const struct jit_config *cfg, enum section_kind kind, const char *name)
{
	if (kind == SEC_POLICY)
		return jit_config_policy(cfg, name) != NULL;
	if (kind == SEC_HOSTGROUP)
		return jit_config_hostgroup(cfg, name) != NULL;
	for (size_t i = 0; i < cfg->n_roles; i++)
		if (strcmp(cfg->roles[i].name, name) == 0)
			return true;
	return false;
}

static const char *section_word(enum section_kind kind)
{
	return kind == SEC_POLICY ? "policy" : kind == SEC_ROLE ? "role" : "hostgroup";
}

static int add_hostgroup(struct parser *p, const char *name)
{
	void *grown = realloc(p->cfg->hostgroups,
			      (p->cfg->n_hostgroups + 1) * sizeof(struct jit_hostgroup));

	if (grown == NULL) {
		perr(p, "out of memory");
		return -1;
	}
	p->cfg->hostgroups = grown;
	memset(&p->cfg->hostgroups[p->cfg->n_hostgroups], 0, sizeof(struct jit_hostgroup));
	p->cfg->n_hostgroups++;
	memcpy(cur_hostgroup(p)->name, name, strlen(name) + 1);
	cur_hostgroup(p)->line = p->line;
	return 0;
}

static int add_named_section(struct parser *p, enum section_kind kind, const char *name)
{
	void *grown;

	if (!jit_config_valid_name(name)) {
		perr(p, "'%s' is not a valid section name", name);
		return -1;
	}
	if (name_taken(p->cfg, kind, name)) {
		perr(p, "[%s %s] is defined twice", section_word(kind), name);
		return -1;
	}
	if (kind == SEC_HOSTGROUP)
		return add_hostgroup(p, name);
	if (kind == SEC_POLICY) {
		grown = realloc(p->cfg->policies, (p->cfg->n_policies + 1) * sizeof(struct jit_policy));
		if (grown == NULL) {
			perr(p, "out of memory");
			return -1;
		}
		p->cfg->policies = grown;
		memset(&p->cfg->policies[p->cfg->n_policies], 0, sizeof(struct jit_policy));
		p->cfg->n_policies++;
		memcpy(cur_policy(p)->name, name, strlen(name) + 1);
		cur_policy(p)->line = p->line;
		set_section_defaults(p, policy_keys, cur_policy(p));
	} else {
		grown = realloc(p->cfg->roles, (p->cfg->n_roles + 1) * sizeof(struct jit_role));
		if (grown == NULL) {
			perr(p, "out of memory");
			return -1;
		}
		p->cfg->roles = grown;
		memset(&p->cfg->roles[p->cfg->n_roles], 0, sizeof(struct jit_role));
		p->cfg->n_roles++;
		memcpy(cur_role(p)->name, name, strlen(name) + 1);
		cur_role(p)->line = p->line;
		set_section_defaults(p, role_keys, cur_role(p));
	}
	return 0;
}

/* "[jitd]", "[policy NAME]" or "[role NAME]" with the brackets removed. */
static void parse_section(struct parser *p, char *inner)
{
	char *name = inner + strcspn(inner, " \t");

	if (p->section != SEC_NONE)
		section_end(p);
	p->seen = 0;
	p->section_line = p->line;
	if (*name != '\0') {
		*name++ = '\0';
		name += strspn(name, " \t");
	}
	if (strcmp(inner, "jitd") == 0 && *name == '\0') {
		if (p->seen_jitd) {
			perr(p, "[jitd] is defined twice");
			return;
		}
		p->seen_jitd = true;
		p->section = SEC_JITD;
	} else if (strcmp(inner, "controller") == 0 && *name == '\0') {
		if (p->seen_controller) {
			perr(p, "[controller] is defined twice");
			return;
		}
		p->seen_controller = true;
		p->section = SEC_CONTROLLER;
	} else if (strcmp(inner, "sshd") == 0 && *name == '\0') {
		if (p->seen_sshd) {
			perr(p, "[sshd] is defined twice");
			return;
		}
		p->seen_sshd = true;
		p->section = SEC_SSHD;
	} else if ((strcmp(inner, "policy") == 0 || strcmp(inner, "role") == 0 ||
		    strcmp(inner, "hostgroup") == 0) && *name != '\0') {
		enum section_kind kind = inner[0] == 'p' ? SEC_POLICY :
					 inner[0] == 'r' ? SEC_ROLE : SEC_HOSTGROUP;

		if (add_named_section(p, kind, name) == 0)
			p->section = kind;
	} else
		perr(p, "unknown section [%s%s%s]; expected [jitd], [sshd], [controller], [policy NAME],"
		     " [role NAME] or [hostgroup NAME]", inner, *name ? " " : "", name);
}

static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t\r");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static void parse_assignment(struct parser *p, char *line)
{
	char *eq = strchr(line, '=');
	const struct key_def *keys = section_keys(p->section);
	char *key, *value;

	if (eq == NULL) {
		perr(p, "expected 'key = value' or a [section]");
		return;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (p->section == SEC_NONE) {
		/* After an erroneous section header its keys are skipped quietly. */
		if (p->section_line == 0)
			perr(p, "'%s' is outside any section", key);
		return;
	}
	for (unsigned i = 0; keys[i].name != NULL; i++) {
		if (strcmp(keys[i].name, key) != 0)
			continue;
		if ((p->seen & (1u << i)) && keys[i].parse != controller_address)
			perr(p, "%s is set twice in this section", key);
		else if (*value == '\0')
			perr(p, "%s has no value", key);
		else
			(void)set_value(p, &keys[i], section_base(p), value);
		p->seen |= 1u << i;
		return;
	}
	perr(p, "unknown key '%s' in this section", key);
}

static void parse_line(struct parser *p, char *line)
{
	char *hash = strchr(line, '#');
	size_t len;

	if (hash != NULL)
		*hash = '\0';
	line = trim(line);
	len = strlen(line);
	if (len == 0)
		return;
	if (line[0] == '[') {
		if (line[len - 1] != ']') {
			perr(p, "section header without its closing ']'");
			return;
		}
		line[len - 1] = '\0';
		parse_section(p, trim(line + 1));
		return;
	}
	parse_assignment(p, line);
}

/* Role policies may name policies defined further down: resolved at the end. */
static void resolve_role_policies(struct parser *p)
{
	for (size_t r = 0; r < p->cfg->n_roles; r++) {
		struct jit_role *role = &p->cfg->roles[r];

		role->policies = calloc(role->policy_names.n + 1, sizeof(size_t));
		if (role->policies == NULL) {
			perr_at(p, 0, "out of memory");
			return;
		}
		for (size_t i = 0; i < role->policy_names.n; i++) {
			const struct jit_policy *pol =
				jit_config_policy(p->cfg, role->policy_names.items[i]);

			if (pol == NULL) {
				perr_at(p, role->policies_line, "[role %s]: no policy named '%s'",
					role->name, role->policy_names.items[i]);
				continue;
			}
			role->policies[role->n_policies++] = (size_t)(pol - p->cfg->policies);
		}
	}
}

static void pwarn_at(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pwarn_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (p->errs->n_warnings == JIT_CONFIG_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	(void)snprintf(p->errs->warning[p->errs->n_warnings++], sizeof(p->errs->warning[0]),
		       "%.200s:%u: warning: %s", p->file, line, reason);
}

/* The guarded ports, every policy's once each, as the firewall takes
 * them; more than it holds is an error here rather than ports left open
 * at run time. */
static int add_resolved_host(struct parser *p, struct jit_policy *pol, const char *host)
{
	void *grown;

	if (jit_policy_covers(pol, host))
		return 0;
	grown = realloc(pol->hosts.items, (pol->hosts.n + 1) * sizeof(*pol->hosts.items));
	if (grown == NULL) {
		perr_at(p, pol->hosts_line, "out of memory");
		return -1;
	}
	pol->hosts.items = grown;
	(void)snprintf(pol->hosts.items[pol->hosts.n++], JIT_HOST_MAX, "%s", host);
	return 0;
}

/* A policy's hosts, groups expanded: without hosts =, this host alone, as
 * before there were fleets. */
static void resolve_policy_hosts(struct parser *p, struct jit_policy *pol)
{
	if (pol->hosts_written.n == 0) {
		(void)add_resolved_host(p, pol, p->cfg->host);
		return;
	}
	for (size_t i = 0; i < pol->hosts_written.n; i++) {
		const char *item = pol->hosts_written.items[i];
		const struct jit_hostgroup *g;

		if (item[0] != '@') {
			if (add_resolved_host(p, pol, item) != 0)
				return;
			continue;
		}
		g = jit_config_hostgroup(p->cfg, item + 1);
		if (g == NULL) {
			perr_at(p, pol->hosts_line, "[policy %s]: no hostgroup named '%s'", pol->name,
				item + 1);
			continue;
		}
		for (size_t j = 0; j < g->hosts.n; j++)
			if (add_resolved_host(p, pol, g->hosts.items[j]) != 0)
				return;
	}
}

/* Whether a policy covers another host than this one: a controller's. */
static void note_fleet(struct jit_config *cfg)
{
	for (size_t i = 0; i < cfg->n_policies; i++)
		for (size_t j = 0; j < cfg->policies[i].hosts.n; j++)
			if (strcmp(cfg->policies[i].hosts.items[j], cfg->host) != 0)
				cfg->fleet = true;
}

/* A policy for other hosts on a jitd with no front door: their enforcers
 * would have nowhere to follow it from. */
static void warn_unreachable_hosts(struct parser *p)
{
	const struct jit_config *cfg = p->cfg;

	if (p->seen_sshd)
		return;
	for (size_t i = 0; i < cfg->n_policies; i++)
		for (size_t j = 0; j < cfg->policies[i].hosts.n; j++)
			if (strcmp(cfg->policies[i].hosts.items[j], cfg->host) != 0) {
				pwarn_at(p, cfg->policies[i].hosts_line, "[policy %s]: host %s has"
					 " no way to follow this controller: there is no [sshd]"
					 " section (jit-sshd) for its enforcer", cfg->policies[i].name,
					 cfg->policies[i].hosts.items[j]);
				return;
			}
}

/* An enforcer ([controller] given) holds the broker's public key and no
 * signing key, and takes its policies and roles from the controller. */
static void check_enforcer(struct parser *p)
{
	struct jit_config *cfg = p->cfg;

	cfg->enforcer = p->seen_controller;
	if (!cfg->enforcer) {
		if (p->pubkey_line > 0)
			perr_at(p, p->pubkey_line, "pubkey is for an enforcer, which has a [controller]"
				" section; this jitd signs with key");
		note_fleet(cfg);
		warn_unreachable_hosts(p);
		return;
	}
	if (p->key_line > 0)
		perr_at(p, p->key_line, "key: an enforcer holds no signing key; pubkey names the"
			" broker's public key");
	if (cfg->pubkey[0] == '\0')
		perr_at(p, 0, "[jitd]: an enforcer needs pubkey, the broker's public key");
	if (cfg->n_policies > 0)
		perr_at(p, cfg->policies[0].line, "[policy %s]: an enforcer takes its policies from"
			" its controller", cfg->policies[0].name);
	if (cfg->n_roles > 0)
		perr_at(p, cfg->roles[0].line, "[role %s]: an enforcer takes its roles from its"
			" controller", cfg->roles[0].name);
}

/* The ports this host guards: those of the policies that cover it, or an
 * enforcer's guard ports (the controller's policies add to them). */
static void collect_guarded_ports(struct parser *p)
{
	struct jit_config *cfg = p->cfg;
	const struct jit_policy *over = NULL;

	cfg->n_guarded = 0;
	if (cfg->enforcer) {
		memcpy(cfg->guarded, cfg->controller.guard,
		       cfg->controller.n_guard * sizeof(cfg->guarded[0]));
		cfg->n_guarded = cfg->controller.n_guard;
		return;
	}
	if (jit_config_host_ports(cfg, cfg->host, cfg->guarded, JIT_GUARDED_PORTS_MAX,
				  &cfg->n_guarded, &over) != 0)
		perr_at(p, over->line, "[policy %s]: the policies guard more than %d distinct ports,"
			" more than the firewall holds", over->name, JIT_GUARDED_PORTS_MAX);
}

int jit_config_host_ports(const struct jit_config *cfg, const char *host,
			  struct jit_portspec *out, size_t max, size_t *n,
			  const struct jit_policy **over)
{
	*n = 0;
	for (size_t i = 0; i < cfg->n_policies; i++) {
		const struct jit_policy *pol = &cfg->policies[i];

		if (!jit_policy_covers(pol, host))
			continue;
		for (size_t j = 0; j < pol->n_ports; j++) {
			if (jit_portspec_in(out, *n, &pol->ports[j]))
				continue;
			if (*n == max) {
				*over = pol;
				return -1;
			}
			out[(*n)++] = pol->ports[j];
		}
	}
	return 0;
}

/* A maximum the firewall backend cannot time is refused here, not at the
 * first request that asks for it. */
static void check_durations(struct parser *p)
{
	struct jit_config *cfg = p->cfg;
	char cap[32];

	cfg->duration_cap = cfg->firewall == JIT_FW_IPTABLES ? JIT_IPSET_TIMEOUT_MAX
							     : JIT_DURATION_MAX;
	jit_duration_format(cfg->duration_cap, cap, sizeof(cap));
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (cfg->policies[i].max_duration > cfg->duration_cap)
			perr_at(p, cfg->policies[i].line, "[policy %s]: max_duration is longer than"
				" the %s firewall can hold a window open (%s)",
				cfg->policies[i].name, jit_firewall_name(cfg->firewall), cap);
	for (size_t i = 0; i < cfg->n_roles; i++)
		if (cfg->roles[i].max_duration > cfg->duration_cap)
			perr_at(p, cfg->roles[i].line, "[role %s]: max_duration is longer than the"
				" %s firewall can hold a window open (%s)", cfg->roles[i].name,
				jit_firewall_name(cfg->firewall), cap);
}

/* approvals needs someone to give them; role: must name a role; a policy
 * reviewed by no one could never open. */
static void check_approvals(struct parser *p)
{
	for (size_t i = 0; i < p->cfg->n_policies; i++) {
		const struct jit_policy *pol = &p->cfg->policies[i];

		if (pol->approvals > 0 && pol->n_approvers == 0)
			perr_at(p, pol->line, "[policy %s]: approvals = %d needs approvers (who may"
				" review its requests)", pol->name, pol->approvals);
		if (pol->break_glass && pol->approvals == 0)
			perr_at(p, pol->line, "[policy %s]: break_glass = yes needs approvals: without"
				" them every request opens at once", pol->name);
		if (pol->approvals == 0 && pol->n_approvers > 0)
			pwarn_at(p, pol->approvers_line, "[policy %s]: approvers has no effect while"
				 " approvals = 0", pol->name);
		for (size_t a = 0; a < pol->n_approvers; a++)
			if (pol->approvers[a].kind == JIT_APPROVER_ROLE &&
			    jit_config_role(p->cfg, pol->approvers[a].name) == NULL)
				perr_at(p, pol->approvers_line, "[policy %s]: approvers: no role named"
					" '%s'", pol->name, pol->approvers[a].name);
	}
}

bool jit_names_contain(const struct jit_names *names, const char *name)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->items[i], name) == 0)
			return true;
	return false;
}

/* A name both among some role's users and some role's remote_users is two
 * identities with one spelling: legal, but worth a second look. */
static void warn_names_in_both(struct parser *p)
{
	for (size_t r = 0; r < p->cfg->n_roles; r++) {
		const struct jit_role *role = &p->cfg->roles[r];

		for (size_t i = 0; i < role->remote_users.n; i++) {
			const char *name = role->remote_users.items[i];

			for (size_t l = 0; l < p->cfg->n_roles; l++)
				if (jit_names_contain(&p->cfg->roles[l].users, name)) {
					pwarn_at(p, role->line, "[role %s]: '%s' is a remote identity"
						 " here and a local user in [role %s]: jitd treats"
						 " them as different people", role->name, name,
						 p->cfg->roles[l].name);
					break;
				}
		}
	}
}

/* Where an error sorts: by its line, the file's own (line 0) last. */
static unsigned error_rank(unsigned line)
{
	return line == 0 ? UINT_MAX : line;
}

/* Errors found at a section's end or the file's come after those of later
 * lines: a stable sort puts them in line order, as a reader goes. */
static void sort_errors(struct jit_config_errors *errs)
{
	for (size_t i = 1; i < errs->n; i++) {
		char msg[sizeof(errs->msg[0])];
		unsigned line = errs->line[i];
		size_t j = i;

		if (error_rank(errs->line[i - 1]) <= error_rank(line))
			continue;
		memcpy(msg, errs->msg[i], sizeof(msg));
		for (; j > 0 && error_rank(errs->line[j - 1]) > error_rank(line); j--) {
			memcpy(errs->msg[j], errs->msg[j - 1], sizeof(msg));
			errs->line[j] = errs->line[j - 1];
		}
		memcpy(errs->msg[j], msg, sizeof(msg));
		errs->line[j] = line;
	}
}

static void parse_text(struct parser *p, const char *text, size_t len)
{
	char buf[CONFIG_LINE_MAX + 1];
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p->line++;
		if (line_len > CONFIG_LINE_MAX)
			perr(p, "line longer than %d characters", CONFIG_LINE_MAX);
		else if (memchr(text + pos, '\0', line_len) != NULL)
			perr(p, "NUL byte in line");
		else {
			memcpy(buf, text + pos, line_len);
			buf[line_len] = '\0';
			parse_line(p, buf);
		}
		pos += line_len + 1;
	}
	if (p->section != SEC_NONE)
		section_end(p);
	if (!p->seen_jitd)
		perr_at(p, 0, "no [jitd] section (it must set at least host)");
	resolve_role_policies(p);
	for (size_t i = 0; i < p->cfg->n_policies; i++)
		resolve_policy_hosts(p, &p->cfg->policies[i]);
	check_enforcer(p);
	collect_guarded_ports(p);
	check_durations(p);
	check_approvals(p);
	warn_names_in_both(p);
	sort_errors(p->errs);
}

struct jit_config *jit_config_parse(const char *name, const char *text, size_t len,
				    struct jit_config_errors *errs)
{
	struct jit_config *cfg = malloc(sizeof(*cfg));
	struct parser p = { .file = name, .cfg = cfg, .errs = errs };

	memset(errs, 0, sizeof(*errs));
	if (cfg == NULL) {
		perr_at(&p, 0, "out of memory");
		return NULL;
	}
	memset(cfg, 0, sizeof(*cfg));
	set_section_defaults(&p, jitd_keys, cfg);
	set_section_defaults(&p, sshd_keys, &cfg->sshd);
	set_section_defaults(&p, controller_keys, &cfg->controller);
	parse_text(&p, text, len);
	if (errs->n > 0) {
		jit_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* jitd.conf's rule for what it trusts: root's or ours, writable by nobody else. */
static int config_owner_check(const struct stat *st, jit_error *err)
{
	char why[160];

	if (jit_config_unsafe_owner(st, why, sizeof(why)))
		return jit_error_set(err, "%s", why);
	return 0;
}

int jit_config_file_read(const char *path, size_t max, char **text, size_t *len, jit_error *err)
{
	return jit_file_read(path, max, config_owner_check, text, len, err);
}

static char *read_config_file(const char *path, size_t *len, struct jit_config_errors *errs)
{
	struct parser p = { .file = path, .errs = errs };
	char *text;
	jit_error err;

	if (jit_config_file_read(path, CONFIG_FILE_MAX, &text, len, &err) != 0)
		perr_at(&p, 0, "%s", err.msg);
	return text;
}

void jit_config_errors_report(const struct jit_config_errors *errs, const char *path,
			      void (*emit)(const char *line, void *ctx), void *ctx)
{
	for (size_t i = 0; i < errs->n_warnings; i++)
		emit(errs->warning[i], ctx);
	for (size_t i = 0; i < errs->n; i++)
		emit(errs->msg[i], ctx);
	if (errs->dropped > 0) {
		char more[JIT_PATH_MAX + 64];

		(void)snprintf(more, sizeof(more), "%s: %zu more errors not shown", path, errs->dropped);
		emit(more, ctx);
	}
}

void jit_config_errors_to_file(const char *line, void *ctx)
{
	fprintf(ctx, "%s\n", line);
}

bool jit_config_unsafe_owner(const struct stat *st, char *why, size_t size)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		(void)snprintf(why, size, "owned by uid %u: it must belong to root or to the user"
			       " reading it (uid %u)", (unsigned)st->st_uid, (unsigned)geteuid());
		return true;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		(void)snprintf(why, size, "writable by %s (mode %04o): chmod go-w it",
			       st->st_mode & S_IWOTH ? "others" : "its group",
			       (unsigned)(st->st_mode & 07777));
		return true;
	}
	return false;
}

/* notify_command must be there to run: a typo found at jitd -t, not at the
 * first grant. It runs with jitd's identity, so nobody but root and jitd
 * may change it, and a link is not followed. Not in jit_config_parse(),
 * which looks at text only. */
static int check_notify_command(const char *path, const struct jit_config *cfg,
				struct jit_config_errors *errs)
{
	struct stat st;
	const char *why = NULL;
	char owner[160];

	if (cfg->notify_command[0] == '\0')
		return 0;
	if (lstat(cfg->notify_command, &st) != 0)
		why = strerror(errno);
	else if (S_ISLNK(st.st_mode))
		why = "a symbolic link: name the program itself";
	else if (!S_ISREG(st.st_mode) || access(cfg->notify_command, X_OK) != 0)
		why = "not an executable file";
	else if (jit_config_unsafe_owner(&st, owner, sizeof(owner)))
		why = owner;
	if (why == NULL)
		return 0;
	(void)snprintf(errs->msg[0], sizeof(errs->msg[0]), "%.150s:%u: notify_command: %.150s: %.160s",
		       path, cfg->notify_line, cfg->notify_command, why);
	errs->n = 1;
	return -1;
}

bool jit_config_passfile_unsafe(const char *path, char *why, size_t size)
{
	struct stat st;
	const char *reason = NULL;

	if (lstat(path, &st) != 0)
		reason = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		reason = "not a regular file";
	else if (jit_config_unsafe_owner(&st, why, size))
		return true;
	else if ((st.st_mode & 077) != 0)
		reason = "readable by others than its owner: chmod 0600 it";
	if (reason != NULL)
		(void)snprintf(why, size, "%s", reason);
	return reason != NULL;
}

/* PostgreSQL's password: a file of root's or jitd's that nobody else may
 * read, named only beside a PostgreSQL database. */
static int check_passfile(const char *path, const struct jit_config *cfg,
			  struct jit_config_errors *errs)
{
	char why[160];

	if (cfg->passfile[0] == '\0')
		return 0;
	if (!jit_config_database_is_postgresql(cfg->database))
		(void)snprintf(why, sizeof(why), "only a PostgreSQL database has one (database is an"
			       " SQLite file)");
	else if (!jit_config_passfile_unsafe(cfg->passfile, why, sizeof(why)))
		return 0;
	(void)snprintf(errs->msg[0], sizeof(errs->msg[0]), "%.150s:%u: passfile: %.150s: %.160s",
		       path, cfg->passfile_line, cfg->passfile, why);
	errs->n = 1;
	return -1;
}

struct jit_config *jit_config_load(const char *path, struct jit_config_errors *errs)
{
	size_t len = 0;
	char *text;
	struct jit_config *cfg;

	memset(errs, 0, sizeof(*errs));
	text = read_config_file(path, &len, errs);
	if (text == NULL)
		return NULL;
	cfg = jit_config_parse(path, text, len, errs);
	free(text);
	if (cfg != NULL && (check_notify_command(path, cfg, errs) != 0 ||
			    check_passfile(path, cfg, errs) != 0)) {
		jit_config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void names_free(struct jit_names *names)
{
	free(names->items);
	names->items = NULL;
	names->n = 0;
}

static void hosts_free(struct jit_hosts *hosts)
{
	free(hosts->items);
	hosts->items = NULL;
	hosts->n = 0;
}

void jit_config_free(struct jit_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_roles; i++) {
		names_free(&cfg->roles[i].users);
		names_free(&cfg->roles[i].groups);
		names_free(&cfg->roles[i].remote_users);
		names_free(&cfg->roles[i].policy_names);
		free(cfg->roles[i].policies);
	}
	free(cfg->roles);
	for (size_t i = 0; i < cfg->n_policies; i++) {
		hosts_free(&cfg->policies[i].hosts_written);
		hosts_free(&cfg->policies[i].hosts);
	}
	free(cfg->policies);
	for (size_t i = 0; i < cfg->n_hostgroups; i++)
		hosts_free(&cfg->hostgroups[i].hosts);
	free(cfg->hostgroups);
	free(cfg);
}

const struct jit_policy *jit_config_policy(const struct jit_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (strcmp(cfg->policies[i].name, name) == 0)
			return &cfg->policies[i];
	return NULL;
}

const struct jit_role *jit_config_role(const struct jit_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_roles; i++)
		if (strcmp(cfg->roles[i].name, name) == 0)
			return &cfg->roles[i];
	return NULL;
}

const struct jit_hostgroup *jit_config_hostgroup(const struct jit_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_hostgroups; i++)
		if (strcmp(cfg->hostgroups[i].name, name) == 0)
			return &cfg->hostgroups[i];
	return NULL;
}

bool jit_policy_covers(const struct jit_policy *pol, const char *host)
{
	for (size_t i = 0; i < pol->hosts.n; i++)
		if (strcmp(pol->hosts.items[i], host) == 0)
			return true;
	return false;
}
