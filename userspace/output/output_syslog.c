// SPDX-License-Identifier: GPL-2.0
/* Local syslog through syslog(3). See output_syslog.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "output/output_syslog.h"

static const struct { const char *name; int fac; } facilities[] = {
	{ "user", LOG_USER }, { "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int output_syslog_facility(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(name, facilities[i].name))
			return facilities[i].fac;
	return -1;
}

void output_syslog_format(struct sbuf *b, int facility, enum rfc5424_sev sev,
			  const struct event *ev, const struct output_lost *lost,
			  const char *json, size_t json_len)
{
	size_t start = b->len, room;

	sbuf_addf(b, "<%d>", (facility & ~7) + (int)sev);
	rfc5424_sd(b, ev, lost);
	sbuf_add(b, " ", 1);
	room = b->len - start < RFC5424_MSG_MAX ? RFC5424_MSG_MAX - (b->len - start) : 0;
	if (json_len > room) {
		json_len = room;
		while (json_len && ((unsigned char)json[json_len] & 0xc0) == 0x80)
			json_len--;
	}
	sbuf_add(b, json, json_len);
	sbuf_add(b, "\n", 1);
}

static int sl_open(void *p)
{
	return 0;
}

/* Whole lines only: "<PRI>text\n". */
static long sl_deliver(void *p, enum oq_class cls, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		char *text;
		long pri;

		if (!nl)
			break;
		pri = s[0] == '<' ? strtol(s + 1, &text, 10) : -1;
		if (pri < 0 || pri > 191 || *text != '>') {
			pri = LOG_DAEMON | LOG_WARNING;
			text = (char *)s;
		} else {
			text++;
		}
		syslog((int)pri, "%.*s", (int)(nl - text), text);
		s = nl + 1;
	}
	return s == buf ? -EINVAL : (long)(s - buf);
}

static void sl_close(void *p)
{
}

static const struct oq_sink_ops syslog_ops = {
	.open = sl_open,
	.deliver = sl_deliver,
	.close = sl_close,
};

struct output_queue *output_syslog_new(size_t alert_bytes, size_t telemetry_bytes,
				       char *err, size_t errlen)
{
	struct output_queue *q = oq_new("syslog", &syslog_ops, NULL, alert_bytes, telemetry_bytes);

	if (!q)
		snprintf(err, errlen, "output: out of memory");
	return q;
}
