// SPDX-License-Identifier: GPL-2.0
/*
 * The event path without the kernel: the events benchmark's records (fork,
 * exec, exit, as bpf/process.bpf.c sends them) decoded and written as JSON
 * lines by the agent's own code (process_decode(), output_emit(), the JSON
 * sink's queue and writer thread), N times, warm. Prints the loop thread's
 * nanoseconds per event: what formatting costs, apart from wake-ups, cold
 * caches and the kernel's copy into the file (the sink writes to FILE,
 * /dev/null by default). For profiles (perf, callgrind) of that path.
 *
 *   events_replay [-n EVENTS] [-o FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "pipeline/event.h"
#include "pipeline/event_json.h"
#include "abi/events.h"
#include "lib/json_writer.h"
#include "output/output.h"
#include "telemetry/process.h"

#define BATCH 4096

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hdr(struct bh_event_hdr *h, uint32_t kind, uint32_t pid, uint32_t ppid, const char *comm)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->ts_boot_ns = now_ns(CLOCK_BOOTTIME);
	h->cgroup_id = 1;
	h->pid = h->tid = pid;
	h->ppid = ppid;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
}

int main(int argc, char **argv)
{
	static struct bh_exec_event ex;
	struct bh_fork_event fk = { 0 };
	struct bh_exit_event xt = { 0 };
	struct container_info host = { .cgroup_id = 1, .host = true, .cgroup_path = "/" };
	struct json_writer cw;
	struct output_config cfg = { .json_path = "/dev/null" };
	struct output *o;
	struct output_sink_info si;
	const char *exe = "/dev/shm/bh-bench-XXXXXX/bhbench_nop";
	char err[256];
	long n = 3000000;
	uint64_t t0, t1, c0, c1;
	size_t exsize;
	int c;

	while ((c = getopt(argc, argv, "n:o:")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'o': cfg.json_path = optarg; break;
		default:
			fprintf(stderr, "usage: events_replay [-n EVENTS] [-o FILE]\n");
			return 2;
		}
	}
	clock_sync();
	hdr(&fk.hdr, BH_EV_FORK, 5173, 5069, "events_load");
	fk.child_pid = fk.child_tid = 5176;
	hdr(&ex.hdr, BH_EV_EXEC, 5176, 5173, "bhbench_nop");
	ex.exe_len = (uint32_t)strlen(exe);
	memcpy(ex.data, exe, ex.exe_len);
	memcpy(ex.data + ex.exe_len, exe, ex.exe_len);		/* argv: the exe, its NUL cut */
	ex.args_len = ex.exe_len;
	exsize = BH_EXEC_HDR_SIZE + ex.exe_len + ex.args_len;
	hdr(&xt.hdr, BH_EV_EXIT, 5176, 5173, "bhbench_nop");
	xt.start_boot_ns = xt.hdr.ts_boot_ns - 1136177;

	json_init(&cw, NULL);
	event_json_container_member(&cw, &host);
	o = output_new(&cfg, err, sizeof(err));
	if (!o) {
		fprintf(stderr, "events_replay: %s\n", err);
		return 1;
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		const void *rec = i % 3 == 0 ? (const void *)&fk : i % 3 == 1 ? (const void *)&ex : (const void *)&xt;
		size_t size = i % 3 == 0 ? sizeof(fk) : i % 3 == 1 ? exsize : sizeof(xt);
		struct event ev;

		if (process_decode(rec, size, &ev)) {
			fprintf(stderr, "events_replay: record %ld does not decode\n", i);
			return 1;
		}
		ev.container = &host;
		ev.container_json = cw.buf;
		ev.container_json_len = cw.len;
		output_emit(o, &ev);
		if (i % BATCH == BATCH - 1) {
			output_flush(o);
			/* Never let the queue fill (a slow writer under valgrind): drops would not be formatted. */
			while (output_sinks(o, &si, 1) && si.queued_bytes[1] > si.limit[1] / 2) {
				output_flush(o);
				usleep(100);
			}
		}
	}
	output_flush(o);
	c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	t1 = now_ns(CLOCK_MONOTONIC);
	printf("events %ld loop-thread %.1f ns/event (wall %.1f ns/event)\n", n, (double)(c1 - c0) / (double)n,
	       (double)(t1 - t0) / (double)n);
	output_sinks(o, &si, 1);
	if (si.dropped[1] || output_stats(o)->dropped)
		printf("events_replay: %llu lines dropped: the figure is not valid\n",
		       (unsigned long long)si.dropped[1]);
	output_free(o);
	json_free(&cw);
	return 0;
}
