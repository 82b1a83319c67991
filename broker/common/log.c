/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "log.h"

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
