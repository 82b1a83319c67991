/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "authkeys.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Test keys made with ssh-keygen, with the fingerprints ssh-keygen -l gave. */
#define ED1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK2dURQR/sdMNWbUfEgMbMEwvfybv3RC4a8SOVbBY0QU"
#define ED1_FP "SHA256:A8RLy5QIFJibKE+igDZrsw/J3RgniXoFvuFJlIBkjso"
#define ED2 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIADFQIS03XCBLCTBb+Jr1xzF2O294J1RE97N7sXmT0Wi"
#define EC1 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBH2g8FBsRO2vx6qC" \
	"lhlyS52EaAHKR94sy5CW8fUGi6nWIK61Hata9tbOFjkllEq2oUrPaGpww5fLaTCTuBaYPzU="
#define EC1_FP "SHA256:Wm7FVYkWq2ZM5yoJXFFGKvRB9KyPHUvLe3nJYgQXYqs"
#define RSA1 "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDYPP5FWVVlENsilcyFud+zIfOVrV1p+VLY1Px7waaJiyn" \
	"4chq3g4eHbxI9rCNumvkI00tV0LUwoPR7viVZLgmRaFl+lSWfIEI1o2nkS0hNbyTiTFLmqDtok50zg5Q2KmWtHgQbWA" \
	"mt9u9FBq9SSC4je/Ed/wz1kayQ3RA82lIcxDPwBdUvArXl0Y2JOpAA4RHRpnoBfCxZJMHQh5+v5o/DV11Ta2nENvssJ" \
	"AJjmcDEBYHIqc8VmyB/+Q116Hzd1E+3NggO4CMNMqehNLv2IiTDuK37ViFCL0hzw5Gi3kkpCmCW6tUi4/DPZAei7ztt1" \
	"OqgOK2j2fyxD2Wgujb2pcs/"
#define RSA1_FP "SHA256:aWPgOYNCXwnYLrSlZkD2rdx95wa9uwJElvVqbWrbj3I"

static int parse(const char *text, struct jit_authkeys *keys, struct jit_config_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	return jit_authkeys_parse("keys", text, strlen(text), keys, errs);
}

/* The text must be refused with exactly one error, which contains want. */
static void assert_refused(const char *text, const char *want)
{
	struct jit_authkeys keys;
	struct jit_config_errors errs;

	assert_int_equal(parse(text, &keys, &errs), -1);
	assert_int_equal(keys.n, 0);
	assert_null(keys.keys);
	if (errs.n != 1 || strstr(errs.msg[0], want) == NULL) {
		print_error("wanted one error with '%s', got %zu: '%s'\n", want, errs.n,
			    errs.n ? errs.msg[0] : "");
		fail();
	}
}

static void test_each_key_type_with_its_identity(void **state)
{
	struct jit_authkeys keys;
	struct jit_config_errors errs;
	const char *text = "# sysadmins\n"
			   "\n"
			   "jit-user=\"alice\" " ED1 " alice@laptop\n"
			   "jit-user=\"alice\" " EC1 "\n"
			   "   jit-user=\"bob\"\t" RSA1 " bob's key, with blanks\r\n";

	(void)state;
	assert_int_equal(parse(text, &keys, &errs), 0);
	assert_int_equal(keys.n, 3);
	assert_string_equal(keys.keys[0].identity, "alice");
	assert_string_equal(keys.keys[0].fingerprint, ED1_FP);
	assert_int_equal(keys.keys[0].line, 3);
	assert_string_equal(keys.keys[1].identity, "alice");
	assert_string_equal(keys.keys[1].fingerprint, EC1_FP);
	assert_string_equal(keys.keys[2].identity, "bob");
	assert_string_equal(keys.keys[2].fingerprint, RSA1_FP);
	assert_int_equal(keys.keys[2].line, 5);
	jit_authkeys_free(&keys);
}

static void test_option_forms(void **state)
{
	struct jit_authkeys keys;
	struct jit_config_errors errs;
	struct jit_addr in, out;
	const char *text =
		"restrict,from=\"192.0.2.0/24, 2001:db8::/32\",JIT-USER=\"carol\",no-pty " ED1 "\n"
		"no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc,"
		"jit-user=\"dave\" " ED2 "\n";

	(void)state;
	assert_int_equal(parse(text, &keys, &errs), 0);
	assert_int_equal(keys.n, 2);
	assert_string_equal(keys.keys[0].identity, "carol");
	assert_int_equal(keys.keys[0].n_from, 2);
	assert_int_equal(jit_addr_parse("192.0.2.7", &in), 0);
	assert_int_equal(jit_addr_parse("198.51.100.7", &out), 0);
	assert_true(jit_authkey_allows(&keys.keys[0], &in));
	assert_false(jit_authkey_allows(&keys.keys[0], &out));
	assert_string_equal(keys.keys[1].identity, "dave");
	assert_int_equal(keys.keys[1].n_from, 0);
	assert_true(jit_authkey_allows(&keys.keys[1], &out));
	jit_authkeys_free(&keys);
}

