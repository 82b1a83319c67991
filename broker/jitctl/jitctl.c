/* SPDX-License-Identifier: ISC */
/* jitctl: the command-line interface of jit. */
#include "config.h"

#include "jitctl.h"
#include "log.h"
#include "proto.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char main_usage[] =
	"Usage: jitctl COMMAND [OPTIONS]\n"
	"\n"
	"Commands talking to jitd (--socket PATH or $JIT_SOCKET, default " JIT_DEFAULT_SOCKET "):\n"
	"  request --port P --from A ask for access and print the ticket (--wait: for\n"
	"                            approvals; --resume ID: ask again)\n"
	"  pending                   requests waiting for approvals you may review\n"
	"  approve ID [--reason T]   approve a request you may review\n"
	"  deny ID --reason TEXT     deny it (one denial ends it)\n"
	"  list [--all] [--active]   grants: id, user, host, from, ports, expires in, state\n"
	"  revoke [--terminate] ID   close a grant's window at once (and cut its sessions)\n"
	"  extend ID --duration D    make a grant's window end D later (a new ticket)\n"
	"  lock --user U|--role R|--source CIDR|--host H --reason TEXT [--ttl 1h]\n"
	"                            refuse all that matches, revoke its grants\n"
	"  locks                     the locks in force\n"
	"  unlock ID                 remove a lock\n"
	"  status                    what jitd runs with, and your roles\n"
	"  audit [--since 1h]        the audit log\n"
	"  hosts                     a controller's hosts and their enforcers\n"
	"  policies                  what your roles let you ask for: ports, hosts,\n"
	"                            sources, longest window, approvals\n"
	"  explain --user U ...      how U's request would be decided, and where in\n"
	"                            jitd.conf (uid 0 and audit roles)\n"
	"\n"
	"Through jit-sshd, the SSH front door:\n"
	"  --remote USER@HOST[:PORT] COMMAND ...   request, list, revoke, status,\n"
	"                            policies, pending, approve or deny there\n"
	"  ssh [--broker USER@HOST[:PORT]] TARGET  ask for a window, then ssh TARGET with\n"
	"                            the ticket answered for you\n"
	"\n"
	"Firewall (root):\n"
	"  firewall show             what jit holds in the kernel\n"
	"  firewall remove           take it all away, every other rule left as it was\n"
	"\n"
	"This host:\n"
	"  scan                      listening ports, and whether jit guards those it should\n"
	"\n"
	"Offline commands:\n"
	"  keygen --out DIR          create a broker signing key pair in DIR\n"
	"  ticket inspect ...        check a ticket's signature and print its contents\n"
	"  ticket verify ...         check a ticket against a login (user, host, source, port, time)\n"
	"  ticket sign ...           sign a ticket offline with the broker key\n"
	"  db copy --from DB --to DB a stopped jitd's state into a new, empty database\n"
	"\n"
	"Run 'jitctl COMMAND --help' for a command's options.\n"
	"Exit status: 0 ok, 1 refused, denied or failed, 2 usage error,\n"
	"3 jitd unreachable, 4 the request waits for approvals.\n";

void jitctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("jitctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --remote and ssh, which speak SSH (libssh): not in a build without it. */
static int ssh_command(const char *cmd, int argc, char **argv)
{
#ifdef JIT_WITH_SSHD
	if (strcmp(cmd, "ssh") == 0)
		return jitctl_ssh(argc - 1, argv + 1);
	if (strcmp(cmd, "--remote") == 0)
		return jitctl_remote(argc - 1, argv + 1);
	argv[1] += 9;	/* --remote=TARGET */
	return jitctl_remote(argc, argv);
#else
	(void)argc;
	(void)argv;
	return jitctl_usage_error(strcmp(cmd, "ssh") == 0 ? "ssh" : "--remote",
				  "this jitctl was built without SSH (./configure --without-jit-sshd)");
#endif
}

int main(int argc, char **argv)
{
	const struct jit_client local = { .io = { stdout, stderr } };
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int rc;

	/* The firewall layer logs: as jitctl, on stderr. */
	jit_log_init("jitctl", true, false);
	if (cmd == NULL) {
		fputs(main_usage, stderr);
		return JITCTL_USAGE;
	}
#ifdef JIT_WITH_SSHD
	/* Run by ssh as the askpass of jitctl ssh: the one argument is a prompt. */
	if (argc == 2 && getenv("JITCTL_ASKPASS_TICKET") != NULL &&
	    (strstr(cmd, ": ") != NULL || strstr(cmd, "? ") != NULL))
		return jitctl_askpass(cmd);
#endif
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(main_usage, stdout);
		return JITCTL_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("jitctl %s\n", PACKAGE_VERSION);
		return JITCTL_OK;
	}
	if (sodium_init() < 0) {
		jitctl_err("cannot initialise libsodium");
		return JITCTL_FAILED;
	}
	if (strcmp(cmd, "keygen") == 0)
		return jitctl_keygen(argc - 1, argv + 1);
	if (strcmp(cmd, "ticket") == 0)
		return jitctl_ticket(argc - 1, argv + 1);
	if (strcmp(cmd, "firewall") == 0)
		return jitctl_firewall(argc - 1, argv + 1);
	if (strcmp(cmd, "scan") == 0)
		return jitctl_scan(argc - 1, argv + 1);
	if (strcmp(cmd, "db") == 0)
		return jitctl_db(argc - 1, argv + 1);
	if (strcmp(cmd, "--remote") == 0 || strncmp(cmd, "--remote=", 9) == 0 ||
	    strcmp(cmd, "ssh") == 0)
		return ssh_command(cmd, argc, argv);
	rc = jit_client_command(&local, cmd, argc - 1, argv + 1);
	if (rc >= 0)
		return rc;
	jitctl_err("unknown command '%s'", cmd);
	fputs(main_usage, stderr);
	return JITCTL_USAGE;
}
