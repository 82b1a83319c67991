/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void jit_file_wipe(char *text, size_t len)
{
	if (text == NULL)
		return;
	sodium_memzero(text, len);
	free(text);
}

static int open_error(jit_error *err)
{
	int saved = errno;

	if (saved == ELOOP)
		jit_error_set(err, "a symbolic link: only the file itself is read");
	else
		jit_error_set(err, "%s", strerror(saved));
	errno = saved;
	return -1;
}

/* The size fstat gave, and one byte more: reading that byte tells that the
 * file grew meanwhile. */
static int read_all(int fd, char *buf, size_t size, size_t *len, jit_error *err)
{
	size_t n = 0;

	while (n <= size) {
		ssize_t r = read(fd, buf + n, size + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return jit_error_set(err, "%s", strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n != size) {
		errno = 0;
		return jit_error_set(err, "changed while being read");
	}
	*len = n;
	return 0;
}

static int check_and_read(int fd, size_t max, jit_file_check_fn check, char **text, size_t *len,
			  jit_error *err)
{
	struct stat st;
	size_t size;

	if (fstat(fd, &st) != 0)
		return jit_error_set(err, "%s", strerror(errno));
	errno = 0;
	if (!S_ISREG(st.st_mode))
		return jit_error_set(err, "not a regular file");
	if (check != NULL && check(&st, err) != 0)
		return -1;
	if (st.st_size < 0 || (size_t)st.st_size > max)
		return jit_error_set(err, "larger than %zu bytes", max);
	size = (size_t)st.st_size;
	*text = malloc(size + 2);
	if (*text == NULL)
		return jit_error_set(err, "out of memory");
	if (read_all(fd, *text, size, len, err) != 0) {
		int saved = errno;

		jit_file_wipe(*text, size + 2);
		*text = NULL;
		errno = saved;
		return -1;
	}
	(*text)[size] = '\0';
	return 0;
}

int jit_file_read(const char *path, size_t max, jit_file_check_fn check, char **text, size_t *len,
		  jit_error *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY), rc, saved;

	*text = NULL;
	*len = 0;
	if (fd < 0)
		return open_error(err);
	rc = check_and_read(fd, max, check, text, len, err);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}
