/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The remote syslog sink: RFC 5424 messages (output_rfc5424.h) over UDP
 * (RFC 5426: one message per datagram) or TCP (RFC 6587 octet counting:
 * "LEN SP MSG"). Queued messages are "MSG\n"; the framing is added when
 * sending.
 *
 * A TCP connection that fails (refused, reset, the peer closed it) is closed
 * and reopened with exponential backoff (100 ms doubling to 30 s) while the
 * queue keeps filling up to its budget; the message that was being sent is
 * sent again whole on the new connection. Messages the kernel had accepted
 * on a connection that then died are lost (TCP syslog has no acknowledgement;
 * the peer closing is noticed before each write, which covers a restart).
 * Over UDP a send error (e.g. ICMP port unreachable) is retried the same way.
 */
#ifndef BULKHEAD_OUTPUT_REMOTE_H
#define BULKHEAD_OUTPUT_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "output/output_queue.h"

struct remote_addr {
	bool tcp;
	char host[256];
	char port[8];
};

/* "udp://host:port", "tcp://host:port", "tcp://[::1]:port". 0 or -EINVAL. */
int output_remote_parse(const char *url, struct remote_addr *out);

struct output_queue *output_remote_new(const char *url, size_t alert_bytes,
				       size_t telemetry_bytes, char *err, size_t errlen);

#endif
