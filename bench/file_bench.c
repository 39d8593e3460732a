// SPDX-License-Identifier: GPL-2.0
/*
 * File/exec enforcement benchmark helper (make bench, run in the guest by
 * bench/file_bench.sh). Static, so it also runs inside a busybox container.
 *
 *   file_bench setup PIN CGROUP_ID N     LSM programs + a policy of N path rules
 *                                        (N file rules: exact, prefix and glob, and
 *                                        N/10 exec deny rules) assigned to the
 *                                        cgroup; N = 0: the cgroup gets no entry.
 *                                        Everything stays pinned under PIN.
 *   file_bench empty PIN                 attach the empty baseline programs on
 *                                        file_open and bprm_check_security (pinned)
 *   file_bench open-loop PATH COUNT      ns per open()+close() of PATH
 *   file_bench exec-loop PROG COUNT      ns per fork()+execve(PROG)+wait()
 *   file_bench prog-stats NAME           "run_cnt run_time_ns" of the loaded
 *                                        programs called NAME (kernel.bpf_stats_enabled)
 *   file_bench setup-all PIN             LSM programs and three policies in one
 *                                        generation: ids 10, 100, 1000 = that many rules
 *   file_bench assign PIN CGROUP_ID ID   the cgroup's policy (0: no entry), in force at
 *                                        once (a new policy epoch, as the agent does)
 *   file_bench memo-mode on|off [count]  the decision memo's mode (bh_memo_ctl) (count: hits counted too)
 *   file_bench memo-stats                "open HIT MISS exec HIT MISS" (bh_fmemo_stats)
 *   file_bench mkfiles DIR N             DIR/f0..f(N-1), new inodes (run from the host)
 *   file_bench open-each DIR N           ns per open()+close() of DIR/f0..f(N-1), once each
 *   file_bench exec-each DIR N           ns per fork()+execve() of DIR/b0..b(N-1), once each
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include "enforce/enforce.h"
#include "enforce/file.h"
#include "lib/map_util.h"
#include "policy/policy.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void rule(struct policy_path_rule *r, const char *pat, int kind, int action, unsigned ops)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->pattern, sizeof(r->pattern), "%s", pat);
	r->pattern_len = (uint16_t)strlen(r->pattern);
	r->kind = (uint8_t)kind;
	r->action = (uint8_t)action;
	r->ops = (uint16_t)ops;
}

/* A policy of n path rules (n file rules, n/10 exec deny rules), id id. */
static void bench_policy(struct policy *p, uint32_t id, int n)
{
	char pat[128];

	memset(p, 0, sizeof(*p));
	p->id = id;
	snprintf(p->name, sizeof(p->name), "bench%d", n);
	p->file = calloc((size_t)n + 1, sizeof(*p->file));
	p->exec = calloc((size_t)n / 10 + 1, sizeof(*p->exec));
	for (int i = 0; i < n; i++) {
		switch (i % 10) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			snprintf(pat, sizeof(pat), "/data/d%03d/f%05d", i % 97, i);
			rule(&p->file[p->n_file++], pat, POLICY_PAT_EXACT, POLICY_DENY, POLICY_OPS_ALL);
			break;
		case 6: case 7: case 8:
			snprintf(pat, sizeof(pat), "/srv/s%05d/", i);
			rule(&p->file[p->n_file++], pat, POLICY_PAT_PREFIX, POLICY_DENY,
			     (1u << POLICY_OP_WRITE) | (1u << POLICY_OP_CREATE));
			break;
		default:
			snprintf(pat, sizeof(pat), "/opt/g%05d/*.conf", i);
			rule(&p->file[p->n_file++], pat, POLICY_PAT_GLOB, POLICY_DENY, 1u << POLICY_OP_READ);
			break;
		}
	}
	for (int i = 0; i < n / 10; i++) {
		snprintf(pat, sizeof(pat), "/usr/local/bin/tool%05d", i);
		rule(&p->exec[p->n_exec++], pat, POLICY_PAT_EXACT, POLICY_DENY, 1u << POLICY_OP_EXEC);
	}
}

static void bench_policy_free(struct policy *p)
{
	free(p->file);
	free(p->exec);
}

