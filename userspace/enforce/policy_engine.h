/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's enforcement side: loads the policy set, lowers it into a new
 * generation of the enforcement maps (userspace/enforce/enforce.c), assigns each
 * container its policy (policy_select() on what the registry knows), and
 * keeps that true as containers come and go (cgroup mkdir/rmdir records of
 * bpf/cgroup.bpf.c, passed on by the agent) and as the policy set is reloaded.
 *
 * Enforcement is loaded only when some policy restricts something the
 * kernel enforces here (the network), or when a previous agent left pinned
 * enforcement to re-adopt. It survives the agent (pinned under pin_dir)
 * unless detach_on_exit is set; `bulkhead unload` removes it.
 */
#ifndef BULKHEAD_POLICY_ENGINE_H
#define BULKHEAD_POLICY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/enforce.h"
#include "enforce/probe.h"

/* bulkhead run's enforcement options (part of struct agent_config). */
struct enforce_config {
	const char *attach_cgroup;	/* --attach-cgroup; NULL: the cgroup2 mount */
	const char *pin_dir;		/* --pin-dir; NULL: BH_PIN_DIR_DEFAULT */
	const char *hold[BH_HOLD_PREFIXES + 1];	/* --hold-new-cgroups, NULL-terminated */
	uint32_t hold_ms;		/* --hold-ms; 0: BH_HOLD_NS_DEFAULT */
	bool detach_on_exit;		/* --detach-on-exit */
	bool no_escape_guard;		/* --no-escape-guard: escape protections never refused by BPF LSM */
};

struct event_sink;
struct registry;
struct ring_buffer;
struct policy_engine;

struct policy_engine_params {
	const struct enforce_config *ec;
	const char *policy_path;
	const char *cgroup2;		/* the cgroup2 mount */
	const char *btf_path;
	uint32_t wakeup_bytes;
	const struct event_sink *sink;	/* where enforcement events go (pipeline/sink.h) */
	struct registry *reg;
	enum bh_mode mode;		/* what probe_mode() decided file and exec rules use */
	const char *no_lsm_why;		/* why not BPF LSM (probe detail), for the messages */
	bool bpf_lsm;			/* BPF LSM programs load and attach (the escape guard needs
					 * only that: not bpf_loop nor bpf_d_path, as file rules do) */
	/* Records of the escape guard's ring (struct bh_esc_event): the rule engine's
	 * handler (detect_escape_handle) and its context; NULL: logged (guard_log_record). */
	int (*escape_cb)(void *ctx, void *data, size_t size);
	void *escape_ctx;
	/* Each load of the policy set, at start and on every reload: sha256 is the set's
	 * digest (struct policy_set.sha256) when it was put in force (or loaded with nothing
	 * for the kernel), NULL when it was refused (errors, or the kernel would not take
	 * it: the set in force stays). NULL: not called. */
	void (*loaded_cb)(void *ctx, const uint8_t *sha256);
	void *loaded_ctx;
};

/*
 * Parse the policy set, load and attach the enforcing programs (re-adopting
 * pinned ones). Returns NULL with err empty when there is nothing to enforce
 * (no policy path, no kernel rules, no pins), NULL with a reason in err on
 * failure (a bad policy file: every error is logged). Nothing new is in force
 * until policy_engine_start().
 */
struct policy_engine *policy_engine_open(const struct policy_engine_params *pp,
					 char *err, size_t errlen);
/* bh_cg_hold, for the cgroup tracer to hold new cgroups in (cgroup_events.c). */
int policy_engine_hold_fd(const struct policy_engine *pe);
/*
 * Put the set in force: lower, commit, and classify every cgroup under the
 * attach cgroup. Call it once the cgroup tracer runs, so that no cgroup made
 * meanwhile is missed. 0, or -1 with a reason in err.
 */
int policy_engine_start(struct policy_engine *pe, char *err, size_t errlen);
/* A cgroup v2 directory made (rel: relative to the cgroup2 mount; NULL: look it up by id). */
void policy_engine_cgroup_mkdir(struct policy_engine *pe, uint64_t id, const char *rel);
void policy_engine_cgroup_rmdir(struct policy_engine *pe, uint64_t id);
/* Add the engine's ring buffers (network and file events) to the agent's reader. */
int policy_engine_add_ringbufs(struct policy_engine *pe, struct ring_buffer *rb);
/* Periodic work (every drain tick): classify new containers, sweep aggregates. */
void policy_engine_tick(struct policy_engine *pe);
/* Do new cgroups wait for their runtime state (then tick every 50 ms, not every second)? */
bool policy_engine_waiting(const struct policy_engine *pe);
/* Load the policy set again; a bad set keeps the one in force. 0 or -1. */
int policy_engine_reload(struct policy_engine *pe);
/* One line for the agent's ready message: "network enforcement under X (N policies)". */
const char *policy_engine_describe(const struct policy_engine *pe);
/* The policy that governs a container in the set in force (NULL: none). */
const struct policy *policy_engine_policy_for(const struct policy_engine *pe,
					      const struct container_info *ci);
/* The escape guard's pinned bh_esc_task (task arming state) to share, or -1 (no guard). */
int policy_engine_esc_task_fd(const struct policy_engine *pe);
/* The escape protections the NodeDefault in force enforces (0: none, or no NodeDefault). */
uint32_t policy_engine_default_esc(const struct policy_engine *pe);
/* The set in force (rule tables dropped), or NULL. */
const struct policy_set *policy_engine_set(const struct policy_engine *pe);
void policy_engine_close(struct policy_engine *pe);

#endif
