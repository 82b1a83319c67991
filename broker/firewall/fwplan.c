/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "fwplan.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- addresses as big-endian byte strings ---------------------------------------- */

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int addr_cmp(const uint8_t *a, const uint8_t *b, size_t len)
{
	return memcmp(a, b, len);
}

/* a + 1; false when it wraps past the last address. */
static bool addr_inc(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++a[i] != 0)
			return true;
	return false;
}

static void addr_dec(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (a[i]-- != 0)
			return;
}

static void cidr_range(const struct jit_cidr *c, uint8_t lo[16], uint8_t hi[16])
{
	size_t len = addr_len(c->addr.family);

	memset(lo, 0, 16);
	memset(hi, 0, 16);
	memcpy(lo, c->addr.bytes, len);
	memcpy(hi, c->addr.bytes, len);
	for (size_t bit = c->prefix; bit < len * 8; bit++)
		hi[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

/* a with its lowest n bits set. */
static void set_low_bits(uint8_t *a, size_t len, unsigned n)
{
	for (size_t i = len; n > 0 && i-- > 0;) {
		unsigned take = n < 8 ? n : 8;

		a[i] |= (uint8_t)((1u << take) - 1);
		n -= take;
	}
}

/* How many low bits of a are zero (len * 8 for zero). */
static unsigned trailing_zero_bits(const uint8_t *a, size_t len)
{
	unsigned n = 0;

	for (size_t i = len; i-- > 0; n += 8)
		if (a[i] != 0)
			return n + (unsigned)__builtin_ctz(a[i]);
	return n;
}

int jit_fw_seg_cidrs(int family, const struct jit_fw_seg *seg,
		     int (*fn)(const struct jit_cidr *cidr, void *ctx), void *ctx)
{
	size_t len = addr_len(family);
	unsigned bits = (unsigned)len * 8;
	uint8_t lo[16];

	memcpy(lo, seg->lo, 16);
	for (;;) {
		unsigned host_bits = trailing_zero_bits(lo, len);
		struct jit_cidr c = { .addr = { .family = family } };
		uint8_t end[16];
		int rc;

		if (host_bits > bits)
			host_bits = bits;
		/* The largest block aligned at lo that ends within the segment. */
		for (;; host_bits--) {
			memcpy(end, lo, 16);
			set_low_bits(end, len, host_bits);
			if (addr_cmp(end, seg->hi, len) <= 0)
				break;
		}
		memcpy(c.addr.bytes, lo, 16);
		c.prefix = bits - host_bits;
		rc = fn(&c, ctx);
		if (rc != 0 || addr_cmp(end, seg->hi, len) == 0)
			return rc;
		memcpy(lo, end, 16);
		if (!addr_inc(lo, len))
			return 0;
	}
}

void jit_fw_seg_format(int family, const struct jit_fw_seg *seg, char *buf, size_t size)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	size_t len = addr_len(family);

	(void)inet_ntop(family, seg->lo, lo, sizeof(lo));
	if (addr_cmp(seg->lo, seg->hi, len) == 0) {
		(void)snprintf(buf, size, "%s", lo);
		return;
	}
	(void)inet_ntop(family, seg->hi, hi, sizeof(hi));
	(void)snprintf(buf, size, "%s-%s", lo, hi);
}

/* --- growable arrays ----------------------------------------------------------------- */

static int grow(void **items, size_t *cap, size_t need, size_t item_size)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*items, n * item_size);
	if (p == NULL)
		return -1;
	*items = p;
	*cap = n;
	return 0;
}

static int change_push(struct jit_fw_changes *out, enum jit_fw_change_kind kind,
		       const struct jit_fw_key *k, const struct jit_fw_seg *seg)
{
	if (grow((void **)&out->items, &out->cap, out->n + 1, sizeof(*out->items)) != 0)
		return -1;
	out->items[out->n++] = (struct jit_fw_change){ kind, k->family, k->proto, k->port, *seg };
	return 0;
}

