/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The escape guard, userspace half of bpf/guard.bpf.c: loads the BPF LSM
 * programs that refuse escape techniques (and protect bulkhead's own
 * objects and agent) for armed container tasks, pins their links and maps
 * under the enforcement pin directory, and writes the configuration the
 * programs act on (bh_guard_cfg: the host's namespaces, the agent, the pin
 * directory, the protections refused for a container the agent has not
 * classified). Per-container protections travel in bh_cg_policy.esc_enforce,
 * written by policy_engine.c.
 *
 *	struct guard *g = guard_open(e, &opts, err, sizeof(err));
 *	ring_buffer__add(rb, guard_ringbuf_fd(g), detect_escape_handle, det);
 *	guard_set_default(g, POLICY_ESC_ENFORCED(set->node_default));
 *	guard_close(g, detach);
 *
 * Without BPF LSM guard_open() fails with a reason: the tracepoint detector
 * (bpf/escape.bpf.c) then alerts, or kills, instead.
 */
#ifndef BULKHEAD_GUARD_USER_H
#define BULKHEAD_GUARD_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/guard.h"
#include "enforce/enforce.h"

struct guard_opts {
	const char *btf_path;		/* NULL: the running kernel's */
	const char *cgroup2;		/* the cgroup2 mount */
	const char *attach_cgroup;	/* tasks are armed only below it (absolute path) */
	uint32_t default_esc;		/* protections for containers without an entry */
	bool quiet;			/* verifier output only with -v */
};

struct guard;

struct guard *guard_open(struct enforce *e, const struct guard_opts *o, char *err, size_t errlen);
/* detach: unpin and detach the links too (bulkhead run --detach-on-exit). */
void guard_close(struct guard *g, bool detach);

/* The protections refused for a container the agent has not classified. */
int guard_set_default(struct guard *g, uint32_t esc);
int guard_ringbuf_fd(const struct guard *g);
/* bh_esc_task, the pinned per-task arming state (for bpf/escape.bpf.c to reuse). */
int guard_task_fd(const struct guard *g);
const char *guard_describe(const struct guard *g);
/* The hooks that did not attach (one line each in the log): 0 when all did. */
int guard_missing(const struct guard *g);
int guard_stats(const struct guard *g, uint64_t out[BH_GS_COUNT]);

/*
 * bulkhead probe: load the guard's programs (nothing pinned, nothing attached)
 * and say which protections (BH_EP_* bits) this kernel's BPF LSM would refuse.
 * 0, or -errno with the reason in out->detail.
 */
struct guard_probe {
	bool loaded;
	bool self;			/* self-protection's programs all loaded */
	uint32_t refused;		/* BH_EP_* bits */
	int missing;			/* programs the kernel refused */
	char detail[256];
};
int guard_probe(const char *btf_path, struct guard_probe *out);

/* A record of bh_guard_rb as one log line (until the rule engine formats it). */
int guard_log_record(void *ctx, void *data, size_t size);
/* Names, for logs and tests. */
const char *guard_sig_name(uint32_t sig);

#endif
