/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "broker.h"

#include "log.h"

#include <errno.h>
#include <libgen.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FULL_RECONCILE_TICKS 12

static void log_config_line(const char *line, void *ctx)
{
	(void)ctx;
	if (strstr(line, ": warning: ") != NULL)
		log_warn("%s", line);
	else
		log_error("%s", line);
}

_Static_assert(JIT_FW_ENTRY_PORTS_MAX == JIT_GRANT_PORTS_MAX,
	       "a grant's ports fit the firewall's entry");

void jit_fw_entry_from_grant(const struct jit_grant *g, int64_t used_up_grace,
			     struct jit_fw_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->grant_id = g->id;
	e->source = g->source;
	memcpy(e->ports, g->ports, g->n_ports * sizeof(g->ports[0]));
	e->n_ports = g->n_ports;
	e->expires = g->expires;
	if (g->used_up_at != 0 && g->used_up_at + used_up_grace < e->expires)
		e->expires = g->used_up_at + (time_t)used_up_grace;
}

/* The configuration at path, or NULL with every error logged. */
static struct jit_config *load_config(const char *path, jit_error *err)
{
	struct jit_config_errors errs;
	struct jit_config *cfg = jit_config_load(path, &errs);

	jit_config_errors_report(&errs, path, log_config_line, NULL);
	if (cfg != NULL)
		return cfg;
	jit_error_set(err, "%s", errs.n > 0 ? errs.msg[0] : "invalid configuration");
	return NULL;
}

/* Makes key the current one; a different previous key is kept for
 * verifying the tickets it signed. */
static void install_key(struct jit_broker *b, struct jit_secret_key *key)
{
	if (b->n_keys > 0 && strcmp(b->keys[0].pid, key->pub.pid) != 0) {
		size_t keep = b->n_keys < JIT_BROKER_KEYS_MAX ? b->n_keys : JIT_BROKER_KEYS_MAX - 1;

		memmove(&b->keys[1], &b->keys[0], keep * sizeof(b->keys[0]));
		b->n_keys = keep + 1;
		log_info("signing key changed to %s; %s stays valid for verifying", key->pub.pid,
			 b->keys[1].pid);
	} else if (b->n_keys == 0) {
		b->n_keys = 1;
	}
	b->keys[0] = key->pub;
	jit_secret_key_wipe(&b->key);
	b->key = *key;
	jit_secret_key_wipe(key);
}

