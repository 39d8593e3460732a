/* SPDX-License-Identifier: GPL-2.0 */
/* A growable text buffer (syslog messages, the metrics exposition). */
#ifndef BULKHEAD_SBUF_H
#define BULKHEAD_SBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialised is empty. After a failed allocation oom is set and every add is dropped. */
struct sbuf {
	char *data;		/* NUL-terminated once anything was added */
	size_t len, cap;
	bool oom;
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);

#endif
