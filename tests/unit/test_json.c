// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer and the event schema, byte for byte: escaping of hostile
 * strings (control bytes, quotes, invalid UTF-8 -> U+FFFD), numbers, nesting,
 * and every event kind's line as the outputs write it (a cached container
 * member must give the same bytes as one formatted per event). Every line is
 * also parsed back with json-c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lib/clock.h"
#include "pipeline/event_json.h"
#include "lib/json_writer.h"
#include "test.h"

/* json-c, declared by hand: its json_bool type clashes with the writer's json_bool(). */
struct json_object;
struct json_object *json_tokener_parse(const char *str);
int json_object_put(struct json_object *obj);

static int parses(const char *s)
{
	struct json_object *j = json_tokener_parse(s);

	if (!j)
		return 0;
	json_object_put(j);
	return 1;
}

static void test_escaping(void)
{
	struct json_writer w;
	static const char hostile[] = "a\"b\\c\n\t\r\x01\x1f\x7f" "\xc3\xa9" "\xe2\x82\xac" "\xf0\x9f\x98\x80"
				      "\xff" "\xc3" "x" "\xed\xa0\x80" "\xc0\xaf" "end";

	json_init(&w, NULL);
	json_begin_array(&w);
	json_strn(&w, hostile, sizeof(hostile) - 1);
	json_strn(&w, "", 0);
	json_strn(&w, "nul\0inside", 10);
	json_str(&w, NULL);
	json_end_array(&w);
	ASSERT_STREQ(w.buf, "[\"a\\\"b\\\\c\\n\\t\\r\\u0001\\u001f\\u007f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
			    "\xef\xbf\xbd\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			    "end\",\"\",\"nul\\u0000inside\",null]", "escaped, invalid UTF-8 replaced");
	ASSERT_TRUE(parses(w.buf), "parses");
	json_free(&w);
}

