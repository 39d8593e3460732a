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

#include "enforce/enforce.h"
#include "enforce/file.h"
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

static int setup(const char *pin, uint64_t cgid, int n)
{
	struct enforce_opts eo = { .pin_dir = pin };
	struct file_opts fo = { .mode = FILE_MODE_LSM };
	struct file_lower_stats st = { 0 };
	struct policy p;
	struct bh_cg_policy ent = { 0 };
	struct enforce *e;
	struct file_enf *f;
	char err[512], pat[128];
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
	memset(&p, 0, sizeof(p));
	p.id = 1;
	snprintf(p.name, sizeof(p.name), "bench");
	p.file = calloc((size_t)n + 1, sizeof(*p.file));
	p.exec = calloc((size_t)n / 10 + 1, sizeof(*p.exec));
	for (int i = 0; i < n; i++) {
		switch (i % 10) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			snprintf(pat, sizeof(pat), "/data/d%03d/f%05d", i % 97, i);
			rule(&p.file[p.n_file++], pat, POLICY_PAT_EXACT, POLICY_DENY, POLICY_OPS_ALL);
			break;
		case 6: case 7: case 8:
			snprintf(pat, sizeof(pat), "/srv/s%05d/", i);
			rule(&p.file[p.n_file++], pat, POLICY_PAT_PREFIX, POLICY_DENY,
			     (1u << POLICY_OP_WRITE) | (1u << POLICY_OP_CREATE));
			break;
		default:
			snprintf(pat, sizeof(pat), "/opt/g%05d/*.conf", i);
			rule(&p.file[p.n_file++], pat, POLICY_PAT_GLOB, POLICY_DENY, 1u << POLICY_OP_READ);
			break;
		}
	}
	for (int i = 0; i < n / 10; i++) {
		snprintf(pat, sizeof(pat), "/usr/local/bin/tool%05d", i);
		rule(&p.exec[p.n_exec++], pat, POLICY_PAT_EXACT, POLICY_DENY, 1u << POLICY_OP_EXEC);
	}
	gen = enforce_begin(e);
	if (gen < 0)
		goto out;
	if (n > 0) {
		if (file_lower_policy(file_maps_of(f), (uint32_t)gen, &p, &st)) {
			fprintf(stderr, "file_bench: lowering %d rules failed\n", n);
			enforce_abort(e);
			goto out;
		}
		ent.policy_id = 1;
		ent.flags = BH_CGP_FILE | (p.n_exec ? BH_CGP_EXEC : 0);
		enforce_txn_assign(e, cgid, &ent);
	}
	if (enforce_commit(e))
		goto out;
	printf("rules %d: %u trie entries, %u globs\n", n, st.nodes, st.globs);
	ret = 0;
out:
	free(p.file);
	free(p.exec);
	file_close(f, false);	/* links and maps stay pinned */
	enforce_close(e);
	return ret;
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
		return setup(argv[2], strtoull(argv[3], NULL, 10), atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "empty"))
		return empty(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "open-loop"))
		return open_loop(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "exec-loop"))
		return exec_loop(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "prog-stats"))
		return prog_stats(argv[2]);
	fprintf(stderr, "usage: file_bench setup PIN CGROUP_ID N | empty PIN | open-loop PATH COUNT | "
		"exec-loop PROG COUNT | prog-stats NAME\n");
	return 2;
}
