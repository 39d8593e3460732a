// SPDX-License-Identifier: GPL-2.0
/* RFC 5424 messages for the syslog sinks. See output_rfc5424.h. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output/output_rfc5424.h"
#include "lib/utf8.h"

enum rfc5424_sev rfc5424_severity(const struct event *ev)
{
	if (ev->kind == EVENT_ALERT)	/* detections and refusals alike */
		return ev->action == ACTION_RESOLVED ? SEV_NOTICE : SEV_CRIT;
	switch (ev->action) {
	case ACTION_ALERT: return SEV_CRIT;
	case ACTION_DENY: return SEV_WARNING;
	case ACTION_AUDIT: return SEV_NOTICE;
	case ACTION_RESOLVED: return SEV_NOTICE;
	case ACTION_ALLOW:
	case ACTION_OBSERVE: return SEV_INFO;
	}
	return SEV_INFO;
}

/* ---- escaping ------------------------------------------------------------- */

void rfc5424_escape_value(struct sbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ']') {
			i++;
			run++;
			continue;
		}
		sbuf_add(b, s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\' || c == ']') {
			char esc[2] = { '\\', (char)c };

			sbuf_add(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			sbuf_add(b, "?", 1);
			i++;
		} else if ((l = utf8_seq_len(p + i, n - i))) {
			sbuf_add(b, s + i, l);
			i += l;
		} else {
			sbuf_add(b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	sbuf_add(b, s + i - run, run);
}

static void param(struct sbuf *b, const char *name, const char *v)
{
	if (!v || !v[0])
		return;
	sbuf_addf(b, " %s=\"", name);
	rfc5424_escape_value(b, v, strlen(v));
	sbuf_add(b, "\"", 1);
}

static void param_n(struct sbuf *b, const char *name, const char *v, size_t n)
{
	sbuf_addf(b, " %s=\"", name);
	rfc5424_escape_value(b, v, n);
	sbuf_add(b, "\"", 1);
}

static void param_u(struct sbuf *b, const char *name, uint64_t v)
{
	sbuf_addf(b, " %s=\"%llu\"", name, (unsigned long long)v);
}

/* ---- structured data ------------------------------------------------------ */

static void sd_container(struct sbuf *b, const struct container_info *c)
{
	sbuf_adds(b, "[container@" BH_SD_PEN);
	param_u(b, "cgroup_id", c->cgroup_id);
	sbuf_adds(b, c->host ? " host=\"true\"" : " host=\"false\"");
	if (!c->host) {
		param(b, "namespace", c->ns);
		param(b, "pod", c->pod);
		param(b, "name", c->name);
		param(b, "id", c->id);
		param(b, "runtime", c->runtime);
		param(b, "image", c->image);
	}
	sbuf_add(b, "]", 1);
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

/* [rule@PEN policy rule]: the policy rule an enforcement event names, if any. */
static void sd_rule(struct sbuf *b, const char *policy, const char *rule)
{
	if (!policy && !rule)
		return;
	sbuf_adds(b, "[rule@" BH_SD_PEN);
	param(b, "policy", policy);
	param(b, "rule", rule);
	sbuf_add(b, "]", 1);
}

static void sd_net(struct sbuf *b, const struct event *ev)
{
	char addr[INET6_ADDRSTRLEN] = "", pbuf[8];

	inet_ntop(ev->net.family == 6 ? AF_INET6 : AF_INET, ev->net.raddr, addr, sizeof(addr));
	sbuf_adds(b, "[net@" BH_SD_PEN);
	param(b, "dir", ev->net.dir ? "ingress" : "egress");
	param(b, "proto", proto_name(ev->net.proto, pbuf, sizeof(pbuf)));
	param(b, "raddr", addr);
	param_u(b, "rport", ev->net.rport);
	param_u(b, "count", ev->net.count ? ev->net.count : 1);
	sbuf_add(b, "]", 1);
	sd_rule(b, ev->net.policy, ev->net.rule);
}

static void sd_file(struct sbuf *b, const struct event *ev)
{
	sbuf_adds(b, "[file@" BH_SD_PEN);
	if (ev->file.path)
		param_n(b, "path", ev->file.path, ev->file.path_len);
	param_u(b, "op", ev->file.op);
	if (ev->file.suppressed)
		param_u(b, "suppressed", ev->file.suppressed);
	sbuf_add(b, "]", 1);
	sd_rule(b, ev->file.policy, ev->file.rule);
}

/* [alert@PEN category severity technique] and the evidence, each a parameter. */
static void sd_alert(struct sbuf *b, const struct event_alert *a)
{
	sbuf_adds(b, "[alert@" BH_SD_PEN);
	param(b, "category", alert_category_name(a->category));
	param(b, "severity", alert_severity_name(a->severity));
	param(b, "technique", a->technique);
	param(b, "rule", a->rule);
	if (a->enforcement)
		param(b, "enforcement", alert_enforcement_name(a->enforcement));
	sbuf_add(b, "]", 1);
	if (!a->n_evidence)
		return;
	sbuf_adds(b, "[evidence@" BH_SD_PEN);
	for (unsigned i = 0; i < a->n_evidence && i < ALERT_EVIDENCE_MAX; i++) {
		char name[33];
		size_t j = 0;

		/* SD-NAME: printable US-ASCII but '=', ' ', ']', '"' (RFC 5424 6.3.3) */
		for (const char *k = a->evidence[i].key; *k && j < sizeof(name) - 1; k++)
			if (*k > 32 && *k < 127 && *k != '=' && *k != ']' && *k != '"')
				name[j++] = *k;
		name[j] = '\0';
		if (j)
			param(b, name, a->evidence[i].value);
	}
	sbuf_add(b, "]", 1);
}

void rfc5424_sd(struct sbuf *b, const struct event *ev, const struct output_lost *lost)
{
	sbuf_adds(b, "[event@" BH_SD_PEN);
	param(b, "kind", ev ? event_kind_name(ev->kind) : "lost");
	param(b, "action", ev ? event_action_name(ev->action) : "alert");
	sbuf_add(b, "]", 1);
	if (ev ? ev->container != NULL : lost && lost->container != NULL)
		sd_container(b, ev ? ev->container : lost->container);
	if (!ev) {
		if (lost) {
			sbuf_adds(b, "[lost@" BH_SD_PEN);
			param_u(b, "count", lost->count);
			param_u(b, "total", lost->total);
			param(b, "ring", lost->ring);
			sbuf_add(b, "]", 1);
		}
		return;
	}
	if (ev->kind == EVENT_NET)
		sd_net(b, ev);
	if (ev->kind == EVENT_FILE || ev->kind == EVENT_EXEC_DENY)
		sd_file(b, ev);
	if (ev->kind == EVENT_ALERT && ev->alert)
		sd_alert(b, ev->alert);
	if (ev->proc.pid || ev->proc.comm[0]) {
		sbuf_adds(b, "[process@" BH_SD_PEN);
		param_u(b, "pid", ev->proc.pid);
		param(b, "comm", ev->proc.comm);
		if (ev->proc.exe)
			param_n(b, "exe", ev->proc.exe, ev->proc.exe_len);
		sbuf_add(b, "]", 1);
	}
}

/* ---- the message ---------------------------------------------------------- */

void rfc5424_origin_init(struct rfc5424_origin *o, int facility)
{
	char h[256] = "";
	size_t j = 0;

	memset(o, 0, sizeof(*o));
	gethostname(h, sizeof(h) - 1);
	for (size_t i = 0; h[i] && j < sizeof(o->hostname) - 1; i++)
		if ((unsigned char)h[i] > 32 && (unsigned char)h[i] < 127)
			o->hostname[j++] = h[i];
	if (!j)
		o->hostname[j++] = '-';
	o->hostname[j] = '\0';
	snprintf(o->procid, sizeof(o->procid), "%d", (int)getpid());
	o->facility = facility;
}

static void timestamp(struct sbuf *b, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&secs, &tm);
	sbuf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		  (unsigned)(ns % 1000000000ull / 1000));
}

