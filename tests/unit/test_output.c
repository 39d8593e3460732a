// SPDX-License-Identifier: GPL-2.0
/*
 * Outputs: the sink queue (alerts first, separate budgets, drops counted,
 * backoff and reconnect without losing the queue, bounded exit), the JSON
 * file sink (SIGHUP reopen), the remote syslog sink against real loopback
 * sockets (UDP datagrams; TCP octet counting across a peer that closes),
 * and output.c end to end (JSON lines, loss reports, filters).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include "output/output.h"
#include "output/output_json.h"
#include "output/output_queue.h"
#include "output/output_remote.h"
#include "test.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- a sink in memory, which can block and fail ------------------------- */

struct mem_sink {
	pthread_mutex_t mu;
	char out[1 << 16];
	size_t len;
	int fail_opens;		/* open() fails this many more times */
	int always_fail;
	volatile int blocked;	/* deliver() waits while set */
	int opens, closes;
};

static int ms_open(void *p)
{
	struct mem_sink *s = p;
	int r = 0;

	pthread_mutex_lock(&s->mu);
	s->opens++;
	if (s->always_fail || s->fail_opens > 0) {
		s->fail_opens--;
		r = -ECONNREFUSED;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

static long ms_deliver(void *p, enum oq_class cls, const char *buf, size_t len)
{
	struct mem_sink *s = p;

	while (s->blocked)
		usleep(1000);
	pthread_mutex_lock(&s->mu);
	if (len > sizeof(s->out) - s->len)
		len = sizeof(s->out) - s->len;
	memcpy(s->out + s->len, buf, len);
	s->len += len;
	pthread_mutex_unlock(&s->mu);
	return (long)len;
}

static void ms_close(void *p)
{
	((struct mem_sink *)p)->closes++;
}

static const struct oq_sink_ops mem_ops = { .open = ms_open, .deliver = ms_deliver, .close = ms_close };

static size_t ms_len(struct mem_sink *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->len;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static int wait_len(struct mem_sink *s, size_t n, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	while (ms_len(s) < n && mono_ms() < end)
		usleep(2000);
	return ms_len(s) >= n ? 0 : -1;
}

static void test_queue_alerts_first(void)
{
	struct mem_sink s = { .mu = PTHREAD_MUTEX_INITIALIZER, .blocked = 1 };
	struct output_queue *q = oq_new("mem", &mem_ops, &s, 4096, 4096);
	struct oq_stats st;

	ASSERT_TRUE(q && !oq_start(q), "start");
	/* The writer takes the first message and blocks in deliver(); queue behind it. */
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "t1\n", 3), 0, "t1");
	oq_kick(q);
	usleep(50000);
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "t2\n", 3), 0, "t2");
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "t3\n", 3), 0, "t3");
	ASSERT_EQ(oq_push(q, OQ_ALERT, "A1\n", 3), 0, "A1");
	s.blocked = 0;
	oq_kick(q);
	ASSERT_EQ(wait_len(&s, 12, 2000), 0, "all delivered");
	s.out[s.len] = 0;
	ASSERT_STREQ(s.out, "t1\nA1\nt2\nt3\n", "the alert overtakes queued telemetry");
	oq_get_stats(q, &st);
	ASSERT_EQ(st.queued[OQ_ALERT], 1, "alerts queued");
	ASSERT_EQ(st.queued[OQ_TELEMETRY], 3, "telemetry queued");
	ASSERT_EQ(st.delivered_bytes, 12, "bytes");
	oq_free(q, 1000);
}

