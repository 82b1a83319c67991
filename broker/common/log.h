/* SPDX-License-Identifier: ISC */
/* jitd's log: syslog (facility authpriv), or stderr when debugging.
 * Levels as OpenSSH has them: fatal, error, verbose (info) and debug. */
#ifndef JIT_LOG_H
#define JIT_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* to_stderr: write to stderr instead of syslog; debug: include debug lines. */
void jit_log_init(const char *ident, bool to_stderr, bool debug);

/* Drops every line: for the fuzz targets, which drive the broker in-process
 * millions of times. */
void jit_log_discard(void);
void jit_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines about something that can come in floods (refused connections):
 * at most a burst per window, the rest counted. */
struct jit_log_limit {
	int64_t window_start_ms;	/* monotonic */
	unsigned logged;		/* in this window */
	unsigned long dropped;		/* not logged in this window */
};

/* Whether one more such line may be logged now (at most burst per
 * window_ms). When a new window starts after lines were dropped,
 * *dropped_before says how many, for a line of its own; else 0. */
bool jit_log_limit_allow(struct jit_log_limit *l, unsigned burst, int64_t window_ms,
			 unsigned long *dropped_before);

/* What keeps the program from starting or going on (it then exits). */
#define log_fatal(...) jit_log(LOG_CRIT, __VA_ARGS__)
#define log_error(...) jit_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...) jit_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...) jit_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) jit_log(LOG_DEBUG, __VA_ARGS__)

#endif
