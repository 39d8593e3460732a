// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics: bounded per-container series (the "_other" bucket, slots freed
 * when a container goes), label escaping, the exposition text, and the HTTP
 * endpoint against hostile requests (methods, paths, bodies, connection
 * limits), on a real loopback socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include "metrics/metrics.h"
#include "metrics/metrics_http.h"
#include "output/output_rfc5424.h"
#include "test.h"

static struct container_info ct(uint64_t id, const char *ns, const char *pod, const char *name)
{
	struct container_info c;

	memset(&c, 0, sizeof(c));
	c.cgroup_id = id;
	c.resolved = true;
	snprintf(c.id, sizeof(c.id), "id%llu", (unsigned long long)id);
	snprintf(c.ns, sizeof(c.ns), "%s", ns);
	snprintf(c.pod, sizeof(c.pod), "%s", pod);
	snprintf(c.name, sizeof(c.name), "%s", name);
	return c;
}

static void emit(struct metrics *m, const struct container_info *c, enum event_kind k,
		 enum event_action a, uint32_t count)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = k;
	ev.action = a;
	ev.container = c;
	if (k == EVENT_NET)
		ev.net.count = count;
	metrics_event(m, &ev);
}

static char *render(struct metrics *m)
{
	static char *text;
	struct metrics_agent ag = { .containers_tracked = 3 };

	free(text);
	text = NULL;
	metrics_render(m, &ag);
	if (metrics_snapshot(m, &text) < 0)
		return "";
	return text;
}

static void test_series_bounded(void)
{
	struct metrics_config cfg = { .max_containers = 2 };
	char err[256];
	struct metrics *m = metrics_new(&cfg, err, sizeof(err));
	struct container_info a = ct(10, "shop", "web-0", "nginx"), b = ct(11, "shop", "web-1", "nginx"),
			      c = ct(12, "bank", "db-0", "pg"), d = ct(13, "bank", "db-1", "pg");
	struct container_info host = { .cgroup_id = 1, .host = true };
	char *t;

	ASSERT_TRUE(m != NULL, err);
	emit(m, &a, EVENT_EXEC, ACTION_OBSERVE, 0);
	emit(m, &a, EVENT_EXEC, ACTION_OBSERVE, 0);
	emit(m, &b, EVENT_NET, ACTION_DENY, 5);
	emit(m, &c, EVENT_EXEC, ACTION_OBSERVE, 0);	/* over the bound */
	emit(m, &host, EVENT_FORK, ACTION_OBSERVE, 0);
	metrics_lost(m, &a, "process", 7);
	t = render(m);
	ASSERT_CONTAINS(t, "bulkhead_events_total{namespace=\"shop\",pod=\"web-0\",container=\"nginx\","
			"kind=\"exec\",action=\"observe\"} 2\n", "own series");
	ASSERT_CONTAINS(t, "bulkhead_denials_total{namespace=\"shop\",pod=\"web-1\",container=\"nginx\","
			"kind=\"net\"} 5\n", "denials count the aggregated records' count");
	ASSERT_CONTAINS(t, "bulkhead_events_total{namespace=\"_other\",pod=\"_other\",container=\"_other\","
			"kind=\"exec\",action=\"observe\"} 1\n", "third container in _other");
	ASSERT_CONTAINS(t, "bulkhead_events_total{namespace=\"\",pod=\"\",container=\"\",kind=\"fork\","
			"action=\"observe\"} 1\n", "host: empty labels");
	ASSERT_CONTAINS(t, "bulkhead_events_lost_total{namespace=\"shop\",pod=\"web-0\",container=\"nginx\","
			"ring=\"process\"} 7\n", "lost per container");
	ASSERT_CONTAINS(t, "bulkhead_containers_tracked 3\n", "gauge from the agent");
	ASSERT_TRUE(!strstr(t, "db-0"), "no series of its own for the container over the bound");
	/* a container goes: its slot is free for the next one */
	metrics_forget(m, 10);
	emit(m, &d, EVENT_EXEC, ACTION_OBSERVE, 0);
	t = render(m);
	ASSERT_TRUE(!strstr(t, "web-0"), "the gone container's series are removed");
	ASSERT_CONTAINS(t, "pod=\"db-1\",container=\"pg\",kind=\"exec\"", "the next container has its own");
	emit(m, &c, EVENT_EXEC, ACTION_OBSERVE, 0);
	t = render(m);
	ASSERT_CONTAINS(t, "bulkhead_events_total{namespace=\"_other\",pod=\"_other\",container=\"_other\","
			"kind=\"exec\",action=\"observe\"} 2\n", "_other stays monotonic");
	metrics_free(m);
}

static void test_labels_escaped(void)
{
	struct metrics_config cfg = { 0 };
	char err[256];
	struct metrics *m = metrics_new(&cfg, err, sizeof(err));
	struct container_info a = ct(20, "a\"b", "c\\d", "e\nf\xff");
	struct sbuf b = { 0 };

	ASSERT_TRUE(m != NULL, err);
	emit(m, &a, EVENT_EXEC, ACTION_OBSERVE, 0);
	ASSERT_CONTAINS(render(m), "{namespace=\"a\\\"b\",pod=\"c\\\\d\",container=\"e\\nf\xef\xbf\xbd\",",
			"quote, backslash, newline escaped; invalid UTF-8 replaced");
	metrics_escape_label(&b, "caf\xc3\xa9");
	ASSERT_STREQ(b.data, "caf\xc3\xa9", "valid UTF-8 kept");
	sbuf_free(&b);
	metrics_free(m);
}

