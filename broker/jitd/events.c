/* SPDX-License-Identifier: ISC */
/* What jitd tells the world besides its answers and its audit log:
 * notify_command events and the metrics file. */
#include "config.h"

#include "broker.h"
#include "log.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>

/* How often metrics_file is rewritten when nothing changed. */
#define METRICS_REFRESH 15

bool jit_broker_has_events(const struct jit_broker *b)
{
	return b->cfg->notify_command[0] != '\0';
}

void jit_broker_event(struct jit_broker *b, const char *event, json_t *fields)
{
	char when[JIT_RFC3339_LEN], *text;
	time_t now = time(NULL);
	json_t *o;

	if (!jit_broker_has_events(b)) {
		json_decref(fields);
		return;
	}
	jit_rfc3339_format(now, when);
	o = json_pack("{s:s, s:s, s:s}", "event", event, "time", when, "host", b->cfg->host);
	if (o != NULL && json_is_object(fields))
		(void)json_object_update(o, fields);
	json_decref(fields);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL) {
		log_error("notify_command: cannot build the %s event", event);
		jit_metrics_count(&b->metrics.notifications, "failed", NULL);
	} else {
		(void)jit_notifier_run(&b->notifier, b->cfg->notify_command, text,
				       b->cfg->notify_timeout * 1000, &b->metrics.notifications);
		free(text);
	}
	b->metrics_dirty = true;
}

bool jit_broker_has_housekeeping(const struct jit_broker *b)
{
	return b->cfg->metrics_file[0] != '\0' || b->cfg->notify_command[0] != '\0' ||
	       b->notifier.n > 0 || jit_broker_audit_pending(b);
}

static void write_metrics(struct jit_broker *b, time_t now)
{
	int64_t active = 0;
	jit_error err;

	if (jit_store_count_active(b->store, now, &active, &err) != 0) {
		log_error("metrics: %s", err.msg);
		active = -1;
	}
	if (jit_metrics_write(&b->metrics, b->cfg->metrics_file, active, &err) != 0)
		log_error("%s", err.msg);
	b->metrics_dirty = false;
	b->metrics_written = now;
}

void jit_broker_housekeeping(struct jit_broker *b)
{
	time_t now = time(NULL);
	size_t running = b->notifier.n;

	jit_broker_audit_flush(b);
	jit_notifier_tick(&b->notifier, &b->metrics.notifications);
	if (b->notifier.n != running)
		b->metrics_dirty = true;
	if (b->cfg->metrics_file[0] != '\0' &&
	    (b->metrics_dirty || now - b->metrics_written >= METRICS_REFRESH))
		write_metrics(b, now);
}
