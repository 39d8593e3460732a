// SPDX-License-Identifier: GPL-2.0
/*
 * Syslog messages: RFC 5424 header, severity mapping, structured data
 * escaping ('"' '\' ']' per RFC 5424 6.3.3), hostile values (newlines,
 * control characters, invalid UTF-8), truncation, the local sink's format.
 */
#include <stdlib.h>
#include <syslog.h>

#include "output/output_rfc5424.h"
#include "output/output_syslog.h"
#include "test.h"

#define STARTS(s, prefix) (!strncmp((s), (prefix), strlen(prefix)))

static struct container_info ctr = {
	.cgroup_id = 42, .host = false, .id = "abc123", .name = "nginx", .pod = "web-0",
	.ns = "shop", .runtime = "containerd", .resolved = true,
};

static const char *escaped(const char *in, size_t n)
{
	static struct sbuf b;

	b.len = 0;
	rfc5424_escape_value(&b, in, n);
	return b.data ? b.data : "";
}

static void test_severity(void)
{
	struct event_alert al = { .category = ALERT_ESCAPE };
	struct event ev = { .kind = EVENT_NET };

#define SEV_OF(k, a) (ev.kind = (k), ev.action = (a), rfc5424_severity(&ev))
	ASSERT_EQ(SEV_OF(EVENT_NET, ACTION_ALERT), SEV_CRIT, "alert");
	ASSERT_EQ(SEV_OF(EVENT_NET, ACTION_DENY), SEV_WARNING, "deny");
	ASSERT_EQ(SEV_OF(EVENT_FILE, ACTION_AUDIT), SEV_NOTICE, "audit");
	ASSERT_EQ(SEV_OF(EVENT_EXEC, ACTION_OBSERVE), SEV_INFO, "observe");
	ASSERT_EQ(SEV_OF(EVENT_NET, ACTION_ALLOW), SEV_INFO, "allow");
	ev.alert = &al;
	ASSERT_EQ(SEV_OF(EVENT_ALERT, ACTION_ALERT), SEV_CRIT, "a detection alert is crit");
	ASSERT_EQ(SEV_OF(EVENT_ALERT, ACTION_DENY), SEV_CRIT, "a refused escape is crit");
	ASSERT_EQ(SEV_OF(EVENT_ALERT, ACTION_RESOLVED), SEV_NOTICE, "an episode's end is a notice");
#undef SEV_OF
}

