// SPDX-License-Identifier: GPL-2.0
/*
 * fmemo: the file/exec decision memo of the loaded BPF LSM programs, for the
 * guest cases (static: no libbpf object needed, the maps are found by name).
 *
 *   fmemo mode on|off|verify [count]   set bh_memo_ctl (the mode; the epoch moves)
 *                              (count: hits are counted too)
 *   fmemo stats                "open HIT MISS STORE MISMATCH exec ... mmap ..."
 *                              (bh_fmemo_stats summed over CPUs and objects)
 *   fmemo kflags               bh_memo_ctl.kflags (BH_MEMO_K_*, set by the kernel side)
 *   fmemo epoch                bh_memo_ctl.epoch
 *
 * Exit status 0, 1 on error (no such map: the file programs are not loaded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/file.h"
#include "enforce/enforce.h"
#include "lib/map_util.h"

static int set_mode(int fd, const struct bpf_map_info *info, void *ctx)
{
	int r = enforce_memo_write(fd, *(__u32 *)ctx);

	if (r)
		fprintf(stderr, "fmemo: writing bh_memo_ctl: %s\n", strerror(-r));
	return r ? -1 : 0;
}

static int add_stats(int fd, const struct bpf_map_info *info, void *ctx)
{
	unsigned long long *sum = ctx;
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v;

	if (ncpu <= 0 || info->max_entries != BH_MEMO_STATS)
		return -1;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -1;
	for (__u32 k = 0; k < BH_MEMO_STATS; k++) {
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum[k] += v[c];
	}
	free(v);
	return 0;
}

/* ctx: {value, want the epoch}: the epoch, or the kflags of every map or'ed */
static int ctl_field(int fd, const struct bpf_map_info *info, void *ctx)
{
	struct bh_memo_ctl c;
	__u32 zero = 0;

	if (info->value_size != sizeof(c) || bpf_map_lookup_elem(fd, &zero, &c))
		return -1;
	if (((__u64 *)ctx)[1])
		((__u64 *)ctx)[0] = c.epoch;
	else
		((__u64 *)ctx)[0] |= c.kflags;
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || (argc == 4 && !strcmp(argv[3], "count"))) && !strcmp(argv[1], "mode")) {
		__u32 m = !strcmp(argv[2], "on") ? BH_MEMO_ON : !strcmp(argv[2], "off") ? BH_MEMO_OFF :
			  !strcmp(argv[2], "verify") ? BH_MEMO_VERIFY : 99;

		if (m == 99) {
			fprintf(stderr, "fmemo: mode on|off|verify\n");
			return 2;
		}
		if (argc == 4)
			m |= BH_MEMO_COUNT_HITS;
		if (map_each_named("bh_memo_ctl", set_mode, &m) < 1) {
			fprintf(stderr, "fmemo: no bh_memo_ctl map loaded\n");
			return 1;
		}
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "stats")) {
		unsigned long long s[BH_MEMO_STATS] = { 0 };
		static const char *const hook[BH_MH_COUNT] = { "open", "exec", "mmap" };

		if (map_each_named("bh_fmemo_stats", add_stats, s) < 1) {
			fprintf(stderr, "fmemo: no bh_fmemo_stats map loaded\n");
			return 1;
		}
		for (int h = 0; h < BH_MH_COUNT; h++)
			printf("%s%s %llu %llu %llu %llu", h ? " " : "", hook[h],
			       s[BH_MEMO_STAT(h, BH_MS_HIT)], s[BH_MEMO_STAT(h, BH_MS_MISS)],
			       s[BH_MEMO_STAT(h, BH_MS_STORE)], s[BH_MEMO_STAT(h, BH_MS_MISMATCH)]);
		printf("\n");
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "kflags") || !strcmp(argv[1], "epoch"))) {
		__u64 v[2] = { 0, !strcmp(argv[1], "epoch") };

		if (map_each_named("bh_memo_ctl", ctl_field, v) < 1) {
			fprintf(stderr, "fmemo: no bh_memo_ctl map loaded\n");
			return 1;
		}
		printf("%llu\n", (unsigned long long)v[0]);
		return 0;
	}
	fprintf(stderr, "usage: fmemo mode on|off|verify [count] | fmemo stats | fmemo kflags | fmemo epoch\n");
	return 2;
}