/* ---- HTTP --------------------------------------------------------------- */

static int connect_to(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send req, read the whole answer (the server closes: Connection: close). */
static const char *http(unsigned port, const char *req)
{
	static char buf[1 << 17];
	size_t len = 0;
	int fd = connect_to(port);

	buf[0] = 0;
	if (fd < 0)
		return buf;
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return buf;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 3000) <= 0)
			break;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(fd);
	return buf;
}

static void test_http(void)
{
	struct metrics_config cfg = { .addr = "127.0.0.1:0" };
	char err[256];
	struct metrics *m = metrics_new(&cfg, err, sizeof(err));
	struct container_info a = ct(30, "ns", "pod", "c");
	unsigned port;
	const char *r;
	int idle[8], n = 0, fd;

	if (!metrics_http_available()) {
		printf("SKIP test_http: built without libmicrohttpd\n");
		metrics_free(m);
		return;
	}
	ASSERT_TRUE(m != NULL, err);
	port = metrics_port(m);
	ASSERT_TRUE(port > 0, "bound to a port");
	r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 503", 12), "nothing rendered yet: 503");
	emit(m, &a, EVENT_EXEC, ACTION_OBSERVE, 0);
	render(m);
	r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 200", 12), "GET /metrics: 200");
	ASSERT_CONTAINS(r, "text/plain; version=0.0.4", "exposition content type");
	ASSERT_CONTAINS(r, "bulkhead_events_total{namespace=\"ns\",pod=\"pod\",container=\"c\"", "the body");
	r = http(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 200", 12) && !strstr(r, "bulkhead_events_total"), "HEAD: no body");
	r = http(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "\r\n\r\nok\n"), "healthz");
	r = http(port, "GET /metrics/../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 404", 12), "other paths: 404");
	r = http(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
		       "Connection: close\r\n\r\nxxxx");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 405", 12) && strstr(r, "Allow: GET, HEAD"), "POST: 405, body unread");
	r = http(port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 405", 12), "DELETE: 405");
	r = http(port, "GARBAGE\r\n\r\n");
	ASSERT_TRUE(!strstr(r, "200 OK"), "garbage: no 200");
	{
		/* a header bigger than the connection's memory limit */
		static char big[64 << 10];

		memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
		memset(big + 26, 'a', sizeof(big) - 32);
		memcpy(big + sizeof(big) - 6, "\r\n\r\n", 5);
		r = http(port, big);
		ASSERT_TRUE(!strstr(r, "200 OK"), "oversized request: refused");
	}
	/* Connections per address are limited: idle ones use them up... */
	for (n = 0; n < METRICS_HTTP_MAX_CONN_PER_IP; n++)
		idle[n] = connect_to(port);
	usleep(100000);
	fd = connect_to(port);
	{
		char c;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		ASSERT_TRUE(fd < 0 || (poll(&p, 1, 2000) == 1 && read(fd, &c, 1) <= 0),
			    "one more connection from the same address is closed at once");
		if (fd >= 0)
			close(fd);
	}
	/* ...and are given back when closed. */
	for (int i = 0; i < n; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	usleep(200000);
	r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 200", 12), "served again after the idle connections closed");
	metrics_free(m);
}

/* The policy set in force and refused loads: bulkhead_policy_info, bulkhead_policy_load_errors_total. */
static void test_policy_info(void)
{
	struct metrics_config cfg = { 0 };
	char err[256];
	struct metrics *m = metrics_new(&cfg, err, sizeof(err));
	uint8_t d[32];
	char *t;

	ASSERT_TRUE(m, "metrics_new");
	t = render(m);
	ASSERT_TRUE(!strstr(t, "bulkhead_policy_info{"), "no info before a set is in force");
	ASSERT_CONTAINS(t, "\nbulkhead_policy_load_errors_total 0\n", "errors from 0");
	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)(i * 8 + 1);
	metrics_policy_loaded(m, d);
	metrics_policy_load_failed(m);
	d[0] = 0xff;
	metrics_policy_loaded(m, d);
	metrics_policy_load_failed(m);
	t = render(m);
	ASSERT_CONTAINS(t, "# TYPE bulkhead_policy_info gauge\nbulkhead_policy_info{sha256=\"ff0911192129313941"
			"4951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9\",generation=\"2\"} 1\n",
			"the last set in force, its generation");
	ASSERT_CONTAINS(t, "# TYPE bulkhead_policy_load_errors_total counter\n"
			"bulkhead_policy_load_errors_total 2\n", "two refused loads");
	metrics_free(m);
}

static void test_bad_addr(void)
{
	struct metrics_config cfg = { .addr = "localhost:9464" };
	char err[256];

	ASSERT_TRUE(metrics_new(&cfg, err, sizeof(err)) == NULL, "names are refused (numeric only)");
	ASSERT_CONTAINS(err, "--metrics-addr", "message says which option");
	cfg.addr = "127.0.0.1:99999";
	ASSERT_TRUE(metrics_new(&cfg, err, sizeof(err)) == NULL, "port out of range");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_series_bounded);
	RUN(test_labels_escaped);
	RUN(test_http);
	RUN(test_policy_info);
	RUN(test_bad_addr);
	return test_summary();
}
