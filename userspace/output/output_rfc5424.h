/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syslog messages for the syslog sinks (output_syslog.c, output_remote.c):
 * RFC 5424 text, the severity of an event, and the structured data that
 * carries the container and the rule.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME bulkhead PROCID MSGID [SD...] MSG
 *
 *   PRI        facility * 8 + severity (rfc5424_severity())
 *   TIMESTAMP  the event's time, RFC 3339 UTC, microseconds (the RFC allows 6 digits)
 *   MSGID      the event kind: exec, fork, exit, net, lost, ...
 *   SD         [event@32473 kind= action=] [container@32473 namespace= pod= name= id=
 *              cgroup_id= runtime= image=] [rule@32473 policy= rule=]
 *              [process@32473 pid= comm= exe=] [net@32473 ...] [lost@32473 count= ring=]
 *              (32473 is the documentation enterprise number of RFC 5612: a placeholder
 *              until the project registers its own; BH_SD_PEN)
 *   MSG        the event as the same JSON object the JSON output writes
 *
 * PARAM-VALUEs escape '"', '\' and ']' with a backslash (RFC 5424 6.3.3);
 * control characters become '?' and invalid UTF-8 U+FFFD, so a message
 * never contains a newline (the queue separates messages with '\n').
 */
#ifndef BULKHEAD_OUTPUT_RFC5424_H
#define BULKHEAD_OUTPUT_RFC5424_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"
#include "pipeline/event.h"
#include "output/output.h"

#define BH_SD_PEN		"32473"
#define RFC5424_MSG_MAX		8192	/* longer messages lose the end of MSG */

/* RFC 5424 severities (the same values as LOG_EMERG..LOG_DEBUG). */
enum rfc5424_sev {
	SEV_EMERG = 0, SEV_ALERT, SEV_CRIT, SEV_ERR, SEV_WARNING, SEV_NOTICE, SEV_INFO, SEV_DEBUG,
};

/* alert -> crit, deny -> warning, audit -> notice, allow/observe -> info. */
enum rfc5424_sev rfc5424_severity(const struct event *ev);

/* Append s as a PARAM-VALUE body (without the quotes), escaped and sanitized. */
void rfc5424_escape_value(struct sbuf *b, const char *s, size_t n);

/* What the header needs besides the event: set once at start. */
struct rfc5424_origin {
	char hostname[256];	/* PRINTUSASCII, "-" if unknown */
	char procid[16];
	int facility;		/* LOG_DAEMON, LOG_LOCAL0, ... (already shifted, as syslog.h) */
};
void rfc5424_origin_init(struct rfc5424_origin *o, int facility);

/*
 * The structured data of an event (or of a loss report when ev is NULL and
 * lost is set), appended to b. Used by the local sink too, whose header is
 * syslog(3)'s.
 */
void rfc5424_sd(struct sbuf *b, const struct event *ev, const struct output_lost *lost);

/*
 * A whole RFC 5424 message (no framing, no newline) appended to b:
 * header, SD, then msg (the JSON object) truncated so that the message is
 * at most RFC5424_MSG_MAX bytes.
 */
void rfc5424_format(struct sbuf *b, const struct rfc5424_origin *o, enum rfc5424_sev sev,
		    uint64_t time_ns, const char *msgid, const struct event *ev,
		    const struct output_lost *lost, const char *msg, size_t msglen);

#endif
