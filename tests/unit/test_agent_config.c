// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's config file: keys are bulkhead run's long options, turned
 * into "--key=value" arguments with their line numbers; hostile and wrong
 * files are refused with FILE:LINE.
 */
#include <stdlib.h>

#include "agent/agent_config.h"
#include "test.h"

static const struct option opts[] = {
	{ "json-file", required_argument, NULL, 'o' },
	{ "syslog", no_argument, NULL, 1 },
	{ "syslog-remote", required_argument, NULL, 2 },
	{ "drain-ms", required_argument, NULL, 3 },
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};
static const char *const rep[] = { "syslog-remote", NULL };

static int parse(const char *text, struct agent_config_args *a, char *err)
{
	return agent_config_parse("cfg.yaml", text, strlen(text), opts, rep, a, err, 256);
}

static void test_good(void)
{
	struct agent_config_args a;
	char err[256] = "";

	ASSERT_EQ(parse("# comment\n"
			"json-file: /var/log/x.json\n"
			"syslog: true\n"
			"syslog-remote:\n"
			"  - udp://10.0.0.1:514\n"
			"  - \"tcp://[::1]:601\"\n"
			"drain-ms: 20\n", &a, err), 0, err);
	ASSERT_EQ(a.argc, 6, "argv[0] + 5 settings");
	ASSERT_STREQ(a.argv[0], "cfg.yaml", "argv[0] is the file");
	ASSERT_STREQ(a.argv[1], "--json-file=/var/log/x.json", "value");
	ASSERT_EQ(a.lines[1], 2, "its line");
	ASSERT_STREQ(a.argv[2], "--syslog", "true flag");
	ASSERT_STREQ(a.argv[3], "--syslog-remote=udp://10.0.0.1:514", "list item 1");
	ASSERT_EQ(a.lines[3], 5, "list item line");
	ASSERT_STREQ(a.argv[4], "--syslog-remote=tcp://[::1]:601", "list item 2");
	ASSERT_STREQ(a.argv[5], "--drain-ms=20", "number");
	ASSERT_TRUE(a.argv[6] == NULL, "NULL-terminated");
	agent_config_args_free(&a);

	ASSERT_EQ(parse("syslog: false\n", &a, err), 0, err);
	ASSERT_EQ(a.argc, 1, "false flags are left out");
	agent_config_args_free(&a);
	ASSERT_EQ(parse("", &a, err), 0, "empty file");
	agent_config_args_free(&a);
	ASSERT_EQ(parse("---\n", &a, err), 0, "empty document");
	agent_config_args_free(&a);
}

static void bad(const char *text, const char *want)
{
	struct agent_config_args a;
	char err[256] = "";

	if (parse(text, &a, err) == 0) {
		TEST_FAIL("accepted: %s", text);
		agent_config_args_free(&a);
		return;
	}
	if (!strstr(err, want))
		TEST_FAIL("for %s: expected \"%s\" in \"%s\"", text, want, err);
}

static void test_bad(void)
{
	bad("json-file: a\nbogus: 1\n", "cfg.yaml:2: unknown key 'bogus'");
	bad("config: other.yaml\n", "cfg.yaml:1: unknown key 'config'");
	bad("help: true\n", "unknown key 'help'");
	bad("drain-ms: 1\n\ndrain-ms: 2\n", "cfg.yaml:3: 'drain-ms' is given twice");
	bad("syslog-remote: a\nsyslog-remote: b\n", "give a list instead");
	bad("syslog: yes\n", "cfg.yaml:1: syslog: expected true or false");
	bad("json-file: [a, b]\n", "json-file takes one value, not a list");
	bad("json-file:\n", "json-file: needs a value");
	bad("json-file: {a: b}\n", "json-file: expected a value");
	bad("syslog-remote: [[a]]\n", "a list of plain values expected");
	bad("- a\n- b\n", "cfg.yaml:1: expected a mapping");
	bad("json-file: &x a\ndrain-ms: *x\n", "anchors and aliases");
	bad("json-file: a\n---\ndrain-ms: 1\n", "one document only");
	bad("json-file: \"a\n", "cfg.yaml:");
	bad("json-file: \"a\\0b\"\n", "NUL byte");
	bad("? [a]\n: b\n", "expected a setting name");
}

static void test_limits(void)
{
	struct agent_config_args a;
	char err[256];
	size_t n = AGENT_CONFIG_MAX_BYTES + 10;
	char *big = malloc(n + 1);
	char *many = malloc(300 * 40 + 64), *p;

	ASSERT_TRUE(big && many, "malloc");
	memset(big, ' ', n);
	big[n] = 0;
	ASSERT_EQ(agent_config_parse("cfg.yaml", big, n, opts, rep, &a, err, sizeof(err)), -1, "too big");
	ASSERT_CONTAINS(err, "larger than", "says so");
	free(big);
	p = many + sprintf(many, "syslog-remote:\n");
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "  - udp://h:%d\n", i + 1);
	ASSERT_EQ(parse(many, &a, err), -1, "too many settings");
	ASSERT_CONTAINS(err, "more than", "says so");
	free(many);
}

static void test_config_path(void)
{
	char *a1[] = { "run", "-v", "--config", "x.yaml", NULL };
	char *a2[] = { "run", "--config=y.yaml", NULL };
	char *a3[] = { "run", "-c", "z.yaml", NULL };
	char *a4[] = { "run", "--config", NULL };
	char *a5[] = { "run", "--json-file", "a", NULL };

	ASSERT_STREQ(agent_config_path(4, a1), "x.yaml", "--config FILE");
	ASSERT_STREQ(agent_config_path(2, a2), "y.yaml", "--config=FILE");
	ASSERT_STREQ(agent_config_path(3, a3), "z.yaml", "-c FILE");
	ASSERT_STREQ(agent_config_path(2, a4), "", "missing file");
	ASSERT_TRUE(agent_config_path(3, a5) == NULL, "none");
}

int main(void)
{
	RUN(test_good);
	RUN(test_bad);
	RUN(test_limits);
	RUN(test_config_path);
	return test_summary();
}
