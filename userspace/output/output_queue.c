// SPDX-License-Identifier: GPL-2.0
/* A bounded two-class queue and the writer thread of one sink. See output_queue.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "output/output_queue.h"

struct output_queue {
	char name[96];
	const struct oq_sink_ops *ops;
	void *sink;
	pthread_t thr;
	bool started;

	pthread_mutex_t mu;
	pthread_cond_t cv;		/* the writer waits here */
	struct oq_buf fill[OQ_NCLASS];	/* the loop appends here */
	size_t inflight[OQ_NCLASS];	/* bytes the writer holds, not yet delivered */
	size_t lent[OQ_NCLASS];		/* bytes in the fill buffer the loop has borrowed */
	uint64_t woken_ms;		/* when the writer was last woken for telemetry */
	bool tel_unwoken;		/* telemetry waits that the writer was not woken for */
	size_t wake_bytes;
	bool stop, reopen;
	uint64_t stop_at_ms;		/* CLOCK_MONOTONIC */
	struct oq_stats st;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wait_until(struct output_queue *q, uint64_t at_ms)
{
	struct timespec ts = { .tv_sec = at_ms / 1000, .tv_nsec = (long)(at_ms % 1000) * 1000000L };

	pthread_cond_timedwait(&q->cv, &q->mu, &ts);
}

