/* SPDX-License-Identifier: ISC */
/* jitctl --remote and jitctl ssh: the broker through jit-sshd, with libssh's
 * client API, the user's agent or ~/.ssh/id_* keys, and known_hosts. */
#include "config.h"

#include "jitctl.h"
#include "sshlink.h"

#include <errno.h>
#include <libssh/libssh.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define READ_TIMEOUT_MS 30000
/* A command that waits for approvals says nothing until it is decided:
 * as long as a request may wait (request_ttl's maximum), and a minute. */
#define WAIT_READ_TIMEOUT_MS ((7 * 86400 + 60) * 1000)
#define OUTPUT_MAX (1024 * 1024)

static const char remote_usage[] =
	"Usage: jitctl --remote USER@HOST[:PORT] [--identity FILE] [--known-hosts FILE]\n"
	"              request|list|revoke|status|pending|approve|deny [OPTIONS]\n"
	"  Runs the command on jit-sshd at HOST (port 22 unless given; IPv6 as\n"
	"  [ADDR]:PORT) for the identity your key stands for. Keys: ssh-agent, else\n"
	"  ~/.ssh/id_*, or --identity; host keys: ~/.ssh/known_hosts, or --known-hosts.\n"
	"  An unknown or changed host key is refused, as ssh refuses it.\n";

static const char ssh_usage[] =
	"Usage: jitctl ssh [--broker USER@HOST[:PORT]] [--host HOST] [--port PORT/PROTO]\n"
	"                  [--duration D] [--justification TEXT] [--from CIDR]\n"
	"                  [--identity FILE] [--known-hosts FILE] [--] [SSH ARGUMENTS...]\n"
	"                  TARGET [COMMAND]\n"
	"  Asks for a window (through jit-sshd with --broker, else through jitd's\n"
	"  socket, which needs --from), then runs ssh with the arguments after\n"
	"  jitctl's options and an askpass that answers the 'JIT ticket: ' prompt.\n"
	"  After --, ssh's own options may come first (-- -v alice@web01).\n"
	"  --host: the host id to ask a controller for (default: the broker's own\n"
	"  host); --port defaults to 22/tcp. A request that needs approvals is\n"
	"  waited for until it is decided or lapses; then ssh runs.\n";

/* A session with t, or NULL having said why. */
static ssh_session connect_to(const struct jit_ssh_target *t)
{
	jit_error err;
	ssh_session s = jit_ssh_connect(t, &err);

	if (s == NULL)
		jitctl_err("%s", err.msg);
	return s;
}

/* --- running a command -------------------------------------------------------------- */

/* The words as one command line jit-sshd splits back: each in single quotes. */
static char *join_words(int argc, char **argv)
{
	size_t size = 1;
	char *line, *p;

	for (int i = 0; i < argc; i++)
		size += 3 + 4 * strlen(argv[i]);
	line = p = calloc(1, size);
	if (line == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			*p++ = ' ';
		*p++ = '\'';
		for (const char *c = argv[i]; *c != '\0'; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	return line;
}

/* Reads the channel to its end: stdout into *out (when out is not NULL, else
 * to our stdout), then stderr to ours; libssh keeps stderr meanwhile, and
 * jit-sshd writes it after stdout. */
static int drain(ssh_channel ch, int timeout_ms, char **out, size_t *out_len)
{
	char buf[4096];
	size_t len = 0;
	int n;

	if (out != NULL && (*out = calloc(1, OUTPUT_MAX + 1)) == NULL)
		return -1;
	while ((n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 0, timeout_ms)) > 0) {
		if (out == NULL)
			(void)fwrite(buf, 1, (size_t)n, stdout);
		else if (len + (size_t)n <= OUTPUT_MAX) {
			memcpy(*out + len, buf, (size_t)n);
			len += (size_t)n;
		}
	}
	if (n == SSH_ERROR)
		return -1;
	while ((n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 1, READ_TIMEOUT_MS)) > 0)
		(void)fwrite(buf, 1, (size_t)n, stderr);
	if (out_len != NULL)
		*out_len = len;
	return n == SSH_ERROR ? -1 : 0;
}

