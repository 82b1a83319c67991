/* SPDX-License-Identifier: ISC */
/* RFC 3339 timestamps and human durations ("90s", "30m", "3h", "1d"). */
#ifndef JIT_TIMEUTIL_H
#define JIT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "2026-11-23T17:02:00Z" plus the NUL. */
#define JIT_RFC3339_LEN 21
/* Longest duration accepted: one year. */
#define JIT_DURATION_MAX ((int64_t)366 * 86400)

/* Writes "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds). */
int jit_rfc3339_format(time_t t, char buf[JIT_RFC3339_LEN]);

/* Accepts "YYYY-MM-DDTHH:MM:SS", an optional fraction (truncated to whole
 * seconds), then "Z" or "+HH:MM"/"-HH:MM". Upper-case T and Z only. Every
 * field range is checked (Feb 30 is refused). */
int jit_rfc3339_parse(const char *s, time_t *out);

/* A positive whole number followed by one unit s, m, h or d; at most
 * JIT_DURATION_MAX seconds. */
int jit_duration_parse(const char *s, int64_t *seconds);

/* The shortest exact form: 5400 -> "90m", 7200 -> "2h", 45 -> "45s". */
void jit_duration_format(int64_t seconds, char *buf, size_t size);

/* Milliseconds on the monotonic clock: for intervals, timeouts, rates. */
int64_t jit_monotonic_ms(void);

/* The same in seconds, to the nanosecond: for latencies. */
double jit_monotonic_seconds(void);

/* Milliseconds since the Unix epoch: for what the kernel times against the
 * wall clock (firewall element expiry). */
int64_t jit_realtime_ms(void);

#endif
