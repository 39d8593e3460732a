// SPDX-License-Identifier: GPL-2.0
/*
 * Network enforcement benchmarks (run by bench/net_bench.sh, `make bench`).
 *
 *   net_bench testrun [ROUNDS]
 *       BPF_PROG_TEST_RUN of the real cgroup_skb egress program, ns per packet,
 *       for a container without network rules and with 10, 1000 and 10000 CIDR
 *       rules, against an empty cgroup_skb program (r0 = 1), all in one run,
 *       rounds interleaved, medians printed. BPF_PROG_TEST_RUN gives the
 *       program one socket for its whole repeat loop, so the packets after the
 *       first are a flow already decided, as a real socket's are:
 *         memoized        an allowed flow's packets after its first (the
 *                         decision memoized under the policy in force)
 *         first packet    the same packet decided in full every time (the
 *                         program built with memoized decisions never read,
 *                         net_opts.memo_off): what a flow's first packet costs
 *         denied          a packet no rule allows: decided in full, counted,
 *                         aggregated and reported every time (never memoized)
 *       and the memoized row once more on the helper path (net.bpf.c, for
 *       kernels without the kfuncs of net_fast.bpf.c). ns/packet is the
 *       kernel's figure (whole ns); "wall" is the syscall's wall-clock time
 *       over the repeat count (finer, but it includes any preemption).
 *   net_bench install PIN_DIR ATTACH_CGROUP CLIENT_CGROUP_ID NRULES PORT
 *       Enforce NRULES egress deny rules (11.x.y.0/24) plus an allow rule for
 *       127.0.0.1 tcp PORT (explicit, so loopback is policed) on the client
 *       cgroup, attached under ATTACH_CGROUP; prints READY; on end of stdin,
 *       detaches and removes the pins.
 *
 * Needs root, bpffs and cgroup v2 (testrun moves itself into a test cgroup:
 * the program looks the socket's cgroup up as a container would be).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/net.h"
#include "lib/log.h"
#include "policy/policy.h"

#define REPEAT 2000000

static struct policy *make_policy(uint32_t id, uint32_t nrules, int allow_port)
{
	struct policy *p = calloc(1, sizeof(*p));
	uint32_t n = 0;

	p->id = id;
	snprintf(p->name, sizeof(p->name), "bench-%u", nrules);
	p->net[0] = calloc(nrules + 1, sizeof(*p->net[0]));
	if (allow_port) {
		struct policy_net_rule *r = &p->net[0][n++];

		r->family = POLICY_INET;
		r->prefix_len = 32;
		r->addr[0] = 127;
		r->addr[3] = 1;
		r->proto = POLICY_PROTO_TCP;
		r->port_lo = r->port_hi = (uint16_t)allow_port;
		r->action = POLICY_ALLOW;
	}
	for (uint32_t i = 0; i < nrules; i++) {
		struct policy_net_rule *r = &p->net[0][n++];

		r->family = POLICY_INET;
		r->prefix_len = 24;
		r->addr[0] = 11;
		r->addr[1] = (uint8_t)(i >> 8);
		r->addr[2] = (uint8_t)i;
		r->port_hi = 65535;
		r->action = allow_port ? POLICY_DENY : POLICY_ALLOW;
	}
	p->n_net[0] = n;
	p->net_default[0] = allow_port ? POLICY_ALLOW : POLICY_DENY;
	return p;
}

static void free_policy(struct policy *p)
{
	if (!p)
		return;
	free(p->net[0]);
	free(p);
}

static size_t make_pkt(uint8_t *buf, const char *dst)
{
	memset(buf, 0, 128);
	buf[12] = 0x08;
	buf[14] = 0x45;
	buf[17] = 60;
	buf[22] = 64;
	buf[23] = 6;
	inet_pton(AF_INET, "10.200.0.2", buf + 26);
	inet_pton(AF_INET, dst, buf + 30);
	buf[34] = 0x9c;		/* 40000 -> 443 */
	buf[35] = 0x40;
	buf[36] = 0x01;
	buf[37] = 0xbb;
	buf[47] = 0x02;		/* SYN */
	return 14 + 40 + 20;
}

struct timing {
	double kern;	/* the kernel's average ns per run (whole ns) */
	double wall;	/* the syscall's wall-clock ns per run */
};

static struct timing run_ns(int fd, const char *dst, int ifindex, int *verdict)
{
	uint8_t pkt[128];
	struct __sk_buff ctx = { .ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .repeat = REPEAT, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	struct timespec t0, t1;
	struct timing t;
	int err;

	o.data_size_in = (uint32_t)make_pkt(pkt, dst);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bpf_prog_test_run_opts(fd, &o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		fprintf(stderr, "net_bench: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		exit(1);
	}
	if (verdict)
		*verdict = (int)o.retval;
	t.kern = (double)o.duration;
	t.wall = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / REPEAT;
	return t;
}

static int empty_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_CGROUP_INET_EGRESS);

