/* SPDX-License-Identifier: ISC */
/* The lengths of the names the whole tree shares, with their NUL: a header
 * of their own, so that a struct holding a name need not include the
 * configuration to know how long it may be. */
#ifndef JIT_LIMITS_H
#define JIT_LIMITS_H

#define JIT_NAME_MAX 64		/* section, user, group names */
#define JIT_HOST_MAX 256	/* host ids */
#define JIT_PATH_MAX 4096	/* absolute paths */

#endif
