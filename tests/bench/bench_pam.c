/* SPDX-License-Identifier: ISC */
/* bench_pam: time per PAM authentication through libpam and pam_jit.so,
 * beside a raw Ed25519 verification of the same size.
 *
 *   bench_pam -d CONFDIR -s SERVICE -u USER -r RHOST -t TICKET [-n ROUNDS] [-m MODULE]
 *
 * Prints the median and 99th percentile of whole pam_start_confdir ..
 * pam_authenticate .. pam_end transactions, each loading the module and its
 * libraries afresh, as in sshd's process for a connection. With -m, the same
 * again with MODULE held loaded meanwhile (the stack's work alone), and a
 * raw verify through the libsodium MODULE brings in, if it does. Nothing here links
 * libsodium: loaded before the logins, it would spare each of them the
 * loading that sshd, which has no libsodium of its own, pays. */
#include "config.h"

#include <dlfcn.h>
#include <security/pam_appl.h>
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

struct sodium_calls {
	int (*init)(void);
	int (*keypair)(unsigned char *pk, unsigned char *sk);
	int (*sign)(unsigned char *sig, unsigned long long *siglen, const unsigned char *m,
		    unsigned long long mlen, const unsigned char *sk);
	int (*verify)(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
		      const unsigned char *pk);
};

/* dlsym through the module's handle finds what its libraries define. */
static int sodium_find(void *h, struct sodium_calls *s)
{
	*(void **)&s->init = dlsym(h, "sodium_init");
	*(void **)&s->keypair = dlsym(h, "crypto_sign_keypair");
	*(void **)&s->sign = dlsym(h, "crypto_sign_detached");
	*(void **)&s->verify = dlsym(h, "crypto_sign_verify_detached");
	return s->init && s->keypair && s->sign && s->verify && s->init() >= 0 ? 0 : -1;
}

/* An Ed25519 verify of a message the size of a ticket's, as libsodium
 * alone does it. */
static double raw_verify_us(void *h, int rounds)
{
	unsigned char pk[32], sk[64], msg[400], sig[64];
	struct sodium_calls s = { 0 };
	double t0;

	if (sodium_find(h, &s) != 0)
		return -1;
	s.keypair(pk, sk);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 37u);
	s.sign(sig, NULL, msg, sizeof(msg), sk);
	t0 = now_us();
	for (int i = 0; i < rounds; i++)
		if (s.verify(sig, msg, sizeof(msg), pk) != 0)
			return -1;
	return (now_us() - t0) / rounds;
}

struct login {
	const char *confdir, *service, *user, *rhost, *ticket;
};

/* Times each of ROUNDS whole transactions into t, sorted; the refusals. */
static int logins(const struct login *l, double *t, int rounds)
{
	int failures = 0;

	for (int i = 0; i < rounds; i++) {
		struct pam_conv conv = { converse, (void *)l->ticket };
		pam_handle_t *pamh = NULL;
		double t0 = now_us();
		int rc = pam_start_confdir(l->service, l->user, &conv, l->confdir, &pamh);

		if (rc == PAM_SUCCESS)
			rc = pam_set_item(pamh, PAM_RHOST, l->rhost);
		if (rc == PAM_SUCCESS)
			rc = pam_authenticate(pamh, 0);
		pam_end(pamh, rc);
		t[i] = now_us() - t0;
		failures += rc != PAM_SUCCESS;
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp);
	return failures;
}

static int print_logins(const struct login *l, const char *label, double *t, int rounds)
{
	int failures = logins(l, t, rounds);

	printf("  %-8s %d logins: p50 %.0f us   p99 %.0f us   (%d refused)\n", label, rounds,
	       t[rounds / 2], t[rounds * 99 / 100], failures);
	return failures;
}

/* The logins again with the module held loaded, then the raw verify when
 * the module brings libsodium in. */
static int print_warm(const struct login *l, const char *module, double *t, int rounds)
{
	void *h = dlopen(module, RTLD_NOW);
	double raw;
	int failures;

	if (h == NULL) {
		fprintf(stderr, "bench_pam: %s\n", dlerror());
		return 1;
	}
	failures = print_logins(l, "loaded", t, rounds);
	raw = raw_verify_us(h, rounds);
	dlclose(h);
	if (raw >= 0)
		printf("  raw Ed25519 verify: %.0f us\n", raw);
	return failures;
}

int main(int argc, char **argv)
{
	struct login l = { 0 };
	const char *module = NULL;
	int rounds = 2000, opt, failures;
	double *t;

	while ((opt = getopt(argc, argv, "d:s:u:r:t:n:m:")) != -1) {
		switch (opt) {
		case 'd': l.confdir = optarg; break;
		case 's': l.service = optarg; break;
		case 'u': l.user = optarg; break;
		case 'r': l.rhost = optarg; break;
		case 't': l.ticket = optarg; break;
		case 'n': rounds = atoi(optarg); break;
		case 'm': module = optarg; break;
		default: return 2;
		}
	}
	if (!l.confdir || !l.service || !l.user || !l.rhost || !l.ticket || rounds < 1)
		return 2;
	t = calloc((size_t)rounds, sizeof(*t));
	if (t == NULL)
		return 1;
	failures = print_logins(&l, l.service, t, rounds);
	if (module != NULL)
		failures += print_warm(&l, module, t, rounds);
	free(t);
	return failures ? 1 : 0;
}
