/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fwplan.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_MS ((int64_t)1767225600000)
#define T(s) ((time_t)(NOW_MS / 1000 + (s)))	/* an expiry s seconds from now */

static struct jit_fw_entry entry(int64_t id, const char *cidr, const char *ports, time_t expires)
{
	struct jit_fw_entry e;

	memset(&e, 0, sizeof(e));
	e.grant_id = id;
	assert_int_equal(jit_cidr_parse(cidr, &e.source), 0);
	assert_int_equal(jit_portspec_list_parse(ports, e.ports, JIT_FW_ENTRY_PORTS_MAX, &e.n_ports), 0);
	e.expires = expires;
	return e;
}

/* "192.0.2.0-192.0.2.9@600" for each segment of the key, space-separated. */
static void key_text(const struct jit_fw_plan *plan, int family, uint16_t port, char *buf,
		     size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < plan->n_keys; i++) {
		const struct jit_fw_key *k = &plan->keys[i];
		struct jit_fw_seg_iter it = { 0, 0 };
		const struct jit_fw_seg *s;

		if (k->family != family || k->port != port)
			continue;
		while ((s = jit_fw_key_next(k, &it)) != NULL) {
			char seg[100];

			jit_fw_seg_format(family, s, seg, sizeof(seg));
			(void)snprintf(buf + len, size - len, "%s%s@%lld", len ? " " : "", seg,
				       (long long)((s->expires_ms - NOW_MS) / 1000));
			len += strlen(buf + len);
		}
	}
}

static void changes_text(const struct jit_fw_changes *c, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		char seg[100];

		jit_fw_seg_format(c->items[i].family, &c->items[i].seg, seg, sizeof(seg));
		(void)snprintf(buf + len, size - len, "%s%s %s@%lld", len ? ", " : "",
			       c->items[i].kind == JIT_FW_ADD ? "add" : "del", seg,
			       (long long)((c->items[i].seg.expires_ms - NOW_MS) / 1000));
		len += strlen(buf + len);
	}
}

static void add(struct jit_fw_plan *plan, struct jit_fw_entry e, const char *want_changes)
{
	struct jit_fw_changes c = { 0 };
	char got[1024];

	assert_int_equal(jit_fw_plan_add(plan, &e, NOW_MS, &c), 0);
	changes_text(&c, got, sizeof(got));
	assert_string_equal(got, want_changes);
	jit_fw_changes_free(&c);
}

static void removed(struct jit_fw_plan *plan, int64_t id, const char *want_changes)
{
	struct jit_fw_changes c = { 0 };
	char got[1024];

	assert_int_equal(jit_fw_plan_remove(plan, id, NOW_MS, &c), 0);
	changes_text(&c, got, sizeof(got));
	assert_string_equal(got, want_changes);
	jit_fw_changes_free(&c);
}

static void expect_key(const struct jit_fw_plan *plan, int family, uint16_t port, const char *want)
{
	char got[1024];

	key_text(plan, family, port, got, sizeof(got));
	assert_string_equal(got, want);
}

static void test_one_grant_one_element_per_port(void **state)
{
	struct jit_fw_plan plan = { 0 };

	(void)state;
	add(&plan, entry(1, "192.0.2.10", "22/tcp,3389/tcp", T(600)),
	    "add 192.0.2.10@600, add 192.0.2.10@600");
	expect_key(&plan, AF_INET, 22, "192.0.2.10@600");
	expect_key(&plan, AF_INET, 3389, "192.0.2.10@600");
	jit_fw_plan_free(&plan);
}

static void test_same_address_keeps_the_latest_window(void **state)
{
	struct jit_fw_plan plan = { 0 };

	(void)state;
	add(&plan, entry(1, "192.0.2.10", "22/tcp", T(600)), "add 192.0.2.10@600");
	add(&plan, entry(2, "192.0.2.10", "22/tcp", T(900)), "del 192.0.2.10@600, add 192.0.2.10@900");
	add(&plan, entry(3, "192.0.2.10", "22/tcp", T(300)), "");
	removed(&plan, 2, "del 192.0.2.10@900, add 192.0.2.10@600");
	removed(&plan, 3, "");
	removed(&plan, 1, "del 192.0.2.10@600");
	expect_key(&plan, AF_INET, 22, "");
	jit_fw_plan_free(&plan);
}

