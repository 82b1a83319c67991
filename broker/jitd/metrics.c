/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Upper bounds in seconds; the last bucket, +Inf, is implied. */
static const double bucket_bounds[JIT_METRICS_BUCKETS - 1] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
};

void jit_metrics_count(struct jit_counter *c, const char *result, const char *reason)
{
	char labels[sizeof(c->series[0].labels)];

	if (reason != NULL)
		(void)snprintf(labels, sizeof(labels), "result=\"%s\",reason=\"%s\"", result, reason);
	else
		(void)snprintf(labels, sizeof(labels), "result=\"%s\"", result);
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->series[i].labels, labels) == 0) {
			c->series[i].count++;
			return;
		}
	}
	/* The last series is kept for reason="other". */
	if (c->n == JIT_METRICS_SERIES_MAX - 1 && reason != NULL && strcmp(reason, "other") != 0) {
		jit_metrics_count(c, result, "other");
		return;
	}
	if (c->n == JIT_METRICS_SERIES_MAX)
		return;
	memcpy(c->series[c->n].labels, labels, sizeof(labels));
	c->series[c->n++].count = 1;
}

void jit_metrics_observe_request(struct jit_metrics *m, double seconds)
{
	size_t i = 0;

	while (i < JIT_METRICS_BUCKETS - 1 && seconds > bucket_bounds[i])
		i++;
	m->latency_buckets[i]++;
	m->latency_count++;
	m->latency_sum += seconds;
}

void jit_metrics_phase_begin(struct jit_metrics *m, double now)
{
	m->phase_mark = now;
}

void jit_metrics_phase_end(struct jit_metrics *m, enum jit_phase phase, double now)
{
	if (m->phase_mark <= 0)
		return;
	m->phase_seconds[phase] += now - m->phase_mark;
	m->phase_mark = now;
}

void jit_metrics_phase_done(struct jit_metrics *m, enum jit_phase phase, double now)
{
	jit_metrics_phase_end(m, phase, now);
	m->phase_mark = 0;
}

static void write_counter(FILE *f, const char *name, const char *help, const struct jit_counter *c)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < c->n; i++)
		fprintf(f, "%s{%s} %llu\n", name, c->series[i].labels, c->series[i].count);
}

static void write_scalar(FILE *f, const char *name, const char *type, const char *help,
			 unsigned long long value)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, value);
}

static void write_histogram(FILE *f, const struct jit_metrics *m)
{
	const char *name = "jit_request_duration_seconds";
	unsigned long long cumulative = 0;

	fprintf(f, "# HELP %s Time jitd took to decide and answer a request.\n"
		"# TYPE %s histogram\n", name, name);
	for (size_t i = 0; i < JIT_METRICS_BUCKETS - 1; i++) {
		cumulative += m->latency_buckets[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bucket_bounds[i], cumulative);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, m->latency_count);
	fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name, m->latency_sum, name, m->latency_count);
}

static void write_phases(FILE *f, const struct jit_metrics *m)
{
	static const char *const names[JIT_PHASES] = { "decide", "sign", "store", "firewall",
						       "write" };
	const char *name = "jit_request_phase_seconds_total";

	fprintf(f, "# HELP %s Time requests spent in each phase of being granted.\n"
		"# TYPE %s counter\n", name, name);
	for (size_t i = 0; i < JIT_PHASES; i++)
		fprintf(f, "%s{phase=\"%s\"} %.6f\n", name, names[i], m->phase_seconds[i]);
}

static void write_all(FILE *f, const struct jit_metrics *m, long long active_grants)
{
	write_scalar(f, "jit_grants_active", "gauge", "Grants whose window is open now.",
		     (unsigned long long)(active_grants < 0 ? 0 : active_grants));
	write_counter(f, "jit_requests_total",
		      "Access requests by result (granted, denied, error) and denial code.",
		      &m->requests);
	write_counter(f, "jit_pam_verifications_total",
		      "Logins pam_jit asked jitd about, by result (accepted, refused) and reason.",
		      &m->verifications);
	write_scalar(f, "jit_firewall_reconcile_corrections_total", "counter",
		     "Times jit's firewall rules were found changed and restored.",
		     m->reconcile_corrections);
	write_scalar(f, "jit_firewall_errors_total", "counter",
		     "Firewall backend operations that failed.", m->firewall_errors);
	write_counter(f, "jit_notifications_total",
		      "notify_command runs by result (sent, failed, timeout, dropped).",
		      &m->notifications);
	write_histogram(f, m);
	write_phases(f, m);
}

int jit_metrics_write(const struct jit_metrics *m, const char *path, long long active_grants,
		      jit_error *err)
{
	char tmp[4096 + 16];
	FILE *f;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return jit_error_set(err, "metrics_file: path too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return jit_error_set(err, "metrics_file %s: %s", path, strerror(errno));
	(void)fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = jit_error_set(err, "metrics_file %s: %s", path, strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return rc;
	}
	write_all(f, m, active_grants);
	rc = ferror(f) ? -1 : 0;
	if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
		rc = jit_error_set(err, "metrics_file %s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return rc;
	}
	return 0;
}
