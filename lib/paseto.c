/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "paseto.h"

#include "b64url.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SIG_BYTES crypto_sign_BYTES
#define HEADER_LEN (sizeof(JIT_PASETO_HEADER) - 1)

static uint8_t *le64(uint8_t *p, uint64_t n)
{
	n &= UINT64_C(0x7fffffffffffffff);	/* PAE clears the top bit */
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(n & 0xff);
		n >>= 8;
	}
	return p + 8;
}

static uint8_t *pae_piece(uint8_t *p, const uint8_t *data, size_t len)
{
	p = le64(p, len);
	if (len > 0)
		memcpy(p, data, len);
	return p + len;
}

/* PAE(header, msg, footer, "") into a new buffer of *out_len bytes. */
static uint8_t *pae_v4_public(const uint8_t *msg, size_t msg_len, const uint8_t *footer,
			      size_t footer_len, size_t *out_len)
{
	size_t len = 8 + 4 * 8 + HEADER_LEN + msg_len + footer_len;
	uint8_t *buf = malloc(len);
	uint8_t *p;

	if (buf == NULL)
		return NULL;
	p = le64(buf, 4);
	p = pae_piece(p, (const uint8_t *)JIT_PASETO_HEADER, HEADER_LEN);
	p = pae_piece(p, msg, msg_len);
	p = pae_piece(p, footer, footer_len);
	(void)pae_piece(p, NULL, 0);
	*out_len = len;
	return buf;
}

static char *token_assemble(const uint8_t *body, size_t body_len, const uint8_t *footer,
			    size_t footer_len)
{
	size_t blen = jit_b64url_encoded_len(body_len);
	size_t flen = footer_len ? 1 + jit_b64url_encoded_len(footer_len) : 0;
	size_t size = HEADER_LEN + blen + flen + 1;
	char *token = malloc(size);
	char *p;

	if (token == NULL)
		return NULL;
	memcpy(token, JIT_PASETO_HEADER, HEADER_LEN);
	p = token + HEADER_LEN;
	(void)jit_b64url_encode(p, size - HEADER_LEN, body, body_len);
	p += blen;
	if (footer_len) {
		*p++ = '.';
		(void)jit_b64url_encode(p, size - (size_t)(p - token), footer, footer_len);
	}
	return token;
}

int jit_paseto_sign(const uint8_t sk[64], const uint8_t *msg, size_t msg_len,
		    const uint8_t *footer, size_t footer_len, char **token, jit_error *err)
{
	size_t m2_len = 0;
	uint8_t *m2 = pae_v4_public(msg, msg_len, footer, footer_len, &m2_len);
	uint8_t *body = malloc(msg_len + SIG_BYTES);

	*token = NULL;
	if (m2 != NULL && body != NULL) {
		if (msg_len > 0)
			memcpy(body, msg, msg_len);
		crypto_sign_detached(body + msg_len, NULL, m2, m2_len, sk);
		*token = token_assemble(body, msg_len + SIG_BYTES, footer, footer_len);
	}
	free(m2);
	free(body);
	if (*token == NULL)
		return jit_error_set(err, "out of memory");
	if (strlen(*token) > JIT_PASETO_MAX_TOKEN) {
		free(*token);
		*token = NULL;
		return jit_error_set(err, "token would exceed %d bytes", JIT_PASETO_MAX_TOKEN);
	}
	return 0;
}

static uint8_t *decode_part(const char *b64, size_t len, size_t *out_len)
{
	size_t max = jit_b64url_decoded_max(len);
	uint8_t *buf = malloc(max + 1);

	if (buf == NULL)
		return NULL;
	if (jit_b64url_decode(buf, max + 1, out_len, b64, len) != 0) {
		free(buf);
		return NULL;
	}
	buf[*out_len] = '\0';
	return buf;
}

static int check_header(const char *token, size_t len, jit_error *err)
{
	static const char local[] = "v4.local.";

	if (len >= HEADER_LEN && memcmp(token, JIT_PASETO_HEADER, HEADER_LEN) == 0)
		return 0;
	if (len >= sizeof(local) - 1 && memcmp(token, local, sizeof(local) - 1) == 0)
		return jit_error_set(err, "malformed: a v4.local token, expected v4.public");
	return jit_error_set(err, "malformed: header is not v4.public.");
}

int jit_paseto_parse(const char *token, size_t len, struct jit_paseto *out, jit_error *err)
{
	const char *body_b64, *dot;
	size_t body_b64_len, body_len = 0;

	memset(out, 0, sizeof(*out));
	if (len > JIT_PASETO_MAX_TOKEN)
		return jit_error_set(err, "malformed: token longer than %d bytes",
				     JIT_PASETO_MAX_TOKEN);
	if (memchr(token, '\0', len) != NULL)
		return jit_error_set(err, "malformed: NUL byte in token");
	if (check_header(token, len, err) != 0)
		return -1;
	body_b64 = token + HEADER_LEN;
	dot = memchr(body_b64, '.', len - HEADER_LEN);
	body_b64_len = dot ? (size_t)(dot - body_b64) : len - HEADER_LEN;
	out->body = decode_part(body_b64, body_b64_len, &body_len);
	if (out->body == NULL)
		return jit_error_set(err, "malformed: payload is not canonical base64url");
	if (body_len < SIG_BYTES) {
		jit_paseto_free(out);
		return jit_error_set(err, "malformed: payload shorter than a signature");
	}
	out->msg_len = body_len - SIG_BYTES;
	if (dot != NULL) {
		size_t flen = len - HEADER_LEN - body_b64_len - 1;

		/* An empty footer is written without its dot; a second dot is
		 * not part of any v4.public token. */
		if (flen == 0 || memchr(dot + 1, '.', flen) != NULL ||
		    (out->footer = decode_part(dot + 1, flen, &out->footer_len)) == NULL) {
			jit_paseto_free(out);
			return jit_error_set(err, "malformed: footer is not canonical base64url");
		}
	}
	return 0;
}

int jit_paseto_verify(const struct jit_paseto *tok, const uint8_t pk[32])
{
	size_t m2_len = 0;
	uint8_t *m2 = pae_v4_public(tok->body, tok->msg_len, tok->footer, tok->footer_len,
				    &m2_len);
	int rc;

	if (m2 == NULL)
		return -1;
	rc = crypto_sign_verify_detached(tok->body + tok->msg_len, m2, m2_len, pk);
	free(m2);
	return rc == 0 ? 0 : -1;
}

void jit_paseto_free(struct jit_paseto *tok)
{
	free(tok->body);
	free(tok->footer);
	memset(tok, 0, sizeof(*tok));
}
