/* SPDX-License-Identifier: ISC */
/* bench_pam: time per PAM authentication through libpam and pam_jit.so,
 * beside a raw Ed25519 verification of the same size.
 *
 *   bench_pam -d CONFDIR -s SERVICE -u USER -r RHOST -t TICKET [-n ROUNDS]
 *
 * Prints the median and 99th percentile of whole pam_start_confdir ..
 * pam_authenticate .. pam_end transactions. */
#include "config.h"

#include <security/pam_appl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(data);
	*resp = r;
	return PAM_SUCCESS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double raw_verify_us(int rounds)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char msg[400], sig[crypto_sign_BYTES];
	double t0;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	t0 = now_us();
	for (int i = 0; i < rounds; i++)
		if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0)
			return -1;
	return (now_us() - t0) / rounds;
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service = NULL, *user = NULL, *rhost = NULL, *ticket = NULL;
	int rounds = 2000, opt, failures = 0;
	double *t;

	while ((opt = getopt(argc, argv, "d:s:u:r:t:n:")) != -1) {
		switch (opt) {
		case 'd': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 'r': rhost = optarg; break;
		case 't': ticket = optarg; break;
		case 'n': rounds = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!confdir || !service || !user || !rhost || !ticket || rounds < 1 || sodium_init() < 0)
		return 2;
	t = calloc((size_t)rounds, sizeof(*t));
	if (t == NULL)
		return 1;
	for (int i = 0; i < rounds; i++) {
		struct pam_conv conv = { converse, (void *)ticket };
		pam_handle_t *pamh = NULL;
		double t0 = now_us();
		int rc = pam_start_confdir(service, user, &conv, confdir, &pamh);

		if (rc == PAM_SUCCESS)
			rc = pam_set_item(pamh, PAM_RHOST, rhost);
		if (rc == PAM_SUCCESS)
			rc = pam_authenticate(pamh, 0);
		pam_end(pamh, rc);
		t[i] = now_us() - t0;
		failures += rc != PAM_SUCCESS;
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp);
	printf("  %-8s %d logins: p50 %.0f us   p99 %.0f us   (%d refused)\n", service, rounds,
	       t[rounds / 2], t[rounds * 99 / 100], failures);
	printf("  raw Ed25519 verify: %.0f us\n", raw_verify_us(rounds));
	free(t);
	return failures ? 1 : 0;
}