	return bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "bh_bench_empty", "GPL", insns, 2, &o);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

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

/* Rows of the testrun table: one program, one packet, rounds of timings. */
enum { ROUNDS_MAX = 64, ROWS_MAX = 16 };
struct row {
	char name[64];
	int fd;
	const char *dst;
	int want;		/* verdict expected: 1 pass, 0 drop */
	int size;		/* index into sizes[] */
	double kern[ROUNDS_MAX], wall[ROUNDS_MAX];
};

static int testrun(int rounds)
{
	static const uint32_t sizes[] = { 0, 10, 1000, 10000 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	char cg[256], pin[128], err[512], path[300], in[NS][32];
	struct enforce_opts eo = { 0 };
	struct net_opts no = { 0 }, nfull = { .memo_off = true }, nhelp = { .helper_path = true };
	struct policy *pol[NS] = { 0 };
	struct enforce *e = NULL;
	struct net_enf *n = NULL, *full = NULL, *help = NULL;
	struct row rows[ROWS_MAX];
	int nrows = 0, efd, ifx = other_ifindex(), ret = 1;
	struct stat st;
	FILE *f;

	if (rounds > ROUNDS_MAX)
		rounds = ROUNDS_MAX;
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/unified/bulkhead-test-bench-%d", getpid());
	if (stat("/sys/fs/cgroup/unified", &st))
		snprintf(cg, sizeof(cg), "/sys/fs/cgroup/bulkhead-test-bench-%d", getpid());
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/bulkhead-test-bench-%d", getpid());
	if (mkdir(cg, 0755) || stat(cg, &st)) {
		fprintf(stderr, "net_bench: cannot make %s: %s\n", cg, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "net_bench: cannot enter %s\n", cg);
		goto out;
	}
	eo.pin_dir = pin;
	e = enforce_open(&eo, err, sizeof(err));
	n = e ? net_open(e, &no, err, sizeof(err)) : NULL;
	full = n ? net_open(e, &nfull, err, sizeof(err)) : NULL;
	help = full ? net_open(e, &nhelp, err, sizeof(err)) : NULL;
	efd = empty_prog();
	if (!help || efd < 0) {
		fprintf(stderr, "net_bench: set-up: %s\n", help ? strerror(errno) : err);
		goto out;
	}
	for (int s = 0; s < NS; s++) {
		pol[s] = make_policy(s + 1, sizes[s], 0);
		/* inside the last rule's CIDR (allowed); 12.1.2.3 is outside every rule */
		snprintf(in[s], sizeof(in[s]), "11.%u.%u.9",
			 sizes[s] ? ((sizes[s] - 1) >> 8) & 0xff : 0, sizes[s] ? (sizes[s] - 1) & 0xff : 0);
	}
#define ROW(nm, prog_fd, d, w, sz) do {							\
		struct row *r_ = &rows[nrows++];						\
		snprintf(r_->name, sizeof(r_->name), "%s", nm);				\
		r_->fd = (prog_fd); r_->dst = (d); r_->want = (w); r_->size = (sz);		\
	} while (0)
	ROW("empty cgroup_skb program (r0 = 1)", efd, "11.0.5.9", 1, -1);
	for (int s = 0; s < NS; s++) {
		char nm[64];

		if (!sizes[s]) {
			ROW("no network rules, memoized", net_prog_fd(n, "bh_net_egress"), in[s], 1, s);
			ROW("no network rules, first packet", net_prog_fd(full, "bh_net_egress"), in[s], 1, s);
			continue;
		}
		snprintf(nm, sizeof(nm), "%u rules, allowed, memoized", sizes[s]);
		ROW(nm, net_prog_fd(n, "bh_net_egress"), in[s], 1, s);
		snprintf(nm, sizeof(nm), "%u rules, allowed, first packet", sizes[s]);
		ROW(nm, net_prog_fd(full, "bh_net_egress"), in[s], 1, s);
		snprintf(nm, sizeof(nm), "%u rules, denied", sizes[s]);
		ROW(nm, net_prog_fd(n, "bh_net_egress"), "12.1.2.3", 0, s);
	}
	ROW("helper path: 1000 rules, memoized", net_prog_fd(help, "bh_net_egress"), in[2], 1, 2);
#undef ROW
	for (int i = 0; i < nrows; i++)
		if (rows[i].fd < 0) {
			fprintf(stderr, "net_bench: no program for '%s'\n", rows[i].name);
			goto out;
		}
	for (int r = 0; r < rounds; r++) {
		int cur = -2;

		for (int i = 0; i < nrows; i++) {
			struct row *rw = &rows[i];
			struct timing t;
			int v;

			if (rw->size >= 0 && rw->size != cur) {
				/* the policy of this row: a transaction (every memoized decision
				 * of the previous one is stale from here on) */
				int s = rw->size, gen = enforce_begin(e);
				struct bh_cg_policy cp = { .policy_id = pol[s]->id,
							   .flags = sizes[s] ? BH_CGP_NET : 0 };

				if (gen < 0 || net_lower_policy(net_maps_of(n), (uint32_t)gen, pol[s], NULL) ||
				    enforce_txn_assign(e, (uint64_t)st.st_ino, &cp) || enforce_commit(e)) {
					fprintf(stderr, "net_bench: installing %u rules failed\n", sizes[s]);
					goto out;
				}
				cur = s;
			}
			t = run_ns(rw->fd, rw->dst, ifx, &v);
			if (v != rw->want) {
				fprintf(stderr, "net_bench: '%s': verdict %d, expected %d\n", rw->name, v, rw->want);
				goto out;
			}
			rw->kern[r] = t.kern;
			rw->wall[r] = t.wall;
		}
	}
	double ek = median(rows[0].kern, rounds), ew = median(rows[0].wall, rounds);

	printf("BPF_PROG_TEST_RUN, cgroup_skb egress (%s), ns per packet, median of %d rounds x %d packets\n",
	       net_fast_path(n) ? "helper-free fast path, net_fast.bpf.c" : "helper path, net.bpf.c",
	       rounds, REPEAT);
	printf("%-38s %10s %8s %10s %8s\n", "program / packet", "ns/packet", "vs empty", "wall ns", "vs empty");
	for (int i = 0; i < nrows; i++) {
		double k = median(rows[i].kern, rounds), w = median(rows[i].wall, rounds);

		printf("%-38s %10.0f %7.2fx %10.2f %7.2fx\n", rows[i].name, k, k / ek, w, w / ew);
	}
	ret = 0;
out:
	for (int s = 0; s < NS; s++)
		free_policy(pol[s]);
	net_close(help, false);
	net_close(full, false);
	net_close(n, true);
	enforce_close(e);
	enforce_unload(pin, err, sizeof(err));
	/* leave the cgroup, then remove it */
	f = fopen("/sys/fs/cgroup/unified/cgroup.procs", "w");
	if (!f)
		f = fopen("/sys/fs/cgroup/cgroup.procs", "w");
	if (f) {
		fprintf(f, "%d\n", getpid());
		fclose(f);
	}
	rmdir(cg);
	return ret;
}