static void test_host_inside_a_cidr_splits_it(void **state)
{
	struct jit_fw_plan plan = { 0 };

	(void)state;
	add(&plan, entry(1, "192.0.2.0/24", "22/tcp", T(600)), "add 192.0.2.0-192.0.2.255@600");
	add(&plan, entry(2, "192.0.2.10", "22/tcp", T(900)),
	    "del 192.0.2.0-192.0.2.255@600, add 192.0.2.0-192.0.2.9@600, add 192.0.2.10@900,"
	    " add 192.0.2.11-192.0.2.255@600");
	/* A host inside with a shorter window changes nothing. */
	add(&plan, entry(3, "192.0.2.20", "22/tcp", T(100)), "");
	/* Only the host's own element changes; its neighbours stay as they are. */
	removed(&plan, 2, "del 192.0.2.10@900, add 192.0.2.10@600");
	expect_key(&plan, AF_INET, 22,
		   "192.0.2.0-192.0.2.9@600 192.0.2.10@600 192.0.2.11-192.0.2.255@600");
	removed(&plan, 1, "del 192.0.2.0-192.0.2.9@600, del 192.0.2.10@600,"
			  " del 192.0.2.11-192.0.2.255@600, add 192.0.2.20@100");
	jit_fw_plan_free(&plan);
}

static void test_cidr_over_hosts(void **state)
{
	struct jit_fw_plan plan = { 0 };

	(void)state;
	add(&plan, entry(1, "192.0.2.10", "22/tcp", T(900)), "add 192.0.2.10@900");
	add(&plan, entry(2, "192.0.2.8/30", "22/tcp", T(600)),
	    "add 192.0.2.8-192.0.2.9@600, add 192.0.2.11@600");
	expect_key(&plan, AF_INET, 22, "192.0.2.8-192.0.2.9@600 192.0.2.10@900 192.0.2.11@600");
	jit_fw_plan_free(&plan);
}

static void test_families_and_ports_apart(void **state)
{
	struct jit_fw_plan plan = { 0 };

	(void)state;
	add(&plan, entry(1, "2001:db8::/64", "22/tcp", T(600)),
	    "add 2001:db8::-2001:db8::ffff:ffff:ffff:ffff@600");
	add(&plan, entry(2, "2001:db8::5", "22/tcp", T(700)),
	    "del 2001:db8::-2001:db8::ffff:ffff:ffff:ffff@600, add 2001:db8::-2001:db8::4@600,"
	    " add 2001:db8::5@700, add 2001:db8::6-2001:db8::ffff:ffff:ffff:ffff@600");
	add(&plan, entry(3, "192.0.2.5", "22/udp", T(600)), "add 192.0.2.5@600");
	add(&plan, entry(4, "0.0.0.0/0", "22/tcp", T(60)), "add 0.0.0.0-255.255.255.255@60");
	expect_key(&plan, AF_INET6, 22,
		   "2001:db8::-2001:db8::4@600 2001:db8::5@700 2001:db8::6-2001:db8::ffff:ffff:ffff:ffff@600");
	jit_fw_plan_free(&plan);
}

static void test_expired_segments_are_not_deleted(void **state)
{
	struct jit_fw_plan plan = { 0 };
	struct jit_fw_entry gone = entry(1, "192.0.2.10", "22/tcp", T(-5));
	struct jit_fw_changes c = { 0 };

	(void)state;
	/* Added when it was live, seen again after the kernel dropped it. */
	assert_int_equal(jit_fw_plan_add(&plan, &gone, NOW_MS - 10000, &c), 0);
	assert_int_equal(c.n, 1);
	jit_fw_changes_free(&c);
	add(&plan, entry(2, "192.0.2.10", "22/tcp", T(600)), "add 192.0.2.10@600");
	jit_fw_plan_prune(&plan, NOW_MS);
	assert_int_equal(plan.n_grants, 1);
	expect_key(&plan, AF_INET, 22, "192.0.2.10@600");
	jit_fw_plan_free(&plan);
}

static void test_remove_unknown(void **state)
{
	struct jit_fw_plan plan = { 0 };
	struct jit_fw_changes c = { 0 };

	(void)state;
	assert_int_equal(jit_fw_plan_remove(&plan, 42, NOW_MS, &c), 1);
	assert_int_equal(c.n, 0);
	jit_fw_plan_free(&plan);
}

/* --- random operations against a brute-force model and a strict kernel ------------- */

#define SPACE 64	/* 192.0.2.0/26 */

struct kernel {
	struct jit_fw_seg segs[4 * SPACE];
	size_t n;
};