int jit_make_parent_dir(const char *path, mode_t mode, jit_error *err)
{
	char copy[JIT_PATH_MAX];
	const char *dir;

	(void)snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (mkdir(dir, mode) != 0 && errno != EEXIST)
		return jit_error_set(err, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

/* An enforcer verifies with the broker's public key and signs nothing. */
static int install_public_key(struct jit_broker *b, const struct jit_config *cfg, jit_error *err)
{
	struct jit_public_key pub;

	if (jit_public_key_load(cfg->pubkey, &pub, err) != 0)
		return -1;
	jit_secret_key_wipe(&b->key);
	b->keys[0] = pub;
	b->n_keys = 1;
	return 0;
}

/* The signing key (its public half first among the verifying keys), or an
 * enforcer's public key alone. */
static int install_keys(struct jit_broker *b, const struct jit_config *cfg, jit_error *err)
{
	struct jit_secret_key key;

	if (cfg->enforcer)
		return install_public_key(b, cfg, err);
	if (jit_secret_key_load(cfg->key, &key, err) != 0)
		return -1;
	install_key(b, &key);
	return 0;
}

int jit_broker_start(struct jit_broker *b, const char *config_path, jit_error *err)
{
	time_t now = time(NULL);

	memset(b, 0, sizeof(*b));
	b->started = now;
	(void)snprintf(b->config_path, sizeof(b->config_path), "%s", config_path);
	b->cfg = load_config(config_path, err);
	if (b->cfg == NULL)
		return -1;
	if (install_keys(b, b->cfg, err) != 0)
		return -1;
	if (!jit_config_database_is_postgresql(b->cfg->database) &&
	    jit_make_parent_dir(b->cfg->database, 0700, err) != 0)
		return -1;
	b->store = jit_store_open_with(b->cfg->database,
				       b->cfg->passfile[0] != '\0' ? b->cfg->passfile : NULL, err);
	if (b->store == NULL)
		return -1;
	jit_store_set_host(b->store, b->cfg->host);
	jit_store_report_logins(b->store, b->cfg->enforcer);
	if (!b->cfg->enforcer && jit_store_hosts_unfollow_own(b->store, err) != 0)
		return -1;
	if (b->cfg->enforcer)
		jit_upstream_restore_guard(b);
	b->fw = jit_firewall_new(b->cfg, err);
	if (b->fw == NULL)
		return -1;
	/* The reconcile below opens every window started by now. */
	b->opened_through = now;
	(void)jit_broker_expire(b, now);
	if (jit_broker_reconcile(b, now) != 0)
		return jit_error_set(err, "cannot bring the firewall to the recorded grants");
	return 0;
}

void jit_broker_stop(struct jit_broker *b)
{
	jit_notifier_stop(&b->notifier, &b->metrics.notifications);
	if (b->cfg != NULL && b->store != NULL && b->cfg->metrics_file[0] != '\0')
		jit_broker_housekeeping(b);
	jit_rate_table_free(&b->request_rates);
	jit_rate_table_free(&b->verify_rates);
	free(b->remote_acks);
	jit_firewall_free(b->fw);
	jit_store_close(b->store);
	jit_config_free(b->cfg);
	jit_secret_key_wipe(&b->key);
	memset(b, 0, sizeof(*b));
}

/* Settings that only a restart can change keep their running values. */
static void keep_restart_settings(const struct jit_config *old, struct jit_config *new)
{
	if (strcmp(old->socket, new->socket) != 0 ||
	    strcmp(old->socket_group, new->socket_group) != 0 ||
	    strcmp(old->database, new->database) != 0 ||
	    strcmp(old->passfile, new->passfile) != 0 || old->firewall != new->firewall)
		log_warn("socket, socket_group, database, passfile and firewall changes take"
			 " effect at restart; running with the old values");
	memcpy(new->socket, old->socket, sizeof(new->socket));
	memcpy(new->socket_group, old->socket_group, sizeof(new->socket_group));
	memcpy(new->database, old->database, sizeof(new->database));
	memcpy(new->passfile, old->passfile, sizeof(new->passfile));
	new->firewall = old->firewall;
}

int jit_broker_reload(struct jit_broker *b)
{
	struct jit_config *cfg;
	jit_error err;

	cfg = load_config(b->config_path, &err);
	if (cfg == NULL) {
		log_error("reload refused, the running configuration stays: %s", err.msg);
		return -1;
	}
	if (cfg->enforcer != b->cfg->enforcer) {
		log_error("reload refused, the running configuration stays: becoming or ceasing to"
			  " be an enforcer ([controller]) takes a restart");
		jit_config_free(cfg);
		return -1;
	}
	if (install_keys(b, cfg, &err) != 0) {
		log_error("reload refused, the running configuration stays: %s", err.msg);
		jit_config_free(cfg);
		return -1;
	}
	keep_restart_settings(b->cfg, cfg);
	jit_config_free(b->cfg);
	b->cfg = cfg;
	if (cfg->enforcer)
		jit_upstream_restore_guard(b);
	jit_firewall_configure(b->fw, cfg);
	log_info("configuration reloaded from %s", b->config_path);
	(void)jit_broker_reconcile(b, time(NULL));
	return 0;
}

void jit_broker_firewall_failed(struct jit_broker *b, int64_t grant_id, const jit_error *err)
{
	log_error("grant %lld: %s; reconciling", (long long)grant_id, err->msg);
	b->metrics.firewall_errors++;
	b->needs_reconcile = true;
}

void jit_broker_update_window(struct jit_broker *b, const struct jit_grant *g)
{
	struct jit_fw_entry e;
	jit_error err;

	jit_fw_entry_from_grant(g, b->cfg->used_up_grace, &e);
	if (jit_firewall_update(b->fw, &e, &err) != 0)
		jit_broker_firewall_failed(b, g->id, &err);
}

long jit_broker_cut_sessions(struct jit_broker *b, const struct jit_grant *g, const char *why)
{
	struct jit_fw_entry e;
	jit_error err;
	long cut;

	jit_fw_entry_from_grant(g, b->cfg->used_up_grace, &e);
	cut = jit_firewall_cut(b->fw, &e, &err);
	if (cut < 0) {
		log_error("grant %lld %s: its sessions could not be cut: %s", (long long)g->id, why,
			  err.msg);
		b->metrics.firewall_errors++;
		b->metrics_dirty = true;
	} else {
		log_info("grant %lld %s: %ld connection%s cut", (long long)g->id, why, cut,
			 cut == 1 ? "" : "s");
	}
	return cut;
}

static void close_expired(const struct jit_grant *g, void *ctx)
{
	struct jit_broker *b = ctx;
	jit_error err;

	log_info("grant %lld for %s on %s expired", (long long)g->id, g->user, g->host);
	if (strcmp(g->host, b->cfg->host) == 0) {
		if (jit_firewall_close(b->fw, g->id, &err) != 0)
			jit_broker_firewall_failed(b, g->id, &err);
		if (g->cut_on_expiry)
			(void)jit_broker_cut_sessions(b, g, "expired");
	}
	jit_broker_event(b, "expiry", json_pack("{s:o}", "grant", jit_grant_json(g, time(NULL))));
}

static int open_started(const struct jit_grant *g, void *ctx)
{
	struct jit_broker *b = ctx;

	log_info("grant %lld for %s starts: its window opens", (long long)g->id, g->user);
	jit_broker_update_window(b, g);
	return 0;
}

/* The windows of scheduled grants whose start has come: opened at it,
 * never before. */
static void open_scheduled(struct jit_broker *b, time_t now)
{
	jit_error err;

	if (now <= b->opened_through)
		return;
	if (jit_store_started_each(b->store, b->cfg->host, b->opened_through, now, open_started, b,
				   &err) != 0) {
		log_error("opening scheduled windows: %s", err.msg);
		b->needs_reconcile = true;
		return;
	}
	b->opened_through = now;
}

int jit_broker_expire(struct jit_broker *b, time_t now)
{
	jit_error err;
	int rc;

	open_scheduled(b, now);
	rc = jit_store_expire_due(b->store, now, close_expired, b, &err);

	if (rc < 0)
		log_error("marking expired grants: %s", err.msg);
	jit_broker_expire_requests(b, now);
	if (b->needs_reconcile)
		(void)jit_broker_reconcile(b, now);
	return rc < 0 ? -1 : 0;
}

struct reconcile_ctx {
	struct jit_firewall *fw;
	int64_t used_up_grace;
	time_t now;			/* a grant starting later is not open yet */
	size_t n;
};

static int put_entry(const struct jit_grant *g, void *ctx)
{
	struct reconcile_ctx *r = ctx;
	struct jit_fw_entry e;

	if (g->not_before > r->now)
		return 0;
	jit_fw_entry_from_grant(g, r->used_up_grace, &e);
	if (jit_firewall_reconcile_put(r->fw, &e) != 0)
		return -1;
	r->n++;
	return 0;
}

int jit_broker_reconcile(struct jit_broker *b, time_t now)
{
	/* A controller records grants for other hosts: only this host's are
	 * this firewall's. */
	struct jit_grant_filter f = { .host = b->cfg->host, .active_only = true, .now = now };
	struct reconcile_ctx active = { .fw = b->fw, .used_up_grace = b->cfg->used_up_grace,
					.now = now };
	jit_error err = { "" };
	int rc;

	/* Each grant goes into the plan as it is read: no array of them all. */
	jit_firewall_reconcile_begin(b->fw);
	rc = jit_store_grants_each(b->store, &f, put_entry, &active, &err);
	if (rc != 0 && err.msg[0] == '\0')
		jit_error_set(&err, "out of memory planning the firewall");
	if (jit_firewall_reconcile_end(b->fw, rc == 0, &err) != 0)
		rc = -1;
	b->needs_reconcile = rc != 0;
	/* What started by now is in the firewall, or is retried with it. */
	if (now > b->opened_through)
		b->opened_through = now;
	if (rc != 0) {
		log_error("reconcile: %s", err.msg);
		b->metrics.firewall_errors++;
		b->metrics_dirty = true;
	}
	else
		log_debug("reconciled the firewall to %zu active grants", active.n);
	return rc;
}

int jit_broker_next_expiry(struct jit_broker *b, time_t *when)
{
	jit_error err;
	time_t lapse, start;
	int rc = jit_store_next_expiry(b->store, when, &err), lapses, starts;

	if (rc < 0) {
		log_error("%s", err.msg);
		return rc;
	}
	/* A pending request's request_ttl ends on the same timer, and a
	 * scheduled window starts on it. */
	lapses = jit_broker_next_request_expiry(b, &lapse);
	if (lapses < 0)
		return lapses;
	if (lapses > 0 && (rc == 0 || lapse < *when))
		*when = lapse;
	starts = jit_store_next_start(b->store, b->cfg->host, b->opened_through, &start, &err);
	if (starts < 0) {
		log_error("%s", err.msg);
		return starts;
	}
	if (starts > 0 && ((rc == 0 && lapses == 0) || start < *when))
		*when = start;
	return rc > 0 || lapses > 0 || starts > 0 ? 1 : 0;
}

void jit_broker_timer_note(struct jit_broker *b, time_t when)
{
	if (b->timer.earliest == 0 || when < b->timer.earliest)
		b->timer.earliest = when;
}

bool jit_broker_take_timer_news(struct jit_broker *b, time_t *earliest)
{
	bool reread = b->timer.reread;

	*earliest = b->timer.earliest;
	b->timer.reread = false;
	b->timer.earliest = 0;
	return reread;
}

void jit_broker_tick(struct jit_broker *b)
{
	jit_error err;
	int rc;

	/* Every tick checks jit's rules; every FULL_RECONCILE_TICKS one also
	 * rewrites the grant sets whole from the database, undoing any element
	 * someone added or deleted by hand. Not every tick: with 10,000 grants
	 * that rewrite holds the loop for tens of milliseconds. */
	if (++b->ticks % FULL_RECONCILE_TICKS == 0) {
		(void)jit_broker_reconcile(b, time(NULL));
		return;
	}
	rc = jit_firewall_tick(b->fw, &err);
	if (rc < 0) {
		log_error("%s; reconciling from the database", err.msg);
		(void)jit_broker_reconcile(b, time(NULL));
	} else if (rc > 0) {
		log_warn("firewall %s: jit's rules restored, with every active grant",
			 jit_firewall_backend(b->fw));
		b->metrics.reconcile_corrections++;
		b->metrics_dirty = true;
	}
}
