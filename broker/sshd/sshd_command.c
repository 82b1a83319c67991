/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "sshd_command.h"

#include "jitclient.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char remote_usage[] =
	"Usage: ssh [-p PORT] jit@BROKER COMMAND [OPTIONS]\n"
	"  (the login name is not looked at: your key says who you are)\n"
	"  request --port PORT/PROTO[,...] [--from CIDR] [--duration DURATION]\n"
	"          [--justification TEXT] [--for USER] [--host HOST|@GROUP[,...]]\n"
	"          [--break-glass] [--wait[=DURATION]] [--json]\n"
	"  request --resume ID [--wait[=DURATION]] [--json]\n"
	"      Ask for access from the address this connection comes from (or a\n"
	"      CIDR that holds it); prints the ticket alone (a line HOST TICKET\n"
	"      per host for several). --for: for another user (roles with\n"
	"      grant_others); --host: a controller's hosts. A request that needs\n"
	"      approvals is pending (exit 4); --wait waits for its decision.\n"
	"  list [--all] [--active] [--json]\n"
	"      your grants (--all: everyone's, for roles with audit)\n"
	"  revoke [--terminate] ID    close one of your grants at once\n"
	"  extend ID --duration D     make one of your grants end D later\n"
	"  status [--json]            jitd's state and your roles\n"
	"  policies [--json]          what your roles let you ask for\n"
	"  pending [--json]           requests you may review, and yours\n"
	"  approve ID [--reason TEXT] | deny ID --reason TEXT\n"
	"                             review a request (its policies' approvers)\n"
	"Exit status: 0 ok, 1 denied or failed, 2 usage error, 3 jitd unreachable,\n"
	"4 pending approvals.\n";

static const char *const remote_commands[] = { "request", "list", "revoke", "extend", "status",
					       "pending", "approve", "deny", "policies" };

/* --- splitting -------------------------------------------------------------------- */

struct splitter {
	const char *in;
	char *out;
	bool in_word;
	int n;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The character at s->in (after a backslash, or inside quotes) into the word. */
static void put(struct splitter *s, char c)
{
	*s->out++ = c;
	s->in_word = true;
}

/* Copies a quoted part; s->in points at the opening quote. */
static int quoted(struct splitter *s, const char **why)
{
	char q = *s->in++;

	s->in_word = true;
	for (; *s->in != q; s->in++) {
		if (*s->in == '\0') {
			*why = "a quote is not closed";
			return -1;
		}
		if (q == '"' && s->in[0] == '\\' && (s->in[1] == '"' || s->in[1] == '\\'))
			s->in++;
		put(s, *s->in);
	}
	s->in++;
	return 0;
}

int jit_sshd_split(const char *line, char *buf, char **words, int max, const char **why)
{
	struct splitter s = { .in = line, .out = buf };

	for (const char *c = line; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t') {
			*why = "control characters are not allowed";
			return -1;
		}
	while (*s.in != '\0') {
		if (!s.in_word && is_blank(*s.in)) {
			s.in++;
			continue;
		}
		if (!s.in_word) {
			if (s.n == max) {
				*why = "too many words";
				return -1;
			}
			words[s.n++] = s.out;
		}
		if (is_blank(*s.in)) {
			*s.out++ = '\0';
			s.in_word = false;
			s.in++;
		} else if (*s.in == '\'' || *s.in == '"') {
			if (quoted(&s, why) != 0)
				return -1;
		} else if (*s.in == '\\' && s.in[1] != '\0') {
			put(&s, s.in[1]);
			s.in += 2;
		} else {
			put(&s, *s.in++);
		}
	}
	*s.out = '\0';
	return s.n;
}

/* --- running -------------------------------------------------------------------- */

static bool remote_command(const char *word)
{
	for (size_t i = 0; i < sizeof(remote_commands) / sizeof(remote_commands[0]); i++)
		if (strcmp(word, remote_commands[i]) == 0)
			return true;
	return false;
}

static bool names_socket(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--socket") == 0 || strncmp(argv[i], "--socket=", 9) == 0)
			return true;
	return false;
}

/* The words, checked and run for the remote user; prints to cl's streams. */
static int dispatch(const char *line, const struct jit_client *cl)
{
	char buf[JIT_SSHD_COMMAND_MAX + 1];
	char *words[JIT_SSHD_WORDS_MAX + 1];
	const char *why = NULL;
	FILE *err = cl->io.err;
	int n;

	if (strlen(line) > JIT_SSHD_COMMAND_MAX) {
		fprintf(err, "jit-sshd: the command is longer than %d bytes\n", JIT_SSHD_COMMAND_MAX);
		return JITCTL_USAGE;
	}
	n = jit_sshd_split(line, buf, words, JIT_SSHD_WORDS_MAX, &why);
	if (n < 0) {
		fprintf(err, "jit-sshd: %s\n%s", why, remote_usage);
		return JITCTL_USAGE;
	}
	words[n] = NULL;
	if (n == 0 || !remote_command(words[0])) {
		if (n > 0 && strcmp(words[0], "help") != 0 && strcmp(words[0], "--help") != 0)
			fprintf(err, "jit-sshd: unknown command '%.64s'\n", words[0]);
		fputs(remote_usage, err);
		return JITCTL_USAGE;
	}
	if (names_socket(n, words)) {
		fprintf(err, "jit-sshd: --socket is not for remote users\n");
		return JITCTL_USAGE;
	}
	return jit_client_command(cl, words[0], n, words);
}

bool jit_sshd_command_waits(const char *line)
{
	char buf[JIT_SSHD_COMMAND_MAX + 1];
	char *words[JIT_SSHD_WORDS_MAX + 1];
	const char *why = NULL;
	int n;

	if (strlen(line) > JIT_SSHD_COMMAND_MAX)
		return false;
	n = jit_sshd_split(line, buf, words, JIT_SSHD_WORDS_MAX, &why);
	if (n < 1 || strcmp(words[0], "request") != 0)
		return false;
	for (int i = 1; i < n; i++) {
		if (strcmp(words[i], "--") == 0)
			return false;
		if (strcmp(words[i], "--wait") == 0 || strncmp(words[i], "--wait=", 7) == 0)
			return true;
	}
	return false;
}

/* What a memory stream holds, at most JIT_SSHD_OUTPUT_MAX bytes of it. */
static void stream_take(FILE *f, char **text, size_t *len, char **out, size_t *out_len)
{
	if (f == NULL || fclose(f) != 0 || *text == NULL) {
		free(*text);
		*out = NULL;
		*out_len = 0;
		return;
	}
	if (*len > JIT_SSHD_OUTPUT_MAX) {
		*len = JIT_SSHD_OUTPUT_MAX;
		(*text)[*len] = '\0';
	}
	*out = *text;
	*out_len = *len;
}

int jit_sshd_run(const char *line, const char *socket, json_t *remote,
		 struct jit_sshd_output *out)
{
	char *text[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	struct jit_client cl = { .socket = socket, .remote = remote };
	int status = JITCTL_FAILED;

	memset(out, 0, sizeof(*out));
	cl.io.out = open_memstream(&text[0], &len[0]);
	cl.io.err = open_memstream(&text[1], &len[1]);
	if (cl.io.out != NULL && cl.io.err != NULL)
		status = dispatch(line, &cl);
	stream_take(cl.io.out, &text[0], &len[0], &out->out, &out->out_len);
	stream_take(cl.io.err, &text[1], &len[1], &out->err, &out->err_len);
	return status;
}

void jit_sshd_output_free(struct jit_sshd_output *out)
{
	free(out->out);
	free(out->err);
	memset(out, 0, sizeof(*out));
}
