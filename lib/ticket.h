/* SPDX-License-Identifier: ISC */
/* jit tickets: claims in a PASETO v4.public token whose footer names the
 * signing key, {"kid":"k4.pid..."}. */
#ifndef JIT_TICKET_H
#define JIT_TICKET_H

#include "claims.h"
#include "jit_error.h"
#include "keys.h"

#include <stddef.h>

/* Signs the claims; returns a new NUL-terminated token to free(). Refuses
 * incomplete claims (an empty string, no src or ports, nbf not before exp). */
int jit_ticket_sign(const struct jit_secret_key *key, const struct jit_claims *c,
		    char **token, jit_error *err);

/* The footer's kid, copied into kid; -1 when the footer is absent or not
 * {"kid":"k4.pid.…"}. */
int jit_ticket_footer_kid(const uint8_t *footer, size_t len, char kid[JIT_PID_LEN]);

/* Parses the token, picks the key whose k4.pid the footer names among
 * `keys`, checks the signature and parses the claims. Does not look at time,
 * user, host, source or port: see jit_claims_check(). */
enum jit_verdict jit_ticket_open(const char *token, size_t len,
				 const struct jit_public_key *keys, size_t nkeys,
				 struct jit_claims *out, jit_error *reason);

/* jit_ticket_open() and then jit_claims_check(). */
enum jit_verdict jit_ticket_verify(const char *token, size_t len,
				   const struct jit_public_key *keys, size_t nkeys,
				   const struct jit_expect *want, struct jit_claims *out,
				   jit_error *reason);

#endif
