/* SPDX-License-Identifier: ISC */
/* A blocking connection to a Unix stream socket, for the test helpers. */
#ifndef JIT_TEST_UNIXCONN_H
#define JIT_TEST_UNIXCONN_H

/* The connected fd, or -1 with errno. */
int unix_connect(const char *path);

#endif
