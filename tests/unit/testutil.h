/* SPDX-License-Identifier: ISC */
/* Fixtures shared by the unit tests. */
#ifndef JIT_TESTUTIL_H
#define JIT_TESTUTIL_H

#include "claims.h"
#include "keys.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

/* Copies a string into a char array, bounded by the array's size. */
#define STRSET(dst, src) ((void)snprintf((dst), sizeof(dst), "%s", (src)))

/* The key pair of the PASETO v4 test vectors 4-S-1 and 4-S-2. */
extern const char tv_secret_paserk[];
extern const char tv_public_paserk[];

/* 2026-01-01T00:00:00Z: a fixed "now" so tests do not depend on the clock. */
#define TEST_NOW ((time_t)1767225600)

void test_vector_key(struct jit_secret_key *key);

/* Claims of a typical ticket: alice, host web01, from 192.0.2.0/24 and
 * 2001:db8::/32, ports 22/tcp and 3389/tcp, valid TEST_NOW .. +1h. */
void sample_claims(struct jit_claims *c);

/* What a login from 192.0.2.10 as alice on web01 port 22/tcp at TEST_NOW expects. */
void sample_expect(struct jit_expect *want);

/* Decodes hex into out; returns the byte count. Aborts on bad input. */
size_t hex_decode(const char *hex, uint8_t *out, size_t max);

#endif
