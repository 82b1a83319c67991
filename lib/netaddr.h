/* SPDX-License-Identifier: ISC */
/* IPv4/IPv6 addresses, CIDR prefixes and port specifications. */
#ifndef JIT_NETADDR_H
#define JIT_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128". */
#define JIT_CIDR_STRLEN 50
/* Room for "65535/tcp". */
#define JIT_PORTSPEC_STRLEN 10

struct jit_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* IPv4 uses the first 4 */
};

struct jit_cidr {
	struct jit_addr addr;	/* host bits are always zero */
	unsigned prefix;	/* 0..32 or 0..128 */
};

enum jit_proto { JIT_PROTO_TCP = 6, JIT_PROTO_UDP = 17 };

struct jit_portspec {
	uint16_t port;		/* 1..65535 */
	enum jit_proto proto;
};

/* Numeric address only. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is
 * normalised to plain IPv4, as sshd may report PAM_RHOST that way. */
int jit_addr_parse(const char *s, struct jit_addr *out);

/* "ADDR/PREFIX", or a bare address meaning /32 or /128. Host bits set
 * beyond the prefix are refused rather than silently masked. A v4-mapped
 * prefix (::ffff:192.0.2.0/120) becomes the IPv4 one (192.0.2.0/24). */
int jit_cidr_parse(const char *s, struct jit_cidr *out);

/* The prefix holding addr alone: its /32 or /128. */
void jit_cidr_host(const struct jit_addr *addr, struct jit_cidr *out);

/* True when addr lies inside cidr. An IPv4 address is never inside an IPv6
 * prefix (not even ::/0) and the other way round. */
bool jit_cidr_contains(const struct jit_cidr *cidr, const struct jit_addr *addr);

/* True when inner is a subset of outer. */
bool jit_cidr_within(const struct jit_cidr *inner, const struct jit_cidr *outer);
/* Some address is in both: one prefix holds the other. */
bool jit_cidr_overlap(const struct jit_cidr *a, const struct jit_cidr *b);

/* Write the text form; buf must hold JIT_CIDR_STRLEN bytes. */
void jit_addr_format(const struct jit_addr *addr, char *buf, size_t size);
void jit_cidr_format(const struct jit_cidr *cidr, char *buf, size_t size);

/* "22/tcp", "53/udp": decimal port 1..65535 without leading zeros, and a
 * lower-case protocol. */
int jit_portspec_parse(const char *s, struct jit_portspec *out);
void jit_portspec_format(const struct jit_portspec *spec, char *buf, size_t size);
bool jit_portspec_equal(const struct jit_portspec *a, const struct jit_portspec *b);

/* Whether p is one of the n ports of list. */
bool jit_portspec_in(const struct jit_portspec *list, size_t n, const struct jit_portspec *p);

/* Comma-separated lists ("192.0.2.0/24, 2001:db8::/32"; "22/tcp,3389/tcp"),
 * blanks around items allowed, 1 to max items, no empty item. */
int jit_cidr_list_parse(const char *list, struct jit_cidr *out, size_t max, size_t *count);
int jit_portspec_list_parse(const char *list, struct jit_portspec *out, size_t max,
			    size_t *count);

/* "HOST:PORT" or "[IPV6]:PORT" (with port_optional, also "HOST" and
 * "[IPV6]", *port then left as it is): the host into host (without
 * brackets), the port 1..65535. *bracketed says whether brackets were
 * used. -1 when malformed or the host does not fit. */
/* "USER@HOST[:PORT]" (HOST as jit_hostport_split() takes it, the port 22
 * unless given): the user (not empty) and the host into their buffers. -1
 * when malformed or a part does not fit. */
int jit_userhost_split(const char *text, char *user, size_t user_size, char *host,
		       size_t host_size, unsigned *port);

int jit_hostport_split(const char *text, bool port_optional, char *host, size_t size,
		       unsigned *port, bool *bracketed);

#endif
