// SPDX-License-Identifier: GPL-2.0
/*
 * Network rule lowering against the reference evaluator, on real maps in
 * this kernel: random rule tables are lowered into the LPM tries, and every
 * probe's verdict (looked up exactly as bpf/net.bpf.c does) must equal
 * policy_net_decide()'s, action and deciding rule. Then the real cgroup_skb
 * program decides crafted packets (BPF_PROG_TEST_RUN), the generation swap
 * leaves nothing of the old generation, and records decode with size checks.
 * Needs root and bpffs; pins under /sys/fs/bpf/bulkhead-test-unit-PID.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <sys/stat.h>

#include "test.h"
/* userspace/ explicitly: bpf/abi/enforce.h and bpf/abi/net.h (the shared layouts) come first on -I */
#include "enforce/enforce.h"
#include "enforce/lowered.h"
#include "enforce/net.h"
#include "policy/policy.h"

static struct enforce *E;
static struct net_enf *N;
static struct net_maps *M;	/* N's maps, which the lowering writes */
static char pin_dir[128];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* A few base networks so that random CIDRs nest and overlap. */
static void rand_addr(int family, uint8_t *a)
{
	static const uint8_t base4[][4] = { { 10, 0, 0, 0 }, { 10, 1, 0, 0 }, { 192, 168, 1, 0 },
					    { 127, 0, 0, 1 } };
	static const uint8_t base6[][16] = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
					     { 0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
					     { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
	unsigned bytes = family == 4 ? 4 : 16;

	memset(a, 0, 16);
	if (family == 4)
		memcpy(a, base4[rnd() % 4], 4);
	else
		memcpy(a, base6[rnd() % 3], 16);
	/* flip a few low bits */
	for (int i = rnd() % 3; i > 0; i--)
		a[bytes - 1 - rnd() % 3] ^= (uint8_t)(1u << (rnd() % 8));
}

static void mask(uint8_t *a, unsigned len, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		if (bits < 8)
			a[i] &= (uint8_t)(0xff00u >> bits);
	}
}

static void rand_rule(struct policy_net_rule *r)
{
	static const uint8_t protos[] = { POLICY_PROTO_ANY, POLICY_PROTO_TCP, POLICY_PROTO_UDP,
					  POLICY_PROTO_ICMP };
	static const uint8_t lens4[] = { 0, 8, 16, 24, 30, 32 };
	static const uint8_t lens6[] = { 0, 16, 32, 64, 120, 128 };
	unsigned bytes;

	memset(r, 0, sizeof(*r));
	r->family = rnd() % 3 ? POLICY_INET : POLICY_INET6;
	bytes = r->family == POLICY_INET ? 4 : 16;
	r->prefix_len = r->family == POLICY_INET ? lens4[rnd() % 6] : lens6[rnd() % 6];
	rand_addr(r->family, r->addr);
	mask(r->addr, r->prefix_len, bytes);
	r->proto = protos[rnd() % 4];
	r->action = rnd() % 2;
	switch (rnd() % 4) {
	case 0:
		r->port_lo = 0;
		r->port_hi = 65535;
		break;
	case 1:
		r->port_lo = r->port_hi = (uint16_t)(1 + rnd() % 100);
		break;
	default:
		r->port_lo = (uint16_t)(rnd() % 120);
		r->port_hi = (uint16_t)(r->port_lo + rnd() % 60);
		break;
	}
	if (r->proto == POLICY_PROTO_ICMP) {
		r->port_lo = 0;
		r->port_hi = 65535;
	}
}

static struct policy *rand_policy(uint32_t id, uint32_t nrules)
{
	struct policy *p = calloc(1, sizeof(*p));

	p->id = id;
	snprintf(p->name, sizeof(p->name), "random-%u", id);
	for (int d = 0; d < 2; d++) {
		uint32_t n = rnd() % (nrules + 1);

		p->net_default[d] = rnd() % 2;
		p->net[d] = calloc(n + 1, sizeof(*p->net[d]));
		for (uint32_t i = 0; i < n; i++)
			rand_rule(&p->net[d][i]);
		p->n_net[d] = n;
	}
	return p;
}

static void free_policy(struct policy *p)
{
	free(p->net[0]);
	free(p->net[1]);
	free(p);
}

static int port_probe(const struct policy *p, int d)
{
	static const uint16_t fixed[] = { 0, 1, 53, 80, 443, 65535 };
	uint32_t k = rnd() % 4;

	if (k == 0 && p->n_net[d]) {
		const struct policy_net_rule *r = &p->net[d][rnd() % p->n_net[d]];
		int pick = rnd() % 4;

		return pick == 0 ? r->port_lo : pick == 1 ? r->port_hi :
		       pick == 2 ? (r->port_lo ? r->port_lo - 1 : 0) :
				   (r->port_hi < 65535 ? r->port_hi + 1 : 65535);
	}
	if (k == 1)
		return fixed[rnd() % 6];
	return rnd() % 200;
}

static void test_lower_matches_reference(void)
{
	static const int protos[] = { POLICY_PROTO_TCP, POLICY_PROTO_UDP, POLICY_PROTO_ICMP };
	uint32_t probes = 0, mismatches = 0;
	int gen;

	for (int round = 0; round < 60; round++) {
		struct policy *p[4];

		gen = enforce_begin(E);
		ASSERT_TRUE(gen >= 0, "enforce_begin");
		for (int i = 0; i < 4; i++) {
			p[i] = rand_policy(i + 1, round < 30 ? 12 : 60);
			ASSERT_EQ(net_lower_policy(M, gen, p[i], NULL), 0, "net_lower_policy");
		}
		for (int k = 0; k < 3000; k++) {
			const struct policy *pp = p[rnd() % 4];
			int d = rnd() % 2, fam = rnd() % 3 ? 4 : 6, proto = protos[rnd() % 3];
			uint8_t addr[16];
			uint16_t port = (uint16_t)port_probe(pp, d);
			uint32_t ref = 0;
			struct bh_net_verdict v;
			int want, r;

			if (pp->n_net[d] && rnd() % 2) {	/* an address inside some rule's CIDR */
				const struct policy_net_rule *nr = &pp->net[d][rnd() % pp->n_net[d]];

				fam = nr->family;
				memcpy(addr, nr->addr, 16);
				if (nr->prefix_len < (fam == 4 ? 32 : 128))
					addr[(fam == 4 ? 3 : 15)] ^= (uint8_t)(rnd() & 1);
			} else {
				rand_addr(fam, addr);
			}
			if (proto == POLICY_PROTO_ICMP)
				port = 0;
			want = policy_net_decide(pp, d, fam, addr, proto, port, &ref);
			r = net_map_decide(M, gen, pp->id, d, fam, addr,
					   proto == POLICY_PROTO_ICMP && fam == 6 ? 58 : proto, port, &v);
			probes++;
			if (r == -ENOENT) {
				/* nothing lowered: the kernel allows */
				if (want != POLICY_ALLOW)
					mismatches++;
				continue;
			}
			if (v.action != want || v.ref != ref) {
				if (mismatches++ < 5) {
					char a[64];

					inet_ntop(fam == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
					TEST_FAIL("policy %u dir %d %s proto %d port %u: reference %d (ref %#x), "
						  "maps %d (ref %#x)", pp->id, d, a, proto, port, want, ref,
						  v.action, v.ref);
				}
			}
		}
		ASSERT_EQ(enforce_commit(E), 0, "enforce_commit");
		for (int i = 0; i < 4; i++)
			free_policy(p[i]);
	}
	printf("    %u probes, %u mismatches\n", probes, mismatches);
	ASSERT_EQ(mismatches, 0, "maps disagree with policy_net_decide");
}

static void test_generation_swap_clears(void)
{
	struct policy *p = rand_policy(7, 40);
	struct bh_cg_policy pol = { .policy_id = 7, .flags = BH_CGP_NET };
	uint32_t old, gen;

	p->n_net[0] = p->n_net[0] ? p->n_net[0] : 1;
	gen = (uint32_t)enforce_begin(E);
	ASSERT_EQ(net_lower_policy(M, gen, p, NULL), 0, "lower");
	ASSERT_EQ(enforce_txn_assign(E, 4242, &pol), 0, "txn assign");
	ASSERT_EQ(enforce_commit(E), 0, "commit 1");
	ASSERT_EQ(enforce_active_gen(E), gen, "active generation after commit");
	ASSERT_TRUE(net_count_gen(M, gen) > 0, "entries in the active generation");
	ASSERT_EQ(enforce_count(E, gen), 1, "one container entry");
	old = gen;
	gen = (uint32_t)enforce_begin(E);
	ASSERT_EQ(gen, !old, "the transaction fills the other generation");
	ASSERT_EQ(net_count_gen(M, gen), 0, "a new transaction starts empty");
	ASSERT_EQ(net_lower_policy(M, gen, p, NULL), 0, "lower 2");
	ASSERT_EQ(enforce_commit(E), 0, "commit 2");
	ASSERT_EQ(net_count_gen(M, old), 0, "the old generation is gone after commit");
	ASSERT_EQ(enforce_count(E, old), 0, "old container entries gone");
	ASSERT_EQ(enforce_count(E, gen), 0, "container not assigned in the new set");
	/* a container appearing later goes into the active generation */
	ASSERT_EQ(enforce_assign(E, 4242, &pol, NULL), 0, "assign");
	ASSERT_EQ(enforce_count(E, gen), 1, "assigned into the active generation");
	ASSERT_TRUE(enforce_slot(E, 4242) > 0, "a counter slot");
	enforce_forget(E, 4242);
	ASSERT_EQ(enforce_count(E, gen), 0, "forgotten");
	free_policy(p);
}

static uint64_t epoch_now(void)
{
	char path[256];
	uint64_t epoch = ~0ull;
	uint32_t zero = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/bh_policy_epoch", pin_dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &epoch);
		close(fd);
	}
	return epoch;
}

/* Memoized decisions are stamped with the epoch: it moves when a container's entry in force does. */
static void test_epoch_follows_entries(void)
{
	struct bh_cg_policy a = { .policy_id = 1, .flags = BH_CGP_NET }, b = a;
	uint64_t e0, e1, e2, e3, e4;

	b.policy_id = 2;
	e0 = epoch_now();
	ASSERT_TRUE(e0 != ~0ull, "bh_policy_epoch is pinned and readable");
	ASSERT_EQ(enforce_assign(E, 5151, &a, NULL), 0, "a new container");
	e1 = epoch_now();
	/* A counter slot handed to a new container may move it (net.c's reset_slot). */
	ASSERT_TRUE(e1 >= e0, "a new container: the epoch never goes back");
	ASSERT_EQ(enforce_assign(E, 5151, &a, NULL), 0, "the same entry again");
	e2 = epoch_now();
	ASSERT_EQ(e2, e1, "an unchanged entry: same epoch");
	ASSERT_EQ(enforce_assign(E, 5151, &b, NULL), 0, "another policy");
	e3 = epoch_now();
	ASSERT_TRUE(e3 > e2, "a changed entry: a new epoch");
	enforce_forget(E, 5151);
	e4 = epoch_now();
	ASSERT_TRUE(e4 > e3, "a removed entry: a new epoch");
}

static void test_bind_ports(void)
{
	struct policy_net_rule in[2] = { 0 };
	struct policy p = { .id = 3, .name = "bind" };
	struct bh_net_verdict v;
	uint8_t any[16] = { 0 };
	int gen;

	in[0].family = POLICY_INET;
	in[0].prefix_len = 8;
	in[0].addr[0] = 10;
	in[0].proto = POLICY_PROTO_TCP;
	in[0].port_lo = in[0].port_hi = 80;
	in[0].action = POLICY_ALLOW;
	in[1] = in[0];
	in[1].family = POLICY_INET6;
	in[1].prefix_len = 0;
	memset(in[1].addr, 0, 16);
	in[1].proto = POLICY_PROTO_UDP;
	in[1].port_lo = 5000;
	in[1].port_hi = 5010;
	p.net[1] = in;
	p.n_net[1] = 2;
	p.net_default[1] = POLICY_DENY;

	gen = enforce_begin(E);
	ASSERT_EQ(net_lower_policy(M, gen, &p, NULL), 0, "lower");
	ASSERT_EQ(net_map_decide(M, gen, 3, BH_NK_BIND, 4, any, 6, 80, &v), 0, "bind node");
	ASSERT_EQ(v.action, POLICY_ALLOW, "tcp 80 may be bound");
	ASSERT_EQ(net_map_decide(M, gen, 3, BH_NK_BIND, 6, any, 6, 80, &v), 0, "bind node v6");
	ASSERT_EQ(v.action, POLICY_ALLOW, "tcp 80 may be bound on ::");
	net_map_decide(M, gen, 3, BH_NK_BIND, 4, any, 6, 81, &v);
	ASSERT_EQ(v.action, POLICY_DENY, "tcp 81 may not be bound");
	ASSERT_EQ(v.ref, POLICY_REF(POLICY_REF_INGRESS, POLICY_REF_DEFAULT), "denied by the default");
	net_map_decide(M, gen, 3, BH_NK_BIND, 4, any, 17, 80, &v);
	ASSERT_EQ(v.action, POLICY_DENY, "udp 80 may not be bound");
	net_map_decide(M, gen, 3, BH_NK_BIND, 4, any, 17, 5005, &v);
	ASSERT_EQ(v.action, POLICY_ALLOW, "udp 5005 may be bound");
	net_map_decide(M, gen, 3, BH_NK_BIND, 4, any, 17, 5011, &v);
	ASSERT_EQ(v.action, POLICY_DENY, "udp 5011 may not be bound");
	enforce_abort(E);
	/* an allowing default leaves nothing to refuse: no bind node */
	p.net_default[1] = POLICY_ALLOW;
	gen = enforce_begin(E);
	ASSERT_EQ(net_lower_policy(M, gen, &p, NULL), 0, "lower 2");
	ASSERT_EQ(net_map_decide(M, gen, 3, BH_NK_BIND, 4, any, 6, 81, &v), -ENOENT,
		  "no bind node under an allowing default");
	enforce_abort(E);
}

static void test_many_rules_lower(void)
{
	struct policy p = { .id = 9, .name = "big" };
	struct net_lower_stats st = { 0 };
	struct bh_net_verdict v;
	uint8_t a[16] = { 0 };
	int gen;

	p.net[0] = calloc(10000, sizeof(*p.net[0]));
	for (uint32_t i = 0; i < 10000; i++) {
		struct policy_net_rule *r = &p.net[0][i];

		r->family = POLICY_INET;
		r->prefix_len = 24;
		r->addr[0] = 11;
		r->addr[1] = (uint8_t)(i >> 8);
		r->addr[2] = (uint8_t)i;
		r->port_hi = 65535;
		r->action = POLICY_DENY;
	}
	p.n_net[0] = 10000;
	gen = enforce_begin(E);
	ASSERT_EQ(net_lower_policy(M, gen, &p, &st), 0, "lower 10000 rules");
	ASSERT_EQ(st.uniform, st.nodes, "CIDR-only rules give single-lookup nodes");
	a[0] = 11; a[1] = 39; a[2] = 15; a[3] = 7;	/* rule 39*256+15 */
	net_map_decide(M, gen, 9, BH_NK_EGRESS, 4, a, 6, 443, &v);
	ASSERT_EQ(v.action, POLICY_DENY, "inside a rule");
	ASSERT_EQ(v.ref, POLICY_REF(POLICY_REF_EGRESS, 39 * 256 + 15), "the rule");
	a[0] = 12;
	net_map_decide(M, gen, 9, BH_NK_EGRESS, 4, a, 6, 443, &v);
	ASSERT_EQ(v.action, POLICY_ALLOW, "outside every rule");
	enforce_abort(E);
	ASSERT_EQ(net_count_gen(M, gen), 0, "abort clears");
	free(p.net[0]);
}

/*
 * The policy engine's writer (enforce/lowered.c): both generations kept, only
 * what differs written, replaced blocks' leftovers deleted before the flip
 * (reachable keys) or after it (port entries, policies gone). Rounds of sets
 * where some policies change, some stay, some go: after each swap the
 * generation in force decides exactly as policy_net_decide() and holds
 * exactly the set's entries, nothing left over.
 */
static void test_diff_writes_match_reference(void)
{
	static const int protos[] = { POLICY_PROTO_TCP, POLICY_PROTO_UDP, POLICY_PROTO_ICMP };
	struct lowered *lw = lowered_new();
	struct policy *cur[6] = { 0 };
	uint32_t probes = 0, mismatches = 0, leftovers = 0, kept = 0;

	ASSERT_TRUE(lw != NULL, "lowered_new");
	M->retain = true;
	for (int round = 0; round < 24; round++) {
		struct lowered_write_stats ws = { 0 };
		struct lowered_need need;
		struct policy arr[6];
		struct policy_set set = { .policies = arr };
		struct lowered_set *ls;
		char err[512];
		int gen;
		/* 3..6 policies; each round, each one is new with probability 1/3 */
		uint32_t n = 3 + rnd() % 4;

		for (uint32_t i = 0; i < 6; i++) {
			if (i >= n) {
				if (cur[i])
					free_policy(cur[i]);
				cur[i] = NULL;
				continue;
			}
			if (!cur[i] || rnd() % 3 == 0) {
				if (cur[i])
					free_policy(cur[i]);
				cur[i] = rand_policy(i + 1, 40);
			}
			arr[i] = *cur[i];
		}
		set.n_policies = n;
		ls = lowered_prepare(lw, &set, false, &need, err, sizeof(err), NULL);
		ASSERT_TRUE(ls != NULL, err);
		gen = enforce_begin(E);
		ASSERT_TRUE(gen >= 0, "enforce_begin");
		ASSERT_EQ(lowered_write(lw, ls, M, NULL, (uint32_t)gen, &ws), 0, "lowered_write");
		ASSERT_EQ(enforce_commit(E), 0, "enforce_commit");
		ASSERT_EQ(lowered_after_flip(lw, M, NULL, (uint32_t)gen), 0, "lowered_after_flip");
		kept += ws.blocks_kept;
		if (net_count_gen(M, gen) != need.n[LM_NET_CIDR4] + need.n[LM_NET_CIDR6] + need.n[LM_NET_PORTS]) {
			if (leftovers++ < 3)
				TEST_FAIL("round %d: generation %d holds %u entries, the set %u", round, gen,
					  net_count_gen(M, gen), need.n[LM_NET_CIDR4] + need.n[LM_NET_CIDR6] +
					  need.n[LM_NET_PORTS]);
		}
		for (int k = 0; k < 1500; k++) {
			const struct policy *pp = cur[rnd() % n];
			int d = rnd() % 2, fam = rnd() % 3 ? 4 : 6, proto = protos[rnd() % 3];
			uint8_t addr[16];
			uint16_t port = (uint16_t)port_probe(pp, d);
			uint32_t ref = 0;
			struct bh_net_verdict v;
			int want, r;

			if (pp->n_net[d] && rnd() % 2) {
				const struct policy_net_rule *nr = &pp->net[d][rnd() % pp->n_net[d]];

				fam = nr->family;
				memcpy(addr, nr->addr, 16);
			} else {
				rand_addr(fam, addr);
			}
			if (proto == POLICY_PROTO_ICMP)
				port = 0;
			want = policy_net_decide(pp, d, fam, addr, proto, port, &ref);
			r = net_map_decide(M, gen, pp->id, d, fam, addr,
					   proto == POLICY_PROTO_ICMP && fam == 6 ? 58 : proto, port, &v);
			probes++;
			if (r == -ENOENT ? want != POLICY_ALLOW : (v.action != want || v.ref != ref)) {
				if (mismatches++ < 5)
					TEST_FAIL("round %d policy %u dir %d proto %d port %u: reference %d, maps %d",
						  round, pp->id, d, proto, port, want, r ? -1 : v.action);
			}
		}
	}
	printf("    %u probes, %u mismatches, %u generations with leftovers, %u blocks kept\n", probes,
	       mismatches, leftovers, kept);
	ASSERT_EQ(mismatches, 0, "diff-written maps disagree with policy_net_decide");
	ASSERT_EQ(leftovers, 0, "entries left over in a generation");
	ASSERT_TRUE(kept > 0, "unchanged policies were not written again");
	for (int i = 0; i < 6; i++)
		if (cur[i])
			free_policy(cur[i]);
	lowered_free(lw);
	M->retain = false;
}

/* ---- the real program, BPF_PROG_TEST_RUN ------------------------------------- */

static uint64_t self_cgroup_id(void)
{
	char line[512], path[600];
	FILE *f = fopen("/proc/self/cgroup", "re");
	struct stat st;

	path[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s", line + 3);
			if (stat(path, &st))
				snprintf(path, sizeof(path), "/sys/fs/cgroup%s", line + 3);
		}
	if (f)
		fclose(f);
	return path[0] && !stat(path, &st) ? st.st_ino : 0;
}

/* An Ethernet frame with an IPv4/IPv6 header and TCP/UDP ports (or ICMP). */
static size_t make_pkt(uint8_t *buf, int family, int proto, const char *dst, uint16_t dport)
{
	size_t off = 14, l4;

	memset(buf, 0, 128);
	if (family == 4) {
		buf[12] = 0x08;
		buf[13] = 0x00;
		buf[off] = 0x45;
		buf[off + 3] = 60;
		buf[off + 8] = 64;
		buf[off + 9] = (uint8_t)proto;
		inet_pton(AF_INET, "10.200.0.2", buf + off + 12);
		inet_pton(AF_INET, dst, buf + off + 16);
		l4 = off + 20;
	} else {
		buf[12] = 0x86;
		buf[13] = 0xdd;
		buf[off] = 0x60;
		buf[off + 5] = 40;
		buf[off + 6] = (uint8_t)proto;
		buf[off + 7] = 64;
		inet_pton(AF_INET6, "fd00::2", buf + off + 8);
		inet_pton(AF_INET6, dst, buf + off + 24);
		l4 = off + 40;
	}
	buf[l4] = 0x9c;			/* source port 40000 */
	buf[l4 + 1] = 0x40;
	buf[l4 + 2] = (uint8_t)(dport >> 8);
	buf[l4 + 3] = (uint8_t)dport;
	return l4 + 20;
}

/* A device other than loopback (test runs default to lo, which is exempt). */
static int other_ifindex(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int idx = 0;

	for (i = ifs; i && i->if_index; i++)
		if (i->if_index != 1 && !idx)
			idx = (int)i->if_index;
	if (ifs)
		if_freenameindex(ifs);
	return idx;
}

static int run_egress(int family, int proto, const char *dst, uint16_t dport)
{
	uint8_t pkt[128];
	struct __sk_buff ctx = { .ifindex = (uint32_t)other_ifindex() };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .repeat = 1, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	int fd = net_prog_fd(N, "bh_net_egress");

	o.data_size_in = (uint32_t)make_pkt(pkt, family, proto, dst, dport);
	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	return (int)o.retval;
}

static void test_program_decides(void)
{
	struct policy_net_rule eg[6] = { 0 };
	struct policy p = { .id = 5, .name = "prog" };
	static const uint16_t three[3] = { 22, 443, 8080 };
	struct bh_cg_policy pol = { .policy_id = 5, .flags = BH_CGP_NET };
	uint64_t cg = self_cgroup_id();
	struct bh_net_counters c;
	int gen;

	ASSERT_TRUE(cg != 0, "own cgroup v2 id");
	eg[0].family = POLICY_INET;		/* allow tcp 10.0.0.0/8 port 80 */
	eg[0].prefix_len = 8;
	eg[0].addr[0] = 10;
	eg[0].proto = POLICY_PROTO_TCP;
	eg[0].port_lo = eg[0].port_hi = 80;
	eg[1].family = POLICY_INET6;		/* allow udp fd00::/16 any port */
	eg[1].prefix_len = 16;
	eg[1].addr[0] = 0xfd;
	eg[1].proto = POLICY_PROTO_UDP;
	eg[1].port_hi = 65535;
	eg[2].family = POLICY_INET;		/* allow icmp 192.168.0.0/16 */
	eg[2].prefix_len = 16;
	eg[2].addr[0] = 192;
	eg[2].addr[1] = 168;
	eg[2].proto = POLICY_PROTO_ICMP;
	eg[2].port_hi = 65535;
	/* allow tcp 172.16.0.0/12 ports 22, 443, 8080: more ranges than a node holds (BH_NV_PORTS) */
	for (int i = 3; i < 6; i++) {
		eg[i].family = POLICY_INET;
		eg[i].prefix_len = 12;
		eg[i].addr[0] = 172;
		eg[i].addr[1] = 16;
		eg[i].proto = POLICY_PROTO_TCP;
		eg[i].port_lo = eg[i].port_hi = three[i - 3];
	}
	p.net[0] = eg;
	p.n_net[0] = 6;
	p.net_default[0] = POLICY_DENY;

	gen = enforce_begin(E);
	ASSERT_EQ(net_lower_policy(M, gen, &p, NULL), 0, "lower");
	ASSERT_EQ(enforce_txn_assign(E, cg, &pol), 0, "assign own cgroup");
	ASSERT_EQ(enforce_commit(E), 0, "commit");

	ASSERT_EQ(run_egress(4, 6, "10.1.2.3", 80), 1, "tcp 10.1.2.3:80 allowed");
	ASSERT_EQ(run_egress(4, 6, "10.1.2.3", 81), 0, "tcp 10.1.2.3:81 dropped");
	ASSERT_EQ(run_egress(4, 17, "10.1.2.3", 80), 0, "udp 10.1.2.3:80 dropped");
	ASSERT_EQ(run_egress(4, 6, "11.1.2.3", 80), 0, "tcp 11.1.2.3:80 dropped");
	ASSERT_EQ(run_egress(6, 17, "fd00::9", 53), 1, "udp [fd00::9]:53 allowed");
	ASSERT_EQ(run_egress(6, 6, "fd00::9", 53), 0, "tcp [fd00::9]:53 dropped");
	ASSERT_EQ(run_egress(4, 1, "192.168.3.4", 0), 1, "icmp 192.168.3.4 allowed");
	ASSERT_EQ(run_egress(4, 1, "10.1.2.3", 0), 0, "icmp 10.1.2.3 dropped");
	ASSERT_EQ(run_egress(4, 6, "172.16.9.9", 443), 1, "tcp 172.16.9.9:443 allowed (port entries)");
	ASSERT_EQ(run_egress(4, 6, "172.16.9.9", 8080), 1, "tcp 172.16.9.9:8080 allowed (port entries)");
	ASSERT_EQ(run_egress(4, 6, "172.16.9.9", 444), 0, "tcp 172.16.9.9:444 dropped (node verdict)");
	ASSERT_EQ(net_counters(N, enforce_slot(E, cg), &c), 0, "counters");
	ASSERT_EQ(c.packets[BH_DIR_EGRESS][BH_V_ALLOW], 5, "allowed packets counted");
	ASSERT_EQ(c.packets[BH_DIR_EGRESS][BH_V_DENY], 6, "dropped packets counted");

	/* audit mode: reported, let through */
	pol.mode[BH_SEC_NET] = BH_AUDIT;
	ASSERT_EQ(enforce_assign(E, cg, &pol, NULL), 0, "audit mode");
	ASSERT_EQ(run_egress(4, 6, "11.1.2.3", 80), 1, "audit lets tcp 11.1.2.3:80 through");
	ASSERT_EQ(net_counters(N, enforce_slot(E, cg), &c), 0, "counters");
	ASSERT_EQ(c.audited, 1, "audited counted");
	enforce_forget(E, cg);
	ASSERT_EQ(run_egress(4, 6, "11.1.2.3", 80), 1, "no entry: untouched");
}

static void test_decode(void)
{
	struct bh_net_event e = { 0 };
	struct event ev;
	uint32_t gen;

	e.hdr.kind = BH_EV_NET;
	e.family = 4;
	e.proto = 6;
	e.action = BH_NET_ACT_DENY;
	e.hook = BH_HOOK_CONNECT;
	e.gen = 1;
	e.rport = 443;
	e.raddr[0] = 10;
	e.raddr[5] = 0xff;	/* garbage beyond an IPv4 address is dropped */
	ASSERT_EQ(net_decode(&e, sizeof(e), &ev, &gen), 0, "valid record");
	ASSERT_EQ(ev.kind, EVENT_NET, "kind");
	ASSERT_EQ(ev.action, ACTION_DENY, "action");
	ASSERT_EQ(ev.net.rport, 443, "port");
	ASSERT_EQ(ev.net.count, 1, "count until accounted");
	ASSERT_EQ(ev.net.raddr[5], 0, "IPv4 address cleaned");
	ASSERT_EQ(gen, 1, "generation");
	ASSERT_EQ(net_decode(&e, sizeof(e) - 1, &ev, &gen), -EINVAL, "short record");
	ASSERT_EQ(net_decode(&e, sizeof(e) + 8, &ev, &gen), -EINVAL, "long record");
	e.family = 5;
	ASSERT_EQ(net_decode(&e, sizeof(e), &ev, &gen), -EINVAL, "bad family");
	e.family = 6;
	e.hook = 9;
	ASSERT_EQ(net_decode(&e, sizeof(e), &ev, &gen), -EINVAL, "bad hook");
	e.hook = 0;
	e.action = 7;
	ASSERT_EQ(net_decode(&e, sizeof(e), &ev, &gen), -EINVAL, "bad action");
	e.action = BH_NET_ACT_AUDIT;
	e.hdr.kind = BH_EV_EXEC;
	ASSERT_EQ(net_decode(&e, sizeof(e), &ev, &gen), -EINVAL, "wrong kind");
}

/*
 * Records carry their slot's totals; the agent reports what is new, in the
 * real bh_net_agg_seen map: repeated totals are dropped, a restarted slot
 * counts from zero, and another CPU's slot is accounted on its own.
 */
static void test_account(void)
{
	struct bh_net_event e = { 0 };
	struct event ev;
	uint32_t gen;

	e.hdr.kind = BH_EV_NET;
	e.hdr.cgroup_id = 0xacc0;
	e.family = 4;
	e.proto = 6;
	e.action = BH_NET_ACT_DENY;
	e.hook = BH_HOOK_CONNECT;
	e.rport = 444;
	e.cpu = 0;
	e.count_total = 5;
	e.bytes_total = 500;
	ASSERT_EQ(net_decode(&e, sizeof(e), &ev, &gen), 0, "decode");
	ASSERT_EQ(net_account(N, &e, &ev), 1, "first record");
	ASSERT_EQ(ev.net.count, 5, "all of it");
	ASSERT_EQ(ev.net.bytes, 500, "bytes");
	e.count_total = 8;
	e.bytes_total = 800;
	ASSERT_EQ(net_account(N, &e, &ev), 1, "second record");
	ASSERT_EQ(ev.net.count, 3, "what is new");
	ASSERT_EQ(ev.net.bytes, 300, "new bytes");
	ASSERT_EQ(net_account(N, &e, &ev), 0, "the same totals again: nothing new");
	e.count_total = 2;
	e.bytes_total = 20;
	ASSERT_EQ(net_account(N, &e, &ev), 1, "a slot made anew");
	ASSERT_EQ(ev.net.count, 2, "counts from zero");
	if (libbpf_num_possible_cpus() > 1) {
		e.cpu = 1;
		e.count_total = 4;
		ASSERT_EQ(net_account(N, &e, &ev), 1, "another CPU");
		ASSERT_EQ(ev.net.count, 4, "its own account");
	}
	e.cpu = 100000;
	ASSERT_EQ(net_decode(&e, sizeof(e), &ev, &gen), 0, "decode");
	ASSERT_EQ(net_account(N, &e, &ev), 1, "a CPU out of range is reported");
	ASSERT_EQ(ev.net.count, 1, "as one");
}

/*
 * A policy copied without its rule tables (policy_set_load_reusing()) is lowered
 * by finding the block its source compiled to; when that block is gone,
 * lowered_prepare() says ESTALE (the engine then parses the set again) and never
 * lowers the missing tables as "no rules".
 */
static void test_reuse_by_source(void)
{
	struct policy *p = rand_policy(1, 20), q;
	struct policy_set set = { .policies = p, .n_policies = 1 };
	struct lowered *lw = lowered_new(), *lw2 = lowered_new();
	struct lowered_need need, need2;
	struct lowered_set *ls, *ls2;
	char err[512];
	int e = 0;

	ASSERT_TRUE(lw && lw2, "lowered_new");
	memset(p->source, 0xab, sizeof(p->source));
	ls = lowered_prepare(lw, &set, false, &need, err, sizeof(err), &e);
	ASSERT_TRUE(ls && e == 0, err);
	ASSERT_EQ(lowered_write(lw, ls, M, NULL, 0, NULL), 0, "write generation 0");
	q = *p;			/* the copy a reload makes: no tables, counts and source kept */
	q.net[0] = q.net[1] = NULL;
	q.tables_dropped = 1;
	set.policies = &q;
	ls2 = lowered_prepare(lw, &set, false, &need2, err, sizeof(err), &e);
	ASSERT_TRUE(ls2 && e == 0, "found by its source");
	ASSERT_EQ(need2.n[LM_NET_CIDR4] + need2.n[LM_NET_PORTS], need.n[LM_NET_CIDR4] + need.n[LM_NET_PORTS],
		  "the same entries as the lowered original");
	lowered_set_free(ls2);
	ASSERT_TRUE(!lowered_prepare(lw2, &set, false, &need2, err, sizeof(err), &e) && e == ESTALE,
		    "no block for it: ESTALE");
	q.source[0] ^= 1;	/* another source: another policy, whose tables are not here */
	ASSERT_TRUE(!lowered_prepare(lw, &set, false, &need2, err, sizeof(err), &e) && e == ESTALE,
		    "another source: ESTALE");
	net_clear_gen(M, 0);
	lowered_free(lw);
	lowered_free(lw2);
	free_policy(p);
}

int main(void)
{
	struct enforce_opts eo = { 0 };
	struct net_opts no = { 0 };
	char err[512];
	int ret;

	if (geteuid()) {
		printf("SKIP test_net_lower: needs root\n");
		return 0;
	}
	/* A run that died (a sanitizer abort) leaves its pins: remove those of dead pids. */
	{
		DIR *d = opendir("/sys/fs/bpf");
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char proc[64];
			int pid;

			if (sscanf(de->d_name, "bulkhead-test-unit-%d", &pid) != 1)
				continue;
			snprintf(proc, sizeof(proc), "/proc/%d", pid);
			snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/%s", de->d_name);
			if (access(proc, F_OK))
				enforce_unload(pin_dir, err, sizeof(err));
		}
		if (d)
			closedir(d);
	}
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/bulkhead-test-unit-%d", getpid());
	eo.pin_dir = pin_dir;
	E = enforce_open(&eo, err, sizeof(err));
	if (!E) {
		printf("FAIL setup: %s\n", err);
		return 1;
	}
	N = net_open(E, &no, err, sizeof(err));
	if (!N) {
		printf("FAIL setup: %s\n", err);
		enforce_close(E);
		enforce_unload(pin_dir, err, sizeof(err));
		return 1;
	}
	M = net_maps_of(N);
	RUN(test_lower_matches_reference);
	RUN(test_generation_swap_clears);
	RUN(test_epoch_follows_entries);
	RUN(test_bind_ports);
	RUN(test_many_rules_lower);
	RUN(test_program_decides);
	RUN(test_decode);
	RUN(test_account);
	RUN(test_diff_writes_match_reference);
	RUN(test_reuse_by_source);
	net_close(N, true);
	enforce_close(E);
	if (enforce_unload(pin_dir, err, sizeof(err)) < 0)
		printf("FAIL cleanup: %s\n", err);
	ret = test_summary();
	return ret;
}
