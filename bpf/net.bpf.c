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
 *   sockops             a passively opened TCP connection: its flow memory says
 *                       inbound, so the packets out are replies
 *
 * Replies are tracked per socket, in socket local storage (bh_net_sk_state):
 * the socket's last BH_NET_SK_PEERS flows and the directions they passed. A
 * packet the other way is a reply, and passes while the policy in force
 * allows the flow the way it was opened. Decisions are memoized per flow
 * (bh_net_memo) under a stamp of the policy in force: a packet of a flow
 * already decided costs a compare (bpf/abi/net.h).
 *
 * Map layouts and the lowering of rules: bpf/abi/net.h, userspace/enforce/net_lower.c.
 * Loader and decoder: userspace/enforce/net.c.
 */
#include "lib/net.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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
	struct bh_net_verdict v, vi;
	struct bh_net_sk *st;
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
	if (allows(&h, &f, BH_DIR_EGRESS, is_loopback_addr(&f), &v))
		return 1;
	/*
	 * A reply to a peer that reached this socket, while the policy in force
	 * still lets that peer in. The packets themselves are decided again by
	 * the egress hook.
	 */
	if (f.pclass != BH_PC_ICMP && ctx->sk)
		f.lport = ctx->sk->src_port;
	st = ctx->sk ? bpf_sk_storage_get(&bh_net_sk_state, ctx->sk, 0, 0) : NULL;
	if (sk_origin_is(st, &f, BH_DIR_INGRESS) &&
	    (h.pol->mode[BH_SEC_NET] == BH_AUDIT || allows(&h, &f, BH_DIR_INGRESS, is_loopback_addr(&f), &vi)))
		return 1;
	return deny(&h, &f, hook, v.ref, 0, 1);
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
 * ACK passed the ingress hook: the flow memory of the new socket says it was
 * opened inbound, and its packets out are replies for as long as the policy
 * in force lets the connection in (an egress default-deny does not cut it).
 */
SEC("sockops")
int bh_net_sockops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk;
	struct tcp_sock *tp;
	struct bh_net_sk *st;
	struct hookctx h;
	struct flow f = {};

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
	if (sk->family == AF_INET) {
		__u32 a = sk->dst_ip4;

		f.family = 4;
		__builtin_memcpy(f.raddr, &a, 4);
	} else if (sk->family == AF_INET6) {
		__u32 a[4] = { sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3] };

		if (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff)) {
			/* IPv4 on a dual-stack socket: its packets are IPv4 */
			f.family = 4;
			__builtin_memcpy(f.raddr, &a[3], 4);
		} else {
			f.family = 6;
			__builtin_memcpy(f.raddr, a, 16);
		}
	} else {
		return 1;
	}
	f.proto = PROTO_TCP;
	f.pclass = BH_PC_TCP;
	f.rport = bpf_ntohs(sk->dst_port);
	f.lport = sk->src_port;
	st = bpf_sk_storage_get(&bh_net_sk_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	sk_note_origin(st, &f, BH_DIR_INGRESS);
	return 1;
}
