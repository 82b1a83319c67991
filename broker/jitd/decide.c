/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "decide.h"

#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *jit_denial_name(enum jit_denial d)
{
	switch (d) {
	case JIT_GRANTED: return "granted";
	case JIT_DENY_NO_ROLE: return "no_role";
	case JIT_DENY_FOR_OTHERS: return "not_allowed_for_others";
	case JIT_DENY_PORT: return "port_not_allowed";
	case JIT_DENY_NO_SOURCE: return "no_source";
	case JIT_DENY_SOURCE: return "source_not_allowed";
	case JIT_DENY_DURATION_POLICY: return "duration_exceeds_policy";
	case JIT_DENY_DURATION_ROLE: return "duration_exceeds_role";
	case JIT_DENY_JUSTIFICATION: return "justification_required";
	case JIT_DENY_DURATION_FIREWALL: return "duration_exceeds_firewall";
	case JIT_DENY_HOST: return "host_not_allowed";
	case JIT_DENY_ADVANCE: return "start_too_far";
	case JIT_DENY_LOCKED: return "locked";
	}
	return "unknown";
}

static enum jit_denial deny(struct jit_decision *out, enum jit_denial d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum jit_denial deny(struct jit_decision *out, enum jit_denial d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	out->denial = d;
	return d;
}

bool jit_caller_in_role(const struct jit_caller *caller, const struct jit_role *role)
{
	if (caller->remote)
		return jit_names_contain(&role->remote_users, caller->user);
	if (jit_names_contain(&role->users, caller->user))
		return true;
	for (size_t i = 0; i < caller->n_groups; i++)
		if (jit_names_contain(&role->groups, caller->groups[i]))
			return true;
	return false;
}

static bool policy_admits_source(const struct jit_policy *pol, const struct jit_cidr *src)
{
	if (pol->any_source)
		return true;
	for (size_t i = 0; i < pol->n_sources; i++)
		if (jit_cidr_within(src, &pol->sources[i]))
			return true;
	return false;
}

static bool has_justification(const struct jit_request *req)
{
	return req->justification != NULL && req->justification[0] != '\0';
}

int64_t jit_policy_max_for(const struct jit_role *role, const struct jit_policy *pol)
{
	if (role != NULL && role->max_duration > 0 && role->max_duration < pol->max_duration)
		return role->max_duration;
	return pol->max_duration;
}

/* A duration refusal; the text is built only when refusing. */
static enum jit_denial deny_duration(struct jit_decision *out, enum jit_denial d,
				     int64_t duration, const char *kind, const char *name,
				     int64_t max)
{
	char asked[16], limit[16];

	jit_duration_format(duration, asked, sizeof(asked));
	jit_duration_format(max, limit, sizeof(limit));
	return deny(out, d, "duration %s exceeds %s %s's maximum of %s", asked, kind, name, limit);
}

/* Why `pol` cannot grant the request under `role` for `duration`; JIT_GRANTED if it can. */
static enum jit_denial policy_check(const struct jit_role *role, const struct jit_policy *pol,
				    const struct jit_request *req, int64_t duration,
				    struct jit_decision *out)
{
	if (!policy_admits_source(pol, &req->source)) {
		char a[JIT_CIDR_STRLEN];

		jit_cidr_format(&req->source, a, sizeof(a));
		return deny(out, JIT_DENY_SOURCE, "source %s is outside the prefixes of policy %s",
			    a, pol->name);
	}
	if (duration > pol->max_duration)
		return deny_duration(out, JIT_DENY_DURATION_POLICY, duration, "policy", pol->name,
				     pol->max_duration);
	if (role != NULL && role->max_duration > 0 && duration > role->max_duration)
		return deny_duration(out, JIT_DENY_DURATION_ROLE, duration, "role", role->name,
				     role->max_duration);
	if (pol->justification_required && !has_justification(req))
		return deny(out, JIT_DENY_JUSTIFICATION, "policy %s requires a justification",
			    pol->name);
	if (req->advance > pol->max_advance) {
		char ahead[16], max[16];

		jit_duration_format(req->advance, ahead, sizeof(ahead));
		jit_duration_format(pol->max_advance, max, sizeof(max));
		return deny(out, JIT_DENY_ADVANCE, "it starts in %s; policy %s allows %s ahead"
			    " (max_advance)", ahead, pol->name, max);
	}
	return JIT_GRANTED;
}

/* The duration asked, or else the default brought within what the role
 * and this policy allow. */
static int64_t duration_for(const struct jit_config *cfg, const struct jit_role *role,
			    const struct jit_policy *pol, const struct jit_request *req)
{
	int64_t max = jit_policy_max_for(role, pol);

	if (req->duration > 0)
		return req->duration;
	return cfg->default_duration < max ? cfg->default_duration : max;
}

/* Finds a policy (of `role`, or any for uid 0's NULL role) covering port
 * `p` that grants the request. Several may cover a port: the first that
 * grants wins, and the first one's refusal is reported when none does. */
static enum jit_denial port_policy(const struct jit_config *cfg, const struct jit_role *role,
				   const struct jit_request *req, size_t p,
				   const struct jit_policy **chosen, int64_t *duration,
				   struct jit_decision *why)
{
	size_t n_candidates = role ? role->n_policies : cfg->n_policies;
	const char *host = req->host != NULL ? req->host : cfg->host;
	bool covered = false, elsewhere = false;
	char port[JIT_PORTSPEC_STRLEN];

	for (size_t k = 0; k < n_candidates; k++) {
		const struct jit_policy *pol = &cfg->policies[role ? role->policies[k] : k];
		struct jit_decision attempt = { .denial = JIT_GRANTED };
		int64_t d;

		if (!jit_portspec_in(pol->ports, pol->n_ports, &req->ports[p]))
			continue;
		if (!jit_policy_covers(pol, host)) {
			elsewhere = true;
			continue;
		}
		d = duration_for(cfg, role, pol, req);
		if (role == NULL || policy_check(role, pol, req, d, &attempt) == JIT_GRANTED) {
			*chosen = pol;
			*duration = d;
			return JIT_GRANTED;
		}
		if (!covered)
			*why = attempt;
		covered = true;
	}
	if (covered)
		return why->denial;
	jit_portspec_format(&req->ports[p], port, sizeof(port));
	if (elsewhere && role != NULL)
		return deny(why, JIT_DENY_HOST, "no policy of role %s covers %s on host %.64s",
			    role->name, port, host);
	if (elsewhere)
		return deny(why, JIT_DENY_HOST, "no policy covers %s on host %.64s", port, host);
	if (role != NULL)
		return deny(why, JIT_DENY_PORT, "no policy of role %s covers %s", role->name, port);
	return deny(why, JIT_DENY_PORT, "no policy covers %s", port);
}

/* Every port granted under `role` (NULL: uid 0), or the first refusal. The
 * grant lasts the shortest of the ports' durations: shortening a window
 * never breaks a maximum. */
static enum jit_denial role_check(const struct jit_config *cfg, const struct jit_role *role,
				  const struct jit_request *req, struct jit_decision *out)
{
	int64_t shortest = INT64_MAX;

	for (size_t p = 0; p < req->n_ports; p++) {
		int64_t d = 0;

		if (port_policy(cfg, role, req, p, &out->policy[p], &d, out) != JIT_GRANTED)
			return out->denial;
		if (d < shortest)
			shortest = d;
	}
	if (shortest > cfg->duration_cap && cfg->duration_cap > 0) {
		char asked[16], cap[16];

		jit_duration_format(shortest, asked, sizeof(asked));
		jit_duration_format(cfg->duration_cap, cap, sizeof(cap));
		return deny(out, JIT_DENY_DURATION_FIREWALL, "duration %s exceeds the %s firewall's"
			    " longest window, %s", asked, jit_firewall_name(cfg->firewall), cap);
	}
	out->duration = shortest;
	out->role = role;
	out->denial = JIT_GRANTED;
	out->reason[0] = '\0';
	return JIT_GRANTED;
}

enum jit_denial jit_decide(const struct jit_config *cfg, const struct jit_caller *caller,
			   const struct jit_request *req, struct jit_decision *out)
{
	struct jit_decision best;
	bool any_role = false;
	bool asked_for_other = req->for_user != NULL && strcmp(req->for_user, caller->user) != 0;

	memset(out, 0, sizeof(*out));
	if (req->n_ports == 0 || req->n_ports > JIT_REQUEST_PORTS_MAX)
		return deny(out, JIT_DENY_PORT, "a request names 1 to %d ports", JIT_REQUEST_PORTS_MAX);
	if (!req->has_source)
		return deny(out, JIT_DENY_NO_SOURCE, "no source address or prefix given");
	if (caller->uid == 0)
		return role_check(cfg, NULL, req, out);
	memset(&best, 0, sizeof(best));
	best.denial = JIT_DENY_NO_ROLE;
	(void)snprintf(best.reason, sizeof(best.reason), "%s is in no role", caller->user);
	for (size_t r = 0; r < cfg->n_roles; r++) {
		const struct jit_role *role = &cfg->roles[r];
		struct jit_decision attempt = { .denial = JIT_GRANTED };

		if (!jit_caller_in_role(caller, role))
			continue;
		if (asked_for_other && !role->grant_others)
			(void)deny(&attempt, JIT_DENY_FOR_OTHERS, "role %s may not request for other users",
			     role->name);
		else if (role_check(cfg, role, req, &attempt) == JIT_GRANTED) {
			*out = attempt;
			return JIT_GRANTED;
		}
		/* Report the first role's reason: roles are tried in file order. */
		if (!any_role)
			best = attempt;
		any_role = true;
	}
	*out = best;
	return out->denial;
}
