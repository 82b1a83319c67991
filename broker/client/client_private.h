/* SPDX-License-Identifier: ISC */
/* What the client commands' files share: the call to jitd and the
 * printing helpers. Private to broker/client/. */
#ifndef JIT_CLIENT_PRIVATE_H
#define JIT_CLIENT_PRIVATE_H

#include "jitclient.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* The options every command has. */
struct jit_client_common {
	const char *socket;
	bool json;
};

/* Sends req (consumed) and returns the successful response, or NULL with
 * the exit status in *status and the reason printed. */
json_t *jit_client_call(const struct jit_client *cl, const char *cmd,
			const struct jit_client_common *co, json_t *req, int *status);

/* Colour only for a person at a terminal, never with NO_COLOR set. */
bool jit_client_use_colour(FILE *out);
/* A string field of an answer, escaped for the terminal, into out. */
const char *jit_client_field(json_t *o, const char *key, char *out, size_t size);
/* word padded to width, coloured when colour is on and it has a colour. */
void jit_client_print_word(FILE *out, const char *word, int width, bool colour);
void jit_client_print_json(FILE *out, json_t *v);
/* -1 when no operand is left, else a usage error's status. */
int jit_client_no_operands(const struct jit_client *cl, const char *cmd, int argc, char **argv);
/* "2h05m", "4m30s", "12s". */
void jit_client_duration_text(json_int_t s, char *buf, size_t size);
/* A string array joined with commas: ["22/tcp","3389/tcp"] as "22/tcp,3389/tcp". */
void jit_client_joined(json_t *strings, char *buf, size_t size);
/* A positive id; -1 when s is not one. */
int jit_client_parse_id(const char *s, json_int_t *id);

/* A command with no options but --json and --socket that asks operation
 * cmd: with --json, the answer's member key is printed, else print prints
 * the answer. */
int jit_client_listing(const struct jit_client *cl, const char *cmd, const char *usage,
		       const char *key, void (*print)(FILE *out, json_t *resp), int argc, char **argv);

/* The request a's options describe, as operation cmd ("request",
 * "explain"); NULL with a usage error said and *status set. */
json_t *jit_client_build_request(const struct jit_client *cl, const char *cmd,
				 const struct jit_client_request *a, int *status);

/* client_policies.c: policies (what the caller may ask for) and explain
 * (how a user's request would be decided); -1 for another command. */
int jit_client_policy_command(const struct jit_client *cl, const char *cmd, int argc,
			      char **argv);

/* client_locks.c: lock, locks, unlock; -1 for another command. */
int jit_client_lock_command(const struct jit_client *cl, const char *cmd, int argc, char **argv);

/* client_review.c: pending, approve, deny; and for request, what a
 * pending request's answers say (--wait, --resume). */
int jit_client_review_command(const struct jit_client *cl, const char *cmd, int argc,
			      char **argv);
/* The answer to a request that came back pending (resp has "pending"):
 * said on stderr; with wait, waited for until decided (or wait_for
 * seconds, 0: until it lapses), then *resp is the decided answer as
 * jit_client_request_outcome() takes it. The exit status, or -1 when
 * *resp holds grants to print. */
int jit_client_await(const struct jit_client *cl, const struct jit_client_common *co,
		     json_int_t id, bool wait, int64_t wait_for, json_t **resp);

#endif
