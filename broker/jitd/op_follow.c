/* SPDX-License-Identifier: ISC */
/* What an enforcer asks its controller, through jit-sshd with its host's
 * key: follow (the host's changes from a sequence number on, pushed on the
 * same connection by the server) and ack (how far it has applied them). */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
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
