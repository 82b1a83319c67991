/* SPDX-License-Identifier: ISC */
/* Unpadded base64url (RFC 4648 section 5), strict in what it accepts. */
#ifndef JIT_B64URL_H
#define JIT_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode bin_len bytes, without the terminating NUL. */
size_t jit_b64url_encoded_len(size_t bin_len);

/* Largest number of bytes b64_len characters can decode to. */
size_t jit_b64url_decoded_max(size_t b64_len);

/* Writes a NUL-terminated encoding; out_size must exceed the encoded length.
 * Returns 0, or -1 when out is too small. */
int jit_b64url_encode(char *out, size_t out_size, const uint8_t *bin, size_t bin_len);

/* Decodes exactly b64_len characters. Refuses padding, characters outside
 * the URL-safe alphabet, impossible lengths and non-zero trailing bits, so
 * every byte string has exactly one accepted encoding. Returns 0, or -1. */
int jit_b64url_decode(uint8_t *out, size_t out_size, size_t *out_len,
		      const char *b64, size_t b64_len);

#endif
