/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JSON lines sink: one JSON object per line to stdout or to a file
 * (opened O_APPEND, reopened on SIGHUP so that logrotate can move it away).
 * The lines are formatted by output.c; this is the writer's half.
 */
#ifndef BULKHEAD_OUTPUT_JSON_H
#define BULKHEAD_OUTPUT_JSON_H

#include <stddef.h>

#include "output/output_queue.h"

/* path "-": stdout. The file is opened here, once, so that a bad path is an
 * error at start-up. NULL with a reason in err. */
struct output_queue *output_json_new(const char *path, size_t alert_bytes, size_t telemetry_bytes,
				     char *err, size_t errlen);

#endif
