/* SPDX-License-Identifier: ISC */
/* Which tracked flows a window's cut takes: those from its source to one
 * of its ports, by protocol; none of another source, port, protocol or
 * family, nor one another open window admits. (Scenarios 12 and 13 of
 * tests/e2e/scenarios.sh and fleet.test cut real ones.) */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "conntrack.h"

#include <netinet/in.h>
#include <string.h>

static void window(struct jit_fw_entry *e, const char *source, const char *ports)
{
	memset(e, 0, sizeof(*e));
	e->grant_id = 1;
	assert_int_equal(jit_cidr_parse(source, &e->source), 0);
	assert_int_equal(jit_portspec_list_parse(ports, e->ports, JIT_FW_ENTRY_PORTS_MAX,
						 &e->n_ports), 0);
}

static bool takes(const struct jit_fw_entry *e, const char *src, uint8_t proto, uint16_t port)
{
	struct jit_flow f = { .l4proto = proto, .dport = port };

	assert_int_equal(jit_addr_parse(src, &f.src), 0);
	return jit_flow_in_window(e, &f);
}

static void test_ipv4_window(void **state)
{
	struct jit_fw_entry e;

	(void)state;
	window(&e, "192.0.2.0/24", "22/tcp,53/udp");
	assert_true(takes(&e, "192.0.2.10", IPPROTO_TCP, 22));
	assert_true(takes(&e, "192.0.2.255", IPPROTO_UDP, 53));
	assert_false(takes(&e, "192.0.2.10", IPPROTO_UDP, 22));
	assert_false(takes(&e, "192.0.2.10", IPPROTO_TCP, 53));
	assert_false(takes(&e, "192.0.2.10", IPPROTO_TCP, 2222));
	assert_false(takes(&e, "198.51.100.20", IPPROTO_TCP, 22));
	assert_false(takes(&e, "2001:db8::10", IPPROTO_TCP, 22));
}

static void test_ipv6_host_window(void **state)
{
	struct jit_fw_entry e;

	(void)state;
	window(&e, "2001:db8:a::10/128", "22/tcp");
	assert_true(takes(&e, "2001:db8:a::10", IPPROTO_TCP, 22));
	assert_false(takes(&e, "2001:db8:a::11", IPPROTO_TCP, 22));
	assert_false(takes(&e, "192.0.2.10", IPPROTO_TCP, 22));
}

/* A flow another open window admits too may be that grant's session: the
 * cut spares it, and takes the rest of the window's. */
static void test_cut_spares_open_windows(void **state)
{
	struct jit_fw_entry closed, open[2];
	struct jit_cut c = { .window = &closed, .open = open, .n_open = 2 };
	struct jit_flow f = { .l4proto = IPPROTO_TCP, .dport = 22 };

	(void)state;
	window(&closed, "192.0.2.0/24", "22/tcp,3389/tcp");
	window(&open[0], "192.0.2.10/32", "22/tcp");
	window(&open[1], "198.51.100.0/24", "3389/tcp");
	assert_int_equal(jit_addr_parse("192.0.2.10", &f.src), 0);
	assert_false(jit_cut_takes(&c, &f));
	f.dport = 3389;
	assert_true(jit_cut_takes(&c, &f));
	assert_int_equal(jit_addr_parse("192.0.2.11", &f.src), 0);
	f.dport = 22;
	assert_true(jit_cut_takes(&c, &f));
	c.n_open = 0;
	assert_int_equal(jit_addr_parse("192.0.2.10", &f.src), 0);
	assert_true(jit_cut_takes(&c, &f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_window),
		cmocka_unit_test(test_ipv6_host_window),
		cmocka_unit_test(test_cut_spares_open_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
