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

struct jit_firewall_ops {
	const char *name;
	/* Admits g->source to g->ports until g->expires. */
	int (*open)(void *state, const struct jit_grant *g, time_t now, jit_error *err);
	/* Stops admitting what open() admitted for g, at once. */
	int (*close)(void *state, const struct jit_grant *g, jit_error *err);
	/* Makes the kernel admit exactly these grants, each until its expiry. */
	int (*reconcile)(void *state, const struct jit_grant *grants, size_t n, time_t now,
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
int jit_firewall_reconcile(struct jit_firewall *fw, const struct jit_grant *grants, size_t n,
			   time_t now, jit_error *err);

/* Backend "none": records and tickets only; the firewall is managed elsewhere. */
extern const struct jit_firewall_ops jit_firewall_none;

#endif
