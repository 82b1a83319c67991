/* SPDX-License-Identifier: ISC */
/* The fleet's operations. What an enforcer asks its controller, through
 * jit-sshd with its host's key: follow (the host's changes from a sequence
 * number on, pushed on the same connection by the server) and ack (how far
 * it has applied them). What an operator asks: hosts. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "log.h"
#include "timeutil.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct field jit_follow_fields[] = {
	{ "since", F_INT, false, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

const struct field jit_ack_fields[] = {
	{ "seq", F_INT, true, 0, 0 },	/* 0: a heartbeat before any change */
	{ NULL, F_STRING, false, 0, 0 },
};

/* The ports the controller's policies guard on host, each once: at most
 * what a firewall holds (as for this host, where more is a configuration
 * error). */
static json_t *host_guarded(const struct jit_config *cfg, const char *host)
{
	struct jit_portspec ports[JIT_GUARDED_PORTS_MAX];
	const struct jit_policy *over;
	size_t n;

	(void)jit_config_host_ports(cfg, host, ports, JIT_GUARDED_PORTS_MAX, &n, &over);
	return jit_ports_json(ports, n);
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
			 json_pack("{s:s, s:I}", "host", peer->remote_host, "since", since));
	b->follow.started = true;
	(void)snprintf(b->follow.host, sizeof(b->follow.host), "%s", peer->remote_host);
	b->follow.since = since;
	r = jit_op_ok();
	json_object_set_new(r, "host", json_string(peer->remote_host));
	json_object_set_new(r, "guard", host_guarded(b->cfg, peer->remote_host));
	return r;
}

static struct jit_follower *find_follower(struct jit_broker *b, const char *host);

static void note_ack(struct jit_broker *b, const char *host, int64_t seq)
{
	struct jit_follower *f = find_follower(b, host);

	if (f != NULL && seq > f->acked)
		f->acked = seq;
}

