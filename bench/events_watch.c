// SPDX-License-Identifier: GPL-2.0
/*
 * The events benchmark's stopwatch: reads a tool's CPU time (cpu.stat
 * usage_usec of the cgroup the tool runs alone in) and the lines of its
 * output file, without starting a process (which would itself be an event
 * for every tool measured).
 *
 *   events_watch idle CGROUP         wait (10 s at most) until the cgroup uses
 *                                    less than 1% of a CPU over 0.2 s
 *   events_watch snap CGROUP FILE    print "usec lines bytes" now
 *   events_watch settle CGROUP FILE BYTES0 SECS
 *                                    poll every 0.1 s until FILE grew by less
 *                                    than a sixteenth of its mean rate during
 *                                    the workload ((bytes now - BYTES0) / SECS)
 *                                    in the last second, or less than 4 KiB:
 *                                    the tool has caught up (other processes
 *                                    on the machine still make a few events);
 *                                    60 s at most. Print "usec lines bytes" as
 *                                    they were at the first poll of that quiet
 *                                    second.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define POLL_MS		100
#define QUIET_POLLS	10		/* one second */
#define QUIET_BYTES	4096
#define SETTLE_POLLS	600
#define IDLE_USEC	2000		/* per 0.2 s: 1% of a CPU */

static void nap(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long long cpu_usec(const char *cg)
{
	char path[4096], buf[4096];
	long long v = -1;
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/cpu.stat", cg);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "usage_usec ");
	if (p)
		v = atoll(p + strlen("usage_usec "));
	return v;
}

static long long file_size(const char *file)
{
	struct stat st;

	return stat(file, &st) ? 0 : (long long)st.st_size;
}

/* Newlines in the first @size bytes of @file. */
static long long lines(const char *file, long long size)
{
	static char buf[1 << 16];
	long long n = 0, left = size;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while (left > 0) {
		ssize_t r = read(fd, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));

		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
		left -= r;
	}
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "idle")) {
		for (int i = 0; i < 50; i++) {
			long long a = cpu_usec(argv[2]), b;

			nap(200);
			b = cpu_usec(argv[2]);
			if (a < 0 || b < 0 || b - a < IDLE_USEC)
				return 0;
		}
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "snap")) {
		long long size = file_size(argv[3]);

		printf("%lld %lld %lld\n", cpu_usec(argv[2]), lines(argv[3], size), size);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "settle")) {
		long long size[QUIET_POLLS + 1], cpu[QUIET_POLLS + 1], size0 = atoll(argv[4]), quiet;
		double secs = atof(argv[5]);
		int i;

		/* A ring of the last second's polls: [i % (QUIET_POLLS + 1)]. */
		for (i = 0; i < SETTLE_POLLS; i++) {
			int k = i % (QUIET_POLLS + 1), first = (i + 1) % (QUIET_POLLS + 1);

			size[k] = file_size(argv[3]);
			cpu[k] = cpu_usec(argv[2]);
			quiet = secs > 0 ? (long long)((double)(size[k] - size0) / secs / 16) : 0;
			if (quiet < QUIET_BYTES)
				quiet = QUIET_BYTES;
			if (i >= QUIET_POLLS && size[k] - size[first] < quiet) {
				printf("%lld %lld %lld\n", cpu[first], lines(argv[3], size[first]), size[first]);
				return 0;
			}
			nap(POLL_MS);
		}
		size[0] = file_size(argv[3]);
		printf("%lld %lld %lld\n", cpu_usec(argv[2]), lines(argv[3], size[0]), size[0]);
		fprintf(stderr, "events_watch: %s never settled\n", argv[3]);
		return 0;
	}
	fprintf(stderr, "usage: events_watch idle CGROUP | snap CGROUP FILE | settle CGROUP FILE BYTES0 SECS\n");
	return 2;
}
