/* SPDX-License-Identifier: ISC */
/* Fuzzes jitd.conf parsing: any text is a configuration or a list of
 * errors, never a crash, a leak or an unterminated message. */
#include "config.h"

#include "jitd_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jit_config_errors errs = { .n = 0 };
	struct jit_config *cfg = jit_config_parse("fuzz.conf", (const char *)data, size, &errs);

	if ((cfg == NULL) == (errs.n == 0))
		abort();
	for (size_t i = 0; i < errs.n; i++)
		if (memchr(errs.msg[i], '\0', sizeof(errs.msg[i])) == NULL)
			abort();
	jit_config_free(cfg);
	return 0;
}