/* The entry a container of policy id gets (flags as the agent sets them). */
static void bench_entry(struct bh_cg_policy *ent, uint32_t id)
{
	memset(ent, 0, sizeof(*ent));
	ent->policy_id = id;
	ent->flags = BH_CGP_FILE | (id >= 10 ? BH_CGP_EXEC : 0);
}

/* cgid >= 0 with n: the old one-policy setup; cgid < 0: setup-all. */
static int setup(const char *pin, uint64_t cgid, int n, int all)
{
	struct enforce_opts eo = { .pin_dir = pin };
	struct file_opts fo = { .mode = FILE_MODE_LSM };
	struct file_lower_stats st = { 0 };
	static const int sizes[] = { 10, 100, 1000 };
	struct policy p;
	struct bh_cg_policy ent;
	struct enforce *e;
	struct file_enf *f;
	char err[512];
	int gen, ret = 1;

	e = enforce_open(&eo, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "file_bench: %s\n", err);
		return 1;
	}
	f = file_open(e, &fo, err, sizeof(err));
	if (!f) {
		fprintf(stderr, "file_bench: %s\n", err);
		enforce_close(e);
		return 1;
	}
	gen = enforce_begin(e);
	if (gen < 0)
		goto out;
	for (int i = 0; i < (all ? 3 : 1); i++) {
		int k = all ? sizes[i] : n;

		if (k <= 0)
			continue;
		bench_policy(&p, all ? (uint32_t)k : 1, k);
		if (file_lower_policy(file_maps_of(f), (uint32_t)gen, &p, &st)) {
			fprintf(stderr, "file_bench: lowering %d rules failed\n", k);
			bench_policy_free(&p);
			enforce_abort(e);
			goto out;
		}
		bench_policy_free(&p);
		if (!all) {
			bench_entry(&ent, 1);
			ent.flags = BH_CGP_FILE | (k >= 10 ? BH_CGP_EXEC : 0);
			enforce_txn_assign(e, cgid, &ent);
		}
	}
	if (enforce_commit(e))
		goto out;
	printf("rules %d: %u trie entries, %u globs\n", all ? 1110 : n, st.nodes, st.globs);
	ret = 0;
out:
	file_close(f, false);	/* links and maps stay pinned */
	enforce_close(e);
	return ret;
}

/* The cgroup's entry in the generation in force: policy id (0: none). */
static int assign(const char *pin, uint64_t cgid, uint32_t id)
{
	struct enforce_opts eo = { .pin_dir = pin };
	struct bh_cg_policy ent;
	struct enforce *e;
	char err[512];
	int r;

	e = enforce_open(&eo, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "file_bench: %s\n", err);
		return 1;
	}
	bench_entry(&ent, id);
	r = enforce_assign(e, cgid, id ? &ent : NULL, NULL);
	enforce_close(e);
	return r ? 1 : 0;
}

static int set_mode(int fd, const struct bpf_map_info *info, void *ctx)
{
	return enforce_memo_write(fd, *(__u32 *)ctx) ? -1 : 0;
}

static int add_stats(int fd, const struct bpf_map_info *info, void *ctx)
{
	unsigned long long *sum = ctx;
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*v)) : NULL;

	if (!v)
		return -1;
	for (__u32 k = 0; k < BH_MEMO_STATS; k++)
		if (!bpf_map_lookup_elem(fd, &k, v))
			for (int c = 0; c < ncpu; c++)
				sum[k] += v[c];
	free(v);
	return 0;
}

static int memo_mode(const char *m, int count)
{
	__u32 mode = (!strcmp(m, "off") ? BH_MEMO_OFF : BH_MEMO_ON) | (count ? BH_MEMO_COUNT_HITS : 0);

	return map_each_named("bh_memo_ctl", set_mode, &mode) > 0 ? 0 : 1;
}

static int memo_stats(void)
{
	unsigned long long s[BH_MEMO_STATS] = { 0 };

	map_each_named("bh_fmemo_stats", add_stats, s);
	printf("%llu %llu %llu %llu\n", s[BH_MEMO_STAT(BH_MH_OPEN, BH_MS_HIT)],
	       s[BH_MEMO_STAT(BH_MH_OPEN, BH_MS_MISS)], s[BH_MEMO_STAT(BH_MH_EXEC, BH_MS_HIT)],
	       s[BH_MEMO_STAT(BH_MH_EXEC, BH_MS_MISS)]);
	return 0;
}