static int install(char **argv)
{
	struct enforce_opts eo = { .pin_dir = argv[0] };
	struct net_opts no = { .attach_cgroup = argv[1] };
	uint64_t cgid = strtoull(argv[2], NULL, 0);
	struct policy *p = make_policy(1, (uint32_t)atoi(argv[3]), atoi(argv[4]));
	struct bh_cg_policy cp = { .policy_id = 1, .flags = BH_CGP_NET };
	static const char *const progs[] = { "bh_net_egress", "bh_net_ingress", "bh_net_connect4", NULL };
	struct enforce *e;
	struct net_enf *n = NULL;
	char err[512], buf[64];
	int gen, ret = 1;

	e = enforce_open(&eo, err, sizeof(err));
	if (e)
		n = net_open(e, &no, err, sizeof(err));
	if (!n) {
		fprintf(stderr, "net_bench: %s\n", err);
		goto out;
	}
	gen = enforce_begin(e);
	if (gen < 0 || net_lower_policy(net_maps_of(n), (uint32_t)gen, p, NULL) ||
	    enforce_txn_assign(e, cgid, &cp) || enforce_commit(e)) {
		fprintf(stderr, "net_bench: installing the rules failed\n");
		goto out;
	}
	printf("READY\n");
	fflush(stdout);
	while (fgets(buf, sizeof(buf), stdin))
		;
	/* With kernel.bpf_stats_enabled=1 the kernel timed every run of the hooks. */
	for (int i = 0; progs[i]; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = net_prog_fd(n, progs[i]);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.run_cnt)
			printf("STATS %s runs=%llu ns_per_run=%.1f\n", progs[i],
			       (unsigned long long)info.run_cnt, (double)info.run_time_ns / info.run_cnt);
	}
	fflush(stdout);
	ret = 0;
out:
	net_close(n, true);
	enforce_close(e);
	enforce_unload(argv[0], err, sizeof(err));
	free_policy(p);
	return ret;
}

int main(int argc, char **argv)
{
	log_init(0, 0);
	if (argc >= 2 && !strcmp(argv[1], "testrun"))
		return testrun(argc > 2 ? atoi(argv[2]) : 7);
	if (argc == 7 && !strcmp(argv[1], "install"))
		return install(argv + 2);
	fprintf(stderr, "usage: net_bench testrun [ROUNDS] | install PIN_DIR ATTACH_CGROUP "
		"CLIENT_CGROUP_ID NRULES PORT\n");
	return 2;
}
