/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Entries deleted per pass over the table, and passes at most: a window
 * from a wide prefix may have many flows, and the table is read whole on
 * each pass (the kernel filters by family only). */
#define CUT_BATCH 4096
#define CUT_PASSES 64

bool jit_flow_in_window(const struct jit_fw_entry *e, const struct jit_flow *f)
{
	if (!jit_cidr_contains(&e->source, &f->src))
		return false;
	for (size_t i = 0; i < e->n_ports; i++)
		if ((unsigned)e->ports[i].proto == f->l4proto && e->ports[i].port == f->dport)
			return true;
	return false;
}

bool jit_cut_takes(const struct jit_cut *c, const struct jit_flow *f)
{
	if (!jit_flow_in_window(c->window, f))
		return false;
	for (size_t i = 0; i < c->n_open; i++)
		if (jit_flow_in_window(&c->open[i], f))
			return false;
	return true;
}

/* The flow of an entry the kernel reported; -1 for one jit never admits
 * (neither TCP nor UDP). */
static int flow_of(const struct nf_conntrack *ct, struct jit_flow *f)
{
	const void *v6;
	uint32_t v4;

	memset(f, 0, sizeof(*f));
	switch (nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO)) {
	case AF_INET:
		v4 = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);
		f->src.family = AF_INET;
		memcpy(f->src.bytes, &v4, sizeof(v4));
		break;
	case AF_INET6:
		v6 = nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC);
		if (v6 == NULL)
			return -1;
		f->src.family = AF_INET6;
		memcpy(f->src.bytes, v6, 16);
		break;
	default:
		return -1;
	}
	f->l4proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	if (f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP)
		return -1;
	f->dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	return 0;
}

struct cut_pass {
	const struct jit_cut *cut;
	struct nf_conntrack **found;
	size_t n;
	bool more;			/* matches beyond CUT_BATCH: another pass */
	bool out_of_memory;
};

static int collect_flow(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct cut_pass *p = data;
	struct jit_flow f;

	(void)type;
	if (flow_of(ct, &f) != 0 || !jit_cut_takes(p->cut, &f))
		return NFCT_CB_CONTINUE;
	/* The dump is read to its end either way: a dump stopped early
	 * would leave its rest for the next query on the socket. */
	if (p->n == CUT_BATCH) {
		p->more = true;
		return NFCT_CB_CONTINUE;
	}
	p->found[p->n] = nfct_clone(ct);
	if (p->found[p->n] == NULL)
		p->out_of_memory = true;
	else
		p->n++;
	return NFCT_CB_CONTINUE;
}

/* One pass: the matching entries read, then deleted; how many. */
static long cut_pass(struct nfct_handle *h, struct cut_pass *p, jit_error *err)
{
	uint32_t family = (uint32_t)p->cut->window->source.addr.family;
	long cut = 0;
	int rc;

	p->n = 0;
	p->more = p->out_of_memory = false;
	if (nfct_callback_register(h, NFCT_T_ALL, collect_flow, p) != 0)
		return jit_error_set(err, "conntrack: %s", strerror(errno));
	rc = nfct_query(h, NFCT_Q_DUMP, &family);
	nfct_callback_unregister(h);
	if (rc != 0)
		(void)jit_error_set(err, "reading the conntrack table: %s", strerror(errno));
	else if (p->out_of_memory)
		(void)jit_error_set(err, "reading the conntrack table: out of memory");
	for (size_t i = 0; i < p->n; i++) {
		/* Gone meanwhile (closed, timed out) is as good as cut. */
		if (rc == 0 && nfct_query(h, NFCT_Q_DESTROY, p->found[i]) == 0)
			cut++;
		else if (rc == 0 && errno != ENOENT)
			rc = jit_error_set(err, "deleting a conntrack entry: %s", strerror(errno));
		nfct_destroy(p->found[i]);
	}
	return rc != 0 || p->out_of_memory ? -1 : cut;
}

long jit_conntrack_cut(const struct jit_cut *c, jit_error *err)
{
	struct cut_pass p = { .cut = c };
	struct nfct_handle *h;
	long total = 0;

	p.found = calloc(CUT_BATCH, sizeof(*p.found));
	if (p.found == NULL)
		return jit_error_set(err, "out of memory");
	h = nfct_open(CONNTRACK, 0);
	if (h == NULL) {
		free(p.found);
		return jit_error_set(err, "opening conntrack: %s", strerror(errno));
	}
	for (int pass = 0; pass < CUT_PASSES; pass++) {
		long cut = cut_pass(h, &p, err);

		if (cut < 0) {
			total = -1;
			break;
		}
		total += cut;
		if (!p.more)
			break;
	}
	if (total >= 0 && p.more)
		total = jit_error_set(err, "more than %d flows to cut; the rest stay",
				      CUT_BATCH * CUT_PASSES);
	nfct_close(h);
	free(p.found);
	return total;
}
