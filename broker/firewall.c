#include "config.h"

#include "firewall.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jit_fw_entry_from_grant(const struct jit_grant *g, struct jit_fw_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->grant_id = g->id;
	e->source = g->source;
	memcpy(e->ports, g->ports, g->n_ports * sizeof(g->ports[0]));
	e->n_ports = g->n_ports;
	e->expires = g->expires;
}

/* "192.0.2.0/24 to 22/tcp,3389/tcp" */
static void describe(const struct jit_fw_entry *g, char *buf, size_t size)
{
	size_t len;

	jit_cidr_format(&g->source, buf, size);
	len = strlen(buf);
	(void)snprintf(buf + len, size - len, " to ");
	for (size_t i = 0; i < g->n_ports && (len = strlen(buf)) + JIT_PORTSPEC_STRLEN + 1 < size; i++) {
		if (i > 0)
			buf[len++] = ',';
		jit_portspec_format(&g->ports[i], buf + len, size - len);
	}
}

/* The none backend only says, at debug level, what a real one would do. */
static int none_open(void *state, const struct jit_fw_entry *g, time_t now, jit_error *err)
{
	char what[512];

	(void)state, (void)err;
	describe(g, what, sizeof(what));
	log_debug("firewall none: open grant %lld: %s for %llds", (long long)g->grant_id, what,
		  (long long)(g->expires - now));
	return 0;
}

static int none_close(void *state, const struct jit_fw_entry *g, jit_error *err)
{
	char what[512];

	(void)state, (void)err;
	describe(g, what, sizeof(what));
	log_debug("firewall none: close grant %lld: %s", (long long)g->grant_id, what);
	return 0;
}

static int none_reconcile(void *state, const struct jit_fw_entry *entries, size_t n, time_t now,
			  jit_error *err)
{
	(void)state, (void)entries, (void)now, (void)err;
	log_debug("firewall none: reconcile to %zu active grants", n);
	return 0;
}

static void none_destroy(void *state)
{
	(void)state;
}

const struct jit_firewall_ops jit_firewall_none = {
	.name = "none",
	.open = none_open,
	.close = none_close,
	.reconcile = none_reconcile,
	.destroy = none_destroy,
};

struct jit_firewall *jit_firewall_new(const struct jit_config *cfg, jit_error *err)
{
	struct jit_firewall *fw;

	if (cfg->firewall != JIT_FW_NONE) {
		jit_error_set(err, "firewall = %s: this build has no %s backend yet;"
			      " use firewall = none", jit_firewall_name(cfg->firewall),
			      jit_firewall_name(cfg->firewall));
		return NULL;
	}
	fw = calloc(1, sizeof(*fw));
	if (fw == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	fw->ops = &jit_firewall_none;
	return fw;
}

void jit_firewall_free(struct jit_firewall *fw)
{
	if (fw == NULL)
		return;
	fw->ops->destroy(fw->state);
	free(fw);
}

int jit_firewall_open(struct jit_firewall *fw, const struct jit_grant *g, time_t now,
		      jit_error *err)
{
	struct jit_fw_entry e;

	jit_fw_entry_from_grant(g, &e);
	if (fw->ops->open(fw->state, &e, now, err) != 0)
		return jit_error_prefix(err, "firewall %s", fw->ops->name);
	return 0;
}

int jit_firewall_close(struct jit_firewall *fw, const struct jit_grant *g, jit_error *err)
{
	struct jit_fw_entry e;

	jit_fw_entry_from_grant(g, &e);
	if (fw->ops->close(fw->state, &e, err) != 0)
		return jit_error_prefix(err, "firewall %s", fw->ops->name);
	return 0;
}

int jit_firewall_reconcile(struct jit_firewall *fw, const struct jit_fw_entry *entries, size_t n,
			   time_t now, jit_error *err)
{
	if (fw->ops->reconcile(fw->state, entries, n, now, err) != 0)
		return jit_error_prefix(err, "firewall %s", fw->ops->name);
	return 0;
}
