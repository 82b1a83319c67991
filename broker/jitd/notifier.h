/* SPDX-License-Identifier: ISC */
/* notify_command: a program jitd runs (no shell) for each grant, denial,
 * revocation, expiry and login, the event as one JSON object on its
 * standard input. Runs never block the broker: the event is written into a
 * pipe at once, children are reaped and, past their time, killed by
 * jit_notifier_tick(); at most JIT_NOTIFY_RUNNING run at a time and further
 * events are dropped and counted. */
#ifndef JIT_NOTIFIER_H
#define JIT_NOTIFIER_H

#include "metrics.h"

#include <stdint.h>
#include <sys/types.h>

#define JIT_NOTIFY_RUNNING 16
/* Longest event accepted: it must fit a pipe's buffer so that one write
 * hands it over whole. */
#define JIT_NOTIFY_EVENT_MAX 16384

struct jit_notify_run {
	pid_t pid;
	int64_t deadline_ms;		/* CLOCK_MONOTONIC */
	int killed;
};

struct jit_notifier {
	struct jit_notify_run runs[JIT_NOTIFY_RUNNING];
	size_t n;
};

/* Starts command with event on its stdin; counts "dropped" or "failed" in
 * counter when it cannot. Returns 0 when started. */
int jit_notifier_run(struct jit_notifier *n, const char *command, const char *event,
		     int64_t timeout_ms, struct jit_counter *counter);

/* Reaps finished runs (counting "sent" for exit status 0, "failed" for any
 * other, "timeout" for those it killed) and kills those past their time. */
void jit_notifier_tick(struct jit_notifier *n, struct jit_counter *counter);

/* Kills and reaps every run (at shutdown). */
void jit_notifier_stop(struct jit_notifier *n, struct jit_counter *counter);

#endif
