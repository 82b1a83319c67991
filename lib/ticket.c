/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "ticket.h"

#include "paseto.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int claims_complete(const struct jit_claims *c, jit_error *err)
{
	if (c->n_src == 0 || c->n_src > JIT_MAX_SRC)
		return jit_error_set(err, "a ticket needs 1 to %d source prefixes", JIT_MAX_SRC);
	if (c->n_ports == 0 || c->n_ports > JIT_MAX_PORTS)
		return jit_error_set(err, "a ticket needs 1 to %d ports", JIT_MAX_PORTS);
	if (c->nbf >= c->exp)
		return jit_error_set(err, "nbf must be before exp");
	return 0;
}

int jit_ticket_sign(const struct jit_secret_key *key, const struct jit_claims *c,
		    char **token, jit_error *err)
{
	char footer[JIT_PID_LEN + 16];
	char *payload;
	int rc;

	*token = NULL;
	if (claims_complete(c, err) != 0)
		return -1;
	payload = jit_claims_to_json(c, err);
	if (payload == NULL)
		return -1;
	(void)snprintf(footer, sizeof(footer), "{\"kid\":\"%s\"}", key->pub.pid);
	rc = jit_paseto_sign(key->sk, (const uint8_t *)payload, strlen(payload),
			     (const uint8_t *)footer, strlen(footer), token, err);
	free(payload);
	return rc;
}

int jit_ticket_footer_kid(const uint8_t *footer, size_t len, char kid[JIT_PID_LEN])
{
	json_t *obj, *v;
	int rc = -1;

	if (footer == NULL)
		return -1;
	obj = json_loadb((const char *)footer, len, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(obj, "kid");
	if (json_is_string(v) && json_string_length(v) == JIT_PID_LEN - 1 &&
	    strncmp(json_string_value(v), "k4.pid.", 7) == 0) {
		memcpy(kid, json_string_value(v), JIT_PID_LEN);
		rc = 0;
	}
	json_decref(obj);
	return rc;
}

static const struct jit_public_key *key_by_pid(const struct jit_public_key *keys,
					       size_t nkeys, const char *kid)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].pid, kid) == 0)
			return &keys[i];
	return NULL;
}

static enum jit_verdict open_parsed(const struct jit_paseto *tok,
				    const struct jit_public_key *keys, size_t nkeys,
				    struct jit_claims *out, jit_error *reason)
{
	const struct jit_public_key *key;
	char kid[JIT_PID_LEN];

	/* Other PASETO libraries may leave the footer out: with one key there
	 * is nothing to choose, and its signature decides. */
	if (tok->footer_len == 0 && nkeys == 1) {
		key = &keys[0];
	} else if (tok->footer_len == 0) {
		jit_error_set(reason, "malformed: no footer, and with %zu keys loaded its"
			      " {\"kid\":\"k4.pid...\"} must say which signed it", nkeys);
		return JIT_MALFORMED;
	} else if (jit_ticket_footer_kid(tok->footer, tok->footer_len, kid) != 0) {
		jit_error_set(reason, "malformed: footer is not {\"kid\":\"k4.pid...\"}");
		return JIT_MALFORMED;
	} else if ((key = key_by_pid(keys, nkeys, kid)) == NULL) {
		jit_error_set(reason, "unknown key: no public key with id %s", kid);
		return JIT_UNKNOWN_KEY;
	}
	if (jit_paseto_verify(tok, key->pk) != 0) {
		jit_error_set(reason, "bad signature");
		return JIT_BAD_SIGNATURE;
	}
	if (jit_claims_from_json(jit_paseto_msg(tok), tok->msg_len, out, reason) != 0)
		return JIT_MALFORMED;
	return JIT_OK;
}

enum jit_verdict jit_ticket_open(const char *token, size_t len,
				 const struct jit_public_key *keys, size_t nkeys,
				 struct jit_claims *out, jit_error *reason)
{
	struct jit_paseto tok;
	enum jit_verdict v;

	memset(out, 0, sizeof(*out));
	if (jit_paseto_parse(token, len, &tok, reason) != 0)
		return JIT_MALFORMED;
	v = open_parsed(&tok, keys, nkeys, out, reason);
	jit_paseto_free(&tok);
	return v;
}

enum jit_verdict jit_ticket_verify(const char *token, size_t len,
				   const struct jit_public_key *keys, size_t nkeys,
				   const struct jit_expect *want, struct jit_claims *out,
				   jit_error *reason)
{
	enum jit_verdict v = jit_ticket_open(token, len, keys, nkeys, out, reason);

	if (v != JIT_OK)
		return v;
	return jit_claims_check(out, want, reason);
}
