/* SPDX-License-Identifier: ISC */
/* Fuzzes ticket parsing and verification. Each input is tried three ways:
 * as a whole token under a fixed key; as a PASERK key string; and as the
 * claims JSON, which, when it parses, is signed and must then verify and
 * come back as the same claims (the signature would otherwise stop the
 * fuzzer long before the claims parser). */
#include "config.h"

#include "claims.h"
#include "keys.h"
#include "paseto.h"
#include "ticket.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seed corpus's tickets are signed by the key of this seed. */
static const unsigned char fuzz_seed[crypto_sign_SEEDBYTES] = "jit fuzz key, for tests only...";

static struct jit_secret_key signer;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 ||
	    crypto_sign_seed_keypair(signer.pub.pk, signer.sk, fuzz_seed) != 0)
		abort();
	jit_public_key_set_pid(&signer.pub);
	return 0;
}

static struct jit_expect expectation(const struct jit_claims *c)
{
	struct jit_expect want = { .user = c->sub, .host = c->aud, .now = c->nbf, .skew = 0 };

	if (c->n_src > 0)
		want.from = c->src[0].addr;
	if (c->n_ports > 0)
		want.port = c->ports[0];
	return want;
}

static void try_token(const uint8_t *data, size_t size)
{
	struct jit_claims claims;
	struct jit_expect want;
	jit_error why;
	char kid[JIT_PID_LEN];

	if (jit_ticket_open((const char *)data, size, &signer.pub, 1, &claims, &why) == JIT_OK) {
		want = expectation(&claims);
		(void)jit_claims_check(&claims, &want, &why);
	}
	(void)jit_ticket_footer_kid(data, size, kid);
}

static void try_paserk(const uint8_t *data, size_t size)
{
	struct jit_secret_key sk;
	struct jit_public_key pk;
	jit_error why;

	if (jit_paserk_secret_parse((const char *)data, size, &sk, &why) == 0)
		jit_secret_key_wipe(&sk);
	(void)jit_paserk_public_parse((const char *)data, size, &pk, &why);
}

/* Claims that parse must survive signing and verification unchanged. */
static void try_claims(const uint8_t *data, size_t size)
{
	struct jit_claims claims, back;
	struct jit_expect want;
	jit_error why;
	char *token = NULL;

	if (jit_claims_from_json(data, size, &claims, &why) != 0)
		return;
	if (jit_ticket_sign(&signer, &claims, &token, &why) != 0)
		return;		/* claims the signer refuses, e.g. no ports */
	want = expectation(&claims);
	if (jit_ticket_verify(token, strlen(token), &signer.pub, 1, &want, &back, &why) != JIT_OK &&
	    jit_ticket_open(token, strlen(token), &signer.pub, 1, &back, &why) != JIT_OK)
		abort();
	if (strcmp(back.sub, claims.sub) != 0 || strcmp(back.aud, claims.aud) != 0 ||
	    strcmp(back.jti, claims.jti) != 0 || back.exp != claims.exp ||
	    back.nbf != claims.nbf || back.n_src != claims.n_src ||
	    back.n_ports != claims.n_ports)
		abort();
	free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_token(data, size);
	try_paserk(data, size);
	try_claims(data, size);
	return 0;
}
