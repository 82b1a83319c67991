/* SPDX-License-Identifier: ISC */
/* What the kernel should admit, computed from the active grants: for each
 * (family, protocol, port), address ranges that do not overlap, each with
 * the latest expiry of the grants covering it. Kernel sets refuse
 * overlapping intervals, and two grants may cover the same address with
 * different windows, so grants cannot map to elements one to one; this
 * partition can, and every element's own timeout stays exact, so the
 * kernel closes each window on time without jitd.
 *
 * Changes come out as a list of element deletions and additions; pure code,
 * no I/O. */
#ifndef JIT_FWPLAN_H
#define JIT_FWPLAN_H

#include "netaddr.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Ports one grant may name (a grant's own limit is the same). */
#define JIT_FW_ENTRY_PORTS_MAX 32

/* What the firewall needs of a grant: who may reach what, until when. The
 * layer knows grants only as this, never the store's rows. */
struct jit_fw_entry {
	int64_t grant_id;
	struct jit_cidr source;
	struct jit_portspec ports[JIT_FW_ENTRY_PORTS_MAX];
	size_t n_ports;
	time_t expires;
};


/* One range of addresses admitted to one port until expires_ms. */
struct jit_fw_seg {
	uint8_t lo[16], hi[16];		/* inclusive; IPv4 uses the first 4 bytes */
	int64_t expires_ms;		/* Unix time in milliseconds */
};

/* Consecutive segments of a key, in a block of room for cap. */
struct jit_fw_chunk {
	struct jit_fw_seg *segs;
	size_t n, cap;
};

/* The ranges of one (family, protocol, port), sorted and disjoint, in
 * chunks of at most JIT_FW_CHUNK_MAX (none empty): a new grant's segment
 * moves the segments of one chunk, not every one after it (with 100,000
 * grants in one array, 4 MB a grant). */
#define JIT_FW_CHUNK_MAX 256
struct jit_fw_key {
	int family;			/* AF_INET or AF_INET6 */
	enum jit_proto proto;
	uint16_t port;
	struct jit_fw_chunk *chunks;
	size_t n_chunks, cap_chunks;
	size_t n;			/* segments in all */
};

/* Where jit_fw_key_next() is in a key; zeroed to start. */
struct jit_fw_seg_iter {
	size_t chunk, i;
};

/* k's next segment in address order, or NULL after the last. */
const struct jit_fw_seg *jit_fw_key_next(const struct jit_fw_key *k, struct jit_fw_seg_iter *it);

/* How the plan keeps an active grant: a fixed-size record of at most
 * JIT_FW_REC_PORTS ports (48 bytes), a grant of more ports in several, so
 * that 100,000 grants take a few megabytes and no heap node each. */
#define JIT_FW_REC_PORTS 3
struct jit_fw_rec {
	int64_t grant_id;
	int64_t expires;		/* Unix time */
	uint8_t addr[16];		/* the source's network; IPv4 the first 4 */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t prefix;
	uint8_t n_ports;
	uint8_t part;			/* 0: a grant's first record */
	uint8_t proto[JIT_FW_REC_PORTS];
	uint16_t port[JIT_FW_REC_PORTS];
};

struct jit_fw_plan {
	struct jit_fw_key *keys;
	size_t n_keys, cap_keys;
	struct jit_fw_rec *recs;	/* the active grants the plan is made of */
	size_t n_recs, cap_recs;
	size_t n_grants;		/* of which first records */
};

enum jit_fw_change_kind { JIT_FW_DEL, JIT_FW_ADD };

/* One element to delete or add: a segment of a key. */
struct jit_fw_change {
	enum jit_fw_change_kind kind;
	int family;
	enum jit_proto proto;
	uint16_t port;
	struct jit_fw_seg seg;
};

struct jit_fw_changes {
	struct jit_fw_change *items;
	size_t n, cap;
};

void jit_fw_plan_free(struct jit_fw_plan *plan);
void jit_fw_changes_free(struct jit_fw_changes *c);

/* Adds a grant; appends the element changes it takes (deletions first).
 * Segments ended by now_ms are neither deleted (the kernel dropped them)
 * nor added. Returns 0, or -1 when memory runs out. */
int jit_fw_plan_add(struct jit_fw_plan *plan, const struct jit_fw_entry *e, int64_t now_ms,
		    struct jit_fw_changes *out);

/* Removes a grant (revoke); other grants covering the same addresses keep
 * theirs. Appends the changes. Returns 0, 1 when the grant was not in the
 * plan, or -1. */
int jit_fw_plan_remove(struct jit_fw_plan *plan, int64_t grant_id, int64_t now_ms,
		       struct jit_fw_changes *out);

/* Rebuilds the plan from these grants alone (a full reconcile). */
int jit_fw_plan_reset(struct jit_fw_plan *plan, const struct jit_fw_entry *entries, size_t n,
		      int64_t now_ms);
/* The same a grant at a time, without an array of them all: begin (the
 * plan emptied), put each grant (one ended by now_ms is left out), then
 * end, which computes the segments. 0, or -1 when memory runs out (the
 * plan is then to be reset again). */
void jit_fw_plan_reset_begin(struct jit_fw_plan *plan);
int jit_fw_plan_put(struct jit_fw_plan *plan, const struct jit_fw_entry *e, int64_t now_ms);
int jit_fw_plan_reset_end(struct jit_fw_plan *plan, int64_t now_ms);

/* A record as the grant it stands for (with the record's ports only). */
void jit_fw_rec_entry(const struct jit_fw_rec *r, struct jit_fw_entry *e);

/* Forgets grants and segments that ended by now_ms. */
void jit_fw_plan_prune(struct jit_fw_plan *plan, int64_t now_ms);

/* Calls fn with each CIDR of the smallest list that covers the segment
 * exactly, lowest first; stops at fn's first non-zero return and returns it. */
int jit_fw_seg_cidrs(int family, const struct jit_fw_seg *seg,
		     int (*fn)(const struct jit_cidr *cidr, void *ctx), void *ctx);

/* Writes "192.0.2.0/24", "192.0.2.10" or "192.0.2.1-192.0.2.9" for a segment. */
void jit_fw_seg_format(int family, const struct jit_fw_seg *seg, char *buf, size_t size);

#endif
