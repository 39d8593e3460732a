// SPDX-License-Identifier: GPL-2.0
/*
 * Per-container network policy, enforced in the kernel. Attached once under
 * the agent's cgroup root; decides per socket by the socket's cgroup id, so
 * a container that appears later is covered without a new attach.
 *
 *   cgroup/connect4,6   connect(): EPERM for a denied destination
 *   cgroup/sendmsg4,6   sendto()/sendmsg() with an address: EPERM
 *   cgroup/bind4,6      bind() of a port no ingress rule allows: EPERM
 *   cgroup_skb/egress   every packet out: dropped if denied (the sender
 *                       gets EPERM from a synchronous send)
 *   cgroup_skb/ingress  every packet in: dropped if denied
 *   sockops             a passively opened TCP connection is marked allowed
 *
 * Replies are tracked per socket, in socket local storage: a TCP socket
 * whose connect() or handshake was allowed flows both ways (bh_net_sk_flow);
 * a UDP or ICMP socket remembers the last BH_NET_SK_PEERS peers it was
 * allowed to talk to either way (bh_net_sk_peers).
 *
 * Map layouts and the lowering of rules: bpf/net.h, userspace/net_lower.c.
 * Loader and decoder: userspace/net.c.
 */
#include "enforce.bpf.h"
#include "net.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

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
	__type(value, struct bh_net_sk_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_sk_flow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bh_net_sk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_net_sk_peers SEC(".maps");

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

static __always_inline int hook_begin(struct hookctx *h, __u64 cgid)
{
	__u32 slot;

	h->cgid = cgid;
	h->cnt = NULL;
	h->held = 0;
	h->pol = bh_policy_for(cgid, &h->gen);
	if (!h->pol) {
		h->held = bh_held(cgid);
		return h->held;
	}
	slot = h->pol->slot;
	if (slot && slot < BH_MAX_SLOTS)
		h->cnt = bpf_map_lookup_elem(&bh_net_stats, &slot);
	return 1;
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

/* ---- per-socket flow state ---------------------------------------------- */

static __always_inline int peer_eq(const struct bh_net_peer *p, const struct flow *f)
{
	const __u32 *a = (const __u32 *)p->addr, *b = (const __u32 *)f->raddr;

	return p->family == f->family && p->pclass == f->pclass &&
	       (f->pclass == BH_PC_ICMP || p->port == f->rport) &&
	       a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* Was this flow already allowed on this socket (either direction)? */
static __always_inline int sk_allows(struct bpf_sock *sk, const struct flow *f)
{
	struct bh_net_sk_flow *fl;
	struct bh_net_sk *st;

	if (!sk)
		return 0;
	if (f->pclass == BH_PC_TCP) {
		fl = bpf_sk_storage_get(&bh_net_sk_flow, sk, 0, 0);
		return fl && (fl->flags & BH_SK_FLOW);
	}
	st = bpf_sk_storage_get(&bh_net_sk_peers, sk, 0, 0);
	if (!st)
		return 0;
	for (int i = 0; i < BH_NET_SK_PEERS; i++)
		if (peer_eq(&st->peers[i], f))
			return 1;
	return 0;
}

/* A TCP connection is allowed both ways, from now on, without a look at its packets. */
static __always_inline void sk_mark_flow(struct bpf_sock *sk, const struct hookctx *h)
{
	struct bh_net_sk_flow *fl;

	fl = bpf_sk_storage_get(&bh_net_sk_flow, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (fl) {
		fl->slot = h->pol ? h->pol->slot : 0;
		fl->flags |= BH_SK_FLOW;
	}
}

/* Remember an allowed flow so that its replies flow too. */
static __always_inline void sk_remember(struct bpf_sock *sk, const struct flow *f,
					const struct hookctx *h)
{
	struct bh_net_sk *st;
	__u32 i;

	if (!sk)
		return;
	if (f->pclass == BH_PC_TCP) {
		sk_mark_flow(sk, h);
		return;
	}
	st = bpf_sk_storage_get(&bh_net_sk_peers, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	for (int j = 0; j < BH_NET_SK_PEERS; j++)
		if (peer_eq(&st->peers[j], f))
			return;
	i = st->next++ & (BH_NET_SK_PEERS - 1);
	__builtin_memcpy(st->peers[i].addr, f->raddr, 16);
	st->peers[i].port = f->rport;
	st->peers[i].family = f->family;
	st->peers[i].pclass = f->pclass;
}

/* ---- denials: counters, aggregation, rate limit, events ------------------ */

static __always_inline void report(const struct hookctx *h, const struct flow *f, __u8 action,
				   __u8 hook, __u32 ref, __u32 bytes, int task)
{
	struct bh_net_agg_key ak = {};
	struct bh_net_agg *a, fresh = {};
	struct bh_net_counters *c = h->cnt;
	struct bh_net_event *e;
	__u64 now = bpf_ktime_get_ns(), count, nbytes;

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
	a->count += 1;
	a->bytes += bytes;
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
	count = a->count;
	nbytes = a->bytes;
	e = bpf_ringbuf_reserve(&bh_net_rb, sizeof(*e), 0);
	if (!e) {
		bh_count_lost(&bh_net_lost, &bh_net_lost_total, h->cgid);
		return;
	}
	a->last_ns = now;
	a->count = 0;
	a->bytes = 0;

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
	e->count = count > 0xffffffffull ? 0xffffffffu : (__u32)count;
	e->bytes = nbytes;
	bpf_ringbuf_submit(e, bh_submit_flags(&bh_net_rb, wakeup_bytes));
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

static __always_inline int skb_hook(struct __sk_buff *skb, int egress)
{
	struct bh_net_verdict v;
	struct flow f = {};
	struct hookctx h;
	struct bpf_sock *sk = skb->sk, *fsk;
	int dir = egress ? BH_DIR_EGRESS : BH_DIR_INGRESS;

	/*
	 * The fast path: a TCP connection already allowed (connect(), or an
	 * accepted handshake) passes without a policy lookup; it is counted in
	 * the slot its container had when the connection was allowed.
	 */
	fsk = sk ? bpf_sk_fullsock(sk) : NULL;
	if (fsk && fsk->protocol == PROTO_TCP) {
		struct bh_net_sk_flow *fl = bpf_sk_storage_get(&bh_net_sk_flow, fsk, 0, 0);

		if (fl && (fl->flags & BH_SK_FLOW)) {
			__u32 slot = fl->slot;

			h.cnt = slot && slot < BH_MAX_SLOTS ? bpf_map_lookup_elem(&bh_net_stats, &slot) : NULL;
			count_pkt(&h, dir, 0, skb->len);
			return SK_PASS;
		}
	}
	if (!hook_begin(&h, bpf_skb_cgroup_id(skb)))
		return SK_PASS;
	if (h.held) {
		/* Fail-closed until the agent has classified the new cgroup. */
		if (parse_skb(skb, &f, egress) == 0 &&
		    !(skb->ifindex == LOOPBACK_IFINDEX)) {
			deny(&h, &f, egress ? BH_HOOK_EGRESS : BH_HOOK_INGRESS, 0, skb->len, 0);
			return SK_DROP;
		}
		return SK_PASS;
	}
	if (!enforced(&h)) {
		count_pkt(&h, dir, 0, skb->len);
		return SK_PASS;
	}
	/*
	 * A SYN-ACK of a request socket (the kernel runs the hook with its
	 * listener as the socket): its SYN was admitted by the ingress hook.
	 */
	if (egress && fsk && fsk->protocol == PROTO_TCP && fsk->state == BPF_TCP_LISTEN) {
		count_pkt(&h, dir, 0, skb->len);
		return SK_PASS;
	}
	if (parse_skb(skb, &f, egress)) {
		count_pkt(&h, dir, 0, skb->len);
		return SK_PASS;
	}
	if (f.pclass != BH_PC_TCP && sk_allows(fsk, &f)) {
		count_pkt(&h, dir, 0, skb->len);
		return SK_PASS;
	}
	decide(&h, egress ? BH_NK_EGRESS : BH_NK_INGRESS, &f, egress ? f.rport : f.lport, &v);
	if (v.action && !((v.flags & BH_NV_ROOT) && skb->ifindex == LOOPBACK_IFINDEX)) {
		if (!deny(&h, &f, egress ? BH_HOOK_EGRESS : BH_HOOK_INGRESS, v.ref, skb->len, 0)) {
			count_pkt(&h, dir, 1, skb->len);
			return SK_DROP;
		}
	}
	/* Allowed: replies of this flow may pass the other direction. Only a
	 * socket of the packet's protocol keeps state; a TCP listener never
	 * does: it serves many peers. */
	if (fsk && fsk->protocol == f.proto &&
	    !(f.pclass == BH_PC_TCP && fsk->state == BPF_TCP_LISTEN))
		sk_remember(fsk, &f, &h);
	count_pkt(&h, dir, 0, skb->len);
	return SK_PASS;
}

SEC("cgroup_skb/egress")
int bh_net_egress(struct __sk_buff *skb)
{
	return skb_hook(skb, 1);
}

SEC("cgroup_skb/ingress")
int bh_net_ingress(struct __sk_buff *skb)
{
	return skb_hook(skb, 0);
}

/* ---- sockets: connect, sendmsg, bind ------------------------------------ */

/* The address a sock_addr hook is about; IPv4-mapped IPv6 becomes IPv4. */
static __always_inline void sockaddr_flow(struct bpf_sock_addr *ctx, struct flow *f, int v6)
{
	__u32 a[4];

	if (!v6) {
		f->family = 4;
		a[0] = ctx->user_ip4;
		__builtin_memcpy(f->raddr, a, 4);
	} else {
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
		if (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff)) {
			f->family = 4;
			__builtin_memcpy(f->raddr, &a[3], 4);
		} else {
			f->family = 6;
			__builtin_memcpy(f->raddr, a, 16);
		}
	}
	f->proto = ctx->protocol;
	f->pclass = pclass_of(f->proto);
}

/* connect() and sendmsg(): egress rules for the destination. 1 = allow. */
static __always_inline int sock_egress(struct bpf_sock_addr *ctx, int v6, __u8 hook)
{
	struct bh_net_verdict v;
	struct flow f = {};
	struct hookctx h;

	if (!hook_begin(&h, bpf_get_current_cgroup_id()))
		return 1;
	if (hook == BH_HOOK_CONNECT && h.cnt)
		h.cnt->connects += 1;
	if (!enforced(&h) && !h.held)
		return 1;
	sockaddr_flow(ctx, &f, v6);
	f.rport = bpf_ntohs((__u16)ctx->user_port);
	f.dir = BH_DIR_EGRESS;
	if (f.pclass == BH_PC_ICMP)
		f.rport = 0;
	if (h.held)
		return is_loopback_addr(&f) ? 1 : deny(&h, &f, hook, 0, 0, 1);
	/* A reply to a peer that was allowed to reach this socket. */
	if (sk_allows(ctx->sk, &f))
		return 1;
	decide(&h, BH_NK_EGRESS, &f, f.rport, &v);
	if (v.action && !((v.flags & BH_NV_ROOT) && is_loopback_addr(&f))) {
		if (!deny(&h, &f, hook, v.ref, 0, 1))
			return 0;
	}
	sk_remember(ctx->sk, &f, &h);
	return 1;
}

/* bind(): a local port that no ingress rule could ever allow. */
static __always_inline int sock_bind(struct bpf_sock_addr *ctx, int v6)
{
	struct bh_net_verdict v;
	struct flow f = {};
	struct hookctx h;

	if (!hook_begin(&h, bpf_get_current_cgroup_id()) || !enforced(&h))
		return 1;
	sockaddr_flow(ctx, &f, v6);
	f.lport = bpf_ntohs((__u16)ctx->user_port);
	f.dir = BH_DIR_INGRESS;
	if (!f.lport || (f.pclass != BH_PC_TCP && f.pclass != BH_PC_UDP) || is_loopback_addr(&f))
		return 1;
	/* The bound address is local: report it as such. */
	__builtin_memcpy(f.laddr, f.raddr, 16);
	__builtin_memset(f.raddr, 0, 16);
	decide(&h, BH_NK_BIND, &f, f.lport, &v);
	if (v.action && !deny(&h, &f, BH_HOOK_BIND, v.ref, 0, 1))
		return 0;
	return 1;
}

SEC("cgroup/connect4")
int bh_net_connect4(struct bpf_sock_addr *ctx)
{
	return sock_egress(ctx, 0, BH_HOOK_CONNECT);
}

SEC("cgroup/connect6")
int bh_net_connect6(struct bpf_sock_addr *ctx)
{
	return sock_egress(ctx, 1, BH_HOOK_CONNECT);
}

SEC("cgroup/sendmsg4")
int bh_net_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_egress(ctx, 0, BH_HOOK_SENDMSG);
}

SEC("cgroup/sendmsg6")
int bh_net_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_egress(ctx, 1, BH_HOOK_SENDMSG);
}

SEC("cgroup/bind4")
int bh_net_bind4(struct bpf_sock_addr *ctx)
{
	return sock_bind(ctx, 0);
}

SEC("cgroup/bind6")
int bh_net_bind6(struct bpf_sock_addr *ctx)
{
	return sock_bind(ctx, 1);
}

/*
 * A passively opened TCP connection completed its handshake, so its SYN and
 * ACK passed the ingress hook: the connection flows both ways (the replies
 * of an allowed inbound connection pass an egress default-deny).
 */
SEC("sockops")
int bh_net_sockops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk;
	struct tcp_sock *tp;
	struct hookctx h;

	if (skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	/* Only sockets of containers under enforcement get state. */
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 1;
	if (!hook_begin(&h, BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.sk_cgrp_data.cgroup, kn, id)) ||
	    !enforced(&h))
		return 1;
	sk_mark_flow(sk, &h);
	return 1;
}
