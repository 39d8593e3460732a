// SPDX-License-Identifier: GPL-2.0
/* The outputs: format once, queue per sink. See output.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "lib/clock.h"
#include "pipeline/event_json.h"
#include "lib/json_writer.h"
#include "lib/log.h"
#include "output/output.h"
#include "output/output_json.h"
#include "output/output_queue.h"
#include "output/output_remote.h"
#include "output/output_rfc5424.h"
#include "output/output_syslog.h"
#include "output/output_text.h"

#define MAX_SINKS (2 + OUTPUT_MAX_REMOTE)

enum sink_kind { SINK_JSON, SINK_SYSLOG, SINK_REMOTE };

struct sink {
	enum sink_kind kind;
	const char *type;
	bool telemetry;			/* takes ordinary events too */
	struct output_queue *q;
	uint64_t reported_drops[OQ_NCLASS];
};

struct output {
	struct output_config cfg;
	struct sink sinks[MAX_SINKS];
	size_t nsinks;
	bool want_json_telemetry;	/* some sink formats telemetry as JSON */
	bool tel_json_only;		/* the JSON sink is the only one taking telemetry */
	struct json_writer w;		/* one event at a time: alerts, loss reports */
	/*
	 * Telemetry for the JSON sink is formatted straight into the sink's
	 * queue: its fill buffer is borrowed for a batch (oq_borrow()) and given
	 * back by output_flush(), so an event costs no lock and no copy.
	 */
	struct sink *json;
	struct json_writer stage;	/* writes into the borrowed buffer */
	bool staging;			/* the buffer is borrowed */
	uint64_t stage_lines;		/* lines added to it */
	struct sbuf sb;
	bool text_color;		/* --format text on a terminal: ANSI colours */
	struct rfc5424_origin origin;
	struct output_stats stats;
};

static int add_sink(struct output *o, enum sink_kind kind, const char *type, bool telemetry,
		    struct output_queue *q)
{
	struct sink *s = &o->sinks[o->nsinks++];

	s->kind = kind;
	s->type = type;
	s->telemetry = telemetry;
	s->q = q;
	return 0;
}

struct output *output_new(const struct output_config *cfg, char *err, size_t errlen)
{
	struct output *o = calloc(1, sizeof(*o));
	size_t qa, qt;
	const char *json = cfg->json_path;
	struct output_queue *q;

	if (!o) {
		snprintf(err, errlen, "output: out of memory");
		return NULL;
	}
	o->cfg = *cfg;
	qa = cfg->alert_queue_bytes ? cfg->alert_queue_bytes : OUTPUT_ALERT_QUEUE_DEFAULT;
	qt = cfg->queue_bytes ? cfg->queue_bytes : OUTPUT_QUEUE_DEFAULT;
	json_init(&o->w, NULL);
	json_init(&o->stage, NULL);
	rfc5424_origin_init(&o->origin, cfg->syslog_facility ? cfg->syslog_facility : LOG_DAEMON);
	if (!json && !cfg->syslog_local && !cfg->syslog_remote[0])
		json = "-";	/* no event output chosen: JSON lines on stdout */

	if (json) {
		q = output_json_new(json, qa, qt, err, errlen);
		if (!q)
			goto fail;
		add_sink(o, SINK_JSON, "json", true, q);
		o->want_json_telemetry = true;
		o->json = &o->sinks[o->nsinks - 1];
		o->text_color = cfg->text && !strcmp(json, "-") && output_text_color_wanted(1);
	}
	if (cfg->syslog_local) {
		q = output_syslog_new(qa, qt, err, errlen);
		if (!q)
			goto fail;
		add_sink(o, SINK_SYSLOG, "syslog", cfg->syslog_telemetry, q);
	}
	for (int i = 0; i < OUTPUT_MAX_REMOTE && cfg->syslog_remote[i]; i++) {
		q = output_remote_new(cfg->syslog_remote[i], qa, qt, err, errlen);
		if (!q)
			goto fail;
		add_sink(o, SINK_REMOTE, !strncmp(cfg->syslog_remote[i], "tcp", 3) ? "syslog_tcp" :
			 "syslog_udp", cfg->syslog_telemetry, q);
	}
	if (cfg->syslog_telemetry && o->nsinks)
		o->want_json_telemetry = true;
	o->tel_json_only = o->json && !(cfg->syslog_telemetry && o->nsinks > 1);
	for (size_t i = 0; i < o->nsinks; i++) {
		int e = oq_start(o->sinks[i].q);

		if (e) {
			snprintf(err, errlen, "output: writer thread: %s", strerror(-e));
			goto fail;
		}
	}
	return o;
fail:
	output_free(o);
	return NULL;
}