static unsigned last_octet(const uint8_t *a)
{
	return a[3];
}

/* Refuses what nftables refuses: deleting a missing element, adding an overlapping one. */
static void kernel_apply(struct kernel *k, const struct jit_fw_changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct jit_fw_seg *s = &c->items[i].seg;
		size_t j;

		if (c->items[i].kind == JIT_FW_DEL) {
			for (j = 0; j < k->n; j++)
				if (memcmp(k->segs[j].lo, s->lo, 16) == 0 && memcmp(k->segs[j].hi, s->hi, 16) == 0)
					break;
			if (j == k->n)
				fail_msg("delete of a missing element %u-%u", last_octet(s->lo), last_octet(s->hi));
			k->segs[j] = k->segs[--k->n];
			continue;
		}
		for (j = 0; j < k->n; j++)
			if (!(last_octet(k->segs[j].hi) < last_octet(s->lo) ||
			      last_octet(k->segs[j].lo) > last_octet(s->hi)))
				fail_msg("overlapping add %u-%u", last_octet(s->lo), last_octet(s->hi));
		assert_true(k->n < sizeof(k->segs) / sizeof(k->segs[0]));
		k->segs[k->n++] = *s;
	}
}

static int64_t kernel_expiry(const struct kernel *k, unsigned host)
{
	for (size_t j = 0; j < k->n; j++)
		if (last_octet(k->segs[j].lo) <= host && host <= last_octet(k->segs[j].hi))
			return k->segs[j].expires_ms;
	return 0;
}

/* Grants added and removed at random: the block of each new grant, of a
 * prefix drawn from eight, lies within the first `space` addresses of
 * `net`. */
struct random_grants {
	const unsigned *prefixes;	/* eight of them */
	const char *net;		/* the text before an address's last bits */
	bool hex;			/* those bits in hexadecimal (IPv6) */
	unsigned addr_bits, space, add_odds, max_secs;
	size_t max_live, n_live;
	struct jit_fw_entry *live;
	int64_t next_id;
};

static void random_grant_step(struct jit_fw_plan *plan, struct random_grants *r,
			      struct jit_fw_changes *c)
{
	if (r->n_live == 0 || (r->n_live < r->max_live && rand() % (int)r->add_odds != 0)) {
		unsigned prefix = r->prefixes[rand() % 8], size = 1u << (r->addr_bits - prefix);
		unsigned low = (unsigned)rand() % r->space / size * size;
		char cidr[64];

		if (r->hex)
			(void)snprintf(cidr, sizeof(cidr), "%s%x/%u", r->net, low, prefix);
		else
			(void)snprintf(cidr, sizeof(cidr), "%s%u/%u", r->net, low, prefix);
		r->live[r->n_live] = entry(r->next_id++, cidr, "22/tcp",
					   T(1 + rand() % (int)r->max_secs));
		assert_int_equal(jit_fw_plan_add(plan, &r->live[r->n_live], NOW_MS, c), 0);
		r->n_live++;
	} else {
		size_t victim = (size_t)rand() % r->n_live;

		assert_int_equal(jit_fw_plan_remove(plan, r->live[victim].grant_id, NOW_MS, c), 0);
		r->live[victim] = r->live[--r->n_live];
	}
}

static void test_random_against_model(void **state)
{
	static const unsigned prefixes[] = { 32, 32, 32, 30, 29, 28, 27, 26 };
	struct jit_fw_entry live[200];
	struct random_grants r = { .prefixes = prefixes, .net = "192.0.2.",
				   .addr_bits = 32, .space = SPACE, .add_odds = 3,
				   .max_secs = 50, .max_live = 200, .live = live, .next_id = 1 };
	struct jit_fw_plan plan = { 0 };
	struct kernel kern = { .n = 0 };

	(void)state;
	srand(4711);
	for (int step = 0; step < 3000; step++) {
		struct jit_fw_changes c = { 0 };

		random_grant_step(&plan, &r, &c);
		kernel_apply(&kern, &c);
		jit_fw_changes_free(&c);
		for (unsigned host = 0; host < SPACE; host++) {
			int64_t want = 0;

			for (size_t i = 0; i < r.n_live; i++) {
				uint8_t lo[4], hi[4];
				unsigned size = 1u << (32 - r.live[i].source.prefix);

				memcpy(lo, r.live[i].source.addr.bytes, 4);
				memcpy(hi, lo, 4);
				hi[3] = (uint8_t)(hi[3] + size - 1);
				if (lo[3] <= host && host <= hi[3] && r.live[i].expires * 1000 > want)
					want = r.live[i].expires * 1000;
			}
			if (kernel_expiry(&kern, host) != want)
				fail_msg("step %d: 192.0.2.%u admitted until %lld, should be %lld", step,
					 host, (long long)kernel_expiry(&kern, host), (long long)want);
		}
	}
	jit_fw_plan_free(&plan);
}