void jit_fw_changes_free(struct jit_fw_changes *c)
{
	free(c->items);
	memset(c, 0, sizeof(*c));
}

void jit_fw_plan_free(struct jit_fw_plan *plan)
{
	for (size_t i = 0; i < plan->n_keys; i++) {
		for (size_t c = 0; c < plan->keys[i].n_chunks; c++)
			free(plan->keys[i].chunks[c].segs);
		free(plan->keys[i].chunks);
	}
	free(plan->keys);
	free(plan->recs);
	memset(plan, 0, sizeof(*plan));
}

/* The records of a grant of the most ports. */
#define ENTRY_RECS_MAX ((JIT_FW_ENTRY_PORTS_MAX + JIT_FW_REC_PORTS - 1) / JIT_FW_REC_PORTS)

/* e as records (one even with no port, so that the grant is counted). */
static size_t entry_recs(const struct jit_fw_entry *e, struct jit_fw_rec out[ENTRY_RECS_MAX])
{
	size_t n = 0;

	do {
		struct jit_fw_rec *r = &out[n];

		memset(r, 0, sizeof(*r));
		r->grant_id = e->grant_id;
		r->expires = e->expires;
		memcpy(r->addr, e->source.addr.bytes, sizeof(r->addr));
		r->family = (uint8_t)e->source.addr.family;
		r->prefix = (uint8_t)e->source.prefix;
		r->part = (uint8_t)n;
		for (size_t p = n * JIT_FW_REC_PORTS; p < e->n_ports && r->n_ports < JIT_FW_REC_PORTS;
		     p++) {
			r->proto[r->n_ports] = (uint8_t)e->ports[p].proto;
			r->port[r->n_ports++] = e->ports[p].port;
		}
		n++;
	} while (n * JIT_FW_REC_PORTS < e->n_ports && n < ENTRY_RECS_MAX);
	return n;
}

void jit_fw_rec_entry(const struct jit_fw_rec *r, struct jit_fw_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->grant_id = r->grant_id;
	e->expires = (time_t)r->expires;
	e->source.addr.family = r->family;
	memcpy(e->source.addr.bytes, r->addr, sizeof(r->addr));
	e->source.prefix = r->prefix;
	for (size_t p = 0; p < r->n_ports; p++)
		e->ports[e->n_ports++] = (struct jit_portspec){ .port = r->port[p],
								.proto = (enum jit_proto)r->proto[p] };
}

static int recs_append(struct jit_fw_plan *plan, const struct jit_fw_entry *e)
{
	struct jit_fw_rec recs[ENTRY_RECS_MAX];
	size_t n = entry_recs(e, recs);

	if (grow((void **)&plan->recs, &plan->cap_recs, plan->n_recs + n, sizeof(*plan->recs)) != 0)
		return -1;
	memcpy(&plan->recs[plan->n_recs], recs, n * sizeof(*recs));
	plan->n_recs += n;
	plan->n_grants++;
	return 0;
}

static struct jit_fw_key *key_get(struct jit_fw_plan *plan, int family,
				  const struct jit_portspec *p)
{
	for (size_t i = 0; i < plan->n_keys; i++) {
		struct jit_fw_key *k = &plan->keys[i];

		if (k->family == family && k->proto == p->proto && k->port == p->port)
			return k;
	}
	if (grow((void **)&plan->keys, &plan->cap_keys, plan->n_keys + 1, sizeof(*plan->keys)) != 0)
		return NULL;
	plan->keys[plan->n_keys] = (struct jit_fw_key){ .family = family, .proto = p->proto,
							 .port = p->port };
	return &plan->keys[plan->n_keys++];
}

/* --- the skyline of a region: the latest expiry over each address ------------------- */

/* An entry's range clipped to the region, with its expiry. */
struct span {
	uint8_t lo[16], hi[16];
	int64_t expires_ms;
};

struct spans {
	struct span *items;
	size_t n, cap;
	size_t len;			/* address length of the key */
};

/* IPv4 addresses are zero-padded to 16 bytes, so comparing all 16 orders
 * both families right. */
