/* SPDX-License-Identifier: ISC */
/* Text from outside (the network, the audit log) made safe to print on a
 * terminal or in one log line. */
#ifndef JIT_ESCAPE_H
#define JIT_ESCAPE_H

#include <stddef.h>

/* Copies in to out (size bytes with the NUL): C0 controls, DEL, C1
 * controls (U+0080-U+009F, as UTF-8) and the backslash become \xNN, so
 * that nothing printed can move a cursor or forge a line and every escape
 * is unambiguous. Cut at an escape or character boundary to fit. NULL
 * counts as "". Returns out. */
const char *jit_escape_text(const char *in, char *out, size_t size);

#endif
