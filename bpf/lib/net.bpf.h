/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network enforcement, BPF side: the maps, the decision and the packet path
 * shared by the two objects that carry the cgroup_skb programs:
 *
 *   net.bpf.c       every network program; the fast path asks for the
 *                   socket cookie with bpf_get_socket_cookie() and looks the
 *                   memo table, the generation and the epoch up (any kernel
 *                   the agent supports)
 *   net_fast.bpf.c  the two cgroup_skb programs only (BH_NET_FAST): no helper
 *                   call and no lookup on the fast path: the cookie is read
 *                   through BTF (kfunc bpf_rdonly_cast), the memo table, the
 *                   generation and the epoch are global variables that
 *                   userspace/enforce/net.c makes the pinned maps themselves. The
 *                   agent attaches these where the kernel loads them, and
 *                   the ones of net.bpf.c elsewhere.
 *
 * A packet: skb_fast() (a memoized decision under the policy in force, see
 * bpf/abi/net.h), else skb_slow() (the policy lookups, flow memory for replies,
 * then memoized if allowed). Both objects share every map by name (pinned).
 * Layouts: bpf/abi/net.h.
 */
#ifndef BULKHEAD_NET_BPF_H
#define BULKHEAD_NET_BPF_H

#include "lib/enforce.bpf.h"
#include "abi/net.h"
#include <bpf/bpf_endian.h>

#define AF_INET		2
#define AF_INET6	10
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ICMPV6	58
#define LOOPBACK_IFINDEX 1
#define SK_PASS		1
#define SK_DROP		0

const volatile __u64 wakeup_bytes = BH_WAKEUP_BYTES_DEFAULT;
const volatile __u32 events_per_sec = BH_NET_EVENTS_PER_SEC;
const volatile __u64 agg_ns = BH_NET_AGG_NS;
/* 0: never take a memoized decision, decide every packet in full as the first
 * of its flow (benchmarks: the cost of a first packet) */
const volatile __u32 memo_read = 1;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, BH_NET_CIDR_MAX);
	__type(key, struct bh_net_key4);
	__type(value, struct bh_net_node);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_cidr4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, BH_NET_CIDR_MAX);
	__type(key, struct bh_net_key6);
	__type(value, struct bh_net_node);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_cidr6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, BH_NET_PORT_MAX);
	__type(key, struct bh_net_port_key);
	__type(value, struct bh_net_verdict);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bh_net_sk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_sk_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_net_memo_table);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_memo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BH_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct bh_net_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, BH_NET_AGG_MAX);
	__type(key, struct bh_net_agg_key);
	__type(value, struct bh_net_agg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_agg SEC(".maps");

/* The agent's account of bh_net_agg (struct bh_net_agg_seen): no program touches it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, BH_NET_AGG_MAX);
	__type(key, struct bh_net_agg_key);
	__type(value, struct bh_net_agg_seen);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_agg_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_NET_RINGBUF);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_rb SEC(".maps");

struct bh_lost_map bh_net_lost SEC(".maps");
struct bh_lost_total_map bh_net_lost_total SEC(".maps");

/* One packet or socket call, normalized. Addresses: IPv4 in [0..3]. */
struct flow {
	__u8  raddr[16];
	__u8  laddr[16];
	__u16 rport, lport;	/* host order */
	__u8  family;		/* 4 or 6 */
	__u8  proto;		/* IPPROTO_* */
	__u8  pclass;		/* enum bh_net_pclass */
	__u8  dir;		/* enum bh_net_dir */
};

/* Per-hook context: what bh_policy_for() found. */
struct hookctx {
	const struct bh_cg_policy *pol;	/* NULL when held */
	struct bh_net_counters *cnt;	/* NULL if the container has no slot */
	__u64 cgid;
	__u32 gen;
	__u32 held;		/* a new cgroup the agent has not classified yet */
};

static __always_inline __u8 pclass_of(__u8 proto)
{
	switch (proto) {
	case PROTO_TCP: return BH_PC_TCP;
	case PROTO_UDP: return BH_PC_UDP;
	case PROTO_ICMP:
	case PROTO_ICMPV6: return BH_PC_ICMP;
	}
	return BH_PC_OTHER;
}

/*
 * The stamp memoized verdicts are valid under (bpf/abi/net.h) and the generation
 * in force, read once: every policy lookup of this hook uses that generation.
 * Both are array lookups, inlined by the verifier: no helper call.
 */
#ifdef BH_NET_FAST
/*
 * bh_active_gen and bh_policy_epoch read as global variables: one load each,
 * no lookup. userspace/enforce/net.c makes each of these one-value sections the
 * pinned map itself before the object loads (bpf_map__reuse_fd; both are
 * one-entry arrays, which the kernel lets a program address directly), and
 * refuses the object if it cannot.
 */
__u32 bh_gen_alias SEC(".data.bh_active_gen") = 0;
__u64 bh_epoch_alias SEC(".data.bh_policy_epoch") = 0;
/* bh_net_memo the same way: the object's .bss is this table and nothing else
 * (userspace/enforce/net.c checks its size before it makes it the pinned map). */
struct bh_net_memo_table bh_memo_alias;

static __always_inline struct bh_net_memo_table *memo_table(void)
{
	return &bh_memo_alias;
}

static __always_inline int policy_stamp(__u64 *stamp, __u32 *gen)
{
	*gen = *(volatile __u32 *)&bh_gen_alias & 1;
	*stamp = ((*(volatile __u64 *)&bh_epoch_alias << 1) | *gen) & BH_NET_STAMP_MASK;
	return 0;
}
#else
static __always_inline struct bh_net_memo_table *memo_table(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&bh_net_memo, &zero);
}

