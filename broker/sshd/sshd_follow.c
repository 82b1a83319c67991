/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "sshd_follow.h"

#include "log.h"
#include "proto.h"
#include "sshlink.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 10000

static const char *const fleet_ops[] = { "follow", "ack", "login" };

static bool fleet_op(const char *op)
{
	for (size_t i = 0; i < sizeof(fleet_ops) / sizeof(fleet_ops[0]); i++)
		if (strcmp(op, fleet_ops[i]) == 0)
			return true;
	return false;
}

char *jit_sshd_follow_line(const char *line, size_t len, json_t *remote, const char **why)
{
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL), *op;
	char *text = NULL, *out;
	size_t n;

	op = json_is_object(req) ? json_object_get(req, "op") : NULL;
	if (!json_is_object(req))
		*why = "a line that is not a JSON object";
	else if (!json_is_string(op) || !fleet_op(json_string_value(op)))
		*why = "a request a host's key may not make (follow, ack and login only)";
	else if (json_object_set(req, "remote", remote) != 0 ||
		 (text = json_dumps(req, JSON_COMPACT)) == NULL)
		*why = "out of memory";
	json_decref(req);
	if (text == NULL)
		return NULL;
	n = strlen(text);
	out = realloc(text, n + 2);
	if (out == NULL) {
		free(text);
		*why = "out of memory";
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	return out;
}

static char *edit_line(const char *line, size_t len, void *ctx, jit_error *err)
{
	const char *why = NULL;
	char *out = jit_sshd_follow_line(line, len, ctx, &why);

	if (out == NULL)
		jit_error_set(err, "%s", why);
	return out;
}

int jit_sshd_follow(ssh_session session, ssh_channel channel, const char *socket,
		    json_t *remote)
{
	const char *host = json_string_value(json_object_get(remote, "host"));
	jit_error err;
	int fd = jit_proto_connect(socket, CONNECT_TIMEOUT_MS, &err), rc;
	struct jit_pump pump = { .session = session, .channel = channel, .fd = fd,
				 .edit = edit_line, .ctx = remote,
				 .line_max = JIT_PROTO_LINE_MAX };

	if (fd < 0) {
		log_error("host %s: %s", host, err.msg);
		return -1;
	}
	log_info("host %s follows its changes", host);
	rc = jit_pump_run(&pump, &err);
	close(fd);
	if (rc != 0)
		log_info("host %s: follow stream ended: %s", host, err.msg);
	else
		log_info("host %s: follow stream ended", host);
	return rc;
}