/* Whether the command waits for approvals (request --wait). */
static bool waits(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--wait") == 0 || strncmp(argv[i], "--wait=", 7) == 0)
			return true;
	return false;
}

/* Runs the words on jit-sshd; its exit status, or JITCTL_UNREACHABLE. */
static int remote_exec(const struct jit_ssh_target *t, int argc, char **argv, char **out,
		       size_t *out_len)
{
	ssh_session s = connect_to(t);
	ssh_channel ch = NULL;
	char *line = join_words(argc, argv);
	int status = JITCTL_UNREACHABLE;
	jit_error err;

	if (s != NULL && line != NULL && (ch = jit_ssh_exec(s, line, &err)) != NULL &&
	    drain(ch, waits(argc, argv) ? WAIT_READ_TIMEOUT_MS : READ_TIMEOUT_MS, out,
		  out_len) == 0) {
		ssh_channel_send_eof(ch);
		status = ssh_channel_get_exit_status(ch);
		if (status < 0 || status > 255) {
			jitctl_err("%s gave no exit status", t->host);
			status = JITCTL_FAILED;
		}
	} else if (s != NULL) {
		jitctl_err("%s: %s", t->host, ssh_get_error(s));
	}
	jit_ssh_channel_close(ch);
	jit_ssh_close(s);
	free(line);
	return status;
}

int jitctl_remote(int argc, char **argv)
{
	struct jit_ssh_target t = { .port = 22 };
	const struct jit_client_opt defs[] = {
		{ "identity", &t.identity, NULL }, { "known-hosts", &t.known_hosts, NULL },
		{ NULL, NULL, NULL },
	};
	int cmd;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(remote_usage, stdout);
		return JITCTL_OK;
	}
	if (argc < 2 || jit_ssh_target_parse(argv[1], &t) != 0)
		return jitctl_usage_error("--remote", "'%s' is not USER@HOST[:PORT]",
					  argc < 2 ? "" : argv[1]);
	/* The options between TARGET and the command: TARGET stands where
	 * the parser expects the program's name. */
	cmd = jit_client_parse_opts(JITCTL_STDIO, "--remote", remote_usage, argc - 1, argv + 1, defs);
	if (cmd >= 0)
		return cmd;
	cmd = optind + 1;
	if (cmd >= argc)
		return jitctl_usage_error("--remote", "a command is missing");
	if (ssh_init() != SSH_OK) {
		jitctl_err("libssh could not start");
		return JITCTL_FAILED;
	}
	cmd = remote_exec(&t, argc - cmd, argv + cmd, NULL, NULL);
	ssh_finalize();
	return cmd;
}

/* --- jitctl ssh ---------------------------------------------------------------------------- */

struct ssh_args {
	const char *broker, *port, *duration, *justification, *from, *host;
	struct jit_ssh_target t;
};

/* The ticket, from jit-sshd or from the local jitd. */
static int get_ticket(struct ssh_args *a, char **ticket)
{
	/* --wait: a request that needs approvals is waited for, then used. */
	char *words[12] = { "request", "--wait", "--port", (char *)a->port };
	int n = 4, status;
	size_t len = 0;

	if (a->broker == NULL) {
		const struct jit_client local = { .io = { stdout, stderr } };
		const struct jit_client_request r = { .port = a->port, .from = a->from,
						      .duration = a->duration,
						      .justification = a->justification,
						      .hosts = a->host };

		return jit_client_request_ticket(&local, &r, ticket);
	}
	if (a->duration != NULL) {
		words[n++] = "--duration";
		words[n++] = (char *)a->duration;
	}
	if (a->justification != NULL) {
		words[n++] = "--justification";
		words[n++] = (char *)a->justification;
	}
	if (a->host != NULL) {
		words[n++] = "--host";
		words[n++] = (char *)a->host;
	}
	if (ssh_init() != SSH_OK)
		return JITCTL_FAILED;
	status = remote_exec(&a->t, n, words, ticket, &len);
	ssh_finalize();
	if (status == JITCTL_OK && (len == 0 || strncmp(*ticket, "v4.public.", 10) != 0)) {
		jitctl_err("%s answered no ticket", a->t.host);
		status = JITCTL_FAILED;
	}
	if (status == JITCTL_OK)
		(*ticket)[strcspn(*ticket, "\r\n")] = '\0';
	return status;
}

