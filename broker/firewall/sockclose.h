/* SPDX-License-Identifier: ISC */
/* Closing this host's own TCP sockets of a window's flows, beside the
 * conntrack cut (conntrack.h): SOCK_DESTROY through sock_diag aborts each,
 * so the program serving a cut session (sshd, an RDP server) sees its
 * connection fail at once, and its peer gets a reset. */
#ifndef JIT_SOCKCLOSE_H
#define JIT_SOCKCLOSE_H

#include "conntrack.h"
#include "jit_error.h"

#include <stdbool.h>

/* Aborts the TCP sockets here of the cut's flows (the peer the source, the
 * local port the destination): how many, or -1 with the reason;
 * *unsupported set when the kernel has no SOCK_DESTROY
 * (CONFIG_INET_DIAG_DESTROY). */
long jit_sockets_close(const struct jit_cut *c, bool *unsupported, jit_error *err);

#endif
