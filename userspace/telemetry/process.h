/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process lifecycle telemetry, the userspace half of bpf/process.bpf.c:
 * loads and attaches the exec/fork/exit programs and decodes their records.
 */
#ifndef BULKHEAD_PROCESS_H
#define BULKHEAD_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct process_tel_opts {
	uint32_t ringbuf_bytes;		/* power of two, >= page size */
	uint32_t wakeup_bytes;		/* wake the agent when this much is waiting */
	bool fork_events;
	const char *btf_path;		/* NULL: the running kernel's */
};

struct process_tel;

/* Open, configure, load, attach. NULL with a one-line reason in err. */
struct process_tel *process_tel_open(const struct process_tel_opts *opts, char *err, size_t errlen);
int process_tel_ringbuf_fd(const struct process_tel *p);
/* Bytes in the ring not consumed yet (records being written included). */
size_t process_tel_backlog(const struct process_tel *p);
/* ring_buffer_sample_fn: ctx is the struct event_sink (pipeline/sink.h) events go to. */
int process_tel_handle(void *ctx, void *data, size_t size);
struct event;
/*
 * One ring-buffer record (bpf/abi/events.h) into ev, checked as hostile input:
 * its size must match its kind (and an exec record's declared lengths). All
 * of ev but the container is set; its strings point into data. 0, or -1 for
 * a malformed record.
 */
int process_decode(const void *data, size_t size, struct event *ev);
/* Records the kernel could not reserve, in total. */
uint64_t process_tel_lost(const struct process_tel *p);
/* The lost-record maps, per cgroup and total (userspace/telemetry/lost.h). */
void process_tel_lost_fds(const struct process_tel *p, int *per_cgroup, int *total);
void process_tel_close(struct process_tel *p);

#endif
