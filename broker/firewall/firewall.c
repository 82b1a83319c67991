/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "firewall.h"

#include "backend.h"
#include "conntrack.h"
#include "sockclose.h"
#include "log.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>

struct jit_firewall {
	const struct jit_firewall_ops *ops;
	void *state;
	struct jit_fw_plan plan;
	struct jit_fw_plan next;	/* a reconcile's, until it ends */
	int64_t next_ms;		/* the time it is planned for */
	bool next_failed;		/* a grant could not be put in it */
	struct jit_guarded guarded;
	char *fingerprint;		/* the backend's, right after the last replace() */
	bool said_no_sock_destroy;	/* the kernel's refusal to close sockets, logged */
};

/* --- the layer ------------------------------------------------------------------------ */

char *jit_fw_text(void (*fill)(FILE *f, const void *ctx), const void *ctx)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	fill(f, ctx);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The configuration has them already, each once, within the limit. */
void jit_firewall_configure(struct jit_firewall *fw, const struct jit_config *cfg)
{
	memcpy(fw->guarded.ports, cfg->guarded, cfg->n_guarded * sizeof(cfg->guarded[0]));
	fw->guarded.n = cfg->n_guarded;
}

struct jit_firewall *jit_firewall_new(const struct jit_config *cfg, jit_error *err)
{
	struct jit_firewall *fw = calloc(1, sizeof(*fw));