static void push(struct output *o, struct sink *s, enum oq_class cls, const char *a, size_t alen,
		 const char *b, size_t blen)
{
	if (oq_push2(s->q, cls, a, alen, b, blen)) {
		o->stats.dropped++;
		if (cls == OQ_ALERT)
			o->stats.dropped_alerts++;
	}
}

/*
 * Hand one formatted JSON object (json, without newline) to every sink that
 * takes this class; the JSON sink not if the line is staged for it already.
 */
static void fan_out(struct output *o, enum oq_class cls, enum rfc5424_sev sev, uint64_t time_ns,
		    const char *msgid, const struct event *ev, const struct output_lost *lost,
		    const char *json, size_t len, bool staged)
{
	for (size_t i = 0; i < o->nsinks; i++) {
		struct sink *s = &o->sinks[i];

		if (cls == OQ_TELEMETRY && !s->telemetry)
			continue;
		switch (s->kind) {
		case SINK_JSON:
			if (staged)
				break;
			if (o->cfg.text) {	/* the same event, as a line a person reads */
				o->sb.len = 0;
				output_text_format(&o->sb, json, len, o->text_color);
				if (!o->sb.oom)
					push(o, s, cls, o->sb.data, o->sb.len, NULL, 0);
			} else {
				push(o, s, cls, json, len, "\n", 1);
			}
			break;
		case SINK_SYSLOG:
			o->sb.len = 0;
			output_syslog_format(&o->sb, o->origin.facility, sev, ev, lost, json, len);
			if (!o->sb.oom)
				push(o, s, cls, o->sb.data, o->sb.len, NULL, 0);
			break;
		case SINK_REMOTE:
			o->sb.len = 0;
			rfc5424_format(&o->sb, &o->origin, sev, time_ns, msgid, ev, lost, json, len);
			if (!o->sb.oom)
				push(o, s, cls, o->sb.data, o->sb.len, "\n", 1);
			break;
		}
		if (o->sb.oom) {
			o->stats.write_errors++;
			sbuf_free(&o->sb);
		}
	}
}

static void stage_begin(struct output *o)
{
	struct oq_buf b;

	oq_borrow(o->json->q, OQ_TELEMETRY, &b);
	o->stage.buf = b.data;
	o->stage.len = b.len;
	o->stage.cap = b.cap;
	o->stage.max = oq_limit(o->json->q, OQ_TELEMETRY) + 1;	/* and its NUL */
	o->stage.oom = o->stage.full = false;
	o->stage_lines = 0;
	o->staging = true;
}

static void stage_end(struct output *o)
{
	struct oq_buf b = { .data = o->stage.buf, .len = o->stage.len, .cap = o->stage.cap };

	if (!o->staging)
		return;
	oq_give_back(o->json->q, OQ_TELEMETRY, &b, o->stage_lines);
	o->stage.buf = NULL;
	o->stage.len = o->stage.cap = 0;
	o->staging = false;
}

/* Format ev as a line at the end of the JSON sink's queue; -1 if it was dropped. */
static int stage_line(struct output *o, const struct event *ev, const char **line, size_t *len)
{
	struct json_writer *w = &o->stage;
	size_t start;

	if (!o->staging)
		stage_begin(o);
	start = w->len;
	json_next_document(w);
	event_to_json(w, ev);
	JSON_RAW(w, "\n");
	if (w->oom) {		/* the queue is full (w->max), or out of memory */
		if (w->full)
			o->stats.dropped++;
		else
			o->stats.write_errors++;
		oq_count_dropped(o->json->q, OQ_TELEMETRY, 1);
		w->len = start;
		w->oom = w->full = false;
		return -1;
	}
	o->stage_lines++;
	*line = w->buf + start;
	*len = w->len - start - 1;
	return 0;
}

