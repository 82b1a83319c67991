/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "keys.h"
#include "safefile.h"

#include "b64url.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASERK_SECRET "k4.secret."
#define PASERK_PUBLIC "k4.public."
#define PASERK_PID "k4.pid."
#define PID_HASH_BYTES 33
/* A key file is one PASERK line; anything longer is not a key file. */
#define KEYFILE_MAX 256

int jit_key_generate(struct jit_secret_key *key)
{
	if (crypto_sign_keypair(key->pub.pk, key->sk) != 0)
		return -1;
	jit_public_key_set_pid(&key->pub);
	return 0;
}

/* PASERK ID: "k4.pid." || base64url(BLAKE2b-264("k4.pid." || k4.public PASERK)). */
void jit_public_key_set_pid(struct jit_public_key *pub)
{
	char paserk[JIT_PASERK_MAX];
	uint8_t hash[PID_HASH_BYTES];
	crypto_generichash_state st;
	size_t hlen = strlen(PASERK_PID);

	jit_paserk_public(pub, paserk);
	crypto_generichash_init(&st, NULL, 0, sizeof(hash));
	crypto_generichash_update(&st, (const uint8_t *)PASERK_PID, hlen);
	crypto_generichash_update(&st, (const uint8_t *)paserk, strlen(paserk));
	crypto_generichash_final(&st, hash, sizeof(hash));
	memcpy(pub->pid, PASERK_PID, hlen);
	(void)jit_b64url_encode(pub->pid + hlen, sizeof(pub->pid) - hlen, hash, sizeof(hash));
}

static void paserk_encode(const char *header, const uint8_t *bin, size_t len,
			  char out[JIT_PASERK_MAX])
{
	size_t hlen = strlen(header);

	memcpy(out, header, hlen);
	(void)jit_b64url_encode(out + hlen, JIT_PASERK_MAX - hlen, bin, len);
}

void jit_paserk_secret(const struct jit_secret_key *key, char out[JIT_PASERK_MAX])
{
	paserk_encode(PASERK_SECRET, key->sk, sizeof(key->sk), out);
}

void jit_paserk_public(const struct jit_public_key *pub, char out[JIT_PASERK_MAX])
{
	paserk_encode(PASERK_PUBLIC, pub->pk, sizeof(pub->pk), out);
}

/* Decodes the data part after `header` into exactly `want` bytes. */
static int paserk_decode(const char *s, size_t len, const char *header, uint8_t *out,
			 size_t want, jit_error *err)
{
	uint8_t buf[JIT_SK_BYTES + 3];
	size_t hlen = strlen(header);
	size_t got = 0;
	int rc = -1;

	if (len < hlen || memcmp(s, header, hlen) != 0)
		return jit_error_set(err, "not a %.*s PASERK", (int)hlen - 1, header);
	if (len - hlen != jit_b64url_encoded_len(want))
		return jit_error_set(err, "%.*s PASERK of the wrong length", (int)hlen - 1, header);
	if (jit_b64url_decode(buf, sizeof(buf), &got, s + hlen, len - hlen) != 0 || got != want)
		jit_error_set(err, "%.*s PASERK with invalid base64url", (int)hlen - 1, header);
	else {
		memcpy(out, buf, want);
		rc = 0;
	}
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int jit_paserk_secret_parse(const char *s, size_t len, struct jit_secret_key *out,
			    jit_error *err)
{
	uint8_t derived_pk[JIT_PK_BYTES];
	uint8_t derived_sk[JIT_SK_BYTES];
	int mismatch;

	if (paserk_decode(s, len, PASERK_SECRET, out->sk, sizeof(out->sk), err) != 0)
		return -1;
	/* The stored public half must belong to the seed, or signatures would
	 * be made under a key the verifier does not expect. */
	crypto_sign_seed_keypair(derived_pk, derived_sk, out->sk);
	mismatch = sodium_memcmp(derived_sk, out->sk, sizeof(derived_sk));
	sodium_memzero(derived_sk, sizeof(derived_sk));
	if (mismatch != 0) {
		jit_secret_key_wipe(out);
		return jit_error_set(err, "k4.secret PASERK whose public half does not match its seed");
	}
	memcpy(out->pub.pk, derived_pk, sizeof(derived_pk));
	jit_public_key_set_pid(&out->pub);
	return 0;
}

int jit_paserk_public_parse(const char *s, size_t len, struct jit_public_key *out,
			    jit_error *err)
{
	if (paserk_decode(s, len, PASERK_PUBLIC, out->pk, sizeof(out->pk), err) != 0)
		return -1;
	jit_public_key_set_pid(out);
	return 0;
}

static int check_secret_file_mode(const struct stat *st, jit_error *err)
{
	unsigned mode = (unsigned)st->st_mode & 07777u;

	if (mode != 0600u && mode != 0400u)
		return jit_error_set(err, "mode %04o, the secret key file must be 0600", mode);
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return jit_error_set(err, "owned by uid %u, but this process runs as uid %u: the"
				     " key must belong to root or to the user reading it (run jitd"
				     " as the key's owner, as jitd.service does; see jitd(8))",
				     (unsigned)st->st_uid, (unsigned)geteuid());
	return 0;
}

static int check_public_file_mode(const struct stat *st, jit_error *err)
{
	unsigned mode = (unsigned)st->st_mode & 07777u;

	if (mode & 022u)
		return jit_error_set(err, "mode %04o, a public key file must not be writable by"
				     " group or others", mode);
	return 0;
}

/* A key file's one line (the newline, if any, dropped), read the safe way;
 * the caller wipes and frees *text. */
static int read_key_file(const char *path, jit_file_check_fn check, char **text, size_t *len,
			 jit_error *err)
{
	if (jit_file_read(path, KEYFILE_MAX, check, text, len, err) != 0)
		return jit_error_prefix(err, "%s", path);
	if (*len > 0 && (*text)[*len - 1] == '\n')
		(*text)[--*len] = '\0';
	if (memchr(*text, '\n', *len) != NULL) {
		jit_file_wipe(*text, *len);
		*text = NULL;
		jit_error_set(err, "%s: a key file holds one line", path);
		return -1;
	}
	return 0;
}

int jit_secret_key_load(const char *path, struct jit_secret_key *out, jit_error *err)
{
	char *text;
	size_t len;
	int rc = read_key_file(path, check_secret_file_mode, &text, &len, err);

	if (rc == 0 && jit_paserk_secret_parse(text, len, out, err) != 0)
		rc = jit_error_prefix(err, "%s", path);
	jit_file_wipe(text, len);
	return rc;
}

int jit_public_key_load(const char *path, struct jit_public_key *out, jit_error *err)
{
	char *text;
	size_t len;
	int rc = read_key_file(path, check_public_file_mode, &text, &len, err);

	if (rc == 0 && jit_paserk_public_parse(text, len, out, err) != 0)
		rc = jit_error_prefix(err, "%s", path);
	jit_file_wipe(text, len);
	return rc;
}

void jit_secret_key_wipe(struct jit_secret_key *key)
{
	sodium_memzero(key, sizeof(*key));
}