static __always_inline int policy_stamp(__u64 *stamp, __u32 *gen)
{
	__u32 zero = 0, *g;
	__u64 *ep;

	ep = bpf_map_lookup_elem(&bh_policy_epoch, &zero);
	g = bpf_map_lookup_elem(&bh_active_gen, &zero);
	if (!ep || !g)
		return -1;
	*gen = *(volatile __u32 *)g & 1;
	*stamp = ((*(volatile __u64 *)ep << 1) | *gen) & BH_NET_STAMP_MASK;
	return 0;
}
#endif

/* bh_policy_for() with the generation already read. 0: not a container to police. */
static __always_inline int hook_begin_gen(struct hookctx *h, __u64 cgid, __u32 gen)
{
	struct bh_cg_key key = { .gen = gen, .cgroup_id = cgid };
	__u32 slot;

	h->cgid = cgid;
	h->cnt = NULL;
	h->held = 0;
	h->gen = gen;
	h->pol = bpf_map_lookup_elem(&bh_cgroup_policy, &key);
	if (!h->pol) {
		h->held = bh_held(cgid);
		return h->held;
	}
	slot = h->pol->slot;
	if (slot && slot < BH_MAX_SLOTS)
		h->cnt = bpf_map_lookup_elem(&bh_net_stats, &slot);
	return 1;
}

static __always_inline int hook_begin(struct hookctx *h, __u64 cgid)
{
	__u64 stamp;
	__u32 gen;

	if (policy_stamp(&stamp, &gen))
		return 0;
	return hook_begin_gen(h, cgid, gen);
}

static __always_inline int enforced(const struct hookctx *h)
{
	return h->pol && h->pol->policy_id && (h->pol->flags & BH_CGP_NET);
}

/*
 * The verdict of the rules of kind (egress, ingress, bind) of the
 * container's policy for this remote address, protocol class and port.
 */
static __always_inline void decide(const struct hookctx *h, __u32 kind, const struct flow *f,
				   __u16 port, struct bh_net_verdict *out)
{
	__u32 scope = BH_NET_SCOPE(h->gen, kind, h->pol->policy_id);
	struct bh_net_port_key pk = {};
	struct bh_net_verdict *pv;
	struct bh_net_node *n;

	if (f->family == 4) {
		struct bh_net_key4 k = { .prefixlen = BH_NET_SCOPE_BITS + 32, .scope = scope };

		if (kind != BH_NK_BIND)
			__builtin_memcpy(k.addr, f->raddr, 4);
		n = bpf_map_lookup_elem(&bh_net_cidr4, &k);
	} else {
		struct bh_net_key6 k = { .prefixlen = BH_NET_SCOPE_BITS + 128, .scope = scope };

		if (kind != BH_NK_BIND)
			__builtin_memcpy(k.addr, f->raddr, 16);
		n = bpf_map_lookup_elem(&bh_net_cidr6, &k);
	}
	if (!n) {
		/* No rules of this kind lowered: the policy does not restrict it. */
		out->action = 0;
		out->flags = BH_NV_ROOT;
		out->ref = 0;
		return;
	}
	if (n->v.flags & BH_NV_UNIFORM) {
		*out = n->v;
		return;
	}
	for (int i = 0; i < BH_NET_NODE_RANGES; i++) {
		const struct bh_net_prange *r = &n->r[i];

		if (i < n->nr && r->pclass == f->pclass && port >= r->lo && port <= r->hi) {
			*out = r->v;
			return;
		}
	}
	if (!(n->v.flags & BH_NV_PORTS)) {
		*out = n->v;
		return;
	}
	pk.prefixlen = BH_NET_PORT_KEY_BITS + 16;
	pk.node = n->id;
	pk.pclass = f->pclass;
	pk.port[0] = port >> 8;
	pk.port[1] = port & 0xff;
	pv = bpf_map_lookup_elem(&bh_net_ports, &pk);
	*out = pv ? *pv : n->v;
}

