/* SPDX-License-Identifier: ISC */
/* Locks: lock, locks and unlock, and the check requests, extensions and
 * logins pass. A lock names a user, a role, a source prefix or a host;
 * while it is in force, a matching request or login is refused with its
 * reason, and the grants it matches were revoked when it was made. */
#include "config.h"

#include "broker.h"
#include "log.h"
#include "ops.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_TTL_MAX (366 * 86400)

const struct field jit_lock_fields[] = {
	{ "user", F_STRING, false, JIT_NAME_MAX - 1, 0 },
	{ "role", F_STRING, false, JIT_NAME_MAX - 1, 0 },
	{ "source", F_STRING, false, JIT_CIDR_STRLEN, 0 },
	{ "host", F_STRING, false, JIT_HOST_MAX - 1, 0 },
	{ "ttl", F_INT, false, 0, 0 },
	{ "reason", F_STRING, true, JIT_JUSTIFICATION_MAX - 1, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

const struct field jit_unlock_fields[] = {
	{ "id", F_INT, true, 0, 0 },
	{ NULL, F_STRING, false, 0, 0 },
};

/* What a lock is checked against: a request's or a grant's. */
struct lock_subject {
	const char *user, *role, *host;
	const struct jit_cidr *source;
};

static bool lock_matches(const struct jit_lock *l, const struct lock_subject *s)
{
	struct jit_cidr cidr;

	switch (l->kind) {
	case JIT_LOCK_USER: return s->user != NULL && strcmp(l->target, s->user) == 0;
	case JIT_LOCK_ROLE: return s->role != NULL && strcmp(l->target, s->role) == 0;
	case JIT_LOCK_HOST: return s->host != NULL && strcmp(l->target, s->host) == 0;
	case JIT_LOCK_SOURCE:
		return s->source != NULL && jit_cidr_parse(l->target, &cidr) == 0 &&
		       jit_cidr_overlap(&cidr, s->source);
	}
	return false;
}

struct lock_search {
	const struct lock_subject *subject;
	struct jit_lock found;
	bool matched;
};

static int find_lock(const struct jit_lock *l, void *ctx)
{
	struct lock_search *q = ctx;

	if (!lock_matches(l, q->subject))
		return 0;
	q->found = *l;
	q->matched = true;
	return 1;
}

/* The first lock in force matching s: 1 with *found, 0, or -1 (a store
 * error: the caller refuses, failing closed). */
static int matching_lock(struct jit_broker *b, const struct lock_subject *s, time_t now,
			 struct jit_lock *found, jit_error *err)
{
	struct lock_search q = { .subject = s };

	if (jit_store_locks_each(b->store, now, find_lock, &q, err) != 0)
		return -1;
	if (q.matched)
		*found = q.found;
	return q.matched ? 1 : 0;
}

static void lock_reason(const struct jit_lock *l, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%s %s is locked (lock %lld by %s): %s", jit_lock_kind_name(l->kind),
		       l->target, (long long)l->id, l->by, l->reason);
}

int jit_lock_check(struct jit_broker *b, const char *user, const char *role,
		   const struct jit_cidr *source, const char *host, time_t now, char *reason,
		   size_t size)
{
	struct lock_subject s = { .user = user, .role = role, .host = host, .source = source };
	struct jit_lock l;
	jit_error err;
	int rc = matching_lock(b, &s, now, &l, &err);

	if (rc < 0)
		(void)snprintf(reason, size, "the locks could not be read: %s", err.msg);
	else if (rc > 0)
		lock_reason(&l, reason, size);
	return rc != 0 ? -1 : 0;
}

static json_t *lock_json(const struct jit_lock *l)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)l->id, "kind",
			 jit_lock_kind_name(l->kind), "target", l->target, "reason", l->reason,
			 "by", l->by, "created", jit_rfc3339_json(l->created), "expires",
			 jit_rfc3339_json(l->expires));
}