static void test_queue_budgets(void)
{
	struct mem_sink s = { .mu = PTHREAD_MUTEX_INITIALIZER, .always_fail = 1 };
	struct output_queue *q = oq_new("mem", &mem_ops, &s, 100, 100);
	char line[10] = "123456789\n";
	struct oq_stats st;
	int ok = 0, full = 0;

	ASSERT_TRUE(q && !oq_start(q), "start");
	/* The sink is down: telemetry fills its budget and is dropped... */
	for (int i = 0; i < 30; i++) {
		if (oq_push(q, OQ_TELEMETRY, line, 10) == 0)
			ok++;
		else
			full++;
	}
	ASSERT_TRUE(ok >= 10 && ok <= 20, "telemetry accepted up to its budget (+ what the writer holds)");
	ASSERT_TRUE(full >= 10, "then refused");
	/* ...while alerts still have all of theirs. */
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(oq_push(q, OQ_ALERT, line, 10), 0, "alert accepted despite full telemetry");
	ASSERT_EQ(oq_push(q, OQ_ALERT, line, 10), -ENOSPC, "the 11th alert exceeds the alert budget");
	for (int i = 0; i < 100; i++) {		/* the writer's first attempt */
		oq_get_stats(q, &st);
		if (st.errors)
			break;
		usleep(10000);
	}
	oq_get_stats(q, &st);
	ASSERT_EQ(st.dropped[OQ_TELEMETRY], (uint64_t)full, "telemetry drops counted");
	ASSERT_EQ(st.dropped[OQ_ALERT], 1, "alert drop counted");
	ASSERT_TRUE(!st.up && st.errors >= 1, "down, errors counted");
	oq_free(q, 50);
	/* (freed: the abandoned bytes were logged and counted) */
}

static void test_queue_reconnect_keeps_queue(void)
{
	struct mem_sink s = { .mu = PTHREAD_MUTEX_INITIALIZER, .fail_opens = 3 };
	struct output_queue *q = oq_new("mem", &mem_ops, &s, 4096, 4096);
	struct oq_stats st;
	char want[256] = "";
	uint64_t t0 = mono_ms();

	ASSERT_TRUE(q && !oq_start(q), "start");
	for (int i = 0; i < 10; i++) {
		char l[16];

		snprintf(l, sizeof(l), "m%d\n", i);
		strcat(want, l);
		ASSERT_EQ(oq_push(q, i % 3 ? OQ_TELEMETRY : OQ_ALERT, l, strlen(l)), 0, "push");
	}
	oq_kick(q);
	/* 3 failed opens: backoff 100 + 200 + 400 ms */
	ASSERT_EQ(wait_len(&s, strlen(want), 5000), 0, "everything delivered after the sink came back");
	ASSERT_TRUE(mono_ms() - t0 >= 600, "with backoff between attempts");
	oq_get_stats(q, &st);
	ASSERT_EQ(st.errors, 3, "three failures");
	ASSERT_EQ(st.reconnects, 1, "one recovery");
	ASSERT_EQ(st.dropped[0] + st.dropped[1], 0, "nothing dropped");
	ASSERT_TRUE(st.up, "up");
	ASSERT_EQ(s.opens, 4, "four opens");
	oq_free(q, 1000);
}

static void test_queue_exit_deadline(void)
{
	struct mem_sink s = { .mu = PTHREAD_MUTEX_INITIALIZER, .always_fail = 1 };
	struct output_queue *q = oq_new("mem", &mem_ops, &s, 4096, 4096);
	uint64_t t0;

	ASSERT_TRUE(q && !oq_start(q), "start");
	ASSERT_EQ(oq_push(q, OQ_ALERT, "x\n", 2), 0, "push");
	t0 = mono_ms();
	oq_free(q, 300);
	ASSERT_TRUE(mono_ms() - t0 < 2000, "a dead sink does not hold the exit past its deadline");
}

/* ---- remote: parsing, UDP, TCP ------------------------------------------ */