static __always_inline int is_loopback_addr(const struct flow *f)
{
	if (f->family == 4)
		return f->raddr[0] == 127;
	for (int i = 0; i < 15; i++)
		if (f->raddr[i])
			return 0;
	return f->raddr[15] == 1;
}

/* ---- memoized decisions and flow memory (bpf/abi/net.h) ----------------------- */

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the flow key (BH_NET_KEY) is built from packet words of a little-endian target"
#endif

#define barrier() asm volatile("" ::: "memory")
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))

/* The flow's remote address as two words (IPv4: the address, then zero). */
static __always_inline void flow_addr(const struct flow *f, __u64 *a0, __u64 *a1)
{
	__builtin_memcpy(a0, f->raddr, 8);
	__builtin_memcpy(a1, f->raddr + 8, 8);
	if (f->family == 4) {
		*a0 &= 0xffffffffull;
		*a1 = 0;
	}
}

static __always_inline __u64 flow_key(const struct flow *f)
{
	return BH_NET_KEY(bpf_htons(f->lport), bpf_htons(f->rport), BH_NET_KIND(f->family, f->pclass));
}

/*
 * The entry for {cookie, address, key}. The kernel's array puts the value at
 * offset offsetof(struct bpf_array, value) of a cache-line aligned
 * allocation; the table starts at the next line boundary.
 */
static __always_inline struct bh_net_memo *memo_entry(struct bh_net_memo_table *tab, __u64 cookie,
						      __u64 a0, __u64 a1, __u64 key)
{
	__u64 h = (cookie ^ (a0 * 0x9e3779b97f4a7c15ull) ^ a1 ^ key) * 0xff51afd7ed558ccdull;
	__u64 idx = (h >> (64 - BH_NET_MEMO_BITS)) & (BH_NET_MEMO_ENTRIES - 1);
	__u64 skew, in_line = bpf_core_field_offset(struct bpf_array, value) & 63;

	/* skew = 64 - in_line as a subtraction the verifier tracks as a constant
	 * (the compiler would make it a negation, which older verifiers do not) */
	asm volatile("%[s] = 64; %[s] -= %[o]" : [s] "=&r"(skew) : [o] "r"(in_line));
	skew &= 63;

	__u64 off = skew + idx * sizeof(struct bh_net_memo);

	_Static_assert(BH_NET_MEMO_ENTRIES * sizeof(struct bh_net_memo) == 1u << 21, "memo offset mask");
#ifdef BH_NET_FAST
	/* (a kernel that loads this object bounds the sum; & ~7 shows it aligned) */
	off &= ~7ull;
#else
	/*
	 * The verifier of an older kernel (6.1) loses the bounds of the sum: the
	 * last operation before the pointer arithmetic is an AND with a constant
	 * (in assembly, so the compiler keeps it last), which bounds the offset
	 * and shows it 8-byte aligned (atomics need that). It changes nothing:
	 * off < 2^21, and skew is a multiple of 8.
	 */
	asm volatile("%[o] &= %[m]" : [o] "+r"(off) : [m] "i"((1 << 21) - 8));
#endif
	return (struct bh_net_memo *)((char *)tab + off);
}

/*
 * Writers of an entry with a seq (bh_net_memo, bh_net_sk) exclude each
 * other: odd while one writes, taken with cmpxchg, never waited for (the
 * loser skips its update, which only costs a later packet the full path).
 */
static __always_inline int seq_write_begin(__u64 *seq)
{
	__u64 s = *(volatile __u64 *)seq;

	return !(s & 1) && __sync_val_compare_and_swap(seq, s, s + 1) == s;
}

static __always_inline void seq_write_end(__u64 *seq)
{
	__sync_fetch_and_add(seq, 1);
}