static int cmp_span_lo(const void *a, const void *b)
{
	return memcmp(((const struct span *)a)->lo, ((const struct span *)b)->lo, 16);
}

static int cmp_point(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static bool rec_has_port(const struct jit_fw_rec *r, const struct jit_fw_key *k)
{
	if (r->family != k->family)
		return false;
	for (size_t i = 0; i < r->n_ports; i++)
		if (r->port[i] == k->port && r->proto[i] == k->proto)
			return true;
	return false;
}

static void rec_range(const struct jit_fw_rec *r, uint8_t lo[16], uint8_t hi[16])
{
	struct jit_cidr c = { .addr.family = r->family, .prefix = r->prefix };

	memcpy(c.addr.bytes, r->addr, sizeof(r->addr));
	cidr_range(&c, lo, hi);
}

/* The live records of key k overlapping [a, b], clipped to it. */
static int collect_spans(const struct jit_fw_rec *recs, size_t n, const struct jit_fw_key *k,
			 const uint8_t *a, const uint8_t *b, int64_t now_ms, struct spans *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct jit_fw_rec *e = &recs[i];
		struct span s;

		if (e->expires * 1000 <= now_ms || !rec_has_port(e, k))
			continue;
		rec_range(e, s.lo, s.hi);
		if (addr_cmp(s.hi, a, out->len) < 0 || addr_cmp(s.lo, b, out->len) > 0)
			continue;
		if (addr_cmp(s.lo, a, out->len) < 0)
			memcpy(s.lo, a, 16);
		if (addr_cmp(s.hi, b, out->len) > 0)
			memcpy(s.hi, b, 16);
		s.expires_ms = e->expires * 1000;
		if (grow((void **)&out->items, &out->cap, out->n + 1, sizeof(*out->items)) != 0)
			return -1;
		out->items[out->n++] = s;
	}
	return 0;
}

/* A max-heap of (expiry, end) of the spans that started at or before the
 * sweep point; spans that ended before it are dropped when on top. */
struct heap {
	struct span **items;
	size_t n;
};