/* --- many segments: the chunks of a key ------------------------------------------------ */

#define BIG_SPACE 4096	/* 2001:db8::/116 */

static unsigned low12(const uint8_t *a)
{
	return (unsigned)(a[14] & 0x0f) << 8 | a[15];
}

/* What the kernel holds, by address: the low end of the element covering
 * it (or -1), and each element's expiry at its low end. Refuses what
 * nftables refuses. */
struct big_kernel {
	int covered[BIG_SPACE];
	int64_t expires[BIG_SPACE];
};

static void big_kernel_apply(struct big_kernel *k, const struct jit_fw_changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		unsigned lo = low12(c->items[i].seg.lo), hi = low12(c->items[i].seg.hi);
		bool del = c->items[i].kind == JIT_FW_DEL;

		for (unsigned h = lo; h <= hi; h++) {
			if (del ? k->covered[h] != (int)lo : k->covered[h] != -1)
				fail_msg("%s of %x-%x refused at %x", del ? "delete" : "add", lo, hi, h);
			k->covered[h] = del ? -1 : (int)lo;
		}
		k->expires[lo] = del ? 0 : c->items[i].seg.expires_ms;
	}
}

/* Sorted, disjoint, in chunks of 1 to JIT_FW_CHUNK_MAX that add up. */
static size_t check_chunks(const struct jit_fw_key *k)
{
	size_t n = 0;
	const uint8_t *prev_hi = NULL;

	for (size_t c = 0; c < k->n_chunks; c++) {
		assert_true(k->chunks[c].n >= 1 && k->chunks[c].n <= JIT_FW_CHUNK_MAX);
		assert_true(k->chunks[c].n <= k->chunks[c].cap);
		for (size_t j = 0; j < k->chunks[c].n; j++) {
			const struct jit_fw_seg *s = &k->chunks[c].segs[j];

			assert_true(memcmp(s->lo, s->hi, 16) <= 0);
			assert_true(prev_hi == NULL || memcmp(prev_hi, s->lo, 16) < 0);
			prev_hi = s->hi;
			n++;
		}
	}
	assert_int_equal(n, k->n);
	return k->n_chunks;
}

/* The plan's segments, the kernel its changes made, and the latest window
 * of the live grants over each address agree. */
static void check_big(const struct jit_fw_plan *plan, const struct big_kernel *kern,
		      const struct jit_fw_entry *live, size_t n_live)
{
	static int64_t want[BIG_SPACE], planned[BIG_SPACE];

	memset(want, 0, sizeof(want));
	memset(planned, 0, sizeof(planned));
	for (size_t i = 0; i < n_live; i++) {
		unsigned lo = low12(live[i].source.addr.bytes),
			 size = 1u << (128 - live[i].source.prefix);

		for (unsigned h = lo; h < lo + size; h++)
			if (live[i].expires * 1000 > want[h])
				want[h] = live[i].expires * 1000;
	}
	for (size_t i = 0; i < plan->n_keys; i++) {
		struct jit_fw_seg_iter it = { 0, 0 };
		const struct jit_fw_seg *s;

		while ((s = jit_fw_key_next(&plan->keys[i], &it)) != NULL)
			for (unsigned h = low12(s->lo); h <= low12(s->hi); h++)
				planned[h] = s->expires_ms;
	}
	for (unsigned h = 0; h < BIG_SPACE; h++) {
		int64_t in_kernel = kern->covered[h] < 0 ? 0 : kern->expires[kern->covered[h]];

		if (planned[h] != want[h] || in_kernel != want[h])
			fail_msg("2001:db8::%x: planned until %lld, in the kernel %lld, should be %lld",
				 h, (long long)planned[h], (long long)in_kernel, (long long)want[h]);
	}
}

/* Thousands of grants, added and removed at random over 4,096 addresses:
 * the key's segments split into many chunks, and every change still
 * matches what the grants say. */