/* Memoize pass bits for the socket's flow, under stamp. */
static __always_inline void memo_note(__u64 cookie, const struct flow *f, __u64 stamp, __u32 slot,
				      __u32 pass)
{
	struct bh_net_memo_table *tab;
	struct bh_net_memo *e;
	__u64 a0, a1, key, v;

	if (!cookie || !pass)
		return;
	tab = memo_table();
	if (!tab)
		return;
	flow_addr(f, &a0, &a1);
	key = flow_key(f);
	e = memo_entry(tab, cookie, a0, a1, key);
	if (!seq_write_begin(&e->seq))
		return;
	v = e->verdict;
	if (e->cookie == cookie && e->key == key && e->addr[0] == a0 && e->addr[1] == a1 &&
	    BH_NET_V_STAMP(v) == stamp)
		pass |= v & 0xff;	/* the same flow: add the other direction's bits */
	e->cookie = cookie;
	e->key = key;
	e->addr[0] = a0;
	e->addr[1] = a1;
	e->verdict = BH_NET_VERDICT(stamp, slot, pass);
	seq_write_end(&e->seq);
}

/* The entry of this flow in the socket's flow memory, or NULL. */
static __always_inline struct bh_net_peer *peer_find(struct bh_net_sk *st, __u64 a0, __u64 a1,
						     __u64 key)
{
	for (int i = 0; i < BH_NET_SK_PEERS; i++) {
		struct bh_net_peer *p = &st->peers[i];

		if (p->key == key && p->addr[0] == a0 && p->addr[1] == a1)
			return p;
	}
	return NULL;
}

/*
 * Was this flow opened direction dir (the flow memory), read consistently?
 * 1 yes, 0 no or unknown.
 */
static __always_inline int sk_origin_is(struct bh_net_sk *st, const struct flow *f, __u32 dir)
{
	struct bh_net_peer *p;
	__u64 a0, a1, s;
	int ok;

	if (!st)
		return 0;
	s = *(volatile __u64 *)&st->seq;
	if (s & 1)
		return 0;
	barrier();
	flow_addr(f, &a0, &a1);
	p = peer_find(st, a0, a1, flow_key(f));
	ok = p && p->origin == BH_NET_ORIGIN(dir);
	barrier();
	return ok && *(volatile __u64 *)&st->seq == s;
}

/*
 * A packet of this flow passed direction dir by that direction's rules: if
 * the flow memory has no origin for it yet, this is it (the oldest flow
 * makes room). The first direction stays the origin.
 */
static __always_inline void sk_note_origin(struct bh_net_sk *st, const struct flow *f, __u32 dir)
{
	struct bh_net_peer *p;
	__u64 a0, a1, key, s;
	int known;

	if (!st)
		return;
	flow_addr(f, &a0, &a1);
	key = flow_key(f);
	/* already known (the common case): read without the lock */
	s = *(volatile __u64 *)&st->seq;
	barrier();
	p = peer_find(st, a0, a1, key);
	known = p && p->origin;
	barrier();
	if (known && !(s & 1) && *(volatile __u64 *)&st->seq == s)
		return;
	if (!seq_write_begin(&st->seq))
		return;
	p = peer_find(st, a0, a1, key);
	if (!p) {
		p = &st->peers[st->next++ & (BH_NET_SK_PEERS - 1)];
		p->addr[0] = a0;
		p->addr[1] = a1;
		p->key = key;
		p->origin = 0;
	}
	if (!p->origin)
		p->origin = BH_NET_ORIGIN(dir);
	seq_write_end(&st->seq);
}

/* ---- denials: counters, aggregation, rate limit, events ------------------ */

