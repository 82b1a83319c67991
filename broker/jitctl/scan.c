/* SPDX-License-Identifier: ISC */
/* jitctl scan's parts: /proc/net's listening sockets, their processes,
 * and the mark each gets. */
#include "config.h"

#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_LISTEN 0x0A
#define UDP_UNCONNECTED 0x07	/* TCP_CLOSE: bound, no peer */

/* The kernel prints each 32-bit word of the address as the number its
 * bytes make in this host's order: copying the number back restores them. */
static int hex_address(const char *hex, bool v6, struct jit_addr *out)
{
	size_t words = v6 ? 4 : 1;

	if (strlen(hex) != words * 8)
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = v6 ? AF_INET6 : AF_INET;
	for (size_t w = 0; w < words; w++) {
		char word[9];
		char *end;
		uint32_t v;

		memcpy(word, hex + w * 8, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, &end, 16);
		if (*end != '\0')
			return -1;
		memcpy(out->bytes + w * 4, &v, sizeof(v));
	}
	return 0;
}

int jit_scan_proc_line(const char *line, bool v6, enum jit_proto proto,
		       struct jit_listener *out)
{
	char local[33];
	unsigned port, state;
	unsigned long inode;

	if (strstr(line, "local_address") != NULL)
		return 0;
	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %*32[0-9A-Fa-f]:%*x %x %*s %*s %*s %*u %*d %lu",
		   local, &port, &state, &inode) != 4)
		return -1;
	if (port == 0 || port > 65535 || hex_address(local, v6, &out->addr) != 0)
		return -1;
	if (state != (proto == JIT_PROTO_TCP ? TCP_LISTEN : UDP_UNCONNECTED))
		return 0;
	out->spec.port = (uint16_t)port;
	out->spec.proto = proto;
	out->inode = inode;
	out->process[0] = '\0';
	return 1;
}

/* The listeners of one /proc/net file, appended. */
static int scan_file(const char *path, bool v6, enum jit_proto proto, struct jit_listener *out,
		     size_t max, size_t *n, jit_error *err)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int rc = 0;

	if (f == NULL)
		return errno == ENOENT ? 0 : jit_error_set(err, "%s: %s", path, strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		struct jit_listener l;
		int got = jit_scan_proc_line(line, v6, proto, &l);

		if (got < 0)
			rc = jit_error_set(err, "%s: a line not as the kernel writes it", path);
		else if (got == 1 && *n == max)
			rc = jit_error_set(err, "more than %zu listening sockets", max);
		else if (got == 1)
			out[(*n)++] = l;
	}
	(void)fclose(f);
	return rc;
}

int jit_scan_listeners(const char *proc, struct jit_listener *out, size_t max, size_t *n,
		       jit_error *err)
{
	static const struct {
		const char *name;
		bool v6;
		enum jit_proto proto;
	} files[] = {
		{ "tcp", false, JIT_PROTO_TCP }, { "tcp6", true, JIT_PROTO_TCP },
		{ "udp", false, JIT_PROTO_UDP }, { "udp6", true, JIT_PROTO_UDP },
	};
	char path[512];

	*n = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/net/%s", proc, files[i].name);
		if (scan_file(path, files[i].v6, files[i].proto, out, max, n, err) != 0)
			return -1;
	}
	return 0;
}

/* The socket inode a /proc/PID/fd entry links to, or 0. */
static unsigned long socket_inode(const char *fd_dir, const char *name)
{
	char path[PATH_MAX + 256], target[64];
	unsigned long inode;
	ssize_t len;

	(void)snprintf(path, sizeof(path), "%s/%s", fd_dir, name);
	len = readlink(path, target, sizeof(target) - 1);
	if (len <= 0)
		return 0;
	target[len] = '\0';
	return sscanf(target, "socket:[%lu]", &inode) == 1 ? inode : 0;
}

/* The process's name as its comm file says, every byte outside printable
 * ASCII as '?': any process may name itself, escape sequences included,
 * and the name goes to root's terminal and into JSON. */
static void read_comm(const char *proc, const char *pid, char *out, size_t size)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s/comm", proc, pid);
	out[0] = '\0';
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	for (char *c = out; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	(void)fclose(f);
}

/* Names the listeners whose sockets process `pid` holds. */
static void scan_process(const char *proc, const char *pid, struct jit_listener *l, size_t n)
{
	char fd_dir[PATH_MAX], comm[JIT_SCAN_PROCESS_MAX] = "";
	struct dirent *e;
	DIR *d;

	(void)snprintf(fd_dir, sizeof(fd_dir), "%s/%s/fd", proc, pid);
	d = opendir(fd_dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		unsigned long inode = e->d_name[0] != '.' ? socket_inode(fd_dir, e->d_name) : 0;

		for (size_t i = 0; inode != 0 && i < n; i++) {
			if (l[i].inode != inode || l[i].process[0] != '\0')
				continue;
			if (comm[0] == '\0')
				read_comm(proc, pid, comm, sizeof(comm));
			(void)snprintf(l[i].process, sizeof(l[i].process), "%s", comm);
		}
	}
	(void)closedir(d);
}

void jit_scan_owners(const char *proc, struct jit_listener *l, size_t n)
{
	struct dirent *e;
	DIR *d = opendir(proc);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			scan_process(proc, e->d_name, l, n);
	(void)closedir(d);
}

static bool is_loopback(const struct jit_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	return memcmp(a->bytes, v6_loopback, sizeof(v6_loopback)) == 0;
}

static bool is_management(const struct jit_listener *l)
{
	static const struct jit_portspec ports[] = {
		{ 22, JIT_PROTO_TCP }, { 3389, JIT_PROTO_TCP }, { 3389, JIT_PROTO_UDP },
		{ 5985, JIT_PROTO_TCP }, { 5986, JIT_PROTO_TCP },
	};

	/* jit-sshd is the front door, open by design wherever it listens. */
	if (strcmp(l->process, "jit-sshd") == 0)
		return false;
	if (strcmp(l->process, "sshd") == 0 || strcmp(l->process, "xrdp") == 0)
		return true;
	return jit_portspec_in(ports, sizeof(ports) / sizeof(ports[0]), &l->spec);
}

enum jit_scan_mark jit_scan_classify(const struct jit_listener *l,
				     const struct jit_portspec *guarded, size_t n_guarded)
{
	if (jit_portspec_in(guarded, n_guarded, &l->spec))
		return JIT_SCAN_GUARDED;
	if (is_management(l) && !is_loopback(&l->addr))
		return JIT_SCAN_UNGUARDED;
	return JIT_SCAN_OTHER;
}

const char *jit_scan_mark_name(enum jit_scan_mark m)
{
	static const char *const names[] = {
		[JIT_SCAN_GUARDED] = "guarded", [JIT_SCAN_UNGUARDED] = "unguarded",
		[JIT_SCAN_OTHER] = "other",
	};

	return names[m];
}
