/* SPDX-License-Identifier: ISC */
/* Ticket sign and verify cost beside raw Ed25519 on a message of the same
 * size, in one run. Prints microseconds per operation and the ratios. */
#include "config.h"

#include "claims.h"
#include "keys.h"
#include "paseto.h"
#include "ticket.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 4000
#define REPEATS 5

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void typical_claims(struct jit_claims *c, time_t now)
{
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->iss, sizeof(c->iss), "%s", "broker01.example.org");
	(void)snprintf(c->sub, sizeof(c->sub), "%s", "alice");
	(void)snprintf(c->aud, sizeof(c->aud), "%s", "web01.example.org");
	(void)snprintf(c->role, sizeof(c->role), "%s", "ops");
	jit_claims_new_jti(c);
	c->iat = c->nbf = now;
	c->exp = now + 1800;
	if (jit_cidr_parse("192.0.2.10/32", &c->src[0]) != 0 ||
	    jit_portspec_parse("22/tcp", &c->ports[0]) != 0)
		abort();
	c->n_src = 1;
	c->n_ports = 1;
}

struct figures {
	double sign, verify, raw_sign, raw_verify;
};

/* The best of REPEATS runs of ROUNDS operations, to shed scheduler noise. */
static double best_of(double (*run)(void *), void *arg)
{
	double best = 1e30;

	for (int r = 0; r < REPEATS; r++) {
		double us = run(arg);

		if (us < best)
			best = us;
	}
	return best;
}

struct bench_ctx {
	struct jit_secret_key key;
	struct jit_claims claims;
	struct jit_expect want;
	char *token;
	uint8_t *msg;
	size_t msg_len;
	uint8_t sig[crypto_sign_BYTES];
};

static double run_ticket_sign(void *arg)
{
	struct bench_ctx *b = arg;
	double t0 = now_us();

	for (int i = 0; i < ROUNDS; i++) {
		char *token = NULL;

		if (jit_ticket_sign(&b->key, &b->claims, &token, NULL) != 0)
			abort();
		free(token);
	}
	return (now_us() - t0) / ROUNDS;
}

static double run_ticket_verify(void *arg)
{
	struct bench_ctx *b = arg;
	size_t len = strlen(b->token);
	double t0 = now_us();

	for (int i = 0; i < ROUNDS; i++) {
		struct jit_claims out;

		if (jit_ticket_verify(b->token, len, &b->key.pub, 1, &b->want, &out, NULL) != JIT_OK)
			abort();
	}
	return (now_us() - t0) / ROUNDS;
}

static double run_raw_sign(void *arg)
{
	struct bench_ctx *b = arg;
	double t0 = now_us();

	for (int i = 0; i < ROUNDS; i++)
		crypto_sign_detached(b->sig, NULL, b->msg, b->msg_len, b->key.sk);
	return (now_us() - t0) / ROUNDS;
}

static double run_raw_verify(void *arg)
{
	struct bench_ctx *b = arg;
	double t0 = now_us();

	for (int i = 0; i < ROUNDS; i++)
		if (crypto_sign_verify_detached(b->sig, b->msg, b->msg_len, b->key.pub.pk) != 0)
			abort();
	return (now_us() - t0) / ROUNDS;
}

int main(void)
{
	struct bench_ctx b;
	struct jit_paseto tok;
	struct figures f;

	if (sodium_init() < 0 || jit_key_generate(&b.key) != 0)
		return 1;
	typical_claims(&b.claims, time(NULL));
	if (jit_ticket_sign(&b.key, &b.claims, &b.token, NULL) != 0)
		return 1;
	b.want = (struct jit_expect){ .user = "alice", .host = "web01.example.org",
				      .now = time(NULL), .skew = 30 };
	if (jit_addr_parse("192.0.2.10", &b.want.from) != 0 ||
	    jit_portspec_parse("22/tcp", &b.want.port) != 0 ||
	    jit_paseto_parse(b.token, strlen(b.token), &tok, NULL) != 0)
		return 1;
	/* Raw Ed25519 signs a message as long as the ticket's PAE input. */
	b.msg_len = 8 + 4 * 8 + strlen(JIT_PASETO_HEADER) + tok.msg_len + tok.footer_len;
	jit_paseto_free(&tok);
	b.msg = calloc(1, b.msg_len);
	crypto_sign_detached(b.sig, NULL, b.msg, b.msg_len, b.key.sk);

	f.sign = best_of(run_ticket_sign, &b);
	f.raw_sign = best_of(run_raw_sign, &b);
	f.verify = best_of(run_ticket_verify, &b);
	f.raw_verify = best_of(run_raw_verify, &b);

	printf("ticket: %zu bytes, signed message %zu bytes, best of %d x %d rounds\n",
	       strlen(b.token), b.msg_len, REPEATS, ROUNDS);
	printf("  sign:   ticket %7.1f us   raw ed25519 %7.1f us   ratio %.2fx (target <= 1.30x)\n",
	       f.sign, f.raw_sign, f.sign / f.raw_sign);
	printf("  verify: ticket %7.1f us   raw ed25519 %7.1f us   ratio %.2fx (target <= 1.30x)\n",
	       f.verify, f.raw_verify, f.verify / f.raw_verify);
	free(b.msg);
	free(b.token);
	jit_secret_key_wipe(&b.key);
	return 0;
}
