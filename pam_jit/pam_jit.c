/* SPDX-License-Identifier: ISC */
/* pam_jit: checks a jit ticket at login (auth), or that jitd holds an
 * active grant for this login (account, mode=grant). Thin glue around lib/:
 * no global mutable state, no exit(), no signals touched. */
#include "config.h"

#include "jit_error.h"
#include "keys.h"
#include "netaddr.h"
#include "paseto.h"
#include "proto.h"
#include "ticket.h"
#include "timeutil.h"

#include <dirent.h>
#include <jansson.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define DEFAULT_PUBKEY "/etc/jit/broker.pub"
#define DEFAULT_PROMPT "JIT ticket: "
#define KEYS_MAX 32

enum mode { MODE_TICKET, MODE_GRANT };

struct options {
	bool debug, use_first_pass, try_first_pass, online, failmode_offline;
	enum mode mode;
	const char *pubkey, *keydir, *socket, *prompt;
	char host[JIT_CLAIM_MAX];
	struct jit_portspec port;
	bool has_port;
	int64_t skew;
	int timeout_ms;
};

/* --- options ------------------------------------------------------------------------ */

static const char *value_of(const char *arg, const char *name)
{
	size_t len = strlen(name);

	return strncmp(arg, name, len) == 0 && arg[len] == '=' ? arg + len + 1 : NULL;
}

static int choose(const char *v, const char *a, const char *b, bool *is_b)
{
	if (strcmp(v, a) == 0)
		*is_b = false;
	else if (strcmp(v, b) == 0)
		*is_b = true;
	else
		return -1;
	return 0;
}

/* One option; -1 when it is unknown or its value does not parse. */
static int parse_option(const char *arg, struct options *o)
{
	const char *v;
	int64_t secs;
	bool grant;

	if (strcmp(arg, "debug") == 0)
		o->debug = true;
	else if (strcmp(arg, "use_first_pass") == 0)
		o->use_first_pass = true;
	else if (strcmp(arg, "try_first_pass") == 0)
		o->try_first_pass = true;
	else if ((v = value_of(arg, "pubkey")) != NULL && v[0] == '/')
		o->pubkey = v;
	else if ((v = value_of(arg, "keydir")) != NULL && v[0] == '/')
		o->keydir = v;
	else if ((v = value_of(arg, "socket")) != NULL && v[0] == '/')
		o->socket = v;
	else if ((v = value_of(arg, "prompt")) != NULL && v[0] != '\0')
		o->prompt = v;
	else if ((v = value_of(arg, "host")) != NULL && v[0] != '\0' && strlen(v) < sizeof(o->host))
		memcpy(o->host, v, strlen(v) + 1);
	else if ((v = value_of(arg, "port")) != NULL && jit_portspec_parse(v, &o->port) == 0)
		o->has_port = true;
	else if ((v = value_of(arg, "revocation")) != NULL)
		return choose(v, "online", "offline", &grant) == 0 ? (o->online = !grant, 0) : -1;
	else if ((v = value_of(arg, "failmode")) != NULL)
		return choose(v, "secure", "offline", &o->failmode_offline);
	else if ((v = value_of(arg, "mode")) != NULL)
		return choose(v, "ticket", "grant", &grant) == 0 ? (o->mode = grant ? MODE_GRANT
									: MODE_TICKET, 0) : -1;
	else if ((v = value_of(arg, "skew")) != NULL && jit_duration_parse(v, &secs) == 0 && secs <= 300)
		o->skew = secs;
	else if ((v = value_of(arg, "timeout")) != NULL && jit_duration_parse(v, &secs) == 0 &&
		 secs <= 60)
		o->timeout_ms = (int)secs * 1000;
	else
		return -1;
	return 0;
}

/* The port a service's logins come to, when port= is not given. */
static int service_port(pam_handle_t *pamh, struct options *o)
{
	const void *service = NULL;

	if (o->has_port)
		return 0;
	if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS || service == NULL)
		return -1;
	if (strcmp(service, "sshd") == 0)
		return jit_portspec_parse("22/tcp", &o->port);
	if (strcmp(service, "xrdp-sesman") == 0)
		return jit_portspec_parse("3389/tcp", &o->port);
	pam_syslog(pamh, LOG_ERR, "no port= option, and service %s has no default port",
		   (const char *)service);
	return -1;
}

