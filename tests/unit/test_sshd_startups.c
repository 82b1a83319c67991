/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sshd_startups.h"

#include <string.h>

static struct jit_sshd_config openssh_form(int start, int rate, int full, int per_source)
{
	struct jit_sshd_config c;

	memset(&c, 0, sizeof(c));
	c.startups_begin = start;
	c.startups_rate = rate;
	c.max_startups = full;
	c.per_source_max_startups = per_source;
	return c;
}

static struct jit_addr addr(const char *text)
{
	struct jit_addr a;

	assert_int_equal(jit_addr_parse(text, &a), 0);
	return a;
}

/* n connections served, each from its own address in 198.51.100.0/24. */
static void serve_n(struct jit_startups *s, int n)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n; i++) {
		struct jit_addr a = addr("198.51.100.0");

		a.bytes[3] = (unsigned char)i;
		jit_startups_add(s, 1000 + i, &a);
	}
}

/* start:rate:full, as OpenSSH: none dropped below start, rate percent at
 * start rising to all at full, every one at full. */
static void test_random_early_drop(void **state)
{
	static struct jit_startups s;
	struct jit_sshd_config c = openssh_form(10, 30, 20, 100);
	struct jit_addr from = addr("192.0.2.1");

	(void)state;
	serve_n(&s, 9);
	assert_null(jit_startups_refusal(&s, &from, &c, 0));
	serve_n(&s, 10);
	assert_non_null(jit_startups_refusal(&s, &from, &c, 29));	/* 30 % at start */
	assert_null(jit_startups_refusal(&s, &from, &c, 30));
	serve_n(&s, 15);
	assert_non_null(jit_startups_refusal(&s, &from, &c, 64));	/* 65 % half way */
	assert_null(jit_startups_refusal(&s, &from, &c, 65));
	serve_n(&s, 20);
	assert_string_equal(jit_startups_refusal(&s, &from, &c, 99), "max_startups reached");
	c = openssh_form(20, 100, 20, 100);	/* plain N */
	serve_n(&s, 19);
	assert_null(jit_startups_refusal(&s, &from, &c, 0));
	serve_n(&s, 20);
	assert_non_null(jit_startups_refusal(&s, &from, &c, 99));
}

/* One address (IPv6: one /64) holds at most its share; others are served. */
static void test_per_source_share(void **state)
{
	static struct jit_startups s;
	struct jit_sshd_config c = openssh_form(100, 30, 100, 2);
	struct jit_addr a = addr("192.0.2.7"), b = addr("192.0.2.8");
	struct jit_addr v6a = addr("2001:db8:1:2::1"), v6b = addr("2001:db8:1:2::ffff");
	struct jit_addr v6c = addr("2001:db8:1:3::1");

	(void)state;
	memset(&s, 0, sizeof(s));
	jit_startups_add(&s, 1, &a);
	jit_startups_add(&s, 2, &a);
	assert_string_equal(jit_startups_refusal(&s, &a, &c, 99),
			    "per_source_max_startups reached for this source");
	assert_null(jit_startups_refusal(&s, &b, &c, 99));
	jit_startups_add(&s, 3, &v6a);
	jit_startups_add(&s, 4, &v6a);
	assert_non_null(jit_startups_refusal(&s, &v6b, &c, 99));	/* the same /64 */
	assert_null(jit_startups_refusal(&s, &v6c, &c, 99));
	jit_startups_remove(&s, 1);
	assert_null(jit_startups_refusal(&s, &a, &c, 99));
	assert_int_equal(s.n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_early_drop),
		cmocka_unit_test(test_per_source_share),
	};

	return cmocka_run_group_tests_name("sshd_startups", tests, NULL, NULL);
}
