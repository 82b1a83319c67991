/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <sys/socket.h>

#include "ratelimit.h"

static void test_parse(void **state)
{
	static const char *bad[] = { "", "0/1m", "20", "20/", "20/0s", "-1/1m", "20/2d",
				     "100001/1s", "x/1m", "20/1m ", "020/1m", "Off" };
	struct jit_rate_limit lim;

	(void)state;
	assert_int_equal(jit_rate_limit_parse("20/1m", &lim), 0);
	assert_int_equal(lim.burst, 20);
	assert_int_equal(lim.period, 60);
	assert_int_equal(jit_rate_limit_parse("off", &lim), 0);
	assert_int_equal(lim.burst, 0);
	assert_int_equal(jit_rate_limit_parse("100000/1d", &lim), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(jit_rate_limit_parse(bad[i], &lim), -1);
}

static void test_burst_then_refill(void **state)
{
	struct jit_rate_limit lim = { 3, 60 };
	struct jit_rate_table t = { 0 };

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(jit_rate_take(&t, &lim, "uid:1000", 1000));
	assert_false(jit_rate_take(&t, &lim, "uid:1000", 1000));
	assert_true(jit_rate_take(&t, &lim, "uid:1001", 1000));	/* a bucket per key */
	/* 3 per 60 s: a token back every 20 s, not before; after 40 s, two. */
	assert_false(jit_rate_take(&t, &lim, "uid:1000", 1000 + 19999));
	assert_true(jit_rate_take(&t, &lim, "uid:1000", 1000 + 40000));
	assert_true(jit_rate_take(&t, &lim, "uid:1000", 1000 + 40000));
	assert_false(jit_rate_take(&t, &lim, "uid:1000", 1000 + 40000));
	/* Idle long enough, a bucket holds no more than its burst. */
	for (int i = 0; i < 3; i++)
		assert_true(jit_rate_take(&t, &lim, "uid:1000", 10000000));
	assert_false(jit_rate_take(&t, &lim, "uid:1000", 10000000));
	jit_rate_table_free(&t);
}

static void test_off_never_limits(void **state)
{
	struct jit_rate_limit off = { 0, 0 };
	struct jit_rate_table t = { 0 };

	(void)state;
	for (int i = 0; i < 10000; i++)
		assert_true(jit_rate_take(&t, &off, "uid:0", 0));
	assert_null(t.buckets);
}

static void test_source_keys(void **state)
{
	struct jit_addr a, b;
	char ka[JIT_RATE_KEY_MAX], kb[JIT_RATE_KEY_MAX];

	(void)state;
	assert_int_equal(jit_addr_parse("192.0.2.10", &a), 0);
	jit_rate_source_key(&a, ka, sizeof(ka));
	assert_string_equal(ka, "src:192.0.2.10/32");
	/* One IPv6 host has a /64 to cycle through: it is one key. */
	assert_int_equal(jit_addr_parse("2001:db8:1:2::1", &a), 0);
	assert_int_equal(jit_addr_parse("2001:db8:1:2:ffff::7", &b), 0);
	jit_rate_source_key(&a, ka, sizeof(ka));
	jit_rate_source_key(&b, kb, sizeof(kb));
	assert_string_equal(ka, "src:2001:db8:1:2::/64");
	assert_string_equal(ka, kb);
	assert_int_equal(jit_addr_parse("2001:db8:1:3::1", &b), 0);
	jit_rate_source_key(&b, kb, sizeof(kb));
	assert_string_not_equal(ka, kb);
}

/* Filling the table with limited keys must not lock new keys out; full
 * buckets are forgotten to make room. */
static void test_table_full(void **state)
{
	struct jit_rate_limit lim = { 1, 60 };
	struct jit_rate_table t = { 0 };
	char key[JIT_RATE_KEY_MAX];
	int i;

	(void)state;
	for (i = 0; i < JIT_RATE_KEYS_MAX * 3 / 4; i++) {
		(void)snprintf(key, sizeof(key), "src:198.51.%d.%d", i / 256, i % 256);
		assert_true(jit_rate_take(&t, &lim, key, 0));
	}
	assert_int_equal(t.overflows, 0);
	assert_true(jit_rate_take(&t, &lim, "src:192.0.2.1", 0));
	assert_int_equal(t.overflows, 1);
	assert_true(jit_rate_take(&t, &lim, "src:198.51.0.0", 0) == false);
	/* A minute on every bucket is full again: room for new keys. */
	assert_true(jit_rate_take(&t, &lim, "src:192.0.2.2", 60000));
	assert_int_equal(t.overflows, 1);
	assert_true(jit_rate_take(&t, &lim, "src:192.0.2.2", 60000) == false);
	jit_rate_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_burst_then_refill),
		cmocka_unit_test(test_off_never_limits),
		cmocka_unit_test(test_source_keys),
		cmocka_unit_test(test_table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