static void test_escape(void)
{
	ASSERT_STREQ(escaped("a\"b\\c]d", 7), "a\\\"b\\\\c\\]d", "the three escapes");
	ASSERT_STREQ(escaped("x\ny\tz\x7f", 6), "x?y?z?", "control characters");
	ASSERT_STREQ(escaped("caf\xc3\xa9", 5), "caf\xc3\xa9", "valid UTF-8 kept");
	ASSERT_STREQ(escaped("a\xff" "b\xc3", 4), "a\xef\xbf\xbd" "b\xef\xbf\xbd", "invalid UTF-8");
	ASSERT_STREQ(escaped("\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "surrogate");
	ASSERT_STREQ(escaped("[x=\"1\"]", 7), "[x=\\\"1\\\"\\]", "an SD lookalike");
}

static struct event net_deny(void)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EVENT_NET;
	ev.action = ACTION_DENY;
	ev.time_ns = 1795927886123456789ull;	/* 2026-11-29T04:51:26.123456789Z */
	ev.container = &ctr;
	ev.proc.pid = 77;
	strcpy(ev.proc.comm, "curl");
	ev.net.family = 4;
	ev.net.proto = 6;
	ev.net.raddr[0] = 10, ev.net.raddr[3] = 9;
	ev.net.rport = 443;
	ev.net.count = 3;
	ev.net.policy = "web";
	ev.net.rule = "spec.network.egress[0]";
	return ev;
}

static void test_format_net_deny(void)
{
	struct rfc5424_origin o;
	struct event ev = net_deny();
	struct sbuf b = { 0 };
	const char *json = "{\"kind\":\"net\"}";

	rfc5424_origin_init(&o, LOG_LOCAL3);
	strcpy(o.hostname, "node-1");
	strcpy(o.procid, "4242");
	rfc5424_format(&b, &o, rfc5424_severity(&ev), ev.time_ns, "net", &ev, NULL, json, strlen(json));
	/* local3 = 19, warning = 4: 19 * 8 + 4 = 156 */
	ASSERT_TRUE(STARTS(b.data, "<156>1 2026-11-29T04:51:26.123456Z node-1 bulkhead 4242 net "),
		    "header: PRI, VERSION, TIMESTAMP (6 digits), HOSTNAME, APP-NAME, PROCID, MSGID");
	ASSERT_CONTAINS(b.data, "[event@32473 kind=\"net\" action=\"deny\"]", "event SD");
	ASSERT_CONTAINS(b.data, "[container@32473 cgroup_id=\"42\" host=\"false\" namespace=\"shop\" "
			"pod=\"web-0\" name=\"nginx\" id=\"abc123\" runtime=\"containerd\"]", "container SD");
	ASSERT_CONTAINS(b.data, "[net@32473 dir=\"egress\" proto=\"tcp\" raddr=\"10.0.0.9\" rport=\"443\" "
			"count=\"3\"]", "net SD");
	ASSERT_CONTAINS(b.data, "[rule@32473 policy=\"web\" rule=\"spec.network.egress[0\\]\"]",
			"rule SD, ']' escaped");
	ASSERT_CONTAINS(b.data, "[process@32473 pid=\"77\" comm=\"curl\"]", "process SD");
	ASSERT_TRUE(b.len > strlen(json) && !strcmp(b.data + b.len - strlen(json) - 1, " {\"kind\":\"net\"}"),
		    "MSG is the JSON object after one space");
	ASSERT_TRUE(!memchr(b.data, '\n', b.len), "no newline");
	sbuf_free(&b);
}

/* An alert at crit, with [alert@32473 category severity technique] and its evidence. */
static void test_format_alert(void)
{
	struct event_alert al = { .category = ALERT_CGROUP_ESCAPE, .severity = ALERT_SEV_CRITICAL,
				  .rule = "cgroup-release-agent", .technique = "T1611",
				  .enforcement = ALERT_ENF_KILLED, .summary = "s" };
	struct rfc5424_origin o;
	struct event ev = net_deny();
	struct sbuf b = { 0 };

	alert_evidence_str(&al, "path", "/tmp/cg/release_agent");
	alert_evidence_str(&al, "bad key=\"]", "v");
	ev.kind = EVENT_ALERT;
	ev.action = ACTION_DENY;
	ev.alert = &al;
	rfc5424_origin_init(&o, LOG_LOCAL3);
	strcpy(o.hostname, "node-1");
	strcpy(o.procid, "1");
	rfc5424_format(&b, &o, rfc5424_severity(&ev), ev.time_ns, "alert", &ev, NULL, "{}", 2);
	/* local3 = 19, crit = 2: 19 * 8 + 2 = 154 */
	ASSERT_TRUE(STARTS(b.data, "<154>1 "), "crit");
	ASSERT_CONTAINS(b.data, "[alert@32473 category=\"cgroup-escape\" severity=\"critical\" "
			"technique=\"T1611\" rule=\"cgroup-release-agent\" enforcement=\"killed\"]", "alert SD");
	ASSERT_CONTAINS(b.data, "[evidence@32473 path=\"/tmp/cg/release_agent\" badkey=\"v\"]",
			"evidence SD, names sanitized");
	free(b.data);
}

static void test_hostile_container(void)
{
	struct container_info c = ctr;
	struct rfc5424_origin o;
	struct event ev = net_deny();
	struct sbuf b = { 0 };

	strcpy(c.pod, "evil\"] [inject@1 x=\"y\n<13>1 fake");
	strcpy(c.ns, "\\");
	ev.container = &c;
	rfc5424_origin_init(&o, LOG_DAEMON);
	rfc5424_format(&b, &o, SEV_WARNING, ev.time_ns, "net", &ev, NULL, "{}", 2);
	ASSERT_CONTAINS(b.data, "pod=\"evil\\\"\\] [inject@1 x=\\\"y?<13>1 fake\"", "pod escaped");
	ASSERT_CONTAINS(b.data, "namespace=\"\\\\\"", "backslash escaped");
	ASSERT_TRUE(!memchr(b.data, '\n', b.len), "no newline from a hostile value");
	sbuf_free(&b);
}

static void test_lost_and_host(void)
{
	struct container_info host = { .cgroup_id = 1, .host = true, .cgroup_path = "/" };
	struct output_lost l = { .time_ns = 1, .container = &host, .count = 5, .total = 9, .ring = "process" };
	struct rfc5424_origin o;
	struct sbuf b = { 0 };

	rfc5424_origin_init(&o, LOG_DAEMON);
	rfc5424_format(&b, &o, SEV_WARNING, l.time_ns, "lost", NULL, &l, "{}", 2);
	ASSERT_TRUE(STARTS(b.data, "<28>1 1970-01-01T00:00:00.000000Z "), "daemon.warning, epoch");
	ASSERT_CONTAINS(b.data, "[event@32473 kind=\"lost\" action=\"alert\"]", "lost kind");
	ASSERT_CONTAINS(b.data, "[container@32473 cgroup_id=\"1\" host=\"true\"]", "host container SD");
	ASSERT_CONTAINS(b.data, "[lost@32473 count=\"5\" total=\"9\" ring=\"process\"]", "lost SD");
	sbuf_free(&b);
}

static void test_truncation(void)
{
	struct rfc5424_origin o;
	struct event ev = net_deny();
	struct sbuf b = { 0 };
	char *big = malloc(20000);

	ASSERT_TRUE(big != NULL, "malloc");
	/* "é" repeated: a cut must not split one */
	for (int i = 0; i < 20000; i += 2)
		big[i] = '\xc3', big[i + 1] = '\xa9';
	rfc5424_origin_init(&o, LOG_DAEMON);
	rfc5424_format(&b, &o, SEV_WARNING, ev.time_ns, "net", &ev, NULL, big, 20000);
	free(big);
	ASSERT_TRUE(b.len <= RFC5424_MSG_MAX, "at most RFC5424_MSG_MAX bytes");
	ASSERT_TRUE(b.len > RFC5424_MSG_MAX - 4, "filled");
	ASSERT_TRUE((unsigned char)b.data[b.len - 1] == 0xa9, "ends on a whole UTF-8 sequence");
	sbuf_free(&b);
}

static void test_msgid_hostname_sanitized(void)
{
	struct rfc5424_origin o;
	struct sbuf b = { 0 };
	struct output_lost l = { .container = &ctr, .count = 1, .total = 1, .ring = "x" };

	rfc5424_origin_init(&o, LOG_DAEMON);
	strcpy(o.hostname, "-");
	rfc5424_format(&b, &o, SEV_INFO, 0, "a b\tc", NULL, &l, NULL, 0);
	ASSERT_CONTAINS(b.data, " - bulkhead ", "nil hostname");
	ASSERT_CONTAINS(b.data, " abc [event@", "MSGID without spaces or controls");
	sbuf_free(&b);
}

static void test_local_format(void)
{
	struct event ev = net_deny();
	struct sbuf b = { 0 };

	output_syslog_format(&b, LOG_AUTH, SEV_WARNING, &ev, NULL, "{\"a\":1}", 7);
	ASSERT_TRUE(STARTS(b.data, "<36>[event@32473 kind=\"net\""), "PRI then SD (auth=32 + 4)");
	ASSERT_TRUE(b.len > 8 && !strcmp(b.data + b.len - 9, " {\"a\":1}\n"), "JSON then one newline");
	ASSERT_EQ(output_syslog_facility("local7"), LOG_LOCAL7, "facility names");
	ASSERT_EQ(output_syslog_facility("kern"), -1, "kern is not ours");
	sbuf_free(&b);
}

int main(void)
{
	RUN(test_severity);
	RUN(test_escape);
	RUN(test_format_net_deny);
	RUN(test_format_alert);
	RUN(test_hostile_container);
	RUN(test_lost_and_host);
	RUN(test_truncation);
	RUN(test_msgid_hostname_sanitized);
	RUN(test_local_format);
	return test_summary();
}
