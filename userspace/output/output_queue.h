/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One output sink: a bounded queue filled by the event loop and a writer
 * thread that empties it, so that a slow or dead output (a full disk, a
 * stdout pipe nobody reads, a syslog server that is down) never stalls the
 * ring-buffer consumers.
 *
 * Two classes of messages, each with its own byte budget:
 *   OQ_ALERT      decisions and alerts (deny, audit, alert) and loss reports
 *   OQ_TELEMETRY  ordinary events (action "observe")
 * The writer always sends queued alerts first. When the telemetry queue is
 * full, new telemetry is dropped; telemetry can never use the alerts' budget,
 * so an alert is dropped only when the alert queue itself is full (an output
 * down for longer than its queue holds). Every drop is counted.
 *
 * Messages are framed by the sink: the queue only keeps bytes, and tells the
 * sink's deliver() how much it may send in one go. A sink that fails keeps
 * its unsent bytes and is retried with exponential backoff (reconnect).
 *
 * Memory per sink is bounded by 2 x (alert + telemetry budget): the fill
 * buffers the loop appends to, and the buffers the writer is sending from.
 *
 * Waking the writer costs a context switch (tens of microseconds on a VM),
 * so telemetry is written in large batches: alerts wake the writer at once,
 * telemetry (oq_nudge(), at the end of the loop's batch) when OQ_WAKE_BYTES
 * are waiting (a quarter of the budget if that is less), and otherwise at
 * most every OQ_WAKE_MS: the loop nudges again by oq_due_ms().
 */
#ifndef BULKHEAD_OUTPUT_QUEUE_H
#define BULKHEAD_OUTPUT_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum oq_class { OQ_ALERT = 0, OQ_TELEMETRY = 1, OQ_NCLASS = 2 };

#define OQ_BACKOFF_MIN_MS	100
#define OQ_BACKOFF_MAX_MS	30000
#define OQ_CHUNK_MAX		(256u << 10)	/* most bytes handed to deliver() at once */
#define OQ_WAKE_BYTES		(1u << 20)	/* telemetry that wakes the writer at once ... */
#define OQ_WAKE_MS		200		/* ... else at most this often */

struct oq_buf {
	char *data;
	size_t len, cap, off;	/* off: bytes already delivered (writer side) */
};

struct oq_stats {
	uint64_t queued[OQ_NCLASS];		/* messages accepted */
	uint64_t dropped[OQ_NCLASS];		/* messages refused: queue full */
	uint64_t dropped_exit[OQ_NCLASS];	/* bytes abandoned at exit (sink down) */
	uint64_t delivered_bytes;
	uint64_t errors;			/* failed deliver() calls */
	uint64_t reconnects;			/* successful (re)opens after a failure */
	size_t queued_bytes[OQ_NCLASS];		/* waiting right now */
	size_t limit[OQ_NCLASS];
	bool up;				/* last deliver() succeeded */
};

struct output_queue;

/*
 * The sink's half, called on the writer thread only.
 *   open:    (re)connect / (re)open; 0 or -errno. Called before the first
 *            deliver and after every failure (with backoff in between).
 *   deliver: send some of buf[0..len) (whole messages); returns the bytes
 *            consumed (>0), or -errno (the sink is then closed and reopened).
 *   reopen:  SIGHUP (files): reopen in place; may be NULL.
 *   close:   release the connection/file; called at exit and after failures.
 *   destroy: free the sink itself (after the writer has stopped); may be NULL.
 */
struct oq_sink_ops {
	int (*open)(void *sink);
	long (*deliver)(void *sink, enum oq_class cls, const char *buf, size_t len);
	int (*reopen)(void *sink);
	void (*close)(void *sink);
	void (*destroy)(void *sink);
};

struct output_queue *oq_new(const char *name, const struct oq_sink_ops *ops, void *sink,
			    size_t alert_bytes, size_t telemetry_bytes);
/* Start the writer thread. 0 or -errno. */
int oq_start(struct output_queue *q);

/*
 * Loop thread: append one message (already framed). Returns 0, or -ENOSPC
 * when the class's queue is full (the message is dropped and counted).
 */
int oq_push(struct output_queue *q, enum oq_class cls, const void *msg, size_t len);
/* The same, for a message in two parts (a line and its newline). */
int oq_push2(struct output_queue *q, enum oq_class cls, const void *a, size_t alen,
	     const void *b, size_t blen);
/*
 * Loop thread: borrow the class's fill buffer to append messages to it in
 * place (no lock, no copy per message), and give it back with nmsgs more
 * messages in it. Meanwhile the writer does not see it (it keeps sending
 * what it took before); the caller keeps b->len within oq_limit(). The
 * buffer may be grown with realloc().
 */
void oq_borrow(struct output_queue *q, enum oq_class cls, struct oq_buf *b);
void oq_give_back(struct output_queue *q, enum oq_class cls, struct oq_buf *b, uint64_t nmsgs);
size_t oq_limit(const struct output_queue *q, enum oq_class cls);
/* Loop thread: messages the caller dropped for this queue (the buffer it borrowed was full). */
void oq_count_dropped(struct output_queue *q, enum oq_class cls, uint64_t n);
/* Wake the writer now if anything is queued. */
void oq_kick(struct output_queue *q);
/* Loop thread, end of a batch: wake the writer if telemetry is due (OQ_WAKE_*). */
void oq_nudge(struct output_queue *q);
/* When oq_nudge() will wake the writer for the telemetry waiting now
 * (CLOCK_MONOTONIC ms); UINT64_MAX if none waits unannounced. */
uint64_t oq_due_ms(struct output_queue *q);
/* SIGHUP: ask the writer to reopen (files). */
void oq_request_reopen(struct output_queue *q);

void oq_get_stats(struct output_queue *q, struct oq_stats *st);
const char *oq_name(const struct output_queue *q);

/*
 * Stop: the writer sends what is queued for up to @deadline_ms, then gives
 * up (what is left is counted in dropped_exit). Joins and frees.
 */
void oq_free(struct output_queue *q, unsigned deadline_ms);

#endif