static void test_remote_parse(void)
{
	struct remote_addr a;

	ASSERT_EQ(output_remote_parse("udp://127.0.0.1:514", &a), 0, "udp");
	ASSERT_TRUE(!a.tcp && !strcmp(a.host, "127.0.0.1") && !strcmp(a.port, "514"), "udp fields");
	ASSERT_EQ(output_remote_parse("tcp://[::1]:6514", &a), 0, "tcp v6");
	ASSERT_TRUE(a.tcp && !strcmp(a.host, "::1") && !strcmp(a.port, "6514"), "v6 fields");
	ASSERT_EQ(output_remote_parse("tcp://logs.example.com:601", &a), 0, "hostname");
	ASSERT_EQ(output_remote_parse("http://x:1", &a), -EINVAL, "scheme");
	ASSERT_EQ(output_remote_parse("udp://x", &a), -EINVAL, "no port");
	ASSERT_EQ(output_remote_parse("udp://x:0", &a), -EINVAL, "port 0");
	ASSERT_EQ(output_remote_parse("udp://x:65536", &a), -EINVAL, "port too big");
	ASSERT_EQ(output_remote_parse("udp://:514", &a), -EINVAL, "no host");
	ASSERT_EQ(output_remote_parse("udp://::1:514", &a), -EINVAL, "v6 without brackets");
	ASSERT_EQ(output_remote_parse("udp://a b:514", &a), -EINVAL, "space");
	ASSERT_EQ(output_remote_parse("tcp://x:51a", &a), -EINVAL, "junk port");
}

static int listen_on(int type, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 4)) || getsockname(fd, (struct sockaddr *)&sa, &sl))
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_remote_udp(void)
{
	uint16_t port;
	int fd = listen_on(SOCK_DGRAM, &port);
	char url[64], err[256], buf[512];
	struct output_queue *q;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	ASSERT_TRUE(fd >= 0, "udp socket");
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", port);
	q = output_remote_new(url, 4096, 4096, err, sizeof(err));
	ASSERT_TRUE(q && !oq_start(q), err);
	ASSERT_EQ(oq_push(q, OQ_ALERT, "<28>1 - h a 1 m - one\n<28>1 - h a 1 m - two\n", 44), 0, "push two");
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(poll(&pfd, 1, 2000), 1, "datagram arrives");
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		ASSERT_TRUE(n > 0, "recv");
		buf[n] = 0;
		ASSERT_STREQ(buf, i ? "<28>1 - h a 1 m - two" : "<28>1 - h a 1 m - one",
			     "one message per datagram, no newline");
	}
	oq_free(q, 500);
	close(fd);
}

