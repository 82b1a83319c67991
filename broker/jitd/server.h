/* SPDX-License-Identifier: ISC */
/* jitd's event loop: the listening Unix socket, its clients, signals and
 * the expiry timer, all in one epoll set in one thread. */
#ifndef JIT_SERVER_H
#define JIT_SERVER_H

#include "broker.h"
#include "jit_error.h"

/* Binds cfg->socket (mode 0660, group cfg->socket_group) and listens.
 * Refuses when another jitd answers on it. Returns the fd, or -1. */
int jit_server_listen(const struct jit_config *cfg, jit_error *err);

/* Serves until SIGTERM or SIGINT. Returns 0, or -1 when the loop itself
 * could not be set up. Closes listen_fd and removes the socket file. */
int jit_server_run(struct jit_broker *b, int listen_fd);

#endif
