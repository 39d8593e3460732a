/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Escape signals, the userspace half of bpf/escape.bpf.c: loads and attaches
 * the tracepoints (those this kernel has), fills the name table, keeps the
 * kernel's clock offset current, and checks each ring-buffer record
 * (bpf/abi/escape.h) as hostile input before the rules see it.
 */
#ifndef BULKHEAD_DETECT_ESCAPE_H
#define BULKHEAD_DETECT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/escape.h"

struct escape_opts {
	const char *btf_path;		/* NULL: the running kernel's */
	uint32_t agent_tgid;		/* protected from signals (0: none) */
	uint64_t root_cgroup_id;	/* the cgroup2 root's id */
	const char *proc;		/* NULL: /proc (the host's namespaces from PROC/1/ns) */
	int shared_task_fd;		/* a pinned bh_esc_task to share (the LSM guard's), or -1 */
	const char *pin_dir;		/* the enforcement pins (container policies: kills), or NULL */
};

struct escape_bpf;
struct escape_sensor;

/* Open, configure, load, attach. NULL with a one-line reason in err. */
struct escape_sensor *escape_open(const struct escape_opts *o, char *err, size_t errlen);
int escape_ringbuf_fd(const struct escape_sensor *s);
/* The task-storage map of armed tasks (to share with another object). */
int escape_task_fd(const struct escape_sensor *s);
/* The lost-record maps (telemetry/lost.h). */
void escape_lost_fds(const struct escape_sensor *s, int *per_cgroup, int *total);
/* Signals this kernel cannot report (tracepoints missing), ", "-separated, "" if none. */
const char *escape_missing(const struct escape_sensor *s);
/* realtime - boot time changed (clock_sync): the kernel compares file times with starts. */
void escape_clock(struct escape_sensor *s, uint64_t real_minus_boot_ns);
/* Protections killed for a container the agent has not classified yet (the NodeDefault's). */
void escape_kill_default(struct escape_sensor *s, uint32_t protections);
/* Does this sensor see the enforcement core's container policies (kills possible)? */
bool escape_can_kill(const struct escape_sensor *s);
void escape_close(struct escape_sensor *s);

/* A record checked: sizes, kind, signal range, string lengths (NUL-terminated copies). */
struct escape_record {
	const struct bh_esc_event *e;
	char str[2][BH_ESC_STR_MAX + 1];
	uint32_t n_chain;
};
/* 0, or -1 for a malformed record. */
int escape_decode(const void *data, size_t size, struct escape_record *r);

#endif
