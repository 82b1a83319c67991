/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "paseto.h"
#include "testutil.h"
#include "ticket.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *sign_sample(const struct jit_secret_key *key, const struct jit_claims *c)
{
	char *token = NULL;
	jit_error err;

	if (jit_ticket_sign(key, c, &token, &err) != 0)
		fail_msg("sign: %s", err.msg);
	return token;
}

static enum jit_verdict verify_with(const char *token, const struct jit_secret_key *key,
				    const struct jit_expect *want, jit_error *err)
{
	struct jit_claims out;

	return jit_ticket_verify(token, strlen(token), &key->pub, 1, want, &out, err);
}

/* A token with an arbitrary payload, signed with a correct kid footer. */
static char *sign_payload(const struct jit_secret_key *key, const char *payload)
{
	char footer[128];
	char *token = NULL;
	jit_error err;

	snprintf(footer, sizeof(footer), "{\"kid\":\"%s\"}", key->pub.pid);
	assert_int_equal(jit_paseto_sign(key->sk, (const uint8_t *)payload, strlen(payload),
					 (const uint8_t *)footer, strlen(footer), &token, &err), 0);
	return token;
}

static void test_round_trip(void **state)
{
	struct jit_secret_key key;
	struct jit_claims c, out;
	struct jit_expect want;
	struct jit_paseto tok;
	jit_error err;
	char kid[JIT_PID_LEN];
	char *token;

	(void)state;
	test_vector_key(&key);
	sample_claims(&c);
	sample_expect(&want);
	token = sign_sample(&key, &c);
	assert_int_equal(jit_ticket_verify(token, strlen(token), &key.pub, 1, &want, &out, &err),
			 JIT_OK);
	assert_memory_equal(&c, &out, sizeof(c));
	assert_int_equal(jit_paseto_parse(token, strlen(token), &tok, &err), 0);
	assert_int_equal(jit_ticket_footer_kid(tok.footer, tok.footer_len, kid), 0);
	assert_string_equal(kid, key.pub.pid);
	assert_non_null(strstr((const char *)tok.body, "\"exp\":\"2026-01-01T01:00:00Z\""));
	jit_paseto_free(&tok);
	free(token);
}

static void test_ipv6_and_mapped_sources(void **state)
{
	struct jit_secret_key key;
	struct jit_claims c;
	struct jit_expect want;
	jit_error err;
	char *token;

	(void)state;
	test_vector_key(&key);
	sample_claims(&c);
	sample_expect(&want);
	token = sign_sample(&key, &c);
	assert_int_equal(jit_addr_parse("2001:db8:1::5", &want.from), 0);
	assert_int_equal(verify_with(token, &key, &want, &err), JIT_OK);
	assert_int_equal(jit_addr_parse("::ffff:192.0.2.99", &want.from), 0);
	assert_int_equal(verify_with(token, &key, &want, &err), JIT_OK);
	assert_int_equal(jit_addr_parse("2001:db9::5", &want.from), 0);
	assert_int_equal(verify_with(token, &key, &want, &err), JIT_SOURCE_NOT_ALLOWED);
	free(token);
}

struct claim_case {
	const char *name;
	void (*change)(struct jit_expect *want);
	enum jit_verdict verdict;
	const char *reason;
};

static void other_user(struct jit_expect *w) { w->user = "bob"; }
static void other_host(struct jit_expect *w) { w->host = "db01"; }
static void other_source(struct jit_expect *w) { (void)jit_addr_parse("198.51.100.7", &w->from); }
static void other_port(struct jit_expect *w) { (void)jit_portspec_parse("5985/tcp", &w->port); }
static void other_proto(struct jit_expect *w) { (void)jit_portspec_parse("22/udp", &w->port); }
static void too_late(struct jit_expect *w) { w->now = TEST_NOW + 3600 + 30; }
static void too_early(struct jit_expect *w) { w->now = TEST_NOW - 31; }
static void last_second(struct jit_expect *w) { w->now = TEST_NOW + 3600 + 29; }
static void first_second(struct jit_expect *w) { w->now = TEST_NOW - 30; }
static void no_skew_at_exp(struct jit_expect *w) { w->skew = 0; w->now = TEST_NOW + 3600; }
static void no_skew_before_exp(struct jit_expect *w) { w->skew = 0; w->now = TEST_NOW + 3599; }
static void no_skew_at_nbf(struct jit_expect *w) { w->skew = 0; w->now = TEST_NOW; }
static void no_skew_before_nbf(struct jit_expect *w) { w->skew = 0; w->now = TEST_NOW - 1; }
static void expired_and_wrong_user(struct jit_expect *w) { too_late(w); other_user(w); }