/* PAM_SUCCESS, or PAM_SERVICE_ERR with the bad option logged. */
static int parse_options(pam_handle_t *pamh, int argc, const char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->online = true;
	o->pubkey = DEFAULT_PUBKEY;
	o->socket = JIT_DEFAULT_SOCKET;
	o->prompt = DEFAULT_PROMPT;
	o->skew = 30;
	o->timeout_ms = 2000;
	for (int i = 0; i < argc; i++) {
		if (parse_option(argv[i], o) != 0) {
			pam_syslog(pamh, LOG_ERR, "unknown or malformed option '%s'", argv[i]);
			return PAM_SERVICE_ERR;
		}
	}
	if (o->host[0] == '\0' && gethostname(o->host, sizeof(o->host) - 1) != 0) {
		pam_syslog(pamh, LOG_ERR, "no host= option and no host name");
		return PAM_SERVICE_ERR;
	}
	if (service_port(pamh, o) != 0)
		return PAM_SERVICE_ERR;
	if (o->debug) {
		char port[JIT_PORTSPEC_STRLEN];

		jit_portspec_format(&o->port, port, sizeof(port));
		pam_syslog(pamh, LOG_DEBUG, "host=%s port=%s socket=%s keys=%s revocation=%s"
			   " failmode=%s skew=%llds timeout=%dms", o->host, port, o->socket,
			   o->keydir ? o->keydir : o->pubkey, o->online ? "online" : "offline",
			   o->failmode_offline ? "offline" : "secure", (long long)o->skew,
			   o->timeout_ms);
	}
	return PAM_SUCCESS;
}

/* --- the login ------------------------------------------------------------------------- */

struct login {
	const char *user;
	const char *rhost;
	struct jit_addr from;
};

/* PAM_SUCCESS with user and numeric rhost, else the refusal, logged. */
static int get_login(pam_handle_t *pamh, struct login *l)
{
	const void *rhost = NULL;

	if (pam_get_user(pamh, &l->user, NULL) != PAM_SUCCESS || l->user == NULL) {
		pam_syslog(pamh, LOG_ERR, "no user name");
		return PAM_USER_UNKNOWN;
	}
	if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS || rhost == NULL ||
	    ((const char *)rhost)[0] == '\0') {
		pam_syslog(pamh, LOG_NOTICE, "refused %s: no remote address (PAM_RHOST)", l->user);
		return PAM_AUTH_ERR;
	}
	l->rhost = rhost;
	if (jit_addr_parse(l->rhost, &l->from) != 0) {
		pam_syslog(pamh, LOG_NOTICE, "refused %s: rhost '%.64s' is not a numeric address"
			   " (sshd: UseDNS no)", l->user, l->rhost);
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

/* --- keys ----------------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* keydir's *.pub files, in no particular order; the footer kid picks one.
 * More than KEYS_MAX is refused rather than some of them read. */
static int load_keydir(pam_handle_t *pamh, const char *dir, struct jit_public_key *keys,
		       size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL) {
		pam_syslog(pamh, LOG_ERR, "keydir %s: %m", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		jit_error err;

		if (e->d_name[0] == '.' || !ends_with(e->d_name, ".pub"))
			continue;
		if (*n == KEYS_MAX) {
			pam_syslog(pamh, LOG_ERR, "keydir %s holds more than %d *.pub files: remove"
				   " retired keys; no ticket is accepted until then", dir, KEYS_MAX);
			closedir(d);
			return -1;
		}
		(void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (jit_public_key_load(path, &keys[*n], &err) == 0)
			(*n)++;
		else
			pam_syslog(pamh, LOG_ERR, "%s", err.msg);
	}
	closedir(d);
	return 0;
}

static int load_keys(pam_handle_t *pamh, const struct options *o, struct jit_public_key *keys,
		     size_t *n)
{
	jit_error err;

	*n = 0;
	if (o->keydir != NULL)
		return load_keydir(pamh, o->keydir, keys, n) == 0 && *n > 0 ? 0 : -1;
	if (jit_public_key_load(o->pubkey, &keys[0], &err) != 0) {
		pam_syslog(pamh, LOG_ERR, "%s", err.msg);
		return -1;
	}
	*n = 1;
	return 0;
}

/* --- the ticket ------------------------------------------------------------------------ */

/* The ticket as typed or passed on, trimmed, in a buffer to wipe and free. */
static char *get_ticket(pam_handle_t *pamh, const struct options *o)
{
	const void *authtok = NULL;
	char *answer = NULL, *t;
	size_t len;

	if (o->use_first_pass || o->try_first_pass)
		(void)pam_get_item(pamh, PAM_AUTHTOK, &authtok);
	if (authtok != NULL)
		answer = strdup(authtok);
	else if (o->use_first_pass)
		return NULL;
	else if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &answer, "%s", o->prompt) != PAM_SUCCESS)
		answer = NULL;
	if (answer == NULL)
		return NULL;
	for (t = answer; *t == ' ' || *t == '\t'; t++)
		;
	len = strnlen(t, JIT_PASETO_MAX_TOKEN + 1);
	while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t' || t[len - 1] == '\r' ||
			   t[len - 1] == '\n'))
		len--;
	memmove(answer, t, len);
	answer[len] = '\0';
	return answer;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

