/* SPDX-License-Identifier: ISC */
/* The broker's socket protocol: newline-delimited JSON objects, one request
 * and one response per line, each carrying "v":1. The client half lives
 * here so that jitctl and the PAM module share it. */
#ifndef JIT_PROTO_H
#define JIT_PROTO_H

#include "jit_error.h"

#include <jansson.h>

#define JIT_PROTO_VERSION 1
/* Longest request line jitd accepts, without its newline. */
#define JIT_PROTO_LINE_MAX 65536
/* Longest response line a client accepts (list and audit answers are long). */
#define JIT_PROTO_RESPONSE_MAX (8 * 1024 * 1024)
#define JIT_DEFAULT_SOCKET "/run/jit/jitd.sock"

enum jit_call_status {
	JIT_CALL_OK = 0,
	JIT_CALL_UNREACHABLE,	/* no socket, nobody listening, no permission, timeout,
				 * closed before a whole answer */
	JIT_CALL_FAILED,	/* an answer that is not a valid response */
};

/* A connection to the broker's socket at path (writes on it time out after
 * timeout_ms), or -1 with err. */
int jit_proto_connect(const char *path, int timeout_ms, jit_error *err);

/* Connects to the broker at socket_path, sends `req` (with "v":1 added) as
 * one line and reads one response line within timeout_ms in all. On
 * JIT_CALL_OK *resp is a JSON object the caller json_decref()s. Never
 * raises SIGPIPE. */
enum jit_call_status jit_proto_call(const char *socket_path, json_t *req, int timeout_ms,
				    json_t **resp, jit_error *err);

#endif
