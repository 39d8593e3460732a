// SPDX-License-Identifier: GPL-2.0
/*
 * Lowering a policy's network rules into the kernel's LPM tries (bpf/abi/net.h).
 *
 * The reference semantics (policy_net_decide()): the rules of a direction
 * form one table in evaluation order; the first rule whose CIDR contains the
 * address, whose protocol matches and whose port range holds the port
 * decides; else the direction's default. (ICMP and protocols without ports
 * match only rules for every port.)
 *
 * For each distinct CIDR of a (policy, direction, family), plus the /0 root,
 * one node: an address whose longest matching CIDR is the node's sees
 * exactly the rules whose CIDR contains the node's CIDR, so the node's
 * decision, as a function of (protocol class, port), is the first-match
 * evaluation of that subset in table order. The function is cut into port
 * ranges of equal verdict and each range into aligned port prefixes; a node
 * whose function is constant carries the verdict inline. Everything is
 * computed here, once per policy load; the kernel does two trie lookups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "lib/log.h"
#include "lib/map_util.h"
#include "enforce/net.h"

struct nl_node {
	uint8_t  addr[16];
	uint8_t  len;
	uint32_t *rules;	/* indices into p->net[dir] with exactly this CIDR */
	uint32_t nrules, cap;
};

/* A piecewise-constant function of the port, per protocol class. */
struct nl_range {
	uint32_t lo, hi;	/* inclusive */
	struct bh_net_verdict v;
};

struct nl_func {
	struct nl_range *r[BH_PC_COUNT];
	uint32_t n[BH_PC_COUNT];
};

/* Where a policy's entries go: its block, generation 0's form. */
struct nl_out {
	struct net_block *b;
	uint32_t id_base;	/* the block's number: node ids are unique per block */
	uint32_t next_local;
};

bool net_policy_active(const struct policy *p)
{
	return p->n_net[0] || p->n_net[1] || p->net_default[0] != POLICY_ALLOW ||
	       p->net_default[1] != POLICY_ALLOW;
}

static void mask_addr(uint8_t *out, const uint8_t *in, unsigned len, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		out[i] = bits >= 8 ? in[i] : (uint8_t)(in[i] & (0xff00u >> bits));
	}
}

