/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "claims.h"

#include "b64url.h"
#include "timeutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *jit_verdict_name(enum jit_verdict v)
{
	switch (v) {
	case JIT_OK: return "ok";
	case JIT_MALFORMED: return "malformed";
	case JIT_UNKNOWN_KEY: return "unknown key";
	case JIT_BAD_SIGNATURE: return "bad signature";
	case JIT_EXPIRED: return "expired";
	case JIT_NOT_YET_VALID: return "not yet valid";
	case JIT_WRONG_USER: return "wrong user";
	case JIT_WRONG_HOST: return "wrong host";
	case JIT_SOURCE_NOT_ALLOWED: return "source not allowed";
	case JIT_PORT_NOT_ALLOWED: return "port not allowed";
	}
	return "unknown";
}

void jit_claims_new_jti(struct jit_claims *c)
{
	uint8_t id[JIT_JTI_BYTES];

	randombytes_buf(id, sizeof(id));
	(void)jit_b64url_encode(c->jti, sizeof(c->jti), id, sizeof(id));
}

/* Valid UTF-8 without overlong forms, surrogates or code points past
 * U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07u;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* The rule for every string claim, when signing and when parsing. */
static int claim_text_check(const char *name, const char *s, size_t len, size_t size,
			    jit_error *err)
{
	if (len == 0 || len >= size)
		return jit_error_set(err, "malformed: claim %s is empty or too long", name);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return jit_error_set(err, "malformed: control character in claim %s", name);
	if (!utf8_valid((const unsigned char *)s, len))
		return jit_error_set(err, "malformed: claim %s is not UTF-8", name);
	return 0;
}

int jit_claims_check_strings(const struct jit_claims *c, jit_error *err)
{
	if (claim_text_check("iss", c->iss, strnlen(c->iss, sizeof(c->iss)), sizeof(c->iss), err) ||
	    claim_text_check("sub", c->sub, strnlen(c->sub, sizeof(c->sub)), sizeof(c->sub), err) ||
	    claim_text_check("aud", c->aud, strnlen(c->aud, sizeof(c->aud)), sizeof(c->aud), err) ||
	    claim_text_check("role", c->role, strnlen(c->role, sizeof(c->role)), sizeof(c->role), err) ||
	    claim_text_check("jti", c->jti, strnlen(c->jti, sizeof(c->jti)), sizeof(c->jti), err))
		return -1;
	return 0;
}

/* A bounded output buffer; its size is computed so appends cannot overflow. */
struct json_out {
	char *p;
	size_t len;
};

/* Worst case: every string character escaped as \u00XX. */
#define CLAIMS_JSON_MAX                                                                  \
	(5 * (6 * JIT_CLAIM_MAX + 8) + 3 * (JIT_RFC3339_LEN + 8) +                      \
	 JIT_MAX_SRC * (JIT_CIDR_STRLEN + 3) + JIT_MAX_PORTS * (JIT_PORTSPEC_STRLEN + 3) + 128)

static void put(struct json_out *o, const char *s, size_t n)
{
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_str(struct json_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string literal; the claim rules leave only '"' and '\\' to escape,
 * control characters are escaped anyway in case a caller skipped them. */
static void put_json_string(struct json_out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			put(o, esc, 2);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			put(o, esc, 6);
		} else
			put(o, (const char *)&c, 1);
	}
	put(o, "\"", 1);
}

static void put_member(struct json_out *o, const char *name, const char *value)
{
	put(o, o->len > 1 ? ",\"" : "\"", o->len > 1 ? 2 : 1);
	put_str(o, name);
	put(o, "\":", 2);
	put_json_string(o, value);
}

static int put_time(struct json_out *o, const char *name, time_t t)
{
	char buf[JIT_RFC3339_LEN];

	if (jit_rfc3339_format(t, buf) != 0)
		return -1;
	put_member(o, name, buf);
	return 0;
}

static void put_list_start(struct json_out *o, const char *name)
{
	put(o, ",\"", 2);
	put_str(o, name);
	put(o, "\":[", 3);
}

static void put_src(struct json_out *o, const struct jit_claims *c)
{
	char buf[JIT_CIDR_STRLEN];

	put_list_start(o, "src");
	for (size_t i = 0; i < c->n_src && i < JIT_MAX_SRC; i++) {
		jit_cidr_format(&c->src[i], buf, sizeof(buf));
		if (i > 0)
			put(o, ",", 1);
		put_json_string(o, buf);
	}
	put(o, "]", 1);
}

