/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "log.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* The one piece of process-wide state: where the daemon's log goes. */
static struct {
	bool to_stderr;
	bool debug;
	bool discard;
	const char *ident;
} log_cfg = { true, false, false, "jitd" };

void jit_log_init(const char *ident, bool to_stderr, bool debug)
{
	log_cfg.ident = ident;
	log_cfg.to_stderr = to_stderr;
	log_cfg.debug = debug;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

bool jit_log_limit_allow(struct jit_log_limit *l, unsigned burst, int64_t window_ms,
			 unsigned long *dropped_before)
{
	int64_t now = jit_monotonic_ms();

	*dropped_before = 0;
	if (now - l->window_start_ms >= window_ms) {
		*dropped_before = l->dropped;
		l->window_start_ms = now;
		l->logged = 0;
		l->dropped = 0;
	}
	if (l->logged >= burst) {
		l->dropped++;
		return false;
	}
	l->logged++;
	return true;
}

void jit_log_discard(void)
{
	log_cfg.discard = true;
}

static const char *level_name(int priority)
{
	switch (priority) {
	case LOG_CRIT: return "fatal";
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_DEBUG: return "debug";
	default: return "info";
	}
}

void jit_log(int priority, const char *fmt, ...)
{
	va_list ap;

	if (log_cfg.discard || (priority == LOG_DEBUG && !log_cfg.debug))
		return;
	va_start(ap, fmt);
	if (log_cfg.to_stderr) {
		fprintf(stderr, "%s: %s: ", log_cfg.ident, level_name(priority));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(priority, fmt, ap);
	}
	va_end(ap);
}
