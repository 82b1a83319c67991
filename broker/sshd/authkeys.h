/* SPDX-License-Identifier: ISC */
/* jit-sshd's authorized keys: OpenSSH's authorized_keys format, where each
 * key line names the identity it stands for with the option
 * jit-user="NAME" (one person may have several keys), or, for an enforcer's
 * key, jit-host="NAME" (the host id whose changes it may follow, and
 * nothing else). Other options:
 * from="CIDR[,CIDR...]" limits where the key is accepted from; restrict,
 * no-pty, no-port-forwarding, no-agent-forwarding, no-X11-forwarding and
 * no-user-rc are accepted and change nothing, since jit-sshd refuses all of
 * that anyway. Anything else is an error naming its line. */
#ifndef JIT_AUTHKEYS_H
#define JIT_AUTHKEYS_H

#include "jitd_config.h"
#include "netaddr.h"

#include <libssh/libssh.h>
#include <stdbool.h>
#include <stddef.h>

#define JIT_AUTHKEYS_FROM_MAX 16
#define JIT_AUTHKEYS_LINE_MAX 16384
#define JIT_AUTHKEYS_FILE_MAX (1024 * 1024)
#define JIT_FINGERPRINT_MAX 128

struct jit_authkey {
	char identity[JIT_NAME_MAX];	/* a user's key; "" for a host's */
	char host[JIT_HOST_MAX];	/* a host's key; "" for a user's */
	ssh_key key;
	char fingerprint[JIT_FINGERPRINT_MAX];	/* "SHA256:…", as ssh-keygen -l prints */
	struct jit_cidr from[JIT_AUTHKEYS_FROM_MAX];
	size_t n_from;			/* 0: from anywhere */
	unsigned line;
};

struct jit_authkeys {
	struct jit_authkey *keys;
	size_t n;
};

/* Parses text (name stands for the file in messages). Returns 0, or -1 with
 * every error found in errs ("NAME:LINE: reason"); out is then empty. */
int jit_authkeys_parse(const char *name, const char *text, size_t len, struct jit_authkeys *out,
		       struct jit_config_errors *errs);

/* Reads and parses the file at path, which must be a regular file of at
 * most JIT_AUTHKEYS_FILE_MAX bytes that neither group nor others may write. */
int jit_authkeys_load(const char *path, struct jit_authkeys *out, struct jit_config_errors *errs);

/* The key's SHA256 fingerprint as ssh-keygen -l prints it ("SHA256:…").
 * Returns 0, or -1 when it cannot be computed. */
int jit_ssh_fingerprint(const ssh_key key, char *out, size_t size);

/* The entry whose key is `key`, or NULL. */
const struct jit_authkey *jit_authkeys_find(const struct jit_authkeys *keys, const ssh_key key);

/* Whether the entry accepts a client at addr (its from= list, if any). */
bool jit_authkey_allows(const struct jit_authkey *entry, const struct jit_addr *addr);

void jit_authkeys_free(struct jit_authkeys *keys);

#endif
