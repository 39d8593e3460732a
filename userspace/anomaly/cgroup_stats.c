// SPDX-License-Identifier: GPL-2.0
/* A container's cgroup files, sampled. See cgroup_stats.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "anomaly/cgroup_stats.h"

#define SMALL_FILE 4096
#define NET_DEV_MAX 16384

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at *p (at least one), overflow checked; *p moves past them. */
static int take_u64(const char **p, const char *end, uint64_t *v)
{
	uint64_t x = 0;
	const char *s = *p;

	if (s >= end || !is_digit(*s))
		return -1;
	while (s < end && is_digit(*s)) {
		unsigned d = (unsigned)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		s++;
	}
	*p = s;
	*v = x;
	return 0;
}

int cg_parse_u64(const char *buf, size_t len, uint64_t *v)
{
	const char *p = buf, *end = buf + len;

	if (take_u64(&p, end, v))
		return -1;
	if (p < end && *p == '\n')
		p++;
	return p == end ? 0 : -1;
}

int cg_parse_max(const char *buf, size_t len, uint64_t *v)
{
	if ((len == 3 || (len == 4 && buf[3] == '\n')) && !memcmp(buf, "max", 3)) {
		*v = CG_UNLIMITED;
		return 0;
	}
	return cg_parse_u64(buf, len, v);
}

int cg_parse_keyed(const char *buf, size_t len, const char *key, uint64_t *v)
{
	const char *p = buf, *end = buf + len;
	size_t klen = strlen(key);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) > klen + 1 && !memcmp(p, key, klen) && p[klen] == ' ') {
			const char *q = p + klen + 1;

			if (take_u64(&q, le, v) || q != le)
				return -1;
			return 0;
		}
		p = nl ? nl + 1 : end;
	}
	return -1;
}

int cg_parse_cpu_max(const char *buf, size_t len, uint64_t *pct)
{
	const char *p = buf, *end = buf + len;
	uint64_t quota, period;
	bool unlimited = false;

	if (len >= 4 && !memcmp(buf, "max ", 4)) {
		unlimited = true;
		p += 4;
	} else {
		if (take_u64(&p, end, &quota) || p >= end || *p != ' ')
			return -1;
		p++;
	}
	if (take_u64(&p, end, &period) || period == 0)
		return -1;
	if (p < end && *p == '\n')
		p++;
	if (p != end)
		return -1;
	*pct = unlimited ? 0 : quota > UINT64_MAX / 100 ? UINT64_MAX / period : quota * 100 / period;
	if (!unlimited && *pct == 0)
		*pct = 1;
	return 0;
}

int cg_parse_psi(const char *buf, size_t len, double *avg10)
{
	const char *p = buf, *end = buf + len;
	uint64_t ip, fp = 0;
	int fdigits = 0;

	if (len < 11 || memcmp(p, "some avg10=", 11))
		return -1;
	p += 11;
	if (take_u64(&p, end, &ip) || ip > 100)
		return -1;
	if (p < end && *p == '.') {
		p++;
		while (p < end && is_digit(*p) && fdigits < 2) {
			fp = fp * 10 + (uint64_t)(*p - '0');
			p++;
			fdigits++;
		}
		if (!fdigits)
			return -1;
	}
	if (p >= end || *p != ' ')
		return -1;
	*avg10 = (double)ip + (fdigits == 2 ? (double)fp / 100 : fdigits == 1 ? (double)fp / 10 : 0);
	return 0;
}

/*
 * Inter-|   Receive                                                |  Transmit
 *  face |bytes    packets errs drop fifo frame compressed multicast|bytes ...
 *     lo:  1234  ...
 */
int cg_parse_net_dev(const char *buf, size_t len, uint64_t *tx)
{
	const char *p = buf, *end = buf + len;
	uint64_t total = 0;
	int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p, *name, *colon;
		uint64_t f[9];

		line++;
		p = nl ? nl + 1 : end;
		if (line <= 2 || q == le)
			continue;	/* the two header lines */
		while (q < le && *q == ' ')
			q++;
		name = q;
		colon = memchr(q, ':', (size_t)(le - q));
		if (!colon || colon == name)
			return -1;
		q = colon + 1;
		for (int i = 0; i < 9; i++) {	/* 8 receive fields, then tx bytes */
			while (q < le && *q == ' ')
				q++;
			if (take_u64(&q, le, &f[i]))
				return -1;
		}
		if (colon - name == 2 && !memcmp(name, "lo", 2))
			continue;
		if (total > UINT64_MAX - f[8])
			return -1;
		total += f[8];
	}
	if (line < 2)
		return -1;
	*tx = total;
	return 0;
}