static int node_cmp(const void *a, const void *b)
{
	const struct nl_node *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int node_add_rule(struct nl_node *n, uint32_t idx)
{
	if (n->nrules == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 4;
		uint32_t *r = realloc(n->rules, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		n->rules = r;
		n->cap = cap;
	}
	n->rules[n->nrules++] = idx;
	return 0;
}

static void free_nodes(struct nl_node *nodes, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(nodes[i].rules);
	free(nodes);
}

static void free_func(struct nl_func *f)
{
	for (int c = 0; c < BH_PC_COUNT; c++) {
		free(f->r[c]);
		f->r[c] = NULL;
		f->n[c] = 0;
	}
}

/* The distinct CIDRs of (dir, family) with their rules, plus the root; sorted. */
static int build_nodes(const struct policy *p, int dir, int family, struct nl_node **out,
		       uint32_t *nout)
{
	unsigned bytes = family == POLICY_INET ? 4 : 16;
	uint32_t n = 1, m = 0;
	struct nl_node *v;

	v = calloc((size_t)p->n_net[dir] + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* v[0]: the root, 0/0 */
	for (uint32_t i = 0; i < p->n_net[dir]; i++) {
		const struct policy_net_rule *r = &p->net[dir][i];

		if (r->family != family)
			continue;
		v[n].len = r->prefix_len > bytes * 8 ? bytes * 8 : r->prefix_len;
		mask_addr(v[n].addr, r->addr, v[n].len, bytes);
		if (node_add_rule(&v[n], i)) {
			free_nodes(v, n + 1);
			return -ENOMEM;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), node_cmp);
	/* merge equal CIDRs (the root sorts first among /0s) */
	for (uint32_t i = 0; i < n; i++) {
		if (m && !node_cmp(&v[m - 1], &v[i])) {
			for (uint32_t j = 0; j < v[i].nrules; j++)
				if (node_add_rule(&v[m - 1], v[i].rules[j])) {
					free_nodes(v, n);
					return -ENOMEM;
				}
			free(v[i].rules);
			v[i].rules = NULL;
			continue;
		}
		if (m != i) {
			v[m] = v[i];
			v[i].rules = NULL;
		}
		m++;
	}
	*out = v;
	*nout = m;
	return 0;
}

/* Rules that apply to addresses whose longest match is node: in table order. */
static int applicable(const struct nl_node *nodes, uint32_t nn, const struct nl_node *node,
		      unsigned bytes, uint32_t **out, uint32_t *nout)
{
	uint32_t *r = NULL, n = 0, cap = 0;

	for (unsigned len = 0; len <= node->len; len++) {
		struct nl_node k = { .len = len };
		const struct nl_node *hit;

		mask_addr(k.addr, node->addr, len, bytes);
		hit = bsearch(&k, nodes, nn, sizeof(*nodes), node_cmp);
		if (!hit || !hit->nrules)
			continue;
		if (n + hit->nrules > cap) {
			uint32_t c = (n + hit->nrules) * 2;
			uint32_t *t = realloc(r, c * sizeof(*t));

			if (!t) {
				free(r);
				return -ENOMEM;
			}
			r = t;
			cap = c;
		}
		memcpy(r + n, hit->rules, hit->nrules * sizeof(*r));
		n += hit->nrules;
	}
	if (n)
		qsort(r, n, sizeof(*r), u32_cmp);
	*out = r;
	*nout = n;
	return 0;
}

static struct bh_net_verdict rule_verdict(const struct policy_net_rule *r, int kind, uint32_t idx)
{
	struct bh_net_verdict v = {
		.action = r->action,
		.flags = r->prefix_len == 0 ? BH_NV_ROOT : 0,
		.ref = POLICY_REF(kind, idx),
	};
	return v;
}

static int verdict_eq(const struct bh_net_verdict *a, const struct bh_net_verdict *b)
{
	return a->action == b->action && a->flags == b->flags && a->ref == b->ref;
}

static int push_range(struct nl_func *f, int c, uint32_t lo, uint32_t hi,
		      const struct bh_net_verdict *v)
{
	struct nl_range *r;

	if (f->n[c] && verdict_eq(&f->r[c][f->n[c] - 1].v, v) && f->r[c][f->n[c] - 1].hi + 1 == lo) {
		f->r[c][f->n[c] - 1].hi = hi;
		return 0;
	}
	r = realloc(f->r[c], (f->n[c] + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	f->r[c] = r;
	r[f->n[c]].lo = lo;
	r[f->n[c]].hi = hi;
	r[f->n[c]].v = *v;
	f->n[c]++;
	return 0;
}

/* The node's decision function over (class, port), first match in table order. */
static int eval_node(const struct policy *p, int dir, const uint32_t *rules, uint32_t nr,
		     struct nl_func *f)
{
	int kind = dir == POLICY_INGRESS ? POLICY_REF_INGRESS : POLICY_REF_EGRESS;
	struct bh_net_verdict def = {
		.action = p->net_default[dir],
		.flags = BH_NV_ROOT,
		.ref = POLICY_REF(kind, POLICY_REF_DEFAULT),
	};
	static const uint8_t proto_of[BH_PC_COUNT] = {
		[BH_PC_OTHER] = 0, [BH_PC_TCP] = POLICY_PROTO_TCP,
		[BH_PC_UDP] = POLICY_PROTO_UDP, [BH_PC_ICMP] = POLICY_PROTO_ICMP,
	};
	uint32_t *b = malloc((2 * (size_t)nr + 2) * sizeof(*b));
	int err = 0;

	if (!b)
		return -ENOMEM;
	for (int c = 0; c < BH_PC_COUNT && !err; c++) {
		uint32_t nb = 0;

		if (c == BH_PC_OTHER || c == BH_PC_ICMP) {
			/* No ports: only rules for every port can match. */
			struct bh_net_verdict v = def;

			for (uint32_t i = 0; i < nr; i++) {
				const struct policy_net_rule *r = &p->net[dir][rules[i]];

				if ((r->proto == POLICY_PROTO_ANY || r->proto == proto_of[c]) &&
				    r->port_lo == 0 && r->port_hi == 65535) {
					v = rule_verdict(r, kind, rules[i]);
					break;
				}
			}
			err = push_range(f, c, 0, 65535, &v);
			continue;
		}
		b[nb++] = 0;
		for (uint32_t i = 0; i < nr; i++) {
			const struct policy_net_rule *r = &p->net[dir][rules[i]];

			if (r->proto != POLICY_PROTO_ANY && r->proto != proto_of[c])
				continue;
			b[nb++] = r->port_lo;
			if (r->port_hi < 65535)
				b[nb++] = (uint32_t)r->port_hi + 1;
		}
		qsort(b, nb, sizeof(*b), u32_cmp);
		for (uint32_t k = 0; k < nb && !err; k++) {
			uint32_t lo = b[k], hi;
			struct bh_net_verdict v = def;

			if (k && b[k] == b[k - 1])
				continue;
			hi = 65535;
			for (uint32_t j = k + 1; j < nb; j++)
				if (b[j] != lo) {
					hi = b[j] - 1;
					break;
				}
			for (uint32_t i = 0; i < nr; i++) {
				const struct policy_net_rule *r = &p->net[dir][rules[i]];

				if ((r->proto == POLICY_PROTO_ANY || r->proto == proto_of[c]) &&
				    lo >= r->port_lo && lo <= r->port_hi) {
					v = rule_verdict(r, kind, rules[i]);
					break;
				}
			}
			err = push_range(f, c, lo, hi, &v);
		}
	}
	free(b);
	return err;
}

static int func_uniform(const struct nl_func *f, struct bh_net_verdict *v)
{
	for (int c = 0; c < BH_PC_COUNT; c++)
		if (f->n[c] != 1 || !verdict_eq(&f->r[c][0].v, &f->r[0][0].v))
			return 0;
	*v = f->r[0][0].v;
	return 1;
}

/* Aligned port prefixes that cover [lo, hi]: calls fn for each (if fn), returns how many. */
static uint32_t port_prefixes(uint32_t lo, uint32_t hi,
			      int (*fn)(void *ctx, uint32_t lo, uint32_t bits), void *ctx, int *err)
{
	uint32_t n = 0;

	while (lo <= hi) {
		uint32_t size = 1, bits = 0;

		while (bits < 16 && !(lo & (size * 2 - 1)) && lo + size * 2 - 1 <= hi) {
			size *= 2;
			bits++;
		}
		if (fn && !*err)
			*err = fn(ctx, lo, bits);
		n++;
		lo += size;
	}
	return n;
}

/*
 * The verdict a node carries inline for what its port entries leave out:
 * the one whose ranges would take the most port entries. A port lookup that
 * misses gives the node's verdict (bpf/lib/net.bpf.h), so those ranges are
 * never written: a rule for one port range costs the prefixes of that range,
 * not of the ranges around it.
 */
static struct bh_net_verdict node_fallback(const struct nl_func *f)
{
	struct bh_net_verdict best = f->r[BH_PC_OTHER][0].v;
	uint32_t best_n = 0;

	for (int c = 0; c < BH_PC_COUNT; c++)
		for (uint32_t i = 0; i < f->n[c]; i++) {
			const struct bh_net_verdict *v = &f->r[c][i].v;
			uint32_t n = 0;
			int seen = 0, e = 0;

			/* count each distinct verdict once, at its first range */
			for (int c2 = 0; c2 <= c && !seen; c2++)
				for (uint32_t j = 0; j < (c2 == c ? i : f->n[c2]); j++)
					if (verdict_eq(&f->r[c2][j].v, v)) {
						seen = 1;
						break;
					}
			if (seen)
				continue;
			for (int c2 = 0; c2 < BH_PC_COUNT; c2++)
				for (uint32_t j = 0; j < f->n[c2]; j++)
					if (verdict_eq(&f->r[c2][j].v, v))
						n += port_prefixes(f->r[c2][j].lo, f->r[c2][j].hi,
								   NULL, NULL, &e);
			if (n > best_n) {
				best_n = n;
				best = *v;
			}
		}
	return best;
}

struct port_emit {
	struct nl_out *o;
	struct bh_net_port_key k;
	const struct bh_net_verdict *v;
	struct net_lower_stats *st;
};

static int port_emit_one(void *ctx, uint32_t lo, uint32_t bits)
{
	struct port_emit *pe = ctx;

	pe->k.prefixlen = BH_NET_PORT_KEY_BITS + 16 - bits;
	pe->k.port[0] = (uint8_t)(lo >> 8);
	pe->k.port[1] = (uint8_t)lo;
	pe->st->port_entries++;
	return kv_add(&pe->o->b->ports, &pe->k, pe->v);
}

/*
 * The ranges of a non-uniform node that differ from its inline verdict: in the
 * node itself if they are at most BH_NET_NODE_RANGES (no port entry), else as
 * aligned port prefixes (BH_NV_PORTS). 1 if they went into the node.
 */
static int node_ranges(const struct nl_func *f, struct bh_net_node *node)
{
	uint32_t n = 0;

	for (int c = 0; c < BH_PC_COUNT; c++)
		for (uint32_t i = 0; i < f->n[c]; i++) {
			if (verdict_eq(&f->r[c][i].v, &node->v))
				continue;
			if (n == BH_NET_NODE_RANGES) {
				memset(node->r, 0, sizeof(node->r));
				node->nr = 0;
				node->v.flags |= BH_NV_PORTS;
				return 0;
			}
			node->r[n] = (struct bh_net_prange){ .lo = (uint16_t)f->r[c][i].lo,
							     .hi = (uint16_t)f->r[c][i].hi,
							     .pclass = (uint8_t)c, .v = f->r[c][i].v };
			n++;
		}
	node->nr = n;
	return 1;
}

/* The ranges of a non-uniform node that differ from its inline verdict, as aligned port prefixes. */
static int write_ports(struct nl_out *o, uint32_t id, const struct nl_func *f,
		       const struct bh_net_verdict *fallback, struct net_lower_stats *st)
{
	int err = 0;

	for (int c = 0; c < BH_PC_COUNT && !err; c++) {
		for (uint32_t i = 0; i < f->n[c] && !err; i++) {
			struct port_emit pe = { .o = o, .k = { .node = id, .pclass = (uint8_t)c },
						.v = &f->r[c][i].v, .st = st };

			if (fallback && verdict_eq(&f->r[c][i].v, fallback))
				continue;
			port_prefixes(f->r[c][i].lo, f->r[c][i].hi, port_emit_one, &pe, &err);
		}
	}
	return err;
}

static int write_node(struct nl_out *o, uint32_t scope, int family, const uint8_t *addr,
		      unsigned len, struct bh_net_node *node)
{
	if (family == POLICY_INET) {
		struct bh_net_key4 k = { .prefixlen = BH_NET_SCOPE_BITS + len, .scope = scope };

		memcpy(k.addr, addr, 4);
		return kv_add(&o->b->cidr4, &k, node);
	} else {
		struct bh_net_key6 k = { .prefixlen = BH_NET_SCOPE_BITS + len, .scope = scope };

		memcpy(k.addr, addr, 16);
		return kv_add(&o->b->cidr6, &k, node);
	}
}

/* Node ids: policy id above NET_ID_LOCAL_BITS, the node's number below; the generation bit is set at write. */
static int new_id(struct nl_out *o, uint32_t *id)
{
	if (o->next_local >= (1u << NET_ID_LOCAL_BITS) - 1)
		return -E2BIG;
	*id = (o->id_base << NET_ID_LOCAL_BITS) | ++o->next_local;
	return 0;
}

/* Bind: a port may be bound if some peer could reach it under the ingress rules. */
struct bind_acc {
	int32_t *diff[2];		/* [TCP, UDP] allow-coverage difference arrays, 65537 */
	struct nl_func root4;		/* the IPv4 root's function: refs for denials */
	int have_root;
};

static void bind_add(struct bind_acc *b, const struct nl_func *f)
{
	for (int c = BH_PC_TCP; c <= BH_PC_UDP; c++)
		for (uint32_t i = 0; i < f->n[c]; i++)
			if (f->r[c][i].v.action == POLICY_ALLOW) {
				b->diff[c - BH_PC_TCP][f->r[c][i].lo]++;
				b->diff[c - BH_PC_TCP][f->r[c][i].hi + 1]--;
			}
}

static int lower_bind(struct nl_out *o, const struct policy *p, struct bind_acc *b,
		      struct net_lower_stats *st)
{
	struct nl_func f = { 0 };
	struct bh_net_node node = { 0 };
	uint32_t scope = BH_NET_SCOPE(0, BH_NK_BIND, p->id);
	static const uint8_t zero[16];
	int err = 0;

	for (int c = BH_PC_TCP; c <= BH_PC_UDP && !err; c++) {
		int32_t cover = 0;
		uint32_t ri = 0;
		const struct nl_func *rf = &b->root4;

		for (uint32_t port = 0; port <= 65535 && !err; port++) {
			struct bh_net_verdict v = { .action = POLICY_ALLOW };

			cover += b->diff[c - BH_PC_TCP][port];
			if (!cover) {
				while (ri < rf->n[c] && rf->r[c][ri].hi < port)
					ri++;
				v = ri < rf->n[c] ? rf->r[c][ri].v : v;
				v.action = POLICY_DENY;
			}
			err = push_range(&f, c, port, port, &v);
		}
	}
	/* ICMP and other protocols are never refused at bind. */
	for (int c = 0; c < BH_PC_COUNT && !err; c += 3) {
		struct bh_net_verdict v = { .action = POLICY_ALLOW };

		err = push_range(&f, c, 0, 65535, &v);
	}
	if (err)
		goto out;
	if (func_uniform(&f, &node.v) && node.v.action == POLICY_ALLOW)
		goto out;	/* nothing to refuse: no bind node, the kernel allows */
	err = new_id(o, &node.id);
	if (err)
		goto out;
	if (func_uniform(&f, &node.v)) {
		node.v.flags |= BH_NV_UNIFORM;
	} else {
		node.v = node_fallback(&f);
		if (!node_ranges(&f, &node))
			err = write_ports(o, node.id, &f, &node.v, st);
	}
	if (!err)
		err = write_node(o, scope, POLICY_INET, zero, 0, &node);
	if (!err)
		err = write_node(o, scope, POLICY_INET6, zero, 0, &node);
	st->nodes += 2;
out:
	free_func(&f);
	return err;
}

static int lower_dir_family(struct nl_out *o, const struct policy *p, int dir,
			    int family, struct bind_acc *bind, struct net_lower_stats *st)
{
	unsigned bytes = family == POLICY_INET ? 4 : 16;
	uint32_t scope = BH_NET_SCOPE(0, dir == POLICY_INGRESS ? BH_NK_INGRESS : BH_NK_EGRESS, p->id);
	struct nl_node *nodes = NULL;
	uint32_t nn = 0;
	int err;

	err = build_nodes(p, dir, family, &nodes, &nn);
	if (err)
		return err;
	for (uint32_t i = 0; i < nn && !err; i++) {
		struct nl_func f = { 0 };
		struct bh_net_node node = { 0 };
		uint32_t *rules = NULL, nr = 0;

		err = applicable(nodes, nn, &nodes[i], bytes, &rules, &nr);
		if (!err)
			err = eval_node(p, dir, rules, nr, &f);
		free(rules);
		if (err) {
			free_func(&f);
			break;
		}
		err = new_id(o, &node.id);
		if (err) {
			free_func(&f);
			break;
		}
		if (func_uniform(&f, &node.v)) {
			node.v.flags |= BH_NV_UNIFORM;
			st->uniform++;
		} else {
			node.v = node_fallback(&f);
			if (!node_ranges(&f, &node))
				err = write_ports(o, node.id, &f, &node.v, st);
		}
		if (!err)
			err = write_node(o, scope, family, nodes[i].addr, nodes[i].len, &node);
		st->nodes++;
		if (bind && !err) {
			bind_add(bind, &f);
			if (family == POLICY_INET && nodes[i].len == 0) {
				bind->root4 = f;
				bind->have_root = 1;
				continue;	/* bind owns f now */
			}
		}
		free_func(&f);
	}
	free_nodes(nodes, nn);
	return err;
}

void net_block_init(struct net_block *b)
{
	memset(b, 0, sizeof(*b));
	kv_init(&b->cidr4, sizeof(struct bh_net_key4), sizeof(struct bh_net_node));
	kv_init(&b->cidr6, sizeof(struct bh_net_key6), sizeof(struct bh_net_node));
	kv_init(&b->ports, sizeof(struct bh_net_port_key), sizeof(struct bh_net_verdict));
}

void net_block_free(struct net_block *b)
{
	kv_free(&b->cidr4);
	kv_free(&b->cidr6);
	kv_free(&b->ports);
}

int net_lower_build(const struct policy *p, uint32_t block_id, struct net_block *b,
		    struct net_lower_stats *stp)
{
	struct net_lower_stats st = { 0 };
	struct bind_acc bind = { 0 };
	struct nl_out o = { .b = b, .id_base = block_id };
	int err = 0;

	if (!p->id || !block_id || block_id >= (1u << NET_ID_BLOCK_BITS))
		return -EINVAL;
	if (!net_policy_active(p))
		goto out;
	for (int dir = POLICY_EGRESS; dir <= POLICY_INGRESS && !err; dir++) {
		int ingress = dir == POLICY_INGRESS;

		/* No rules and an allowing default: nothing to lower (the kernel allows). */
		if (!p->n_net[dir] && p->net_default[dir] == POLICY_ALLOW)
			continue;
		if (ingress) {
			bind.diff[0] = calloc(65537, sizeof(int32_t));
			bind.diff[1] = calloc(65537, sizeof(int32_t));
			if (!bind.diff[0] || !bind.diff[1]) {
				err = -ENOMEM;
				break;
			}
		}
		err = lower_dir_family(&o, p, dir, POLICY_INET, ingress ? &bind : NULL, &st);
		if (!err)
			err = lower_dir_family(&o, p, dir, POLICY_INET6, ingress ? &bind : NULL, &st);
		if (!err && ingress && bind.have_root)
			err = lower_bind(&o, p, &bind, &st);
	}
	free(bind.diff[0]);
	free(bind.diff[1]);
	free_func(&bind.root4);
out:
	kv_shrink(&b->cidr4);
	kv_shrink(&b->cidr6);
	kv_shrink(&b->ports);
	b->nodes = st.nodes;
	b->port_entries = st.port_entries;
	if (stp) {
		stp->nodes += st.nodes;
		stp->port_entries += st.port_entries;
		stp->uniform += st.uniform;
	}
	return err;
}

/* The block's entries with generation gen's bits, into a scratch list. */
static int block_for_gen(const struct kv_list *src, struct kv_list *dst, uint32_t gen, int what)
{
	uint32_t g = (gen & 1) << 31;

	*dst = *src;
	dst->keys = malloc((size_t)src->n * src->ksz + 1);
	dst->vals = malloc((size_t)src->n * src->vsz + 1);
	dst->cap = src->n;
	if (!dst->keys || !dst->vals) {
		kv_free(dst);
		return -ENOMEM;
	}
	memcpy(dst->keys, src->keys, (size_t)src->n * src->ksz);
	memcpy(dst->vals, src->vals, (size_t)src->n * src->vsz);
	for (uint32_t i = 0; i < src->n && g; i++) {
		if (what == 4)
			((struct bh_net_key4 *)kv_key(dst, i))->scope |= g;
		else if (what == 6)
			((struct bh_net_key6 *)kv_key(dst, i))->scope |= g;
		else
			((struct bh_net_port_key *)kv_key(dst, i))->node |= g;
		if (what != 0)
			((struct bh_net_node *)kv_val(dst, i))->id |= g;
	}
	return 0;
}

int net_block_write(struct net_maps *m, uint32_t gen, const struct net_block *b, bool del, int parts)
{
	const struct kv_list *src[3] = { &b->ports, &b->cidr4, &b->cidr6 };
	int fds[3] = { m->ports, m->cidr4, m->cidr6 }, what[3] = { 0, 4, 6 };
	int err = 0;

	for (int i = 0; i < 3 && !err; i++) {
		struct kv_list l;

		if (!src[i]->n || !(parts & (i ? NET_PART_NODES : NET_PART_PORTS)))
			continue;
		if (gen & 1) {
			err = block_for_gen(src[i], &l, gen, what[i]);
			if (err)
				break;
		} else {
			l = *src[i];
		}
		err = del ? map_delete_many(fds[i], l.keys, l.ksz, l.n) :
			    map_update_many(fds[i], l.keys, l.vals, l.ksz, l.vsz, l.n);
		if (gen & 1)
			kv_free(&l);
	}
	return err;
}

int net_lower_policy(struct net_maps *m, uint32_t gen, const struct policy *p,
		     struct net_lower_stats *stp)
{
	struct net_block b;
	int err;

	if (gen > 1)
		return -EINVAL;
	net_block_init(&b);
	err = p->id < (1u << NET_ID_BLOCK_BITS) ? net_lower_build(p, p->id, &b, stp) : -EINVAL;
	if (!err)
		err = net_block_write(m, gen, &b, false, NET_PART_ALL);
	if (err)
		log_warn("net: policy %s: writing generation %u: %s", p->name, gen, strerror(-err));
	net_block_free(&b);
	return err;
}

/* ---- reading back, clearing --------------------------------------------------- */

static uint8_t pclass_of(int proto)
{
	switch (proto) {
	case 6: return BH_PC_TCP;
	case 17: return BH_PC_UDP;
	case 1:
	case 58: return BH_PC_ICMP;
	}
	return BH_PC_OTHER;
}

int net_map_decide(const struct net_maps *m, uint32_t gen, uint32_t policy_id, int kind, int family,
		   const uint8_t *addr, int proto, uint16_t port, struct bh_net_verdict *v)
{
	uint32_t scope = BH_NET_SCOPE(gen, kind, policy_id);
	struct bh_net_port_key pk = { .prefixlen = BH_NET_PORT_KEY_BITS + 16 };
	struct bh_net_node node;
	int r;

	if (family == POLICY_INET) {
		struct bh_net_key4 k = { .prefixlen = BH_NET_SCOPE_BITS + 32, .scope = scope };

		if (kind != BH_NK_BIND)
			memcpy(k.addr, addr, 4);
		r = bpf_map_lookup_elem(m->cidr4, &k, &node);
	} else {
		struct bh_net_key6 k = { .prefixlen = BH_NET_SCOPE_BITS + 128, .scope = scope };

		if (kind != BH_NK_BIND)
			memcpy(k.addr, addr, 16);
		r = bpf_map_lookup_elem(m->cidr6, &k, &node);
	}
	if (r)
		return -ENOENT;
	if (node.v.flags & BH_NV_UNIFORM) {
		*v = node.v;
		return 0;
	}
	for (uint32_t i = 0; i < node.nr && i < BH_NET_NODE_RANGES; i++)
		if (node.r[i].pclass == pclass_of(proto) && port >= node.r[i].lo && port <= node.r[i].hi) {
			*v = node.r[i].v;
			return 0;
		}
	if (!(node.v.flags & BH_NV_PORTS)) {
		*v = node.v;
		return 0;
	}
	pk.node = node.id;
	pk.pclass = pclass_of(proto);
	pk.port[0] = port >> 8;
	pk.port[1] = port & 0xff;
	if (bpf_map_lookup_elem(m->ports, &pk, v))
		*v = node.v;
	return 0;
}

static int k4_gen(const void *k, uint32_t gen)
{
	return BH_NET_SCOPE_GEN(((const struct bh_net_key4 *)k)->scope) == gen;
}

static int k6_gen(const void *k, uint32_t gen)
{
	return BH_NET_SCOPE_GEN(((const struct bh_net_key6 *)k)->scope) == gen;
}

static int kp_gen(const void *k, uint32_t gen)
{
	return (((const struct bh_net_port_key *)k)->node >> 31) == gen;
}

int net_clear_gen(struct net_maps *m, uint32_t gen)
{
	int e1 = map_delete_matching(m->cidr4, sizeof(struct bh_net_key4), k4_gen, gen, NULL, false);
	int e2 = map_delete_matching(m->cidr6, sizeof(struct bh_net_key6), k6_gen, gen, NULL, false);
	int e3 = map_delete_matching(m->ports, sizeof(struct bh_net_port_key), kp_gen, gen, NULL, false);

	return e1 ? e1 : e2 ? e2 : e3;
}

uint32_t net_count_gen(const struct net_maps *m, uint32_t gen)
{
	uint32_t count = 0;

	map_delete_matching(m->cidr4, sizeof(struct bh_net_key4), k4_gen, gen, &count, true);
	map_delete_matching(m->cidr6, sizeof(struct bh_net_key6), k6_gen, gen, &count, true);
	map_delete_matching(m->ports, sizeof(struct bh_net_port_key), kp_gen, gen, &count, true);
	return count;
}
