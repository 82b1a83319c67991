/* SPDX-License-Identifier: ISC */
/* A grant as the protocol shows it, for the operations and for the
 * broker's events alike. */
#include "config.h"

#include "broker.h"
#include "ops.h"
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

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
	/* Open until it ends, but its logins all taken. */
	const char *state_name = state == JIT_GRANT_ACTIVE && g->used_up_at != 0
					 ? "used_up" : jit_grant_state_name(state);

	jit_cidr_format(&g->source, from, sizeof(from));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:I, s:s,"
			 " s:o, s:s?, s:s, s:I, s:o, s:s, s:s, s:s, s:I, s:o}",
			 "id", (json_int_t)g->id, "user", g->user, "requested_by", g->requested_by,
			 "role", g->role, "policy", g->policy, "from", from,
			 "ports", jit_ports_json(g->ports, g->n_ports), "host", g->host,
			 "created", jit_rfc3339_json(g->created), "not_before", jit_rfc3339_json(g->not_before),
			 "expires", jit_rfc3339_json(g->expires),
			 "expires_in", (json_int_t)(state == JIT_GRANT_ACTIVE ||
						    state == JIT_GRANT_SCHEDULED ? g->expires - now : 0),
			 "state", state_name,
			 "revoked_at", jit_rfc3339_json(g->revoked_at),
			 "revoked_by", g->revoked_at ? g->revoked_by : NULL,
			 "justification", g->justification, "uses", (json_int_t)g->uses,
			 "last_used", jit_rfc3339_json(g->last_used), "jti", g->jti,
			 "on_revoke", g->cut_on_revoke ? "terminate" : "keep",
			 "on_expiry", g->cut_on_expiry ? "terminate" : "keep",
			 "max_logins", (json_int_t)g->max_logins,
			 "used_up_at", jit_rfc3339_json(g->used_up_at));
}


/* --- back from JSON -------------------------------------------------------------- */

static int copy_string(json_t *j, const char *key, bool required, char *dst, size_t size,
		       jit_error *err)
{
	json_t *v = json_object_get(j, key);

	if ((v == NULL || json_is_null(v)) && !required) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return jit_error_set(err, "grant: '%s' is missing, not a string or too long", key);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int read_time(json_t *j, const char *key, bool required, time_t *t, jit_error *err)
{
	json_t *v = json_object_get(j, key);

	*t = 0;
	if ((v == NULL || json_is_null(v)) && !required)
		return 0;
	if (!json_is_string(v) || jit_rfc3339_parse(json_string_value(v), t) != 0)
		return jit_error_set(err, "grant: '%s' is not an RFC 3339 time", key);
	return 0;
}

static int read_ports(json_t *j, struct jit_grant *g, jit_error *err)
{
	json_t *ports = json_object_get(j, "ports"), *p;
	size_t i;

	if (!json_is_array(ports) || json_array_size(ports) == 0 ||
	    json_array_size(ports) > JIT_GRANT_PORTS_MAX)
		return jit_error_set(err, "grant: 'ports' must list 1 to %d ports",
				     JIT_GRANT_PORTS_MAX);
	json_array_foreach(ports, i, p) {
		if (!json_is_string(p) || jit_portspec_parse(json_string_value(p), &g->ports[i]) != 0)
			return jit_error_set(err, "grant: a port is not PORT/PROTO");
	}
	g->n_ports = json_array_size(ports);
	return 0;
}

/* max_logins; absent (a controller before it): no limit. */
static int read_max_logins(json_t *j, int64_t *max, jit_error *err)
{
	json_t *v = json_object_get(j, "max_logins");

	*max = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > JIT_MAX_LOGINS_MAX)
		return jit_error_set(err, "grant: 'max_logins' is not an integer from 0 to %d",
				     JIT_MAX_LOGINS_MAX);
	*max = json_integer_value(v);
	return 0;
}

/* on_revoke, on_expiry; absent (a controller before them): keep. */
static int read_sessions(json_t *j, const char *key, bool *terminate, jit_error *err)
{
	json_t *v = json_object_get(j, key);
	const char *text = json_string_value(v);

	if (v == NULL) {
		*terminate = false;
		return 0;
	}
	if (text == NULL || (strcmp(text, "keep") != 0 && strcmp(text, "terminate") != 0))
		return jit_error_set(err, "grant: '%s' is neither keep nor terminate", key);
	*terminate = strcmp(text, "terminate") == 0;
	return 0;
}

int jit_grant_from_json(json_t *j, struct jit_grant *g, jit_error *err)
{
	char from[JIT_CIDR_STRLEN + 1];
	json_t *id = json_object_get(j, "id");

	memset(g, 0, sizeof(*g));
	if (!json_is_object(j))
		return jit_error_set(err, "grant: not a JSON object");
	if (!json_is_integer(id) || json_integer_value(id) < 1)
		return jit_error_set(err, "grant: 'id' is missing or not a positive integer");
	g->id = json_integer_value(id);
	if (copy_string(j, "user", true, g->user, sizeof(g->user), err) != 0 ||
	    copy_string(j, "requested_by", true, g->requested_by, sizeof(g->requested_by), err) ||
	    copy_string(j, "role", true, g->role, sizeof(g->role), err) != 0 ||
	    copy_string(j, "policy", true, g->policy, sizeof(g->policy), err) != 0 ||
	    copy_string(j, "host", true, g->host, sizeof(g->host), err) != 0 ||
	    copy_string(j, "justification", true, g->justification, sizeof(g->justification),
			err) != 0 ||
	    copy_string(j, "jti", true, g->jti, sizeof(g->jti), err) != 0 ||
	    copy_string(j, "revoked_by", false, g->revoked_by, sizeof(g->revoked_by), err) != 0 ||
	    copy_string(j, "from", true, from, sizeof(from), err) != 0 ||
	    read_time(j, "created", true, &g->created, err) != 0 ||
	    read_time(j, "not_before", true, &g->not_before, err) != 0 ||
	    read_time(j, "expires", true, &g->expires, err) != 0 ||
	    read_time(j, "revoked_at", false, &g->revoked_at, err) != 0 ||
	    read_ports(j, g, err) != 0 ||
	    read_sessions(j, "on_revoke", &g->cut_on_revoke, err) != 0 ||
	    read_sessions(j, "on_expiry", &g->cut_on_expiry, err) != 0 ||
	    read_max_logins(j, &g->max_logins, err) != 0)
		return -1;
	if (!jit_config_valid_name(g->user) || !jit_config_valid_name(g->requested_by) ||
	    !jit_config_valid_host(g->host))
		return jit_error_set(err, "grant: a user name or the host id is not valid");
	if (jit_cidr_parse(from, &g->source) != 0)
		return jit_error_set(err, "grant: 'from' is not a CIDR");
	if (g->expires <= g->not_before)
		return jit_error_set(err, "grant: it ends before it starts");
	return 0;
}
