/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus endpoint over HTTP, with libmicrohttpd (its own thread).
 * Requests are hostile: only GET and HEAD of /metrics and /healthz are
 * answered (405 for other methods, 404 for other paths), request bodies are
 * never read, connections are limited in number (total and per address),
 * time (idle timeout) and memory. The handler only copies the exposition
 * text the event loop last rendered (metrics.c): a scrape never reaches
 * into the agent's state.
 *
 * The static binary is linked without libmicrohttpd (Debian ships no static
 * p11-kit, which its static GnuTLS needs): there this file is compiled with
 * BH_NO_MHD (mk/outputs.mk) and metrics_http_start() says so.
 */
#ifndef BULKHEAD_METRICS_HTTP_H
#define BULKHEAD_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_HTTP_MAX_CONN		16
#define METRICS_HTTP_MAX_CONN_PER_IP	4
#define METRICS_HTTP_TIMEOUT_S		10
#define METRICS_HTTP_CONN_MEMORY	(32u << 10)

/* Copy the current exposition: malloc'd text in *buf, its length returned; -1 on failure. */
typedef long (*metrics_http_snapshot_fn)(void *ctx, char **buf);

struct metrics_http;

/* addr "HOST:PORT" or "[V6]:PORT" (numeric addresses). NULL with a reason in err. */
struct metrics_http *metrics_http_start(const char *addr, metrics_http_snapshot_fn fn, void *ctx,
					char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
unsigned metrics_http_port(const struct metrics_http *h);
void metrics_http_stop(struct metrics_http *h);
/* false in a build without libmicrohttpd. */
bool metrics_http_available(void);

#endif
