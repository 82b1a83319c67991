/* SPDX-License-Identifier: ISC */
/* What a firewall backend implements, for the layer in firewall.c alone:
 * the rest of jitd sees the layer (firewall.h), never a backend. */
#ifndef JIT_FW_BACKEND_H
#define JIT_FW_BACKEND_H

#include "firewall.h"
#include "fwplan.h"

struct jit_firewall_ops {
	const char *name;
	/* The backend's state, not yet touching the kernel; NULL with the
	 * reason when it cannot be set up. */
	void *(*create)(jit_error *err);
	/* In one transaction: creates jit's table (or chains and sets) if
	 * missing, sets its rules and guarded ports, and makes the grant sets
	 * hold exactly the plan's segments. */
	int (*replace)(void *state, const struct jit_guarded *guarded,
		       const struct jit_fw_plan *plan, int64_t now_ms, jit_error *err);
	/* Element deletions and additions, in one transaction where the
	 * backend can; on failure the caller replaces everything. */
	int (*apply)(void *state, const struct jit_fw_changes *changes, int64_t now_ms,
		     jit_error *err);
	/* jit's rules and guarded ports (not the grant elements) as the kernel
	 * holds them now, as text to free(); NULL when they are missing. The
	 * layer compares it with the one taken after replace(). */
	char *(*fingerprint)(void *state);
	/* Prints what jit holds in the kernel. */
	int (*show)(void *state, FILE *out, jit_error *err);
	/* Removes everything jit created; 1 when there was nothing. */
	int (*remove)(void *state, jit_error *err);
	void (*destroy)(void *state);
};

extern const struct jit_firewall_ops jit_firewall_none;
extern const struct jit_firewall_ops jit_firewall_nftables;
extern const struct jit_firewall_ops jit_firewall_iptables;

#endif
