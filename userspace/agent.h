/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent: owns the loaded features, the container registry and the
 * outputs, and runs the event loop (epoll over ring buffers, a drain timer
 * and a signalfd). Data flow: bpf/<feature>.bpf.c -> ring buffer ->
 * userspace/<feature>.c decoder -> agent_emit() -> userspace/output.c.
 */
#ifndef BULKHEAD_AGENT_H
#define BULKHEAD_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "policy_engine.h"

#define AGENT_MAX_STATE_ROOTS 16

struct agent_config {
	const char *policy_path;
	const char *json_path;			/* NULL: stdout */
	const char *state_roots[AGENT_MAX_STATE_ROOTS + 1];	/* NULL-terminated */
	const char *cgroup_root;		/* NULL: find the cgroup2 mount */
	const char *btf_path;			/* NULL: /sys/kernel/btf/vmlinux */
	const char *lock_path;
	uint32_t ringbuf_bytes;
	uint32_t wakeup_bytes;
	uint32_t drain_ms;			/* drain period of the ring buffers */
	bool fork_events;
	bool containers_only;
	bool require_lsm;			/* refuse to run without BPF LSM */
	bool verbose;
	struct enforce_config enforce;		/* policy_engine.h */
};

struct agent;

/* Run until SIGINT/SIGTERM. Returns the process exit status. */
int agent_run(const struct agent_config *cfg);

/* For decoders. */
const struct container_info *agent_container(struct agent *a, uint64_t cgroup_id);
void agent_emit(struct agent *a, const struct event *ev);
void agent_count_malformed(struct agent *a);

#endif
