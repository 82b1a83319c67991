/* SPDX-License-Identifier: ISC */
/* Fuzzes jit-sshd's authorized_keys parser: entries come out complete (an
 * identity, a key, its fingerprint) or the whole file is refused. */
#include "config.h"

#include "authkeys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jit_config_errors errs = { .n = 0 };
	struct jit_authkeys keys = { .keys = NULL, .n = 0 };

	if (jit_authkeys_parse("fuzz_keys", (const char *)data, size, &keys, &errs) == 0) {
		for (size_t i = 0; i < keys.n; i++)
			if (keys.keys[i].key == NULL || !jit_config_valid_name(keys.keys[i].identity) ||
			    strncmp(keys.keys[i].fingerprint, "SHA256:", 7) != 0 ||
			    keys.keys[i].n_from > JIT_AUTHKEYS_FROM_MAX)
				abort();
	} else if (keys.n != 0 || errs.n == 0) {
		abort();
	}
	jit_authkeys_free(&keys);
	return 0;
}
