/* SPDX-License-Identifier: ISC */
/* jitctl scan's parts: this host's listening sockets (from /proc/net), the
 * processes that hold them, and which of them jit should guard. */
#ifndef JIT_SCAN_H
#define JIT_SCAN_H

#include "jit_error.h"
#include "netaddr.h"

#include <stdbool.h>
#include <stddef.h>

#define JIT_SCAN_LISTENERS_MAX 4096
#define JIT_SCAN_PROCESS_MAX 16	/* /proc/PID/comm: 15 bytes and the NUL */

struct jit_listener {
	struct jit_addr addr;
	struct jit_portspec spec;	/* the port and tcp or udp */
	unsigned long inode;
	char process[JIT_SCAN_PROCESS_MAX];	/* "" when no process could be named */
};

enum jit_scan_mark {
	JIT_SCAN_GUARDED,	/* a policy guards its port */
	JIT_SCAN_UNGUARDED,	/* a management port, open to everyone */
	JIT_SCAN_OTHER,
};

/* One line of /proc/net/{tcp,tcp6,udp,udp6}: 1 and *out filled for a
 * listening socket (TCP LISTEN, or UDP unconnected), 0 for another socket
 * or the header line, -1 when the line is malformed. */
int jit_scan_proc_line(const char *line, bool v6, enum jit_proto proto,
		       struct jit_listener *out);

/* Every listening socket in PROC/net/{tcp,tcp6,udp,udp6} (PROC is /proc
 * but for tests); a file that does not exist (no IPv6) is skipped. -1 with
 * the reason when a file cannot be read or holds more than max. */
int jit_scan_listeners(const char *proc, struct jit_listener *out, size_t max, size_t *n,
		       jit_error *err);

/* Names the process holding each listener's socket (PROC/PID/fd, which
 * only root sees for every process); unnamed ones stay "". */
void jit_scan_owners(const char *proc, struct jit_listener *l, size_t n);

/* Guarded when its port is among the guarded; unguarded when it is a
 * management port (22, 3389, 5985, 5986/tcp, 3389/udp, or any sshd or
 * xrdp listens on) reachable from elsewhere than this host; else other. */
enum jit_scan_mark jit_scan_classify(const struct jit_listener *l,
				     const struct jit_portspec *guarded, size_t n_guarded);

/* "guarded", "unguarded", "other". */
const char *jit_scan_mark_name(enum jit_scan_mark m);

#endif
