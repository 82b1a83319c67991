/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "keys.h"
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char path[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	STRSET(f->dir, "/tmp/jit-test-keys.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->path);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

/* Writes `content` to a fresh file in the fixture directory with `mode`. */
static const char *write_file(struct fixture *f, const char *content, mode_t mode)
{
	int fd;

	(void)unlink(f->path);
	snprintf(f->path, sizeof(f->path), "%s/key", f->dir);
	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return f->path;
}

/* PASERK test vectors k4.public-1, k4.secret-1 and k4.pid-1..3. */
static void test_paserk_vectors(void **state)
{
	struct jit_public_key pub;
	struct jit_secret_key key;
	char out[JIT_PASERK_MAX];
	jit_error err;
	static const char *sk1 =
		"k4.secret.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA7aie8zrakLWKjqNAqbw1zZTIVdx3iQ6Y6wEihi1naKQ";

	(void)state;
	memset(&pub, 0, sizeof(pub));
	jit_paserk_public(&pub, out);
	assert_string_equal(out, "k4.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	jit_public_key_set_pid(&pub);
	assert_string_equal(pub.pid, "k4.pid.S_XQmeEwHbbvRmiyfXfHYpLGjXGzjTRSDoT1YtTakWFE");
	hex_decode("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f", pub.pk, 32);
	jit_public_key_set_pid(&pub);
	assert_string_equal(pub.pid, "k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs");
	hex_decode("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e90", pub.pk, 32);
	jit_public_key_set_pid(&pub);
	assert_string_equal(pub.pid, "k4.pid.-nyvbaTz8U6TQz7OZWW-iB3va31iAxIpUgzUcVQVmW9A");

	assert_int_equal(jit_paserk_secret_parse(sk1, strlen(sk1), &key, &err), 0);
	jit_paserk_secret(&key, out);
	assert_string_equal(out, sk1);
	jit_paserk_public(&key.pub, out);
	assert_string_equal(out, "k4.public.O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik");
}

static void test_secret_public_pair(void **state)
{
	struct jit_secret_key key;
	struct jit_public_key pub;
	jit_error err;

	(void)state;
	test_vector_key(&key);
	assert_int_equal(jit_paserk_public_parse(tv_public_paserk, strlen(tv_public_paserk), &pub,
						 &err), 0);
	assert_memory_equal(pub.pk, key.pub.pk, JIT_PK_BYTES);
	assert_string_equal(pub.pid, key.pub.pid);
}

static void test_generate_round_trip(void **state)
{
	struct jit_secret_key a, b;
	char s[JIT_PASERK_MAX];
	jit_error err;

	(void)state;
	assert_int_equal(jit_key_generate(&a), 0);
	jit_paserk_secret(&a, s);
	assert_int_equal(jit_paserk_secret_parse(s, strlen(s), &b, &err), 0);
	assert_memory_equal(a.sk, b.sk, JIT_SK_BYTES);
	assert_string_equal(a.pub.pid, b.pub.pid);
	jit_secret_key_wipe(&a);
	assert_true(sodium_is_zero((const unsigned char *)&a, sizeof(a)));
}

static void test_paserk_refusals(void **state)
{
	struct jit_secret_key key;
	struct jit_public_key pub;
	char s[JIT_PASERK_MAX + 4];
	jit_error err;

	(void)state;
	/* A secret key whose public half is not its seed's. */
	STRSET(s, tv_secret_paserk);
	s[strlen(s) - 3] = s[strlen(s) - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(jit_paserk_secret_parse(s, strlen(s), &key, &err), -1);
	assert_non_null(strstr(err.msg, "does not match"));
	/* Wrong type, version, length and padding. */
	assert_int_equal(jit_paserk_secret_parse(tv_public_paserk, strlen(tv_public_paserk), &key,
						 &err), -1);
	assert_int_equal(jit_paserk_public_parse(tv_secret_paserk, strlen(tv_secret_paserk), &pub,
						 &err), -1);
	STRSET(s, tv_public_paserk);
	s[1] = '2';
	assert_int_equal(jit_paserk_public_parse(s, strlen(s), &pub, &err), -1);
	assert_int_equal(jit_paserk_public_parse(tv_public_paserk, strlen(tv_public_paserk) - 1,
						 &pub, &err), -1);
	snprintf(s, sizeof(s), "%s=", tv_public_paserk);
	assert_int_equal(jit_paserk_public_parse(s, strlen(s), &pub, &err), -1);
}

static void test_secret_file_modes(void **state)
{
	struct fixture *f = *state;
	struct jit_secret_key key;
	char line[JIT_PASERK_MAX + 2];
	jit_error err;

	snprintf(line, sizeof(line), "%s\n", tv_secret_paserk);
	assert_int_equal(jit_secret_key_load(write_file(f, line, 0600), &key, &err), 0);
	assert_int_equal(jit_secret_key_load(write_file(f, line, 0400), &key, &err), 0);
	assert_int_equal(jit_secret_key_load(write_file(f, line, 0640), &key, &err), -1);
	assert_non_null(strstr(err.msg, f->path));
	assert_non_null(strstr(err.msg, "0640"));
	assert_int_equal(jit_secret_key_load(write_file(f, line, 0644), &key, &err), -1);
	assert_non_null(strstr(err.msg, "0644"));
	assert_int_equal(jit_secret_key_load(write_file(f, line, 0604), &key, &err), -1);
	assert_int_equal(jit_secret_key_load(write_file(f, line, 0700), &key, &err), -1);
}

static void test_secret_file_owner(void **state)
{
	struct fixture *f = *state;
	struct jit_secret_key key;
	jit_error err;
	const char *path;

	if (geteuid() != 0)
		skip();	/* only root can give a file to another owner */
	path = write_file(f, tv_secret_paserk, 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(jit_secret_key_load(path, &key, &err), -1);
	assert_non_null(strstr(err.msg, "owned by uid 65534"));
}

static void test_key_file_shape(void **state)
{
	struct fixture *f = *state;
	struct jit_secret_key key;
	struct jit_public_key pub;
	char buf[600];
	char link[PATH_MAX];
	jit_error err;

	snprintf(buf, sizeof(buf), "%s\n%s\n", tv_secret_paserk, tv_secret_paserk);
	assert_int_equal(jit_secret_key_load(write_file(f, buf, 0600), &key, &err), -1);
	snprintf(buf, sizeof(buf), " %s", tv_secret_paserk);
	assert_int_equal(jit_secret_key_load(write_file(f, buf, 0600), &key, &err), -1);
	memset(buf, 'A', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(jit_secret_key_load(write_file(f, buf, 0600), &key, &err), -1);
	assert_non_null(strstr(err.msg, "larger than 256 bytes"));
	assert_int_equal(jit_secret_key_load(write_file(f, "", 0600), &key, &err), -1);
	assert_int_equal(jit_secret_key_load(f->dir, &key, &err), -1);
	assert_int_equal(jit_secret_key_load("/nonexistent/broker.key", &key, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/broker.key"));
	/* A symbolic link is not followed. */
	write_file(f, tv_secret_paserk, 0600);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(jit_secret_key_load(link, &key, &err), -1);
	assert_int_equal(unlink(link), 0);
	/* Public key files: one line, not writable by group or others. */
	assert_int_equal(jit_public_key_load(write_file(f, tv_public_paserk, 0644), &pub, &err), 0);
	assert_int_equal(jit_public_key_load(write_file(f, tv_public_paserk, 0664), &pub, &err), -1);
	assert_non_null(strstr(err.msg, "0664"));
	assert_int_equal(jit_public_key_load(write_file(f, tv_secret_paserk, 0600), &pub, &err), -1);
	assert_non_null(strstr(err.msg, "not a k4.public PASERK"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paserk_vectors),
		cmocka_unit_test(test_secret_public_pair),
		cmocka_unit_test(test_generate_round_trip),
		cmocka_unit_test(test_paserk_refusals),
		cmocka_unit_test_setup_teardown(test_secret_file_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_file_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_shape, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
