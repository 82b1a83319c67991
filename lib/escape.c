/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "escape.h"

#include <stdbool.h>
#include <stdio.h>

const char *jit_escape_text(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)(in ? in : ""); *c != '\0'; c++) {
		bool c1 = c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f;
		unsigned code = c1 ? c[1] : c[0];
		bool plain = code >= 0x20 && code != 0x7f && code != '\\' && !c1;

		if (n + (plain ? 2 : 5) > size)
			break;
		if (plain) {
			out[n++] = (char)*c;
		} else {
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", code);
			c += c1;
		}
	}
	out[n] = '\0';
	return out;
}