static void put_ports(struct json_out *o, const struct jit_claims *c)
{
	char buf[JIT_PORTSPEC_STRLEN];

	put_list_start(o, "ports");
	for (size_t i = 0; i < c->n_ports && i < JIT_MAX_PORTS; i++) {
		jit_portspec_format(&c->ports[i], buf, sizeof(buf));
		if (i > 0)
			put(o, ",", 1);
		put_json_string(o, buf);
	}
	put(o, "]", 1);
}

/* Written directly rather than through jansson: signing a ticket is on the
 * broker's hot path and this is several times faster. */
char *jit_claims_to_json(const struct jit_claims *c, jit_error *err)
{
	struct json_out o = { NULL, 0 };

	if (jit_claims_check_strings(c, err) != 0)
		return NULL;
	o.p = malloc(CLAIMS_JSON_MAX);
	if (o.p == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	put(&o, "{", 1);
	put_member(&o, "iss", c->iss);
	put_member(&o, "sub", c->sub);
	put_member(&o, "aud", c->aud);
	put_member(&o, "jti", c->jti);
	if (put_time(&o, "iat", c->iat) || put_time(&o, "nbf", c->nbf) ||
	    put_time(&o, "exp", c->exp)) {
		free(o.p);
		jit_error_set(err, "cannot encode claims: time out of range");
		return NULL;
	}
	put_src(&o, c);
	put_ports(&o, c);
	put_member(&o, "role", c->role);
	put(&o, "}", 2);	/* with the NUL */
	return o.p;
}

static int claim_string(json_t *obj, const char *name, char *out, size_t size, jit_error *err)
{
	json_t *v = json_object_get(obj, name);
	size_t len;

	if (v == NULL)
		return jit_error_set(err, "malformed: missing claim %s", name);
	if (!json_is_string(v))
		return jit_error_set(err, "malformed: claim %s is not a string", name);
	len = json_string_length(v);
	if (claim_text_check(name, json_string_value(v), len, size, err) != 0)
		return -1;
	memcpy(out, json_string_value(v), len + 1);
	return 0;
}

static int claim_time(json_t *obj, const char *name, time_t *out, jit_error *err)
{
	char buf[64];

	if (claim_string(obj, name, buf, sizeof(buf), err) != 0)
		return -1;
	if (jit_rfc3339_parse(buf, out) != 0)
		return jit_error_set(err, "malformed: claim %s is not an RFC 3339 time", name);
	return 0;
}

static int claim_jti(json_t *obj, struct jit_claims *c, jit_error *err)
{
	uint8_t id[JIT_JTI_BYTES + 3];
	size_t n = 0;

	if (claim_string(obj, "jti", c->jti, sizeof(c->jti), err) != 0)
		return -1;
	if (jit_b64url_decode(id, sizeof(id), &n, c->jti, strlen(c->jti)) != 0 ||
	    n != JIT_JTI_BYTES)
		return jit_error_set(err, "malformed: claim jti is not 128 bits of base64url");
	return 0;
}

/* A non-empty array of at most `max` strings, each given to parse_one. */
static int claim_list(json_t *obj, const char *name, size_t max,
		      int (*parse_one)(const char *, struct jit_claims *, size_t),
		      struct jit_claims *c, size_t *count, jit_error *err)
{
	json_t *arr = json_object_get(obj, name);
	size_t n;

	if (arr == NULL)
		return jit_error_set(err, "malformed: missing claim %s", name);
	n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0 || n > max)
		return jit_error_set(err, "malformed: claim %s must be a list of 1 to %zu strings",
				     name, max);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));

		if (s == NULL || parse_one(s, c, i) != 0)
			return jit_error_set(err, "malformed: claim %s item %zu is not valid",
					     name, i + 1);
	}
	*count = n;
	return 0;
}

static int parse_src_item(const char *s, struct jit_claims *c, size_t i)
{
	return jit_cidr_parse(s, &c->src[i]);
}

static int parse_port_item(const char *s, struct jit_claims *c, size_t i)
{
	return jit_portspec_parse(s, &c->ports[i]);
}