/* An enforcer's key: the host it stands for, and no user. */
static void test_host_keys(void **state)
{
	struct jit_authkeys keys;
	struct jit_config_errors errs;
	const char *text = "jit-host=\"web02\" " ED1 "\nfrom=\"192.0.2.0/24\",jit-host=\"db-1.example\" "
			   ED2 "\n";

	(void)state;
	assert_int_equal(parse(text, &keys, &errs), 0);
	assert_int_equal(keys.n, 2);
	assert_string_equal(keys.keys[0].host, "web02");
	assert_string_equal(keys.keys[0].identity, "");
	assert_string_equal(keys.keys[1].host, "db-1.example");
	assert_int_equal(keys.keys[1].n_from, 1);
	jit_authkeys_free(&keys);
	assert_refused("jit-host=\"web02\",jit-user=\"alice\" " ED1 "\n",
		       "keys:1: a key is a user's (jit-user) or a host's (jit-host), not both");
	assert_refused("jit-user=\"alice\",jit-host=\"web02\" " ED1 "\n", "not both");
	assert_refused("jit-host=\"web02\",jit-host=\"web03\" " ED1 "\n",
		       "option jit-host is given twice");
	assert_refused("jit-host=\"web 02\" " ED1 "\n", "jit-host \"web 02\" is not a valid host id");
	assert_refused("jit-host " ED1 "\n", "option jit-host needs a value");
}

static void test_find_by_key(void **state)
{
	struct jit_authkeys keys;
	struct jit_config_errors errs;
	ssh_key probe = NULL, stranger = NULL;
	const char *text = "jit-user=\"alice\" " ED1 "\njit-user=\"bob\" " EC1 "\n";

	(void)state;
	assert_int_equal(parse(text, &keys, &errs), 0);
	assert_int_equal(ssh_pki_import_pubkey_base64(strchr(EC1, ' ') + 1, SSH_KEYTYPE_ECDSA_P256,
						      &probe), SSH_OK);
	assert_int_equal(ssh_pki_import_pubkey_base64(strchr(ED2, ' ') + 1, SSH_KEYTYPE_ED25519,
						      &stranger), SSH_OK);
	assert_non_null(jit_authkeys_find(&keys, probe));
	assert_string_equal(jit_authkeys_find(&keys, probe)->identity, "bob");
	assert_null(jit_authkeys_find(&keys, stranger));
	ssh_key_free(probe);
	ssh_key_free(stranger);
	jit_authkeys_free(&keys);
}

static void test_quoted_values(void **state)
{
	struct jit_authkeys keys;
	struct jit_config_errors errs;

	(void)state;
	/* A comma inside quotes belongs to the value. */
	assert_int_equal(parse("from=\"192.0.2.1,192.0.2.2\",jit-user=\"eve\" " ED1 "\n", &keys,
			       &errs), 0);
	assert_int_equal(keys.keys[0].n_from, 2);
	jit_authkeys_free(&keys);
	/* An escaped quote is part of the value, which then is no user name. */
	assert_refused("jit-user=\"ev\\\"e\" " ED1 "\n", "jit-user \"ev\"e\" is not a valid user name");
}