static void test_many_segments_in_chunks(void **state)
{
	static const unsigned prefixes[] = { 128, 128, 128, 128, 128, 128, 126, 124 };
	static struct jit_fw_entry live[3000];
	static struct big_kernel kern;
	struct random_grants r = { .prefixes = prefixes, .net = "2001:db8::", .hex = true,
				   .addr_bits = 128, .space = BIG_SPACE, .add_odds = 4,
				   .max_secs = 5000, .max_live = 3000, .live = live, .next_id = 1 };
	struct jit_fw_plan plan = { 0 }, reset = { 0 };
	size_t most_chunks = 0;

	(void)state;
	srand(1234);
	for (unsigned h = 0; h < BIG_SPACE; h++)
		kern.covered[h] = -1;
	for (int step = 0; step < 8000; step++) {
		struct jit_fw_changes c = { 0 };

		random_grant_step(&plan, &r, &c);
		big_kernel_apply(&kern, &c);
		jit_fw_changes_free(&c);
		assert_int_equal(plan.n_keys, 1);
		if (check_chunks(&plan.keys[0]) > most_chunks)
			most_chunks = plan.keys[0].n_chunks;
		if (step % 500 == 499)
			check_big(&plan, &kern, live, r.n_live);
	}
	check_big(&plan, &kern, live, r.n_live);
	assert_true(most_chunks >= 8);
	/* A full rebuild (which joins neighbours of one window that the
	 * additions left apart) covers the same, in chunks as well. */
	assert_int_equal(jit_fw_plan_reset(&reset, live, r.n_live, NOW_MS), 0);
	assert_int_equal(reset.n_keys, 1);
	assert_true(check_chunks(&reset.keys[0]) >= 4);
	check_big(&reset, &kern, live, r.n_live);
	jit_fw_plan_free(&reset);
	jit_fw_plan_free(&plan);
}

/* A grant of more ports than a record holds takes several records, counts
 * as one grant, and goes whole: each of its ports, and no other grant's. */
static void test_grant_of_many_ports(void **state)
{
	static const uint16_t ports[] = { 22, 80, 443, 3389, 5985, 5986, 8443 };
	struct jit_fw_plan plan = { 0 }, reset = { 0 };
	struct jit_fw_entry many = entry(1, "192.0.2.0/24",
					 "22/tcp,80/tcp,443/tcp,3389/tcp,5985/tcp,5986/tcp,8443/tcp",
					 T(600));
	struct jit_fw_entry other = entry(2, "192.0.2.10", "8443/tcp", T(900));
	struct jit_fw_changes c = { 0 };

	(void)state;
	/* One element a port. */
	add(&plan, many, "add 192.0.2.0-192.0.2.255@600, add 192.0.2.0-192.0.2.255@600,"
			 " add 192.0.2.0-192.0.2.255@600, add 192.0.2.0-192.0.2.255@600,"
			 " add 192.0.2.0-192.0.2.255@600, add 192.0.2.0-192.0.2.255@600,"
			 " add 192.0.2.0-192.0.2.255@600");
	add(&plan, other, "del 192.0.2.0-192.0.2.255@600, add 192.0.2.0-192.0.2.9@600,"
			  " add 192.0.2.10@900, add 192.0.2.11-192.0.2.255@600");
	assert_int_equal(plan.n_grants, 2);
	assert_int_equal(plan.n_recs, 4);
	for (size_t i = 0; i + 1 < sizeof(ports) / sizeof(ports[0]); i++)
		expect_key(&plan, AF_INET, ports[i], "192.0.2.0-192.0.2.255@600");
	assert_int_equal(jit_fw_plan_reset(&reset, (struct jit_fw_entry[]){ many, other }, 2, NOW_MS),
			 0);
	assert_int_equal(reset.n_grants, 2);
	expect_key(&reset, AF_INET, 8443,
		   "192.0.2.0-192.0.2.9@600 192.0.2.10@900 192.0.2.11-192.0.2.255@600");
	assert_int_equal(jit_fw_plan_remove(&plan, 1, NOW_MS, &c), 0);
	assert_int_equal(plan.n_grants, 1);
	assert_int_equal(plan.n_recs, 1);
	for (size_t i = 0; i + 1 < sizeof(ports) / sizeof(ports[0]); i++)
		expect_key(&plan, AF_INET, ports[i], "");
	expect_key(&plan, AF_INET, 8443, "192.0.2.10@900");
	jit_fw_changes_free(&c);
	jit_fw_plan_free(&plan);
	jit_fw_plan_free(&reset);
}

