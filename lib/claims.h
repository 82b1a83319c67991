/* SPDX-License-Identifier: ISC */
/* The claims a jit ticket carries, as JSON, and their checks against a login. */
#ifndef JIT_CLAIMS_H
#define JIT_CLAIMS_H

#include "jit_error.h"
#include "netaddr.h"

#include <stdint.h>
#include <time.h>

#define JIT_CLAIM_MAX 256	/* string claims, including the NUL */
#define JIT_JTI_BYTES 16
#define JIT_JTI_LEN 23		/* 22 base64url characters and the NUL */
#define JIT_MAX_SRC 16
#define JIT_MAX_PORTS 32

struct jit_claims {
	char iss[JIT_CLAIM_MAX];	/* broker id */
	char sub[JIT_CLAIM_MAX];	/* login name */
	char aud[JIT_CLAIM_MAX];	/* target host id */
	char role[JIT_CLAIM_MAX];
	char jti[JIT_JTI_LEN];		/* 128-bit random id, base64url */
	time_t iat, nbf, exp;
	struct jit_cidr src[JIT_MAX_SRC];
	size_t n_src;
	struct jit_portspec ports[JIT_MAX_PORTS];
	size_t n_ports;
};

/* Why a ticket was refused; JIT_OK when it was not. */
enum jit_verdict {
	JIT_OK = 0,
	JIT_MALFORMED,
	JIT_UNKNOWN_KEY,
	JIT_BAD_SIGNATURE,
	JIT_EXPIRED,
	JIT_NOT_YET_VALID,
	JIT_WRONG_USER,
	JIT_WRONG_HOST,
	JIT_SOURCE_NOT_ALLOWED,
	JIT_PORT_NOT_ALLOWED,
};

/* Short stable name of a verdict ("expired", "wrong user", ...). */
const char *jit_verdict_name(enum jit_verdict v);

/* What a login presents the ticket for. */
struct jit_expect {
	const char *user;
	const char *host;
	struct jit_addr from;
	struct jit_portspec port;
	time_t now;
	int64_t skew;		/* seconds of clock difference tolerated */
};

/* Fills jti with 128 random bits. */
void jit_claims_new_jti(struct jit_claims *c);

/* Every string claim non-empty, within bounds, UTF-8 without control
 * characters: what jit_claims_from_json() accepts. */
int jit_claims_check_strings(const struct jit_claims *c, jit_error *err);

/* Compact JSON of all claims, times as RFC 3339 UTC; free() the result.
 * Refuses strings jit_claims_check_strings() refuses. */
char *jit_claims_to_json(const struct jit_claims *c, jit_error *err);

/* Strict parse: every claim present with its type, strings without control
 * characters and within bounds, nbf < exp, no duplicate keys. Claims this
 * program does not use are ignored. */
int jit_claims_from_json(const uint8_t *json, size_t len, struct jit_claims *c,
			 jit_error *err);

/* Checks in this order: expired, not yet valid, wrong user, wrong host,
 * source not allowed, port not allowed. `reason` gets one sentence. */
enum jit_verdict jit_claims_check(const struct jit_claims *c, const struct jit_expect *want,
				  jit_error *reason);

#endif
