/* SPDX-License-Identifier: ISC */
/* The command line a remote user sends jit-sshd over SSH ("exec"): split into
 * words and run as jitctl's broker commands for that user. */
#ifndef JIT_SSHD_COMMAND_H
#define JIT_SSHD_COMMAND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JIT_SSHD_COMMAND_MAX 4096
#define JIT_SSHD_WORDS_MAX 32
#define JIT_SSHD_OUTPUT_MAX (1024 * 1024)

/* Splits line into words as a shell splits them, with no expansion: blanks
 * separate; '…' is literal; in "…" a backslash escapes " and \; elsewhere
 * a backslash escapes the next character. The words point into buf (at
 * least strlen(line) + 1 bytes). Returns the number of words, or -1 with
 * why set (an unterminated quote, a control character, too many words). */
int jit_sshd_split(const char *line, char *buf, char **words, int max, const char **why);

struct jit_sshd_output {
	char *out, *err;	/* what the command printed, NUL-terminated */
	size_t out_len, err_len;
};

/* Runs line for the remote user `remote` ({"user","address","key"}) against
 * jitd at socket: request, list, revoke or status, as jitctl has them;
 * anything else gets the usage. Returns the exit status (jitctl's: 0, 1,
 * 2 usage, 3 jitd unreachable); out holds what it printed, to be freed with
 * jit_sshd_output_free(). */
/* Whether the command waits for a request's approvals (request --wait):
 * it may then run for as long as a request may wait. */
bool jit_sshd_command_waits(const char *line);

int jit_sshd_run(const char *line, const char *socket, json_t *remote,
		 struct jit_sshd_output *out);

void jit_sshd_output_free(struct jit_sshd_output *out);

#endif