/* The escape of one ASCII byte, as JSON wants it. */
static void ref_escape(char *out, unsigned char c)
{
	if (c == '"' || c == '\\')
		sprintf(out, "\\%c", c);
	else if (c == '\n' || c == '\t' || c == '\r')
		sprintf(out, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
	else if (c < 0x20 || c == 0x7f)
		sprintf(out, "\\u%04x", c);
	else
		sprintf(out, "%c", c);
}

/* Strings are copied eight plain bytes at a time: every ASCII byte in every position of such a word. */
static void test_escaping_words(void)
{
	struct json_writer w;
	char s[9], want[128], one[8];

	json_init(&w, NULL);
	for (int pos = 0; pos < 9; pos++)
		for (int fill = 0; fill < 0x80; fill += 0x80 / 16 - 1)
			for (int c = 0; c < 0x80; c++) {
				memset(s, fill < 0x20 ? 'a' : fill, sizeof(s));
				s[pos] = (char)c;
				strcpy(want, "\"");
				for (int i = 0; i < 9; i++) {
					ref_escape(one, (unsigned char)s[i]);
					strcat(want, one);
				}
				strcat(want, "\"");
				json_reset(&w);
				json_strn(&w, s, 9);
				if (strcmp(w.buf, want)) {
					ASSERT_STREQ(w.buf, want, "byte-by-byte escaping");
				}
			}
	/* Bytes past ASCII stop the fast copy too: invalid UTF-8 is still replaced. */
	memcpy(s, "abcdefg\xff", 8);
	json_reset(&w);
	json_strn(&w, s, 8);
	ASSERT_STREQ(w.buf, "\"abcdefg\xef\xbf\xbd\"", "a high byte in the word");
	json_free(&w);
}

/*
 * Strings are copied in blocks of 16 (or 8) bytes, the last block overlapping
 * the one before: every length up to 48, a byte that is not plain at every
 * position, against byte-by-byte escaping (and bytes past ASCII: U+FFFD).
 */
static void test_escaping_blocks(void)
{
	static const unsigned char odd[] = { 0x00, 0x01, 0x1f, '"', '\\', 0x7f, 0x80, 0xff };
	struct json_writer w;
	char s[48], want[48 * 6 + 3], one[8];

	json_init(&w, NULL);
	for (size_t n = 0; n <= sizeof(s); n++)
		for (size_t pos = 0; pos <= n; pos++)	/* pos == n: all plain */
			for (size_t k = 0; k < sizeof(odd); k++) {
				for (size_t i = 0; i < n; i++)
					s[i] = (char)(0x20 + (i * 7 + n) % 0x5f);	/* printable ASCII */
				if (pos < n)
					s[pos] = (char)odd[k];
				strcpy(want, "\"");
				for (size_t i = 0; i < n; i++) {
					if ((unsigned char)s[i] >= 0x80)
						strcpy(one, "\xef\xbf\xbd");	/* a lone byte past ASCII */
					else
						ref_escape(one, (unsigned char)s[i]);
					strcat(want, one);
				}
				strcat(want, "\"");
				json_reset(&w);
				json_strn(&w, s, n);
				if (strcmp(w.buf, want)) {
					fprintf(stderr, "    length %zu, byte 0x%02x at %zu\n", n, odd[k], pos);
					ASSERT_STREQ(w.buf, want, "blockwise escaping");
				}
				ASSERT_EQ(strlen(w.buf), w.len, "length kept");
			}
	json_free(&w);
}

/* Numbers: every power of ten and its neighbours, against printf. */
static void test_number_digits(void)
{
	char got[32], want[32], *end;
	uint64_t p = 1;

	for (int e = 0; e < 20; e++, p *= 10)
		for (int d = -1; d <= 1; d++) {
			uint64_t v = p + (uint64_t)(int64_t)d;

			end = json_put_u64(got, v);
			*end = '\0';
			snprintf(want, sizeof(want), "%" PRIu64, v);
			ASSERT_STREQ(got, want, "u64");
			end = json_put_i64(got, -(int64_t)(v >> 1));
			*end = '\0';
			snprintf(want, sizeof(want), "%" PRId64, -(int64_t)(v >> 1));
			ASSERT_STREQ(got, want, "negative i64");
		}
	for (uint64_t v = 0; v < 100000; v++) {
		end = json_put_u64(got, v);
		*end = '\0';
		snprintf(want, sizeof(want), "%" PRIu64, v);
		if (strcmp(got, want))
			ASSERT_STREQ(got, want, "small u64");
	}
	end = json_put_u64(got, UINT64_MAX);
	*end = '\0';
	ASSERT_STREQ(got, "18446744073709551615", "UINT64_MAX");
	end = json_put_i64(got, INT64_MIN);
	*end = '\0';
	ASSERT_STREQ(got, "-9223372036854775808", "INT64_MIN");
}

static void *format_zero(void *out)
{
	clock_format_rfc3339(0, out, 40);
	return NULL;
}

/* RFC 3339 times: the cached second and its fraction, across seconds and backwards. */
static void test_times(void)
{
	char first[40];
	pthread_t t;

	/* The cache is per thread: a thread's first time, in 1970's first second. */
	ASSERT_EQ(pthread_create(&t, NULL, format_zero, first), 0, "thread");
	pthread_join(t, NULL);
	ASSERT_STREQ(first, "1970-01-01T00:00:00.000000000Z", "first call, time 0");

	static const uint64_t ns[] = {
		1795000000123456789ull, 1795000000999999999ull, 1795000001000000000ull,
		1795000000000000001ull, 1795000001000000009ull, 0ull, 999999999ull,
		1795086399999999999ull, 1795086400000000000ull,
	};
	char got[40], want[40];

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		time_t secs = (time_t)(ns[i] / 1000000000ull);
		struct tm tm;

		gmtime_r(&secs, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (unsigned)(ns[i] % 1000000000ull));
		clock_format_rfc3339(ns[i], got, sizeof(got));
		ASSERT_STREQ(got, want, "RFC 3339");
	}
}

static void test_long_strings_grow(void)
{
	struct json_writer w;
	char *s = malloc(100000);
	size_t i;

	ASSERT_TRUE(s, "malloc");
	for (i = 0; i < 100000; i++)
		s[i] = i % 1000 == 999 ? '\x01' : 'a' + (char)(i % 26);
	json_init(&w, NULL);
	json_begin_object(&w);
	json_key(&w, "s");
	json_strn(&w, s, 100000);
	json_end_object(&w);
	free(s);
	ASSERT_EQ(w.len, 100000 + 100 * 5 + 8, "every byte, 100 escapes of 6 bytes, {\"s\":\"\"}");
	ASSERT_EQ(strlen(w.buf), w.len, "NUL-terminated");
	ASSERT_TRUE(parses(w.buf), "parses");
	json_free(&w);
}