/* Each claim failure, and the skew boundaries: nbf <= now + skew and
 * now < exp + skew. */
static void test_claim_failures_and_skew(void **state)
{
	static const struct claim_case cases[] = {
		{ "other user", other_user, JIT_WRONG_USER, "wrong user" },
		{ "other host", other_host, JIT_WRONG_HOST, "wrong host" },
		{ "other source", other_source, JIT_SOURCE_NOT_ALLOWED, "198.51.100.7" },
		{ "other port", other_port, JIT_PORT_NOT_ALLOWED, "5985/tcp" },
		{ "other protocol", other_proto, JIT_PORT_NOT_ALLOWED, "22/udp" },
		{ "exp + skew", too_late, JIT_EXPIRED, "expired" },
		{ "nbf - skew - 1", too_early, JIT_NOT_YET_VALID, "not yet valid" },
		{ "exp + skew - 1", last_second, JIT_OK, NULL },
		{ "nbf - skew", first_second, JIT_OK, NULL },
		{ "exp, no skew", no_skew_at_exp, JIT_EXPIRED, "expired" },
		{ "exp - 1, no skew", no_skew_before_exp, JIT_OK, NULL },
		{ "nbf, no skew", no_skew_at_nbf, JIT_OK, NULL },
		{ "nbf - 1, no skew", no_skew_before_nbf, JIT_NOT_YET_VALID, "not yet valid" },
		{ "time is checked first", expired_and_wrong_user, JIT_EXPIRED, "expired" },
	};
	struct jit_secret_key key;
	struct jit_claims c;
	char *token;

	(void)state;
	test_vector_key(&key);
	sample_claims(&c);
	token = sign_sample(&key, &c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jit_expect want;
		jit_error err = { "" };
		enum jit_verdict v;

		sample_expect(&want);
		cases[i].change(&want);
		v = verify_with(token, &key, &want, &err);
		print_message("%s: %s (%s)\n", cases[i].name, jit_verdict_name(v), err.msg);
		assert_int_equal(v, cases[i].verdict);
		if (cases[i].reason != NULL)
			assert_non_null(strstr(err.msg, cases[i].reason));
	}
	free(token);
}

/* keys[] holds several keys; the footer's kid picks one. */
static void test_key_rotation_and_unknown_kid(void **state)
{
	struct jit_secret_key old_key, new_key;
	struct jit_public_key ring[2];
	struct jit_claims c, out;
	struct jit_expect want;
	jit_error err;
	char *t_old, *t_new;

	(void)state;
	test_vector_key(&old_key);
	assert_int_equal(jit_key_generate(&new_key), 0);
	ring[0] = new_key.pub;
	ring[1] = old_key.pub;
	sample_claims(&c);
	sample_expect(&want);
	t_old = sign_sample(&old_key, &c);
	t_new = sign_sample(&new_key, &c);
	assert_int_equal(jit_ticket_verify(t_old, strlen(t_old), ring, 2, &want, &out, &err), JIT_OK);
	assert_int_equal(jit_ticket_verify(t_new, strlen(t_new), ring, 2, &want, &out, &err), JIT_OK);
	assert_int_equal(jit_ticket_verify(t_old, strlen(t_old), ring, 1, &want, &out, &err),
			 JIT_UNKNOWN_KEY);
	assert_non_null(strstr(err.msg, old_key.pub.pid));
	free(t_old);
	free(t_new);
	jit_secret_key_wipe(&new_key);
}

