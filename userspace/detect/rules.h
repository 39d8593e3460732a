/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The escape rules: one row per rule (rules.c, rule_table), each naming its
 * category, severity, MITRE ATT&CK technique, the spec.escape protection that
 * turns it on, its one-line summary and the evidence it carries. A kernel
 * signal (bpf/abi/escape.h) or an exec seen by process telemetry is turned
 * into at most one rule with its evidence by rules_classify(); the engine
 * (detect.c) does the rest: policy, deduplication, the alert.
 */
#ifndef BULKHEAD_DETECT_RULES_H
#define BULKHEAD_DETECT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/escape.h"
#include "pipeline/alert.h"

enum rule_id {
	R_NONE = 0,
	R_MOUNT_SENSITIVE, R_MOUNT, R_UMOUNT, R_PIVOT_ROOT, R_MOUNT_API,
	R_SETNS_HOST, R_SETNS_OTHER, R_SETNS, R_UNSHARE_USERNS, R_UNSHARE, R_CLONE_NS,
	R_MODULE_LOAD, R_MODULE_REQUEST, R_MODULE_TOOL, R_BPF,
	R_PERF_EVENT, R_PACKET_SOCKET, R_KALLSYMS,
	R_USERFAULTFD, R_KEYCTL, R_IO_URING, R_SETUID_ATTEMPT, R_CAPSET, R_SETUID_EXEC,
	R_PTRACE_HOST, R_PTRACE_OTHER, R_PTRACE, R_PROCESS_VM, R_PROC_MEM,
	R_OPEN_BY_HANDLE, R_FILELESS_EXEC, R_RUNTIME_SOCKET,
	R_CORE_PATTERN, R_MODPROBE_PATH, R_UEVENT_HELPER, R_SYSRQ, R_RELEASE_AGENT, R_LD_PRELOAD,
	R_KCORE, R_MEMDEV, R_BLOCK_DEVICE, R_DEVICE_NODE,
	R_CGROUP_ESCAPE, R_REVERSE_SHELL, R_SOCKET_SHELL, R_DRIFT,
	R_HOST_NAMESPACE, R_CAP_GAIN, R_ROOT_GAIN, R_TAMPER,
	R_COUNT
};

struct rule {
	const char *name;		/* stable, kebab-case: the alert's "rule" */
	uint8_t category;		/* enum alert_category */
	uint8_t severity;		/* enum alert_severity */
	int8_t policy_bit;		/* enum policy_escape_bit, -1: always on */
	enum rule_id covered_by;	/* suppressed when that rule fired for the container lately */
	const char *technique;		/* MITRE ATT&CK */
	const char *summary;		/* {key} is replaced by that evidence's value */
};

extern const struct rule rule_table[R_COUNT];

/* Where the target of a record (a pid, a namespace) lives, as the engine resolved it. */
enum rule_target { TARGET_UNKNOWN = 0, TARGET_SAME, TARGET_OTHER, TARGET_HOST };

/*
 * The rule a checked kernel record stands for, with its evidence added to a,
 * or R_NONE (not an attack: e.g. a propagation-only mount, a unix socket that
 * is no runtime's). target: the record's target, resolved by the caller.
 */
enum rule_id rules_classify(const struct escape_record *r, enum rule_target target,
			    struct event_alert *a);

/* The rule an exec of this binary name (its last component) stands for, or R_NONE. */
enum rule_id rules_classify_exec(const char *base, struct event_alert *a);

/* a->summary from the rule's template and a's evidence. */
void rules_summary(const struct rule *r, struct event_alert *a);

#endif
