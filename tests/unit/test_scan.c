/* SPDX-License-Identifier: ISC */
/* jitctl scan's parts: /proc/net lines as the kernel writes them, the
 * listeners this test opens found with their process, and the marks. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "scan.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* An address as /proc/net prints it: each 32-bit word as the number its
 * bytes make in this host's order. */
static void kernel_hex(const uint8_t *bytes, size_t words, char *out, size_t size)
{
	size_t len = 0;

	for (size_t w = 0; w < words; w++) {
		uint32_t v;

		memcpy(&v, bytes + w * 4, sizeof(v));
		(void)snprintf(out + len, size - len, "%08X", v);
		len += 8;
	}
}

static void proc_line(const char *hex, unsigned port, unsigned state, unsigned long inode,
		      char *out, size_t size)
{
	(void)snprintf(out, size, "   3: %s:%04X %s:0000 %02X 00000000:00000000 00:00000000"
		       " 00000000     0        0 %lu 1 0000000000000000 100 0 0 10 0\n", hex, port,
		       strlen(hex) == 8 ? "00000000" : "00000000000000000000000000000000", state,
		       inode);
}

static void test_proc_lines(void **state)
{
	static const uint8_t v4[4] = { 192, 0, 2, 7 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
	char hex[33], line[512], text[64];
	struct jit_listener l;

	(void)state;
	kernel_hex(v4, 1, hex, sizeof(hex));
	proc_line(hex, 2222, 0x0A, 4711, line, sizeof(line));
	assert_int_equal(jit_scan_proc_line(line, false, JIT_PROTO_TCP, &l), 1);
	jit_addr_format(&l.addr, text, sizeof(text));
	assert_string_equal(text, "192.0.2.7");
	assert_int_equal(l.spec.port, 2222);
	assert_int_equal(l.spec.proto, JIT_PROTO_TCP);
	assert_int_equal(l.inode, 4711);
	/* Established, not listening. */
	proc_line(hex, 2222, 0x01, 4712, line, sizeof(line));
	assert_int_equal(jit_scan_proc_line(line, false, JIT_PROTO_TCP, &l), 0);
	/* UDP: bound and unconnected is what listens. */
	proc_line(hex, 3389, 0x07, 4713, line, sizeof(line));
	assert_int_equal(jit_scan_proc_line(line, false, JIT_PROTO_UDP, &l), 1);
	assert_int_equal(l.spec.proto, JIT_PROTO_UDP);
	kernel_hex(v6, 4, hex, sizeof(hex));
	proc_line(hex, 22, 0x0A, 4714, line, sizeof(line));
	assert_int_equal(jit_scan_proc_line(line, true, JIT_PROTO_TCP, &l), 1);
	jit_addr_format(&l.addr, text, sizeof(text));
	assert_string_equal(text, "2001:db8::9");
	assert_int_equal(jit_scan_proc_line("  sl  local_address rem_address   st tx_queue\n", false,
					    JIT_PROTO_TCP, &l), 0);
	assert_int_equal(jit_scan_proc_line("   0: nonsense\n", false, JIT_PROTO_TCP, &l), -1);
	/* An IPv4 line read as IPv6 has too short an address. */
	kernel_hex(v4, 1, hex, sizeof(hex));
	proc_line(hex, 22, 0x0A, 1, line, sizeof(line));
	assert_int_equal(jit_scan_proc_line(line, true, JIT_PROTO_TCP, &l), -1);
}

/* A socket of this process: bound to addr port 0 (any free one), listening
 * if TCP; its port in *port, its inode in *inode. -1 when the family is
 * not available here. */
static int open_listener(int family, int type, const void *addr, uint16_t *port,
			 unsigned long *inode)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len = family == AF_INET ? sizeof(u.in) : sizeof(u.in6);
	struct stat st;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&u, 0, sizeof(u));
	u.sa.sa_family = (sa_family_t)family;
	if (family == AF_INET)
		memcpy(&u.in.sin_addr, addr, 4);
	else
		memcpy(&u.in6.sin6_addr, addr, 16);
	if (bind(fd, &u.sa, len) != 0 || (type == SOCK_STREAM && listen(fd, 1) != 0) ||
	    getsockname(fd, &u.sa, &len) != 0 || fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? u.in.sin_port : u.in6.sin6_port);
	*inode = (unsigned long)st.st_ino;
	return fd;
}

