/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local syslog sink: syslog(3) from the sink's writer thread (a slow
 * syslog daemon blocks that thread, not the event loop). Each queued message
 * is "<PRI>TEXT\n" where TEXT is the structured data (output_rfc5424.h) and
 * the JSON object; syslog(3) adds its own header. syslog(3) reports no
 * errors: a message it could not hand to /dev/log is lost without a count.
 */
#ifndef BULKHEAD_OUTPUT_SYSLOG_H
#define BULKHEAD_OUTPUT_SYSLOG_H

#include <stddef.h>

#include "output/output_queue.h"
#include "output/output_rfc5424.h"

struct output_queue *output_syslog_new(size_t alert_bytes, size_t telemetry_bytes,
				       char *err, size_t errlen);

/* Append one queued message for the local sink to b (with its newline). */
void output_syslog_format(struct sbuf *b, int facility, enum rfc5424_sev sev,
			  const struct event *ev, const struct output_lost *lost,
			  const char *json, size_t json_len);

/* "daemon", "local0".."local7", "user", "auth", "authpriv": the LOG_* value, or -1. */
int output_syslog_facility(const char *name);

#endif
