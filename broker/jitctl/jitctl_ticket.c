/* SPDX-License-Identifier: ISC */
/* jitctl ticket inspect | verify | sign */
#include "config.h"

#include "jitctl.h"
#include "keys.h"
#include "netaddr.h"
#include "paseto.h"
#include "ticket.h"
#include "timeutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_SKEW 30
#define DEFAULT_SIGN_DURATION (15 * 60)

static const char ticket_usage[] =
	"Usage:\n"
	"  jitctl ticket inspect --pubkey FILE TOKEN\n"
	"      Check the signature only and print {\"payload\":...,\"footer\":...}.\n"
	"      The footer's kid is printed but need not match FILE.\n"
	"  jitctl ticket verify --pubkey FILE --user USER --host HOST --from ADDR\n"
	"                       --port PORT/PROTO [--at RFC3339] [--skew DURATION] TOKEN\n"
	"      Check the signature, the footer kid and every claim as a login would;\n"
	"      print the claims as JSON, or the first reason for refusal on stderr.\n"
	"      --skew defaults to 30s, --at to now.\n"
	"  jitctl ticket sign --key FILE --user USER --host HOST --from CIDR[,CIDR...]\n"
	"                     --port PORT/PROTO[,...] [--duration DURATION] [--role ROLE]\n"
	"                     [--iss ID] [--not-before RFC3339]\n"
	"      Sign a ticket offline with the broker's secret key and print it.\n"
	"      --duration defaults to 15m, --role to \"offline\", --iss to \"jitctl\",\n"
	"      --not-before to now.\n"
	"\n"
	"TOKEN '-' reads one line from standard input. Durations: 90s, 30m, 3h, 1d.\n"
	"Exit status: 0 valid, 1 refused (reason on stderr), 2 usage error.\n";

enum ticket_opt {
	OPT_PUBKEY, OPT_KEY, OPT_USER, OPT_HOST, OPT_FROM, OPT_PORT, OPT_AT, OPT_SKEW,
	OPT_DURATION, OPT_ROLE, OPT_ISS, OPT_NOT_BEFORE, N_TICKET_OPTS
};

static const char *const ticket_opt_names[N_TICKET_OPTS] = {
	[OPT_PUBKEY] = "pubkey", [OPT_KEY] = "key", [OPT_USER] = "user", [OPT_HOST] = "host",
	[OPT_FROM] = "from", [OPT_PORT] = "port", [OPT_AT] = "at", [OPT_SKEW] = "skew",
	[OPT_DURATION] = "duration", [OPT_ROLE] = "role", [OPT_ISS] = "iss",
	[OPT_NOT_BEFORE] = "not-before",
};

/* Options as given, before any of them is interpreted. */
struct ticket_args {
	const char *pubkey, *key, *user, *host, *from, *port, *at, *skew;
	const char *duration, *role, *iss, *not_before, *token;
	const char *cmd;		/* "ticket inspect", ... for messages */
	unsigned allowed;		/* bit ALLOW(opt) set when the command takes it */
};

#define ALLOW(o) (1u << (o))

static const char **arg_slot(struct ticket_args *a, enum ticket_opt opt)
{
	switch (opt) {
	case OPT_PUBKEY: return &a->pubkey;
	case OPT_KEY: return &a->key;
	case OPT_USER: return &a->user;
	case OPT_HOST: return &a->host;
	case OPT_FROM: return &a->from;
	case OPT_PORT: return &a->port;
	case OPT_AT: return &a->at;
	case OPT_SKEW: return &a->skew;
	case OPT_DURATION: return &a->duration;
	case OPT_ROLE: return &a->role;
	case OPT_ISS: return &a->iss;
	case OPT_NOT_BEFORE: return &a->not_before;
	case N_TICKET_OPTS: break;
	}
	return NULL;
}

/* The options the command takes, and TOKEN when want_token. Returns -1 to
 * go on, or an exit status to return at once. */