/* Read a whole small file: -1 if missing, unreadable or larger than cap - 1. */
static ssize_t read_bounded(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got < cap) {
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got >= cap)
		return -1;	/* larger than any honest one */
	buf[got] = '\0';
	return (ssize_t)got;
}

static int read_file(const char *root, const char *rel, const char *name, char *buf, size_t cap,
		     ssize_t *len)
{
	char path[PATH_MAX];

	if (!root[0])
		return -1;
	if (snprintf(path, sizeof(path), "%s%s/%s", root, rel, name) >= (int)sizeof(path))
		return -1;
	*len = read_bounded(path, buf, cap);
	return *len < 0 ? -1 : 0;
}

static int file_u64(const char *root, const char *rel, const char *name, bool allow_max, uint64_t *v)
{
	char buf[64];
	ssize_t n;

	if (read_file(root, rel, name, buf, sizeof(buf), &n))
		return -1;
	return allow_max ? cg_parse_max(buf, (size_t)n, v) : cg_parse_u64(buf, (size_t)n, v);
}

static int file_keyed(const char *root, const char *rel, const char *name, const char *key, uint64_t *v)
{
	char buf[SMALL_FILE];
	ssize_t n;

	if (read_file(root, rel, name, buf, sizeof(buf), &n))
		return -1;
	return cg_parse_keyed(buf, (size_t)n, key, v);
}

static int file_psi(const char *root, const char *rel, const char *name, double *v)
{
	char buf[512];
	ssize_t n;

	if (read_file(root, rel, name, buf, sizeof(buf), &n))
		return -1;
	return cg_parse_psi(buf, (size_t)n, v);
}

int cg_roots_init(struct cg_roots *r, const char *cgroup2)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[1024];
	struct stat st;

	memset(r, 0, sizeof(*r));
	snprintf(r->v2, sizeof(r->v2), "%s", cgroup2 ? cgroup2 : "");
	if (!stat("/proc/self/ns/net", &st))
		r->host_netns = st.st_ino;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[256], type[32], opts[512];

		if (sscanf(line, "%255s %255s %31s %511s", dev, dir, type, opts) != 4 || strcmp(type, "cgroup"))
			continue;
		/* opts: rw,nosuid,...,cpu,cpuacct */
		for (char *save = NULL, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			if (!strcmp(o, "cpuacct") && !r->cpuacct[0])
				snprintf(r->cpuacct, sizeof(r->cpuacct), "%s", dir);
			else if (!strcmp(o, "cpu") && !r->cpu[0])
				snprintf(r->cpu, sizeof(r->cpu), "%s", dir);
			else if (!strcmp(o, "memory") && !r->memory[0])
				snprintf(r->memory, sizeof(r->memory), "%s", dir);
			else if (!strcmp(o, "pids") && !r->pids[0])
				snprintf(r->pids, sizeof(r->pids), "%s", dir);
		}
	}
	fclose(f);
	/* memory in a v1 hierarchy: v2's memory.current exists nowhere below the root. */
	if (r->memory[0]) {
		char c[300];
		FILE *cf;

		snprintf(c, sizeof(c), "%s/cgroup.controllers", r->v2);
		if ((cf = fopen(c, "re"))) {
			char line[512] = "";

			if (!fgets(line, sizeof(line), cf) || !strstr(line, "memory"))
				r->mem_v1 = true;
			fclose(cf);
		}
	}
	return 0;
}