static int mkfiles(const char *dir, long n)
{
	char path[4096];

	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "file_bench: mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "x\n", 2) != 2) {
			fprintf(stderr, "file_bench: %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}

static int open_each(const char *dir, long n)
{
	char path[4096];
	uint64_t t = 0;

	for (long i = 0; i < n; i++) {
		uint64_t t0;
		int fd;

		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		t0 = now_ns();
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "file_bench: open %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
		t += now_ns() - t0;
	}
	printf("%.1f\n", (double)t / (double)n);
	return 0;
}

static int exec_each(const char *dir, long n)
{
	char path[4096];
	uint64_t t = 0;

	for (long i = 0; i < n; i++) {
		uint64_t t0;
		pid_t pid;
		int st;

		snprintf(path, sizeof(path), "%s/b%ld", dir, i);
		t0 = now_ns();
		pid = fork();
		if (pid == 0) {
			execl(path, path, (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "file_bench: exec %s failed\n", path);
			return 1;
		}
		t += now_ns() - t0;
	}
	printf("%.1f\n", (double)t / (double)n);
	return 0;
}

static int empty(const char *pin)
{
	struct enforce_opts eo = { .pin_dir = pin };
	struct file_opts fo = { .mode = FILE_MODE_BENCH_EMPTY };
	struct enforce *e;
	struct file_enf *f;
	char err[512];

	e = enforce_open(&eo, err, sizeof(err));
	f = e ? file_open(e, &fo, err, sizeof(err)) : NULL;
	if (!f) {
		fprintf(stderr, "file_bench: %s\n", err);
		enforce_close(e);
		return 1;
	}
	file_close(f, false);
	enforce_close(e);
	return 0;
}

static int open_loop(const char *path, long count)
{
	uint64_t t0 = now_ns();

	for (long i = 0; i < count; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0) {
			fprintf(stderr, "file_bench: open %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	printf("%.1f\n", (double)(now_ns() - t0) / (double)count);
	return 0;
}

static int exec_loop(const char *prog, long count)
{
	uint64_t t0 = now_ns();

	for (long i = 0; i < count; i++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "file_bench: exec %s failed\n", prog);
			return 1;
		}
	}
	printf("%.1f\n", (double)(now_ns() - t0) / (double)count);
	return 0;
}

static int prog_stats(const char *name)
{
	uint64_t cnt = 0, ns = 0;
	__u32 id = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, name, sizeof(info.name) - 1)) {
			cnt += info.run_cnt;
			ns += info.run_time_ns;
		}
		close(fd);
	}
	printf("%llu %llu\n", (unsigned long long)cnt, (unsigned long long)ns);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "setup"))
		return setup(argv[2], strtoull(argv[3], NULL, 10), atoi(argv[4]), 0);
	if (argc == 3 && !strcmp(argv[1], "setup-all"))
		return setup(argv[2], 0, 0, 1);
	if (argc == 5 && !strcmp(argv[1], "assign"))
		return assign(argv[2], strtoull(argv[3], NULL, 10), (uint32_t)atoi(argv[4]));
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "memo-mode"))
		return memo_mode(argv[2], argc == 4 && !strcmp(argv[3], "count"));
	if (argc == 2 && !strcmp(argv[1], "memo-stats"))
		return memo_stats();
	if (argc == 4 && !strcmp(argv[1], "mkfiles"))
		return mkfiles(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "open-each"))
		return open_each(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "exec-each"))
		return exec_each(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "empty"))
		return empty(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "open-loop"))
		return open_loop(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "exec-loop"))
		return exec_loop(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "prog-stats"))
		return prog_stats(argv[2]);
	fprintf(stderr, "usage: file_bench setup PIN CGROUP_ID N | empty PIN | open-loop PATH COUNT | "
		"exec-loop PROG COUNT | prog-stats NAME | setup-all PIN | assign PIN CGROUP_ID ID | "
		"memo-mode on|off [count] | memo-stats | mkfiles DIR N | open-each DIR N | exec-each DIR N\n");
	return 2;
}
