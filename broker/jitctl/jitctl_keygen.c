/* SPDX-License-Identifier: ISC */
/* jitctl keygen: a new Ed25519 key pair as PASERK key files. */
#include "config.h"

#include "jitctl.h"
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_NAME "broker.key"
#define PUBLIC_NAME "broker.pub"

static const char keygen_usage[] =
	"Usage: jitctl keygen --out DIR\n"
	"\n"
	"Creates DIR/" SECRET_NAME " (k4.secret PASERK, mode 0600) and DIR/" PUBLIC_NAME "\n"
	"(k4.public PASERK, mode 0644) and prints the key id (k4.pid).\n"
	"DIR must exist. Existing key files are never overwritten.\n";

/* Writes `line` and a newline to a new file in dirfd; refuses an existing one. */
static int write_new_file(int dirfd, const char *dir, const char *name, mode_t mode,
			  const char *line)
{
	size_t len = strlen(line);
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int rc = -1;

	if (fd < 0) {
		jitctl_err("%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	/* The umask may have taken bits away; set exactly the mode wanted. */
	if (fchmod(fd, mode) == 0 && write(fd, line, len) == (ssize_t)len &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0)
		rc = 0;
	else
		jitctl_err("%s/%s: %s", dir, name, strerror(errno));
	if (close(fd) != 0 && rc == 0) {
		jitctl_err("%s/%s: %s", dir, name, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		(void)unlinkat(dirfd, name, 0);
	return rc;
}

static int refuse_existing(int dirfd, const char *dir, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		jitctl_err("%s/%s exists; refusing to overwrite a key", dir, name);
		return -1;
	}
	return 0;
}

static int write_key_pair(int dirfd, const char *dir)
{
	struct jit_secret_key key;
	char paserk[JIT_PASERK_MAX];
	int rc = -1;

	if (jit_key_generate(&key) != 0) {
		jitctl_err("key generation failed");
		return -1;
	}
	jit_paserk_secret(&key, paserk);
	if (write_new_file(dirfd, dir, SECRET_NAME, 0600, paserk) == 0) {
		jit_paserk_public(&key.pub, paserk);
		if (write_new_file(dirfd, dir, PUBLIC_NAME, 0644, paserk) == 0)
			rc = 0;
		else
			(void)unlinkat(dirfd, SECRET_NAME, 0);
	}
	if (rc == 0 && fsync(dirfd) == 0)
		printf("wrote %s/%s (secret, 0600)\nwrote %s/%s (public, 0644)\nkey id %s\n",
		       dir, SECRET_NAME, dir, PUBLIC_NAME, key.pub.pid);
	sodium_memzero(paserk, sizeof(paserk));
	jit_secret_key_wipe(&key);
	return rc;
}

int jitctl_keygen(int argc, char **argv)
{
	const char *dir = NULL;
	const struct jit_client_opt defs[] = { { "out", &dir, NULL }, { NULL, NULL, NULL } };
	int dirfd, rc = jit_client_parse_opts(JITCTL_STDIO, "keygen", keygen_usage, argc, argv, defs);

	if (rc >= 0)
		return rc;
	if (optind < argc)
		return jitctl_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (dir == NULL)
		return jitctl_usage_error("keygen", "--out DIR is required");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		jitctl_err("%s: %s", dir, strerror(errno));
		return JITCTL_FAILED;
	}
	rc = JITCTL_FAILED;
	if (refuse_existing(dirfd, dir, SECRET_NAME) == 0 &&
	    refuse_existing(dirfd, dir, PUBLIC_NAME) == 0 && write_key_pair(dirfd, dir) == 0)
		rc = JITCTL_OK;
	(void)close(dirfd);
	return rc;
}