uint32_t cg_first_pid(const struct cg_roots *r, const char *rel)
{
	char buf[64];
	ssize_t n;
	uint64_t v;
	char path[PATH_MAX];
	int fd;
	const char *nl;

	/* Only the first line is wanted: a bomb's cgroup.procs may be long. */
	if (snprintf(path, sizeof(path), "%s%s/cgroup.procs", r->v2, rel) >= (int)sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	nl = memchr(buf, '\n', (size_t)n);
	if (!nl || cg_parse_u64(buf, (size_t)(nl - buf), &v) || v == 0 || v > INT32_MAX)
		return 0;
	return (uint32_t)v;
}

bool cg_own_netns(const struct cg_roots *r, uint32_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	return !stat(path, &st) && st.st_ino != r->host_netns;
}

static int net_tx(const struct cg_roots *r, uint32_t pid, uint64_t *tx)
{
	char path[64], *buf;
	ssize_t n;
	int ret;

	(void)r;
	snprintf(path, sizeof(path), "/proc/%u/net/dev", pid);
	if (!(buf = malloc(NET_DEV_MAX)))
		return -1;
	n = read_bounded(path, buf, NET_DEV_MAX);
	ret = n < 0 ? -1 : cg_parse_net_dev(buf, (size_t)n, tx);
	free(buf);
	return ret;
}

uint32_t cg_stats_read(const struct cg_roots *r, const char *rel, uint32_t pid, uint32_t what,
		       struct cg_sample *s)
{
	uint64_t v, period;
	uint32_t have = 0;

	if (what & CG_READ_CPU) {
		if (!file_keyed(r->v2, rel, "cpu.stat", "usage_usec", &s->cpu_usec))
			have |= CG_READ_CPU;
		else if (!file_u64(r->cpuacct, rel, "cpuacct.usage", false, &v)) {
			s->cpu_usec = v / 1000;
			have |= CG_READ_CPU;
		}
	}
	if (what & CG_READ_MEM) {
		/* v2 where the controller is on, else v1: remembered per root. */
		if (!r->mem_v1 && !file_u64(r->v2, rel, "memory.current", false, &s->mem_current))
			have |= CG_READ_MEM;
		else if (!file_u64(r->memory, rel, "memory.usage_in_bytes", false, &s->mem_current))
			have |= CG_READ_MEM;
	}
	if (what & CG_READ_LIMITS) {
		char buf[64];
		ssize_t n;

		s->mem_max = CG_UNLIMITED;
		s->cpu_quota_pct = 0;
		s->pids_max = CG_UNLIMITED;
		if (!file_u64(r->v2, rel, "memory.max", true, &s->mem_max) ||
		    !file_u64(r->memory, rel, "memory.limit_in_bytes", false, &s->mem_max))
			have |= CG_READ_LIMITS;
		/* v1 says "no limit" with a huge page-aligned number. */
		if (s->mem_max >= (1ull << 60))
			s->mem_max = CG_UNLIMITED;
		if (!read_file(r->v2, rel, "cpu.max", buf, sizeof(buf), &n))
			cg_parse_cpu_max(buf, (size_t)n, &s->cpu_quota_pct);
		else if (!read_file(r->cpu, rel, "cpu.cfs_quota_us", buf, sizeof(buf), &n) &&
			 !(n >= 2 && buf[0] == '-') && !cg_parse_u64(buf, (size_t)n, &v) &&
			 !file_u64(r->cpu, rel, "cpu.cfs_period_us", false, &period) && period)
			s->cpu_quota_pct = v * 100 / period ? v * 100 / period : 1;
		if (!file_u64(r->v2, rel, "pids.max", true, &s->pids_max))
			;
		else
			file_u64(r->pids, rel, "pids.max", true, &s->pids_max);
	}
	if (what & CG_READ_OOM) {
		if (!file_keyed(r->v2, rel, "memory.events", "oom_kill", &s->oom_kills) ||
		    !file_keyed(r->memory, rel, "memory.oom_control", "oom_kill", &s->oom_kills))
			have |= CG_READ_OOM;
	}
	if (what & CG_READ_PIDS) {
		if (!file_u64(r->v2, rel, "pids.current", false, &s->pids_current) ||
		    !file_u64(r->pids, rel, "pids.current", false, &s->pids_current))
			have |= CG_READ_PIDS;
	}
	if (what & CG_READ_PSI) {
		if (!file_psi(r->v2, rel, "cpu.pressure", &s->psi_cpu))
			have |= CG_READ_PSI;
	}
	if ((what & CG_READ_NET) && pid && !net_tx(r, pid, &s->net_tx_bytes))
		have |= CG_READ_NET;
	s->have = have;
	return have;
}
