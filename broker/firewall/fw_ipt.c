/* SPDX-License-Identifier: ISC */
/* Backend "iptables": a chain JIT jumped to from the top of INPUT, in
 * iptables and ip6tables alike, matching the ipsets jit4 and jit6
 * (hash:net,port with timeouts):
 *
 *   -A JIT -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
 *   -A JIT -m set --match-set jit4 src,dst -j RETURN
 *   -A JIT -p tcp --tcp-flags SYN,RST NONE -m multiport --dports 22,3389
 *          -j REJECT --reject-with tcp-reset
 *   -A JIT -p tcp -m multiport --dports 22,3389 -j DROP     (guarded ports)
 *
 * The reset answers a segment of a flow the kernel no longer tracks (one
 * cut, conntrack.h); a SYN from outside every window is dropped.
 *
 * RETURN, not ACCEPT: an ACCEPT would end INPUT and skip the host's own
 * rules after the jump, and jit must only ever close more.
 *
 * The sets are driven in process through libipset; every element carries
 * its own timeout (whole seconds, rounded down: a window may close up to a
 * second early, never late). A full replace fills new sets and swaps them
 * in, so no grant vanishes meanwhile. The rules go through
 * iptables-restore --noflush, which replaces the JIT chain in one commit.
 * Whichever iptables is on PATH is used: nft-based or legacy. */
#include "config.h"

#include "fault.h"
#include "backend.h"
#include "fwplan.h"
#include "log.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <libipset/ipset.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SET_TYPE "hash:net,port"
#define SET_MAXELEM 1048576
#define PROCESS_OUTPUT_MAX (1024 * 1024)

struct ipt_backend {
	struct ipset *ipset;
	char ipset_error[512];
	bool ipset_failed;		/* set by the error callbacks */
	FILE *ipset_out;		/* where libipset prints, while listing */
};

/* --- processes ----------------------------------------------------------------------- */

/* What the child wrote to fd until it closed it: at most
 * PROCESS_OUTPUT_MAX bytes, NUL-terminated; NULL when out of memory. */
