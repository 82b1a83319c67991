/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char tv_secret_paserk[] =
	"k4.secret.tMv7Q99M4hByfZU-SnEzB_oZu32fhQQUONnhG5QqN3Qeudu7vAR8A_1wYE4AcfCYfhayi3VyJcEfAEFdDiCxog";
const char tv_public_paserk[] = "k4.public.Hrnbu7wEfAP9cGBOAHHwmH4Wsot1ciXBHwBBXQ4gsaI";

void test_vector_key(struct jit_secret_key *key)
{
	jit_error err;

	if (jit_paserk_secret_parse(tv_secret_paserk, strlen(tv_secret_paserk), key, &err) != 0) {
		fprintf(stderr, "test vector key: %s\n", err.msg);
		abort();
	}
}

void sample_claims(struct jit_claims *c)
{
	memset(c, 0, sizeof(*c));
	STRSET(c->iss, "broker01");
	STRSET(c->sub, "alice");
	STRSET(c->aud, "web01");
	STRSET(c->role, "ops");
	STRSET(c->jti, "AAECAwQFBgcICQoLDA0ODw");
	c->iat = TEST_NOW;
	c->nbf = TEST_NOW;
	c->exp = TEST_NOW + 3600;
	if (jit_cidr_parse("192.0.2.0/24", &c->src[0]) || jit_cidr_parse("2001:db8::/32", &c->src[1]) ||
	    jit_portspec_parse("22/tcp", &c->ports[0]) || jit_portspec_parse("3389/tcp", &c->ports[1]))
		abort();
	c->n_src = 2;
	c->n_ports = 2;
}

void sample_expect(struct jit_expect *want)
{
	memset(want, 0, sizeof(*want));
	want->user = "alice";
	want->host = "web01";
	if (jit_addr_parse("192.0.2.10", &want->from) || jit_portspec_parse("22/tcp", &want->port))
		abort();
	want->now = TEST_NOW;
	want->skew = 30;
}

size_t hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2;

	if (strlen(hex) % 2 || n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}
