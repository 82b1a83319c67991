/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "b64url.h"

#include <string.h>

#define DECODE_BUF 64

static int decode(const char *s, uint8_t out[DECODE_BUF], size_t *len)
{
	return jit_b64url_decode(out, DECODE_BUF, len, s, strlen(s));
}

/* RFC 4648 section 10 vectors, in the URL alphabet and unpadded. */
static void test_rfc4648_vectors(void **state)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *coded[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	char enc[64];
	uint8_t dec[DECODE_BUF];
	size_t len;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(jit_b64url_encode(enc, sizeof(enc), (const uint8_t *)plain[i],
						   strlen(plain[i])), 0);
		assert_string_equal(enc, coded[i]);
		assert_int_equal(jit_b64url_encoded_len(strlen(plain[i])), strlen(coded[i]));
		assert_int_equal(decode(coded[i], dec, &len), 0);
		assert_int_equal(len, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], len);
	}
}

static void test_url_alphabet(void **state)
{
	const uint8_t bin[] = { 0xfb, 0xff, 0xbf };
	char enc[8];
	uint8_t dec[DECODE_BUF];
	size_t len;

	(void)state;
	assert_int_equal(jit_b64url_encode(enc, sizeof(enc), bin, sizeof(bin)), 0);
	assert_string_equal(enc, "-_-_");
	assert_int_equal(decode("-_-_", dec, &len), 0);
	assert_memory_equal(dec, bin, 3);
	/* The standard alphabet's + and / are not base64url. */
	assert_int_equal(decode("+/+/", dec, &len), -1);
}

static void test_padding_refused(void **state)
{
	uint8_t dec[DECODE_BUF];
	size_t len;

	(void)state;
	assert_int_equal(decode("Zg==", dec, &len), -1);
	assert_int_equal(decode("Zm8=", dec, &len), -1);
	assert_int_equal(decode("Zg=", dec, &len), -1);
}

static void test_non_alphabet_refused(void **state)
{
	static const char *bad[] = { "Zm9v Yg", "Zm9v\nYg", "Zm9v.Yg", "Zm9v*", "Zm\x80v",
				     "Zm9\xffYg", "Zm9v\xc3\xa9" };
	uint8_t dec[DECODE_BUF];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode(bad[i], dec, &len), -1);
	/* An embedded NUL inside the given length is refused too. */
	assert_int_equal(jit_b64url_decode(dec, sizeof(dec), &len, "Zm\0v", 4), -1);
}

static void test_impossible_length_refused(void **state)
{
	uint8_t dec[DECODE_BUF];
	size_t len;

	(void)state;
	assert_int_equal(decode("Z", dec, &len), -1);
	assert_int_equal(decode("Zm9vY", dec, &len), -1);
}

/* "Zh" and "Zg" would both decode to "f" if the spare bits were ignored. */
static void test_noncanonical_trailing_bits_refused(void **state)
{
	uint8_t dec[DECODE_BUF];
	size_t len;

	(void)state;
	assert_int_equal(decode("Zg", dec, &len), 0);
	assert_int_equal(decode("Zh", dec, &len), -1);
	assert_int_equal(decode("Zm8", dec, &len), 0);
	assert_int_equal(decode("Zm9", dec, &len), -1);
}

static void test_small_buffers_refused(void **state)
{
	char enc[4];
	uint8_t dec[2];
	size_t len;

	(void)state;
	assert_int_equal(jit_b64url_encode(enc, sizeof(enc), (const uint8_t *)"foo", 3), -1);
	assert_int_equal(jit_b64url_decode(dec, sizeof(dec), &len, "Zm9v", 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_url_alphabet),
		cmocka_unit_test(test_padding_refused),
		cmocka_unit_test(test_non_alphabet_refused),
		cmocka_unit_test(test_impossible_length_refused),
		cmocka_unit_test(test_noncanonical_trailing_bits_refused),
		cmocka_unit_test(test_small_buffers_refused),
	};

	return cmocka_run_group_tests_name("b64url", tests, NULL, NULL);
}