static int claims_from_object(json_t *obj, struct jit_claims *c, jit_error *err)
{
	if (claim_string(obj, "iss", c->iss, sizeof(c->iss), err) ||
	    claim_string(obj, "sub", c->sub, sizeof(c->sub), err) ||
	    claim_string(obj, "aud", c->aud, sizeof(c->aud), err) ||
	    claim_string(obj, "role", c->role, sizeof(c->role), err) ||
	    claim_jti(obj, c, err) ||
	    claim_time(obj, "iat", &c->iat, err) ||
	    claim_time(obj, "nbf", &c->nbf, err) ||
	    claim_time(obj, "exp", &c->exp, err) ||
	    claim_list(obj, "src", JIT_MAX_SRC, parse_src_item, c, &c->n_src, err) ||
	    claim_list(obj, "ports", JIT_MAX_PORTS, parse_port_item, c, &c->n_ports, err))
		return -1;
	if (c->nbf >= c->exp)
		return jit_error_set(err, "malformed: nbf is not before exp");
	return 0;
}

int jit_claims_from_json(const uint8_t *json, size_t len, struct jit_claims *c,
			 jit_error *err)
{
	json_error_t jerr;
	json_t *obj = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	memset(c, 0, sizeof(*c));
	if (obj == NULL)
		return jit_error_set(err, "malformed: payload is not JSON: %s", jerr.text);
	if (!json_is_object(obj))
		rc = jit_error_set(err, "malformed: payload is not a JSON object");
	else
		rc = claims_from_object(obj, c, err);
	json_decref(obj);
	return rc;
}

static enum jit_verdict check_time(const struct jit_claims *c, const struct jit_expect *want,
				   jit_error *reason)
{
	char a[JIT_RFC3339_LEN], b[JIT_RFC3339_LEN];

	if (want->now >= c->exp + want->skew) {
		(void)jit_rfc3339_format(c->exp, a);
		(void)jit_rfc3339_format(want->now, b);
		jit_error_set(reason, "expired: exp %s, now %s (skew %llds)", a, b,
			      (long long)want->skew);
		return JIT_EXPIRED;
	}
	if (c->nbf > want->now + want->skew) {
		(void)jit_rfc3339_format(c->nbf, a);
		(void)jit_rfc3339_format(want->now, b);
		jit_error_set(reason, "not yet valid: nbf %s, now %s (skew %llds)", a, b,
			      (long long)want->skew);
		return JIT_NOT_YET_VALID;
	}
	return JIT_OK;
}

static enum jit_verdict check_source(const struct jit_claims *c, const struct jit_expect *want,
				     jit_error *reason)
{
	char addr[JIT_CIDR_STRLEN];

	for (size_t i = 0; i < c->n_src; i++)
		if (jit_cidr_contains(&c->src[i], &want->from))
			return JIT_OK;
	jit_addr_format(&want->from, addr, sizeof(addr));
	jit_error_set(reason, "source not allowed: %s is in no src prefix of the ticket", addr);
	return JIT_SOURCE_NOT_ALLOWED;
}

static enum jit_verdict check_port(const struct jit_claims *c, const struct jit_expect *want,
				   jit_error *reason)
{
	char port[JIT_PORTSPEC_STRLEN];

	for (size_t i = 0; i < c->n_ports; i++)
		if (jit_portspec_equal(&c->ports[i], &want->port))
			return JIT_OK;
	jit_portspec_format(&want->port, port, sizeof(port));
	jit_error_set(reason, "port not allowed: %s is not in the ticket's ports", port);
	return JIT_PORT_NOT_ALLOWED;
}

enum jit_verdict jit_claims_check(const struct jit_claims *c, const struct jit_expect *want,
				  jit_error *reason)
{
	enum jit_verdict v = check_time(c, want, reason);

	if (v != JIT_OK)
		return v;
	if (strcmp(c->sub, want->user) != 0) {
		jit_error_set(reason, "wrong user: ticket is for %s, login is %s", c->sub,
			      want->user);
		return JIT_WRONG_USER;
	}
	if (strcmp(c->aud, want->host) != 0) {
		jit_error_set(reason, "wrong host: ticket is for %s, this host is %s", c->aud,
			      want->host);
		return JIT_WRONG_HOST;
	}
	v = check_source(c, want, reason);
	if (v != JIT_OK)
		return v;
	return check_port(c, want, reason);
}