	if (fw == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	switch (cfg->firewall) {
	case JIT_FW_NONE: fw->ops = &jit_firewall_none; break;
	case JIT_FW_NFTABLES: fw->ops = &jit_firewall_nftables; break;
	case JIT_FW_IPTABLES:
#ifdef JIT_WITH_IPTABLES
		fw->ops = &jit_firewall_iptables;
		break;
#else
		free(fw);
		jit_error_set(err, "this build has no iptables backend (./configure --without-iptables)");
		return NULL;
#endif
	}
	fw->state = fw->ops->create(err);
	if (fw->state == NULL) {
		free(fw);
		return NULL;
	}
	jit_firewall_configure(fw, cfg);
	return fw;
}

void jit_firewall_free(struct jit_firewall *fw)
{
	if (fw == NULL)
		return;
	fw->ops->destroy(fw->state);
	jit_fw_plan_free(&fw->plan);
	jit_fw_plan_free(&fw->next);
	free(fw->fingerprint);
	free(fw);
}

size_t jit_firewall_entries(const struct jit_firewall *fw)
{
	return fw->plan.n_grants;
}

const char *jit_firewall_backend(const struct jit_firewall *fw)
{
	return fw->ops->name;
}

static int replace_all(struct jit_firewall *fw, int64_t now, jit_error *err)
{
	if (fw->ops->replace(fw->state, &fw->guarded, &fw->plan, now, err) != 0)
		return jit_error_prefix(err, "firewall %s", fw->ops->name);
	free(fw->fingerprint);
	fw->fingerprint = fw->ops->fingerprint(fw->state);
	return 0;
}

/* Applies changes; when the backend refuses them (an element expired under
 * us, someone edited the set), puts the whole plan in place instead. */
static int apply_or_replace(struct jit_firewall *fw, const struct jit_fw_changes *c,
			    int64_t now, jit_error *err)
{
	jit_error why;

	if (c->n == 0 || fw->ops->apply(fw->state, c, now, &why) == 0)
		return 0;
	log_warn("firewall %s: %s; replacing jit's sets whole", fw->ops->name, why.msg);
	return replace_all(fw, now, err);
}

static int change_failed(struct jit_fw_changes *c, jit_error *err)
{
	jit_fw_changes_free(c);
	jit_error_set(err, "out of memory planning the firewall change");
	return -1;
}

int jit_firewall_open(struct jit_firewall *fw, const struct jit_fw_entry *e, jit_error *err)
{
	struct jit_fw_changes c = { 0 };
	int64_t ms = jit_realtime_ms();
	int rc;

	if (jit_fw_plan_add(&fw->plan, e, ms, &c) != 0)
		return change_failed(&c, err);
	rc = apply_or_replace(fw, &c, ms, err);
	if (rc != 0)
		(void)jit_fw_plan_remove(&fw->plan, e->grant_id, ms, NULL);
	jit_fw_changes_free(&c);
	return rc;
}

int jit_firewall_close(struct jit_firewall *fw, int64_t grant_id, jit_error *err)
{
	struct jit_fw_changes c = { 0 };
	int64_t ms = jit_realtime_ms();
	int rc = jit_fw_plan_remove(&fw->plan, grant_id, ms, &c);

	if (rc < 0)
		return change_failed(&c, err);
	rc = rc == 0 ? apply_or_replace(fw, &c, ms, err) : 0;
	jit_fw_changes_free(&c);
	return rc;
}

int jit_firewall_update(struct jit_firewall *fw, const struct jit_fw_entry *e, jit_error *err)
{
	struct jit_fw_changes c = { 0 };
	int64_t ms = jit_realtime_ms();
	int rc;

	if (jit_fw_plan_remove(&fw->plan, e->grant_id, ms, &c) < 0 ||
	    jit_fw_plan_add(&fw->plan, e, ms, &c) != 0)
		return change_failed(&c, err);
	rc = apply_or_replace(fw, &c, ms, err);
	jit_fw_changes_free(&c);
	return rc;
}

void jit_firewall_reconcile_begin(struct jit_firewall *fw)
{
	fw->next_ms = jit_realtime_ms();
	fw->next_failed = false;
	jit_fw_plan_reset_begin(&fw->next);
}

int jit_firewall_reconcile_put(struct jit_firewall *fw, const struct jit_fw_entry *e)
{
	if (!fw->next_failed && jit_fw_plan_put(&fw->next, e, fw->next_ms) != 0)
		fw->next_failed = true;
	return fw->next_failed ? -1 : 0;
}

int jit_firewall_reconcile_end(struct jit_firewall *fw, bool complete, jit_error *err)
{
	struct jit_fw_plan old = fw->plan;

	if (!complete || fw->next_failed || jit_fw_plan_reset_end(&fw->next, fw->next_ms) != 0) {
		jit_fw_plan_free(&fw->next);
		return complete ? jit_error_set(err, "out of memory planning the firewall") : -1;
	}
	fw->plan = fw->next;
	memset(&fw->next, 0, sizeof(fw->next));
	jit_fw_plan_free(&old);
	return replace_all(fw, fw->next_ms, err);
}

/* This host's own sockets first: closing them sends the resets at once,
 * without waiting for a packet. A kernel that cannot close them is said
 * once; the conntrack cut then stands alone. */
static void close_own_sockets(struct jit_firewall *fw, const struct jit_cut *c)
{
	bool unsupported;
	jit_error err;
	long closed = jit_sockets_close(c, &unsupported, &err);

	if (closed >= 0)
		log_debug("grant %lld: %ld socket%s here closed", (long long)c->window->grant_id,
			  closed, closed == 1 ? "" : "s");
	else if (!unsupported)
		log_error("grant %lld: %s", (long long)c->window->grant_id, err.msg);
	else if (!fw->said_no_sock_destroy)
		log_warn("%s: the server's end of a cut session learns at its next send", err.msg);
	fw->said_no_sock_destroy = fw->said_no_sock_destroy || unsupported;
}

/* A window open now, not e's, from addresses e's source overlaps. */
static bool overlaps_open(const struct jit_fw_entry *o, const struct jit_fw_entry *e, time_t now)
{
	return o->grant_id != e->grant_id && o->expires > now &&
	       jit_cidr_overlap(&o->source, &e->source);
}

/* The windows a flow of e's may also belong to: such a flow is spared. */
static struct jit_fw_entry *other_open_windows(const struct jit_firewall *fw,
					       const struct jit_fw_entry *e, size_t *n)
{
	time_t now = time(NULL);
	struct jit_fw_entry *open, o;
	size_t count = 0;

	for (size_t i = 0; i < fw->plan.n_recs; i++) {
		jit_fw_rec_entry(&fw->plan.recs[i], &o);
		count += overlaps_open(&o, e, now);
	}
	*n = 0;
	open = malloc((count + 1) * sizeof(*open));
	if (open == NULL)
		return NULL;
	for (size_t i = 0; i < fw->plan.n_recs && *n < count; i++) {
		jit_fw_rec_entry(&fw->plan.recs[i], &o);
		if (overlaps_open(&o, e, now))
			open[(*n)++] = o;
	}
	return open;
}

long jit_firewall_cut(struct jit_firewall *fw, const struct jit_fw_entry *e, jit_error *err)
{
	struct jit_cut c = { .window = e };
	struct jit_fw_entry *open;
	long cut;

	if (fw->ops == &jit_firewall_none)
		return 0;
	open = other_open_windows(fw, e, &c.n_open);
	if (open == NULL)
		return jit_error_set(err, "out of memory");
	c.open = open;
	close_own_sockets(fw, &c);
	cut = jit_conntrack_cut(&c, err);
	free(open);
	return cut;
}

int jit_firewall_tick(struct jit_firewall *fw, jit_error *err)
{
	int64_t ms = jit_realtime_ms();
	char *now = fw->ops->fingerprint(fw->state);
	bool intact = now != NULL && fw->fingerprint != NULL && strcmp(now, fw->fingerprint) == 0;

	free(now);
	jit_fw_plan_prune(&fw->plan, ms);
	if (intact)
		return 0;
	log_warn("firewall %s: jit's rules were missing or changed; restoring them",
		 fw->ops->name);
	return replace_all(fw, ms, err) == 0 ? 1 : -1;
}

int jit_firewall_show(struct jit_firewall *fw, FILE *out, jit_error *err)
{
	return fw->ops->show(fw->state, out, err);
}

int jit_firewall_remove(struct jit_firewall *fw, jit_error *err)
{
	return fw->ops->remove(fw->state, err);
}
