// SPDX-License-Identifier: GPL-2.0
/*
 * `--format text`: one aligned line per event, made from the event's JSON
 * (event_to_json(), as the agent writes it). Each kind's essentials, the
 * columns, colours only when asked, and hostile strings: no control
 * character (C0, DEL, C1), bidirectional override or raw escape sequence of
 * an event reaches the terminal.
 */
#include <stdlib.h>

#include "lib/json_writer.h"
#include "lib/sbuf.h"
#include "output/output.h"
#include "output/output_text.h"
#include "pipeline/event_json.h"
#include "test.h"

static struct container_info ctr = {
	.cgroup_id = 42, .id = "0123456789abcdef", .name = "nginx", .pod = "web-0",
	.ns = "shop", .runtime = "runc", .resolved = true,
};
static struct container_info host = { .cgroup_id = 1, .host = true, .resolved = true };

static struct sbuf out;

/* The event as the agent formats it, then as text. */
static const char *text_of(const struct event *ev, bool color)
{
	struct json_writer w;

	json_init(&w, NULL);
	event_to_json(&w, ev);
	out.len = 0;
	output_text_format(&out, w.buf, w.len, color);
	json_free(&w);
	return out.data ? out.data : "";
}

static const char *text_json(const char *json, bool color)
{
	out.len = 0;
	output_text_format(&out, json, strlen(json), color);
	return out.data ? out.data : "";
}

/* No byte below 0x20 but the final newline, no DEL, no C1 (UTF-8 C2 80..9F), no bidi override. */
static int terminal_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && i == n - 1)
			continue;
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return 0;
		if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae)
			return 0;
	}
	return 1;
}

static void test_exec_line(void)
{
	static const char args[] = "/bin/echo\0bh-marker\0two words";
	struct event ev = {
		.kind = EVENT_EXEC, .action = ACTION_OBSERVE, .time_ns = 1796622547416263747ull,
		.container = &ctr,
		.proc = { .pid = 17003, .tid = 17003, .ppid = 1, .comm = "echo", .exe = "/bin/echo",
			  .exe_len = 9, .args = args, .args_len = sizeof(args) - 1 },
	};
	const char *t = text_of(&ev, false);

	/* 1796622547 s = 2026-12-07 05:49:07 UTC */
	ASSERT_STREQ(t, "05:49:07.416  exec/observe   shop/web-0/nginx               "
		     "echo[17003] /bin/echo -- bh-marker \"two words\"\n", "exec line");
	ASSERT_TRUE(terminal_safe(t), "no control characters");
}

static void test_host_and_fork_exit(void)
{
	struct event ev = {
		.kind = EVENT_FORK, .action = ACTION_OBSERVE, .time_ns = 1796622547000000000ull,
		.container = &host, .proc = { .pid = 10, .tid = 10, .comm = "bash" },
		.fork = { .child_pid = 11 },
	};

	ASSERT_STREQ(text_of(&ev, false), "05:49:07.000  fork/observe   host                           "
		     "bash[10] -> 11\n", "fork");
	ev.kind = EVENT_EXIT;
	ev.exit.code = 0;
	ev.exit.signal = 9;
	ASSERT_CONTAINS(text_of(&ev, false), "bash[10] killed by signal 9\n", "exit by signal");
	ev.exit.signal = 0;
	ev.exit.code = 3;
	ASSERT_CONTAINS(text_of(&ev, false), "bash[10] exit 3\n", "exit code");
}

static void test_file_and_exec_deny(void)
{
	struct event ev = {
		.kind = EVENT_FILE, .action = ACTION_DENY, .time_ns = 1796622547000000000ull,
		.container = &ctr, .proc = { .pid = 5, .tid = 5, .comm = "cat" },
		.file = { .path = "/etc/shadow", .path_len = 11, .op = 0, .flags = 1u << 1,
			  .policy = "demo", .rule = "spec.file[0]" },
	};
	const char *t = text_of(&ev, false);

	ASSERT_CONTAINS(t, "  file/deny      shop/web-0/nginx               "
			"read /etc/shadow rule=demo:spec.file[0] by cat[5] (killed)\n", "file deny");
	ev.kind = EVENT_EXEC_DENY;
	ev.file.path = "/bin/nc";
	ev.file.path_len = 7;
	ev.file.op = 7;
	ev.file.flags = 0;
	ev.file.rule = "spec.exec.deny[0]";
	t = text_of(&ev, false);
	ASSERT_CONTAINS(t, "  exec/deny      shop/web-0/nginx               "
			"exec /bin/nc rule=demo:spec.exec.deny[0] by cat[5]\n", "exec deny");
}

