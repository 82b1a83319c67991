/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "netaddr.h"

#include "strlist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32u : 128u;
}

static bool is_v4mapped(const uint8_t bytes[16])
{
	return memcmp(bytes, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0;
}

int jit_addr_parse(const char *s, struct jit_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		if (is_v4mapped(out->bytes)) {
			memmove(out->bytes, out->bytes + 12, 4);
			memset(out->bytes + 4, 0, 12);
			out->family = AF_INET;
		}
		return 0;
	}
	return -1;
}

/* Decimal without sign, spaces or leading zeros; at most `max`. */
static int parse_small_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10u + (unsigned)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

static bool host_bits_zero(const struct jit_addr *addr, unsigned prefix)
{
	unsigned nbytes = family_bits(addr->family) / 8u;

	for (unsigned i = 0; i < nbytes; i++) {
		unsigned first_bit = i * 8u;
		uint8_t mask;

		if (first_bit + 8u <= prefix)
			continue;
		mask = (uint8_t)(first_bit >= prefix ? 0xffu : 0xffu >> (prefix - first_bit));
		if (addr->bytes[i] & mask)
			return false;
	}
	return true;
}

int jit_cidr_parse(const char *s, struct jit_cidr *out)
{
	char addr_part[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t addr_len = slash ? (size_t)(slash - s) : strlen(s);
	struct jit_addr raw;
	unsigned prefix;
	unsigned bits;

	if (addr_len == 0 || addr_len >= sizeof(addr_part))
		return -1;
	memcpy(addr_part, s, addr_len);
	addr_part[addr_len] = '\0';
	/* Parse without the v4-mapped folding first: the prefix length decides. */
	memset(&raw, 0, sizeof(raw));
	if (inet_pton(AF_INET, addr_part, raw.bytes) == 1)
		raw.family = AF_INET;
	else if (inet_pton(AF_INET6, addr_part, raw.bytes) == 1)
		raw.family = AF_INET6;
	else
		return -1;
	bits = family_bits(raw.family);
	if (slash == NULL)
		prefix = bits;
	else if (parse_small_uint(slash + 1, bits, &prefix) != 0)
		return -1;
	if (raw.family == AF_INET6 && prefix >= 96 && is_v4mapped(raw.bytes)) {
		memmove(raw.bytes, raw.bytes + 12, 4);
		memset(raw.bytes + 4, 0, 12);
		raw.family = AF_INET;
		prefix -= 96;
	}
	if (!host_bits_zero(&raw, prefix))
		return -1;
	out->addr = raw;
	out->prefix = prefix;
	return 0;
}

void jit_cidr_host(const struct jit_addr *addr, struct jit_cidr *out)
{
	out->addr = *addr;
	out->prefix = family_bits(addr->family);
}

static bool prefix_matches(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned full = prefix / 8u;
	unsigned rest = prefix % 8u;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xffu << (8u - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool jit_cidr_contains(const struct jit_cidr *cidr, const struct jit_addr *addr)
{
	if (cidr->addr.family != addr->family)
		return false;
	return prefix_matches(cidr->addr.bytes, addr->bytes, cidr->prefix);
}

bool jit_cidr_within(const struct jit_cidr *inner, const struct jit_cidr *outer)
{
	return inner->prefix >= outer->prefix && jit_cidr_contains(outer, &inner->addr);
}

bool jit_cidr_overlap(const struct jit_cidr *a, const struct jit_cidr *b)
{
	return jit_cidr_within(a, b) || jit_cidr_within(b, a);
}

void jit_addr_format(const struct jit_addr *addr, char *buf, size_t size)
{
	if (inet_ntop(addr->family, addr->bytes, buf, (socklen_t)size) == NULL && size > 0)
		buf[0] = '\0';
}

void jit_cidr_format(const struct jit_cidr *cidr, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	jit_addr_format(&cidr->addr, a, sizeof(a));
	(void)snprintf(buf, size, "%s/%u", a, cidr->prefix);
}

int jit_portspec_parse(const char *s, struct jit_portspec *out)
{
	char num[6];
	const char *slash = strchr(s, '/');
	size_t len;
	unsigned port;

	if (slash == NULL)
		return -1;
	len = (size_t)(slash - s);
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_small_uint(num, 65535u, &port) != 0 || port == 0)
		return -1;
	if (strcmp(slash + 1, "tcp") == 0)
		out->proto = JIT_PROTO_TCP;
	else if (strcmp(slash + 1, "udp") == 0)
		out->proto = JIT_PROTO_UDP;
	else
		return -1;
	out->port = (uint16_t)port;
	return 0;
}

void jit_portspec_format(const struct jit_portspec *spec, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%u/%s", (unsigned)spec->port,
		       spec->proto == JIT_PROTO_TCP ? "tcp" : "udp");
}

bool jit_portspec_equal(const struct jit_portspec *a, const struct jit_portspec *b)
{
	return a->port == b->port && a->proto == b->proto;
}

bool jit_portspec_in(const struct jit_portspec *list, size_t n, const struct jit_portspec *p)
{
	for (size_t i = 0; i < n; i++)
		if (jit_portspec_equal(&list[i], p))
			return true;
	return false;
}

struct list_target {
	void *out;
	size_t max;
	size_t count;
};

static int cidr_item(const char *item, size_t i, void *ctx)
{
	struct list_target *t = ctx;

	if (i >= t->max || jit_cidr_parse(item, (struct jit_cidr *)t->out + i) != 0)
		return -1;
	t->count = i + 1;
	return 0;
}

static int portspec_item(const char *item, size_t i, void *ctx)
{
	struct list_target *t = ctx;

	if (i >= t->max || jit_portspec_parse(item, (struct jit_portspec *)t->out + i) != 0)
		return -1;
	t->count = i + 1;
	return 0;
}

int jit_cidr_list_parse(const char *list, struct jit_cidr *out, size_t max, size_t *count)
{
	struct list_target t = { out, max, 0 };

	if (jit_list_each(list, cidr_item, &t) != 0)
		return -1;
	*count = t.count;
	return 0;
}

int jit_portspec_list_parse(const char *list, struct jit_portspec *out, size_t max,
			    size_t *count)
{
	struct list_target t = { out, max, 0 };

	if (jit_list_each(list, portspec_item, &t) != 0)
		return -1;
	*count = t.count;
	return 0;
}

static int parse_port(const char *s, unsigned *port)
{
	char *tail;
	unsigned long n;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoul(s, &tail, 10);
	if (*tail != '\0' || errno != 0 || n == 0 || n > 65535)
		return -1;
	*port = (unsigned)n;
	return 0;
}

int jit_userhost_split(const char *text, char *user, size_t user_size, char *host,
		       size_t host_size, unsigned *port)
{
	const char *at = strchr(text, '@');
	bool bracketed;

	if (at == NULL || at == text || (size_t)(at - text) >= user_size)
		return -1;
	memcpy(user, text, (size_t)(at - text));
	user[at - text] = '\0';
	*port = 22;
	return jit_hostport_split(at + 1, true, host, host_size, port, &bracketed);
}

int jit_hostport_split(const char *text, bool port_optional, char *host, size_t size,
		       unsigned *port, bool *bracketed)
{
	const char *start = text, *end, *colon;

	*bracketed = text[0] == '[';
	if (*bracketed) {
		start = text + 1;
		end = strchr(start, ']');
		if (end == NULL || (end[1] != ':' && !(end[1] == '\0' && port_optional)))
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strchr(text, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return -1;	/* a bare IPv6 address needs brackets */
		if (colon == NULL && !port_optional)
			return -1;
		end = colon ? colon : text + strlen(text);
	}
	if (end == start || (size_t)(end - start) >= size)
		return -1;
	if (colon != NULL && parse_port(colon + 1, port) != 0)
		return -1;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	return 0;
}
