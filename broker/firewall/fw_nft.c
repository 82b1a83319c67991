/* SPDX-License-Identifier: ISC */
/* Backend "nftables": jit's own table inet jit, driven in process through
 * libnftables; one nft_run_cmd_from_buffer() call is one transaction.
 *
 *   chain input (hook input, priority filter, policy accept):
 *     ct state established,related accept
 *     ip  saddr . meta l4proto . th dport @hosts4 accept
 *     ip  saddr . meta l4proto . th dport @ranges4 accept
 *     ip6 saddr . meta l4proto . th dport @hosts6 accept
 *     ip6 saddr . meta l4proto . th dport @ranges6 accept
 *     tcp flags & (syn | rst) == 0 meta l4proto . th dport @guarded reject with tcp reset
 *     meta l4proto . th dport @guarded drop
 *
 * The reset answers a segment of a flow the kernel no longer tracks (one
 * cut, conntrack.h), so its client learns at once that it is over; a SYN
 * from outside every window is dropped without an answer.
 *
 * A segment of one address goes to a hosts set (a hash: adding to it costs
 * the same with 10,000 elements as with none), a range to a ranges set
 * (flags interval, whose kernel structure is rebuilt on every change).
 * Segments never overlap, so the two sets together admit exactly the plan.
 * Every element carries its own timeout. Only validated addresses
 * (inet_ntop) and integer ports are ever written into commands. */
#include "config.h"

#include "fault.h"
#include "backend.h"
#include "fwplan.h"

#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TABLE "inet jit"

static const char setup_cmds[] =
	"add table " TABLE "\n"
	"add set " TABLE " hosts4 { type ipv4_addr . inet_proto . inet_service;"
	" flags timeout; timeout 1h; }\n"
	"add set " TABLE " ranges4 { type ipv4_addr . inet_proto . inet_service;"
	" flags interval,timeout; timeout 1h; }\n"
	"add set " TABLE " hosts6 { type ipv6_addr . inet_proto . inet_service;"
	" flags timeout; timeout 1h; }\n"
	"add set " TABLE " ranges6 { type ipv6_addr . inet_proto . inet_service;"
	" flags interval,timeout; timeout 1h; }\n"
	"add set " TABLE " guarded { type inet_proto . inet_service; }\n"
	"add chain " TABLE " input { type filter hook input priority filter; policy accept; }\n"
	"flush chain " TABLE " input\n"
	"add rule " TABLE " input ct state established,related accept\n"
	"add rule " TABLE " input ip saddr . meta l4proto . th dport @hosts4 accept\n"
	"add rule " TABLE " input ip saddr . meta l4proto . th dport @ranges4 accept\n"
	"add rule " TABLE " input ip6 saddr . meta l4proto . th dport @hosts6 accept\n"
	"add rule " TABLE " input ip6 saddr . meta l4proto . th dport @ranges6 accept\n"
	"add rule " TABLE " input tcp flags & (syn | rst) == 0 meta l4proto . th dport @guarded"
	" reject with tcp reset\n"
	"add rule " TABLE " input meta l4proto . th dport @guarded drop\n"
	"flush set " TABLE " guarded\n"
	"flush set " TABLE " hosts4\n"
	"flush set " TABLE " ranges4\n"
	"flush set " TABLE " hosts6\n"
	"flush set " TABLE " ranges6\n";

static const char fingerprint_cmd[] =
	"list chain " TABLE " input\nlist set " TABLE " guarded\n";

struct nft_backend {
	struct nft_ctx *ctx;
};