struct output_queue *oq_new(const char *name, const struct oq_sink_ops *ops, void *sink,
			    size_t alert_bytes, size_t telemetry_bytes)
{
	struct output_queue *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;

	if (!q)
		return NULL;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->ops = ops;
	q->sink = sink;
	q->st.limit[OQ_ALERT] = alert_bytes;
	q->st.limit[OQ_TELEMETRY] = telemetry_bytes;
	q->wake_bytes = telemetry_bytes / 4 < OQ_WAKE_BYTES ? telemetry_bytes / 4 : OQ_WAKE_BYTES;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

const char *oq_name(const struct output_queue *q)
{
	return q->name;
}

/* Room for len more bytes in the class's fill buffer, within its budget (mutex held). */
static int make_room(struct output_queue *q, enum oq_class cls, size_t len)
{
	struct oq_buf *b = &q->fill[cls];
	size_t cap;
	char *nb;

	if (b->len + len > q->st.limit[cls])
		return -ENOSPC;
	if (b->len + len <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64 << 10;
	while (cap < b->len + len)
		cap *= 2;
	if (cap > q->st.limit[cls])
		cap = q->st.limit[cls];
	nb = realloc(b->data, cap);
	if (!nb)
		return -ENOMEM;
	b->data = nb;
	b->cap = cap;
	return 0;
}

/* Bytes were added to the class's fill buffer (mutex held). */
static void added(struct output_queue *q, enum oq_class cls)
{
	if (cls == OQ_ALERT)
		pthread_cond_signal(&q->cv);
	else
		q->tel_unwoken = true;
}

int oq_push2(struct output_queue *q, enum oq_class cls, const void *a, size_t alen,
	     const void *b2, size_t blen)
{
	struct oq_buf *b = &q->fill[cls];
	int err;

	pthread_mutex_lock(&q->mu);
	err = make_room(q, cls, alen + blen);
	if (err) {
		q->st.dropped[cls]++;
	} else {
		memcpy(b->data + b->len, a, alen);
		if (blen)
			memcpy(b->data + b->len + alen, b2, blen);
		b->len += alen + blen;
		q->st.queued[cls]++;
		added(q, cls);
	}
	pthread_mutex_unlock(&q->mu);
	return err;
}

int oq_push(struct output_queue *q, enum oq_class cls, const void *msg, size_t len)
{
	return oq_push2(q, cls, msg, len, NULL, 0);
}

void oq_borrow(struct output_queue *q, enum oq_class cls, struct oq_buf *b)
{
	pthread_mutex_lock(&q->mu);
	*b = q->fill[cls];
	memset(&q->fill[cls], 0, sizeof(q->fill[cls]));
	q->lent[cls] = b->len;
	pthread_mutex_unlock(&q->mu);
}

void oq_give_back(struct output_queue *q, enum oq_class cls, struct oq_buf *b, uint64_t nmsgs)
{
	struct oq_buf *f = &q->fill[cls];
	size_t before;

	pthread_mutex_lock(&q->mu);
	before = q->lent[cls];
	/* The writer leaves fill alone while it is lent: it is still empty, unless
	 * oq_push() was used meanwhile; those messages stay, after the borrower's. */
	if (f->len) {
		char *nb = realloc(b->data, b->len + f->len);

		if (nb) {
			memcpy(nb + b->len, f->data, f->len);
			b->data = nb;
			b->len += f->len;
			b->cap = b->len;
		} else {
			q->st.dropped[cls]++;
		}
	}
	free(f->data);
	*f = *b;
	q->lent[cls] = 0;
	q->st.queued[cls] += nmsgs;
	if (f->len > before)
		added(q, cls);
	pthread_mutex_unlock(&q->mu);
	memset(b, 0, sizeof(*b));
}

size_t oq_limit(const struct output_queue *q, enum oq_class cls)
{
	return q->st.limit[cls];
}

void oq_count_dropped(struct output_queue *q, enum oq_class cls, uint64_t n)
{
	pthread_mutex_lock(&q->mu);
	q->st.dropped[cls] += n;
	pthread_mutex_unlock(&q->mu);
}

void oq_kick(struct output_queue *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->fill[OQ_ALERT].len || q->fill[OQ_TELEMETRY].len)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void oq_nudge(struct output_queue *q)
{
	size_t n;
	uint64_t now;

	pthread_mutex_lock(&q->mu);
	n = q->fill[OQ_TELEMETRY].len;
	if (n && q->tel_unwoken) {
		now = mono_ms();
		if (n >= q->wake_bytes || now - q->woken_ms >= OQ_WAKE_MS) {
			pthread_cond_signal(&q->cv);
			q->woken_ms = now;
			q->tel_unwoken = false;
		}
	}
	pthread_mutex_unlock(&q->mu);
}

uint64_t oq_due_ms(struct output_queue *q)
{
	uint64_t due = UINT64_MAX;

	pthread_mutex_lock(&q->mu);
	if (q->fill[OQ_TELEMETRY].len && q->tel_unwoken)
		due = q->woken_ms + OQ_WAKE_MS;
	pthread_mutex_unlock(&q->mu);
	return due;
}

void oq_request_reopen(struct output_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->reopen = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void oq_get_stats(struct output_queue *q, struct oq_stats *st)
{
	pthread_mutex_lock(&q->mu);
	*st = q->st;
	for (int c = 0; c < OQ_NCLASS; c++)
		st->queued_bytes[c] = q->fill[c].len + q->lent[c] + q->inflight[c];
	pthread_mutex_unlock(&q->mu);
}

static void swap_buf(struct oq_buf *a, struct oq_buf *b)
{
	struct oq_buf t = *a;

	*a = *b;
	*b = t;
}

static void *writer_main(void *arg)
{
	struct output_queue *q = arg;
	struct oq_buf d[OQ_NCLASS] = { 0 };	/* what the writer is sending */
	bool open = false, failing = false;
	unsigned backoff = 0;
	uint64_t retry_at = 0;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		bool pending;
		uint64_t now;
		int c;
		long n;

		for (c = 0; c < OQ_NCLASS; c++) {
			if (d[c].off == d[c].len && q->fill[c].len) {
				swap_buf(&d[c], &q->fill[c]);
				q->fill[c].len = 0;
				d[c].off = 0;
				if (c == OQ_TELEMETRY)
					q->tel_unwoken = false;
			}
			q->inflight[c] = d[c].len - d[c].off;
		}
		pending = d[OQ_ALERT].off < d[OQ_ALERT].len || d[OQ_TELEMETRY].off < d[OQ_TELEMETRY].len;
		now = mono_ms();
		if (q->stop && (!pending || now >= q->stop_at_ms))
			break;
		if (q->reopen) {
			q->reopen = false;
			if (open && q->ops->reopen) {
				pthread_mutex_unlock(&q->mu);
				q->ops->reopen(q->sink);
				pthread_mutex_lock(&q->mu);
			}
			continue;
		}
		if (!pending) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		if (retry_at && now < retry_at) {
			wait_until(q, q->stop && q->stop_at_ms < retry_at ? q->stop_at_ms : retry_at);
			continue;
		}
		pthread_mutex_unlock(&q->mu);

		n = 0;
		c = d[OQ_ALERT].off < d[OQ_ALERT].len ? OQ_ALERT : OQ_TELEMETRY;
		if (!open) {
			n = q->ops->open(q->sink);
			if (n == 0) {
				open = true;
				if (failing)
					log_info("output %s: back up, sending %zu queued bytes", q->name,
						 (d[0].len - d[0].off) + (d[1].len - d[1].off));
			}
		}
		if (open) {
			size_t len = d[c].len - d[c].off;

			n = q->ops->deliver(q->sink, c, d[c].data + d[c].off,
					    len > OQ_CHUNK_MAX ? OQ_CHUNK_MAX : len);
			if (n == 0)
				n = -EIO;
		}
		if (n < 0) {
			if (!failing)
				log_warn("output %s: %s; keeping the queue, retrying with backoff", q->name,
					 strerror((int)-n));
			if (open)
				q->ops->close(q->sink);
			open = false;
		}

		pthread_mutex_lock(&q->mu);
		if (n > 0) {
			d[c].off += (size_t)n;
			q->st.delivered_bytes += (size_t)n;
			if (failing)
				q->st.reconnects++;
			failing = false;
			backoff = 0;
			retry_at = 0;
			q->st.up = true;
		} else {
			q->st.errors++;
			q->st.up = false;
			failing = true;
			backoff = backoff ? backoff * 2 : OQ_BACKOFF_MIN_MS;
			if (backoff > OQ_BACKOFF_MAX_MS)
				backoff = OQ_BACKOFF_MAX_MS;
			retry_at = mono_ms() + backoff;
		}
	}
	for (int c = 0; c < OQ_NCLASS; c++) {
		q->st.dropped_exit[c] += (d[c].len - d[c].off) + q->fill[c].len;
		q->inflight[c] = 0;
	}
	pthread_mutex_unlock(&q->mu);
	if (open)
		q->ops->close(q->sink);
	for (int c = 0; c < OQ_NCLASS; c++)
		free(d[c].data);
	return NULL;
}

int oq_start(struct output_queue *q)
{
	sigset_t all, old;
	int err;

	/* Signals are the event loop's (signalfd): the writer takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&q->thr, NULL, writer_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (err)
		return -err;
	q->started = true;
	return 0;
}

void oq_free(struct output_queue *q, unsigned deadline_ms)
{
	struct timespec ts;

	if (!q)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		q->stop_at_ms = mono_ms() + deadline_ms;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		/* A write(2) stuck on a pipe nobody reads cannot be interrupted:
		 * past the deadline, leave the thread (we are exiting). */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += deadline_ms / 1000 + 2;
		if (pthread_timedjoin_np(q->thr, NULL, &ts)) {
			log_warn("output %s: writer stuck in a write at exit; abandoning it", q->name);
			return;
		}
		if (q->st.dropped_exit[OQ_ALERT] || q->st.dropped_exit[OQ_TELEMETRY])
			log_warn("output %s: gave up at exit with %llu alert and %llu telemetry bytes unsent",
				 q->name, (unsigned long long)q->st.dropped_exit[OQ_ALERT],
				 (unsigned long long)q->st.dropped_exit[OQ_TELEMETRY]);
	}
	if (q->ops->destroy)
		q->ops->destroy(q->sink);
	for (int c = 0; c < OQ_NCLASS; c++)
		free(q->fill[c].data);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}
