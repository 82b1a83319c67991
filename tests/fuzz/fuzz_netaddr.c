/* SPDX-License-Identifier: ISC */
/* Fuzzes address, CIDR and port parsing. Whatever parses must format to
 * text that parses back to the same value: the broker stores the formatted
 * form and the firewall backends are handed it. */
#include "config.h"

#include "netaddr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIST_MAX 16

static char *as_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void cidr_round_trip(const struct jit_cidr *c)
{
	char text[JIT_CIDR_STRLEN];
	struct jit_cidr back;

	jit_cidr_format(c, text, sizeof(text));
	if (jit_cidr_parse(text, &back) != 0 || back.prefix != c->prefix ||
	    back.addr.family != c->addr.family ||
	    memcmp(back.addr.bytes, c->addr.bytes, sizeof(back.addr.bytes)) != 0 ||
	    !jit_cidr_within(&back, c) || !jit_cidr_contains(c, &c->addr))
		abort();
}

static void addr_round_trip(const struct jit_addr *a)
{
	char text[JIT_CIDR_STRLEN];
	struct jit_addr back;

	jit_addr_format(a, text, sizeof(text));
	if (jit_addr_parse(text, &back) != 0 || back.family != a->family ||
	    memcmp(back.bytes, a->bytes, sizeof(back.bytes)) != 0)
		abort();
}

static void portspec_round_trip(const struct jit_portspec *p)
{
	char text[JIT_PORTSPEC_STRLEN];
	struct jit_portspec back;

	jit_portspec_format(p, text, sizeof(text));
	if (jit_portspec_parse(text, &back) != 0 || !jit_portspec_equal(&back, p) || p->port == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = as_string(data, size);
	struct jit_addr addr;
	struct jit_cidr cidr, cidrs[LIST_MAX];
	struct jit_portspec port, ports[LIST_MAX];
	size_t n = 0;

	if (jit_addr_parse(s, &addr) == 0)
		addr_round_trip(&addr);
	if (jit_cidr_parse(s, &cidr) == 0)
		cidr_round_trip(&cidr);
	if (jit_portspec_parse(s, &port) == 0)
		portspec_round_trip(&port);
	if (jit_cidr_list_parse(s, cidrs, LIST_MAX, &n) == 0) {
		if (n == 0 || n > LIST_MAX)
			abort();
		for (size_t i = 0; i < n; i++)
			cidr_round_trip(&cidrs[i]);
	}
	if (jit_portspec_list_parse(s, ports, LIST_MAX, &n) == 0) {
		if (n == 0 || n > LIST_MAX)
			abort();
		for (size_t i = 0; i < n; i++)
			portspec_round_trip(&ports[i]);
	}
	free(s);
	return 0;
}
