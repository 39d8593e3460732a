// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "lib/map_util.h"
#include "abi/events.h"
#include "pipeline/sink.h"
#include "telemetry/process.h"
#include "process.skel.h"

struct process_tel {
	struct process_bpf *skel;
	int ncpus;
	size_t page;
	const unsigned long *cons, *prod;	/* the ring's positions, mapped read-only */
};

struct process_tel *process_tel_open(const struct process_tel_opts *opts, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_path);
	struct process_tel *p;
	int e;

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "process: out of memory");
		return NULL;
	}
	p->ncpus = libbpf_num_possible_cpus();
	p->skel = process_bpf__open_opts(&oo);
	if (!p->skel) {
		snprintf(err, errlen, "process: cannot open BPF object: %s", strerror(errno));
		goto fail;
	}
	p->skel->rodata->wakeup_bytes = opts->wakeup_bytes;
	p->skel->rodata->emit_fork = opts->fork_events;
	e = bpf_map__set_max_entries(p->skel->maps.bh_proc_rb, opts->ringbuf_bytes);
	if (e) {
		snprintf(err, errlen, "process: ring buffer size %u: %s", opts->ringbuf_bytes, strerror(-e));
		goto fail;
	}
	e = process_bpf__load(p->skel);
	if (e) {
		snprintf(err, errlen, "process: cannot load exec/fork/exit programs: %s "
			 "(run 'bulkhead probe' to see what this kernel lacks)", strerror(-e));
		goto fail;
	}
	e = process_bpf__attach(p->skel);
	if (e) {
		snprintf(err, errlen, "process: cannot attach sched tracepoints "
			 "(tp_btf/sched_process_exec, _fork, _exit): %s", strerror(-e));
		goto fail;
	}
	/* The consumer page, then the producer page (only the first may be writable). */
	p->page = (size_t)sysconf(_SC_PAGESIZE);
	p->cons = mmap(NULL, p->page, PROT_READ, MAP_SHARED, process_tel_ringbuf_fd(p), 0);
	p->prod = mmap(NULL, p->page, PROT_READ, MAP_SHARED, process_tel_ringbuf_fd(p), (off_t)p->page);
	if (p->cons == MAP_FAILED || p->prod == MAP_FAILED) {
		snprintf(err, errlen, "process: cannot map the ring buffer's positions: %s", strerror(errno));
		goto fail;
	}
	return p;
fail:
	process_tel_close(p);
	return NULL;
}

size_t process_tel_backlog(const struct process_tel *p)
{
	return __atomic_load_n(p->prod, __ATOMIC_ACQUIRE) - __atomic_load_n(p->cons, __ATOMIC_RELAXED);
}

int process_tel_ringbuf_fd(const struct process_tel *p)
{
	return bpf_map__fd(p->skel->maps.bh_proc_rb);
}

uint64_t process_tel_lost(const struct process_tel *p)
{
	uint32_t key = BH_LOST_RINGBUF_FULL;
	uint64_t sum;

	map_percpu_sum(bpf_map__fd(p->skel->maps.bh_proc_lost_total), &key, p->ncpus, &sum);
	return sum;
}

void process_tel_lost_fds(const struct process_tel *p, int *per_cgroup, int *total)
{
	*per_cgroup = bpf_map__fd(p->skel->maps.bh_proc_lost);
	*total = bpf_map__fd(p->skel->maps.bh_proc_lost_total);
}

void process_tel_close(struct process_tel *p)
{
	if (!p)
		return;
	if (p->cons && p->cons != MAP_FAILED)
		munmap((void *)p->cons, p->page);
	if (p->prod && p->prod != MAP_FAILED)
		munmap((void *)p->prod, p->page);
	process_bpf__destroy(p->skel);
	free(p);
}

/*
 * Checked decoding: the record's size must match its kind exactly (for exec:
 * the header plus the two lengths it declares, each within its limit).
 */
static bool record_ok(const struct bh_event_hdr *h, size_t size)
{
	switch (h->kind) {
	case BH_EV_EXEC: {
		const struct bh_exec_event *e = (const void *)h;

		return size >= BH_EXEC_HDR_SIZE && e->exe_len < BH_PATH_MAX &&
		       e->args_len <= BH_ARGS_MAX && size == BH_EXEC_HDR_SIZE + e->exe_len + e->args_len;
	}
	case BH_EV_FORK: return size == sizeof(struct bh_fork_event);
	case BH_EV_EXIT: return size == sizeof(struct bh_exit_event);
	}
	return false;
}

/*
 * Every field but the container (the caller's: it needs the agent), and no
 * memset of the whole event per record. The strings point into the record.
 */
int process_decode(const void *data, size_t size, struct event *ev)
{
	const struct bh_event_hdr *h = data;

	if (size < sizeof(*h) || !record_ok(h, size))
		return -1;
	ev->action = ACTION_OBSERVE;
	ev->time_ns = clock_boot_to_real_ns(h->ts_boot_ns);
	ev->proc = (struct event_process){
		.pid = h->pid, .tid = h->tid, .ppid = h->ppid, .uid = h->uid, .gid = h->gid,
	};
	memcpy(ev->proc.comm, h->comm, BH_COMM_LEN);
	ev->proc.comm[BH_COMM_LEN] = '\0';
	switch (h->kind) {
	case BH_EV_EXEC: {
		const struct bh_exec_event *e = data;

		ev->kind = EVENT_EXEC;
		ev->proc.exe = e->data;
		ev->proc.exe_len = strnlen(e->data, e->exe_len);
		ev->proc.args = e->data + e->exe_len;
		ev->proc.args_len = e->args_len;
		ev->proc.exe_truncated = !!(h->flags & BH_F_EXE_TRUNC);
		ev->proc.args_truncated = !!(h->flags & BH_F_ARGS_TRUNC);
		break;
	}
	case BH_EV_FORK: {
		const struct bh_fork_event *e = data;

		ev->kind = EVENT_FORK;
		ev->fork.child_pid = e->child_pid;
		break;
	}
	case BH_EV_EXIT: {
		const struct bh_exit_event *e = data;

		ev->kind = EVENT_EXIT;
		/* wait(2) encoding: low 7 bits the signal, next 8 the exit status. */
		ev->exit.signal = e->exit_code & 0x7f;
		ev->exit.code = (e->exit_code >> 8) & 0xff;
		ev->exit.duration_ns = h->ts_boot_ns > e->start_boot_ns ?
				       h->ts_boot_ns - e->start_boot_ns : 0;
		break;
	}
	}
	return 0;
}

int process_tel_handle(void *ctx, void *data, size_t size)
{
	const struct event_sink *sink = ctx;
	struct event ev;

	if (process_decode(data, size, &ev)) {
		sink_malformed(sink);
		return 0;
	}
	sink_emit(sink, ((const struct bh_event_hdr *)data)->cgroup_id, &ev);
	return 0;
}
