// SPDX-License-Identifier: GPL-2.0
/*
 * Loss reports (userspace/telemetry/lost.c) on real BPF maps of the kind every feature
 * declares (bpf/lib/bulkhead.bpf.h): an LRU per-CPU hash per cgroup and a per-CPU
 * total array, written here as the kernel would. Deltas per container, only
 * what is new, a counter the kernel's LRU restarted, forgetting a cgroup, and
 * finding the maps by name among the process's own. Needs root (bpf()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "telemetry/lost.h"
#include "test.h"

static int ncpus;

struct report {
	char ring[32];
	uint64_t id, count, total;
};
static struct report reps[16];
static int nreps;

static void collect(void *ctx, const char *ring, uint64_t id, uint64_t count, uint64_t total)
{
	if (nreps < 16) {
		snprintf(reps[nreps].ring, sizeof(reps[nreps].ring), "%s", ring);
		reps[nreps].id = id;
		reps[nreps].count = count;
		reps[nreps].total = total;
	}
	nreps++;
}

static const struct report *report_for(uint64_t id)
{
	for (int i = 0; i < nreps && i < 16; i++)
		if (reps[i].id == id)
			return &reps[i];
	return NULL;
}

/* Set a per-CPU value: v on CPU 0, 1 on the others (the sum is what counts). */
static int set(int fd, const void *key, uint64_t v)
{
	uint64_t vals[ncpus];

	for (int c = 0; c < ncpus; c++)
		vals[c] = c ? 1 : v - (uint64_t)(ncpus - 1);
	return bpf_map_update_elem(fd, key, vals, BPF_ANY);
}

static int maps(const char *prefix, int *per_cg, int *total)
{
	char n1[32], n2[32];

	snprintf(n1, sizeof(n1), "bh_%s_lost", prefix);
	snprintf(n2, sizeof(n2), "bh_%s_lost_total", prefix);
	*per_cg = bpf_map_create(BPF_MAP_TYPE_LRU_PERCPU_HASH, n1, 8, 8, 64, NULL);
	*total = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, n2, 4, 8, 1, NULL);
	return *per_cg >= 0 && *total >= 0 ? 0 : -1;
}

static void test_deltas(void)
{
	struct lost *l = lost_new();
	int per_cg, total;
	uint64_t a = 1001, b = 1002;
	uint32_t zero = 0;

	ASSERT_TRUE(l && !maps("tst", &per_cg, &total), "maps (root?)");
	ASSERT_EQ(lost_add(l, "tst", per_cg, total), 0, "add");
	nreps = 0;
	ASSERT_EQ(lost_poll(l, collect, NULL), 0, "nothing lost yet");
	ASSERT_EQ(nreps, 0, "no report");

	set(per_cg, &a, 10);
	set(per_cg, &b, 5);
	set(total, &zero, 15);
	nreps = 0;
	ASSERT_EQ(lost_poll(l, collect, NULL), 15, "15 newly lost");
	ASSERT_EQ(nreps, 2, "one report per container");
	ASSERT_TRUE(report_for(a) && report_for(a)->count == 10 && report_for(a)->total == 10, "a: 10");
	ASSERT_TRUE(report_for(b) && report_for(b)->count == 5, "b: 5");
	ASSERT_STREQ(report_for(a)->ring, "tst", "ring name");

	set(per_cg, &a, 14);
	set(total, &zero, 19);
	nreps = 0;
	ASSERT_EQ(lost_poll(l, collect, NULL), 4, "4 more");
	ASSERT_EQ(nreps, 1, "only the container with new losses");
	ASSERT_TRUE(report_for(a)->count == 4 && report_for(a)->total == 14, "a: +4, 14 in all");

	/* The kernel's LRU dropped a's entry, which then counted anew from 0. */
	bpf_map_delete_elem(per_cg, &a);
	set(per_cg, &a, 3);
	set(total, &zero, 22);
	nreps = 0;
	lost_poll(l, collect, NULL);
	ASSERT_TRUE(nreps == 1 && report_for(a)->count == 3, "a restarted: its 3 reported");

	/* Quiet: the per-cgroup map is not even read when the total did not grow. */
	set(per_cg, &b, 500);
	nreps = 0;
	ASSERT_EQ(lost_poll(l, collect, NULL), 0, "total unchanged");
	ASSERT_EQ(nreps, 0, "no reports");

	lost_forget(l, b);
	ASSERT_TRUE(bpf_map_lookup_elem(per_cg, &b, (uint64_t[64]){ 0 }) && errno == ENOENT,
		    "forget deletes the kernel's entry too");
	{
		const char *names[4];
		uint64_t totals[4];

		ASSERT_EQ(lost_totals(l, names, totals, 4), 1, "one ring");
		ASSERT_EQ(totals[0], 22, "total");
	}
	lost_free(l);
	close(per_cg);
	close(total);
}

static void test_discover(void)
{
	struct lost *l = lost_new();
	int p1, t1, p2, t2, p3, t3;
	uint64_t a = 77;
	uint32_t zero = 0;

	ASSERT_TRUE(l && !maps("proc", &p1, &t1) && !maps("zz", &p2, &t2), "maps");
	/* A map that merely looks alike (wrong type) is not taken. */
	p3 = bpf_map_create(BPF_MAP_TYPE_HASH, "bh_bad_lost", 8, 8, 4, NULL);
	t3 = bpf_map_create(BPF_MAP_TYPE_HASH, "bh_bad_lost_tot", 4, 8, 1, NULL);
	ASSERT_EQ(lost_add(l, "process", p1, t1), 0, "process added by hand");
	ASSERT_EQ(lost_discover(l), 1, "only zz is new (process is known, bad has wrong types)");
	ASSERT_EQ(lost_discover(l), 0, "found once");
	set(p2, &a, 9);
	set(t2, &zero, 9);
	nreps = 0;
	lost_poll(l, collect, NULL);
	ASSERT_TRUE(nreps == 1 && !strcmp(reps[0].ring, "zz") && reps[0].count == 9, "discovered ring reports");
	lost_free(l);
	/* the discovered fds were the lost module's own dups: ours are still open */
	ASSERT_TRUE(fcntl(p2, F_GETFD) >= 0, "our fd untouched");
	close(p1), close(t1), close(p2), close(t2), close(p3), close(t3);
}

static void test_names(void)
{
	char buf[32];

	ASSERT_STREQ(lost_ring_name("proc", buf, sizeof(buf)), "process", "proc");
	ASSERT_STREQ(lost_ring_name("cgev", buf, sizeof(buf)), "cgroup", "cgev");
	ASSERT_STREQ(lost_ring_name("net", buf, sizeof(buf)), "net", "others as they are");
}

int main(void)
{
	if (geteuid()) {
		printf("SKIP test_output_lost: needs root (bpf maps)\n");
		return 0;
	}
	ncpus = libbpf_num_possible_cpus();
	RUN(test_deltas);
	RUN(test_discover);
	RUN(test_names);
	return test_summary();
}
