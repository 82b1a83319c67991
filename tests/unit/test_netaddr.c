/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "netaddr.h"

#include <string.h>
#include <sys/socket.h>

static struct jit_cidr cidr(const char *s)
{
	struct jit_cidr c;

	assert_int_equal(jit_cidr_parse(s, &c), 0);
	return c;
}

static struct jit_addr addr(const char *s)
{
	struct jit_addr a;

	assert_int_equal(jit_addr_parse(s, &a), 0);
	return a;
}

static void assert_cidr_text(const char *in, const char *want)
{
	struct jit_cidr c = cidr(in);
	char buf[JIT_CIDR_STRLEN];

	jit_cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_addr_parse(void **state)
{
	struct jit_addr a;
	char buf[JIT_CIDR_STRLEN];

	(void)state;
	a = addr("192.0.2.10");
	assert_int_equal(a.family, AF_INET);
	a = addr("2001:db8::1");
	assert_int_equal(a.family, AF_INET6);
	jit_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	static const char *bad[] = { "", "192.0.2", "192.0.2.256", "192.0.2.010", " 192.0.2.1",
				     "192.0.2.1 ", "host.example", "2001:db8::1%eth0", "2001:db8:::1",
				     "192.0.2.1/32" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(jit_addr_parse(bad[i], &a), -1);
}

static void test_v4mapped_address_normalised(void **state)
{
	struct jit_addr a = addr("::ffff:192.0.2.10");
	struct jit_addr b = addr("192.0.2.10");
	struct jit_cidr net = cidr("192.0.2.0/24");

	(void)state;
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(jit_cidr_contains(&net, &a));
}

static void test_cidr_parse_and_format(void **state)
{
	(void)state;
	assert_cidr_text("192.0.2.0/24", "192.0.2.0/24");
	assert_cidr_text("192.0.2.7", "192.0.2.7/32");
	assert_cidr_text("2001:db8::/32", "2001:db8::/32");
	assert_cidr_text("2001:db8::1", "2001:db8::1/128");
	assert_cidr_text("0.0.0.0/0", "0.0.0.0/0");
	assert_cidr_text("::/0", "::/0");
	assert_cidr_text("::ffff:192.0.2.0/120", "192.0.2.0/24");
	assert_cidr_text("::ffff:192.0.2.9", "192.0.2.9/32");
	assert_cidr_text("198.51.100.128/25", "198.51.100.128/25");
}

static void test_cidr_parse_refusals(void **state)
{
	static const char *bad[] = {
		"192.0.2.1/24",		/* host bits set */
		"2001:db8::1/32",	/* host bits set */
		"192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/024",
		"192.0.2.0/2 4", "/24", "", "192.0.2.0/24/1", "192.0.2.0/+24",
		"::ffff:192.0.2.1/120",	/* host bits set once mapped */
	};
	struct jit_cidr c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("refusing '%s'\n", bad[i]);
		assert_int_equal(jit_cidr_parse(bad[i], &c), -1);
	}
}

static void test_cidr_contains_edges(void **state)
{
	struct jit_cidr v4 = cidr("192.0.2.0/24"), host = cidr("192.0.2.7/32");
	struct jit_cidr all4 = cidr("0.0.0.0/0"), all6 = cidr("::/0");
	struct jit_cidr v6 = cidr("2001:db8::/32"), host6 = cidr("2001:db8::7/128");
	struct jit_cidr odd = cidr("198.51.100.128/25");

	(void)state;
	assert_true(jit_cidr_contains(&v4, &(struct jit_addr){ 0 }) == false);
	assert_true(jit_cidr_contains(&v4, &(struct jit_addr){ AF_INET, { 192, 0, 2, 0 } }));
	assert_true(jit_cidr_contains(&v4, &(struct jit_addr){ AF_INET, { 192, 0, 2, 255 } }));
	assert_false(jit_cidr_contains(&v4, &(struct jit_addr){ AF_INET, { 192, 0, 3, 0 } }));
	assert_true(jit_cidr_contains(&host, &(struct jit_addr){ AF_INET, { 192, 0, 2, 7 } }));
	assert_false(jit_cidr_contains(&host, &(struct jit_addr){ AF_INET, { 192, 0, 2, 6 } }));
	assert_true(jit_cidr_contains(&all4, &(struct jit_addr){ AF_INET, { 203, 0, 113, 1 } }));
	assert_true(jit_cidr_contains(&odd, &(struct jit_addr){ AF_INET, { 198, 51, 100, 128 } }));
	assert_false(jit_cidr_contains(&odd, &(struct jit_addr){ AF_INET, { 198, 51, 100, 127 } }));
	struct jit_addr a6 = addr("2001:db8:ffff::1"), b6 = addr("2001:db9::1");
	struct jit_addr h6 = addr("2001:db8::7"), m4 = addr("::ffff:192.0.2.1");
	assert_true(jit_cidr_contains(&v6, &a6));
	assert_false(jit_cidr_contains(&v6, &b6));
	assert_true(jit_cidr_contains(&host6, &h6));
	assert_false(jit_cidr_contains(&host6, &a6));
	assert_true(jit_cidr_contains(&all6, &b6));
	/* Families never mix: ::/0 holds no IPv4 address, 0.0.0.0/0 no IPv6 one. */
	assert_false(jit_cidr_contains(&all6, &m4));
	assert_false(jit_cidr_contains(&all4, &b6));
}

static void test_cidr_within(void **state)
{
	struct jit_cidr outer = cidr("192.0.2.0/24"), inner = cidr("192.0.2.128/25");
	struct jit_cidr other = cidr("198.51.100.0/24"), v6 = cidr("2001:db8::/32");

	(void)state;
	assert_true(jit_cidr_within(&inner, &outer));
	assert_true(jit_cidr_within(&outer, &outer));
	assert_false(jit_cidr_within(&outer, &inner));
	assert_false(jit_cidr_within(&other, &outer));
	assert_false(jit_cidr_within(&v6, &outer));
	/* Overlap goes both ways; disjoint prefixes and other families do not. */
	assert_true(jit_cidr_overlap(&inner, &outer));
	assert_true(jit_cidr_overlap(&outer, &inner));
	assert_false(jit_cidr_overlap(&other, &outer));
	assert_false(jit_cidr_overlap(&v6, &outer));
}

static void test_cidr_host(void **state)
{
	struct jit_addr a4, a6;
	struct jit_cidr c;
	char text[JIT_CIDR_STRLEN];

	(void)state;
	assert_int_equal(jit_addr_parse("192.0.2.7", &a4), 0);
	assert_int_equal(jit_addr_parse("2001:db8::7", &a6), 0);
	jit_cidr_host(&a4, &c);
	jit_cidr_format(&c, text, sizeof(text));
	assert_string_equal(text, "192.0.2.7/32");
	jit_cidr_host(&a6, &c);
	jit_cidr_format(&c, text, sizeof(text));
	assert_string_equal(text, "2001:db8::7/128");
}

static void test_userhost_split(void **state)
{
	char user[8], host[64];
	unsigned port = 0;

	(void)state;
	assert_int_equal(jit_userhost_split("jit@192.0.2.1:2222", user, sizeof(user), host,
					    sizeof(host), &port), 0);
	assert_string_equal(user, "jit");
	assert_string_equal(host, "192.0.2.1");
	assert_int_equal(port, 2222);
	assert_int_equal(jit_userhost_split("jit@[2001:db8::1]", user, sizeof(user), host,
					    sizeof(host), &port), 0);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(port, 22);
	assert_int_equal(jit_userhost_split("192.0.2.1:22", user, sizeof(user), host, sizeof(host),
					    &port), -1);
	assert_int_equal(jit_userhost_split("@192.0.2.1", user, sizeof(user), host, sizeof(host),
					    &port), -1);
	assert_int_equal(jit_userhost_split("longusername@h", user, sizeof(user), host,
					    sizeof(host), &port), -1);
	assert_int_equal(jit_userhost_split("jit@2001:db8::1", user, sizeof(user), host,
					    sizeof(host), &port), -1);
}

static void test_portspec(void **state)
{
	struct jit_portspec p;
	char buf[JIT_PORTSPEC_STRLEN];

	(void)state;
	assert_int_equal(jit_portspec_parse("22/tcp", &p), 0);
	assert_int_equal(p.port, 22);
	assert_int_equal(p.proto, JIT_PROTO_TCP);
	assert_int_equal(jit_portspec_parse("53/udp", &p), 0);
	assert_int_equal(p.proto, JIT_PROTO_UDP);
	assert_int_equal(jit_portspec_parse("65535/tcp", &p), 0);
	jit_portspec_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "65535/tcp");
	static const char *bad[] = { "0/tcp", "65536/tcp", "022/tcp", "22", "22/", "/tcp",
				     "22/TCP", "22/sctp", "-1/tcp", "22/tcp ", "999999/tcp", "2 2/tcp" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("refusing '%s'\n", bad[i]);
		assert_int_equal(jit_portspec_parse(bad[i], &p), -1);
	}
}

