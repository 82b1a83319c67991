/* One connection to jit-sshd, in a process of its own: public-key
 * authentication against the authorized keys, one session channel, one exec
 * request, run for the key's identity; everything else refused. */
#ifndef JIT_SSHD_SESSION_H
#define JIT_SSHD_SESSION_H

#include "jitd_config.h"

#include <libssh/libssh.h>

/* Serves the accepted session; returns once it is over. */
void jit_sshd_serve(ssh_session session, const struct jit_config *cfg);

#endif
