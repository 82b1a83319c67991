/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "timeutil.h"

static void test_rfc3339_round_trip(void **state)
{
	char buf[JIT_RFC3339_LEN];
	time_t t = 0;

	(void)state;
	assert_int_equal(jit_rfc3339_parse("2026-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 1767225600);
	assert_int_equal(jit_rfc3339_format(t, buf), 0);
	assert_string_equal(buf, "2026-01-01T00:00:00Z");
	assert_int_equal(jit_rfc3339_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
}

static void test_rfc3339_offsets_and_fractions(void **state)
{
	time_t t = 0;

	(void)state;
	assert_int_equal(jit_rfc3339_parse("2026-01-01T01:30:00+01:30", &t), 0);
	assert_int_equal(t, 1767225600);
	assert_int_equal(jit_rfc3339_parse("2025-12-31T23:00:00-01:00", &t), 0);
	assert_int_equal(t, 1767225600);
	assert_int_equal(jit_rfc3339_parse("2026-01-01T00:00:00.999Z", &t), 0);
	assert_int_equal(t, 1767225600);
	assert_int_equal(jit_rfc3339_parse("2024-02-29T12:00:00Z", &t), 0);
}

static void test_rfc3339_refusals(void **state)
{
	static const char *bad[] = {
		"", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
		"2026-01-01t00:00:00z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
		"2026-01-01T00:00:60Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+0100",
		"2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00Zjunk", "26-01-01T00:00:00Z",
		"1969-12-31T23:59:59Z", "2026-1-01T00:00:00Z",
	};
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("refusing '%s'\n", bad[i]);
		assert_int_equal(jit_rfc3339_parse(bad[i], &t), -1);
	}
}

static void test_duration(void **state)
{
	int64_t s = 0;
	char buf[32];

	(void)state;
	assert_int_equal(jit_duration_parse("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(jit_duration_parse("30m", &s), 0);
	assert_int_equal(s, 1800);
	assert_int_equal(jit_duration_parse("3h", &s), 0);
	assert_int_equal(s, 10800);
	assert_int_equal(jit_duration_parse("1d", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(jit_duration_parse("366d", &s), 0);
	static const char *bad[] = { "", "0s", "90", "s", "-5m", "05m", "1w", "1h30m", "367d",
				     "99999999999999999999s", "5 m", "5M" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("refusing '%s'\n", bad[i]);
		assert_int_equal(jit_duration_parse(bad[i], &s), -1);
	}
	jit_duration_format(5400, buf, sizeof(buf));
	assert_string_equal(buf, "90m");
	jit_duration_format(7200, buf, sizeof(buf));
	assert_string_equal(buf, "2h");
	jit_duration_format(45, buf, sizeof(buf));
	assert_string_equal(buf, "45s");
	jit_duration_format(172800, buf, sizeof(buf));
	assert_string_equal(buf, "2d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_round_trip),
		cmocka_unit_test(test_rfc3339_offsets_and_fractions),
		cmocka_unit_test(test_rfc3339_refusals),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests_name("timeutil", tests, NULL, NULL);
}