static __always_inline void report(const struct hookctx *h, const struct flow *f, __u8 action,
				   __u8 hook, __u32 ref, __u32 bytes, int task)
{
	struct bh_net_agg_key ak = {};
	struct bh_net_agg *a, fresh = {};
	struct bh_net_counters *c = h->cnt;
	struct bh_net_event *e;
	__u64 now = bpf_ktime_get_ns();

	ak.cgroup_id = h->cgid;
	__builtin_memcpy(ak.addr, f->raddr, 16);
	ak.port = f->dir == BH_DIR_EGRESS ? f->rport : f->lport;
	ak.family = f->family;
	ak.proto = f->proto;
	ak.dir = f->dir;
	ak.action = action;
	a = bpf_map_lookup_elem(&bh_net_agg, &ak);
	if (!a) {
		bpf_map_update_elem(&bh_net_agg, &ak, &fresh, BPF_NOEXIST);
		a = bpf_map_lookup_elem(&bh_net_agg, &ak);
		if (!a)
			return;
	}
	/* Atomic: a packet in softirq may interrupt a program updating this slot. */
	__sync_fetch_and_add(&a->count, 1);
	__sync_fetch_and_add(&a->bytes, bytes);
	a->policy_id = h->pol ? h->pol->policy_id : 0;
	a->ref = ref;
	a->hook = hook;
	a->gen = h->gen;
	a->held = h->held;
	if (a->last_ns && now - a->last_ns < agg_ns)
		return;		/* reported within the last interval: aggregate */
	if (c) {
		if (now - c->ev_window_ns >= 1000000000ull) {
			c->ev_window_ns = now;
			c->ev_in_window = 0;
		}
		if (c->ev_in_window >= events_per_sec) {
			c->events_suppressed += 1;
			return;		/* stays counted in the aggregate, sent later */
		}
		c->ev_in_window += 1;
	}
	e = bpf_ringbuf_reserve(&bh_net_rb, sizeof(*e), 0);
	if (!e) {
		bh_count_lost(&bh_net_lost, &bh_net_lost_total, h->cgid);
		return;		/* still counted in the aggregate: the agent's sweep reports it */
	}
	a->last_ns = now;

	__builtin_memset(&e->hdr, 0, sizeof(e->hdr));
	e->hdr.kind = BH_EV_NET;
	e->hdr.ts_boot_ns = bpf_ktime_get_boot_ns();
	e->hdr.cgroup_id = h->cgid;
	if (task) {
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		__u64 uid_gid = bpf_get_current_uid_gid();

		e->hdr.pid = pid_tgid >> 32;
		e->hdr.tid = (__u32)pid_tgid;
		e->hdr.uid = (__u32)uid_gid;
		e->hdr.gid = uid_gid >> 32;
		bpf_get_current_comm(e->hdr.comm, sizeof(e->hdr.comm));
	}
	e->family = f->family;
	e->proto = f->proto;
	e->dir = f->dir;
	e->action = action;
	e->hook = hook;
	e->gen = h->gen;
	e->held = h->held;
	e->pad = 0;
	e->policy_id = h->pol ? h->pol->policy_id : 0;
	e->ref = ref;
	__builtin_memcpy(e->raddr, f->raddr, 16);
	__builtin_memcpy(e->laddr, f->laddr, 16);
	e->rport = f->rport;
	e->lport = f->lport;
	e->cpu = bpf_get_smp_processor_id();
	e->count_total = a->count;
	e->bytes_total = a->bytes;
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
}

/*
 * A denial: audit mode lets it through (and returns 1), enforce mode
 * returns 0. Either way it is counted and reported.
 */
static __always_inline int deny(const struct hookctx *h, const struct flow *f, __u8 hook,
				__u32 ref, __u32 bytes, int task)
{
	int audit = h->pol && h->pol->mode[BH_SEC_NET] == BH_AUDIT;

	if (h->cnt) {
		if (audit)
			h->cnt->audited += 1;
		else if (hook >= BH_HOOK_CONNECT)
			h->cnt->sock_denied += 1;
	}
	report(h, f, audit ? BH_NET_ACT_AUDIT : BH_NET_ACT_DENY, hook, ref, bytes, task);
	return audit;
}

/* ---- packets ------------------------------------------------------------ */

/*
 * Parse the IP and transport headers; skb data starts at the network header.
 * 0: a flow to decide; 1: infrastructure that is never policed (IPv6
 * neighbour discovery, MLD); -1: not IP or malformed (passed).
 */