/* Returns -1 to go on, with the index of TARGET in *target, or an exit
 * status. "--" ends jitctl's options: ssh's own may follow, as in ssh -v. */
static int parse_ssh_options(int argc, char **argv, struct ssh_args *a, int *target)
{
	const char *port = NULL;
	const struct jit_client_opt defs[] = {
		{ "broker", &a->broker, NULL }, { "port", &port, NULL },
		{ "duration", &a->duration, NULL }, { "justification", &a->justification, NULL },
		{ "from", &a->from, NULL }, { "host", &a->host, NULL },
		{ "identity", &a->t.identity, NULL },
		{ "known-hosts", &a->t.known_hosts, NULL }, { NULL, NULL, NULL },
	};
	int rc = jit_client_parse_opts(JITCTL_STDIO, "ssh", ssh_usage, argc, argv, defs);

	if (rc >= 0)
		return rc;
	if (port != NULL)
		a->port = port;
	if (optind >= argc)
		return jitctl_usage_error("ssh", "TARGET is missing");
	if (a->broker != NULL && jit_ssh_target_parse(a->broker, &a->t) != 0)
		return jitctl_usage_error("ssh", "--broker: '%s' is not USER@HOST[:PORT]", a->broker);
	if (a->broker == NULL && a->from == NULL)
		return jitctl_usage_error("ssh", "--from is required without --broker");
	*target = optind;
	return -1;
}

int jitctl_ssh(int argc, char **argv)
{
	struct ssh_args a = { .port = "22/tcp", .t = { .port = 22 } };
	char self[4096], **args = NULL;
	char *ticket = NULL;
	int target = 0, status = parse_ssh_options(argc, argv, &a, &target);
	ssize_t n;

	if (status >= 0)
		return status;
	status = get_ticket(&a, &ticket);
	if (status != JITCTL_OK)
		goto out;
	status = JITCTL_FAILED;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	args = calloc((size_t)(argc - target) + 2, sizeof(*args));
	if (n <= 0 || args == NULL) {
		jitctl_err("cannot find this program to answer ssh's prompt");
		goto out;
	}
	self[n] = '\0';
	args[0] = "ssh";
	for (int i = target; i < argc; i++)
		args[i - target + 1] = argv[i];
	/* ssh runs this program again as its askpass (jitctl_askpass below). */
	if (setenv("SSH_ASKPASS", self, 1) != 0 || setenv("SSH_ASKPASS_REQUIRE", "force", 1) != 0 ||
	    setenv("JITCTL_ASKPASS_TICKET", ticket, 1) != 0) {
		jitctl_err("setenv: %s", strerror(errno));
		goto out;
	}
	free(ticket);
	ticket = NULL;
	fflush(NULL);
	execvp("ssh", args);
	jitctl_err("cannot run ssh: %s", strerror(errno));
out:
	free(ticket);
	free(args);
	return status;
}

/* --- the askpass -------------------------------------------------------------------------- */

/* Any other prompt (a key's passphrase, a password) is asked on the terminal. */
static int ask_terminal(const char *prompt)
{
	FILE *tty = fopen("/dev/tty", "r+e");
	struct termios old, quiet;
	char answer[1024];
	bool ok;

	if (tty == NULL)
		return 1;
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	ok = fgets(answer, sizeof(answer), tty) != NULL;
	(void)tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (ok)
		fputs(answer, stdout);
	explicit_bzero(answer, sizeof(answer));
	return ok ? 0 : 1;
}

int jitctl_askpass(const char *prompt)
{
	const char *ticket = getenv("JITCTL_ASKPASS_TICKET");
	size_t len = strlen(prompt), want = strlen("JIT ticket: ");

	if (ticket != NULL && len >= want && strcmp(prompt + len - want, "JIT ticket: ") == 0) {
		printf("%s\n", ticket);
		return 0;
	}
	return ask_terminal(prompt);
}
