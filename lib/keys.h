/* SPDX-License-Identifier: ISC */
/* Ed25519 keys as PASERK strings (k4.secret, k4.public, k4.pid) and the
 * one-line key files that hold them. */
#ifndef JIT_KEYS_H
#define JIT_KEYS_H

#include "jit_error.h"

#include <stddef.h>
#include <stdint.h>

#define JIT_PK_BYTES 32
#define JIT_SK_BYTES 64
/* "k4.pid." + 44 characters (33 bytes of BLAKE2b) + NUL. */
#define JIT_PID_LEN 52
/* "k4.secret." + 86 characters + NUL, the longest PASERK we write. */
#define JIT_PASERK_MAX 97

struct jit_public_key {
	uint8_t pk[JIT_PK_BYTES];
	char pid[JIT_PID_LEN];		/* k4.pid of this key */
};

struct jit_secret_key {
	uint8_t sk[JIT_SK_BYTES];	/* libsodium layout: seed || public key */
	struct jit_public_key pub;
};

int jit_key_generate(struct jit_secret_key *key);

/* Fills pub->pid from pub->pk. */
void jit_public_key_set_pid(struct jit_public_key *pub);

void jit_paserk_secret(const struct jit_secret_key *key, char out[JIT_PASERK_MAX]);
void jit_paserk_public(const struct jit_public_key *pub, char out[JIT_PASERK_MAX]);

/* Parse a PASERK string of exactly `len` characters. The secret key's public
 * half must be the one its seed derives, else it is refused. */
int jit_paserk_secret_parse(const char *s, size_t len, struct jit_secret_key *out,
			    jit_error *err);
int jit_paserk_public_parse(const char *s, size_t len, struct jit_public_key *out,
			    jit_error *err);

/* Key files: one PASERK line (a final newline is allowed). The secret key
 * file must be a regular file of mode 0600 or 0400 owned by the running
 * user or root; the public one a regular file writable by nobody but its
 * owner. Errors name the file and, where it matters, its mode. */
int jit_secret_key_load(const char *path, struct jit_secret_key *out, jit_error *err);
int jit_public_key_load(const char *path, struct jit_public_key *out, jit_error *err);

/* Overwrites key material with zeros. */
void jit_secret_key_wipe(struct jit_secret_key *key);

#endif