static char *read_output(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	for (ssize_t n; buf != NULL && (n = read(fd, buf + len, cap - len - 1)) > 0;) {
		len += (size_t)n;
		if (len + 1 == cap && cap < PROCESS_OUTPUT_MAX) {
			char *grown = realloc(buf, cap * 2);

			if (grown == NULL)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* Runs argv with `input` on its standard input; its standard output and
 * error together land in *output (NUL-terminated, to free). Returns the
 * exit status, or -1 when it could not run. */
static int run_process(char *const argv[], const char *input, char **output)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = -1;
	char path[JIT_PATH_MAX];
	struct jit_spawn sp = { .path = path, .argv = argv, .keep_capabilities = true };
	pid_t pid;

	*output = NULL;
	if (jit_spawn_find(argv[0], path, sizeof(path)) != 0 || pipe2(in, O_CLOEXEC) != 0 ||
	    pipe2(out, O_CLOEXEC) != 0)
		goto out;
	/* The firewall tools need jitd's CAP_NET_ADMIN, and only they get it. */
	sp.stdin_fd = in[0];
	sp.stdout_fd = sp.stderr_fd = out[1];
	pid = jit_spawn(&sp);
	close_fd(&in[0]);
	close_fd(&out[1]);
	if (pid <= 0)
		goto out;
	if (input != NULL && write(in[1], input, strlen(input)) < 0)
		log_debug("writing to %s: %s", argv[0], strerror(errno));
	close_fd(&in[1]);
	*output = read_output(out[0]);
	/* Closed before the wait: a child with more to say gets EPIPE. */
	close_fd(&out[0]);
	if (waitpid(pid, &status, 0) != pid || *output == NULL)
		status = -1;
	else
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	return status;
}

/* Runs a command that must succeed; err gets its first line of output. */
static int run_ok(char *const argv[], const char *input, jit_error *err)
{
	char *out;
	int injected = jit_fault(JIT_FAULT_IPTABLES, argv[0]);
	int status;

	if (injected != 0)
		return jit_error_set(err, "%s: %s", argv[0], strerror(injected));
	status = run_process(argv, input, &out);

	if (status != 0)
		jit_error_set(err, "%s: %.*s", argv[0], out ? (int)strcspn(out, "\n") : 0,
			      out && out[0] ? out : "could not run");
	free(out);
	return status == 0 ? 0 : -1;
}

/* --- ipset, in process ---------------------------------------------------------------- */

static int ipset_error_cb(struct ipset *ipset, void *p, int status, const char *msg, ...)
	__attribute__((format(printf, 4, 5)));

static int ipset_error_cb(struct ipset *ipset, void *p, int status, const char *msg, ...)
{
	struct ipt_backend *ib = p;
	va_list ap;

	(void)ipset;
	va_start(ap, msg);
	(void)vsnprintf(ib->ipset_error, sizeof(ib->ipset_error), msg, ap);
	va_end(ap);
	ib->ipset_failed = true;
	return status;
}

static int ipset_standard_error_cb(struct ipset *ipset, void *p)
{
	struct ipt_backend *ib = p;
	struct ipset_session *s = ipset_session(ipset);
	const char *msg = ipset_session_report_msg(s);

	/* libipset calls this for warnings too, and with nothing to say. */
	if (ipset_session_report_type(s) > IPSET_WARNING && msg != NULL && msg[0] != '\0') {
		(void)snprintf(ib->ipset_error, sizeof(ib->ipset_error), "%.*s",
			       (int)strcspn(msg, "\n"), msg);
		ib->ipset_failed = true;
	}
	ipset_session_report_reset(s);
	return -1;
}

static int ipset_print_cb(struct ipset_session *session, void *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ipset_print_cb(struct ipset_session *session, void *p, const char *fmt, ...)
{
	struct ipt_backend *ib = p;
	va_list ap;
	int n = 0;

	(void)session;
	va_start(ap, fmt);
	if (ib->ipset_out != NULL)
		n = vfprintf(ib->ipset_out, fmt, ap);
	va_end(ap);
	return n;
}

static int open_session(struct ipt_backend *ib)
{
	if (ib->ipset != NULL)
		ipset_fini(ib->ipset);
	ib->ipset = ipset_init();
	if (ib->ipset == NULL)
		return -1;
	ipset_custom_printf(ib->ipset, ipset_error_cb, ipset_standard_error_cb, ipset_print_cb, ib);
	return 0;
}

/* libipset's return values miss some failures (a stream of commands returns
 * 0 whatever happened) and a session is unusable after one: trust the
 * callbacks, and start afresh after any error. */
static int ipset_outcome(struct ipt_backend *ib, int rc, jit_error *err)
{
	if (rc == 0 && !ib->ipset_failed)
		return 0;
	jit_error_set(err, "ipset: %s", ib->ipset_error[0] ? ib->ipset_error : "refused the change");
	if (open_session(ib) != 0)
		log_error("firewall iptables: cannot start a new libipset session");
	return -1;
}

/* The fault-injection seam: -1, with the error as libipset would report it,
 * when a test made this call fail. */
static int ipset_injected(struct ipt_backend *ib, const char *what)
{
	int injected = jit_fault(JIT_FAULT_IPSET, what);

	if (injected == 0)
		return 0;
	(void)snprintf(ib->ipset_error, sizeof(ib->ipset_error), "%s", strerror(injected));
	ib->ipset_failed = true;
	return -1;
}

/* Runs ipset commands, one per line, as `ipset restore` would. */
static int ipset_run(struct ipt_backend *ib, const char *cmds, const char *what, jit_error *err)
{
	FILE *f = fmemopen((void *)cmds, strlen(cmds), "r");
	int rc;

	if (f == NULL || ib->ipset == NULL) {
		if (f != NULL)
			fclose(f);
		return jit_error_set(err, "ipset: no session");
	}
	ib->ipset_error[0] = '\0';
	ib->ipset_failed = false;
	rc = ipset_injected(ib, what);
	if (rc == 0)
		rc = ipset_parse_stream(ib->ipset, f);
	fclose(f);
	return ipset_outcome(ib, rc, err);
}

static void *jit_ipt_backend_new(jit_error *err)
{
	struct ipt_backend *ib = calloc(1, sizeof(*ib));

	if (ib == NULL) {
		jit_error_set(err, "out of memory");
		return NULL;
	}
	ipset_load_types();
	if (open_session(ib) != 0) {
		free(ib);
		jit_error_set(err, "firewall iptables: cannot start a libipset session");
		return NULL;
	}
	return ib;
}

/* Runs one ipset command line, as the ipset command would. */
static int ipset_line(struct ipt_backend *ib, const char *cmd, jit_error *err)
{
	char line[128];
	int rc;

	if (ib->ipset == NULL)
		return jit_error_set(err, "ipset: no session");
	(void)snprintf(line, sizeof(line), "%s", cmd);
	ib->ipset_error[0] = '\0';
	ib->ipset_failed = false;
	rc = ipset_injected(ib, cmd);
	if (rc == 0)
		rc = ipset_parse_line(ib->ipset, line);
	return ipset_outcome(ib, rc, err);
}

/* --- what the backend writes ------------------------------------------------------------ */

static const char *set_name(int family)
{
	return family == AF_INET ? "jit4" : "jit6";
}

struct element_ctx {
	FILE *f;
	const char *verb, *set, *proto;
	unsigned port;
	long long timeout;		/* seconds; <0: none */
};

static int put_cidr(const struct jit_cidr *c, void *ctx)
{
	const struct element_ctx *e = ctx;
	char cidr[JIT_CIDR_STRLEN];

	/* hash:net holds prefixes from /1 on: a /0 (two grants of a half each,
	 * merged) goes in as its two halves. */
	if (c->prefix == 0) {
		struct jit_cidr half = *c;

		half.prefix = 1;
		memset(half.addr.bytes, 0, sizeof(half.addr.bytes));
		(void)put_cidr(&half, ctx);
		half.addr.bytes[0] = 0x80;
		return put_cidr(&half, ctx);
	}
	jit_cidr_format(c, cidr, sizeof(cidr));
	fprintf(e->f, "%s %s %s,%s:%u", e->verb, e->set, cidr, e->proto, e->port);
	if (e->timeout >= 0)
		fprintf(e->f, " timeout %lld", e->timeout);
	fputs(" -exist\n", e->f);
	return 0;
}

/* Whole seconds left, rounded down, at least 1; -1 when none is left. */
static long long timeout_s(int64_t expires_ms, int64_t now_ms)
{
	if (expires_ms <= now_ms)
		return -1;
	return (expires_ms - now_ms) / 1000 > 0 ? (expires_ms - now_ms) / 1000 : 1;
}

static void put_segment(FILE *f, const char *verb, const char *set, int family,
			enum jit_proto proto, uint16_t port, const struct jit_fw_seg *seg,
			long long timeout)
{
	struct element_ctx e = { f, verb, set, proto == JIT_PROTO_UDP ? "udp" : "tcp", port,
				 timeout };

	(void)jit_fw_seg_cidrs(family, seg, put_cidr, &e);
}

/* One rule for every 15 guarded ports of proto (multiport's most), each
 * with match before the ports and target after them. */
static void put_guard_rules(FILE *f, const struct jit_guarded *g, enum jit_proto proto,
			    const char *match, const char *target)
{
	size_t in_rule = 0;

	for (size_t i = 0; i < g->n; i++) {
		if (g->ports[i].proto != proto)
			continue;
		if (in_rule == 15) {
			fprintf(f, " -j %s\n", target);
			in_rule = 0;
		}
		if (in_rule == 0)
			fprintf(f, "-A JIT -p %s%s -m multiport --dports %u",
				proto == JIT_PROTO_UDP ? "udp" : "tcp", match, g->ports[i].port);
		else
			fprintf(f, ",%u", g->ports[i].port);
		in_rule++;
	}
	if (in_rule > 0)
		fprintf(f, " -j %s\n", target);
}

struct chain_args {
	int family;
	const struct jit_guarded *guarded;
	bool add_jump;
	bool with_set;			/* false: no grant admitted, every guarded port shut */
};

/* The filter table's JIT chain for one family, for iptables-restore --noflush:
 * declaring the chain empties it, so the commit replaces it whole. */
static void fill_chain(FILE *f, const void *ctx)
{
	const struct chain_args *a = ctx;

	fputs("*filter\n:JIT - [0:0]\n", f);
	fputs("-A JIT -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN\n", f);
	if (a->with_set)
		fprintf(f, "-A JIT -m set --match-set %s src,dst -j RETURN\n", set_name(a->family));
	put_guard_rules(f, a->guarded, JIT_PROTO_TCP, " --tcp-flags SYN,RST NONE",
			"REJECT --reject-with tcp-reset");
	put_guard_rules(f, a->guarded, JIT_PROTO_TCP, "", "DROP");
	put_guard_rules(f, a->guarded, JIT_PROTO_UDP, "", "DROP");
	if (a->add_jump)
		fputs("-I INPUT 1 -j JIT\n", f);
	fputs("COMMIT\n", f);
}

static const char *tool(int family)
{
	return family == AF_INET ? "iptables" : "ip6tables";
}

static bool jump_present(int family)
{
	char *argv[] = { (char *)tool(family), "-w", "-C", "INPUT", "-j", "JIT", NULL };
	char *out;
	int status = run_process(argv, NULL, &out);

	free(out);
	return status == 0;
}

static int put_chain(int family, const struct jit_guarded *g, bool with_set, jit_error *err)
{
	struct chain_args a = { family, g, !jump_present(family), with_set };
	char restore[32];
	char *argv[] = { restore, "-w", "--noflush", NULL };
	char *text = jit_fw_text(fill_chain, &a);
	int rc;

	if (text == NULL)
		return jit_error_set(err, "out of memory");
	(void)snprintf(restore, sizeof(restore), "%s-restore", tool(family));
	rc = run_ok(argv, text, err);
	free(text);
	return rc;
}

/* Fills a fresh set with the plan's live segments of a family and swaps it
 * in for the one in use: the kernel never holds fewer grants meanwhile. */
static void put_swap(FILE *f, const struct jit_fw_plan *plan, int family, int64_t now_ms)
{
	const char *set = set_name(family), *inet = family == AF_INET ? "inet" : "inet6";

	fprintf(f, "create %s %s family %s timeout 3600 maxelem %d -exist\n", set, SET_TYPE, inet,
		SET_MAXELEM);
	fprintf(f, "create %s-new %s family %s timeout 3600 maxelem %d -exist\n", set, SET_TYPE,
		inet, SET_MAXELEM);
	fprintf(f, "flush %s-new\n", set);
	for (size_t i = 0; i < plan->n_keys; i++) {
		const struct jit_fw_key *k = &plan->keys[i];
		struct jit_fw_seg_iter it = { 0, 0 };
		const struct jit_fw_seg *s;
		char staging[16];

		if (k->family != family)
			continue;
		(void)snprintf(staging, sizeof(staging), "%s-new", set);
		while ((s = jit_fw_key_next(k, &it)) != NULL) {
			long long t = timeout_s(s->expires_ms, now_ms);

			if (t > 0)
				put_segment(f, "add", staging, family, k->proto, k->port, s, t);
		}
	}
	fprintf(f, "swap %s-new %s\ndestroy %s-new\n", set, set, set);
}

struct replace_args {
	const struct jit_fw_plan *plan;
	int64_t now_ms;
};

static void fill_create(FILE *f, const void *ctx)
{
	(void)ctx;
	for (int family = AF_INET; family != 0; family = family == AF_INET ? AF_INET6 : 0)
		fprintf(f, "create %s %s family %s timeout 3600 maxelem %d -exist\n",
			set_name(family), SET_TYPE, family == AF_INET ? "inet" : "inet6", SET_MAXELEM);
}

static void fill_swaps(FILE *f, const void *ctx)
{
	const struct replace_args *a = ctx;

	put_swap(f, a->plan, AF_INET, a->now_ms);
	put_swap(f, a->plan, AF_INET6, a->now_ms);
}

/* Runs what fill() writes through libipset. */
static int ipset_built(struct ipt_backend *ib, void (*fill)(FILE *f, const void *ctx),
		       const void *ctx, const char *what, jit_error *err)
{
	char *cmds = jit_fw_text(fill, ctx);
	int rc;

	if (cmds == NULL)
		return jit_error_set(err, "out of memory");
	rc = cmds[0] != '\0' ? ipset_run(ib, cmds, what, err) : 0;
	free(cmds);
	return rc;
}

static int ipt_replace(void *state, const struct jit_guarded *guarded,
		       const struct jit_fw_plan *plan, int64_t now_ms, jit_error *err)
{
	struct replace_args a = { plan, now_ms };
	int rc;

	/* The guard rules first, whatever then becomes of the sets: a failed
	 * rewrite leaves the guarded ports closed, never open. Without the sets
	 * (ipset failing), a chain that admits no grant at all until they are. */
	bool shut = false;

	(void)ipset_built(state, fill_create, NULL, "creating the sets", err);
	for (int family = AF_INET; family != 0; family = family == AF_INET ? AF_INET6 : 0) {
		jit_error ignored;

		if (put_chain(family, guarded, true, &ignored) == 0)
			continue;
		if (put_chain(family, guarded, false, err) != 0)
			return -1;
		shut = true;
	}
	rc = ipset_built(state, fill_swaps, &a, "swapping in new sets", err);
	if (rc == 0 && shut) {
		rc = put_chain(AF_INET, guarded, true, err);
		if (rc == 0)
			rc = put_chain(AF_INET6, guarded, true, err);
	}
	return rc;
}

struct apply_args {
	const struct jit_fw_changes *changes;
	int64_t now_ms;
};

static void fill_changes(FILE *f, const void *ctx)
{
	const struct apply_args *a = ctx;

	for (size_t i = 0; i < a->changes->n; i++) {
		const struct jit_fw_change *c = &a->changes->items[i];
		long long t = timeout_s(c->seg.expires_ms, a->now_ms);

		if (c->kind == JIT_FW_DEL)
			put_segment(f, "del", set_name(c->family), c->family, c->proto, c->port,
				    &c->seg, -1);
		else if (t > 0)
			put_segment(f, "add", set_name(c->family), c->family, c->proto, c->port,
				    &c->seg, t);
	}
}

static int ipt_apply(void *state, const struct jit_fw_changes *changes, int64_t now_ms,
		     jit_error *err)
{
	struct apply_args a = { changes, now_ms };

	return ipset_built(state, fill_changes, &a, "adding and deleting elements", err);
}

/* ctx points to the backend's pointer: listing sets goes through its session. */
static void fill_fingerprint(FILE *f, const void *ctx)
{
	struct ipt_backend *ib = *(struct ipt_backend *const *)ctx;

	for (int family = AF_INET; family != 0; family = family == AF_INET ? AF_INET6 : 0) {
		char *argv[] = { (char *)tool(family), "-w", "-S", "JIT", NULL }, *out = NULL;

		fprintf(f, "%s jump %d\n", tool(family), jump_present(family));
		fprintf(f, "%s exit %d\n", tool(family), run_process(argv, NULL, &out));
		fputs(out ? out : "", f);
		free(out);
	}
	ib->ipset_out = f;
	fprintf(f, "ipset %d\n", ipset_line(ib, "list -n", NULL));
	ib->ipset_out = NULL;
}

/* The JIT chains, the jumps to them and the sets' names, as the kernel has
 * them now. */
static char *ipt_fingerprint(void *state)
{
	struct ipt_backend *ib = state;

	return jit_fw_text(fill_fingerprint, &ib);
}

static int ipt_show(void *state, FILE *out, jit_error *err)
{
	struct ipt_backend *ib = state;

	for (int family = AF_INET; family != 0; family = family == AF_INET ? AF_INET6 : 0) {
		char *argv[] = { (char *)tool(family), "-w", "-S", "JIT", NULL }, *text;

		if (run_process(argv, NULL, &text) == 0)
			fprintf(out, "# %s\n%s", tool(family), text);
		else
			fprintf(out, "# %s: no chain JIT\n", tool(family));
		free(text);
	}
	ib->ipset_out = out;
	for (int family = AF_INET; family != 0; family = family == AF_INET ? AF_INET6 : 0) {
		char cmd[32];

		(void)snprintf(cmd, sizeof(cmd), "list %s", set_name(family));
		if (ipset_line(ib, cmd, NULL) != 0)
			fprintf(out, "# no set %s\n", set_name(family));
	}
	ib->ipset_out = NULL;
	(void)err;
	return 0;
}

/* Takes jit's chain and jump away in one family; 1 when there was none. */
static int remove_chain(int family, jit_error *err)
{
	char *list[] = { (char *)tool(family), "-w", "-S", "JIT", NULL }, *out;
	char *unjump[] = { (char *)tool(family), "-w", "-D", "INPUT", "-j", "JIT", NULL };
	char *flush[] = { (char *)tool(family), "-w", "-F", "JIT", NULL };
	char *drop[] = { (char *)tool(family), "-w", "-X", "JIT", NULL };
	int exists = run_process(list, NULL, &out) == 0;

	free(out);
	while (jump_present(family))
		if (run_ok(unjump, NULL, err) != 0)
			return -1;
	if (!exists)
		return 1;
	return run_ok(flush, NULL, err) == 0 && run_ok(drop, NULL, err) == 0 ? 0 : -1;
}

static int ipt_remove(void *state, jit_error *err)
{
	struct ipt_backend *ib = state;
	int nothing = 1;

	for (int family = AF_INET; family != 0; family = family == AF_INET ? AF_INET6 : 0) {
		char cmd[64];
		int rc = remove_chain(family, err);

		if (rc < 0)
			return -1;
		nothing &= rc;
		(void)snprintf(cmd, sizeof(cmd), "list -n %s", set_name(family));
		if (ipset_line(ib, cmd, NULL) != 0)
			continue;
		(void)snprintf(cmd, sizeof(cmd), "destroy %s", set_name(family));
		if (ipset_line(ib, cmd, err) != 0)
			return -1;
		nothing = 0;
	}
	return nothing;
}

static void ipt_destroy(void *state)
{
	struct ipt_backend *ib = state;

	if (ib == NULL)
		return;
	if (ib->ipset != NULL)
		ipset_fini(ib->ipset);
	free(ib);
}

const struct jit_firewall_ops jit_firewall_iptables = {
	.name = "iptables",
	.create = jit_ipt_backend_new,
	.replace = ipt_replace,
	.apply = ipt_apply,
	.fingerprint = ipt_fingerprint,
	.show = ipt_show,
	.remove = ipt_remove,
	.destroy = ipt_destroy,
};
