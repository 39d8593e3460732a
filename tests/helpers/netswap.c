// SPDX-License-Identifier: GPL-2.0
/*
 * netswap: swap between two network policy sets as fast as possible, for the
 * test that no connection ever sees half a policy or none.
 *
 *   netswap PIN_DIR ATTACH_CGROUP CGROUP_ID ALLOW_PORT DENY_PORT SECONDS [STOP_FILE]
 *
 * Loads the network programs (pins under PIN_DIR, attached under
 * ATTACH_CGROUP) and, for SECONDS, alternately commits one of two sets that
 * agree on exactly two things for the container CGROUP_ID: tcp to
 * 127.0.0.1:ALLOW_PORT is allowed, tcp to 127.0.0.1:DENY_PORT is denied.
 * Everything else differs: policy ids, rule order and count, node layout,
 * defaults. Prints READY after the first commit, "swaps=N" at the end, then
 * detaches and removes its pins. With STOP_FILE it swaps until that file
 * exists (SECONDS at most), so that its users are done before it detaches.
 *
 *   netswap step PIN_DIR ATTACH_CGROUP CGROUP_ID UDP_PORT TCP_PORT SERVE_PORT UDP6_PORT
 *
 * One swap per line on stdin, for the tests of memoized decisions across
 * swaps (all on loopback, rules naming 127.0.0.0/8 and ::/64 so that it is
 * policed):
 *   allow   egress udp 127.0.0.1:UDP_PORT, udp [::1]:UDP6_PORT and tcp
 *           127.0.0.1:TCP_PORT allowed, ingress udp to SERVE_PORT allowed, the
 *           rest of 127/8 and ::/64 denied both ways (so replies pass only as
 *           replies)
 *   allow2  the same decisions from another policy: other ids, wider CIDRs,
 *           another rule order
 *   deny    those three flows denied, the rest of 127/8 denied in
 *   none    the container known, without network rules
 * Prints "DONE N CMD" after each commit; at end of input detaches and
 * removes its pins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "enforce/enforce.h"
#include "enforce/net.h"
#include "lib/log.h"
#include "policy/policy.h"

static void rule(struct policy_net_rule *r, const char *a, int len, int proto, int lo, int hi,
		 int action)
{
	memset(r, 0, sizeof(*r));
	r->family = POLICY_INET;
	if (strchr(a, ':')) {
		r->family = POLICY_INET6;
		inet_pton(AF_INET6, a, r->addr);
	} else {
		sscanf(a, "%hhu.%hhu.%hhu.%hhu", &r->addr[0], &r->addr[1], &r->addr[2], &r->addr[3]);
	}
	r->prefix_len = (uint8_t)len;
	r->proto = (uint8_t)proto;
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	r->action = (uint8_t)action;
}

/* One policy set for step mode; NULL policy: the container without rules. */
static int commit(struct enforce *e, struct net_enf *n, uint64_t cgid, const struct policy *p)
{
	struct bh_cg_policy pol = { .policy_id = p ? p->id : 0, .flags = p ? BH_CGP_NET : 0 };
	int gen = enforce_begin(e);

	if (gen < 0)
		return -1;
	if ((p && net_lower_policy(net_maps_of(n), (uint32_t)gen, p, NULL)) || enforce_txn_assign(e, cgid, &pol)) {
		enforce_abort(e);
		return -1;
	}
	return enforce_commit(e);
}