/* A port is in a list when port and protocol match one of its entries. */
static void test_portspec_in(void **state)
{
	struct jit_portspec list[2], p;

	(void)state;
	assert_int_equal(jit_portspec_parse("22/tcp", &list[0]), 0);
	assert_int_equal(jit_portspec_parse("53/udp", &list[1]), 0);
	assert_int_equal(jit_portspec_parse("53/udp", &p), 0);
	assert_true(jit_portspec_in(list, 2, &p));
	assert_false(jit_portspec_in(list, 1, &p));
	assert_int_equal(jit_portspec_parse("53/tcp", &p), 0);
	assert_false(jit_portspec_in(list, 2, &p));
	assert_false(jit_portspec_in(list, 0, &list[0]));
}

static void test_lists(void **state)
{
	struct jit_cidr c[3];
	struct jit_portspec p[2];
	size_t n = 0;

	(void)state;
	assert_int_equal(jit_cidr_list_parse("192.0.2.0/24, 2001:db8::/32", c, 3, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[1].addr.family, AF_INET6);
	assert_int_equal(jit_portspec_list_parse("22/tcp,3389/tcp", p, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[1].port, 3389);
	assert_int_equal(jit_portspec_list_parse("22/tcp,3389/tcp,53/udp", p, 2, &n), -1);
	assert_int_equal(jit_portspec_list_parse("22/tcp,,53/udp", p, 2, &n), -1);
	assert_int_equal(jit_portspec_list_parse("", p, 2, &n), -1);
	assert_int_equal(jit_cidr_list_parse("192.0.2.0/24,", c, 3, &n), -1);
	assert_int_equal(jit_cidr_list_parse("192.0.2.0/24, bogus", c, 3, &n), -1);
}

/* One HOST:PORT form for [sshd] listen and jitctl --remote. */
static void test_hostport_split(void **state)
{
	char host[64];
	unsigned port = 7;
	bool br;

	(void)state;
	assert_int_equal(jit_hostport_split("192.0.2.1:2022", false, host, sizeof(host), &port, &br), 0);
	assert_string_equal(host, "192.0.2.1");
	assert_int_equal(port, 2022);
	assert_false(br);
	assert_int_equal(jit_hostport_split("[2001:db8::1]:22", false, host, sizeof(host), &port, &br), 0);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(port, 22);
	assert_true(br);
	port = 22;
	assert_int_equal(jit_hostport_split("web01", true, host, sizeof(host), &port, &br), 0);
	assert_string_equal(host, "web01");
	assert_int_equal(port, 22);
	assert_int_equal(jit_hostport_split("[2001:db8::1]", true, host, sizeof(host), &port, &br), 0);
	assert_int_equal(jit_hostport_split("web01", false, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split("2001:db8::1:22", true, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split("web01:", true, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split("web01:0", true, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split("web01:65536", true, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split("web01:+22", true, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split(":22", true, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split("[::1]x", true, host, sizeof(host), &port, &br), -1);
	assert_int_equal(jit_hostport_split("a-very-long-host-name-that-does-not-fit-in-sixty-four-bytes.example:1",
					    true, host, sizeof(host), &port, &br), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport_split),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_v4mapped_address_normalised),
		cmocka_unit_test(test_cidr_parse_and_format),
		cmocka_unit_test(test_cidr_parse_refusals),
		cmocka_unit_test(test_cidr_contains_edges),
		cmocka_unit_test(test_cidr_within),
		cmocka_unit_test(test_cidr_host),
		cmocka_unit_test(test_userhost_split),
		cmocka_unit_test(test_portspec),
		cmocka_unit_test(test_portspec_in),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests_name("netaddr", tests, NULL, NULL);
}
