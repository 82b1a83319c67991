/* SPDX-License-Identifier: ISC */
/* A grant as the protocol shows it, for the operations and for the
 * broker's events alike. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "timeutil.h"

#include <stdio.h>

json_t *jit_rfc3339_json(time_t t)
{
	char buf[JIT_RFC3339_LEN];

	if (t == 0 || jit_rfc3339_format(t, buf) != 0)
		return json_null();
	return json_string(buf);
}

json_t *jit_ports_json(const struct jit_portspec *ports, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char p[JIT_PORTSPEC_STRLEN];

		jit_portspec_format(&ports[i], p, sizeof(p));
		json_array_append_new(a, json_string(p));
	}
	return a;
}

json_t *jit_grant_json(const struct jit_grant *g, time_t now)
{
	char from[JIT_CIDR_STRLEN];
	enum jit_grant_state state = jit_grant_state(g, now);

	jit_cidr_format(&g->source, from, sizeof(from));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:I, s:s,"
			 " s:o, s:s?, s:s, s:I, s:o, s:s}",
			 "id", (json_int_t)g->id, "user", g->user, "requested_by", g->requested_by,
			 "role", g->role, "policy", g->policy, "from", from,
			 "ports", jit_ports_json(g->ports, g->n_ports), "host", g->host,
			 "created", jit_rfc3339_json(g->created), "not_before", jit_rfc3339_json(g->not_before),
			 "expires", jit_rfc3339_json(g->expires),
			 "expires_in", (json_int_t)(state == JIT_GRANT_ACTIVE ? g->expires - now : 0),
			 "state", jit_grant_state_name(state),
			 "revoked_at", jit_rfc3339_json(g->revoked_at),
			 "revoked_by", g->revoked_at ? g->revoked_by : NULL,
			 "justification", g->justification, "uses", (json_int_t)g->uses,
			 "last_used", jit_rfc3339_json(g->last_used), "jti", g->jti);
}