/* Read octet-counted frames from fd until n arrived or the peer closes. */
static int read_frames(int fd, char frames[][64], int n, int timeout_ms)
{
	static char buf[8192];
	static size_t len;
	int got = 0;
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;

	len = 0;
	while (got < n && mono_ms() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *sp;
		ssize_t r;

		while (got < n && (sp = memchr(buf, ' ', len))) {
			size_t ml = strtoul(buf, NULL, 10), hl = (size_t)(sp - buf) + 1;

			if (len < hl + ml)
				break;
			snprintf(frames[got++], 64, "%.*s", (int)ml, sp + 1);
			memmove(buf, buf + hl + ml, len - hl - ml);
			len -= hl + ml;
		}
		if (got == n || poll(&pfd, 1, 100) <= 0)
			continue;
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	return got;
}

static void test_remote_tcp_reconnect(void)
{
	uint16_t port;
	int lfd = listen_on(SOCK_STREAM, &port), c1, c2;
	char url[64], err[256], frames[8][64];
	struct output_queue *q;
	struct oq_stats st;

	ASSERT_TRUE(lfd >= 0, "tcp listener");
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	q = output_remote_new(url, 4096, 4096, err, sizeof(err));
	ASSERT_TRUE(q && !oq_start(q), err);
	ASSERT_EQ(oq_push(q, OQ_ALERT, "first message\n", 14), 0, "push");
	c1 = accept(lfd, NULL, NULL);
	ASSERT_TRUE(c1 >= 0, "accept 1");
	ASSERT_EQ(read_frames(c1, frames, 1, 2000), 1, "one frame");
	ASSERT_STREQ(frames[0], "first message", "octet-counted: LEN SP MSG");
	/* The server goes away (a restart): the sink notices and connects again. */
	close(c1);
	usleep(100000);
	for (int i = 0; i < 5; i++) {
		char m[32];

		snprintf(m, sizeof(m), "after %d\n", i);
		ASSERT_EQ(oq_push(q, i == 2 ? OQ_ALERT : OQ_TELEMETRY, m, strlen(m)), 0, "push after");
	}
	oq_kick(q);
	c2 = accept(lfd, NULL, NULL);
	ASSERT_TRUE(c2 >= 0, "accept 2: reconnected");
	ASSERT_EQ(read_frames(c2, frames, 5, 3000), 5, "all five frames on the new connection");
	ASSERT_STREQ(frames[0], "after 2", "the alert first");
	ASSERT_STREQ(frames[1], "after 0", "then telemetry in order");
	ASSERT_STREQ(frames[4], "after 4", "last");
	oq_get_stats(q, &st);
	ASSERT_EQ(st.dropped[0] + st.dropped[1], 0, "nothing dropped");
	ASSERT_TRUE(st.reconnects >= 1, "reconnect counted");
	oq_free(q, 500);
	close(c2);
	close(lfd);
}

static void test_remote_tcp_down_then_up(void)
{
	uint16_t port;
	int lfd = listen_on(SOCK_STREAM, &port), c;
	char url[64], err[256], frames[4][64];
	struct output_queue *q;

	ASSERT_TRUE(lfd >= 0, "listener");
	close(lfd);		/* nobody listens on port yet */
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	q = output_remote_new(url, 4096, 4096, err, sizeof(err));
	ASSERT_TRUE(q && !oq_start(q), err);
	ASSERT_EQ(oq_push(q, OQ_ALERT, "queued while down\n", 18), 0, "push");
	usleep(250000);		/* refused at least twice */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int one = 1;

		lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ASSERT_TRUE(!bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 4), "listen now");
	}
	c = accept(lfd, NULL, NULL);
	ASSERT_TRUE(c >= 0, "the sink connects once the server is up");
	ASSERT_EQ(read_frames(c, frames, 1, 3000), 1, "the queued alert arrives");
	ASSERT_STREQ(frames[0], "queued while down", "content");
	oq_free(q, 500);
	close(c);
	close(lfd);
}

/* ---- JSON file sink and output.c ---------------------------------------- */

static char dir[] = "/tmp/bh-test-output-XXXXXX";

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	return buf;
}

static void test_json_reopen(void)
{
	char path[128], moved[128], err[256];
	struct output_queue *q;

	snprintf(path, sizeof(path), "%s/events.json", dir);
	snprintf(moved, sizeof(moved), "%s/events.json.1", dir);
	q = output_json_new(path, 4096, 4096, err, sizeof(err));
	ASSERT_TRUE(q && !oq_start(q), err);
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "{\"n\":1}\n", 8), 0, "push 1");
	oq_kick(q);
	usleep(100000);
	ASSERT_EQ(rename(path, moved), 0, "logrotate moves the file");
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "{\"n\":2}\n", 8), 0, "push 2");
	oq_kick(q);
	usleep(100000);
	oq_request_reopen(q);	/* SIGHUP */
	usleep(100000);
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "{\"n\":3}\n", 8), 0, "push 3");
	oq_free(q, 1000);
	ASSERT_STREQ(slurp(moved), "{\"n\":1}\n{\"n\":2}\n", "old file: lines before the reopen");
	ASSERT_STREQ(slurp(path), "{\"n\":3}\n", "new file after SIGHUP");
	ASSERT_TRUE(output_json_new("/nonexistent/dir/x.json", 1, 1, err, sizeof(err)) == NULL,
		    "a bad path fails at start");
	ASSERT_CONTAINS(err, "/nonexistent/dir/x.json", "and says which");
}