static void *jit_nft_backend_new(jit_error *err)
{
	struct nft_backend *nb = calloc(1, sizeof(*nb));

	if (nb == NULL || (nb->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		free(nb);
		jit_error_set(err, "firewall nftables: cannot create a libnftables context");
		return NULL;
	}
	if (nft_ctx_buffer_output(nb->ctx) != 0 || nft_ctx_buffer_error(nb->ctx) != 0) {
		nft_ctx_free(nb->ctx);
		free(nb);
		jit_error_set(err, "firewall nftables: cannot buffer libnftables output");
		return NULL;
	}
	return nb;
}

/* nft_run_cmd_from_buffer, through the fault-injection seam; 0 or an errno. */
static int nft_call(struct nft_backend *nb, const char *cmds, const char *what)
{
	int injected = jit_fault(JIT_FAULT_NFT, what);

	if (injected != 0)
		return injected;
	return nft_run_cmd_from_buffer(nb->ctx, cmds) == 0 ? 0 : -1;
}

/* Runs commands as one transaction; on failure err gets nft's first line. */
static int run(struct nft_backend *nb, const char *cmds, const char *what, jit_error *err)
{
	int rc = nft_call(nb, cmds, what);
	const char *msg = nft_ctx_get_error_buffer(nb->ctx);

	if (rc == 0)
		return 0;
	if (rc > 0)
		return jit_error_set(err, "nftables: %s", strerror(rc));
	if (msg == NULL || msg[0] == '\0')
		msg = "nftables refused the change";
	return jit_error_set(err, "%.*s", (int)strcspn(msg, "\n"), msg);
}

static const char *proto_name(enum jit_proto p)
{
	return p == JIT_PROTO_UDP ? "udp" : "tcp";
}

static void put_element(FILE *f, int family, enum jit_proto proto, uint16_t port,
			const struct jit_fw_seg *seg)
{
	char range[100];

	jit_fw_seg_format(family, seg, range, sizeof(range));
	fprintf(f, "%s . %s . %u", range, proto_name(proto), port);
}

static bool is_host(int family, const struct jit_fw_seg *seg)
{
	return memcmp(seg->lo, seg->hi, family == AF_INET ? 4 : 16) == 0;
}

static const char *set_of(int family, const struct jit_fw_seg *seg)
{
	if (is_host(family, seg))
		return family == AF_INET ? "hosts4" : "hosts6";
	return family == AF_INET ? "ranges4" : "ranges6";
}

static void put_guarded(FILE *f, const struct jit_guarded *g)
{
	if (g->n == 0)
		return;
	fputs("add element " TABLE " guarded { ", f);
	for (size_t i = 0; i < g->n; i++)
		fprintf(f, "%s%s . %u", i ? ", " : "", proto_name(g->ports[i].proto),
			g->ports[i].port);
	fputs(" }\n", f);
}

/* " timeout 1d2h3m4s5ms": libnftables 1.0.6 takes at most 99999999 in one
 * unit, which a bare "<N>ms" passes at 27.8 hours. */
static void put_timeout(FILE *f, int64_t ms)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};

	fputs(" timeout ", f);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms >= units[i].ms || (ms == 0 && units[i].ms == 1)) {
			fprintf(f, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
			ms %= units[i].ms;
		}
	}
}

/* "add element inet jit hosts4 { ... }" with every live segment of a family
 * that is (hosts) or is not (ranges) a single address. */
static void put_plan(FILE *f, const struct jit_fw_plan *plan, int family, bool hosts,
		     int64_t now_ms)
{
	bool open = false;

	for (size_t i = 0; i < plan->n_keys; i++) {
		const struct jit_fw_key *k = &plan->keys[i];
		struct jit_fw_seg_iter it = { 0, 0 };
		const struct jit_fw_seg *s;

		if (k->family != family)
			continue;
		while ((s = jit_fw_key_next(k, &it)) != NULL) {
			if (s->expires_ms <= now_ms || is_host(family, s) != hosts)
				continue;
			fprintf(f, open ? ", " : "add element " TABLE " %s { ", set_of(family, s));
			open = true;
			put_element(f, family, k->proto, k->port, s);
			put_timeout(f, s->expires_ms - now_ms);
		}
	}
	if (open)
		fputs(" }\n", f);
}

/* Runs what fill() writes as one transaction. */
static int run_built(struct nft_backend *nb, void (*fill)(FILE *f, const void *ctx),
		     const void *ctx, const char *what, jit_error *err)
{
	char *cmds = jit_fw_text(fill, ctx);
	int rc;

	if (cmds == NULL)
		return jit_error_set(err, "out of memory");
	rc = run(nb, cmds, what, err);
	free(cmds);
	return rc;
}