static void test_net_deny(void)
{
	struct event ev = {
		.kind = EVENT_NET, .action = ACTION_DENY, .time_ns = 1796622547000000000ull,
		.container = &ctr, .proc = { .pid = 7, .tid = 7, .comm = "nc" },
		.net = { .family = 4, .proto = 6, .dir = 0, .hook = 2, .raddr = { 127, 0, 0, 1 },
			 .rport = 9, .count = 1, .policy = "demo", .rule = "spec.network.egress[0]" },
	};

	ASSERT_CONTAINS(text_of(&ev, false), "net/deny       shop/web-0/nginx               "
			"egress tcp 127.0.0.1:9 (connect) rule=demo:spec.network.egress[0] by nc[7]\n",
			"net deny");
	ev.net.family = 6;
	memset(ev.net.raddr, 0, 16);
	ev.net.raddr[15] = 1;
	ev.net.count = 3;
	ev.proc.pid = 0;	/* a packet in softirq: no task */
	ASSERT_CONTAINS(text_of(&ev, false), "egress tcp [::1]:9 (connect) rule=demo:spec.network.egress[0] x3\n",
			"ipv6, aggregated, no process");
}

static void test_alert(void)
{
	struct event_alert a = {
		.category = ALERT_ESCAPE, .severity = ALERT_SEV_CRITICAL, .enforcement = ALERT_ENF_KILLED,
		.rule = "core-pattern-write", .technique = "T1611",
		.summary = "opened /proc/sys/kernel/core_pattern for writing",
	};
	struct event ev = {
		.kind = EVENT_ALERT, .action = ACTION_DENY, .time_ns = 1796622547000000000ull,
		.container = &ctr, .proc = { .pid = 8, .tid = 8, .comm = "sh" }, .alert = &a,
	};
	const char *t = text_of(&ev, false);

	ASSERT_CONTAINS(t, "alert/deny     shop/web-0/nginx               CRITICAL escape "
			"core-pattern-write: opened /proc/sys/kernel/core_pattern for writing (killed) "
			"technique=T1611 by sh[8]\n", "alert");
	t = text_of(&ev, true);
	ASSERT_CONTAINS(t, "\033[1;31mCRITICAL\033[0m", "critical in red on a terminal");
	ASSERT_CONTAINS(t, "\033[1;35malert/deny\033[0m     shop", "kind/action coloured, still aligned");
}

static void test_lost(void)
{
	struct json_writer w;
	struct output_lost l = { .time_ns = 1796622547000000000ull, .container = &ctr, .count = 12,
				 .total = 40, .ring = "process" };

	json_init(&w, NULL);
	output_lost_json(&w, &l);
	out.len = 0;
	output_text_format(&out, w.buf, w.len, false);
	json_free(&w);
	ASSERT_CONTAINS(out.data, "lost/alert     shop/web-0/nginx               "
			"12 records lost (ring process, 40 in all)\n", "lost");
}

static void test_no_color_by_default(void)
{
	struct event ev = {
		.kind = EVENT_FORK, .action = ACTION_OBSERVE, .container = &host,
		.proc = { .pid = 1, .tid = 1, .comm = "x" },
	};

	ASSERT_TRUE(!strchr(text_of(&ev, false), '\033'), "no escape without colour");
	setenv("NO_COLOR", "1", 1);
	setenv("CLICOLOR_FORCE", "1", 1);
	ASSERT_TRUE(!output_text_color_wanted(0), "NO_COLOR set: never colour, even forced");
	unsetenv("NO_COLOR");
	ASSERT_TRUE(output_text_color_wanted(-1), "CLICOLOR_FORCE: colour on a pipe");
	setenv("CLICOLOR_FORCE", "0", 1);
	ASSERT_TRUE(!output_text_color_wanted(-1), "CLICOLOR_FORCE=0, not a terminal: none");
	unsetenv("CLICOLOR_FORCE");
}

