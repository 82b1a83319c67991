/* SPDX-License-Identifier: ISC */
/* systemd's readiness protocol (sd_notify(3)), spoken directly: one datagram
 * to the Unix socket $NOTIFY_SOCKET. Without the variable it does nothing,
 * so the daemons behave the same under any service manager. */
#ifndef JIT_SDNOTIFY_H
#define JIT_SDNOTIFY_H

/* Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..."). Returns
 * 1 when sent, 0 when no manager listens ($NOTIFY_SOCKET unset), -1 on error
 * (a path that is too long, a socket that refuses). */
int jit_sd_notify(const char *state);

#endif
