/* SPDX-License-Identifier: ISC */
/* pam_harness: one PAM transaction through libpam, with a service file from
 * a directory of the test's (pam_start_confdir), for the pam_jit tests.
 *
 *   pam_harness -d CONFDIR -s SERVICE -u USER [-r RHOST] [-t TICKET]
 *               [-P PASSWORD] [-a AUTHTOK] [-m auth|account]
 *
 * The conversation answers a prompt starting "Password" with PASSWORD
 * (default: TICKET) and any other with TICKET, and prints each prompt as
 * "prompt: <echo-off|echo-on> TEXT". The result is printed as
 * "result: NAME" and is the exit status (PAM's code). */
#include "config.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct answers {
	const char *ticket, *password;
};

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	const struct answers *a = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		int style = msg[i]->msg_style;

		if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) {
			printf("prompt: %s %s\n", style == PAM_PROMPT_ECHO_OFF ? "echo-off" : "echo-on",
			       msg[i]->msg);
			const char *answer = strncmp(msg[i]->msg, "Password", 8) == 0 && a->password
						     ? a->password : a->ticket;

			r[i].resp = strdup(answer ? answer : "");
		} else {
			printf("message: %s\n", msg[i]->msg);
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static const char *code_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
	case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
	case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PAM_IGNORE: return "PAM_IGNORE";
	default: return "other";
	}
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service = NULL, *user = NULL, *rhost = NULL,
		   *authtok = NULL, *mode = "auth";
	struct answers answers = { NULL, NULL };
	struct pam_conv conv = { converse, NULL };
	pam_handle_t *pamh = NULL;
	int opt, rc;

	while ((opt = getopt(argc, argv, "d:s:u:r:t:P:a:m:")) != -1) {
		switch (opt) {
		case 'd': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 'r': rhost = optarg; break;
		case 't': answers.ticket = optarg; break;
		case 'P': answers.password = optarg; break;
		case 'a': authtok = optarg; break;
		case 'm': mode = optarg; break;
		default: return 99;
		}
	}
	if (confdir == NULL || service == NULL || user == NULL) {
		fprintf(stderr, "usage: pam_harness -d CONFDIR -s SERVICE -u USER [-r RHOST] ...\n");
		return 99;
	}
	conv.appdata_ptr = &answers;
	rc = pam_start_confdir(service, user, &conv, confdir, &pamh);
	if (rc == PAM_SUCCESS && rhost != NULL)
		rc = pam_set_item(pamh, PAM_RHOST, rhost);
	if (rc == PAM_SUCCESS && authtok != NULL)
		rc = pam_set_item(pamh, PAM_AUTHTOK, authtok);
	if (rc == PAM_SUCCESS)
		rc = strcmp(mode, "account") == 0 ? pam_acct_mgmt(pamh, 0) : pam_authenticate(pamh, 0);
	printf("result: %s\n", code_name(rc));
	pam_end(pamh, rc);
	return rc;
}