static void test_hostile_strings(void)
{
	/* Everything a process controls: comm, exe, argv, paths; and the container's names. */
	static const char args[] = "/x\0\033[2J\033]0;pwned\a\0a\nb\rc\td\0\x7f\xc2\x9b" "31m\0\xe2\x80\xae" "gpj.exe\0\\";
	struct container_info evil = ctr;
	struct event ev = {
		.kind = EVENT_EXEC, .action = ACTION_OBSERVE, .container = &evil,
		.proc = { .pid = 1, .tid = 1, .comm = "\033[31mred", .exe = "/tmp/\033[1A\033[2K",
			  .exe_len = 13, .args = args, .args_len = sizeof(args) - 1 },
	};
	const char *t;

	snprintf(evil.ns, sizeof(evil.ns), "ns\033[0m");
	snprintf(evil.pod, sizeof(evil.pod), "pod\n");
	t = text_of(&ev, false);
	ASSERT_TRUE(terminal_safe(t), "exec: nothing raw reaches the terminal");
	ASSERT_CONTAINS(t, "ns\\x1b[0m/pod\\n/nginx", "container names escaped");
	ASSERT_CONTAINS(t, "\\x1b[31mred[1] /tmp/\\x1b[1A\\x1b[2K", "comm and exe escaped");
	ASSERT_CONTAINS(t, "\\x1b[2J\\x1b]0;pwned\\x07", "escape and OSC sequences escaped");
	ASSERT_CONTAINS(t, "a\\nb\\rc\\td", "newline, return, tab");
	ASSERT_CONTAINS(t, "\\x7f\\u009b31m", "DEL and the C1 CSI");
	ASSERT_CONTAINS(t, "\\u202egpj.exe", "right-to-left override");
	ASSERT_CONTAINS(t, " \\\\\n", "a backslash is doubled");

	/* The same through a file path and an alert's summary, coloured. */
	struct event_alert a = { .category = ALERT_RECON, .severity = ALERT_SEV_LOW, .rule = "r\033" };
	snprintf(a.summary, sizeof(a.summary), "x\033[8mhidden\xc2\x85");
	ev.kind = EVENT_ALERT;
	ev.action = ACTION_ALERT;
	ev.alert = &a;
	t = text_of(&ev, true);
	ASSERT_CONTAINS(t, "r\\x1b: x\\x1b[8mhidden\\u0085", "alert strings escaped");
	/* Only our own colour codes: every ESC is followed by '[' and a known code. */
	for (const char *e = strchr(t, '\033'); e; e = strchr(e + 1, '\033'))
		ASSERT_TRUE(!strncmp(e, "\033[0m", 4) || !strncmp(e, "\033[1;3", 5) || !strncmp(e, "\033[3", 3) ||
			    !strncmp(e, "\033[2m", 4), "an escape the formatter made");

	/* JSON that the agent never writes but a file could hold: NUL, C1, \u escapes. */
	t = text_json("{\"time\":\"2026-12-07T05:49:07.416263747Z\",\"kind\":\"file\",\"action\":\"deny\","
		      "\"container\":{\"host\":true},\"file\":{\"path\":\"/a\\u0000b\\u001b\\u009b\\u2067\","
		      "\"operation\":\"read\"}}", false);
	ASSERT_TRUE(terminal_safe(t), "decoded \\u escapes escaped again");
	ASSERT_CONTAINS(t, "read /a\\x00b\\x1b\\u009b\\u2067", "NUL, ESC, C1, isolate");
}

static void test_not_json(void)
{
	ASSERT_EQ(output_text_format(&out, "not json", 8, false), -1, "garbage");
	ASSERT_EQ(output_text_format(&out, "[1]", 3, false), -1, "not an object");
	out.len = 0;
	ASSERT_EQ(output_text_format(&out, "{}", 2, false), 0, "an empty object");
	ASSERT_TRUE(terminal_safe(out.data), "still one line");
}

int main(void)
{
	RUN(test_exec_line);
	RUN(test_host_and_fork_exit);
	RUN(test_file_and_exec_deny);
	RUN(test_net_deny);
	RUN(test_alert);
	RUN(test_lost);
	RUN(test_no_color_by_default);
	RUN(test_hostile_strings);
	RUN(test_not_json);
	sbuf_free(&out);
	return test_summary();
}