static void test_numbers_and_nesting(void)
{
	struct json_writer w;

	json_init(&w, NULL);
	json_begin_object(&w);
	json_kv_u64(&w, "zero", 0);
	json_kv_u64(&w, "max", UINT64_MAX);
	json_kv_i64(&w, "min", INT64_MIN);
	json_kv_i64(&w, "neg", -42);
	json_kv_bool(&w, "t", true);
	json_kv_bool(&w, "f", false);
	json_key(&w, "a");
	json_begin_array(&w);
	json_begin_object(&w);
	json_end_object(&w);
	json_begin_array(&w);
	json_end_array(&w);
	json_u64(&w, 7);
	json_null(&w);
	json_end_array(&w);
	json_kv_str(&w, "k\"ey", "v");
	json_end_object(&w);
	ASSERT_STREQ(w.buf, "{\"zero\":0,\"max\":18446744073709551615,\"min\":-9223372036854775808,"
			    "\"neg\":-42,\"t\":true,\"f\":false,\"a\":[{},[],7,null],\"k\\\"ey\":\"v\"}",
		     "numbers, nesting, separators");
	ASSERT_TRUE(parses(w.buf), "parses");
	/* json_reset starts a new document in the same buffer. */
	json_reset(&w);
	json_begin_array(&w);
	json_end_array(&w);
	ASSERT_STREQ(w.buf, "[]", "reset");
	json_free(&w);
}

/* ---- events ------------------------------------------------------------- */

static struct container_info host = { .cgroup_id = 1, .host = true, .cgroup_path = "/", .resolved = true };
static struct container_info pod = {
	.cgroup_id = 4242, .id = "0123456789abcdef", .name = "nginx", .pod = "web-1", .ns = "default",
	.runtime = "containerd", .image = "nginx:1.25", .cgroup_path = "/kubepods/pod1/0123456789abcdef",
	.resolved = true,
};

#define T_NS 1796000000123456789ull	/* 2026-11-30T00:53:20.123456789Z */

static void base(struct event *ev, enum event_kind k, const struct container_info *c)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = k;
	ev->action = ACTION_OBSERVE;
	ev->time_ns = T_NS;
	ev->container = c;
	ev->proc.pid = ev->proc.tid = 100;
	ev->proc.ppid = 1;
	ev->proc.uid = 1000;
	ev->proc.gid = 1000;
	strcpy(ev->proc.comm, "sh");
}

static const char *fmt(struct json_writer *w, const struct event *ev)
{
	json_reset(w);
	event_to_json(w, ev);
	return w->buf;
}

#define TIME "\"time\":\"2026-11-30T00:53:20.123456789Z\""
#define HOST "\"container\":{\"cgroup_id\":1,\"host\":true,\"cgroup\":\"/\"}"
#define POD "\"container\":{\"cgroup_id\":4242,\"host\":false,\"id\":\"0123456789abcdef\",\"name\":\"nginx\"," \
	"\"pod\":\"web-1\",\"namespace\":\"default\",\"runtime\":\"containerd\",\"image\":\"nginx:1.25\"," \
	"\"cgroup\":\"/kubepods/pod1/0123456789abcdef\"}"
#define PROC "\"process\":{\"pid\":100,\"ppid\":1,\"uid\":1000,\"gid\":1000,\"comm\":\"sh\""

static void test_event_lines(void)
{
	static const char args[] = "sh\0-c\0echo \"hi\"\0trunc";
	struct json_writer w;
	struct event ev;

	json_init(&w, NULL);
	base(&ev, EVENT_FORK, &host);
	ev.fork.child_pid = 101;
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"fork\",\"action\":\"observe\"," HOST "," PROC
		     "},\"fork\":{\"child_pid\":101}}", "fork");
	ASSERT_TRUE(parses(w.buf), "fork parses");

	base(&ev, EVENT_EXIT, &pod);
	ev.proc.tid = 102;
	ev.exit.code = 3;
	ev.exit.signal = 9;
	ev.exit.duration_ns = 5000;
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"exit\",\"action\":\"observe\"," POD
		     ",\"process\":{\"pid\":100,\"tid\":102,\"ppid\":1,\"uid\":1000,\"gid\":1000,\"comm\":\"sh\"},"
		     "\"exit\":{\"code\":3,\"signal\":9,\"duration_ns\":5000}}", "exit in a pod");
	ASSERT_TRUE(parses(w.buf), "exit parses");

	base(&ev, EVENT_EXEC, &host);
	ev.proc.exe = "/bin/s\xffh";
	ev.proc.exe_len = 8;
	ev.proc.args = args;
	ev.proc.args_len = sizeof(args) - 1;
	ev.proc.exe_truncated = 1;
	ev.proc.args_truncated = 1;
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"exec\",\"action\":\"observe\"," HOST "," PROC
		     ",\"exe\":\"/bin/s\xef\xbf\xbdh\",\"exe_truncated\":true,"
		     "\"args\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\",\"trunc\"],\"args_truncated\":true}}", "exec");
	ASSERT_TRUE(parses(w.buf), "exec parses");

	base(&ev, EVENT_EXEC, &host);
	ev.proc.exe = "";
	ev.proc.args = "";
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"exec\",\"action\":\"observe\"," HOST "," PROC
		     ",\"exe\":\"\",\"args\":[]}}", "exec without exe and args");
	ev.proc.args = "\0\0x";
	ev.proc.args_len = 3;
	ASSERT_CONTAINS(fmt(&w, &ev), "\"args\":[\"\",\"\",\"x\"]}}", "empty arguments, a cut last one");

	base(&ev, EVENT_FORK, NULL);
	ev.fork.child_pid = 7;
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"fork\",\"action\":\"observe\"," PROC
		     "},\"fork\":{\"child_pid\":7}}", "no container");
	json_free(&w);
}

