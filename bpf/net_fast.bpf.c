// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup_skb programs of bpf/net.bpf.c with a fast path that needs no
 * helper call (BH_NET_FAST, see bpf/lib/net.bpf.h): a packet of a flow its socket
 * has already decided under the policy in force costs about as much as an
 * empty program. Needs the kfunc bpf_rdonly_cast (untrusted reads through
 * BTF, of the socket cookie); where the kernel does not load this object,
 * userspace/enforce/net.c attaches the programs of net.bpf.c instead. Same program
 * names, so a pinned link is updated in place from one to the other.
 */
#define BH_NET_FAST 1
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