static const struct jit_listener *find(const struct jit_listener *l, size_t n,
				       unsigned long inode)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].inode == inode)
			return &l[i];
	return NULL;
}

/* The listeners this test opens are found in /proc, with their port,
 * protocol, address and this process's name. */
static void test_own_listeners(void **state)
{
	static const uint8_t loop4[4] = { 127, 0, 0, 1 }, any4[4] = { 0 }, loop6[16] = { [15] = 1 };
	struct jit_listener *l = calloc(JIT_SCAN_LISTENERS_MAX, sizeof(*l));
	const struct jit_listener *tcp, *udp, *tcp6;
	unsigned long tcp_inode = 0, udp_inode = 0, tcp6_inode = 0;
	uint16_t tcp_port = 0, udp_port = 0, tcp6_port = 0;
	char comm[JIT_SCAN_PROCESS_MAX] = "", text[64];
	int tcp_fd, udp_fd, tcp6_fd;
	size_t n = 0;
	jit_error err;
	FILE *f;

	(void)state;
	assert_non_null(l);
	tcp_fd = open_listener(AF_INET, SOCK_STREAM, loop4, &tcp_port, &tcp_inode);
	udp_fd = open_listener(AF_INET, SOCK_DGRAM, any4, &udp_port, &udp_inode);
	tcp6_fd = open_listener(AF_INET6, SOCK_STREAM, loop6, &tcp6_port, &tcp6_inode);
	assert_true(tcp_fd >= 0);
	assert_true(udp_fd >= 0);
	assert_int_equal(jit_scan_listeners("/proc", l, JIT_SCAN_LISTENERS_MAX, &n, &err), 0);
	jit_scan_owners("/proc", l, n);
	f = fopen("/proc/self/comm", "re");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	comm[strcspn(comm, "\n")] = '\0';
	fclose(f);

	tcp = find(l, n, tcp_inode);
	assert_non_null(tcp);
	assert_int_equal(tcp->spec.port, tcp_port);
	assert_int_equal(tcp->spec.proto, JIT_PROTO_TCP);
	jit_addr_format(&tcp->addr, text, sizeof(text));
	assert_string_equal(text, "127.0.0.1");
	assert_string_equal(tcp->process, comm);
	udp = find(l, n, udp_inode);
	assert_non_null(udp);
	assert_int_equal(udp->spec.port, udp_port);
	assert_int_equal(udp->spec.proto, JIT_PROTO_UDP);
	jit_addr_format(&udp->addr, text, sizeof(text));
	assert_string_equal(text, "0.0.0.0");
	if (tcp6_fd >= 0) {	/* where this machine has IPv6 */
		tcp6 = find(l, n, tcp6_inode);
		assert_non_null(tcp6);
		assert_int_equal(tcp6->spec.port, tcp6_port);
		jit_addr_format(&tcp6->addr, text, sizeof(text));
		assert_string_equal(text, "::1");
		close(tcp6_fd);
	}
	close(tcp_fd);
	close(udp_fd);
	free(l);
}

/* A /proc of the test's own: a missing IPv6 file is no error, a line not
 * as the kernel writes it is; a process's name is printable ASCII. */
