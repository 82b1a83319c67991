#include "config.h"

#include "firewall.h"

#include <stdlib.h>

static int none_open(void *state, const struct jit_grant *g, time_t now, jit_error *err)
{
	(void)state, (void)g, (void)now, (void)err;
	return 0;
}

static int none_close(void *state, const struct jit_grant *g, jit_error *err)
{
	(void)state, (void)g, (void)err;
	return 0;
}

static int none_reconcile(void *state, const struct jit_grant *grants, size_t n, time_t now,
			  jit_error *err)
{
	(void)state, (void)grants, (void)n, (void)now, (void)err;
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
	if (fw->ops->open(fw->state, g, now, err) != 0)
		return jit_error_prefix(err, "firewall %s", fw->ops->name);
	return 0;
}

int jit_firewall_close(struct jit_firewall *fw, const struct jit_grant *g, jit_error *err)
{
	if (fw->ops->close(fw->state, g, err) != 0)
		return jit_error_prefix(err, "firewall %s", fw->ops->name);
	return 0;
}

int jit_firewall_reconcile(struct jit_firewall *fw, const struct jit_grant *grants, size_t n,
			   time_t now, jit_error *err)
{
	if (fw->ops->reconcile(fw->state, grants, n, now, err) != 0)
		return jit_error_prefix(err, "firewall %s", fw->ops->name);
	return 0;
}
