/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroup lifecycle, the userspace half of bpf/cgroup.bpf.c: loads and
 * attaches tp_btf/cgroup_mkdir and cgroup_rmdir and decodes their records
 * (bpf/abi/cgroup.h) into the mkdir() / rmdir() of the struct cgroup_listener
 * it is given (pipeline/sink.h); the agent's keep container attribution
 * (attrib/attrib.c) and enforcement (enforce/policy_engine.c) current. With enforcement, new cgroups below
 * the hold prefixes are held in the kernel until classified.
 */
#ifndef BULKHEAD_CGROUP_EVENTS_H
#define BULKHEAD_CGROUP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_events_opts {
	const char *btf_path;		/* NULL: the running kernel's */
	/* cgroup paths (relative to the cgroup2 mount, "/kubepods") whose new
	 * descendants are held until classified once enforcement runs
	 * (cgroup_events_hold()); NULL-terminated, at most BH_HOLD_PREFIXES.
	 * NULL: none. */
	const char *const *hold_prefixes;
	uint64_t hold_ns;		/* 0: BH_HOLD_NS_DEFAULT */
};

struct cgroup_events;

/* Open, configure, load, attach. NULL with a one-line reason in err. */
struct cgroup_events *cgroup_events_open(const struct cgroup_events_opts *o, char *err, size_t errlen);
/*
 * Enforcement runs: from now on, hold new cgroups below the hold prefixes in
 * hold_fd, the enforcement core's bh_cg_hold. 0, or -1 with a reason in err.
 */
int cgroup_events_hold(struct cgroup_events *c, int hold_fd, char *err, size_t errlen);
int cgroup_events_ringbuf_fd(const struct cgroup_events *c);
/* The lost-record maps (per cgroup, total): bpf/lib/bulkhead.bpf.h. */
int cgroup_events_lost_fds(const struct cgroup_events *c, int *per_cgroup, int *total);
/* ring_buffer_sample_fn: ctx is the struct cgroup_listener (pipeline/sink.h). */
int cgroup_events_handle(void *ctx, void *data, size_t size);
void cgroup_events_close(struct cgroup_events *c);

#endif