/* A reset from the same grants gives the segments incremental adds gave. */
static void test_reset_matches_incremental(void **state)
{
	struct jit_fw_entry es[] = {
		entry(1, "192.0.2.0/24", "22/tcp", T(600)), entry(2, "192.0.2.10", "22/tcp", T(900)),
		entry(3, "192.0.2.128/25", "22/tcp,3389/tcp", T(700)),
		entry(4, "2001:db8::/64", "22/tcp", T(100)), entry(5, "192.0.2.7", "22/tcp", T(-1)),
	};
	struct jit_fw_plan inc = { 0 }, reset = { 0 };
	char a[1024], b[1024];

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		struct jit_fw_changes c = { 0 };

		assert_int_equal(jit_fw_plan_add(&inc, &es[i], NOW_MS, &c), 0);
		jit_fw_changes_free(&c);
	}
	assert_int_equal(jit_fw_plan_reset(&reset, es, 5, NOW_MS), 0);
	assert_int_equal(reset.n_grants, 4);	/* the expired one is left out */
	for (uint16_t port = 22; port != 0; port = port == 22 ? 3389 : 0) {
		key_text(&inc, AF_INET, port, a, sizeof(a));
		key_text(&reset, AF_INET, port, b, sizeof(b));
		assert_string_equal(a, b);
	}
	key_text(&reset, AF_INET, 22, b, sizeof(b));
	assert_string_equal(b, "192.0.2.0-192.0.2.9@600 192.0.2.10@900 192.0.2.11-192.0.2.127@600"
			       " 192.0.2.128-192.0.2.255@700");
	jit_fw_plan_free(&inc);
	jit_fw_plan_free(&reset);
}

#define CIDR_TEXT_MAX 2048

static int append_cidr(const struct jit_cidr *c, void *ctx)
{
	char *buf = ctx, text[JIT_CIDR_STRLEN];
	size_t len = strlen(buf);

	jit_cidr_format(c, text, sizeof(text));
	(void)snprintf(buf + len, CIDR_TEXT_MAX - len, "%s%s", len ? " " : "", text);
	return 0;
}

static void expect_cidrs(int family, const char *lo, const char *hi, const char *want)
{
	struct jit_fw_seg seg = { .expires_ms = 0 };
	char got[CIDR_TEXT_MAX] = "";

	memset(seg.lo, 0, 16);
	memset(seg.hi, 0, 16);
	assert_int_equal(inet_pton(family, lo, seg.lo), 1);
	assert_int_equal(inet_pton(family, hi, seg.hi), 1);
	assert_int_equal(jit_fw_seg_cidrs(family, &seg, append_cidr, got), 0);
	assert_string_equal(got, want);
}

static void test_segments_as_cidrs(void **state)
{
	(void)state;
	expect_cidrs(AF_INET, "192.0.2.10", "192.0.2.10", "192.0.2.10/32");
	expect_cidrs(AF_INET, "192.0.2.0", "192.0.2.255", "192.0.2.0/24");
	expect_cidrs(AF_INET, "192.0.2.0", "192.0.2.9", "192.0.2.0/29 192.0.2.8/31");
	expect_cidrs(AF_INET, "192.0.2.11", "192.0.2.255",
		     "192.0.2.11/32 192.0.2.12/30 192.0.2.16/28 192.0.2.32/27 192.0.2.64/26"
		     " 192.0.2.128/25");
	expect_cidrs(AF_INET, "0.0.0.0", "255.255.255.255", "0.0.0.0/0");
	expect_cidrs(AF_INET, "255.255.255.254", "255.255.255.255", "255.255.255.254/31");
	expect_cidrs(AF_INET6, "2001:db8::", "2001:db8::4", "2001:db8::/126 2001:db8::4/128");
	expect_cidrs(AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_grant_one_element_per_port),
		cmocka_unit_test(test_same_address_keeps_the_latest_window),
		cmocka_unit_test(test_host_inside_a_cidr_splits_it),
		cmocka_unit_test(test_cidr_over_hosts),
		cmocka_unit_test(test_families_and_ports_apart),
		cmocka_unit_test(test_expired_segments_are_not_deleted),
		cmocka_unit_test(test_remove_unknown),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_many_segments_in_chunks),
		cmocka_unit_test(test_reset_matches_incremental),
		cmocka_unit_test(test_grant_of_many_ports),
		cmocka_unit_test(test_segments_as_cidrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
