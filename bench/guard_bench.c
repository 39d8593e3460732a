// SPDX-License-Identifier: GPL-2.0
/*
 * The escape guard's benchmark helper (make guard-bench, part of make bench; run in
 * the guest by bench/guard_bench.sh). Static: it also runs inside a busybox container.
 *
 *   guard_bench on PIN CGROUP2 ATTACH      load the guard (BPF LSM), links and maps pinned
 *                                          under PIN, every protection but setuidExec
 *                                          refused for containers below ATTACH (the
 *                                          NodeDefault's); `bulkhead unload` removes it
 *   guard_bench open-loop PATH COUNT       ns per open()+close() of PATH
 *   guard_bench exec-loop PROG COUNT       ns per fork()+execve(PROG)+wait()
 *   guard_bench connect-loop DIR COUNT     ns per connect()+close() to a unix stream socket
 *                                          in DIR (a listener forked here accepts)
 *   guard_bench prog-stats PREFIX          "run_cnt run_time_ns" of the loaded programs
 *                                          whose name starts with PREFIX (bpf_stats_enabled)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/guard.h"
#include "policy/policy.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on(const char *pin, const char *cg2, const char *attach)
{
	struct enforce_opts eo = { .pin_dir = pin };
	struct guard_opts go = { .cgroup2 = cg2, .attach_cgroup = attach, .default_esc = POLICY_ESC_DEFAULT };
	struct enforce *e;
	struct guard *g;
	char err[512];

	e = enforce_open(&eo, err, sizeof(err));
	g = e ? guard_open(e, &go, err, sizeof(err)) : NULL;
	if (!g) {
		fprintf(stderr, "guard_bench: %s\n", err);
		enforce_close(e);
		return 1;
	}
	guard_close(g, false);	/* links and maps stay pinned: the guard keeps refusing */
	enforce_close(e);
	return 0;
}

static int open_loop(const char *path, long count)
{
	uint64_t t0 = now_ns();

	for (long i = 0; i < count; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			return fprintf(stderr, "guard_bench: open %s: %s\n", path, strerror(errno)), 1;
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
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return fprintf(stderr, "guard_bench: exec %s failed\n", prog), 1;
	}
	printf("%.1f\n", (double)(now_ns() - t0) / (double)count);
	return 0;
}

static int connect_loop(const char *dir, long count)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l, st;
	pid_t pid;
	uint64_t t0;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/gb-%d.sock", dir, getpid());
	unlink(a.sun_path);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 512))
		return fprintf(stderr, "guard_bench: listen %s: %s\n", a.sun_path, strerror(errno)), 1;
	pid = fork();
	if (pid == 0) {
		for (;;) {
			int c = accept(l, NULL, NULL);

			if (c >= 0)
				close(c);
		}
	}
	close(l);
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a))) {
			fprintf(stderr, "guard_bench: connect %s: %s\n", a.sun_path, strerror(errno));
			kill(pid, SIGKILL);
			return 1;
		}
		close(s);
	}
	printf("%.1f\n", (double)(now_ns() - t0) / (double)count);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	unlink(a.sun_path);
	return 0;
}

static int prog_stats(const char *prefix)
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
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, prefix, strlen(prefix))) {
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
	if (argc == 5 && !strcmp(argv[1], "on"))
		return on(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "open-loop"))
		return open_loop(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "exec-loop"))
		return exec_loop(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "connect-loop"))
		return connect_loop(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "prog-stats"))
		return prog_stats(argv[2]);
	fprintf(stderr, "usage: guard_bench on PIN CGROUP2 ATTACH | open-loop PATH N | exec-loop PROG N | "
		"connect-loop DIR N | prog-stats PREFIX\n");
	return 2;
}
