/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where events go. Every decoded event passes through output_emit(), which
 * fans it out to the configured sinks (JSON lines to stdout or a file now;
 * syslog and Prometheus plug in here).
 */
#ifndef BULKHEAD_OUTPUT_H
#define BULKHEAD_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

struct output_config {
	const char *json_path;		/* NULL or "-": stdout */
	bool containers_only;		/* drop events of host processes */
};

struct output_stats {
	uint64_t emitted;		/* events written */
	uint64_t filtered;		/* events dropped by the filter */
	uint64_t write_errors;		/* events a sink failed to write */
};

struct output;

struct output *output_new(const struct output_config *cfg);
void output_emit(struct output *o, const struct event *ev);
/* Called after each batch: push buffered lines out. */
void output_flush(struct output *o);
/* SIGHUP: reopen files (logrotate). Returns 0 or -1 (old file kept). */
int output_reopen(struct output *o);
const struct output_stats *output_stats(const struct output *o);
void output_free(struct output *o);

#endif
