/* SPDX-License-Identifier: ISC */
/* The fleet's operations. What an enforcer asks its controller, through
 * jit-sshd with its host's key: follow (the host's changes from a sequence
 * number on, pushed on the same connection by the server) and ack (how far
 * it has applied them). What an operator asks: hosts. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct field jit_follow_fields[] = {
	{ "since", F_INT, false, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

const struct field jit_ack_fields[] = {
	{ "seq", F_INT, true, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* The ports the controller's policies guard on host, each once. */
static json_t *host_guarded(const struct jit_config *cfg, const char *host)
{
	struct jit_portspec seen[JIT_GUARDED_PORTS_MAX];
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_policies; i++) {
		const struct jit_policy *pol = &cfg->policies[i];

		if (!jit_policy_covers(pol, host))
			continue;
		for (size_t j = 0; j < pol->n_ports && n < JIT_GUARDED_PORTS_MAX; j++) {
			bool dup = false;

			for (size_t k = 0; k < n && !dup; k++)
				dup = jit_portspec_equal(&seen[k], &pol->ports[j]);
			if (!dup)
				seen[n++] = pol->ports[j];
		}
	}
	return jit_ports_json(seen, n);
}

void jit_broker_take_follow(struct jit_broker *b, char *host, size_t size, int64_t *since,
			    bool *started)
{
	*started = b->follow.started;
	if (!b->follow.started)
		return;
	(void)snprintf(host, size, "%s", b->follow.host);
	*since = b->follow.since;
	memset(&b->follow, 0, sizeof(b->follow));
}

json_t *jit_op_follow(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_int_t since;
	jit_error err;
	json_t *r;

	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "follow");
	if (jit_op_int(req, "since", 0, INT64_MAX, 0, &since, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	log_info("%s follows its changes from %lld on", peer->remote_host, (long long)since);
	jit_broker_audit(b, peer, "follow", peer->remote_host, "ok", NULL,
			 json_pack("{s:I}", "since", since));
	b->follow.started = true;
	(void)snprintf(b->follow.host, sizeof(b->follow.host), "%s", peer->remote_host);
	b->follow.since = since;
	r = jit_op_ok();
	json_object_set_new(r, "host", json_string(peer->remote_host));
	json_object_set_new(r, "guard", host_guarded(b->cfg, peer->remote_host));
	return r;
}

json_t *jit_op_ack(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_int_t seq;
	jit_error err;

	if (jit_op_int(req, "seq", 1, INT64_MAX, 0, &seq, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	if (jit_store_host_ack(b->store, peer->remote_host, seq, time(NULL), &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	return jit_op_ok();
}

/* --- hosts ------------------------------------------------------------------------- */

void jit_broker_follower(struct jit_broker *b, const char *host, bool connected, time_t now)
{
	struct jit_follower *f = NULL;

	for (size_t i = 0; i < b->n_followers && f == NULL; i++)
		if (strcmp(b->followers[i].host, host) == 0)
			f = &b->followers[i];
	if (f == NULL && connected && b->n_followers < JIT_BROKER_FOLLOWERS_MAX) {
		f = &b->followers[b->n_followers++];
		memset(f, 0, sizeof(*f));
		(void)snprintf(f->host, sizeof(f->host), "%s", host);
	}
	if (f == NULL)
		return;
	if (connected && f->connections++ == 0)
		f->since = now;
	else if (!connected && f->connections > 0)
		f->connections--;
}

static const struct jit_follower *follower_of(const struct jit_broker *b, const char *host)
{
	for (size_t i = 0; i < b->n_followers; i++)
		if (strcmp(b->followers[i].host, host) == 0 && b->followers[i].connections > 0)
			return &b->followers[i];
	return NULL;
}

/* Every host the controller knows of: its policies', its hostgroups' and
 * those with changes, but itself. */
struct host_names {
	char (*items)[JIT_HOST_MAX];
	size_t n;
};

static void add_name(struct host_names *l, const char *host, const char *own)
{
	void *grown;

	if (strcmp(host, own) == 0)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], host) == 0)
			return;
	grown = realloc(l->items, (l->n + 1) * sizeof(*l->items));
	if (grown == NULL)
		return;
	l->items = grown;
	(void)snprintf(l->items[l->n++], JIT_HOST_MAX, "%s", host);
}

static int add_changed_host(const struct jit_host_state *h, void *ctx)
{
	struct host_names *l = ctx;

	add_name(l, h->host, "");
	return 0;
}

static int count_grant(const struct jit_grant *g, void *ctx)
{
	(void)g;
	(*(int64_t *)ctx)++;
	return 0;
}

struct host_row_ctx {
	const char *host;
	struct jit_host_state state;
};

static int find_state(const struct jit_host_state *h, void *ctx)
{
	struct host_row_ctx *r = ctx;

	if (strcmp(h->host, r->host) != 0)
		return 0;
	r->state = *h;
	return 1;
}

static json_t *host_json(struct jit_broker *b, const char *host, time_t now, jit_error *err)
{
	struct host_row_ctx r = { .host = host };
	struct jit_grant_filter f = { .host = host, .active_only = true, .now = now };
	const struct jit_follower *fol = follower_of(b, host);
	int64_t open = 0;

	if (jit_store_hosts_each(b->store, find_state, &r, err) != 0 ||
	    jit_store_grants_each(b->store, &f, count_grant, &open, err) != 0)
		return NULL;
	return json_pack("{s:s, s:b, s:o, s:I, s:I, s:I, s:o, s:I, s:o}", "host", host,
			 "connected", fol != NULL, "since", jit_rfc3339_json(fol ? fol->since : 0),
			 "last_change", (json_int_t)r.state.last_seq, "acked",
			 (json_int_t)r.state.acked, "lag", (json_int_t)(r.state.last_seq - r.state.acked),
			 "acked_at", jit_rfc3339_json(r.state.acked_at), "open_grants",
			 (json_int_t)open, "guard", host_guarded(b->cfg, host));
}

json_t *jit_op_hosts(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct host_names names = { NULL, 0 };
	json_t *hosts = json_array(), *r;
	time_t now = time(NULL);
	jit_error err;

	(void)req;
	if (!jit_op_peer_may(b, peer, PRIV_AUDIT))
		return jit_op_refusal("denied", "not_auditor", "hosts needs uid 0 or a role with"
				      " audit = yes");
	for (size_t i = 0; i < b->cfg->n_policies; i++)
		for (size_t j = 0; j < b->cfg->policies[i].hosts.n; j++)
			add_name(&names, b->cfg->policies[i].hosts.items[j], b->cfg->host);
	for (size_t i = 0; i < b->cfg->n_hostgroups; i++)
		for (size_t j = 0; j < b->cfg->hostgroups[i].hosts.n; j++)
			add_name(&names, b->cfg->hostgroups[i].hosts.items[j], b->cfg->host);
	if (jit_store_hosts_each(b->store, add_changed_host, &names, &err) != 0) {
		free(names.items);
		json_decref(hosts);
		return jit_op_store_error("listing the hosts", &err);
	}
	for (size_t i = 0; i < names.n; i++) {
		json_t *h = host_json(b, names.items[i], now, &err);

		if (h == NULL) {
			free(names.items);
			json_decref(hosts);
			return jit_op_store_error("describing a host", &err);
		}
		json_array_append_new(hosts, h);
	}
	free(names.items);
	r = jit_op_ok();
	json_object_set_new(r, "hosts", hosts);
	return r;
}