static __always_inline int parse_skb(struct __sk_buff *skb, struct flow *f, int egress)
{
	__u8 *src, *dst;
	__u16 ports[2] = {};
	__u32 l4 = 0;
	int have_ports = 0;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
		struct iphdr ipc, *ip = data;

		/* Headers are linear for local traffic: read them in place. */
		if ((void *)(ip + 1) > end) {
			if (bpf_skb_load_bytes(skb, 0, &ipc, sizeof(ipc)))
				return -1;
			ip = &ipc;
		}
		f->family = 4;
		f->proto = ip->protocol;
		l4 = (ip->ihl & 0xf) * 4;
		have_ports = !(ip->frag_off & bpf_htons(0x1fff));
		src = (__u8 *)&ip->saddr;
		dst = (__u8 *)&ip->daddr;
		__builtin_memcpy(egress ? f->laddr : f->raddr, src, 4);
		__builtin_memcpy(egress ? f->raddr : f->laddr, dst, 4);
		if (have_ports && (f->proto == PROTO_TCP || f->proto == PROTO_UDP)) {
			__u16 *pp = data + (l4 & 0x3c);

			if ((void *)(pp + 2) <= end) {
				f->pclass = pclass_of(f->proto);
				f->rport = bpf_ntohs(egress ? pp[1] : pp[0]);
				f->lport = bpf_ntohs(egress ? pp[0] : pp[1]);
				f->dir = egress ? BH_DIR_EGRESS : BH_DIR_INGRESS;
				return 0;
			}
		}
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		__u8 nh, eh[2];

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return -1;
		f->family = 6;
		nh = ip6.nexthdr;
		l4 = sizeof(ip6);
		have_ports = 1;
		/* A bounded walk over extension headers. */
		for (int i = 0; i < 4; i++) {
			if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
				break;
			if (bpf_skb_load_bytes(skb, l4, eh, sizeof(eh)))
				return -1;
			if (nh == 44) {		/* fragment header: 8 bytes */
				__u16 off;

				if (bpf_skb_load_bytes(skb, l4 + 2, &off, sizeof(off)))
					return -1;
				if (bpf_ntohs(off) & 0xfff8)
					have_ports = 0;
				l4 += 8;
			} else {
				l4 += ((__u32)eh[1] + 1) * 8;
			}
			nh = eh[0];
		}
		f->proto = nh;
		src = (__u8 *)&ip6.saddr;
		dst = (__u8 *)&ip6.daddr;
		__builtin_memcpy(egress ? f->laddr : f->raddr, src, 16);
		__builtin_memcpy(egress ? f->raddr : f->laddr, dst, 16);
	} else {
		return -1;
	}
	f->pclass = pclass_of(f->proto);
	if (f->family == 6 && f->proto == PROTO_ICMPV6 && have_ports) {
		__u8 type;

		/* Neighbour discovery and multicast listener reports: IPv6 itself. */
		if (bpf_skb_load_bytes(skb, l4 & 0xffff, &type, 1))
			return -1;
		if ((type >= 130 && type <= 137) || type == 143)
			return 1;
	}
	if (have_ports && (f->pclass == BH_PC_TCP || f->pclass == BH_PC_UDP) &&
	    !bpf_skb_load_bytes(skb, l4 & 0xffff, ports, sizeof(ports))) {
		f->rport = bpf_ntohs(egress ? ports[1] : ports[0]);
		f->lport = bpf_ntohs(egress ? ports[0] : ports[1]);
	}
	f->dir = egress ? BH_DIR_EGRESS : BH_DIR_INGRESS;
	return 0;
}

static __always_inline void count_pkt(const struct hookctx *h, int dir, int denied, __u32 len)
{
	if (!h->cnt)
		return;
	h->cnt->packets[dir & 1][denied & 1] += 1;
	h->cnt->bytes[dir & 1][denied & 1] += len;
}

#ifdef BH_NET_FAST
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The socket's cookie without a helper call (a call and its return cost more
 * than everything else the fast path does): read through BTF, one fault-safe
 * load (untrusted memory, PROBE_MEM). 0 until someone asked for the cookie
 * (the full path does, bpf_get_socket_cookie()): a miss, not an error.
 */
static __always_inline __u64 sk_cookie_of(struct __sk_buff *skb, struct bpf_sock *sk)
{
	char *ksk = bpf_rdonly_cast(sk, 0);

	return *(__u64 *)(ksk + bpf_core_field_offset(struct sock_common, skc_cookie));
}

/*
 * The socket's flow memory to read, with no helper call where that is sure: a
 * socket without any local storage has none (most sockets of a denied flow),
 * read through BTF with a fault-safe load. Anything else asks the helper.
 * (Reading the helper's per-socket cache through BTF too gave the caller two
 * kinds of pointer, untrusted memory and a map value, at one load: 6.18's
 * verifier refuses that, "same insn cannot be used with different pointers".)
 */
static __always_inline struct bh_net_sk *sk_state_ro(struct bpf_sock *sk)
{
	char *ksk = bpf_rdonly_cast(sk, 0);

	if (!*(char **)(ksk + bpf_core_field_offset(struct sock, sk_bpf_storage)))
		return NULL;
	return bpf_sk_storage_get(&bh_net_sk_state, sk, 0, 0);
}
#else
static __always_inline __u64 sk_cookie_of(struct __sk_buff *skb, struct bpf_sock *sk)
{
	return bpf_get_socket_cookie(skb);
}

static __always_inline struct bh_net_sk *sk_state_ro(struct bpf_sock *sk)
{
	return bpf_sk_storage_get(&bh_net_sk_state, sk, 0, 0);
}
#endif

