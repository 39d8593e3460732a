/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where events go. Every decoded event passes through output_emit(), which
 * formats it once (JSON) and hands it to each configured sink's queue:
 *
 *   output_json.c     JSON lines to stdout or a file (reopened on SIGHUP)
 *   output_syslog.c   local syslog through syslog(3)
 *   output_remote.c   remote syslog, RFC 5424 over UDP or TCP (octet counting)
 *
 * Each sink has its own bounded queue and writer thread (output_queue.h):
 * output_emit() never blocks on I/O. Telemetry for the JSON sink is
 * formatted straight into a staging buffer and queued in one block per
 * batch (output_flush()); the writer is woken for it in large batches. Alerts (any action but "observe") and
 * loss reports travel in the alert class of each queue, which the writer
 * sends first and which telemetry cannot fill. Syslog sinks take alerts and
 * loss reports only, unless syslog_telemetry is set.
 */
#ifndef BULKHEAD_OUTPUT_H
#define BULKHEAD_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/event.h"

#define OUTPUT_MAX_REMOTE		4
#define OUTPUT_QUEUE_DEFAULT		(8u << 20)	/* telemetry bytes per sink */
#define OUTPUT_ALERT_QUEUE_DEFAULT	(4u << 20)	/* alert bytes per sink */
#define OUTPUT_EXIT_DEADLINE_MS		2000		/* flushing at exit, per sink */

struct output_config {
	const char *json_path;		/* "-": stdout; NULL: stdout if no other event output */
	bool syslog_local;		/* syslog(3) */
	const char *syslog_remote[OUTPUT_MAX_REMOTE + 1];	/* "udp://host:port", "tcp://host:port" */
	int syslog_facility;		/* LOG_DAEMON, LOG_LOCAL0, ... (syslog.h values) */
	bool syslog_telemetry;		/* syslog also gets ordinary events */
	size_t queue_bytes;		/* telemetry budget per sink; 0: OUTPUT_QUEUE_DEFAULT */
	size_t alert_queue_bytes;	/* alert budget per sink; 0: OUTPUT_ALERT_QUEUE_DEFAULT */
	bool containers_only;		/* drop events of host processes */
	bool text;			/* --format text: the JSON sink writes aligned lines (output_text.h) */
};

/* One lost-record report: the kernel could not reserve ring-buffer space. */
struct output_lost {
	uint64_t time_ns;			/* when the agent noticed, CLOCK_REALTIME */
	const struct container_info *container;	/* never NULL */
	uint64_t count;				/* records lost since the last report */
	uint64_t total;				/* for this container since the agent started */
	const char *ring;			/* "process", "net", ... */
};

struct output_stats {
	uint64_t emitted;		/* events accepted by the outputs */
	uint64_t filtered;		/* events dropped by the filter (containers_only) */
	uint64_t lost_reports;		/* kind "lost" events written */
	uint64_t write_errors;		/* failed writes, all sinks */
	uint64_t dropped;		/* messages refused by full sink queues, all sinks */
	uint64_t dropped_alerts;	/* of which alerts */
};

/* One sink, for metrics. */
struct output_sink_info {
	const char *name;		/* "json:/var/log/x.json", "syslog", "syslog-tcp://..." */
	const char *type;		/* "json", "syslog", "syslog_udp", "syslog_tcp" */
	uint64_t queued[2], dropped[2];	/* [0] alert, [1] telemetry */
	uint64_t delivered_bytes, errors, reconnects;
	size_t queued_bytes[2], limit[2];
	bool up;
};

struct output;

/* NULL with a one-line reason in err (a bad address, a file that cannot be opened). */
struct output *output_new(const struct output_config *cfg, char *err, size_t errlen);
void output_emit(struct output *o, const struct event *ev);
/* A loss report: a kind "lost" event on every output (alert class). */
void output_lost(struct output *o, const struct output_lost *l);
/* Called after each batch: queue the staged telemetry, wake the writers that have enough to write. */
void output_flush(struct output *o);
/* When output_flush() must run again to wake a writer for telemetry held back
 * (CLOCK_MONOTONIC ms; output_queue.h's OQ_WAKE_MS); UINT64_MAX if never. */
uint64_t output_due_ms(struct output *o);
/* SIGHUP: reopen files (logrotate). Old file kept if the new one cannot be opened. */
int output_reopen(struct output *o);
const struct output_stats *output_stats(struct output *o);
/* Sinks for metrics: fills up to n, returns how many there are. */
size_t output_sinks(struct output *o, struct output_sink_info *out, size_t n);
/* Flush (bounded by OUTPUT_EXIT_DEADLINE_MS per sink), stop the writers, free. */
void output_free(struct output *o);

/* The JSON object of a loss report (no newline), as written by the JSON output. */
struct json_writer;
void output_lost_json(struct json_writer *w, const struct output_lost *l);

#endif
