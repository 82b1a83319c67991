/* SPDX-License-Identifier: ISC */
/* jitctl's own commands; the broker's client commands are in jitclient.h. */
#ifndef JITCTL_H
#define JITCTL_H

#include "jitclient.h"

#include <stdio.h>

/* jitctl's streams, for the client library's functions. */
#define JITCTL_STDIO (&(const struct jit_client_io){ stdout, stderr })

/* Prints "jitctl: MESSAGE" to stderr. */
void jitctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "jitctl CMD: MESSAGE" and the --help hint on stderr, worth JITCTL_USAGE. */
#define jitctl_usage_error(...) jit_client_usage_error(JITCTL_STDIO, __VA_ARGS__)

int jitctl_keygen(int argc, char **argv);
int jitctl_ticket(int argc, char **argv);
int jitctl_firewall(int argc, char **argv);
int jitctl_scan(int argc, char **argv);
int jitctl_db(int argc, char **argv);

/* jitctl --remote USER@HOST[:PORT] ... (argv[0] is "--remote") and jitctl ssh. */
int jitctl_remote(int argc, char **argv);
int jitctl_ssh(int argc, char **argv);

/* jitctl as ssh's askpass for jitctl ssh: answers the ticket prompt from
 * $JITCTL_ASKPASS_TICKET, asks any other on the terminal. */
int jitctl_askpass(const char *prompt);

#endif