static void test_bad_lines_name_their_line(void **state)
{
	(void)state;
	assert_refused("# ok\n" ED1 "\n", "keys:2: no jit-user=\"NAME\" or jit-host=\"NAME\" option");
	assert_refused("\n\ncommand=\"/bin/sh\",jit-user=\"a\" " ED1 "\n",
		       "keys:3: unknown option 'command'");
	assert_refused("jit-user=alice " ED1 "\n", "keys:1: option jit-user: the value must be in double quotes");
	assert_refused("jit-user=\"alice " ED1 "\n", "the closing quote is missing");
	assert_refused("jit-user " ED1 "\n", "option jit-user needs a value");
	assert_refused("no-pty=\"x\",jit-user=\"a\" " ED1 "\n", "option no-pty takes no value");
	assert_refused("jit-user=\"a\",jit-user=\"b\" " ED1 "\n", "jit-user is given twice");
	assert_refused("jit-user=\"a\",from=\"192.0.2.0/33\" " ED1 "\n", "is not a list of addresses");
	assert_refused("jit-user=\"a\";no-pty " ED1 "\n", "unexpected ';' after option jit-user");
	assert_refused("jit-user=\"a\",,no-pty " ED1 "\n", "an option name was expected");
	assert_refused("jit-user=\"a\" ssh-foo AAAA\n", "'ssh-foo' is not a key type");
	assert_refused("jit-user=\"a\" ssh-dss AAAA\n", "ssh-dss keys are not accepted");
	/* FIDO keys: libssh cannot say whether they were touched. */
	assert_refused("\njit-user=\"a\" sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t\n",
		       "keys:2: sk-ssh-ed25519@openssh.com (FIDO) keys are not accepted: jit-sshd cannot"
		       " check that the key was touched");
	assert_refused("jit-user=\"a\" sk-ecdsa-sha2-nistp256@openssh.com AAAA\n",
		       "sk-ecdsa-sha2-nistp256@openssh.com (FIDO) keys are not accepted");
	assert_refused("jit-user=\"a\" ssh-ed25519\n", "the ssh-ed25519 key itself is missing");
	assert_refused("jit-user=\"a\"\n", "the key type and key are missing");
	assert_refused("jit-user=\"a\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK2dURQR\n",
		       "the ssh-ed25519 key does not decode");
	/* The blob says ed25519 while the line says RSA. */
	assert_refused("jit-user=\"a\" ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIK2dURQR/sdMNWbUfEgMbMEwvfybv3RC4a8SOVbBY0QU\n",
		       "the ssh-rsa key does not decode");
	assert_refused("jit-user=\"a\" " ED1 "\njit-user=\"b\" " ED1 "\n",
		       "keys:2: this key is already listed on line 1");
}

static void test_every_error_is_reported(void **state)
{
	struct jit_authkeys keys;
	struct jit_config_errors errs;

	(void)state;
	assert_int_equal(parse("jit-user=\"a\" " ED1 "\nbogus\njit-user=\"b\" " ED2 "\nno-pty " EC1 "\n",
			       &keys, &errs), -1);
	assert_int_equal(errs.n, 2);
	assert_non_null(strstr(errs.msg[0], "keys:2:"));
	assert_non_null(strstr(errs.msg[1], "keys:4:"));
	assert_int_equal(keys.n, 0);
}

static void test_overlong_and_nul_lines(void **state)
{
	char *text = malloc(JIT_AUTHKEYS_LINE_MAX + 2);

	(void)state;
	assert_non_null(text);
	memset(text, 'x', JIT_AUTHKEYS_LINE_MAX + 1);
	text[JIT_AUTHKEYS_LINE_MAX + 1] = '\0';
	assert_refused(text, "keys:1: line longer than");
	free(text);

	struct jit_authkeys keys;
	struct jit_config_errors errs;
	const char nul[] = "jit-user=\"a\"\0 " ED1 "\n";

	memset(&errs, 0, sizeof(errs));
	assert_int_equal(jit_authkeys_parse("keys", nul, sizeof(nul) - 1, &keys, &errs), -1);
	assert_non_null(strstr(errs.msg[0], "a NUL byte"));
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_load_checks_the_file(void **state)
{
	char dir[] = "/tmp/jit-authkeys-XXXXXX", path[64], link[64];
	struct jit_authkeys keys;
	struct jit_config_errors errs;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/keys", dir);
	(void)snprintf(link, sizeof(link), "%s/link", dir);
	write_file(path, "jit-user=\"alice\" " ED1 "\n", 0644);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(jit_authkeys_load(path, &keys, &errs), 0);
	assert_int_equal(keys.n, 1);
	jit_authkeys_free(&keys);

	assert_int_equal(chmod(path, 0664), 0);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(jit_authkeys_load(path, &keys, &errs), -1);
	assert_non_null(strstr(errs.msg[0], "writable by its group (mode 0664)"));

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(symlink(path, link), 0);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(jit_authkeys_load(link, &keys, &errs), -1);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(jit_authkeys_load(dir, &keys, &errs), -1);
	assert_non_null(strstr(errs.msg[0], "not a regular file"));
	unlink(link);
	unlink(path);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(jit_authkeys_load(path, &keys, &errs), -1);
	assert_non_null(strstr(errs.msg[0], "No such file"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_key_type_with_its_identity),
		cmocka_unit_test(test_option_forms),
		cmocka_unit_test(test_host_keys),
		cmocka_unit_test(test_find_by_key),
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_bad_lines_name_their_line),
		cmocka_unit_test(test_every_error_is_reported),
		cmocka_unit_test(test_overlong_and_nul_lines),
		cmocka_unit_test(test_load_checks_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