/* comm: 16 bytes without a NUL, escapes, bytes past its NUL ignored, in every event shape. */
static void test_comm(void)
{
	static const struct { const char *comm; size_t n; const char *want; } cases[] = {
		{ "0123456789abcdef", 16, "\"comm\":\"0123456789abcdef\"" },
		{ "a\"b\\c", 5, "\"comm\":\"a\\\"b\\\\c\"" },
		{ "tab\there", 8, "\"comm\":\"tab\\there\"" },
		{ "\xff\xfe", 2, "\"comm\":\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "", 0, "\"comm\":\"\"" },
		{ "x\0\"\x01\xff", 5, "\"comm\":\"x\"" },	/* after the NUL: not part of it */
	};
	struct json_writer w;
	struct event ev;
	char want[128];

	json_init(&w, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int k = 0; k < 3; k++) {
			base(&ev, k == 0 ? EVENT_FORK : k == 1 ? EVENT_EXIT : EVENT_EXEC, &host);
			memset(ev.proc.comm, 'Z', sizeof(ev.proc.comm));
			memcpy(ev.proc.comm, cases[i].comm, cases[i].n);
			ev.proc.comm[cases[i].n < 16 ? cases[i].n : 16] = '\0';
			if (cases[i].n == 5 && cases[i].comm[1] == '\0')
				memcpy(ev.proc.comm, cases[i].comm, 5);
			if (k == 2) {
				ev.proc.exe = "/x";
				ev.proc.exe_len = 2;
			}
			snprintf(want, sizeof(want), "%s%s", cases[i].want,
				 k == 0 ? "},\"fork\"" : k == 1 ? "},\"exit\"" : ",\"exe\":\"/x\"}");
			ASSERT_CONTAINS(fmt(&w, &ev), want, "comm");
			ASSERT_TRUE(parses(w.buf), "parses");
		}
	json_free(&w);
}

static void test_alert_lines(void)
{
	struct json_writer w;
	struct event ev;

	json_init(&w, NULL);
	base(&ev, EVENT_NET, &pod);
	ev.action = ACTION_DENY;
	ev.net.family = 4;
	ev.net.proto = 6;
	ev.net.hook = 2;
	ev.net.raddr[0] = 10;
	ev.net.raddr[3] = 1;
	ev.net.rport = 443;
	ev.net.count = 3;
	ev.net.policy = "p";
	ev.net.rule = "spec.network.egress[0]";
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"net\",\"action\":\"deny\"," POD "," PROC
		     "},\"net\":{\"direction\":\"egress\",\"hook\":\"connect\",\"protocol\":\"tcp\",\"family\":\"ipv4\","
		     "\"remote\":\"10.0.0.1\",\"remote_port\":443,\"count\":3,\"policy\":\"p\","
		     "\"rule\":\"spec.network.egress[0]\"}}", "net deny");
	ASSERT_TRUE(parses(w.buf), "net parses");

	base(&ev, EVENT_NET, &host);
	ev.proc.pid = 0;
	ev.action = ACTION_AUDIT;
	ev.net.family = 6;
	ev.net.proto = 17;
	ev.net.dir = 1;
	ev.net.laddr[15] = 1;
	ev.net.lport = 53;
	ev.net.count = 1;
	ev.net.bytes = 100;
	ev.net.held = 1;
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"net\",\"action\":\"audit\"," HOST
		     ",\"net\":{\"direction\":\"ingress\",\"hook\":\"egress\",\"protocol\":\"udp\",\"family\":\"ipv6\","
		     "\"remote\":\"::\",\"local\":\"::1\",\"local_port\":53,\"count\":1,\"bytes\":100,"
		     "\"unclassified\":true}}", "net audit from softirq");

	base(&ev, EVENT_FILE, &pod);
	ev.action = ACTION_DENY;
	ev.file.path = "/etc/shadow";
	ev.file.path_len = 11;
	ev.file.op = 0;
	ev.file.hook = 0;
	ev.file.flags = 1u << 1;
	ev.file.suppressed = 4;
	ev.file.policy = "p";
	ev.file.rule = "spec.file[0]";
	ASSERT_STREQ(fmt(&w, &ev), "{" TIME ",\"kind\":\"file\",\"action\":\"deny\"," POD "," PROC
		     "},\"file\":{\"path\":\"/etc/shadow\",\"operation\":\"read\",\"hook\":\"file_open\","
		     "\"enforcement\":\"killed\",\"suppressed_before\":4,\"policy\":\"p\",\"rule\":\"spec.file[0]\"}}",
		     "file deny");
	ASSERT_TRUE(parses(w.buf), "file parses");
	json_free(&w);
}

