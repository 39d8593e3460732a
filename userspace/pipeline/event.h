/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One decoded event, as every output sees it: the kernel record (bpf/abi/events.h)
 * checked and normalized by its decoder (telemetry/, enforce/, detect/, ...), with the
 * container it happened in attached by attribution (attrib/).
 */
#ifndef BULKHEAD_EVENT_H
#define BULKHEAD_EVENT_H

#include <stdint.h>
#include <stddef.h>

#include "pipeline/container.h"
#include "pipeline/alert.h"

enum event_kind {
	EVENT_EXEC,
	EVENT_FORK,
	EVENT_EXIT,
	EVENT_NET,		/* a network denial (or audit), bpf/net.bpf.c */
	EVENT_FILE,		/* a file-rule denial (or audit), bpf/file.bpf.c */
	EVENT_EXEC_DENY,	/* an exec denial (or audit): kind "exec", action deny/audit */
	EVENT_ALERT,		/* a detector fired (detect/, anomaly/): struct event_alert */
};

enum event_action {
	ACTION_OBSERVE,		/* telemetry: nothing was decided */
	ACTION_ALLOW,
	ACTION_AUDIT,		/* would have been denied; allowed by audit mode */
	ACTION_DENY,
	ACTION_ALERT,		/* a detector fired */
	ACTION_RESOLVED,	/* an anomaly episode that an alert opened has ended */
};

struct event_process {
	uint32_t pid, tid, ppid, uid, gid;
	char comm[17];
	const char *exe;	/* NULL when the record has none */
	size_t exe_len;
	const char *args;	/* NUL-separated argv bytes */
	size_t args_len;
	int exe_truncated, args_truncated;
};

/* Of the union, only the member of the event's kind is defined. */
struct event {
	enum event_kind kind;
	enum event_action action;
	uint64_t time_ns;			/* CLOCK_REALTIME, ns */
	const struct container_info *container;
	/* The container's JSON member ("container":{...}) formatted once for all its
	 * events (attrib.c's cache), or NULL: then the outputs format container. */
	const char *container_json;
	size_t container_json_len;
	struct event_process proc;
	union {
		struct { uint32_t child_pid; } fork;
		struct { int32_t code, signal; uint64_t duration_ns; } exit;
		struct event_net {
			uint8_t family;		/* 4 or 6 */
			uint8_t proto;		/* IPPROTO_* */
			uint8_t dir;		/* 0 egress, 1 ingress */
			uint8_t hook;		/* enum bh_net_hook (bpf/abi/net.h) */
			uint8_t held;		/* a new cgroup not classified yet */
			uint8_t raddr[16], laddr[16];	/* IPv4 in [0..3]; laddr zero if unknown */
			uint16_t rport, lport;
			uint32_t count;		/* denials this event stands for (aggregated) */
			uint64_t bytes;		/* of the dropped packets */
			uint32_t policy_id, ref;
			const char *policy;	/* policy name, NULL if unknown */
			const char *rule;	/* "spec.network.egress[0]", NULL if unknown */
		} net;
		struct event_file {	/* EVENT_FILE and EVENT_EXEC_DENY (bpf/abi/file.h) */
			const char *path;	/* as the container sees it; "" if over-long */
			size_t path_len;
			uint8_t op;		/* BH_OP_* (policy_op), BH_OP_MOUNT */
			uint8_t hook;		/* enum bh_file_hook */
			uint16_t flags;		/* BH_FE_* */
			uint32_t suppressed;	/* events of this container suppressed before it */
			uint32_t policy_id, ref;
			const char *policy;	/* policy name, NULL if unknown */
			const char *rule;	/* "spec.file[3]", NULL if unknown */
		} file;
		/* EVENT_ALERT: self-contained (pipeline/alert.h), copied whole when held. */
		const struct event_alert *alert;
	};
};

const char *event_kind_name(enum event_kind k);
const char *event_action_name(enum event_action a);

#endif
