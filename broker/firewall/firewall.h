/* SPDX-License-Identifier: ISC */
/* The firewall layer: keeps the plan of what the kernel should admit (see
 * fwplan.h) and has a backend carry out its changes. Backends touch only
 * what they created, and every element they add carries its own timeout,
 * so windows close on time even when jitd is gone. */
#ifndef JIT_FIREWALL_H
#define JIT_FIREWALL_H

#include "fwplan.h"
#include "jit_error.h"
#include "jitd_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define JIT_GUARDED_MAX JIT_GUARDED_PORTS_MAX

/* The guarded ports: the union of every policy's ports. */
struct jit_guarded {
	struct jit_portspec ports[JIT_GUARDED_MAX];
	size_t n;
};

struct jit_firewall;

/* The backend the configuration names, not yet touching the kernel; NULL
 * with the reason when it cannot be set up (jitd then refuses to start). */
struct jit_firewall *jit_firewall_new(const struct jit_config *cfg, jit_error *err);
void jit_firewall_free(struct jit_firewall *fw);
const char *jit_firewall_backend(const struct jit_firewall *fw);
/* How many grants' windows the layer holds open. */
size_t jit_firewall_entries(const struct jit_firewall *fw);

/* Takes the guarded ports of a (re)loaded configuration; the next
 * reconcile puts them in place. */
void jit_firewall_configure(struct jit_firewall *fw, const struct jit_config *cfg);

/* Opens a grant's window or closes it (revoke). Windows are timed from
 * the clock in milliseconds at the call. */
int jit_firewall_open(struct jit_firewall *fw, const struct jit_fw_entry *e, jit_error *err);
int jit_firewall_close(struct jit_firewall *fw, int64_t grant_id, jit_error *err);
/* Makes the kernel hold exactly the grants put (start, reload, after
 * errors), a grant at a time: begin, put each, end. end with complete
 * false (the grants could not all be read) changes nothing. Windows are
 * timed from the clock at begin. */
void jit_firewall_reconcile_begin(struct jit_firewall *fw);
int jit_firewall_reconcile_put(struct jit_firewall *fw, const struct jit_fw_entry *e);
int jit_firewall_reconcile_end(struct jit_firewall *fw, bool complete, jit_error *err);
/* Gives a grant's window a new end (e's), its elements deleted and added
 * again in one batch. */
int jit_firewall_update(struct jit_firewall *fw, const struct jit_fw_entry *e, jit_error *err);
/* Cuts the established flows of a window already closed (conntrack.h): how
 * many, or -1. The none backend guards nothing, so it cuts nothing. */
long jit_firewall_cut(struct jit_firewall *fw, const struct jit_fw_entry *e, jit_error *err);

/* Periodic: forgets what expired and restores jit's rules when someone
 * removed or changed them. 1 when it restored something, 0, or -1. */
int jit_firewall_tick(struct jit_firewall *fw, jit_error *err);

int jit_firewall_show(struct jit_firewall *fw, FILE *out, jit_error *err);
int jit_firewall_remove(struct jit_firewall *fw, jit_error *err);

/* What fill() writes, as a string to free(); NULL when memory runs out. */
char *jit_fw_text(void (*fill)(FILE *f, const void *ctx), const void *ctx);

#endif
