/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent: owns the loaded features, the container registry and the
 * outputs, and runs the event loop (epoll over ring buffers, a one-shot
 * timer for the work due next, a signalfd). Data flow: bpf/<feature>.bpf.c -> ring buffer ->
 * a decoder -> its struct event_sink (pipeline/sink.h, wired here) -> attribution,
 * metrics, outputs.
 */
#ifndef BULKHEAD_AGENT_H
#define BULKHEAD_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline/event.h"
#include "metrics/metrics.h"
#include "output/output.h"
#include "enforce/policy_engine.h"

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
	uint32_t drain_ms;			/* telemetry waits at most this long in its ring */
	bool fork_events;
	bool no_policy_watch;			/* reload on SIGHUP only, not on changes on disk */
	bool containers_only;
	bool require_lsm;			/* refuse to run without BPF LSM */
	bool escape_detection;			/* detect/ (on unless --no-escape-detection) */
	bool verify_at_start;			/* --verify-at-start (enforce/verify_start.c) */
	bool verbose;
	struct enforce_config enforce;		/* policy_engine.h */
	struct output_config output;		/* syslog, queues (json_path, containers_only above) */
	struct metrics_config metrics;		/* --metrics-addr, --bpf-stats */
	uint32_t defer_ms;			/* longest hold of an event for its container (attrib.h) */
	/* anomaly detection (userspace/anomaly/anomaly.h) */
	bool no_anomaly;			/* --no-anomaly */
	const char *anomaly_state;		/* --anomaly-state; NULL: the default path */
	uint32_t anomaly_warmup_s;		/* --anomaly-warmup (tests); 0: the policy's learningWindow */
	uint32_t learn_s;			/* --learn; 0: each policy's spec.anomaly.learn */
};

struct agent;

/* Run until SIGINT/SIGTERM. Returns the process exit status. */
int agent_run(const struct agent_config *cfg);

#endif