enum online_result { ONLINE_OK, ONLINE_REFUSED, ONLINE_UNAVAILABLE };

/* Asks jitd; ticket NULL asks for an active grant instead. */
static enum online_result ask_jitd(pam_handle_t *pamh, const struct options *o,
				   const struct login *l, const char *ticket, char *why, size_t size)
{
	char port[JIT_PORTSPEC_STRLEN], from[JIT_CIDR_STRLEN];
	json_t *req, *resp = NULL;
	jit_error err;
	enum jit_call_status st;
	enum online_result r;

	jit_portspec_format(&o->port, port, sizeof(port));
	jit_addr_format(&l->from, from, sizeof(from));
	req = json_pack("{s:s, s:s, s:s, s:s}", "op", "verify", "user", l->user, "from", from,
			"port", port);
	if (ticket != NULL)
		json_object_set_new(req, "ticket", json_string(ticket));
	st = jit_proto_call(o->socket, req, o->timeout_ms, &resp, &err);
	json_decref(req);
	if (o->debug)
		pam_syslog(pamh, LOG_DEBUG, "asked jitd at %s about %s from %s: %s", o->socket,
			   l->user, from, st == JIT_CALL_OK ? "answered" : err.msg);
	if (st != JIT_CALL_OK) {
		(void)snprintf(why, size, "%s", err.msg);
		return ONLINE_UNAVAILABLE;
	}
	if (json_is_true(json_object_get(resp, "ok"))) {
		r = ONLINE_OK;
	} else {
		const char *reason = json_string_value(json_object_get(resp, "reason"));
		const char *error = json_string_value(json_object_get(resp, "error"));

		(void)snprintf(why, size, "%s", reason ? reason : "refused");
		/* Only a refusal of the login itself is a refusal; jitd failing
		 * or denying us the question means it could not be asked. */
		r = error != NULL && strcmp(error, "refused") == 0 ? ONLINE_REFUSED
								  : ONLINE_UNAVAILABLE;
	}
	json_decref(resp);
	return r;
}