static int parse_ticket_args(int argc, char **argv, struct ticket_args *a, int want_token)
{
	struct jit_client_opt defs[N_TICKET_OPTS + 1];
	size_t n = 0;
	int rc;

	for (enum ticket_opt o = OPT_PUBKEY; o < N_TICKET_OPTS; o++)
		if (a->allowed & ALLOW(o))
			defs[n++] = (struct jit_client_opt){ ticket_opt_names[o], arg_slot(a, o), NULL };
	defs[n] = (struct jit_client_opt){ NULL, NULL, NULL };
	rc = jit_client_parse_opts(JITCTL_STDIO, a->cmd, ticket_usage, argc, argv, defs);
	if (rc >= 0)
		return rc;
	if (want_token) {
		if (optind >= argc)
			return jitctl_usage_error(a->cmd, "TOKEN is missing");
		a->token = argv[optind++];
	}
	if (optind < argc)
		return jitctl_usage_error(a->cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static int require(const struct ticket_args *a, const char *value, const char *name)
{
	if (value != NULL)
		return 0;
	jit_client_usage(JITCTL_STDIO, a->cmd, "%s is required", name);
	return -1;
}

/* The token text: the argument itself, or one line of standard input for "-".
 * The read is bounded: a line longer than any token is cut one byte past the
 * limit, so that parsing refuses it as too long. Returns a new string. */
static char *token_text(const char *arg)
{
	char *buf;
	size_t len;

	if (strcmp(arg, "-") != 0)
		return strdup(arg);
	buf = calloc(1, JIT_PASETO_MAX_TOKEN + 3);
	if (buf == NULL)
		return NULL;
	if (fgets(buf, JIT_PASETO_MAX_TOKEN + 3, stdin) == NULL)
		buf[0] = '\0';
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

static json_t *json_or_string(const uint8_t *data, size_t len)
{
	json_t *v;

	if (data == NULL)
		return json_null();
	v = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	return v != NULL ? v : json_stringn((const char *)data, len);
}

static int print_inspection(const struct jit_paseto *tok)
{
	json_t *out = json_pack("{s:o, s:o}", "payload",
				json_or_string(jit_paseto_msg(tok), tok->msg_len), "footer",
				json_or_string(tok->footer, tok->footer_len));
	int rc = out != NULL && json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0;

	json_decref(out);
	putchar('\n');
	return rc ? JITCTL_OK : JITCTL_FAILED;
}

static int ticket_inspect(int argc, char **argv)
{
	struct ticket_args a = { .cmd = "ticket inspect", .allowed = ALLOW(OPT_PUBKEY) };
	struct jit_public_key pub;
	struct jit_paseto tok;
	jit_error err;
	char *token;
	int rc = parse_ticket_args(argc, argv, &a, 1);

	if (rc >= 0)
		return rc;
	if (require(&a, a.pubkey, "--pubkey FILE") != 0)
		return JITCTL_USAGE;
	if (jit_public_key_load(a.pubkey, &pub, &err) != 0) {
		jitctl_err("%s", err.msg);
		return JITCTL_FAILED;
	}
	token = token_text(a.token);
	if (token == NULL || jit_paseto_parse(token, strlen(token), &tok, &err) != 0) {
		jitctl_err("invalid ticket: %s", token ? err.msg : "out of memory");
		free(token);
		return JITCTL_FAILED;
	}
	if (jit_paseto_verify(&tok, pub.pk) != 0) {
		jitctl_err("invalid ticket: bad signature");
		rc = JITCTL_FAILED;
	} else
		rc = print_inspection(&tok);
	jit_paseto_free(&tok);
	free(token);
	return rc;
}

static int parse_time_opt(const struct ticket_args *a, const char *value, const char *name,
			  time_t *out)
{
	if (value == NULL) {
		*out = time(NULL);
		return 0;
	}
	if (jit_rfc3339_parse(value, out) == 0)
		return 0;
	jit_client_usage(JITCTL_STDIO, a->cmd, "%s '%s' is not an RFC 3339 time", name, value);
	return -1;
}

static int parse_duration_opt(const struct ticket_args *a, const char *value, const char *name,
			      int64_t fallback, int64_t *out)
{
	if (value == NULL) {
		*out = fallback;
		return 0;
	}
	if (jit_duration_parse(value, out) == 0)
		return 0;
	jit_client_usage(JITCTL_STDIO, a->cmd, "%s '%s' is not a duration like 90s, 30m, 3h, 1d", name,
			   value);
	return -1;
}

static int build_expect(const struct ticket_args *a, struct jit_expect *want)
{
	if (require(a, a->pubkey, "--pubkey FILE") || require(a, a->user, "--user USER") ||
	    require(a, a->host, "--host HOST") || require(a, a->from, "--from ADDR") ||
	    require(a, a->port, "--port PORT/PROTO"))
		return -1;
	want->user = a->user;
	want->host = a->host;
	if (jit_addr_parse(a->from, &want->from) != 0) {
		jit_client_usage(JITCTL_STDIO, a->cmd, "--from '%s' is not a numeric IPv4 or IPv6 address",
				   a->from);
		return -1;
	}
	if (jit_portspec_parse(a->port, &want->port) != 0) {
		jit_client_usage(JITCTL_STDIO, a->cmd, "--port '%s' is not like 22/tcp or 53/udp", a->port);
		return -1;
	}
	if (parse_time_opt(a, a->at, "--at", &want->now) != 0 ||
	    parse_duration_opt(a, a->skew, "--skew", DEFAULT_SKEW, &want->skew) != 0)
		return -1;
	return 0;
}

static int print_claims(const struct jit_claims *c)
{
	jit_error err;
	char *json = jit_claims_to_json(c, &err);

	if (json == NULL) {
		jitctl_err("%s", err.msg);
		return JITCTL_FAILED;
	}
	puts(json);
	free(json);
	return JITCTL_OK;
}

static int ticket_verify(int argc, char **argv)
{
	struct ticket_args a = {
		.cmd = "ticket verify",
		.allowed = ALLOW(OPT_PUBKEY) | ALLOW(OPT_USER) | ALLOW(OPT_HOST) |
			   ALLOW(OPT_FROM) | ALLOW(OPT_PORT) | ALLOW(OPT_AT) | ALLOW(OPT_SKEW),
	};
	struct jit_public_key pub;
	struct jit_expect want;
	struct jit_claims claims;
	enum jit_verdict v;
	jit_error err;
	char *token;
	int rc = parse_ticket_args(argc, argv, &a, 1);

	if (rc >= 0)
		return rc;
	if (build_expect(&a, &want) != 0)
		return JITCTL_USAGE;
	if (jit_public_key_load(a.pubkey, &pub, &err) != 0) {
		jitctl_err("%s", err.msg);
		return JITCTL_FAILED;
	}
	token = token_text(a.token);
	if (token == NULL) {
		jitctl_err("out of memory");
		return JITCTL_FAILED;
	}
	v = jit_ticket_verify(token, strlen(token), &pub, 1, &want, &claims, &err);
	free(token);
	if (v != JIT_OK) {
		jitctl_err("ticket refused: %s", err.msg);
		return JITCTL_FAILED;
	}
	return print_claims(&claims);
}

static int copy_claim(const struct ticket_args *a, char *dst, const char *value,
		      const char *name)
{
	size_t len = strlen(value);

	if (len == 0 || len >= JIT_CLAIM_MAX) {
		jit_client_usage(JITCTL_STDIO, a->cmd, "%s must have 1 to %d characters", name,
				   JIT_CLAIM_MAX - 1);
		return -1;
	}
	memcpy(dst, value, len + 1);
	return 0;
}

static int build_claims(const struct ticket_args *a, struct jit_claims *c)
{
	int64_t duration;

	memset(c, 0, sizeof(*c));
	if (require(a, a->key, "--key FILE") || require(a, a->user, "--user USER") ||
	    require(a, a->host, "--host HOST") || require(a, a->from, "--from CIDR") ||
	    require(a, a->port, "--port PORT/PROTO") ||
	    copy_claim(a, c->sub, a->user, "--user") || copy_claim(a, c->aud, a->host, "--host") ||
	    copy_claim(a, c->role, a->role ? a->role : "offline", "--role") ||
	    copy_claim(a, c->iss, a->iss ? a->iss : "jitctl", "--iss"))
		return -1;
	if (jit_cidr_list_parse(a->from, c->src, JIT_MAX_SRC, &c->n_src) != 0) {
		jit_client_usage(JITCTL_STDIO, a->cmd, "--from '%s': want up to %d CIDRs like 192.0.2.0/24, "
				   "with no host bits set", a->from, JIT_MAX_SRC);
		return -1;
	}
	if (jit_portspec_list_parse(a->port, c->ports, JIT_MAX_PORTS, &c->n_ports) != 0) {
		jit_client_usage(JITCTL_STDIO, a->cmd, "--port '%s': want up to %d items like 22/tcp", a->port,
				   JIT_MAX_PORTS);
		return -1;
	}
	if (parse_time_opt(a, a->not_before, "--not-before", &c->nbf) != 0 ||
	    parse_duration_opt(a, a->duration, "--duration", DEFAULT_SIGN_DURATION, &duration))
		return -1;
	c->iat = time(NULL);
	c->exp = c->nbf + (time_t)duration;
	jit_claims_new_jti(c);
	return 0;
}

static int ticket_sign(int argc, char **argv)
{
	struct ticket_args a = {
		.cmd = "ticket sign",
		.allowed = ALLOW(OPT_KEY) | ALLOW(OPT_USER) | ALLOW(OPT_HOST) | ALLOW(OPT_FROM) |
			   ALLOW(OPT_PORT) | ALLOW(OPT_DURATION) | ALLOW(OPT_ROLE) |
			   ALLOW(OPT_ISS) | ALLOW(OPT_NOT_BEFORE),
	};
	struct jit_secret_key key;
	struct jit_claims claims;
	jit_error err;
	char *token = NULL;
	int rc = parse_ticket_args(argc, argv, &a, 0);

	if (rc >= 0)
		return rc;
	if (build_claims(&a, &claims) != 0)
		return JITCTL_USAGE;
	if (jit_secret_key_load(a.key, &key, &err) != 0) {
		jitctl_err("%s", err.msg);
		return JITCTL_FAILED;
	}
	rc = jit_ticket_sign(&key, &claims, &token, &err);
	jit_secret_key_wipe(&key);
	if (rc != 0) {
		jitctl_err("cannot sign: %s", err.msg);
		return JITCTL_FAILED;
	}
	puts(token);
	free(token);
	return JITCTL_OK;
}

int jitctl_ticket(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (sub == NULL) {
		fputs(ticket_usage, stderr);
		return JITCTL_USAGE;
	}
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(ticket_usage, stdout);
		return JITCTL_OK;
	}
	if (strcmp(sub, "inspect") == 0)
		return ticket_inspect(argc - 1, argv + 1);
	if (strcmp(sub, "verify") == 0)
		return ticket_verify(argc - 1, argv + 1);
	if (strcmp(sub, "sign") == 0)
		return ticket_sign(argc - 1, argv + 1);
	return jitctl_usage_error("ticket", "unknown subcommand '%s'", sub);
}