/* A token signed by one key but naming another's kid fails its signature. */
static void test_forged_kid_refused(void **state)
{
	struct jit_secret_key real, forger;
	struct jit_claims c, out;
	struct jit_expect want;
	jit_error err;
	char footer[128];
	char *payload, *token = NULL;

	(void)state;
	test_vector_key(&real);
	assert_int_equal(jit_key_generate(&forger), 0);
	sample_claims(&c);
	sample_expect(&want);
	payload = jit_claims_to_json(&c, &err);
	snprintf(footer, sizeof(footer), "{\"kid\":\"%s\"}", real.pub.pid);
	assert_int_equal(jit_paseto_sign(forger.sk, (const uint8_t *)payload, strlen(payload),
					 (const uint8_t *)footer, strlen(footer), &token, &err), 0);
	assert_int_equal(jit_ticket_verify(token, strlen(token), &real.pub, 1, &want, &out, &err),
			 JIT_BAD_SIGNATURE);
	free(payload);
	free(token);
}

static void test_footer_shapes(void **state)
{
	static const char *footers[] = { "{}", "{\"kid\":1}", "not json", "{\"kid\":\"k4.pid.short\"}",
					 "{\"kid\":\"x\",\"kid\":\"y\"}" };
	struct jit_secret_key key;
	struct jit_claims c, out;
	struct jit_expect want;
	jit_error err;
	char *payload;

	(void)state;
	test_vector_key(&key);
	sample_claims(&c);
	sample_expect(&want);
	payload = jit_claims_to_json(&c, &err);
	for (size_t i = 0; i < sizeof(footers) / sizeof(footers[0]); i++) {
		char *token = NULL;

		assert_int_equal(jit_paseto_sign(key.sk, (const uint8_t *)payload, strlen(payload),
						 (const uint8_t *)footers[i], strlen(footers[i]),
						 &token, &err), 0);
		assert_int_equal(jit_ticket_verify(token, strlen(token), &key.pub, 1, &want, &out, &err),
				 JIT_MALFORMED);
		free(token);
	}
	free(payload);
}

/* No footer, as other PASETO libraries may sign: accepted with exactly one
 * key (whose signature then decides), refused as malformed with several. */
static void test_no_footer(void **state)
{
	struct jit_secret_key key, other;
	struct jit_public_key ring[2];
	struct jit_claims c, out;
	struct jit_expect want;
	jit_error err;
	char *payload, *token = NULL, *forged = NULL;

	(void)state;
	test_vector_key(&key);
	assert_int_equal(jit_key_generate(&other), 0);
	sample_claims(&c);
	sample_expect(&want);
	payload = jit_claims_to_json(&c, &err);
	assert_int_equal(jit_paseto_sign(key.sk, (const uint8_t *)payload, strlen(payload), NULL, 0,
					 &token, &err), 0);
	assert_int_equal(jit_paseto_sign(other.sk, (const uint8_t *)payload, strlen(payload), NULL, 0,
					 &forged, &err), 0);
	assert_int_equal(jit_ticket_verify(token, strlen(token), &key.pub, 1, &want, &out, &err), JIT_OK);
	assert_int_equal(jit_ticket_verify(forged, strlen(forged), &key.pub, 1, &want, &out, &err),
			 JIT_BAD_SIGNATURE);
	ring[0] = other.pub;
	ring[1] = key.pub;
	assert_int_equal(jit_ticket_verify(token, strlen(token), ring, 2, &want, &out, &err),
			 JIT_MALFORMED);
	assert_non_null(strstr(err.msg, "no footer"));
	free(payload);
	free(token);
	free(forged);
	jit_secret_key_wipe(&other);
}

