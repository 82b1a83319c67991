/* SPDX-License-Identifier: ISC */
/* PASETO v4.public: Ed25519 over the pre-authentication encoding (PAE) of
 * header, message, footer and an empty implicit assertion. */
#ifndef JIT_PASETO_H
#define JIT_PASETO_H

#include "jit_error.h"

#include <stddef.h>
#include <stdint.h>

#define JIT_PASETO_HEADER "v4.public."
/* Tokens longer than this are refused before any decoding. */
#define JIT_PASETO_MAX_TOKEN 8192

/* A token split into its parts; the signature is not yet checked. */
struct jit_paseto {
	uint8_t *body;		/* decoded: message || 64-byte signature */
	size_t msg_len;
	uint8_t *footer;	/* decoded footer, NUL-terminated; NULL if none */
	size_t footer_len;
};

/* Signs msg with the libsodium-layout secret key and returns a new token,
 * NUL-terminated, for the caller to free(). An empty footer is omitted. */
int jit_paseto_sign(const uint8_t sk[64], const uint8_t *msg, size_t msg_len,
		    const uint8_t *footer, size_t footer_len, char **token, jit_error *err);

/* Checks the header and strict base64url of the parts of a token of exactly
 * len bytes. On success the caller owns `out` and frees it with
 * jit_paseto_free(); on failure `out` holds nothing. */
int jit_paseto_parse(const char *token, size_t len, struct jit_paseto *out, jit_error *err);

/* 0 when the signature over the parsed token verifies under pk. */
int jit_paseto_verify(const struct jit_paseto *tok, const uint8_t pk[32]);

static inline const uint8_t *jit_paseto_msg(const struct jit_paseto *tok)
{
	return tok->body;
}

void jit_paseto_free(struct jit_paseto *tok);

#endif
