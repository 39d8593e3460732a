/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace half of bpf/anomaly.bpf.c: loads and attaches its programs,
 * reads a cgroup's per-CPU counters and sketches once a second, and decodes
 * the rare records of bh_anom_rb (OOM victims, listens, shells on the network,
 * first connections) as hostile input.
 */
#ifndef BULKHEAD_ANOMALY_COUNTERS_H
#define BULKHEAD_ANOMALY_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/anomaly.h"

struct anom_counters;

struct anom_counters_opts {
	const char *btf_path;		/* NULL: the running kernel's */
	bool report_connects;		/* first connection to each destination (learning) */
};

/* Summed over CPUs. */
struct anom_kernel_sample {
	uint64_t v[BH_AC_COUNT];
	uint32_t ports, dests;		/* distinct in the last whole second (estimates) */
	uint64_t sketch_sec;		/* which second that was; 0 = none */
	struct { char comm[BH_COMM_LEN + 1]; uint32_t pid; } top[BH_TOP_COUNT];
};

/* A decoded bh_anom_rb record. */
struct anom_record {
	uint32_t rec;			/* enum bh_anom_rec */
	uint64_t cgroup_id;
	uint64_t ts_boot_ns;
	uint32_t pid, ppid, uid;
	char comm[BH_COMM_LEN + 1];
	uint8_t family;			/* 0, 4 or 6 */
	uint16_t port;
	uint8_t addr[16];
	uint32_t fd;
	uint64_t value;
};

struct anom_counters *anom_counters_open(const struct anom_counters_opts *o, char *err, size_t errlen);
void anom_counters_close(struct anom_counters *c);
int anom_counters_ringbuf_fd(const struct anom_counters *c);
void anom_counters_lost_fds(const struct anom_counters *c, int *per_cgroup, int *total);

/* 0, or -1 if the cgroup has no counters (nothing happened in it yet). */
int anom_counters_read(struct anom_counters *c, uint64_t cgroup_id, uint64_t now_boot_s,
		       struct anom_kernel_sample *s);
/* Call fn for each cgroup that has counters (at most max). */
void anom_counters_each(struct anom_counters *c, void (*fn)(void *ctx, uint64_t cgroup_id), void *ctx,
			size_t max);
void anom_counters_forget(struct anom_counters *c, uint64_t cgroup_id);

/* Decode one record: 0, or -1 if malformed. */
int anom_record_decode(const void *data, size_t size, struct anom_record *r);

/* Distinct items from a bitmap of m bits with z zero bits (linear counting). */
uint32_t anom_linear_count(uint32_t m, uint32_t zeros);

#endif