static void test_output_end_to_end(void)
{
	char path[128], err[256];
	struct container_info host = { .cgroup_id = 1, .host = true, .resolved = true, .cgroup_path = "/" };
	struct container_info ct = { .cgroup_id = 7, .id = "c7", .name = "app", .pod = "p", .ns = "n",
				     .runtime = "runc", .resolved = true };
	struct output_config cfg = { 0 };
	struct output_lost l = { .time_ns = 1, .container = &ct, .count = 4, .total = 10, .ring = "process" };
	struct output *o;
	struct event ev;
	char *text, *line, *save = NULL;
	int lines = 0, lost = 0, deny = 0, exec = 0;

	snprintf(path, sizeof(path), "%s/e2e.json", dir);
	cfg.json_path = path;
	cfg.containers_only = true;
	o = output_new(&cfg, err, sizeof(err));
	ASSERT_TRUE(o != NULL, err);
	memset(&ev, 0, sizeof(ev));
	ev.kind = EVENT_EXEC;
	ev.container = &ct;
	ev.proc.exe = "/bin/x\"y";
	ev.proc.exe_len = 8;
	output_emit(o, &ev);
	ev.container = &host;
	output_emit(o, &ev);	/* filtered: containers only */
	ev.container = &ct;
	ev.kind = EVENT_NET;
	ev.action = ACTION_DENY;
	ev.net.family = 4;
	ev.proc.exe = NULL;
	output_emit(o, &ev);
	output_lost(o, &l);
	output_flush(o);
	ASSERT_EQ(output_stats(o)->emitted, 2, "emitted");
	ASSERT_EQ(output_stats(o)->filtered, 1, "filtered");
	ASSERT_EQ(output_stats(o)->lost_reports, 1, "lost reports");
	output_free(o);
	text = slurp(path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *j = json_tokener_parse(line), *k, *v;

		ASSERT_TRUE(j != NULL, "every line is JSON");
		lines++;
		ASSERT_TRUE(json_object_object_get_ex(j, "kind", &k), "kind");
		if (!strcmp(json_object_get_string(k), "lost")) {
			lost++;
			ASSERT_TRUE(json_object_object_get_ex(j, "lost", &v), "lost object");
			ASSERT_EQ(json_object_get_int64(json_object_object_get(v, "records")), 4, "records");
			ASSERT_EQ(json_object_get_int64(json_object_object_get(v, "total")), 10, "total");
			ASSERT_STREQ(json_object_get_string(json_object_object_get(v, "ring")), "process", "ring");
			ASSERT_STREQ(json_object_get_string(json_object_object_get(
				json_object_object_get(j, "container"), "pod")), "p", "lost carries the pod");
		} else if (!strcmp(json_object_get_string(k), "net")) {
			deny++;
		} else if (!strcmp(json_object_get_string(k), "exec")) {
			exec++;
		}
		json_object_put(j);
	}
	ASSERT_EQ(lines, 3, "three lines");
	ASSERT_TRUE(lost == 1 && deny == 1 && exec == 1, "one of each");
}

/* Lines of a file, each checked to be a JSON object; -1 if one is not. */
static int count_lines(const char *path, const char *must_contain)
{
	char *text = slurp(path), *line, *save = NULL;	/* a static buffer */
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *j = json_tokener_parse(line);

		if (!j || (must_contain && !strstr(line, must_contain))) {
			n = -1;
			break;
		}
		json_object_put(j);
		n++;
	}
	return n;
}

static void fork_event(struct event *ev, const struct container_info *c, uint32_t child)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = EVENT_FORK;
	ev->container = c;
	ev->proc.pid = ev->proc.tid = 42;
	strcpy(ev->proc.comm, "parent");
	ev->fork.child_pid = child;
}

/*
 * Telemetry is formatted straight into the JSON sink's queue, one batch at a
 * time: the queue filling up in the middle of a batch drops (and counts) the
 * lines that do not fit, never half a line; a line larger than the whole
 * budget is dropped alone; what was accepted is written.
 */