static int verify_offline(pam_handle_t *pamh, const struct options *o, const struct login *l,
			  const char *ticket, char jti[JIT_JTI_LEN])
{
	struct jit_public_key keys[KEYS_MAX];
	struct jit_expect want = { .user = l->user, .host = o->host, .from = l->from,
				   .port = o->port, .now = time(NULL), .skew = o->skew };
	struct jit_claims c;
	enum jit_verdict v;
	jit_error reason;
	size_t n;

	if (load_keys(pamh, o, keys, &n) != 0)
		return PAM_AUTHINFO_UNAVAIL;
	v = jit_ticket_verify(ticket, strlen(ticket), keys, n, &want, &c, &reason);
	(void)snprintf(jti, JIT_JTI_LEN, "%s", c.jti[0] ? c.jti : "-");
	if (v != JIT_OK) {
		pam_syslog(pamh, LOG_NOTICE, "refused %s from %s, ticket %s: %s", l->user, l->rhost,
			   jti, reason.msg);
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

static int check_ticket(pam_handle_t *pamh, const struct options *o, const struct login *l,
			const char *ticket)
{
	char jti[JIT_JTI_LEN], why[256];
	int rc = verify_offline(pamh, o, l, ticket, jti);

	if (rc != PAM_SUCCESS || !o->online)
		goto done;
	switch (ask_jitd(pamh, o, l, ticket, why, sizeof(why))) {
	case ONLINE_OK:
		break;
	case ONLINE_REFUSED:
		pam_syslog(pamh, LOG_NOTICE, "refused %s from %s, ticket %s: jitd: %s", l->user,
			   l->rhost, jti, why);
		return PAM_AUTH_ERR;
	case ONLINE_UNAVAILABLE:
		if (!o->failmode_offline) {
			pam_syslog(pamh, LOG_ERR, "refused %s from %s, ticket %s: jitd cannot be"
				   " asked (failmode=secure): %s", l->user, l->rhost, jti, why);
			return PAM_AUTHINFO_UNAVAIL;
		}
		pam_syslog(pamh, LOG_WARNING, "jitd cannot be asked (%s): accepting ticket %s of %s"
			   " on the offline checks alone (failmode=offline)", why, jti, l->user);
		break;
	}
done:
	if (rc == PAM_SUCCESS)
		pam_syslog(pamh, LOG_INFO, "accepted %s from %s, ticket %s", l->user, l->rhost, jti);
	return rc;
}

/* --- the PAM entry points ---------------------------------------------------------------- */

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct options o;
	struct login l;
	char *ticket;
	int rc = parse_options(pamh, argc, argv, &o);

	(void)flags;
	if (rc != PAM_SUCCESS)
		return rc;
	if (o.mode != MODE_TICKET) {
		pam_syslog(pamh, LOG_ERR, "mode=grant is for the account stack, not auth");
		return PAM_SERVICE_ERR;
	}
	rc = get_login(pamh, &l);
	if (rc != PAM_SUCCESS)
		return rc;
	ticket = get_ticket(pamh, &o);
	if (ticket == NULL || ticket[0] == '\0' || strlen(ticket) > JIT_PASETO_MAX_TOKEN) {
		pam_syslog(pamh, LOG_NOTICE, "refused %s from %s: %s", l.user, l.rhost,
			   ticket == NULL ? "no ticket given" : "the ticket is empty or too long");
		wipe_free(ticket);
		return PAM_AUTH_ERR;
	}
	rc = check_ticket(pamh, &o, &l, ticket);
	wipe_free(ticket);
	return rc;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct options o;
	struct login l;
	char why[256];
	int rc = parse_options(pamh, argc, argv, &o);

	(void)flags;
	if (rc != PAM_SUCCESS)
		return rc;
	if (o.mode != MODE_GRANT) {
		pam_syslog(pamh, LOG_ERR, "the account stack needs mode=grant");
		return PAM_SERVICE_ERR;
	}
	rc = get_login(pamh, &l);
	if (rc != PAM_SUCCESS)
		return rc == PAM_AUTH_ERR ? PAM_PERM_DENIED : rc;
	switch (ask_jitd(pamh, &o, &l, NULL, why, sizeof(why))) {
	case ONLINE_OK:
		pam_syslog(pamh, LOG_INFO, "allowed %s from %s: active grant", l.user, l.rhost);
		return PAM_SUCCESS;
	case ONLINE_REFUSED:
		pam_syslog(pamh, LOG_NOTICE, "denied %s from %s: %s", l.user, l.rhost, why);
		return PAM_PERM_DENIED;
	case ONLINE_UNAVAILABLE:
		break;
	}
	/* Without jitd nothing says whether a grant is active: never allow. */
	pam_syslog(pamh, LOG_ERR, "denied %s from %s: jitd cannot be asked: %s", l.user, l.rhost,
		   why);
	return PAM_AUTHINFO_UNAVAIL;
}
