/* SPDX-License-Identifier: ISC */
/* Fuzzes jit-sshd's authorized_keys parser: entries come out complete (a
 * user or a host, a key, its fingerprint) or the whole file is refused. */
#include "config.h"

#include "authkeys.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A user's key names a user and no host, a host's (jit-host=) a host and
 * no user. */
static bool names_one(const struct jit_authkey *k)
{
	if (k->host[0] == '\0')
		return jit_config_valid_name(k->identity);
	return k->identity[0] == '\0' && jit_config_valid_host(k->host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jit_config_errors errs = { .n = 0 };
	struct jit_authkeys keys = { .keys = NULL, .n = 0 };

	if (jit_authkeys_parse("fuzz_keys", (const char *)data, size, &keys, &errs) == 0) {
		for (size_t i = 0; i < keys.n; i++)
			if (keys.keys[i].key == NULL || !names_one(&keys.keys[i]) ||
			    strncmp(keys.keys[i].fingerprint, "SHA256:", 7) != 0 ||
			    keys.keys[i].n_from > JIT_AUTHKEYS_FROM_MAX)
				abort();
	} else if (keys.n != 0 || errs.n == 0) {
		abort();
	}
	jit_authkeys_free(&keys);
	return 0;
}