/* Payloads with a valid signature but claims that are not acceptable. */
static void test_malformed_claims(void **state)
{
	static const struct { const char *payload; const char *reason; } cases[] = {
		{ "not json", "not JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"iss\":\"b\",\"sub\":\"alice\",\"aud\":\"web01\",\"role\":\"ops\"}", "missing claim jti" },
		{ "{\"iss\":\"b\",\"sub\":\"alice\",\"sub\":\"root\",\"aud\":\"web01\"}", "not JSON" },
		{ "{\"iss\":\"b\",\"sub\":7,\"aud\":\"web01\"}", "claim sub is not a string" },
		{ "{\"iss\":\"b\",\"sub\":\"\",\"aud\":\"web01\"}", "claim sub is empty" },
		{ "{\"iss\":\"b\",\"sub\":\"al\\nice\",\"aud\":\"web01\"}", "control character in claim sub" },
		{ "{\"iss\":\"b\",\"sub\":\"a\",\"aud\":\"w\",\"role\":\"r\",\"jti\":\"short\"}", "jti" },
		{ "{\"iss\":\"b\",\"sub\":\"a\",\"aud\":\"w\",\"role\":\"r\",\"jti\":\"AAECAwQFBgcICQoLDA0ODw\","
		  "\"iat\":\"2026-01-01T00:00:00Z\",\"nbf\":\"yesterday\"}", "claim nbf is not an RFC 3339" },
		{ "{\"iss\":\"b\",\"sub\":\"a\",\"aud\":\"w\",\"role\":\"r\",\"jti\":\"AAECAwQFBgcICQoLDA0ODw\","
		  "\"iat\":\"2026-01-01T00:00:00Z\",\"nbf\":\"2026-01-01T00:00:00Z\",\"exp\":\"2026-01-01T01:00:00Z\","
		  "\"src\":[],\"ports\":[\"22/tcp\"]}", "claim src must be a list" },
		{ "{\"iss\":\"b\",\"sub\":\"a\",\"aud\":\"w\",\"role\":\"r\",\"jti\":\"AAECAwQFBgcICQoLDA0ODw\","
		  "\"iat\":\"2026-01-01T00:00:00Z\",\"nbf\":\"2026-01-01T00:00:00Z\",\"exp\":\"2026-01-01T01:00:00Z\","
		  "\"src\":[\"192.0.2.1/24\"],\"ports\":[\"22/tcp\"]}", "claim src item 1" },
		{ "{\"iss\":\"b\",\"sub\":\"a\",\"aud\":\"w\",\"role\":\"r\",\"jti\":\"AAECAwQFBgcICQoLDA0ODw\","
		  "\"iat\":\"2026-01-01T00:00:00Z\",\"nbf\":\"2026-01-01T00:00:00Z\",\"exp\":\"2026-01-01T01:00:00Z\","
		  "\"src\":[\"192.0.2.0/24\"],\"ports\":\"22/tcp\"}", "claim ports must be a list" },
		{ "{\"iss\":\"b\",\"sub\":\"a\",\"aud\":\"w\",\"role\":\"r\",\"jti\":\"AAECAwQFBgcICQoLDA0ODw\","
		  "\"iat\":\"2026-01-01T00:00:00Z\",\"nbf\":\"2026-01-01T01:00:00Z\",\"exp\":\"2026-01-01T01:00:00Z\","
		  "\"src\":[\"192.0.2.0/24\"],\"ports\":[\"22/tcp\"]}", "nbf is not before exp" },
	};
	struct jit_secret_key key;
	struct jit_claims out;
	struct jit_expect want;

	(void)state;
	test_vector_key(&key);
	sample_expect(&want);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *token = sign_payload(&key, cases[i].payload);
		jit_error err = { "" };

		assert_int_equal(jit_ticket_verify(token, strlen(token), &key.pub, 1, &want, &out, &err),
				 JIT_MALFORMED);
		print_message("%s\n", err.msg);
		assert_non_null(strstr(err.msg, cases[i].reason));
		free(token);
	}
}

static void test_unknown_claims_ignored(void **state)
{
	struct jit_secret_key key;
	struct jit_claims out;
	struct jit_expect want;
	jit_error err;
	char *token;

	(void)state;
	test_vector_key(&key);
	sample_expect(&want);
	token = sign_payload(&key, "{\"iss\":\"b\",\"sub\":\"alice\",\"aud\":\"web01\",\"role\":\"r\","
			     "\"jti\":\"AAECAwQFBgcICQoLDA0ODw\",\"iat\":\"2026-01-01T00:00:00.123Z\","
			     "\"nbf\":\"2026-01-01T00:00:00+00:00\",\"exp\":\"2026-01-01T01:00:00Z\","
			     "\"src\":[\"192.0.2.0/24\"],\"ports\":[\"22/tcp\"],\"note\":{\"x\":1}}");
	assert_int_equal(jit_ticket_verify(token, strlen(token), &key.pub, 1, &want, &out, &err), JIT_OK);
	assert_int_equal(out.iat, TEST_NOW);
	free(token);
}