/* The chain and the guarded set as listed now; NULL when they are not there. */
static char *nft_fingerprint(void *state)
{
	struct nft_backend *nb = state;
	const char *out;

	if (nft_call(nb, fingerprint_cmd, "listing jit's chain") != 0) {
		(void)nft_ctx_get_error_buffer(nb->ctx);
		return NULL;
	}
	out = nft_ctx_get_output_buffer(nb->ctx);
	return strdup(out ? out : "");
}

struct replace_args {
	const struct jit_guarded *guarded;
	const struct jit_fw_plan *plan;
	int64_t now_ms;
};

static void fill_replace(FILE *f, const void *ctx)
{
	const struct replace_args *a = ctx;

	fputs(setup_cmds, f);
	put_guarded(f, a->guarded);
	put_plan(f, a->plan, AF_INET, true, a->now_ms);
	put_plan(f, a->plan, AF_INET, false, a->now_ms);
	put_plan(f, a->plan, AF_INET6, true, a->now_ms);
	put_plan(f, a->plan, AF_INET6, false, a->now_ms);
}

static int nft_replace(void *state, const struct jit_guarded *guarded,
		       const struct jit_fw_plan *plan, int64_t now_ms, jit_error *err)
{
	struct replace_args a = { guarded, plan, now_ms };

	return run_built(state, fill_replace, &a, "replacing jit's table", err);
}

struct apply_args {
	const struct jit_fw_changes *changes;
	int64_t now_ms;
};

static void fill_apply(FILE *f, const void *ctx)
{
	const struct apply_args *a = ctx;

	for (size_t i = 0; i < a->changes->n; i++) {
		const struct jit_fw_change *c = &a->changes->items[i];

		if (c->kind == JIT_FW_ADD && c->seg.expires_ms <= a->now_ms)
			continue;
		fprintf(f, "%s element " TABLE " %s { ", c->kind == JIT_FW_ADD ? "add" : "delete",
			set_of(c->family, &c->seg));
		put_element(f, c->family, c->proto, c->port, &c->seg);
		if (c->kind == JIT_FW_ADD)
			put_timeout(f, c->seg.expires_ms - a->now_ms);
		fputs(" }\n", f);
	}
}

static int nft_apply(void *state, const struct jit_fw_changes *changes, int64_t now_ms,
		     jit_error *err)
{
	struct apply_args a = { changes, now_ms };

	return run_built(state, fill_apply, &a, "adding and deleting elements", err);
}

/* 1 when table inet jit exists, 0 when not, -1 when nftables cannot say. */
static int table_exists(struct nft_backend *nb, jit_error *err)
{
	const char *out;

	if (run(nb, "list tables inet\n", "listing tables", err) != 0)
		return -1;
	out = nft_ctx_get_output_buffer(nb->ctx);
	return out != NULL && strstr(out, "table " TABLE "\n") != NULL;
}

static int nft_show(void *state, FILE *out, jit_error *err)
{
	struct nft_backend *nb = state;
	const char *listing;
	int exists = table_exists(nb, err);

	if (exists <= 0) {
		if (exists == 0)
			fputs("no table " TABLE ": jit holds nothing in the kernel\n", out);
		return exists;
	}
	if (run(nb, "list table " TABLE "\n", "listing jit's table", err) != 0)
		return -1;
	listing = nft_ctx_get_output_buffer(nb->ctx);
	fputs(listing ? listing : "", out);
	return 0;
}

static int nft_remove(void *state, jit_error *err)
{
	struct nft_backend *nb = state;
	int exists = table_exists(nb, err);

	if (exists <= 0)
		return exists < 0 ? -1 : 1;
	return run(nb, "delete table " TABLE "\n", "deleting jit's table", err);
}

static void nft_destroy(void *state)
{
	struct nft_backend *nb = state;

	if (nb == NULL)
		return;
	nft_ctx_free(nb->ctx);
	free(nb);
}

const struct jit_firewall_ops jit_firewall_nftables = {
	.name = "nftables",
	.create = jit_nft_backend_new,
	.replace = nft_replace,
	.apply = nft_apply,
	.fingerprint = nft_fingerprint,
	.show = nft_show,
	.remove = nft_remove,
	.destroy = nft_destroy,
};