/*
 * The fast path: a packet of a flow whose decision under the policy in force
 * is memoized. The socket cookie (no helper call in net_fast.bpf.c), two
 * global reads (the stamp), the headers read in place, one inlined array
 * lookup and a compare, the counters (an inlined per-CPU array lookup).
 * SK_PASS, or -1: take the full path.
 */
static __always_inline int skb_fast(struct __sk_buff *skb, int egress)
{
	void *data, *end;
	struct bpf_sock *sk = skb->sk;
	struct bh_net_memo_table *tab;
	struct bh_net_counters *c;
	struct bh_net_memo *e;
	__u64 cookie, stamp, a0, a1, key, v, s;
	__u32 gen, slot, ports, both, dir = egress ? BH_DIR_EGRESS : BH_DIR_INGRESS;

	if (!sk || !memo_read)
		return -1;
	cookie = sk_cookie_of(skb, sk);
	if (!cookie || policy_stamp(&stamp, &gen))
		return -1;
	tab = memo_table();
	if (!tab)
		return -1;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	/*
	 * The flow's key straight from the headers: the ports word as the
	 * packet carries it (an incoming one's turned around), the kind.
	 */
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;
		__u8 proto;

		if ((void *)(ip + 1) > end || (ip->frag_off & bpf_htons(0x1fff)))
			return -1;
		proto = ip->protocol;
		a0 = egress ? ip->daddr : ip->saddr;
		a1 = 0;
		if (proto == PROTO_TCP || proto == PROTO_UDP) {
			__u32 *pp = data + (((__u32)ip->ihl * 4) & 0x3c);

			if ((void *)(pp + 1) > end)
				return -1;
			ports = *pp;
			key = (__u64)BH_NET_KIND(4, proto == PROTO_TCP ? BH_PC_TCP : BH_PC_UDP) << 32;
		} else if (proto == PROTO_ICMP) {
			ports = 0;
			key = (__u64)BH_NET_KIND(4, BH_PC_ICMP) << 32;
		} else {
			return -1;
		}
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;
		__u32 *pp = (void *)(ip6 + 1);
		__u64 *ra;

		if ((void *)(pp + 1) > end)
			return -1;
		if (ip6->nexthdr == PROTO_TCP)
			key = (__u64)BH_NET_KIND(6, BH_PC_TCP) << 32;
		else if (ip6->nexthdr == PROTO_UDP)
			key = (__u64)BH_NET_KIND(6, BH_PC_UDP) << 32;
		else
			return -1;
		ra = egress ? (__u64 *)&ip6->daddr : (__u64 *)&ip6->saddr;
		a0 = ra[0];
		a1 = ra[1];
		ports = *pp;
	} else {
		return -1;
	}
	if (!egress)
		ports = ports >> 16 | ports << 16;
	key |= ports;
	/* every load volatile: the compiler keeps them in this order (and x86 too) */
	e = memo_entry(tab, cookie, a0, a1, key);
	s = READ_ONCE(e->seq);
	if ((s & 1) || READ_ONCE(e->cookie) != cookie || READ_ONCE(e->key) != key ||
	    READ_ONCE(e->addr[0]) != a0 || READ_ONCE(e->addr[1]) != a1)
		return -1;
	v = READ_ONCE(e->verdict);
	if (READ_ONCE(e->seq) != s || BH_NET_V_STAMP(v) != stamp)
		return -1;
	both = BH_NET_PASS(dir, 0) | BH_NET_PASS(dir, 1);
	/* passes on loopback only: exempt from a rule for any address */
	if ((v & both) != both &&
	    (!(v & BH_NET_PASS(dir, 1)) || skb->ifindex != LOOPBACK_IFINDEX))
		return -1;
	/* slot 0 (no counters) is never read: counting there costs no branch */
	slot = BH_NET_V_SLOT(v);
	c = bpf_map_lookup_elem(&bh_net_stats, &slot);
	if (c) {
		c->packets[dir][BH_V_ALLOW] += 1;
		c->bytes[dir][BH_V_ALLOW] += skb->len;
	}
	return SK_PASS;
}

/* Does the verdict of rules of direction dir for the flow allow this packet: which pass bits. */
static __always_inline __u32 allows(const struct hookctx *h, const struct flow *f, __u32 dir, int lo,
				    struct bh_net_verdict *v)
{
	decide(h, dir == BH_DIR_EGRESS ? BH_NK_EGRESS : BH_NK_INGRESS, f,
	       dir == BH_DIR_EGRESS ? f->rport : f->lport, v);
	if (!v->action)
		return BH_NET_PASS(dir, 0) | BH_NET_PASS(dir, 1);
	/* loopback is exempt from a default or a rule for any address */
	if ((v->flags & BH_NV_ROOT) && lo)
		return BH_NET_PASS(dir, 1);
	return 0;
}