static void test_sign_refuses_incomplete_claims(void **state)
{
	struct jit_secret_key key;
	struct jit_claims c;
	jit_error err;
	char *token = NULL;

	(void)state;
	test_vector_key(&key);
	sample_claims(&c);
	c.sub[0] = '\0';
	assert_int_equal(jit_ticket_sign(&key, &c, &token, &err), -1);
	sample_claims(&c);
	c.n_src = 0;
	assert_int_equal(jit_ticket_sign(&key, &c, &token, &err), -1);
	sample_claims(&c);
	c.n_ports = 0;
	assert_int_equal(jit_ticket_sign(&key, &c, &token, &err), -1);
	sample_claims(&c);
	c.exp = c.nbf;
	assert_int_equal(jit_ticket_sign(&key, &c, &token, &err), -1);
	assert_null(token);
}

/* Every character of a real ticket changed: never accepted. */
static void test_every_ticket_character_change_refused(void **state)
{
	struct jit_secret_key key;
	struct jit_claims c, out;
	struct jit_expect want;
	jit_error err;
	char *token;
	size_t len;

	(void)state;
	test_vector_key(&key);
	sample_claims(&c);
	sample_expect(&want);
	token = sign_sample(&key, &c);
	len = strlen(token);
	for (size_t i = 0; i < len; i++) {
		char orig = token[i];

		token[i] = orig == 'Q' ? 'R' : 'Q';
		if (jit_ticket_verify(token, len, &key.pub, 1, &want, &out, &err) == JIT_OK)
			fail_msg("change at %zu accepted", i);
		token[i] = orig;
	}
	free(token);
}

/* Quotes, backslashes and UTF-8 survive the trip; what the parser would
 * refuse is refused at signing already. */
static void test_claim_text_encoding(void **state)
{
	struct jit_secret_key key;
	struct jit_claims c, out;
	struct jit_expect want;
	jit_error err;
	char *token = NULL;

	(void)state;
	test_vector_key(&key);
	sample_claims(&c);
	STRSET(c.role, "ops \"night\" \\ \xc3\xa9quipe");
	STRSET(c.sub, "j\xc3\xbcrgen");
	sample_expect(&want);
	want.user = "j\xc3\xbcrgen";
	token = sign_sample(&key, &c);
	assert_int_equal(jit_ticket_verify(token, strlen(token), &key.pub, 1, &want, &out, &err), JIT_OK);
	assert_string_equal(out.role, c.role);
	assert_string_equal(out.sub, c.sub);
	free(token);
	token = NULL;
	static const char *bad[] = { "al\nice", "al\x7f", "\xc3", "\xc0\xaf", "\xed\xa0\x80",
				     "\xf4\x90\x80\x80", "\xff" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sample_claims(&c);
		STRSET(c.sub, bad[i]);
		assert_int_equal(jit_ticket_sign(&key, &c, &token, &err), -1);
		assert_null(token);
	}
	/* A string filling its whole buffer has no room for the NUL: refused. */
	sample_claims(&c);
	memset(c.iss, 'a', sizeof(c.iss));
	assert_int_equal(jit_ticket_sign(&key, &c, &token, &err), -1);
	assert_non_null(strstr(err.msg, "too long"));
}

static void test_jti_is_random_128_bits(void **state)
{
	struct jit_claims a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	jit_claims_new_jti(&a);
	jit_claims_new_jti(&b);
	assert_int_equal(strlen(a.jti), 22);
	assert_string_not_equal(a.jti, b.jti);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_ipv6_and_mapped_sources),
		cmocka_unit_test(test_claim_failures_and_skew),
		cmocka_unit_test(test_key_rotation_and_unknown_kid),
		cmocka_unit_test(test_forged_kid_refused),
		cmocka_unit_test(test_footer_shapes),
		cmocka_unit_test(test_no_footer),
		cmocka_unit_test(test_malformed_claims),
		cmocka_unit_test(test_unknown_claims_ignored),
		cmocka_unit_test(test_sign_refuses_incomplete_claims),
		cmocka_unit_test(test_every_ticket_character_change_refused),
		cmocka_unit_test(test_claim_text_encoding),
		cmocka_unit_test(test_jti_is_random_128_bits),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("ticket", tests, NULL, NULL);
}
