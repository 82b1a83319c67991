/* SPDX-License-Identifier: ISC */
/* jitd's metrics, written as a Prometheus text file for node_exporter's
 * textfile collector: counters by result and reason, a latency histogram,
 * and the gauges the caller passes at write time. */
#ifndef JIT_METRICS_H
#define JIT_METRICS_H

#include "jit_error.h"

#include <stddef.h>

/* Distinct label sets per counter; more are counted under reason="other". */
#define JIT_METRICS_SERIES_MAX 48
#define JIT_METRICS_BUCKETS 12

struct jit_metric_series {
	char labels[96];		/* result="denied",reason="no_role" */
	unsigned long long count;
};

struct jit_counter {
	struct jit_metric_series series[JIT_METRICS_SERIES_MAX];
	size_t n;
};

/* Where a granted request's time goes: deciding (the request's fields,
 * policy, limits, the answer's JSON), signing the ticket, recording grant
 * and audit row, opening the firewall, and writing the answer out. */
enum jit_phase { JIT_PHASE_DECIDE, JIT_PHASE_SIGN, JIT_PHASE_STORE, JIT_PHASE_FIREWALL,
		 JIT_PHASE_WRITE, JIT_PHASES };

struct jit_metrics {
	struct jit_counter requests;		/* result, reason */
	struct jit_counter verifications;	/* result, reason */
	struct jit_counter notifications;	/* result */
	unsigned long long reconcile_corrections;
	unsigned long long firewall_errors;
	unsigned long long latency_buckets[JIT_METRICS_BUCKETS];	/* not cumulative */
	unsigned long long latency_count;
	double latency_sum;
	double phase_seconds[JIT_PHASES];
	double phase_mark;	/* when the phase being timed began; 0: none is */
};

/* Counts one event: result ("granted", "denied", "accepted", "refused",
 * "sent", ...) and an optional reason code (NULL: no reason label). Both are
 * jit's own codes, never user input. */
void jit_metrics_count(struct jit_counter *c, const char *result, const char *reason);

/* One request's time from parse to answer. */
void jit_metrics_observe_request(struct jit_metrics *m, double seconds);

/* A request's phases: begun at now, then each ended in turn (its time the
 * time since the last end); ending one while none is timed does nothing.
 * jit_metrics_phase_done() ends the last and stops the clock. */
void jit_metrics_phase_begin(struct jit_metrics *m, double now);
void jit_metrics_phase_end(struct jit_metrics *m, enum jit_phase phase, double now);
void jit_metrics_phase_done(struct jit_metrics *m, enum jit_phase phase, double now);

/* Writes the text to path atomically (a temporary file beside it, then
 * rename), mode 0644. active_grants: the gauge's value. */
int jit_metrics_write(const struct jit_metrics *m, const char *path, long long active_grants,
		      jit_error *err);

#endif
