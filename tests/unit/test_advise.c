// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead advise's writer (userspace/anomaly/advise.c) without a kernel: the
 * selector, what each kind of event contributes (exec, file writes, egress,
 * learning mode's alerts), what is left out (denials, other containers, the
 * host, hostile paths and addresses), the policy it writes, and random and
 * truncated JSON lines (run under ASan/UBSan in the SAN build).
 */
#include <stdlib.h>

#include "test.h"
#include "anomaly/advise.h"

#define CT "\"container\":{\"cgroup_id\":7,\"host\":false,\"id\":\"c\",\"name\":\"app\",\"pod\":\"web-0\",\"namespace\":\"shop\",\"runtime\":\"runc\"}"

static const char *const good[] = {
	"{\"time\":\"2026-12-07T06:00:00Z\",\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"pid\":1,\"exe\":\"/bin/busybox\"}}",
	"{\"time\":\"2026-12-07T06:00:01Z\",\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"pid\":2,\"exe\":\"/usr/bin/wget\"}}",
	"{\"time\":\"2026-12-07T06:00:02Z\",\"kind\":\"file\",\"action\":\"audit\"," CT ",\"file\":{\"path\":\"/tmp/out/a\",\"operation\":\"write\"}}",
	"{\"time\":\"2026-12-07T06:00:03Z\",\"kind\":\"file\",\"action\":\"audit\"," CT ",\"file\":{\"path\":\"/var/log/x.log\",\"operation\":\"create\"}}",
	"{\"time\":\"2026-12-07T06:00:04Z\",\"kind\":\"net\",\"action\":\"audit\"," CT ",\"net\":{\"direction\":\"egress\",\"protocol\":\"tcp\",\"remote\":\"127.0.0.1\",\"remote_port\":8080}}",
	"{\"time\":\"2026-12-07T06:00:05Z\",\"kind\":\"alert\",\"action\":\"alert\"," CT ",\"alert\":{\"rule\":\"new-destination\",\"evidence\":{\"destination\":\"[2001:db8::1]:443\"}}}",
};

