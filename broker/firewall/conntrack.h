/* SPDX-License-Identifier: ISC */
/* Cutting a window's established flows (on_revoke/on_expiry = terminate,
 * jitctl revoke --terminate): their conntrack entries are deleted, so the
 * next packet of each meets jit's rules as a packet of no known flow: with
 * the window closed, a TCP segment is answered with a reset, anything else
 * dropped. Flows of other sources or ports, or that another open window
 * admits, stay as they are. */
#ifndef JIT_CONNTRACK_H
#define JIT_CONNTRACK_H

#include "fwplan.h"
#include "jit_error.h"
#include "netaddr.h"

#include <stdbool.h>
#include <stdint.h>

/* What of a tracked flow decides whether it is a window's: its original
 * direction's source, protocol and destination port. */
struct jit_flow {
	struct jit_addr src;
	uint8_t l4proto;
	uint16_t dport;
};

/* The flow came from e's source to one of e's ports. */
bool jit_flow_in_window(const struct jit_fw_entry *e, const struct jit_flow *f);

/* What a cut takes: the flows of the window closed, but those a window
 * still open admits too (they may be its grant's sessions). */
struct jit_cut {
	const struct jit_fw_entry *window;
	const struct jit_fw_entry *open;
	size_t n_open;
};

bool jit_cut_takes(const struct jit_cut *c, const struct jit_flow *f);

/* Deletes the conntrack entries of the cut's flows in this network
 * namespace: how many, or -1 with the reason. */
long jit_conntrack_cut(const struct jit_cut *c, jit_error *err);

#endif