json_t *jit_op_ack(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_int_t seq;
	jit_error err;

	if (jit_op_int(req, "seq", 0, INT64_MAX, 0, &seq, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	if (seq > 0 && jit_store_host_ack(b->store, peer->remote_host, seq, time(NULL), &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	note_ack(b, peer->remote_host, seq);
	return jit_op_ok();
}

/* --- logins on a host ------------------------------------------------------------ */

const struct field jit_login_fields[] = {
	{ "id", F_INT, true, 0, 0 },
	{ "jti", F_STRING, true, JIT_JTI_LEN - 1, 0 },
	{ "user", F_STRING, true, JIT_NAME_MAX - 1, 0 },
	{ "from", F_STRING, true, JIT_CIDR_STRLEN - 1, 0 },
	{ "port", F_STRING, true, JIT_PORTSPEC_STRLEN - 1, 0 },
	{ "time", F_STRING, true, JIT_RFC3339_LEN - 1, 0 },
	{ "epoch", F_STRING, true, JIT_EPOCH_MAX - 1, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* The login as the enforcer reports it, checked; -1 with why it is refused. */
static int parse_login(json_t *req, struct jit_login *l, jit_error *err)
{
	json_int_t id;
	struct jit_addr from;
	struct jit_portspec port;

	memset(l, 0, sizeof(*l));
	if (jit_op_int(req, "id", 1, INT64_MAX, 0, &id, err) != 0)
		return -1;
	l->id = id;
	(void)snprintf(l->jti, sizeof(l->jti), "%s", jit_op_str(req, "jti"));
	(void)snprintf(l->user, sizeof(l->user), "%s", jit_op_str(req, "user"));
	(void)snprintf(l->from, sizeof(l->from), "%s", jit_op_str(req, "from"));
	(void)snprintf(l->port, sizeof(l->port), "%s", jit_op_str(req, "port"));
	(void)snprintf(l->epoch, sizeof(l->epoch), "%s", jit_op_str(req, "epoch"));
	for (const char *c = l->epoch; *c != '\0'; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return jit_error_set(err, "epoch: lowercase hexadecimal digits only");
	if (!jit_config_valid_name(l->user))
		return jit_error_set(err, "'%s' is not a valid user name", l->user);
	if (jit_addr_parse(l->from, &from) != 0)
		return jit_error_set(err, "'%s' is not an address", l->from);
	if (jit_portspec_parse(l->port, &port) != 0)
		return jit_error_set(err, "'%s' is not PORT/PROTO", l->port);
	if (jit_rfc3339_parse(jit_op_str(req, "time"), &l->time) != 0)
		return jit_error_set(err, "'%s' is not an RFC 3339 time", jit_op_str(req, "time"));
	return 0;
}

/* A login on the host with one of its grants' tickets: counted and
 * audited here, once however often it is reported. */
json_t *jit_op_login(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	const char *host = peer->remote_host;
	struct jit_audit_entry e = { .action = "login", .result = "ok" };
	struct jit_login l;
	struct jit_grant g;
	char details[512];
	jit_error err;
	int rc;

	if (parse_login(req, &l, &err) != 0)
		return jit_broker_error("bad_request", err.msg);
	rc = jit_store_grant_by_jti(b->store, l.jti, &g, &err);
	if (rc < 0)
		return jit_op_store_error("finding the login's grant", &err);
	if (rc == 0 || strcmp(g.host, host) != 0 || strcmp(g.user, l.user) != 0)
		return jit_op_refusal("denied", "not_this_hosts", "no grant of this host's with"
				      " that ticket for that user");
	l.grant_id = g.id;
	(void)snprintf(details, sizeof(details),
		       "{\"grant\":%lld,\"host\":\"%s\",\"from\":\"%s\",\"port\":\"%s\"}",
		       (long long)g.id, host, l.from, l.port);
	e.time = l.time;
	e.actor = l.user;
	e.subject = l.user;
	e.details = details;
	rc = jit_store_host_login(b->store, host, &l, &e, &err);
	if (rc < 0)
		return jit_op_store_error("recording the login", &err);
	if (rc > 0) {
		log_info("%s logged in on %s from %s with grant %lld", l.user, host, l.from,
			 (long long)g.id);
		g.uses++;
		g.last_used = l.time;
		jit_broker_event(b, "login", json_pack("{s:o, s:s, s:s, s:s, s:s}", "grant",
						       jit_grant_json(&g, time(NULL)), "user", l.user,
						       "from", l.from, "port", l.port, "on", host));
	}
	return jit_op_ok();
}

/* --- hosts ------------------------------------------------------------------------- */

/* The index of host's entry among the followers, or -1. */
static ptrdiff_t follower_index(const struct jit_broker *b, const char *host)
{
	for (size_t i = 0; i < b->n_followers; i++)
		if (strcmp(b->followers[i].host, host) == 0)
			return (ptrdiff_t)i;
	return -1;
}

static struct jit_follower *find_follower(struct jit_broker *b, const char *host)
{
	ptrdiff_t i = follower_index(b, host);

	if (i < 0)
		return NULL;
	return &b->followers[i];
}

/* The other controllers on the database told whom host follows: their
 * answers wait for its acks through this one. */
static void tell_follow(struct jit_broker *b, const char *host, bool followed)
{
	jit_error err;

	if (jit_store_host_follow(b->store, host, followed, &err) != 0)
		log_warn("%s: %s", host, err.msg);
}

void jit_broker_follower(struct jit_broker *b, const char *host, bool connected, time_t now)
{
	ptrdiff_t i = follower_index(b, host);
	struct jit_follower *f;

	if (i < 0) {
		if (!connected || b->n_followers == JIT_BROKER_FOLLOWERS_MAX)
			return;
		i = (ptrdiff_t)b->n_followers++;
		memset(&b->followers[i], 0, sizeof(b->followers[i]));
		(void)snprintf(b->followers[i].host, sizeof(b->followers[i].host), "%s", host);
	}
	f = &b->followers[i];
	if (connected && f->connections++ == 0) {
		f->since = now;
		tell_follow(b, host, true);
	} else if (!connected && f->connections > 0 && --f->connections == 0) {
		tell_follow(b, host, false);
	}
}

/* --- answers that wait for acks ------------------------------------------------------ */

json_t *jit_pending_json(const char *host, bool connected)
{
	return connected ? json_sprintf("%s's enforcer has not applied it yet", host)
			 : json_sprintf("%s's enforcer is not connected", host);
}

static bool connected(struct jit_broker *b, const char *host)
{
	const struct jit_follower *f = find_follower(b, host);

	return f != NULL && f->connections > 0;
}

bool jit_broker_expect_ack(struct jit_broker *b, const char *host)
{
	return jit_broker_expect_ack_seq(b, host, jit_store_last_seq_queued(b->store));
}

bool jit_broker_expect_ack_seq(struct jit_broker *b, const char *host, int64_t seq)
{
	struct jit_apply_wait *w = b->wait;

	if (b->cfg->apply_timeout == 0 ||
	    (!connected(b, host) && jit_store_host_followed_elsewhere(b->store, host) != 1))
		return false;
	if (w == NULL && (w = b->wait = calloc(1, sizeof(*w))) == NULL)
		return false;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4;
		struct jit_ack_wanted *grown = realloc(w->items, cap * sizeof(*grown));

		if (grown == NULL)
			return false;
		w->items = grown;
		w->cap = cap;
	}
	(void)snprintf(w->items[w->n].host, sizeof(w->items[0].host), "%s", host);
	w->items[w->n++].seq = seq;
	return true;
}

struct jit_apply_wait *jit_broker_take_wait(struct jit_broker *b)
{
	struct jit_apply_wait *w = b->wait;

	b->wait = NULL;
	return w;
}

static struct jit_ack_wanted *find_remote_ack(const struct jit_broker *b, const char *host)
{
	for (size_t i = 0; i < b->n_remote_acks; i++)
		if (strcmp(b->remote_acks[i].host, host) == 0)
			return &b->remote_acks[i];
	return NULL;
}

/* Acked here, or through another controller on the database. */
static bool acked(const struct jit_broker *b, const struct jit_ack_wanted *want)
{
	ptrdiff_t i = follower_index(b, want->host);
	const struct jit_ack_wanted *remote;

	if (i >= 0 && b->followers[i].acked >= want->seq)
		return true;
	remote = find_remote_ack(b, want->host);
	return remote != NULL && remote->seq >= want->seq;
}

/* Hosts past JIT_BROKER_FOLLOWERS_MAX are not remembered: an answer held
 * for one goes at its apply_timeout, saying it is pending. */
static void note_remote_ack(struct jit_broker *b, const char *host, int64_t seq)
{
	struct jit_ack_wanted *r = find_remote_ack(b, host);

	if (r == NULL) {
		if (b->n_remote_acks == b->cap_remote_acks) {
			size_t cap = b->cap_remote_acks ? 2 * b->cap_remote_acks : 16;
			struct jit_ack_wanted *grown;

			if (cap > JIT_BROKER_FOLLOWERS_MAX ||
			    (grown = realloc(b->remote_acks, cap * sizeof(*grown))) == NULL)
				return;
			b->remote_acks = grown;
			b->cap_remote_acks = cap;
		}
		r = &b->remote_acks[b->n_remote_acks++];
		(void)snprintf(r->host, sizeof(r->host), "%s", host);
		r->seq = 0;
	}
	if (seq > r->seq)
		r->seq = seq;
}

void jit_broker_take_heard_acks(struct jit_broker *b)
{
	size_t n;
	const struct jit_heard_ack *heard = jit_store_heard_acks(b->store, &n);

	for (size_t i = 0; i < n; i++)
		note_remote_ack(b, heard[i].host, heard[i].seq);
	jit_store_heard_acks_clear(b->store);
}

bool jit_broker_host_acked(const struct jit_broker *b, const char *host, int64_t seq)
{
	struct jit_ack_wanted want = { .seq = seq };

	(void)snprintf(want.host, sizeof(want.host), "%s", host);
	return acked(b, &want);
}

bool jit_broker_wait_done(const struct jit_broker *b, const struct jit_apply_wait *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (!acked(b, &w->items[i]))
			return false;
	return true;
}

/* The entry (a grant of the answer's, or the answer itself) applied when its
 * host acked what the answer waited for. */
static void settle_entry(const struct jit_broker *b, json_t *entry, const struct jit_apply_wait *w)
{
	const char *host = json_string_value(json_object_get(entry, "host"));

	if (host == NULL || json_object_get(entry, "pending") == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->items[i].host, host) == 0 && acked(b, &w->items[i])) {
			json_object_set_new(entry, "applied", json_true());
			(void)json_object_del(entry, "pending");
		}
}

json_t *jit_broker_settle(const struct jit_broker *b, json_t *resp, const struct jit_apply_wait *w)
{
	json_t *grants = json_object_get(resp, "grants"), *g;
	size_t i;

	if (!json_is_array(grants)) {
		settle_entry(b, resp, w);
		return resp;
	}
	json_array_foreach(grants, i, g) {
		settle_entry(b, g, w);
	}
	return resp;
}

void jit_apply_wait_free(struct jit_apply_wait *w)
{
	if (w == NULL)
		return;
	free(w->items);
	free(w);
}

/* Every host the controller knows of (its policies', its hostgroups' and
 * those with changes, but itself), each with its changes' state. */
struct host_table {
	struct jit_host_state *items;
	size_t n;
	bool out_of_memory;
};

static struct jit_host_state *host_entry(struct host_table *t, const char *host)
{
	void *grown;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i].host, host) == 0)
			return &t->items[i];
	grown = realloc(t->items, (t->n + 1) * sizeof(*t->items));
	if (grown == NULL) {
		t->out_of_memory = true;
		return NULL;
	}
	t->items = grown;
	memset(&t->items[t->n], 0, sizeof(t->items[0]));
	(void)snprintf(t->items[t->n].host, sizeof(t->items[0].host), "%s", host);
	return &t->items[t->n++];
}

static void add_hosts(struct host_table *t, const struct jit_hosts *hosts, const char *own)
{
	for (size_t i = 0; i < hosts->n; i++)
		if (strcmp(hosts->items[i], own) != 0)
			(void)host_entry(t, hosts->items[i]);
}

static int add_changed_host(const struct jit_host_state *h, void *ctx)
{
	struct jit_host_state *e = host_entry(ctx, h->host);

	if (e == NULL)
		return -1;
	*e = *h;
	return 0;
}

static int count_grant(const struct jit_grant *g, void *ctx)
{
	(void)g;
	(*(int64_t *)ctx)++;
	return 0;
}

static json_t *host_json(struct jit_broker *b, const struct jit_host_state *h, time_t now,
			 jit_error *err)
{
	struct jit_grant_filter f = { .host = h->host, .active_only = true, .now = now };
	const struct jit_follower *fol = find_follower(b, h->host);
	int64_t open = 0;

	if (fol != NULL && fol->connections == 0)
		fol = NULL;
	if (jit_store_grants_each(b->store, &f, count_grant, &open, err) != 0)
		return NULL;
	return json_pack("{s:s, s:b, s:o, s:I, s:I, s:I, s:o, s:I, s:o}", "host", h->host,
			 "connected", fol != NULL, "since", jit_rfc3339_json(fol ? fol->since : 0),
			 "last_change", (json_int_t)h->last_seq, "acked", (json_int_t)h->acked,
			 "lag", (json_int_t)(h->last_seq - h->acked), "acked_at",
			 jit_rfc3339_json(h->acked_at), "open_grants", (json_int_t)open, "guard",
			 host_guarded(b->cfg, h->host));
}

/* The table's hosts as the answer lists them; NULL with err on a store error. */
static json_t *hosts_json(struct jit_broker *b, const struct host_table *t, jit_error *err)
{
	json_t *hosts = json_array();
	time_t now = time(NULL);

	for (size_t i = 0; i < t->n; i++) {
		json_t *h = host_json(b, &t->items[i], now, err);

		if (h == NULL) {
			json_decref(hosts);
			return NULL;
		}
		json_array_append_new(hosts, h);
	}
	return hosts;
}

json_t *jit_op_hosts(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct host_table t = { NULL, 0, false };
	json_t *hosts, *r;
	jit_error err;

	(void)req;
	if (!jit_op_peer_may(b, peer, PRIV_AUDIT))
		return jit_op_refusal("denied", "not_auditor", "hosts needs uid 0 or a role with"
				      " audit = yes");
	for (size_t i = 0; i < b->cfg->n_policies; i++)
		add_hosts(&t, &b->cfg->policies[i].hosts, b->cfg->host);
	for (size_t i = 0; i < b->cfg->n_hostgroups; i++)
		add_hosts(&t, &b->cfg->hostgroups[i].hosts, b->cfg->host);
	if (t.out_of_memory || jit_store_hosts_each(b->store, add_changed_host, &t, &err) != 0) {
		free(t.items);
		return t.out_of_memory ? jit_broker_error("internal", "out of memory")
				       : jit_op_store_error("listing the hosts", &err);
	}
	hosts = hosts_json(b, &t, &err);
	free(t.items);
	if (hosts == NULL)
		return jit_op_store_error("describing a host", &err);
	r = jit_op_ok();
	json_object_set_new(r, "hosts", hosts);
	return r;
}
