/* SPDX-License-Identifier: ISC */
/* Backend "none": records and tickets only, for hosts whose firewall is
 * managed elsewhere and for unprivileged development; at debug level it
 * says what a real backend would do. */
#include "config.h"

#include "backend.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static int none_replace(void *state, const struct jit_guarded *guarded,
			const struct jit_fw_plan *plan, int64_t now, jit_error *err)
{
	(void)state, (void)now, (void)err;
	log_debug("firewall none: %zu guarded ports, %zu active grants", guarded->n,
		  plan->n_grants);
	return 0;
}

/* Says, at debug level, what a real backend would do. */
static int none_apply(void *state, const struct jit_fw_changes *changes, int64_t now,
		      jit_error *err)
{
	(void)state, (void)err;
	for (size_t i = 0; i < changes->n; i++) {
		const struct jit_fw_change *c = &changes->items[i];
		char seg[100];

		jit_fw_seg_format(c->family, &c->seg, seg, sizeof(seg));
		log_debug("firewall none: %s %s to %u/%s for %lldms",
			  c->kind == JIT_FW_ADD ? "admit" : "stop admitting", seg, c->port,
			  c->proto == JIT_PROTO_TCP ? "tcp" : "udp",
			  (long long)(c->seg.expires_ms - now));
	}
	return 0;
}

static char *none_fingerprint(void *state)
{
	(void)state;
	return strdup("none");
}

static int none_show(void *state, FILE *out, jit_error *err)
{
	(void)state, (void)err;
	fputs("firewall = none: jit holds nothing in the kernel\n", out);
	return 0;
}

static int none_remove(void *state, jit_error *err)
{
	(void)state, (void)err;
	return 1;
}

static void none_destroy(void *state)
{
	(void)state;
}

/* Nothing to hold; a state all the same, as the layer wants one. */
static void *none_create(jit_error *err)
{
	static int nothing;

	(void)err;
	return &nothing;
}

const struct jit_firewall_ops jit_firewall_none = {
	.name = "none",
	.create = none_create,
	.replace = none_replace,
	.apply = none_apply,
	.fingerprint = none_fingerprint,
	.show = none_show,
	.remove = none_remove,
	.destroy = none_destroy,
};