static void test_proc_files(void **state)
{
	static const uint8_t v4[4] = { 198, 51, 100, 1 };
	char dir[] = "/tmp/jit-test-scan.XXXXXX", path[128], hex[9], line[512], cmd[160];
	struct jit_listener l[4];
	size_t n = 9;
	jit_error err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/net", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/net/tcp", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	kernel_hex(v4, 1, hex, sizeof(hex));
	fputs("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
	      "  timeout inode\n", f);
	proc_line(hex, 22, 0x0A, 11, line, sizeof(line));
	fputs(line, f);
	proc_line(hex, 40000, 0x01, 12, line, sizeof(line));
	fputs(line, f);
	fclose(f);
	assert_int_equal(jit_scan_listeners(dir, l, 4, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].spec.port, 22);
	/* A process holding it that named itself with an escape sequence. */
	(void)snprintf(path, sizeof(path), "%s/4242", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/4242/fd", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/4242/fd/3", dir);
	assert_int_equal(symlink("socket:[11]", path), 0);
	(void)snprintf(path, sizeof(path), "%s/4242/comm", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs("\x1b]0;evil\a\xff\n", f);
	fclose(f);
	jit_scan_owners(dir, l, n);
	assert_string_equal(l[0].process, "?]0;evil??");
	assert_int_equal(jit_scan_listeners(dir, l, 0, &n, &err), -1);
	assert_non_null(strstr(err.msg, "more than 0 listening sockets"));
	(void)snprintf(path, sizeof(path), "%s/net/udp", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs("   0: garbage\n", f);
	fclose(f);
	assert_int_equal(jit_scan_listeners(dir, l, 4, &n, &err), -1);
	assert_non_null(strstr(err.msg, "net/udp: a line not as the kernel writes it"));
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct jit_listener listener(const char *addr, uint16_t port, enum jit_proto proto,
				    const char *process)
{
	struct jit_listener l = { .spec = { port, proto } };

	assert_int_equal(jit_addr_parse(addr, &l.addr), 0);
	(void)snprintf(l.process, sizeof(l.process), "%s", process);
	return l;
}

static enum jit_scan_mark mark(const char *addr, uint16_t port, enum jit_proto proto,
			       const char *process)
{
	static const struct jit_portspec guarded[] = { { 22, JIT_PROTO_TCP }, { 8443, JIT_PROTO_TCP } };
	struct jit_listener l = listener(addr, port, proto, process);

	return jit_scan_classify(&l, guarded, 2);
}

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(mark("0.0.0.0", 22, JIT_PROTO_TCP, "sshd"), JIT_SCAN_GUARDED);
	assert_int_equal(mark("::", 8443, JIT_PROTO_TCP, ""), JIT_SCAN_GUARDED);
	assert_int_equal(mark("0.0.0.0", 3389, JIT_PROTO_TCP, "xrdp"), JIT_SCAN_UNGUARDED);
	assert_int_equal(mark("::", 3389, JIT_PROTO_UDP, ""), JIT_SCAN_UNGUARDED);
	assert_int_equal(mark("192.0.2.5", 5986, JIT_PROTO_TCP, ""), JIT_SCAN_UNGUARDED);
	/* sshd on a port of its own is still sshd. */
	assert_int_equal(mark("0.0.0.0", 2222, JIT_PROTO_TCP, "sshd"), JIT_SCAN_UNGUARDED);
	/* Reachable from this host alone. */
	assert_int_equal(mark("127.0.0.1", 3389, JIT_PROTO_TCP, "xrdp"), JIT_SCAN_OTHER);
	assert_int_equal(mark("::1", 5985, JIT_PROTO_TCP, ""), JIT_SCAN_OTHER);
	/* jit-sshd is the front door, open by design. */
	assert_int_equal(mark("0.0.0.0", 5985, JIT_PROTO_TCP, "jit-sshd"), JIT_SCAN_OTHER);
	assert_int_equal(mark("0.0.0.0", 8080, JIT_PROTO_TCP, "nginx"), JIT_SCAN_OTHER);
	assert_string_equal(jit_scan_mark_name(JIT_SCAN_UNGUARDED), "unguarded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_lines),
		cmocka_unit_test(test_own_listeners),
		cmocka_unit_test(test_proc_files),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