static void test_output_batch_budget(void)
{
	struct container_info host = { .cgroup_id = 1, .host = true, .resolved = true, .cgroup_path = "/" };
	struct output_config cfg = { .queue_bytes = 1000 };
	struct output_sink_info si;
	char path[128], err[256], args[3000];
	struct output *o;
	struct event ev;
	size_t len;
	int i, fit;

	/* One line alone first, for its length (every line here has the same). */
	fork_event(&ev, &host, 100);
	snprintf(path, sizeof(path), "%s/one.json", dir);
	cfg.json_path = path;
	o = output_new(&cfg, err, sizeof(err));
	ASSERT_TRUE(o != NULL, err);
	output_emit(o, &ev);
	output_free(o);
	fit = (int)(1000 / strlen(slurp(path)));
	ASSERT_TRUE(fit >= 2 && fit < 10, "a few lines fit");
	snprintf(path, sizeof(path), "%s/batch.json", dir);
	o = output_new(&cfg, err, sizeof(err));
	ASSERT_TRUE(o != NULL, err);
	for (i = 0; i < 10; i++) {
		fork_event(&ev, &host, 100 + (uint32_t)i);
		output_emit(o, &ev);
	}
	ASSERT_EQ(output_stats(o)->dropped, 10 - fit, "the batch overflows the queue: the rest dropped");
	output_sinks(o, &si, 1);
	ASSERT_EQ(si.dropped[1], 10 - fit, "and counted on the sink");
	output_flush(o);
	/* A line larger than the whole budget. */
	memset(args, 'a', sizeof(args));
	len = sizeof(args);
	fork_event(&ev, &host, 0);
	ev.kind = EVENT_EXEC;
	ev.proc.args = args;
	ev.proc.args_len = len;
	output_emit(o, &ev);
	ASSERT_EQ(output_stats(o)->dropped, 10 - fit + 1, "a line larger than the budget: dropped alone");
	output_free(o);
	ASSERT_EQ(count_lines(path, "\"kind\":\"fork\""), fit, "the lines that fit, whole, nothing else");
}

/* An alert does not wait for the telemetry batch it arrives in. */
static void test_output_alert_overtakes_batch(void)
{
	struct container_info host = { .cgroup_id = 1, .host = true, .resolved = true, .cgroup_path = "/" };
	struct output_config cfg = { 0 };
	char path[128], err[256];
	struct output *o;
	struct event ev;
	uint64_t end;
	int n = 0;

	snprintf(path, sizeof(path), "%s/overtake.json", dir);
	cfg.json_path = path;
	o = output_new(&cfg, err, sizeof(err));
	ASSERT_TRUE(o != NULL, err);
	fork_event(&ev, &host, 7);
	output_emit(o, &ev);			/* telemetry, staged: no flush yet */
	ev.kind = EVENT_NET;
	ev.action = ACTION_DENY;
	ev.net.family = 4;
	output_emit(o, &ev);			/* an alert: written at once */
	for (end = mono_ms() + 2000; mono_ms() < end && (n = count_lines(path, "\"net\"")) < 1;)
		usleep(5000);
	ASSERT_EQ(n, 1, "the alert is written before the batch is flushed");
	ASSERT_EQ(count_lines(path, NULL), 1, "and the telemetry is not (yet)");
	/* The loop flushes every drain tick: telemetry goes out within OQ_WAKE_MS. */
	for (end = mono_ms() + 2000; mono_ms() < end && (n = count_lines(path, NULL)) < 2;) {
		output_flush(o);
		usleep(20000);
	}
	ASSERT_EQ(n, 2, "then the batch, after a few ticks");
	output_free(o);
}

/* The fill buffer lent to the loop, with a message pushed the usual way meanwhile. */
static void test_queue_borrow(void)
{
	struct mem_sink s = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct output_queue *q = oq_new("mem", &mem_ops, &s, 4096, 4096);
	struct oq_buf b;
	struct oq_stats st;

	ASSERT_TRUE(q && !oq_start(q), "start");
	oq_borrow(q, OQ_TELEMETRY, &b);
	ASSERT_EQ(b.len, 0, "empty");
	b.data = realloc(b.data, 64);
	ASSERT_TRUE(b.data != NULL, "grown by the borrower");
	b.cap = 64;
	memcpy(b.data, "b1\nb2\n", 6);
	b.len = 6;
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "p\n", 2), 0, "a push while lent");
	oq_get_stats(q, &st);
	ASSERT_EQ(st.queued_bytes[OQ_TELEMETRY], 2, "lent bytes (0 at borrow) + pushed");
	oq_give_back(q, OQ_TELEMETRY, &b, 2);
	ASSERT_TRUE(b.data == NULL, "the borrower's handle is emptied");
	oq_kick(q);
	ASSERT_EQ(wait_len(&s, 8, 2000), 0, "delivered");
	s.out[s.len] = 0;
	ASSERT_STREQ(s.out, "b1\nb2\np\n", "the borrower's messages, then the pushed one");
	oq_get_stats(q, &st);
	ASSERT_EQ(st.queued[OQ_TELEMETRY], 3, "three messages counted");
	oq_free(q, 1000);
}