void rfc5424_format(struct sbuf *b, const struct rfc5424_origin *o, enum rfc5424_sev sev,
		    uint64_t time_ns, const char *msgid, const struct event *ev,
		    const struct output_lost *lost, const char *msg, size_t msglen)
{
	size_t start = b->len, room;
	char id[33];
	size_t j = 0;

	for (size_t i = 0; msgid && msgid[i] && j < sizeof(id) - 1; i++)
		if ((unsigned char)msgid[i] > 32 && (unsigned char)msgid[i] < 127)
			id[j++] = msgid[i];
	if (!j)
		id[j++] = '-';
	id[j] = '\0';

	sbuf_addf(b, "<%d>1 ", (o->facility & ~7) + (int)sev);
	timestamp(b, time_ns);
	sbuf_addf(b, " %s bulkhead %s %s ", o->hostname, o->procid, id);
	rfc5424_sd(b, ev, lost);
	if (!msg || !msglen)
		return;
	sbuf_add(b, " ", 1);
	room = b->len - start < RFC5424_MSG_MAX ? RFC5424_MSG_MAX - (b->len - start) : 0;
	if (msglen > room) {
		msglen = room;
		/* do not cut a UTF-8 sequence */
		while (msglen && ((unsigned char)msg[msglen] & 0xc0) == 0x80)
			msglen--;
	}
	sbuf_add(b, msg, msglen);
}
