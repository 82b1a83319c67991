/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "escape.h"

static void test_escapes(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(jit_escape_text("plain text é", out, sizeof(out)), "plain text é");
	assert_string_equal(jit_escape_text("a\033[2Jb\nc\x7f", out, sizeof(out)), "a\\x1b[2Jb\\x0ac\\x7f");
	assert_string_equal(jit_escape_text("c1:\xc2\x9b|", out, sizeof(out)), "c1:\\x9b|");
	assert_string_equal(jit_escape_text("back\\slash", out, sizeof(out)), "back\\x5cslash");
	assert_string_equal(jit_escape_text(NULL, out, sizeof(out)), "");
}

/* Cut to fit, never inside an escape. */
static void test_bounded(void **state)
{
	char out[6];

	(void)state;
	assert_string_equal(jit_escape_text("abcdefgh", out, sizeof(out)), "abcde");
	assert_string_equal(jit_escape_text("ab\ncd", out, sizeof(out)), "ab");
	assert_string_equal(jit_escape_text("\n\n", out, sizeof(out)), "\\x0a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