/* --- lock ------------------------------------------------------------------------------- */

/* The lock the request describes, checked; NULL, else the refusal. */
static json_t *read_lock(const struct jit_broker *b, json_t *req, struct jit_lock *l)
{
	static const char *const keys[] = { "user", "role", "source", "host" };
	const char *target = NULL, *reason = jit_op_str(req, "reason");
	json_t *ttl = json_object_get(req, "ttl");
	struct jit_cidr cidr;
	int given = 0;

	memset(l, 0, sizeof(*l));
	for (int i = 0; i < 4; i++)
		if (jit_op_str(req, keys[i]) != NULL) {
			target = jit_op_str(req, keys[i]);
			l->kind = (enum jit_lock_kind)i;
			given++;
		}
	if (given != 1)
		return jit_op_error("bad_request", "a lock names one of user, role, source and host");
	if ((l->kind == JIT_LOCK_USER && !jit_config_valid_name(target)) ||
	    (l->kind == JIT_LOCK_HOST && !jit_config_valid_host(target)))
		return jit_op_error("bad_request", "%s: '%s' is not a valid %s",
				    jit_lock_kind_name(l->kind), target,
				    l->kind == JIT_LOCK_HOST ? "host id" : "name");
	if (l->kind == JIT_LOCK_ROLE && jit_config_role(b->cfg, target) == NULL)
		return jit_op_error("bad_request", "role: no role named '%s'", target);
	if (l->kind == JIT_LOCK_SOURCE && jit_cidr_parse(target, &cidr) != 0)
		return jit_op_error("bad_request", "source: '%s' is not an address or CIDR"
				    " (host bits must be zero)", target);
	if (reason[0] == '\0')
		return jit_op_error("bad_request", "reason: a lock needs one");
	if (ttl != NULL && (json_integer_value(ttl) < 1 || json_integer_value(ttl) > LOCK_TTL_MAX))
		return jit_op_error("bad_request", "ttl: from 1 second to 366 days");
	if (l->kind == JIT_LOCK_SOURCE)
		jit_cidr_format(&cidr, l->target, sizeof(l->target));
	else
		(void)snprintf(l->target, sizeof(l->target), "%s", target);
	(void)snprintf(l->reason, sizeof(l->reason), "%s", reason);
	l->created = time(NULL);
	l->expires = ttl ? l->created + (time_t)json_integer_value(ttl) : 0;
	return NULL;
}

struct lock_sweep {
	const struct jit_lock *lock;
	int64_t *ids;
	size_t n, cap;
};

static int collect_locked(const struct jit_grant *g, void *ctx)
{
	struct lock_sweep *w = ctx;
	struct lock_subject s = { .user = g->user, .role = g->role, .host = g->host,
				  .source = &g->source };

	if (!lock_matches(w->lock, &s))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		int64_t *grown = realloc(w->ids, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		w->ids = grown;
		w->cap = cap;
	}
	w->ids[w->n++] = g->id;
	return 0;
}

/* Every grant not yet over that the new lock matches, revoked (its
 * sessions cut where its policy says so): their ids. */
static json_t *revoke_locked(struct jit_broker *b, struct jit_peer *peer, const struct jit_lock *l)
{
	struct jit_grant_filter f = { .active_only = true, .now = time(NULL) };
	struct lock_sweep w = { .lock = l };
	json_t *ids = json_array();
	jit_error err;

	if (jit_store_grants_each(b->store, &f, collect_locked, &w, &err) != 0)
		log_error("lock %lld: finding its grants: %s", (long long)l->id, err.msg);
	for (size_t i = 0; i < w.n; i++) {
		struct jit_grant g;
		json_t *r;

		if (jit_store_grant_get(b->store, w.ids[i], &g, &err) != 1)
			continue;
		r = jit_revoke_grant(b, peer, &g, false, f.now);
		if (json_is_true(json_object_get(r, "ok")))
			json_array_append_new(ids, json_integer(w.ids[i]));
		json_decref(r);
	}
	free(w.ids);
	return ids;
}

