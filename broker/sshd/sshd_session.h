/* SPDX-License-Identifier: ISC */
/* One connection to jit-sshd, in a process of its own: public-key
 * authentication against the authorized keys, one session channel, one exec
 * request, run for the key's identity; everything else refused. */
#ifndef JIT_SSHD_SESSION_H
#define JIT_SSHD_SESSION_H

#include "jitd_config.h"

#include <libssh/libssh.h>

/* The address the accepted session's connection comes from. -1 when the
 * socket does not say. */
int jit_sshd_peer(ssh_session session, struct jit_addr *out);

/* Serves the accepted session; returns once it is over. */
void jit_sshd_serve(ssh_session session, const struct jit_config *cfg);

#endif