/* The full path: the policy lookups; what was decided is memoized. */
static __always_inline int skb_slow(struct __sk_buff *skb, int egress)
{
	struct bh_net_verdict v, vo;
	struct flow f = {};
	struct hookctx h;
	struct bpf_sock *sk = skb->sk, *fsk;
	struct bh_net_sk *st = NULL;
	__u32 dir = egress ? BH_DIR_EGRESS : BH_DIR_INGRESS, pass, own, gen;
	__u64 stamp;
	int lo = skb->ifindex == LOOPBACK_IFINDEX, tcp_listener, audit;

	if (policy_stamp(&stamp, &gen) || !hook_begin_gen(&h, bpf_skb_cgroup_id(skb), gen))
		return SK_PASS;
	fsk = sk ? bpf_sk_fullsock(sk) : NULL;
	if (h.held) {
		/* Fail-closed until the agent has classified the new cgroup. Never memoized. */
		if (parse_skb(skb, &f, egress) == 0 && !lo) {
			deny(&h, &f, egress ? BH_HOOK_EGRESS : BH_HOOK_INGRESS, 0, skb->len, 0);
			return SK_DROP;
		}
		return SK_PASS;
	}
	tcp_listener = fsk && fsk->protocol == PROTO_TCP && fsk->state == BPF_TCP_LISTEN;
	if (!enforced(&h)) {
		/* No network rules for the container: its flows pass, counted. */
		if (fsk && parse_skb(skb, &f, egress) == 0)
			memo_note(bpf_get_socket_cookie(skb), &f, stamp, h.pol->slot, 0xf);
		count_pkt(&h, dir, 0, skb->len);
		return SK_PASS;
	}
	/*
	 * A SYN-ACK of a request socket (the kernel runs the hook with its
	 * listener as the socket): its SYN was admitted by the ingress hook.
	 */
	if (egress && tcp_listener) {
		count_pkt(&h, dir, 0, skb->len);
		return SK_PASS;
	}
	if (parse_skb(skb, &f, egress)) {
		count_pkt(&h, dir, 0, skb->len);
		return SK_PASS;
	}
	/* A TCP listener keeps no flow memory: it serves many peers. */
	if (fsk && !tcp_listener)
		st = sk_state_ro(fsk);
	audit = h.pol->mode[BH_SEC_NET] == BH_AUDIT;
	own = pass = allows(&h, &f, dir, lo, &v);
	/*
	 * A reply: the flow was opened the other way, and the policy in force
	 * still allows it that way (audit mode: the flow memory alone, as it let
	 * the first packet through).
	 */
	if (!pass && sk_origin_is(st, &f, dir ^ 1)) {
		if (audit)
			pass = BH_NET_PASS(dir, lo);
		else if (allows(&h, &f, dir ^ 1, lo, &vo))
			pass = vo.action ? BH_NET_PASS(dir, lo) :
					   BH_NET_PASS(dir, 0) | BH_NET_PASS(dir, 1);
	}
	if (!pass) {
		if (!deny(&h, &f, egress ? BH_HOOK_EGRESS : BH_HOOK_INGRESS, v.ref, skb->len, 0)) {
			count_pkt(&h, dir, 1, skb->len);
			return SK_DROP;
		}
		own = 1;	/* audit: let through as if allowed, so its replies flow too */
	}
	/*
	 * Passed (an audited denial too: not memoized, each is counted and
	 * reported). Flow memory only on a socket of the packet's protocol.
	 */
	if (own && fsk && !tcp_listener && fsk->protocol == f.proto)
		sk_note_origin(bpf_sk_storage_get(&bh_net_sk_state, fsk, 0, BPF_SK_STORAGE_GET_F_CREATE),
			       &f, dir);
	if (fsk && !tcp_listener)
		memo_note(bpf_get_socket_cookie(skb), &f, stamp, h.pol->slot, pass);
	count_pkt(&h, dir, 0, skb->len);
	return SK_PASS;
}

static __always_inline int skb_hook(struct __sk_buff *skb, int egress)
{
	int r = skb_fast(skb, egress);

	return r >= 0 ? r : skb_slow(skb, egress);
}

#endif