json_t *jit_op_lock(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	struct jit_audit_entry e = { .actor = peer->user, .action = "lock", .result = "ok" };
	struct jit_lock l;
	json_t *refused, *resp;
	jit_error err;

	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "lock");
	if (!jit_op_peer_may(b, peer, PRIV_LOCK)) {
		jit_broker_audit_denial(b, peer, "lock", NULL, "needs uid 0 or a role with lock = yes",
					NULL);
		return jit_op_refusal("denied", "not_locker", "locking needs uid 0 or a role with"
				      " lock = yes");
	}
	refused = read_lock(b, req, &l);
	if (refused != NULL)
		return refused;
	(void)snprintf(l.by, sizeof(l.by), "%s", peer->user);
	e.time = l.created;
	e.subject = l.kind == JIT_LOCK_USER ? l.target : NULL;
	e.reason = l.reason;
	if (jit_store_lock_add(b->store, &l, &e, &err) != 0)
		return jit_op_store_error("recording the lock", &err);
	log_warn("lock %lld by %s: %s %s: %s", (long long)l.id, l.by, jit_lock_kind_name(l.kind),
		 l.target, l.reason);
	resp = jit_op_ok();
	json_object_set_new(resp, "lock", lock_json(&l));
	json_object_set_new(resp, "revoked", revoke_locked(b, peer, &l));
	jit_broker_event(b, "lock", json_pack("{s:o}", "lock", lock_json(&l)));
	return resp;
}

/* --- locks and unlock ---------------------------------------------------------------------- */

static int add_lock(const struct jit_lock *l, void *ctx)
{
	return json_array_append_new(ctx, lock_json(l)) == 0 ? 0 : -1;
}

/* uid 0, roles with lock = yes and audit roles. */
static bool may_see_locks(const struct jit_broker *b, struct jit_peer *peer)
{
	return jit_op_peer_may(b, peer, PRIV_LOCK) || jit_op_peer_may(b, peer, PRIV_AUDIT);
}

json_t *jit_op_locks(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_t *list = json_array(), *resp;
	jit_error err;

	(void)req;
	if (b->cfg->enforcer) {
		json_decref(list);
		return jit_op_ask_controller(b, "list the locks");
	}
	if (!may_see_locks(b, peer)) {
		json_decref(list);
		return jit_op_refusal("denied", "not_locker", "the locks are for uid 0 and roles with"
				      " lock = yes or audit = yes");
	}
	if (jit_store_locks_each(b->store, time(NULL), add_lock, list, &err) != 0) {
		json_decref(list);
		return jit_op_store_error("reading the locks", &err);
	}
	resp = jit_op_ok();
	json_object_set_new(resp, "locks", list);
	return resp;
}

json_t *jit_op_unlock(struct jit_broker *b, struct jit_peer *peer, json_t *req)
{
	json_int_t id = json_integer_value(json_object_get(req, "id"));
	char details[64];
	struct jit_audit_entry e = { .time = time(NULL), .actor = peer->user, .action = "unlock",
				     .result = "ok", .details = details };
	jit_error err;
	int rc;

	if (b->cfg->enforcer)
		return jit_op_ask_controller(b, "unlock");
	if (!jit_op_peer_may(b, peer, PRIV_LOCK))
		return jit_op_refusal("denied", "not_locker", "unlocking needs uid 0 or a role with"
				      " lock = yes");
	(void)snprintf(details, sizeof(details), "{\"lock\":%lld}", (long long)id);
	rc = jit_store_lock_remove(b->store, id, peer->user, e.time, &e, &err);
	if (rc < 0)
		return jit_op_store_error("removing the lock", &err);
	if (rc == 0)
		return jit_op_refusal("not_found", "no_such_lock", "no lock in force with this id");
	log_warn("lock %lld removed by %s", (long long)id, peer->user);
	return jit_op_ok();
}