/* An alert: category, rule, severity, technique, evidence (strings and numbers), ancestry. */
static void test_alert(void)
{
	struct event_alert al = { .category = ALERT_CGROUP_ESCAPE, .severity = ALERT_SEV_CRITICAL,
				  .rule = "release-agent-write", .technique = "T1611",
				  .summary = "release_agent \"opened\" for writing" };
	struct json_writer w;
	struct event ev;

	alert_evidence_str(&al, "path", "/tmp/cg/release_agent");
	alert_evidence_u64(&al, "target_pid", 42);
	al.chain[0] = (struct alert_ancestor){ .pid = 7, .uid = 0, .comm = "sh", .exe = "/bin/busybox" };
	al.chain[1] = (struct alert_ancestor){ .pid = 1, .uid = 0, .comm = "sleep" };
	al.n_chain = 2;
	json_init(&w, NULL);
	base(&ev, EVENT_ALERT, NULL);
	ev.action = ACTION_ALERT;
	ev.alert = &al;
	fmt(&w, &ev);
	ASSERT_TRUE(parses(w.buf), "alert parses");
	ASSERT_CONTAINS(w.buf, "\"kind\":\"alert\",\"action\":\"alert\"", "kind and action");
	ASSERT_CONTAINS(w.buf, "\"alert\":{\"category\":\"cgroup-escape\",\"rule\":\"release-agent-write\","
			"\"severity\":\"critical\",\"technique\":\"T1611\",\"summary\":\"release_agent "
			"\\\"opened\\\" for writing\",\"evidence\":{\"path\":\"/tmp/cg/release_agent\","
			"\"target_pid\":42},\"ancestry\":[{\"pid\":7,\"uid\":0,\"comm\":\"sh\",\"exe\":"
			"\"/bin/busybox\"},{\"pid\":1,\"uid\":0,\"comm\":\"sleep\"}]}", "alert body");
	json_free(&w);
}

/* event_json.c's own copies of the names are event.c's. */
static void test_names(void)
{
	static const struct event_alert al = { .rule = "r", .summary = "s" };
	struct json_writer w;
	struct event ev;
	char want[64];

	json_init(&w, NULL);
	for (int k = EVENT_EXEC; k <= EVENT_ALERT + 1; k++)
		for (int a = ACTION_OBSERVE; a <= ACTION_RESOLVED + 1; a++) {
			base(&ev, (enum event_kind)k, NULL);
			if (k == EVENT_ALERT)
				ev.alert = &al;
			ev.action = (enum event_action)a;
			ev.proc.pid = 0;
			fmt(&w, &ev);
			snprintf(want, sizeof(want), "\"kind\":\"%s\",\"action\":\"%s\"",
				 event_kind_name((enum event_kind)k), event_action_name((enum event_action)a));
			ASSERT_CONTAINS(w.buf, want, "kind and action names");
		}
	json_free(&w);
}

int main(void)
{
	RUN(test_escaping);
	RUN(test_alert);
	RUN(test_escaping_words);
	RUN(test_escaping_blocks);
	RUN(test_number_digits);
	RUN(test_times);
	RUN(test_long_strings_grow);
	RUN(test_numbers_and_nesting);
	RUN(test_event_lines);
	RUN(test_comm);
	RUN(test_alert_lines);
	RUN(test_names);
	return test_summary();
}
