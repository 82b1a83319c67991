/* SPDX-License-Identifier: ISC */
/* The firewall layer: keeps the plan of what the kernel should admit (see
 * fwplan.h) and has a backend carry out its changes. Backends touch only
 * what they created, and every element they add carries its own timeout,
 * so windows close on time even when jitd is gone. */
#ifndef JIT_FIREWALL_H
#define JIT_FIREWALL_H

#include "jit_error.h"
#include "jitd_config.h"
#include "netaddr.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

struct jit_fw_plan;
struct jit_fw_changes;

#define JIT_GUARDED_MAX JIT_GUARDED_PORTS_MAX

/* The guarded ports: the union of every policy's ports. */
struct jit_guarded {
	struct jit_portspec ports[JIT_GUARDED_MAX];
	size_t n;
};

struct jit_firewall_ops {
	const char *name;
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

struct jit_firewall;

/* The backend the configuration names, not yet touching the kernel; NULL
 * with the reason when it cannot be set up (jitd then refuses to start). */
struct jit_firewall *jit_firewall_new(const struct jit_config *cfg, jit_error *err);
void jit_firewall_free(struct jit_firewall *fw);
const char *jit_firewall_backend(const struct jit_firewall *fw);

/* Takes the guarded ports of a (re)loaded configuration; the next
 * reconcile puts them in place. */
void jit_firewall_configure(struct jit_firewall *fw, const struct jit_config *cfg);

/* Opens a grant's window, closes it (revoke), or makes the kernel hold
 * exactly these grants (start, reload, after errors). Windows are timed
 * from the clock in milliseconds at the call. */
int jit_firewall_open(struct jit_firewall *fw, const struct jit_fw_entry *e, jit_error *err);
int jit_firewall_close(struct jit_firewall *fw, int64_t grant_id, jit_error *err);
int jit_firewall_reconcile(struct jit_firewall *fw, const struct jit_fw_entry *entries, size_t n,
			   jit_error *err);

/* Periodic: forgets what expired and restores jit's rules when someone
 * removed or changed them. 1 when it restored something, 0, or -1. */
int jit_firewall_tick(struct jit_firewall *fw, jit_error *err);

int jit_firewall_show(struct jit_firewall *fw, FILE *out, jit_error *err);
int jit_firewall_remove(struct jit_firewall *fw, jit_error *err);

/* What fill() writes, as a string to free(); NULL when memory runs out. */
char *jit_fw_text(void (*fill)(FILE *f, const void *ctx), const void *ctx);

/* The backends. */
extern const struct jit_firewall_ops jit_firewall_none;
extern const struct jit_firewall_ops jit_firewall_nftables;
void *jit_nft_backend_new(jit_error *err);
extern const struct jit_firewall_ops jit_firewall_iptables;
void *jit_ipt_backend_new(jit_error *err);

#endif