static void heap_push(struct heap *h, struct span *s)
{
	size_t i = h->n++;

	h->items[i] = s;
	while (i > 0 && h->items[(i - 1) / 2]->expires_ms < h->items[i]->expires_ms) {
		struct span *t = h->items[i];

		h->items[i] = h->items[(i - 1) / 2];
		h->items[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct heap *h)
{
	size_t i = 0;

	h->items[0] = h->items[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct span *t;

		if (l < h->n && h->items[l]->expires_ms > h->items[m]->expires_ms)
			m = l;
		if (r < h->n && h->items[r]->expires_ms > h->items[m]->expires_ms)
			m = r;
		if (m == i)
			return;
		t = h->items[i];
		h->items[i] = h->items[m];
		h->items[m] = t;
		i = m;
	}
}

static int seg_push(struct jit_fw_seg **segs, size_t *n, size_t *cap, const uint8_t *lo,
		    const uint8_t *hi, int64_t expires_ms, size_t len)
{
	struct jit_fw_seg *last = *n ? &(*segs)[*n - 1] : NULL;

	if (last != NULL && last->expires_ms == expires_ms) {
		uint8_t next[16];

		memcpy(next, last->hi, 16);
		if (addr_inc(next, len) && addr_cmp(next, lo, len) == 0) {
			memcpy(last->hi, hi, 16);	/* adjacent, same window: one range */
			return 0;
		}
	}
	if (grow((void **)segs, cap, *n + 1, sizeof(**segs)) != 0)
		return -1;
	memcpy((*segs)[*n].lo, lo, 16);
	memcpy((*segs)[*n].hi, hi, 16);
	(*segs)[(*n)++].expires_ms = expires_ms;
	return 0;
}

/* Every point where coverage may change: each span's start and the address
 * after its end, sorted, without repeats. */
static uint8_t (*sweep_points(struct spans *sp, size_t *n_points))[16]
{
	uint8_t (*pts)[16] = malloc((2 * sp->n + 1) * sizeof(*pts));
	size_t n = 0, m = 0;

	if (pts == NULL)
		return NULL;
	for (size_t i = 0; i < sp->n; i++) {
		memcpy(pts[n++], sp->items[i].lo, 16);
		memcpy(pts[n], sp->items[i].hi, 16);
		if (addr_inc(pts[n], sp->len))
			n++;
	}
	if (n > 0)
		qsort(pts, n, sizeof(*pts), cmp_point);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || memcmp(pts[m - 1], pts[i], sp->len) != 0)
			memmove(pts[m++], pts[i], 16);
	*n_points = m;
	return pts;
}

/* The disjoint segments the spans make, each with the latest expiry covering it. */
static int skyline(struct spans *sp, struct jit_fw_seg **segs, size_t *n_segs)
{
	struct heap h = { malloc((sp->n + 1) * sizeof(struct span *)), 0 };
	size_t n_points = 0, next = 0, cap = 0;
	uint8_t (*pts)[16] = sweep_points(sp, &n_points);
	int rc = h.items && pts ? 0 : -1;

	*segs = NULL;
	*n_segs = 0;
	if (sp->n > 0)
		qsort(sp->items, sp->n, sizeof(*sp->items), cmp_span_lo);
	for (size_t i = 0; rc == 0 && i < n_points; i++) {
		uint8_t end[16];

		while (next < sp->n && addr_cmp(sp->items[next].lo, pts[i], sp->len) <= 0)
			heap_push(&h, &sp->items[next++]);
		while (h.n > 0 && addr_cmp(h.items[0]->hi, pts[i], sp->len) < 0)
			heap_pop(&h);
		if (h.n == 0)
			continue;
		/* Coverage is constant up to the next point (exclusive). */
		if (i + 1 < n_points) {
			memcpy(end, pts[i + 1], 16);
			addr_dec(end, sp->len);
		} else {
			memcpy(end, h.items[0]->hi, 16);
		}
		rc = seg_push(segs, n_segs, &cap, pts[i], end, h.items[0]->expires_ms, sp->len);
	}
	free(h.items);
	free(pts);
	return rc;
}

/* --- recomputing a region of a key ----------------------------------------------------- */

static bool seg_equal(const struct jit_fw_seg *a, const struct jit_fw_seg *b, size_t len)
{
	return a->expires_ms == b->expires_ms && addr_cmp(a->lo, b->lo, len) == 0 &&
	       addr_cmp(a->hi, b->hi, len) == 0;
}

static bool seg_in(const struct jit_fw_seg *s, const struct jit_fw_seg *list, size_t n,
		   size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (seg_equal(s, &list[i], len))
			return true;
	return false;
}

/* A segment's place in a key: chunk c, index i in it; (n_chunks, 0) past
 * the last. */
struct seg_pos {
	size_t c, i;
};

static const struct jit_fw_seg *seg_at(const struct jit_fw_key *k, struct seg_pos p)
{
	return p.c < k->n_chunks ? &k->chunks[p.c].segs[p.i] : NULL;
}

static void seg_advance(const struct jit_fw_key *k, struct seg_pos *p)
{
	if (++p->i == k->chunks[p->c].n) {
		p->c++;
		p->i = 0;
	}
}

const struct jit_fw_seg *jit_fw_key_next(const struct jit_fw_key *k, struct jit_fw_seg_iter *it)
{
	struct seg_pos p = { it->chunk, it->i };
	const struct jit_fw_seg *s = seg_at(k, p);

	if (s != NULL) {
		seg_advance(k, &p);
		it->chunk = p.c;
		it->i = p.i;
	}
	return s;
}

/* In segs[0, n), the first ending at or after a (they are sorted). */
static size_t first_ending_from(const struct jit_fw_seg *segs, size_t n, const uint8_t *a,
				size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr_cmp(segs[mid].hi, a, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first segment of k ending at or after a: the chunk whose last one
 * does, then the segment in it. */
static struct seg_pos first_overlap(const struct jit_fw_key *k, const uint8_t *a, size_t len)
{
	size_t lo = 0, hi = k->n_chunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct jit_fw_chunk *ch = &k->chunks[mid];

		if (addr_cmp(ch->segs[ch->n - 1].hi, a, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == k->n_chunks)
		return (struct seg_pos){ lo, 0 };
	return (struct seg_pos){ lo, first_ending_from(k->chunks[lo].segs, k->chunks[lo].n, a, len) };
}

static int diff_into(const struct jit_fw_key *k, const struct jit_fw_seg *old, size_t n_old,
		     const struct jit_fw_seg *new, size_t n_new, int64_t now_ms,
		     struct jit_fw_changes *out)
{
	size_t len = addr_len(k->family);

	for (size_t i = 0; out != NULL && i < n_old; i++)
		if (old[i].expires_ms > now_ms && !seg_in(&old[i], new, n_new, len) &&
		    change_push(out, JIT_FW_DEL, k, &old[i]) != 0)
			return -1;
	for (size_t i = 0; out != NULL && i < n_new; i++)
		if (!seg_in(&new[i], old, n_old, len) && change_push(out, JIT_FW_ADD, k, &new[i]) != 0)
			return -1;
	return 0;
}

/* What takes the place of chunks [c0, c1] of k: the first o0 segments
 * of c0, the new ones, and chunk c1's from o1 on, in chunks of at most
 * JIT_FW_CHUNK_MAX (none when that is nothing). */
struct rechunk {
	size_t c0, o0, c1, o1;
};

static size_t rechunk_total(const struct jit_fw_key *k, const struct rechunk *r, size_t n_new)
{
	return r->o0 + n_new + (k->chunks[r->c1].n - r->o1);
}

/* n segments from src (NULL when there are no new ones). */
static void copy_segs(struct jit_fw_seg *dst, const struct jit_fw_seg *src, size_t n)
{
	if (n > 0)
		memcpy(dst, src, n * sizeof(*src));
}

/* The segments of r, in order, into out. */
static void rechunk_gather(const struct jit_fw_key *k, const struct rechunk *r,
			   const struct jit_fw_seg *new, size_t n_new, struct jit_fw_seg *out)
{
	const struct jit_fw_chunk *last = &k->chunks[r->c1];

	copy_segs(out, k->chunks[r->c0].segs, r->o0);
	copy_segs(out + r->o0, new, n_new);
	copy_segs(out + r->o0 + n_new, last->segs + r->o1, last->n - r->o1);
}

/* How many of total segments piece i of pieces holds: evenly shared, or,
 * after the key's last segment (grants from one address after another),
 * full chunks first, so that chunks the run left behind are full. */
static size_t piece_size(size_t total, size_t pieces, size_t i, bool fill_first)
{
	if (fill_first)
		return i + 1 < pieces ? JIT_FW_CHUNK_MAX : total - i * JIT_FW_CHUNK_MAX;
	return total / pieces + (i < total % pieces);
}

/* Chunks [c0, c1] replaced by as few chunks as hold all's total segments,
 * each of room JIT_FW_CHUNK_MAX: blocks of one size, which the heap reuses
 * whole. */
static int rechunk_apply(struct jit_fw_key *k, const struct rechunk *r, const struct jit_fw_seg *all,
			 size_t total, bool fill_first)
{
	size_t pieces = (total + JIT_FW_CHUNK_MAX - 1) / JIT_FW_CHUNK_MAX, old = r->c1 - r->c0 + 1,
	       n_chunks = k->n_chunks - old + pieces, done = 0, i;
	struct jit_fw_chunk *made = calloc(pieces ? pieces : 1, sizeof(*made));

	if (made == NULL)
		return -1;
	for (i = 0; i < pieces; i++) {
		made[i].n = piece_size(total, pieces, i, fill_first);
		made[i].cap = JIT_FW_CHUNK_MAX;
		made[i].segs = malloc(JIT_FW_CHUNK_MAX * sizeof(*all));
		if (made[i].segs == NULL)
			break;
		copy_segs(made[i].segs, all + done, made[i].n);
		done += made[i].n;
	}
	if (i < pieces ||
	    grow((void **)&k->chunks, &k->cap_chunks, n_chunks, sizeof(*k->chunks)) != 0) {
		for (size_t j = 0; j < pieces; j++)
			free(made[j].segs);
		free(made);
		return -1;
	}
	for (size_t c = r->c0; c <= r->c1; c++)
		free(k->chunks[c].segs);
	memmove(&k->chunks[r->c0 + pieces], &k->chunks[r->c1 + 1],
		(k->n_chunks - r->c1 - 1) * sizeof(*k->chunks));
	memcpy(&k->chunks[r->c0], made, pieces * sizeof(*made));
	k->n_chunks = n_chunks;
	free(made);
	return 0;
}

/* r's segments when they stay in its one chunk: moved in place. */
static void splice_in_chunk(struct jit_fw_key *k, const struct rechunk *r,
			    const struct jit_fw_seg *new, size_t n, size_t total)
{
	struct jit_fw_chunk *ch = &k->chunks[r->c0];

	if (ch->n > r->o1)
		memmove(&ch->segs[r->o0 + n], &ch->segs[r->o1], (ch->n - r->o1) * sizeof(*ch->segs));
	copy_segs(&ch->segs[r->o0], new, n);
	ch->n = total;
}

/* Replaces the n_old segments of k from p on with the n new ones. */
static int splice(struct jit_fw_key *k, struct seg_pos p, size_t n_old, const struct jit_fw_seg *new,
		  size_t n)
{
	struct rechunk r = { p.c, p.i, p.c, p.i };
	struct jit_fw_seg *all;
	size_t total;
	int rc;

	if (k->n_chunks == 0) {
		if (n == 0)
			return 0;
		/* An empty first chunk, replaced by the new ones. */
		if (grow((void **)&k->chunks, &k->cap_chunks, 1, sizeof(*k->chunks)) != 0)
			return -1;
		k->chunks[0] = (struct jit_fw_chunk){ malloc(JIT_FW_CHUNK_MAX * sizeof(*new)), 0,
						      JIT_FW_CHUNK_MAX };
		if (k->chunks[0].segs == NULL)
			return -1;
		k->n_chunks = 1;
		r = (struct rechunk){ 0, 0, 0, 0 };
	} else if (p.c == k->n_chunks) {	/* after the last: into the last chunk */
		r.c0 = r.c1 = k->n_chunks - 1;
		r.o0 = r.o1 = k->chunks[r.c0].n;
	}
	/* The end of what goes: n_old segments on, in as many chunks. */
	for (size_t left = n_old; left > 0;) {
		size_t here = k->chunks[r.c1].n - r.o1, take = left < here ? left : here;

		r.o1 += take;
		left -= take;
		if (left > 0) {
			r.c1++;
			r.o1 = 0;
		}
	}
	total = rechunk_total(k, &r, n);
	if (r.c0 == r.c1 && total > 0 && total <= JIT_FW_CHUNK_MAX) {
		splice_in_chunk(k, &r, new, n, total);
		k->n = k->n - n_old + n;
		return 0;
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	if (all == NULL)
		return -1;
	rechunk_gather(k, &r, new, n, all);
	rc = rechunk_apply(k, &r, all, total,
			   r.c1 == k->n_chunks - 1 && r.o1 == k->chunks[r.c1].n);
	free(all);
	if (rc == 0)
		k->n = k->n - n_old + n;
	return rc;
}

/* The live ones of segs[0, n), as spans. */
static int collect_segments(const struct jit_fw_seg *segs, size_t n, int64_t now_ms,
			    struct spans *out)
{
	for (size_t i = 0; i < n; i++) {
		if (segs[i].expires_ms <= now_ms)
			continue;
		if (grow((void **)&out->items, &out->cap, out->n + 1, sizeof(*out->items)) != 0)
			return -1;
		memcpy(out->items[out->n].lo, segs[i].lo, 16);
		memcpy(out->items[out->n].hi, segs[i].hi, 16);
		out->items[out->n++].expires_ms = segs[i].expires_ms;
	}
	return 0;
}

/* From p on, the segments of k that start at or before b, copied into
 * *old (NULL when none). */
static int overlapping(const struct jit_fw_key *k, struct seg_pos p, const uint8_t *b, size_t len,
		       struct jit_fw_seg **old, size_t *n_old)
{
	size_t cap = 0;
	const struct jit_fw_seg *s;

	*old = NULL;
	*n_old = 0;
	for (; (s = seg_at(k, p)) != NULL && addr_cmp(s->lo, b, len) <= 0; seg_advance(k, &p)) {
		if (grow((void **)old, &cap, *n_old + 1, sizeof(**old)) != 0)
			return -1;
		(*old)[(*n_old)++] = *s;
	}
	return 0;
}

/* Recomputes k over [a, b], widened to whole segments: from the entries
 * covering it, or, when `added` is given, from the old segments and that
 * one entry alone (a new grant can only lengthen windows, so the segments
 * already hold everything the other entries say about the region). */
static int recompute(struct jit_fw_plan *plan, struct jit_fw_key *k, const uint8_t *a0,
		     const uint8_t *b0, const struct jit_fw_entry *added, int64_t now_ms,
		     struct jit_fw_changes *out)
{
	size_t len = addr_len(k->family), n_new = 0, n_old = 0;
	struct seg_pos p0 = first_overlap(k, a0, len);
	struct spans sp = { .len = len };
	struct jit_fw_seg *new = NULL, *old = NULL;
	uint8_t a[16], b[16];
	int rc;

	memcpy(a, a0, 16);
	memcpy(b, b0, 16);
	rc = overlapping(k, p0, b, len, &old, &n_old);
	if (n_old > 0 && addr_cmp(old[0].lo, a, len) < 0)
		memcpy(a, old[0].lo, 16);
	if (n_old > 0 && addr_cmp(old[n_old - 1].hi, b, len) > 0)
		memcpy(b, old[n_old - 1].hi, 16);
	if (rc == 0 && added == NULL) {
		rc = collect_spans(plan->recs, plan->n_recs, k, a, b, now_ms, &sp);
	} else if (rc == 0) {
		struct jit_fw_rec just_added[ENTRY_RECS_MAX];
		size_t n_added = entry_recs(added, just_added);

		rc = collect_segments(old, n_old, now_ms, &sp);
		if (rc == 0)
			rc = collect_spans(just_added, n_added, k, a, b, now_ms, &sp);
	}
	if (rc == 0)
		rc = skyline(&sp, &new, &n_new);
	if (rc == 0)
		rc = diff_into(k, old, n_old, new, n_new, now_ms, out);
	if (rc == 0)
		rc = splice(k, p0, n_old, new, n_new);
	free(sp.items);
	free(new);
	free(old);
	return rc;
}

/* Recomputes the entry's range on each of its ports; `added` as for recompute(). */
static int recompute_entry(struct jit_fw_plan *plan, const struct jit_fw_entry *e,
			   const struct jit_fw_entry *added, int64_t now_ms,
			   struct jit_fw_changes *out)
{
	uint8_t lo[16], hi[16];

	cidr_range(&e->source, lo, hi);
	for (size_t p = 0; p < e->n_ports; p++) {
		struct jit_fw_key *k = key_get(plan, e->source.addr.family, &e->ports[p]);

		if (k == NULL || recompute(plan, k, lo, hi, added, now_ms, out) != 0)
			return -1;
	}
	return 0;
}

/* --- the interface ------------------------------------------------------------------------ */

int jit_fw_plan_add(struct jit_fw_plan *plan, const struct jit_fw_entry *e, int64_t now_ms,
		    struct jit_fw_changes *out)
{
	if (recs_append(plan, e) != 0)
		return -1;
	return recompute_entry(plan, e, e, now_ms, out);
}

int jit_fw_plan_remove(struct jit_fw_plan *plan, int64_t grant_id, int64_t now_ms,
		       struct jit_fw_changes *out)
{
	struct jit_fw_rec gone[ENTRY_RECS_MAX];
	size_t n_gone = 0;

	/* All of the grant's records out first, then its ports recomputed
	 * from the records left. */
	for (size_t i = plan->n_recs; i-- > 0;) {
		if (plan->recs[i].grant_id != grant_id)
			continue;
		if (n_gone < ENTRY_RECS_MAX)
			gone[n_gone++] = plan->recs[i];
		plan->recs[i] = plan->recs[--plan->n_recs];
	}
	if (n_gone == 0)
		return 1;
	plan->n_grants--;
	for (size_t i = 0; i < n_gone; i++) {
		struct jit_fw_entry e;

		jit_fw_rec_entry(&gone[i], &e);
		if (recompute_entry(plan, &e, NULL, now_ms, out) != 0)
			return -1;
	}
	return 0;
}

void jit_fw_plan_reset_begin(struct jit_fw_plan *plan)
{
	jit_fw_plan_free(plan);
}

int jit_fw_plan_put(struct jit_fw_plan *plan, const struct jit_fw_entry *e, int64_t now_ms)
{
	if (e->expires * 1000 <= now_ms)
		return 0;
	for (size_t p = 0; p < e->n_ports; p++)
		if (key_get(plan, e->source.addr.family, &e->ports[p]) == NULL)
			return -1;
	return recs_append(plan, e);
}

int jit_fw_plan_reset(struct jit_fw_plan *plan, const struct jit_fw_entry *entries, size_t n,
		      int64_t now_ms)
{
	jit_fw_plan_reset_begin(plan);
	for (size_t i = 0; i < n; i++)
		if (jit_fw_plan_put(plan, &entries[i], now_ms) != 0)
			return -1;
	return jit_fw_plan_reset_end(plan, now_ms);
}

int jit_fw_plan_reset_end(struct jit_fw_plan *plan, int64_t now_ms)
{
	static const uint8_t zero[16], ones[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t ones4[16] = { 0xff, 0xff, 0xff, 0xff };

	/* One sweep per key over the whole address space. */
	for (size_t i = 0; i < plan->n_keys; i++) {
		struct jit_fw_key *k = &plan->keys[i];

		if (recompute(plan, k, zero, k->family == AF_INET ? ones4 : ones, NULL, now_ms,
			      NULL) != 0)
			return -1;
	}
	return 0;
}

/* k without its segments ended by now_ms, and without chunks left empty. */
static void key_prune(struct jit_fw_key *k, int64_t now_ms)
{
	size_t kept_chunks = 0;

	k->n = 0;
	for (size_t c = 0; c < k->n_chunks; c++) {
		struct jit_fw_chunk *ch = &k->chunks[c];
		size_t n = 0;

		for (size_t j = 0; j < ch->n; j++)
			if (ch->segs[j].expires_ms > now_ms)
				ch->segs[n++] = ch->segs[j];
		ch->n = n;
		k->n += n;
		if (n == 0)
			free(ch->segs);
		else
			k->chunks[kept_chunks++] = *ch;
	}
	k->n_chunks = kept_chunks;
}

void jit_fw_plan_prune(struct jit_fw_plan *plan, int64_t now_ms)
{
	size_t kept = 0;

	plan->n_grants = 0;
	for (size_t i = 0; i < plan->n_recs; i++)
		if (plan->recs[i].expires * 1000 > now_ms) {
			plan->n_grants += plan->recs[i].part == 0;
			plan->recs[kept++] = plan->recs[i];
		}
	plan->n_recs = kept;
	for (size_t i = 0; i < plan->n_keys; i++)
		key_prune(&plan->keys[i], now_ms);
}