static int step(char **argv)
{
	struct policy allow = { .id = 11, .name = "step-allow" }, allow2 = { .id = 12, .name = "step-allow2" },
		      deny = { .id = 13, .name = "step-deny" };
	struct policy_net_rule ae[5], ai[3], be[5], bi[3], de[3], di[2];
	struct enforce_opts eo = { .pin_dir = argv[0] };
	struct net_opts no = { .attach_cgroup = argv[1] };
	uint64_t cgid = strtoull(argv[2], NULL, 0);
	int pu = atoi(argv[3]), pt = atoi(argv[4]), ps = atoi(argv[5]), pu6 = atoi(argv[6]), k = 0, ret = 1;
	struct net_enf *n = NULL;
	struct enforce *e;
	char err[512], line[64];

	rule(&ae[0], "127.0.0.1", 32, POLICY_PROTO_UDP, pu, pu, POLICY_ALLOW);
	rule(&ae[1], "127.0.0.1", 32, POLICY_PROTO_TCP, pt, pt, POLICY_ALLOW);
	rule(&ae[2], "127.0.0.0", 8, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	rule(&ae[3], "::1", 128, POLICY_PROTO_UDP, pu6, pu6, POLICY_ALLOW);
	rule(&ae[4], "::", 64, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	rule(&ai[0], "127.0.0.1", 32, POLICY_PROTO_UDP, ps, ps, POLICY_ALLOW);
	rule(&ai[1], "127.0.0.0", 8, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	rule(&ai[2], "::", 64, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	allow.net[0] = ae, allow.n_net[0] = 5, allow.net[1] = ai, allow.n_net[1] = 3;
	allow.net_default[0] = allow.net_default[1] = POLICY_DENY;

	rule(&be[0], "127.0.0.0", 24, POLICY_PROTO_TCP, pt - 1, pt + 1, POLICY_ALLOW);
	rule(&be[1], "127.0.0.0", 16, POLICY_PROTO_UDP, pu, pu, POLICY_ALLOW);
	rule(&be[2], "127.0.0.0", 8, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	rule(&be[3], "::", 120, POLICY_PROTO_UDP, pu6 - 5, pu6 + 5, POLICY_ALLOW);
	rule(&be[4], "::", 64, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	rule(&bi[0], "127.0.0.0", 16, POLICY_PROTO_UDP, ps, ps + 1, POLICY_ALLOW);
	rule(&bi[1], "127.0.0.0", 8, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	rule(&bi[2], "::", 64, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	allow2.net[0] = be, allow2.n_net[0] = 5, allow2.net[1] = bi, allow2.n_net[1] = 3;
	allow2.net_default[0] = POLICY_ALLOW;
	allow2.net_default[1] = POLICY_DENY;

	rule(&de[0], "127.0.0.1", 32, POLICY_PROTO_UDP, pu, pu, POLICY_DENY);
	rule(&de[1], "127.0.0.1", 32, POLICY_PROTO_TCP, pt, pt, POLICY_DENY);
	rule(&de[2], "::1", 128, POLICY_PROTO_UDP, pu6, pu6, POLICY_DENY);
	rule(&di[0], "127.0.0.1", 32, POLICY_PROTO_UDP, ps, ps, POLICY_DENY);
	rule(&di[1], "127.0.0.0", 8, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	deny.net[0] = de, deny.n_net[0] = 3, deny.net[1] = di, deny.n_net[1] = 2;

	e = enforce_open(&eo, err, sizeof(err));
	if (e)
		n = net_open(e, &no, err, sizeof(err));
	if (!n) {
		fprintf(stderr, "netswap: %s\n", e ? err : err);
		goto out;
	}
	printf("%s\n", net_fast_path(n) ? "FAST" : "HELPER");
	while (fgets(line, sizeof(line), stdin)) {
		const struct policy *p;

		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, "allow"))
			p = &allow;
		else if (!strcmp(line, "allow2"))
			p = &allow2;
		else if (!strcmp(line, "deny"))
			p = &deny;
		else if (!strcmp(line, "none"))
			p = NULL;
		else
			break;
		if (commit(e, n, cgid, p)) {
			fprintf(stderr, "netswap: committing %s failed\n", line);
			goto out;
		}
		printf("DONE %d %s\n", ++k, line);
		fflush(stdout);
	}
	ret = 0;
out:
	net_close(n, true);
	enforce_close(e);
	if (enforce_unload(argv[0], err, sizeof(err)) < 0)
		fprintf(stderr, "netswap: %s\n", err);
	return ret;
}

int main(int argc, char **argv)
{
	struct policy a = { .id = 1, .name = "swap-a" }, b = { .id = 2, .name = "swap-b" };
	struct policy_net_rule ra[2], rb[203];
	struct enforce_opts eo = { 0 };
	struct net_opts no = { 0 };
	struct enforce *e;
	struct net_enf *n;
	char err[512];
	uint64_t cgid;
	int allow, deny, seconds, swaps = 0, ret = 1;
	struct timespec t0, t;

	if (argc == 9 && !strcmp(argv[1], "step")) {
		log_init(0, 0);
		setvbuf(stdout, NULL, _IOLBF, 0);
		return step(argv + 2);
	}
	if (argc != 7 && argc != 8) {
		fprintf(stderr, "usage: netswap PIN_DIR ATTACH_CGROUP CGROUP_ID ALLOW_PORT DENY_PORT SECONDS [STOP_FILE]\n"
			"       netswap step PIN_DIR ATTACH_CGROUP CGROUP_ID UDP_PORT TCP_PORT SERVE_PORT UDP6_PORT\n");
		return 2;
	}
	log_init(0, 0);
	cgid = strtoull(argv[3], NULL, 0);
	allow = atoi(argv[4]);
	deny = atoi(argv[5]);
	seconds = atoi(argv[6]);

	/* A: allow the port, deny loopback's /8, default deny. */
	rule(&ra[0], "127.0.0.1", 32, POLICY_PROTO_TCP, allow, allow, POLICY_ALLOW);
	rule(&ra[1], "127.0.0.0", 8, POLICY_PROTO_ANY, 0, 65535, POLICY_DENY);
	a.net[0] = ra;
	a.n_net[0] = 2;
	a.net_default[0] = POLICY_DENY;
	/* B: deny the other port explicitly, 200 unrelated rules, default allow. */
	rule(&rb[0], "127.0.0.1", 32, POLICY_PROTO_TCP, deny, deny, POLICY_DENY);
	rule(&rb[1], "127.0.0.1", 32, POLICY_PROTO_TCP, allow, allow, POLICY_ALLOW);
	for (int i = 0; i < 200; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.%d.%d.0", 100 + i / 100, i % 100);
		rule(&rb[2 + i], addr, 24, i % 2 ? POLICY_PROTO_UDP : POLICY_PROTO_ANY, i, i + 10,
		     POLICY_DENY);
	}
	rule(&rb[202], "127.0.0.0", 8, POLICY_PROTO_TCP, 0, 65535, POLICY_DENY);
	b.net[0] = rb;
	b.n_net[0] = 203;
	b.net_default[0] = POLICY_ALLOW;
	b.net_default[1] = POLICY_DENY;		/* ingress lowered too: replies ride the socket */

	eo.pin_dir = argv[1];
	e = enforce_open(&eo, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "netswap: %s\n", err);
		return 1;
	}
	no.attach_cgroup = argv[2];
	n = net_open(e, &no, err, sizeof(err));
	if (!n) {
		fprintf(stderr, "netswap: %s\n", err);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const struct policy *p = swaps % 2 ? &b : &a;
		struct bh_cg_policy pol = { .policy_id = p->id, .flags = BH_CGP_NET };
		int gen = enforce_begin(e);

		if (gen < 0 || net_lower_policy(net_maps_of(n), (uint32_t)gen, p, NULL) ||
		    enforce_txn_assign(e, cgid, &pol) || enforce_commit(e)) {
			fprintf(stderr, "netswap: swap %d failed\n", swaps);
			goto out;
		}
		if (!swaps++)
			printf("READY\n");
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= seconds || (argc == 8 && !access(argv[7], F_OK)))
			break;
	}
	{
		/* Packets of the container dropped: both sets allow all it sends
		 * that gets past connect(), so any is a wrong drop. */
		struct bh_net_counters c;
		uint32_t slot = enforce_slot_lookup(e, cgid);

		if (slot && !net_counters(n, slot, &c))
			printf("dropped=%llu passed=%llu\n",
			       (unsigned long long)(c.packets[BH_DIR_EGRESS][BH_V_DENY] +
						    c.packets[BH_DIR_INGRESS][BH_V_DENY]),
			       (unsigned long long)(c.packets[BH_DIR_EGRESS][BH_V_ALLOW] +
						    c.packets[BH_DIR_INGRESS][BH_V_ALLOW]));
	}
	printf("swaps=%d\n", swaps);
	ret = 0;
out:
	net_close(n, true);
	enforce_close(e);
	if (enforce_unload(argv[1], err, sizeof(err)) < 0)
		fprintf(stderr, "netswap: %s\n", err);
	return ret;
}
