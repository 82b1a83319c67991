/* SPDX-License-Identifier: ISC */
/* A test-only PAM module standing where pam_unix would: it asks
 * "Password: " and keeps the answer as PAM_AUTHTOK, which only a module may
 * set, so that pam_jit's use_first_pass and try_first_pass can be tested. */
#include "config.h"

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	char *answer = NULL;
	int rc;

	(void)flags, (void)argc, (void)argv;
	rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &answer, "Password: ");
	if (rc != PAM_SUCCESS || answer == NULL)
		return PAM_AUTH_ERR;
	rc = answer[0] != '\0' ? pam_set_item(pamh, PAM_AUTHTOK, answer) : PAM_SUCCESS;
	free(answer);
	return rc;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_SUCCESS;
}