void output_emit(struct output *o, const struct event *ev)
{
	enum oq_class cls = ev->action == ACTION_OBSERVE ? OQ_TELEMETRY : OQ_ALERT;
	bool staged = cls == OQ_TELEMETRY && o->json && !o->cfg.text;
	const char *line;
	size_t len;

	if (o->cfg.containers_only && (!ev->container || ev->container->host)) {
		o->stats.filtered++;
		return;
	}
	if (cls == OQ_TELEMETRY && !o->want_json_telemetry)
		return;
	if (staged) {
		if (stage_line(o, ev, &line, &len))
			return;
		if (o->tel_json_only) {		/* nothing else to hand it to */
			o->stats.emitted++;
			return;
		}
	} else {
		json_reset(&o->w);
		event_to_json(&o->w, ev);
		if (o->w.oom) {
			o->stats.write_errors++;
			json_free(&o->w);
			return;
		}
		line = o->w.buf;
		len = o->w.len;
	}
	fan_out(o, cls, rfc5424_severity(ev), ev->time_ns, event_kind_name(ev->kind), ev, NULL,
		line, len, staged);
	o->stats.emitted++;
}

void output_lost_json(struct json_writer *w, const struct output_lost *l)
{
	char ts[40];

	clock_format_rfc3339(l->time_ns, ts, sizeof(ts));
	json_begin_object(w);
	json_kv_str(w, "time", ts);
	json_kv_str(w, "kind", "lost");
	json_kv_str(w, "action", "alert");
	event_json_container(w, l->container);
	json_key(w, "lost");
	json_begin_object(w);
	json_kv_u64(w, "records", l->count);
	json_kv_u64(w, "total", l->total);
	json_kv_str(w, "ring", l->ring);
	json_end_object(w);
	json_end_object(w);
}

void output_lost(struct output *o, const struct output_lost *l)
{
	json_reset(&o->w);
	output_lost_json(&o->w, l);
	if (o->w.oom) {
		o->stats.write_errors++;
		json_free(&o->w);
		return;
	}
	fan_out(o, OQ_ALERT, SEV_WARNING, l->time_ns, "lost", NULL, l, o->w.buf, o->w.len, false);
	o->stats.lost_reports++;
}

void output_flush(struct output *o)
{
	if (o->json)
		stage_end(o);
	for (size_t i = 0; i < o->nsinks; i++)
		oq_nudge(o->sinks[i].q);
}

uint64_t output_due_ms(struct output *o)
{
	uint64_t due = UINT64_MAX;

	for (size_t i = 0; i < o->nsinks; i++) {
		uint64_t d = oq_due_ms(o->sinks[i].q);

		if (d < due)
			due = d;
	}
	return due;
}

int output_reopen(struct output *o)
{
	for (size_t i = 0; i < o->nsinks; i++)
		oq_request_reopen(o->sinks[i].q);
	return 0;
}

const struct output_stats *output_stats(struct output *o)
{
	uint64_t errors = 0;
	struct oq_stats st;

	for (size_t i = 0; i < o->nsinks; i++) {
		struct sink *s = &o->sinks[i];

		oq_get_stats(s->q, &st);
		errors += st.errors;
		/* Every drop is said, at most once per call (the agent calls this every few seconds). */
		for (int c = 0; c < OQ_NCLASS; c++) {
			if (st.dropped[c] > s->reported_drops[c])
				log_warn("output %s: queue full: %llu %s messages dropped (total %llu)",
					 oq_name(s->q), (unsigned long long)(st.dropped[c] - s->reported_drops[c]),
					 c == OQ_ALERT ? "alert" : "telemetry", (unsigned long long)st.dropped[c]);
			s->reported_drops[c] = st.dropped[c];
		}
	}
	o->stats.write_errors = errors;
	return &o->stats;
}

size_t output_sinks(struct output *o, struct output_sink_info *out, size_t n)
{
	struct oq_stats st;

	for (size_t i = 0; i < o->nsinks && i < n; i++) {
		struct sink *s = &o->sinks[i];
		struct output_sink_info *si = &out[i];

		oq_get_stats(s->q, &st);
		memset(si, 0, sizeof(*si));
		si->name = oq_name(s->q);
		si->type = s->type;
		for (int c = 0; c < OQ_NCLASS; c++) {
			si->queued[c] = st.queued[c];
			si->dropped[c] = st.dropped[c];
			si->queued_bytes[c] = st.queued_bytes[c];
			si->limit[c] = st.limit[c];
		}
		si->delivered_bytes = st.delivered_bytes;
		si->errors = st.errors;
		si->reconnects = st.reconnects;
		si->up = st.up;
	}
	return o->nsinks;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	if (o->json)
		stage_end(o);
	for (size_t i = 0; i < o->nsinks; i++)
		oq_free(o->sinks[i].q, OUTPUT_EXIT_DEADLINE_MS);
	json_free(&o->w);
	json_free(&o->stage);
	sbuf_free(&o->sb);
	free(o);
}
