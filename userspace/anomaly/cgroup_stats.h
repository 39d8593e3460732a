/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's sampler of a container's cgroup files, once a second. The
 * cgroup v2 files are read where the controller is enabled in the
 * container's v2 directory; on a hybrid host (v1 controllers, as runc sets
 * them up here) the same relative path is read in each v1 hierarchy:
 *
 *   cpu     v2 cpu.stat usage_usec (always there) | v1 cpuacct.usage (ns)
 *   quota   v2 cpu.max | v1 cpu.cfs_quota_us / cpu.cfs_period_us
 *   memory  v2 memory.current, memory.max | v1 memory.usage_in_bytes, memory.limit_in_bytes
 *   oom     v2 memory.events oom_kill | v1 memory.oom_control oom_kill
 *   pids    v2 pids.current, pids.max | v1 the same names
 *   psi     v2 cpu.pressure, memory.pressure "some avg10" (where the kernel has PSI)
 *   egress  /proc/<pid>/net/dev of a process of the container: bytes sent on
 *           every device but lo, when the container has its own network namespace
 *
 * Every file is hostile input: bounded reads (a file larger than its buffer
 * is refused), strict parsing (digits only, overflow checked), no symlinks.
 */
#ifndef BULKHEAD_ANOMALY_CGROUP_STATS_H
#define BULKHEAD_ANOMALY_CGROUP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CG_UNLIMITED UINT64_MAX

/* Which files to read this time (the slow-changing ones less often). */
enum { CG_READ_CPU = 1, CG_READ_MEM = 2, CG_READ_LIMITS = 4, CG_READ_OOM = 8, CG_READ_PIDS = 16,
       CG_READ_PSI = 32, CG_READ_NET = 64 };

struct cg_sample {
	uint32_t have;			/* CG_READ_* bits that were read */
	uint64_t cpu_usec;		/* cumulative CPU time */
	uint64_t cpu_quota_pct;		/* percent of one CPU the quota allows; 0: none */
	uint64_t mem_current, mem_max;	/* bytes; mem_max CG_UNLIMITED when none */
	uint64_t oom_kills;		/* cumulative */
	uint64_t pids_current, pids_max;
	double psi_cpu, psi_mem;	/* "some" avg10, percent */
	uint64_t net_tx_bytes;		/* cumulative, devices but lo */
};

struct cg_roots {
	char v2[256];			/* cgroup2 mount */
	char cpuacct[256], cpu[256], memory[256], pids[256];	/* v1 mounts, "" if none */
	uint64_t host_netns;		/* inode of the agent's network namespace */
	bool mem_v1;			/* memory is a v1 controller here: skip memory.current */
};

/* Find the v1 hierarchies in /proc/self/mounts. */
int cg_roots_init(struct cg_roots *r, const char *cgroup2);

/* Read what `what` asks for, of the cgroup at rel (relative to the mounts,
 * "/kubepods/..."); pid: a process of it for the network counters (0: none).
 * Returns the CG_READ_* bits that were read. */
uint32_t cg_stats_read(const struct cg_roots *r, const char *rel, uint32_t pid, uint32_t what,
		       struct cg_sample *s);

/* Is pid in a network namespace other than the agent's? */
bool cg_own_netns(const struct cg_roots *r, uint32_t pid);

/* A process of the cgroup (its first in cgroup.procs), 0 if none. */
uint32_t cg_first_pid(const struct cg_roots *r, const char *rel);

/* ---- Parsers (exposed for the unit tests): 0 or -1 ---- */
/* One decimal number, an optional trailing newline, nothing else. */
int cg_parse_u64(const char *buf, size_t len, uint64_t *v);
/* The same, or "max" (CG_UNLIMITED). */
int cg_parse_max(const char *buf, size_t len, uint64_t *v);
/* "key value" lines (cpu.stat, memory.events, memory.oom_control): the value of key. */
int cg_parse_keyed(const char *buf, size_t len, const char *key, uint64_t *v);
/* cpu.max "QUOTA PERIOD" or "max PERIOD": percent of one CPU, 0 for none. */
int cg_parse_cpu_max(const char *buf, size_t len, uint64_t *pct);
/* PSI "some avg10=1.23 avg60=... total=..." : avg10 of the some line. */
int cg_parse_psi(const char *buf, size_t len, double *avg10);
/* /proc/net/dev: bytes transmitted on every device but lo. */
int cg_parse_net_dev(const char *buf, size_t len, uint64_t *tx);

#endif
