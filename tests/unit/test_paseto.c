/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "b64url.h"
#include "paseto.h"
#include "testutil.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char tv_message[] =
	"{\"data\":\"this is a signed message\",\"exp\":\"2022-01-01T00:00:00+00:00\"}";
static const char tv_footer[] = "{\"kid\":\"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN\"}";
static const char tv_token_1[] =
	"v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0wMS0wMVQwMDowMDowMCswMDowMCJ9"
	"bg_XBBzds8lTZShVlwwKSgeKpLT3yukTw6JUz3W4h_ExsQV-P0V54zemZDcAxFaSeef1QlXEFtkqxT1ciiQEDA";
static const char tv_token_2[] =
	"v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0wMS0wMVQwMDowMDowMCswMDowMCJ9"
	"v3Jt8mx_TdM2ceTGoqwrh4yDFn0XsHvvV_D0DtwQxVrJEBMl0F2caAdgnpKlt4p7xBnx1HcO-SPo8FPp214HDw"
	".eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9";

/* 0 when the token parses and its signature holds under the vector key. */
static int check(const char *token, size_t len)
{
	struct jit_secret_key key;
	struct jit_paseto tok;
	jit_error err;
	int rc;

	test_vector_key(&key);
	if (jit_paseto_parse(token, len, &tok, &err) != 0)
		return -1;
	rc = jit_paseto_verify(&tok, key.pub.pk);
	jit_paseto_free(&tok);
	return rc;
}

static char *sign_vector(const char *footer)
{
	struct jit_secret_key key;
	char *token = NULL;
	jit_error err;

	test_vector_key(&key);
	assert_int_equal(jit_paseto_sign(key.sk, (const uint8_t *)tv_message, strlen(tv_message),
					 (const uint8_t *)footer, strlen(footer), &token, &err), 0);
	return token;
}

/* Official vectors 4-S-1 (no footer) and 4-S-2 (footer): Ed25519 is
 * deterministic, so signing must give the very same tokens. */
static void test_vectors_sign(void **state)
{
	char *t1 = sign_vector("");
	char *t2 = sign_vector(tv_footer);

	(void)state;
	assert_string_equal(t1, tv_token_1);
	assert_string_equal(t2, tv_token_2);
	free(t1);
	free(t2);
}

static void test_vectors_verify(void **state)
{
	struct jit_paseto tok;
	jit_error err;

	(void)state;
	assert_int_equal(check(tv_token_1, strlen(tv_token_1)), 0);
	assert_int_equal(check(tv_token_2, strlen(tv_token_2)), 0);
	assert_int_equal(jit_paseto_parse(tv_token_2, strlen(tv_token_2), &tok, &err), 0);
	assert_int_equal(tok.msg_len, strlen(tv_message));
	assert_memory_equal(jit_paseto_msg(&tok), tv_message, tok.msg_len);
	assert_string_equal((const char *)tok.footer, tv_footer);
	jit_paseto_free(&tok);
}

/* Every character of the token replaced by another alphabet character, and
 * by one outside it: refused every time. */
static void test_every_character_change_refused(void **state)
{
	const char *orig = tv_token_2;
	size_t len = strlen(orig);
	char *t = strdup(orig);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		const char subst[] = { orig[i] == 'A' ? 'B' : 'A', orig[i] == 'x' ? 'y' : 'x', '=', '+' };

		for (size_t k = 0; k < sizeof(subst); k++) {
			t[i] = subst[k];
			if (check(t, len) == 0)
				fail_msg("change at %zu to '%c' accepted", i, subst[k]);
		}
		t[i] = orig[i];
	}
	assert_int_equal(check(t, len), 0);
	free(t);
}

/* Every bit of the decoded payload, signature and footer flipped and the
 * token re-encoded canonically: the signature must fail. */