/*
 * Telemetry wakes the writer at the end of a batch, at most every OQ_WAKE_MS
 * (or at once when OQ_WAKE_BYTES wait); what a batch left behind is due
 * OQ_WAKE_MS after the last wake (oq_due_ms(): the loop comes back then),
 * never later; alerts wake it at once.
 */
static void test_queue_telemetry_wakes(void)
{
	struct mem_sink s = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct output_queue *q = oq_new("mem", &mem_ops, &s, 4096, 4096);
	uint64_t t0, due;

	ASSERT_TRUE(q && !oq_start(q), "start");
	usleep(50000);				/* the writer is asleep (as after each write below) */
	ASSERT_EQ(oq_due_ms(q), UINT64_MAX, "nothing waits: nothing due");
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "a\n", 2), 0, "push");
	usleep(50000);
	ASSERT_EQ(ms_len(&s), 0, "telemetry alone does not wake the writer");
	t0 = mono_ms();
	oq_nudge(q);
	ASSERT_EQ(wait_len(&s, 2, 2000), 0, "the first nudge wakes it");
	ASSERT_EQ(oq_due_ms(q), UINT64_MAX, "the writer took it: nothing due");
	usleep(20000);
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "b\n", 2), 0, "push");
	oq_nudge(q);				/* within OQ_WAKE_MS of the last wake */
	due = oq_due_ms(q);
	ASSERT_TRUE(due >= t0 + OQ_WAKE_MS && due <= mono_ms() + OQ_WAKE_MS, "due OQ_WAKE_MS after the last wake");
	usleep(50000);
	ASSERT_EQ(ms_len(&s), 2, "held back until then");
	ASSERT_EQ(oq_push(q, OQ_ALERT, "!\n", 2), 0, "an alert");
	ASSERT_EQ(wait_len(&s, 6, 2000), 0, "wakes the writer at once, which takes the telemetry too");
	ASSERT_EQ(oq_due_ms(q), UINT64_MAX, "nothing due");
	usleep(20000);
	ASSERT_EQ(oq_push(q, OQ_TELEMETRY, "c\n", 2), 0, "push");
	while (mono_ms() < oq_due_ms(q))
		usleep(5000);
	oq_nudge(q);				/* when the loop comes back */
	ASSERT_EQ(wait_len(&s, 8, 2000), 0, "then it is written");
	oq_free(q, 1000);
}

static void test_output_bad_remote(void)
{
	struct output_config cfg = { .syslog_remote = { "tcp://nohost" } };
	char err[256];

	ASSERT_TRUE(output_new(&cfg, err, sizeof(err)) == NULL, "bad address refused");
	ASSERT_CONTAINS(err, "tcp://nohost", "the message names it");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_queue_alerts_first);
	RUN(test_queue_budgets);
	RUN(test_queue_reconnect_keeps_queue);
	RUN(test_queue_exit_deadline);
	RUN(test_remote_parse);
	RUN(test_remote_udp);
	RUN(test_remote_tcp_reconnect);
	RUN(test_remote_tcp_down_then_up);
	RUN(test_json_reopen);
	RUN(test_queue_borrow);
	RUN(test_queue_telemetry_wakes);
	RUN(test_output_batch_budget);
	RUN(test_output_alert_overtakes_batch);
	RUN(test_output_end_to_end);
	RUN(test_output_bad_remote);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return test_summary();
}
