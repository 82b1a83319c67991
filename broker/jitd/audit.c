/* SPDX-License-Identifier: ISC */
/* The audit log as the operations write it: every string bounded and
 * stripped of control characters whoever sent it, and denials audited at
 * most audit_denials' N per caller and period, the rest as one count. */
#include "config.h"

#include "broker.h"
#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

void jit_audit_clean(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; in[n] != '\0' && n + 1 < size; n++) {
		unsigned char c = (unsigned char)in[n];

		out[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	/* Cut at a character's start, never inside a UTF-8 sequence. */
	if (in[n] != '\0')
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;
	out[n] = '\0';
}

json_t *jit_broker_remote_json(const struct jit_peer *peer)
{
	char addr[JIT_CIDR_STRLEN];

	if (!peer->remote)
		return NULL;
	jit_addr_format(&peer->remote_address, addr, sizeof(addr));
	return json_pack("{s:s, s:s, s:s}", "via", peer->front_door, "address", addr, "key",
			 peer->remote_key);
}

/* details as stored: compact JSON of at most JIT_AUDIT_DETAILS_MAX bytes,
 * else only how long it was. NULL when there are none. */
static char *details_text(json_t *details)
{
	char *text = details ? json_dumps(details, JSON_COMPACT) : NULL;
	size_t len = text ? strlen(text) : 0;

	if (len <= JIT_AUDIT_DETAILS_MAX)
		return text;
	free(text);
	text = malloc(64);
	if (text != NULL)
		(void)snprintf(text, 64, "{\"truncated\":%zu}", len);
	return text;
}

void jit_broker_audit(struct jit_broker *b, const struct jit_peer *peer, const char *action,
		      const char *subject, const char *result, const char *reason, json_t *details)
{
	char actor[JIT_NAME_MAX], subj[JIT_AUDIT_SUBJECT_MAX], why[JIT_AUDIT_REASON_MAX], *text;
	jit_error err;

	if (peer->remote) {
		if (details == NULL)
			details = json_object();
		json_object_set_new(details, "remote", jit_broker_remote_json(peer));
	}
	text = details_text(details);
	json_decref(details);
	jit_audit_clean(peer->user, actor, sizeof(actor));
	jit_audit_clean(subject ? subject : "", subj, sizeof(subj));
	jit_audit_clean(reason ? reason : "", why, sizeof(why));
	struct jit_audit_entry e = { .time = time(NULL), .actor = actor, .action = action,
				     .subject = subject ? subj : NULL, .result = result,
				     .reason = reason ? why : NULL, .details = text };

	if (jit_store_audit_add(b->store, &e, &err) != 0)
		log_error("audit log: %s (lost: %s %s %s %s)", err.msg, actor, action, result, why);
	free(text);
}

static void quota_key(const struct jit_peer *peer, char *key, size_t size)
{
	if (peer->remote)
		(void)snprintf(key, size, "remote:%s", peer->user);
	else
		(void)snprintf(key, size, "uid:%u", (unsigned)peer->uid);
}

/* One entry for the denials a window left unaudited. */
static void quota_summarise(struct jit_broker *b, struct jit_denial_quota *q)
{
	char reason[JIT_AUDIT_REASON_MAX];
	struct jit_audit_entry e = { .time = time(NULL), .actor = q->actor, .action = "denials",
				     .result = "suppressed", .reason = reason };
	jit_error err;
	char period[32];

	jit_duration_format(b->cfg->audit_denials.period, period, sizeof(period));
	(void)snprintf(reason, sizeof(reason), "%lu more denials of %s within %s were not"
		       " audited one by one (audit_denials: the first %u were)", q->suppressed,
		       q->key, period, b->cfg->audit_denials.burst);
	if (jit_store_audit_add(b->store, &e, &err) != 0)
		log_error("audit log: %s (lost: %s)", err.msg, reason);
	log_warn("%s", reason);
	q->suppressed = 0;
}

/* The slot counting key's denials: its own, else a free one, else the one
 * idle longest (summarised first). */
static struct jit_denial_quota *quota_slot(struct jit_broker *b, const char *key,
					   const char *actor, int64_t now)
{
	struct jit_denial_quota *q = NULL;

	for (size_t i = 0; i < JIT_DENIAL_QUOTAS; i++) {
		struct jit_denial_quota *c = &b->denial_quota[i];

		if (strcmp(c->key, key) == 0)
			return c;
		if (q == NULL || c->key[0] == '\0' ||
		    (q->key[0] != '\0' && c->window_ms < q->window_ms))
			q = c;
	}
	if (q->suppressed > 0)
		quota_summarise(b, q);
	memset(q, 0, sizeof(*q));
	(void)snprintf(q->key, sizeof(q->key), "%s", key);
	jit_audit_clean(actor, q->actor, sizeof(q->actor));
	q->window_ms = now;
	return q;
}

void jit_broker_audit_denial(struct jit_broker *b, const struct jit_peer *peer,
			     const char *action, const char *subject, const char *reason,
			     json_t *details)
{
	const struct jit_rate_limit *lim = &b->cfg->audit_denials;
	int64_t now = jit_monotonic_ms();
	char key[JIT_RATE_KEY_MAX];
	struct jit_denial_quota *q;

	if ((peer->uid == 0 && !peer->remote) || lim->burst == 0) {
		jit_broker_audit(b, peer, action, subject, "denied", reason, details);
		return;
	}
	quota_key(peer, key, sizeof(key));
	q = quota_slot(b, key, peer->user, now);
	if (now - q->window_ms >= lim->period * 1000) {
		if (q->suppressed > 0)
			quota_summarise(b, q);
		q->window_ms = now;
		q->used = 0;
	}
	if (q->used < lim->burst) {
		q->used++;
		jit_broker_audit(b, peer, action, subject, "denied", reason, details);
		return;
	}
	q->suppressed++;
	json_decref(details);
}

bool jit_broker_audit_pending(const struct jit_broker *b)
{
	for (size_t i = 0; i < JIT_DENIAL_QUOTAS; i++)
		if (b->denial_quota[i].suppressed > 0)
			return true;
	return false;
}

void jit_broker_audit_flush(struct jit_broker *b)
{
	int64_t now = jit_monotonic_ms();

	for (size_t i = 0; i < JIT_DENIAL_QUOTAS; i++) {
		struct jit_denial_quota *q = &b->denial_quota[i];

		if (q->suppressed > 0 && now - q->window_ms >= b->cfg->audit_denials.period * 1000)
			quota_summarise(b, q);
	}
}
