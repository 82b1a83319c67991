/* The firewall backend interface: open a grant's window, close it, and
 * make the kernel's state equal to the list of active grants. Backends
 * touch only what they created. */
#ifndef JIT_FIREWALL_H
#define JIT_FIREWALL_H

#include "jit_error.h"
#include "jitd_config.h"
#include "store.h"

#include <stddef.h>
#include <time.h>

/* What a backend needs of a grant: who may reach what, until when. */
struct jit_fw_entry {
	int64_t grant_id;
	struct jit_cidr source;
	struct jit_portspec ports[JIT_GRANT_PORTS_MAX];
	size_t n_ports;
	time_t expires;
};

void jit_fw_entry_from_grant(const struct jit_grant *g, struct jit_fw_entry *e);

struct jit_firewall_ops {
	const char *name;
	/* Admits e->source to e->ports until e->expires. */
	int (*open)(void *state, const struct jit_fw_entry *e, time_t now, jit_error *err);
	/* Stops admitting what open() admitted for e, at once. */
	int (*close)(void *state, const struct jit_fw_entry *e, jit_error *err);
	/* Makes the kernel admit exactly these entries, each until its expiry. */
	int (*reconcile)(void *state, const struct jit_fw_entry *entries, size_t n, time_t now,
			 jit_error *err);
	void (*destroy)(void *state);
};

struct jit_firewall {
	const struct jit_firewall_ops *ops;
	void *state;
};

/* The backend the configuration names; NULL with the reason when it
 * cannot be set up (jitd then refuses to start). */
struct jit_firewall *jit_firewall_new(const struct jit_config *cfg, jit_error *err);
void jit_firewall_free(struct jit_firewall *fw);

int jit_firewall_open(struct jit_firewall *fw, const struct jit_grant *g, time_t now,
		      jit_error *err);
int jit_firewall_close(struct jit_firewall *fw, const struct jit_grant *g, jit_error *err);
int jit_firewall_reconcile(struct jit_firewall *fw, const struct jit_fw_entry *entries, size_t n,
			   time_t now, jit_error *err);

/* Backend "none": records and tickets only; the firewall is managed elsewhere. */
extern const struct jit_firewall_ops jit_firewall_none;

#endif
