/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "b64url.h"

#include <sodium.h>

size_t jit_b64url_encoded_len(size_t bin_len)
{
	return (bin_len / 3) * 4 + ((bin_len % 3) ? (bin_len % 3) + 1 : 0);
}

size_t jit_b64url_decoded_max(size_t b64_len)
{
	return (b64_len / 4) * 3 + ((b64_len % 4) ? (b64_len % 4) - 1 : 0);
}

int jit_b64url_encode(char *out, size_t out_size, const uint8_t *bin, size_t bin_len)
{
	if (out_size < jit_b64url_encoded_len(bin_len) + 1)
		return -1;
	sodium_bin2base64(out, out_size, bin, bin_len,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

/* 1 when c is outside the base64url alphabet. Written without branches on
 * c, since key files are decoded here too. */
static unsigned outside_alphabet(unsigned char c)
{
	unsigned in = ((unsigned)(c - 'A') < 26u) | ((unsigned)(c - 'a') < 26u) |
		      ((unsigned)(c - '0') < 10u) | (c == '-') | (c == '_');

	return in ^ 1u;
}

/* libsodium's decoder is constant-time and, called with no ignore set and no
 * end pointer, fails on a length of 1 mod 4 and on non-zero trailing bits.
 * It maps some bytes >= 0x80 to alphabet values (1.0.18), so the alphabet
 * is checked here first: every byte string has exactly one encoding. */
int jit_b64url_decode(uint8_t *out, size_t out_size, size_t *out_len,
		      const char *b64, size_t b64_len)
{
	unsigned bad = 0;

	if (out_size < jit_b64url_decoded_max(b64_len))
		return -1;
	for (size_t i = 0; i < b64_len; i++)
		bad |= outside_alphabet((unsigned char)b64[i]);
	if (bad)
		return -1;
	if (sodium_base642bin(out, out_size, b64, b64_len, NULL, out_len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	return 0;
}
