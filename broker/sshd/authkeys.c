/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "authkeys.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct parse_ctx {
	const char *name;
	unsigned line;
	struct jit_config_errors *errs;
	bool failed;
};

__attribute__((format(printf, 2, 3)))
static void line_error(struct parse_ctx *c, const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	c->failed = true;
	if (c->errs->n >= JIT_CONFIG_ERRORS_MAX) {
		c->errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (c->line > 0)
		(void)snprintf(c->errs->msg[c->errs->n++], sizeof(c->errs->msg[0]), "%s:%u: %s",
			       c->name, c->line, reason);
	else
		(void)snprintf(c->errs->msg[c->errs->n++], sizeof(c->errs->msg[0]), "%s: %s",
			       c->name, reason);
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static char *skip_spaces(char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* The token at *p up to the next blank, NUL-terminated in place; *p moves
 * past it. */
static char *next_token(char **p)
{
	char *start = skip_spaces(*p), *end = start;

	while (*end != '\0' && !is_space(*end))
		end++;
	*p = *end != '\0' ? end + 1 : end;
	*end = '\0';
	return start;
}

/* --- options ---------------------------------------------------------------------- */

static const char *const ignored_flags[] = {
	"restrict", "no-pty", "no-port-forwarding", "no-agent-forwarding", "no-X11-forwarding",
	"no-user-rc",
};

static bool ignored_flag(const char *name)
{
	for (size_t i = 0; i < sizeof(ignored_flags) / sizeof(ignored_flags[0]); i++)
		if (strcasecmp(name, ignored_flags[i]) == 0)
			return true;
	return false;
}

/* A double-quoted value at *p (which points at the opening quote); \" stands
 * for a quote. Unescaped in place; *p moves past the closing quote. */
static char *quoted_value(struct parse_ctx *c, char **p, const char *option)
{
	char *in = *p + 1, *out = in, *value = in;

	if (**p != '"') {
		line_error(c, "option %s: the value must be in double quotes", option);
		return NULL;
	}
	while (*in != '"') {
		if (*in == '\0') {
			line_error(c, "option %s: the closing quote is missing", option);
			return NULL;
		}
		if (in[0] == '\\' && in[1] == '"')
			in++;
		*out++ = *in++;
	}
	*p = in + 1;
	*out = '\0';
	return value;
}

/* jit-host="NAME": an enforcer's key, which may only follow NAME's changes. */
static void apply_host_option(struct parse_ctx *c, struct jit_authkey *k, const char *value)
{
	if (value == NULL)
		line_error(c, "option jit-host needs a value: jit-host=\"NAME\"");
	else if (k->host[0] != '\0')
		line_error(c, "option jit-host is given twice");
	else if (k->identity[0] != '\0')
		line_error(c, "a key is a user's (jit-user) or a host's (jit-host), not both");
	else if (!jit_config_valid_host(value))
		line_error(c, "jit-host \"%.64s\" is not a valid host id", value);
	else
		(void)snprintf(k->host, sizeof(k->host), "%s", value);
}

static void apply_option(struct parse_ctx *c, struct jit_authkey *k, const char *name,
			 const char *value)
{
	if (strcasecmp(name, "jit-user") == 0) {
		if (value == NULL)
			line_error(c, "option jit-user needs a value: jit-user=\"NAME\"");
		else if (k->identity[0] != '\0')
			line_error(c, "option jit-user is given twice");
		else if (k->host[0] != '\0')
			line_error(c, "a key is a user's (jit-user) or a host's (jit-host), not both");
		else if (!jit_config_valid_name(value))
			line_error(c, "jit-user \"%.64s\" is not a valid user name", value);
		else
			(void)snprintf(k->identity, sizeof(k->identity), "%s", value);
	} else if (strcasecmp(name, "jit-host") == 0) {
		apply_host_option(c, k, value);
	} else if (strcasecmp(name, "from") == 0) {
		if (value == NULL)
			line_error(c, "option from needs a value: from=\"CIDR[,CIDR...]\"");
		else if (k->n_from > 0)
			line_error(c, "option from is given twice");
		else if (jit_cidr_list_parse(value, k->from, JIT_AUTHKEYS_FROM_MAX, &k->n_from) != 0 ||
			 k->n_from == 0)
			line_error(c, "from=\"%.200s\" is not a list of addresses or CIDRs (at most %d)",
				   value, JIT_AUTHKEYS_FROM_MAX);
	} else if (ignored_flag(name)) {
		if (value != NULL)
			line_error(c, "option %s takes no value", name);
	} else {
		line_error(c, "unknown option '%.64s'", name);
	}
}

/* The options before the key type, up to the first unquoted blank. Returns
 * where the key type starts. */
static char *parse_options(struct parse_ctx *c, char *s, struct jit_authkey *k)
{
	while (!c->failed) {
		char *name = s, *value = NULL, saved;

		while (isalnum((unsigned char)*s) || *s == '-' || *s == '_')
			s++;
		if (s == name) {
			line_error(c, "an option name was expected at '%.20s'", s);
			break;
		}
		saved = *s;
		*s = '\0';
		if (saved == '=') {
			s++;
			value = quoted_value(c, &s, name);
			if (value == NULL)
				break;
			saved = *s;
		}
		apply_option(c, k, name, value);
		if (saved == ',') {
			s++;
			continue;
		}
		if (saved == '\0')
			return s;
		if (!is_space(saved))
			line_error(c, "unexpected '%c' after option %s", saved, name);
		return s + 1;
	}
	return s;
}

/* --- the key ------------------------------------------------------------------------ */

int jit_ssh_fingerprint(const ssh_key key, char *out, size_t size)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *text;

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != SSH_OK)
		return -1;
	text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	if (text == NULL)
		return -1;
	(void)snprintf(out, size, "%s", text);
	ssh_string_free_char(text);
	return 0;
}

/* DSA is obsolete (OpenSSH no longer offers it); certificates are not keys. */
static bool accepted_type(enum ssh_keytypes_e kind)
{
	switch (kind) {
	case SSH_KEYTYPE_ED25519:
	case SSH_KEYTYPE_ECDSA_P256:
	case SSH_KEYTYPE_ECDSA_P384:
	case SSH_KEYTYPE_ECDSA_P521:
	case SSH_KEYTYPE_RSA:
		return true;
	default:
		return false;
	}
}

static void parse_key(struct parse_ctx *c, char *p, struct jit_authkey *k)
{
	char *type = next_token(&p);
	char *base64 = next_token(&p);
	enum ssh_keytypes_e kind = ssh_key_type_from_name(type);

	if (type[0] == '\0') {
		line_error(c, "the key type and key are missing");
		return;
	}
	if (kind == SSH_KEYTYPE_UNKNOWN) {
		line_error(c, "'%.64s' is not a key type", type);
		return;
	}
	/* libssh's server does not say whether a FIDO key was touched (the
	 * signature's user-presence flag): refused rather than accepted untouched. */
	if (kind == SSH_KEYTYPE_SK_ED25519 || kind == SSH_KEYTYPE_SK_ECDSA) {
		line_error(c, "%s (FIDO) keys are not accepted: jit-sshd cannot check that the"
			   " key was touched; use ed25519, ecdsa or rsa", type);
		return;
	}
	if (!accepted_type(kind)) {
		line_error(c, "%s keys are not accepted (use ed25519, ecdsa or rsa)", type);
		return;
	}
	if (base64[0] == '\0') {
		line_error(c, "the %s key itself is missing", type);
		return;
	}
	if (ssh_pki_import_pubkey_base64(base64, kind, &k->key) != SSH_OK) {
		k->key = NULL;
		line_error(c, "the %s key does not decode", type);
		return;
	}
	if (jit_ssh_fingerprint(k->key, k->fingerprint, sizeof(k->fingerprint)) != 0)
		line_error(c, "cannot compute the key's fingerprint");
}

/* One line: 1 with a key in k, 0 for a blank or comment line, -1 on error. */
static int parse_line(struct parse_ctx *c, char *line, struct jit_authkey *k)
{
	char *p = skip_spaces(line), *first = p, saved;
	size_t first_len = 0;
	bool is_type;

	if (*p == '\0' || *p == '#')
		return 0;
	memset(k, 0, sizeof(*k));
	k->line = c->line;
	c->failed = false;
	while (first[first_len] != '\0' && !is_space(first[first_len]))
		first_len++;
	saved = first[first_len];
	first[first_len] = '\0';
	is_type = ssh_key_type_from_name(first) != SSH_KEYTYPE_UNKNOWN;
	first[first_len] = saved;
	if (!is_type)
		p = parse_options(c, p, k);
	if (!c->failed)
		parse_key(c, p, k);
	if (!c->failed && k->identity[0] == '\0' && k->host[0] == '\0')
		line_error(c, "no jit-user=\"NAME\" or jit-host=\"NAME\" option: whose key is it?");
	if (c->failed) {
		ssh_key_free(k->key);
		k->key = NULL;
		return -1;
	}
	return 1;
}

/* --- the file ---------------------------------------------------------------------- */

static void check_duplicates(struct parse_ctx *c, const struct jit_authkeys *keys)
{
	for (size_t i = 1; i < keys->n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(keys->keys[i].fingerprint, keys->keys[j].fingerprint) == 0) {
				c->line = keys->keys[i].line;
				line_error(c, "this key is already listed on line %u",
					   keys->keys[j].line);
				break;
			}
}

static int add_key(struct jit_authkeys *out, const struct jit_authkey *k)
{
	struct jit_authkey *grown = realloc(out->keys, (out->n + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	out->keys = grown;
	out->keys[out->n++] = *k;
	return 0;
}

/* The length of a line without the '\r' of a CRLF ending. */
static size_t without_cr(const char *line, size_t len)
{
	return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

/* The line text[0..n) into buf, parsed; its key, if any, added to out. */
static int parse_one(struct parse_ctx *c, const char *text, size_t n, char *buf, size_t size,
		     struct jit_authkeys *out)
{
	struct jit_authkey k;
	int rc;

	if (n >= size) {
		line_error(c, "line longer than %zu bytes", size - 1);
		return -1;
	}
	if (memchr(text, '\0', n) != NULL) {
		line_error(c, "a NUL byte in the line");
		return -1;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	rc = parse_line(c, buf, &k);
	if (rc > 0 && add_key(out, &k) != 0) {
		ssh_key_free(k.key);
		line_error(c, "out of memory");
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

int jit_authkeys_parse(const char *name, const char *text, size_t len, struct jit_authkeys *out,
		       struct jit_config_errors *errs)
{
	struct parse_ctx c = { .name = name, .errs = errs };
	char line[JIT_AUTHKEYS_LINE_MAX] = "";
	size_t pos = 0;
	bool any_error = false;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t raw = nl ? (size_t)(nl - (text + pos)) : len - pos;
		size_t n = without_cr(text + pos, raw);

		c.line++;
		if (parse_one(&c, text + pos, n, line, sizeof(line), out) != 0)
			any_error = true;
		pos += raw + (nl != NULL);
	}
	c.failed = false;
	check_duplicates(&c, out);
	if (any_error || c.failed) {
		jit_authkeys_free(out);
		return -1;
	}
	return 0;
}

int jit_authkeys_load(const char *path, struct jit_authkeys *out, struct jit_config_errors *errs)
{
	char *text;
	size_t len;
	jit_error err;
	int rc;

	memset(out, 0, sizeof(*out));
	if (jit_config_file_read(path, JIT_AUTHKEYS_FILE_MAX, &text, &len, &err) != 0) {
		struct parse_ctx c = { .name = path, .errs = errs };

		line_error(&c, "%s%s", err.msg, errno != ENOENT ? "" :
			   " (create it: one line per key, jit-user=\"NAME\" and the key as in"
			   " ~/.ssh/authorized_keys, owned by root, mode 0644: see jit-sshd(8))");
		return -1;
	}
	rc = jit_authkeys_parse(path, text, len, out, errs);
	free(text);
	return rc;
}

const struct jit_authkey *jit_authkeys_find(const struct jit_authkeys *keys, const ssh_key key)
{
	for (size_t i = 0; i < keys->n; i++)
		if (ssh_key_cmp(keys->keys[i].key, key, SSH_KEY_CMP_PUBLIC) == 0)
			return &keys->keys[i];
	return NULL;
}

bool jit_authkey_allows(const struct jit_authkey *entry, const struct jit_addr *addr)
{
	if (entry->n_from == 0)
		return true;
	for (size_t i = 0; i < entry->n_from; i++)
		if (jit_cidr_contains(&entry->from[i], addr))
			return true;
	return false;
}

void jit_authkeys_free(struct jit_authkeys *keys)
{
	for (size_t i = 0; i < keys->n; i++)
		ssh_key_free(keys->keys[i].key);
	free(keys->keys);
	keys->keys = NULL;
	keys->n = 0;
}
