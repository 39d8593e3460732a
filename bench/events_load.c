// SPDX-License-Identifier: GPL-2.0
/*
 * The events benchmark's workload: WORKERS processes each vfork+exec PROGRAM
 * and wait for it, SPAWNS times in total, as fast as they can or at RATE
 * spawns per second overall. Every spawn is one fork, one exec and one exit
 * (and the opens of PROGRAM's dynamic loader). Prints what it did:
 *   spawns N seconds S rate R
 *
 *   events_load -n SPAWNS [-j WORKERS] [-r RATE] PROGRAM
 *   events_load -n SPAWNS [-j WORKERS] -f       fork and exit only (no exec): the
 *                                               highest process-event rate there is
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fork_only;

static int worker(const char *prog, long n, double rate)
{
	char *argv[] = { (char *)prog, NULL };
	double t0 = now();

	for (long i = 0; i < n; i++) {
		pid_t pid;
		int st;

		if (rate > 0) {
			double due = t0 + (double)i / rate, t = now();

			if (due > t)
				usleep((useconds_t)((due - t) * 1e6));
		}
		if (fork_only) {
			pid = fork();
			if (pid == 0)
				_exit(0);
		} else {
			pid = vfork();
			if (pid == 0) {
				execve(prog, argv, environ);
				_exit(127);
			}
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "events_load: spawn %ld failed\n", i);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = 10000, workers = 1;
	double rate = 0, t0, t;
	int c, fail = 0;

	while ((c = getopt(argc, argv, "n:j:r:f")) != -1) {
		switch (c) {
		case 'f': fork_only = 1; break;
		case 'n': n = atol(optarg); break;
		case 'j': workers = atol(optarg); break;
		case 'r': rate = atof(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - !fork_only || n <= 0 || workers <= 0 || workers > 64)
		goto usage;
	t0 = now();
	for (long w = 0; w < workers; w++) {
		long share = n / workers + (w < n % workers);

		if (fork() == 0)
			_exit(worker(fork_only ? NULL : argv[optind], share, rate / (double)workers));
	}
	for (long w = 0; w < workers; w++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			fail = 1;
	}
	t = now() - t0;
	printf("spawns %ld seconds %.3f rate %.0f\n", n, t, (double)n / t);
	return fail;
usage:
	fprintf(stderr, "usage: events_load -n SPAWNS [-j WORKERS] [-r RATE] (PROGRAM | -f)\n");
	return 2;
}