static char *write_policy(struct advise *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (advise_write(a, f, "unit") != 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static void test_selector(void)
{
	struct advise_selector s;
	char err[256];

	ASSERT_EQ(advise_parse_selector("namespace=shop,pod=web-0,container=app", &s, err, sizeof(err)), 0, "all three");
	ASSERT_STREQ(s.ns, "shop", "namespace");
	ASSERT_STREQ(s.pod, "web-0", "pod");
	ASSERT_EQ(advise_parse_selector("pod=web-0", &s, err, sizeof(err)), 0, "one");
	ASSERT_EQ(advise_parse_selector("", &s, err, sizeof(err)), -1, "empty");
	ASSERT_EQ(advise_parse_selector("pod", &s, err, sizeof(err)), -1, "no value");
	ASSERT_EQ(advise_parse_selector("image=x", &s, err, sizeof(err)), -1, "unknown key");
	ASSERT_EQ(advise_parse_selector("namespace=Shop", &s, err, sizeof(err)), -1, "upper case");
	ASSERT_EQ(advise_parse_selector("container=a\"b", &s, err, sizeof(err)), -1, "a quote");
	ASSERT_EQ(advise_parse_selector("namespace=a.b", &s, err, sizeof(err)), -1, "a dot in a namespace");
}

static void test_policy(void)
{
	struct advise_selector s;
	char err[256], *p;
	struct advise *a;

	ASSERT_EQ(advise_parse_selector("namespace=shop,container=app", &s, err, sizeof(err)), 0, "selector");
	a = advise_new(&s);
	ASSERT_TRUE(a, "advise_new");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ASSERT_EQ(advise_line(a, good[i], strlen(good[i])), ADVISE_USED, good[i]);
	ASSERT_EQ(advise_line(a, good[0], strlen(good[0])), ADVISE_USED, "again");
	p = write_policy(a);
	advise_free(a);
	ASSERT_TRUE(p, "written");
	ASSERT_CONTAINS(p, "kind: Policy\n", "kind");
	ASSERT_CONTAINS(p, "  name: advised-app\n", "name");
	ASSERT_CONTAINS(p, "    namespaces: [shop]\n    containers: [app]\n", "selector");
	ASSERT_CONTAINS(p, "    exec: deny\n    egress: deny\n", "defaults");
	ASSERT_CONTAINS(p, "# started 2 times, first at 2026-12-07T06:00:00Z\n      - \"/bin/busybox\"", "exec rule and its source");
	ASSERT_CONTAINS(p, "- \"/usr/bin/wget\"", "second exec");
	ASSERT_CONTAINS(p, "# 1 write seen, first at 2026-12-07T06:00:02Z\n    - paths: [\"/tmp/out/\"]", "write prefix");
	ASSERT_CONTAINS(p, "- paths: [\"/var/log/\"]", "second prefix");
	ASSERT_CONTAINS(p, "- cidrs: [\"127.0.0.1/32\"]\n        ports: [8080]\n        protocol: tcp", "egress v4");
	ASSERT_CONTAINS(p, "- cidrs: [\"2001:db8::1/128\"]\n        ports: [443]\n        protocol: any", "egress from learning");
	free(p);
}

static void test_left_out(void)
{
	static const char *const bad[] = {
		/* denied: not behaviour */
		"{\"kind\":\"net\",\"action\":\"deny\"," CT ",\"net\":{\"direction\":\"egress\",\"protocol\":\"tcp\",\"remote\":\"10.0.0.1\",\"remote_port\":22}}",
		/* another container, the host */
		"{\"kind\":\"exec\",\"action\":\"observe\",\"container\":{\"host\":false,\"name\":\"other\",\"namespace\":\"shop\"},\"process\":{\"exe\":\"/bin/evil\"}}",
		"{\"kind\":\"exec\",\"action\":\"observe\",\"container\":{\"host\":true},\"process\":{\"exe\":\"/bin/evil\"}}",
		/* hostile paths and addresses */
		"{\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"exe\":\"/bin/*\"}}",
		"{\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"exe\":\"/bin/../x\"}}",
		"{\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"exe\":\"/bin/a\\nb\"}}",
		"{\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"exe\":\"/bin/a\\u0000b\"}}",
		"{\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"exe\":\"relative\"}}",
		"{\"kind\":\"exec\",\"action\":\"observe\"," CT ",\"process\":{\"exe\":\"/bin/\\\"q\"}}",
		"{\"kind\":\"file\",\"action\":\"audit\"," CT ",\"file\":{\"path\":\"/x\",\"operation\":\"write\"}}",
		"{\"kind\":\"net\",\"action\":\"audit\"," CT ",\"net\":{\"direction\":\"egress\",\"protocol\":\"tcp\",\"remote\":\"1.2.3.400\",\"remote_port\":1}}",
		"{\"kind\":\"net\",\"action\":\"audit\"," CT ",\"net\":{\"direction\":\"egress\",\"protocol\":\"tcp\",\"remote\":\"1.2.3.4\",\"remote_port\":70000}}",
		"{\"kind\":\"net\",\"action\":\"audit\"," CT ",\"net\":{\"direction\":\"egress\",\"protocol\":\"sctp\",\"remote\":\"1.2.3.4\",\"remote_port\":1}}",
		"{\"kind\":\"net\",\"action\":\"audit\"," CT ",\"net\":{\"direction\":\"ingress\",\"protocol\":\"tcp\",\"remote\":\"1.2.3.4\",\"remote_port\":1}}",
		/* unknown kinds, wrong types */
		"{\"kind\":\"mystery\",\"action\":\"observe\"," CT "}",
		"{\"kind\":7,\"action\":\"observe\"," CT "}",
		"{\"kind\":\"exec\",\"action\":\"observe\",\"container\":[]}",
	};
	struct advise_selector s;
	char err[256], *p;
	struct advise *a;

	ASSERT_EQ(advise_parse_selector("container=app", &s, err, sizeof(err)), 0, "selector");
	a = advise_new(&s);
	ASSERT_TRUE(a, "advise_new");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(advise_line(a, bad[i], strlen(bad[i])), ADVISE_IGNORED, bad[i]);
	ASSERT_EQ(advise_line(a, "{\"kind\":\"exec\"", 14), ADVISE_MALFORMED, "truncated");
	p = write_policy(a);
	advise_free(a);
	ASSERT_TRUE(p, "written");
	ASSERT_TRUE(!strstr(p, "evil") && !strstr(p, "10.0.0.1") && !strstr(p, "1.2.3.4") && !strstr(p, "cidrs"),
		    "nothing of the bad lines");
	ASSERT_TRUE(!strstr(p, "  exec:\n"), "no empty exec list (check refuses one)");
	free(p);
}

static void test_malformed(void)
{
	static const char *const m[] = {
		"", "{", "not json", "[1,2]", "{\"a\":1} trailing", "{\"a\":1}{\"b\":2}",
		"{\"a\":01}", "{\"a\":nan}", "\"str\"",
	};
	struct advise_selector s;
	char err[256];
	struct advise *a;
	char *big;

	ASSERT_EQ(advise_parse_selector("container=app", &s, err, sizeof(err)), 0, "selector");
	a = advise_new(&s);
	ASSERT_TRUE(a, "advise_new");
	for (size_t i = 1; i < sizeof(m) / sizeof(m[0]); i++)
		ASSERT_EQ(advise_line(a, m[i], strlen(m[i])), ADVISE_MALFORMED, m[i]);
	ASSERT_EQ(advise_line(a, m[0], 0), ADVISE_IGNORED, "empty line");
	/* json-c takes single quotes even in strict mode: never used, at least. */
	ASSERT_TRUE(advise_line(a, "{'kind':'exec'}", 15) != ADVISE_USED, "single quotes");
	big = malloc(ADVISE_LINE_MAX + 10);
	ASSERT_TRUE(big, "malloc");
	memset(big, ' ', ADVISE_LINE_MAX + 10);
	big[0] = '{';
	big[ADVISE_LINE_MAX + 8] = '}';
	ASSERT_EQ(advise_line(a, big, ADVISE_LINE_MAX + 9), ADVISE_MALFORMED, "over the line limit");
	free(big);
	advise_free(a);
}

/* Random bytes, and every prefix of every good line, mutated: never a crash. */
static void test_fuzz(void)
{
	struct advise_selector s;
	char err[256], buf[1024], *p;
	struct advise *a;

	ASSERT_EQ(advise_parse_selector("namespace=shop", &s, err, sizeof(err)), 0, "selector");
	a = advise_new(&s);
	ASSERT_TRUE(a, "advise_new");
	srand(13);
	for (int i = 0; i < 20000; i++) {
		const char *g = good[(size_t)rand() % (sizeof(good) / sizeof(good[0]))];
		size_t n = strlen(g), cut = (size_t)rand() % (n + 1);

		memcpy(buf, g, n);
		for (int k = rand() % 4; k > 0; k--)
			buf[(size_t)rand() % n] = (char)(rand() % 256);
		advise_line(a, buf, i % 3 ? cut : n);
		for (size_t k = 0; k < 64; k++)
			buf[k] = (char)(rand() % 256);
		advise_line(a, buf, 64);
	}
	p = write_policy(a);
	ASSERT_TRUE(p, "written after fuzzing");
	ASSERT_TRUE(advise_stats(a)->malformed > 0, "malformed counted");
	free(p);
	advise_free(a);
}

int main(void)
{
	RUN(test_selector);
	RUN(test_policy);
	RUN(test_left_out);
	RUN(test_malformed);
	RUN(test_fuzz);
	return test_summary();
}