static void test_every_decoded_bit_flip_refused(void **state)
{
	struct jit_secret_key key;
	struct jit_paseto tok;
	jit_error err;
	size_t body_len;

	(void)state;
	test_vector_key(&key);
	assert_int_equal(jit_paseto_parse(tv_token_2, strlen(tv_token_2), &tok, &err), 0);
	body_len = tok.msg_len + 64;
	for (size_t i = 0; i < body_len * 8; i++) {
		tok.body[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(jit_paseto_verify(&tok, key.pub.pk), 0);
		tok.body[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (size_t i = 0; i < tok.footer_len * 8; i++) {
		tok.footer[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(jit_paseto_verify(&tok, key.pub.pk), 0);
		tok.footer[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(jit_paseto_verify(&tok, key.pub.pk), 0);
	jit_paseto_free(&tok);
}

static void test_every_truncation_refused(void **state)
{
	(void)state;
	for (size_t n = 0; n < strlen(tv_token_2); n++)
		if (check(tv_token_2, n) == 0)
			fail_msg("token cut to %zu bytes accepted", n);
	for (size_t n = 0; n < strlen(tv_token_1); n++)
		if (check(tv_token_1, n) == 0)
			fail_msg("token cut to %zu bytes accepted", n);
}

static void test_padding_and_extra_parts_refused(void **state)
{
	char buf[1024];

	(void)state;
	snprintf(buf, sizeof(buf), "%s=", tv_token_2);
	assert_int_equal(check(buf, strlen(buf)), -1);
	snprintf(buf, sizeof(buf), "%s==", tv_token_1);
	assert_int_equal(check(buf, strlen(buf)), -1);
	snprintf(buf, sizeof(buf), "%s.", tv_token_1);	/* empty footer written with its dot */
	assert_int_equal(check(buf, strlen(buf)), -1);
	snprintf(buf, sizeof(buf), "%s.e30", tv_token_2);
	assert_int_equal(check(buf, strlen(buf)), -1);
	snprintf(buf, sizeof(buf), "%s\n", tv_token_2);
	assert_int_equal(check(buf, strlen(buf)), -1);
	snprintf(buf, sizeof(buf), " %s", tv_token_2);
	assert_int_equal(check(buf, strlen(buf)), -1);
}

static void test_wrong_key_refused(void **state)
{
	struct jit_secret_key other;
	struct jit_paseto tok;
	jit_error err;

	(void)state;
	assert_int_equal(jit_key_generate(&other), 0);
	assert_int_equal(jit_paseto_parse(tv_token_2, strlen(tv_token_2), &tok, &err), 0);
	assert_int_equal(jit_paseto_verify(&tok, other.pub.pk), -1);
	jit_paseto_free(&tok);
}

static void test_other_headers_refused(void **state)
{
	static const char *headers[] = { "v4.local.", "v3.public.", "v2.public.", "V4.public.",
					 "v4.Public.", "v4.public", "v4public.", "" };
	struct jit_paseto tok;
	jit_error err;
	char buf[1024];
	const char *rest = tv_token_2 + strlen("v4.public.");

	(void)state;
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", headers[i], rest);
		assert_int_equal(jit_paseto_parse(buf, strlen(buf), &tok, &err), -1);
		assert_non_null(strstr(err.msg, "malformed"));
	}
	snprintf(buf, sizeof(buf), "v4.local.%s", rest);
	assert_int_equal(jit_paseto_parse(buf, strlen(buf), &tok, &err), -1);
	assert_non_null(strstr(err.msg, "v4.local"));
}

/* Signing will not make a token over 8 KiB. */
static void test_oversize_not_signed(void **state)
{
	struct jit_secret_key key;
	size_t big = JIT_PASETO_MAX_TOKEN;
	char *msg = malloc(big);
	char *token = NULL;
	jit_error err;

	(void)state;
	test_vector_key(&key);
	memset(msg, 'a', big);
	assert_int_equal(jit_paseto_sign(key.sk, (const uint8_t *)msg, big, NULL, 0, &token, &err),
			 -1);
	assert_null(token);
	free(msg);
}

/* At the limit a token is decoded; one byte more and it is refused by its
 * length alone, with that reason. */
static void test_oversize_refused_before_decoding(void **state)
{
	struct jit_paseto tok;
	jit_error err;
	size_t limit = JIT_PASETO_MAX_TOKEN;
	char *buf = malloc(limit + 1);

	(void)state;
	memset(buf, 'A', limit + 1);
	memcpy(buf, "v4.public.", 10);
	assert_int_equal(jit_paseto_parse(buf, limit, &tok, &err), 0);
	jit_paseto_free(&tok);
	assert_int_equal(jit_paseto_parse(buf, limit + 1, &tok, &err), -1);
	assert_non_null(strstr(err.msg, "longer than 8192"));
	free(buf);
}

static void test_short_body_refused(void **state)
{
	char buf[128];
	uint8_t zero[63] = { 0 };
	char enc[100];
	struct jit_paseto tok;
	jit_error err;

	(void)state;
	(void)jit_b64url_encode(enc, sizeof(enc), zero, sizeof(zero));
	snprintf(buf, sizeof(buf), "v4.public.%s", enc);
	assert_int_equal(jit_paseto_parse(buf, strlen(buf), &tok, &err), -1);
	assert_non_null(strstr(err.msg, "shorter than a signature"));
}

/* An empty message with a signature is a valid token shape. */
static void test_empty_message_round_trip(void **state)
{
	struct jit_secret_key key;
	char *token = NULL;
	jit_error err;

	(void)state;
	test_vector_key(&key);
	assert_int_equal(jit_paseto_sign(key.sk, NULL, 0, NULL, 0, &token, &err), 0);
	assert_int_equal(check(token, strlen(token)), 0);
	free(token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_sign),
		cmocka_unit_test(test_vectors_verify),
		cmocka_unit_test(test_every_character_change_refused),
		cmocka_unit_test(test_every_decoded_bit_flip_refused),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_padding_and_extra_parts_refused),
		cmocka_unit_test(test_wrong_key_refused),
		cmocka_unit_test(test_other_headers_refused),
		cmocka_unit_test(test_oversize_not_signed),
		cmocka_unit_test(test_oversize_refused_before_decoding),
		cmocka_unit_test(test_short_body_refused),
		cmocka_unit_test(test_empty_message_round_trip),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("paseto", tests, NULL, NULL);
}
