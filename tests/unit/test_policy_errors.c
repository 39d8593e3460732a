// SPDX-License-Identifier: GPL-2.0
/*
 * Policies that must be rejected, one table per error class. Each case names
 * the exact "file:line:col: field: message" prefix a user would see.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "policy/policy.h"

#define HDR "apiVersion: bulkhead/v1\nkind: Policy\nmetadata:\n  name: t\nspec:\n" \
	    "  selector:\n    containers: [app]\n"
/* line 8 is the first line after HDR */
#define DOC(name, sel) "---\napiVersion: bulkhead/v1\nkind: Policy\nmetadata:\n  name: " name \
	"\nspec:\n  selector:\n" sel

struct neg {
	const char *yaml;
	const char *want;	/* substring of one formatted diagnostic */
};

/* Load yaml (len 0 = strlen); the load must fail with a diagnostic containing want. */
static int rejects(const char *yaml, size_t len, const char *want, char *why, size_t whylen)
{
	struct policy_errors e;
	struct policy_set *s;
	char buf[2048];
	int found = 0;

	policy_errors_init(&e);
	s = policy_set_load_buffer("t.yaml", yaml, len ? len : strlen(yaml), &e);
	for (uint32_t i = 0; i < e.n; i++)
		if (strstr(policy_error_format(&e.v[i], buf, sizeof(buf)), want))
			found = 1;
	if (s)
		snprintf(why, whylen, "loaded, expected an error containing \"%s\"", want);
	else if (!found)
		snprintf(why, whylen, "no diagnostic contains \"%s\"; first: %s", want,
			 e.n ? policy_error_format(&e.v[0], buf, sizeof(buf)) : "(none)");
	policy_set_free(s);
	policy_errors_free(&e);
	return !s && found;
}

static void run_table(const struct neg *t, size_t n)
{
	char why[2600];

	for (size_t i = 0; i < n; i++)
		if (!rejects(t[i].yaml, 0, t[i].want, why, sizeof(why)))
			TEST_FAIL("case %zu: %s", i, why);
}
#define RUN_TABLE(t) run_table(t, sizeof(t) / sizeof(t[0]))

static void test_unknown_keys(void)
{
	static const struct neg t[] = {
		{ HDR "  file:\n    - pahts: [/etc/]\n      action: deny\n",
		  "t.yaml:9:7: spec.file[0].pahts: unknown key (did you mean 'paths'?); expected one of: paths, ops, action" },
		{ "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: t}\nspecs: {}\n",
		  "t.yaml:4:1: specs: unknown key (did you mean 'spec'?)" },
		{ HDR "  netwrok: {}\n", "t.yaml:8:3: spec.netwrok: unknown key (did you mean 'network'?)" },
		{ HDR "  escape: {mounts: false}\n", "spec.escape.mounts: unknown key (did you mean 'mount'?)" },
		{ HDR "  anomaly: {thresholds: {forkRate: 5}}\n", "spec.anomaly.thresholds.forkRate: unknown key" },
		{ "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: t, namespace: web}\nspec: {}\n",
		  "metadata.namespace: unknown key: policies are not namespaced; select namespaces with spec.selector.namespaces" },
		{ HDR "  defaults: {file: {wrtie: deny}}\n", "spec.defaults.file.wrtie: unknown key (did you mean 'write'?)" },
		{ HDR "  mode: {files: audit}\n", "spec.mode.files: unknown key (did you mean 'file'?)" },
		{ HDR "  network: {egress: [{cidr: 10.0.0.0/8, action: deny}]}\n",
		  "spec.network.egress[0].cidr: unknown key (did you mean 'cidrs'?)" },
	};
	RUN_TABLE(t);
}

static void test_duplicates(void)
{
	static const struct neg t[] = {
		{ HDR "  mode: audit\n  mode: enforce\n", "t.yaml:9:3: spec.mode: duplicate key (first at line 8, column 3)" },
		{ DOC("a", "    namespaces: [x]\n") DOC("a", "    namespaces: [y]\n"),
		  "metadata.name: duplicate policy name \"a\" (first defined at t.yaml:1:1)" },
		{ "---\napiVersion: bulkhead/v1\nkind: NodeDefault\nmetadata: {name: d1}\nspec: {}\n"
		  "---\napiVersion: bulkhead/v1\nkind: NodeDefault\nmetadata: {name: d2}\nspec: {}\n",
		  "kind: a second NodeDefault (\"d2\")" },
		{ DOC("a", "    namespaces: [x, y]\n") DOC("b", "    namespaces: [y, x]\n"),
		  "spec.selector: can never match: the same selector as policy \"a\"" },
	};
	RUN_TABLE(t);
}

static void test_wrong_types(void)
{
	static const struct neg t[] = {
		{ HDR "  file: {paths: /etc/}\n", "t.yaml:8:9: spec.file: expected a list of file rules ({paths, ops, action}), got a mapping" },
		{ HDR "  escape: on\n", "spec.escape: expected a mapping of escape protections to true, false, alert or enforce, got \"on\"" },
		{ HDR "  escape: {mount: yes}\n", "spec.escape.mount: expected true, false, alert or enforce, got \"yes\"" },
		{ HDR "  file:\n    - paths: {a: b}\n      action: deny\n", "spec.file[0].paths: expected a list of path, got a mapping" },
		{ HDR "  file:\n    - paths: [[/a]]\n      action: deny\n", "spec.file[0].paths[0]: expected a path like /etc/ or /usr/bin/*, got a list" },
		{ HDR "  file:\n    - paths: [/a]\n      action: maybe\n", "spec.file[0].action: expected one of allow, deny, got \"maybe\"" },
		{ HDR "  file:\n    - paths: [/a]\n", "t.yaml:9:7: spec.file[0].action: required: allow or deny" },
		{ HDR "  file:\n    - paths: [/a]\n      ops: []\n      action: deny\n", "spec.file[0].ops: expected at least one operation, got an empty list" },
		{ HDR "  mode: enforcing\n", "spec.mode: expected one of enforce, audit, got \"enforcing\" (did you mean 'enforce'?)" },
		{ HDR "  anomaly: {learningWindow: 10s}\n", "spec.anomaly.learningWindow: expected a duration between 60s and 30d" },
		{ HDR "  anomaly: {learn: 5s}\n", "spec.anomaly.learn: expected a duration between 60s and 30d" },
		{ HDR "  anomaly: {learn: [10m]}\n", "spec.anomaly.learn: expected a duration between 60s and 30d" },
		{ HDR "  anomaly: {thresholds: {memory: 99999999999Ti}}\n", "spec.anomaly.thresholds.memory: expected a quantity like 512Mi" },
		{ HDR "  anomaly: {thresholds: {cpuPercent: -5}}\n", "spec.anomaly.thresholds.cpuPercent: expected a percentage of one CPU (0..100000), got \"-5\"" },
		{ HDR "  anomaly: {sensitivity: hgih}\n", "(did you mean 'high'?)" },
		{ "apiVersion: bulkhead/v2\nkind: Policy\nmetadata: {name: t}\nspec: {selector: {pods: [a]}}\n",
		  "t.yaml:1:13: apiVersion: expected bulkhead/v1, got \"bulkhead/v2\"" },
		{ "apiVersion: bulkhead/v1\nkind: Polcy\nmetadata: {name: t}\nspec: {selector: {pods: [a]}}\n",
		  "kind: expected one of Policy, NodeDefault, got \"Polcy\" (did you mean 'Policy'?)" },
		{ "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: Web_Server}\nspec: {selector: {pods: [a]}}\n",
		  "metadata.name: expected a name of lowercase letters" },
		{ "- a\n- b\n", "t.yaml:1:1: expected a policy document (a mapping with apiVersion, kind, metadata, spec), got a list" },
		{ "# only a comment\n", "t.yaml:1:1: no policy documents in this file" },
		{ "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: t}\n", "required: the policy's spec" },
	};
	RUN_TABLE(t);
}

static void test_network_values(void)
{
	static const struct neg t[] = {
		{ HDR "  network:\n    egress:\n      - cidrs: [10.0.0.300/8]\n        action: allow\n",
		  "t.yaml:10:17: spec.network.egress[0].cidrs[0]: expected an IPv4 or IPv6 CIDR like 10.0.0.0/8 or 2001:db8::/32, got \"10.0.0.300/8\"" },
		{ HDR "  network: {egress: [{cidrs: [10.0.0.1/8], action: allow}]}\n",
		  "expected a network address with the host bits zero (did you mean 10.0.0.0/8?), got \"10.0.0.1/8\"" },
		{ HDR "  network: {egress: [{cidrs: [10.0.0.0/33], action: allow}]}\n", "expected a prefix length 0..32 after '/'" },
		{ HDR "  network: {egress: [{cidrs: [\"2001:db8::/129\"], action: allow}]}\n", "expected a prefix length 0..128 after '/'" },
		{ HDR "  network: {egress: [{cidrs: [\"2001:db8::1/32\"], action: allow}]}\n", "did you mean 2001:db8::/32?" },
		{ HDR "  network: {egress: [{cidrs: [10.0.0.0/], action: allow}]}\n", "expected a prefix length" },
		{ HDR "  network: {egress: [{cidrs: [example.com], action: allow}]}\n", "expected an IPv4 or IPv6 CIDR" },
		{ HDR "  network: {egress: [{ports: [\"9000-8000\"], action: allow}]}\n",
		  "spec.network.egress[0].ports[0]: expected a port 1..65535, a range like \"8000-8080\" (0..65535, low <= high) or any, got \"9000-8000\"" },
		{ HDR "  network: {egress: [{ports: [0], action: allow}]}\n", "got \"0\"" },
		{ HDR "  network: {egress: [{ports: [70000], action: allow}]}\n", "got \"70000\"" },
		{ HDR "  network: {egress: [{ports: [\"80-\"], action: allow}]}\n", "got \"80-\"" },
		{ HDR "  network: {egress: [{ports: [http], action: allow}]}\n", "got \"http\"" },
		{ HDR "  network: {egress: [{protocol: sctp, action: allow}]}\n", "expected one of any, tcp, udp, icmp, got \"sctp\"" },
	};
	RUN_TABLE(t);
}

static void test_patterns(void)
{
	static char longpath[400];
	static struct neg t[] = {
		{ HDR "  file: [{paths: [etc/passwd], action: deny}]\n",
		  "spec.file[0].paths[0]: expected an absolute path starting with '/', got \"etc/passwd\"" },
		{ HDR "  file: [{paths: [\"/a/**b\"], action: deny}]\n", "malformed glob: '**' must be a whole path component" },
		{ HDR "  file: [{paths: [\"/a/***\"], action: deny}]\n", "malformed glob" },
		{ HDR "  file: [{paths: [\"/a/?\"], action: deny}]\n", "unsupported glob syntax '?'" },
		{ HDR "  file: [{paths: [\"/a/[ab]\"], action: deny}]\n", "unsupported glob syntax '['" },
		{ HDR "  file: [{paths: [/a/../etc], action: deny}]\n", "expected a path without '.' or '..' components" },
		{ HDR "  file: [{paths: [\"/*/*/*/*/*/*/*/*/*\"], action: deny}]\n", "too many wildcards: 9, at most 8" },
		{ HDR "  exec: {allow: [bash]}\n", "spec.exec.allow[0]: expected an absolute path starting with '/', got \"bash\"" },
		{ HDR "  exec: {allow: /bin/ls, deny: [/bin/ls]}\n", "spec.exec.allow: can never match: \"/bin/ls\" is also denied" },
		{ NULL, "path pattern longer than 255 bytes" },
		{ HDR "  file: [{paths: [\"/tmp/\\x01\"], action: deny}]\n", "expected a path without control characters" },
	};
	size_t o = 0;

	while (o < 300) {
		memcpy(longpath + o, "/abcd", 5);
		o += 5;
	}
	static char yaml[1024];
	snprintf(yaml, sizeof(yaml), HDR "  file: [{paths: [%s], action: deny}]\n", longpath);
	t[9].yaml = yaml;
	RUN_TABLE(t);
}

static void test_never_match(void)
{
	static const struct neg t[] = {
		{ HDR "  network: {egress: [{protocol: icmp, ports: [53], action: allow}]}\n",
		  "spec.network.egress[0].ports: can never match: ICMP has no ports" },
		{ HDR "  file:\n    - paths: [/etc/]\n      ops: [write, create]\n      action: deny\n"
		  "    - paths: [/etc/]\n      ops: [write]\n      action: allow\n",
		  "t.yaml:12:15: spec.file[1]: can never match: \"/etc/\" (write) is denied for the same ops by another rule" },
		{ HDR "  network:\n    egress:\n      - {cidrs: [10.0.0.0/8], ports: [443], protocol: tcp, action: deny}\n"
		  "      - {cidrs: [10.0.0.0/8], ports: [443], protocol: tcp, action: allow}\n",
		  "spec.network.egress[1]: can never match: spec.network.egress[0] denies the same addresses" },
		{ DOC("a", "    namespaces: [Web]\n"), "spec.selector.namespaces[0]: can never match a Kubernetes namespace name" },
		{ DOC("a", "    containers: [my_app]\n"), "can never match a Kubernetes container name" },
		{ DOC("a", "    pods: [\"nginx-*\", \"x\"]\n    namespaces: [\"a-very-long-namespace-name-that-is-longer-than-sixty-three-characters\"]\n"),
		  "longer than 63 characters" },
		{ HDR "  file: [{paths: [\"/a/b234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"], action: deny}]\n",
		  "path component longer than 255 bytes can never match" },
	};
	RUN_TABLE(t);
}

static void test_selectors(void)
{
	static const struct neg t[] = {
		{ "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: t}\nspec: {mode: audit}\n",
		  "spec.selector: required: which containers this policy applies to" },
		{ "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: t}\nspec: {selector: {}}\n",
		  "spec.selector: expected at least one of namespaces, pods, containers, cgroups: an empty selector would match every container" },
		{ "apiVersion: bulkhead/v1\nkind: NodeDefault\nmetadata: {name: t}\nspec: {selector: {pods: [a]}}\n",
		  "spec.selector: a NodeDefault applies to every container no other policy selects" },
		{ DOC("a", "    namespaces: []\n"), "spec.selector.namespaces: expected at least one glob, got an empty list" },
		{ DOC("a", "    cgroups: [kubepods]\n"), "spec.selector.cgroups[0]: expected an absolute path starting with '/'" },
	};
	RUN_TABLE(t);
}

static void test_yaml_hostile(void)
{
	static const struct neg t[] = {
		{ HDR "  mode: &m audit\n", "t.yaml:8:9: YAML anchors (&m) are not supported in policies" },
		{ HDR "  mode: *m\n", "t.yaml:8:9: YAML aliases (*m) are not supported in policies" },
		{ "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
		  "t.yaml:1:4: YAML anchors (&a) are not supported" },
		{ HDR "  mode: !!python/object audit\n", "YAML tag tag:yaml.org,2002:python/object is not supported" },
		{ HDR "  file: [\n", "YAML syntax error" },
		{ "key: \"unterminated\n", "t.yaml:2:1: YAML syntax error: found unexpected end of stream while scanning a quoted scalar" },
		{ "a: [[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]\n", "nesting too deep: more than 16 levels" },
		{ HDR "  mode: \"a\\0b\"\n", "scalar contains a NUL byte" },
		{ "a: \xff\n", "t.yaml:1:4: YAML syntax error: invalid leading UTF-8 octet" },
		{ "\xff\xfe", "no policy documents" },
		{ HDR "  mode: \"\xc3\x28\"\n", "YAML syntax error" },
	};
	RUN_TABLE(t);
}

static void test_limits(void)
{
	char why[2600];
	size_t cap = (POLICY_MAX_FILE_BYTES + 4096), o;
	char *buf = malloc(cap);

	ASSERT_TRUE(buf, "malloc");
	/* file size */
	memset(buf, '#', POLICY_MAX_FILE_BYTES + 1);
	buf[POLICY_MAX_FILE_BYTES] = '\n';
	if (!rejects(buf, POLICY_MAX_FILE_BYTES + 1, "file too large: 1048577 bytes, at most 1048576", why, sizeof(why)))
		TEST_FAIL("size: %s", why);
	/* node count */
	o = (size_t)snprintf(buf, cap, "a: [");
	for (int i = 0; i < POLICY_MAX_NODES + 10; i++)
		o += (size_t)snprintf(buf + o, cap - o, "1,");
	o += (size_t)snprintf(buf + o, cap - o, "1]\n");
	if (!rejects(buf, o, "document too large: more than 65536 YAML nodes in one file", why, sizeof(why)))
		TEST_FAIL("nodes: %s", why);
	/* scalar size */
	o = (size_t)snprintf(buf, cap, HDR "  mode: ");
	memset(buf + o, 'a', POLICY_MAX_SCALAR + 1);
	o += POLICY_MAX_SCALAR + 1;
	buf[o++] = '\n';
	if (!rejects(buf, o, "scalar too long: 4097 bytes, at most 4096", why, sizeof(why)))
		TEST_FAIL("scalar: %s", why);
	/* a flood of keys in one mapping is refused without quadratic work */
	o = (size_t)snprintf(buf, cap, HDR "  escape:\n");
	for (int i = 0; i < 30000; i++)
		o += (size_t)snprintf(buf + o, cap - o, "    k%d: true\n", i);
	if (!rejects(buf, o, "spec.escape: expected a mapping of escape protections to true, false, alert or enforce with at most the keys mount,", why, sizeof(why)))
		TEST_FAIL("keys: %s", why);
	/* many empty documents */
	o = 0;
	for (int i = 0; i < 60000; i++)
		o += (size_t)snprintf(buf + o, cap - o, "---\n");
	if (!rejects(buf, o, "expected a policy document", why, sizeof(why)))
		TEST_FAIL("docs: %s", why);
	/* list items */
	o = (size_t)snprintf(buf, cap, HDR "  exec:\n    deny: [");
	for (int i = 0; i <= POLICY_MAX_LIST; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s/b/%d", i ? "," : "", i);
	o += (size_t)snprintf(buf + o, cap - o, "]\n");
	if (!rejects(buf, o, "spec.exec.deny: expected at most 64 items, got 65", why, sizeof(why)))
		TEST_FAIL("list: %s", why);
	/* compiled file rules: 5 rules x 64 paths > 256 */
	o = (size_t)snprintf(buf, cap, HDR "  file:\n");
	for (int r = 0; r < 5; r++) {
		o += (size_t)snprintf(buf + o, cap - o, "    - action: deny\n      paths: [");
		for (int i = 0; i < 64; i++)
			o += (size_t)snprintf(buf + o, cap - o, "%s/r%d/%d", i ? "," : "", r, i);
		o += (size_t)snprintf(buf + o, cap - o, "]\n");
	}
	if (!rejects(buf, o, "spec.file[4].paths[0]: too many file rules: at most 256 compiled rules per policy", why, sizeof(why)))
		TEST_FAIL("file rules: %s", why);
	/* policies per set */
	o = 0;
	for (int i = 0; i <= POLICY_MAX_POLICIES; i++)
		o += (size_t)snprintf(buf + o, cap - o, "---\napiVersion: bulkhead/v1\nkind: Policy\n"
				      "metadata: {name: p%d}\nspec: {selector: {pods: [p%d]}}\n", i, i);
	if (!rejects(buf, o, "too many policies: at most 64 in one set", why, sizeof(why)))
		TEST_FAIL("policies: %s", why);
	/* exactly at the limit loads */
	o = 0;
	for (int i = 0; i < POLICY_MAX_POLICIES; i++)
		o += (size_t)snprintf(buf + o, cap - o, "---\napiVersion: bulkhead/v1\nkind: Policy\n"
				      "metadata: {name: p%d}\nspec: {selector: {pods: [p%d]}}\n", i, i);
	{
		struct policy_errors e;
		struct policy_set *s;

		policy_errors_init(&e);
		s = policy_set_load_buffer("t.yaml", buf, o, &e);
		if (!s || s->n_policies != POLICY_MAX_POLICIES)
			TEST_FAIL("64 policies should load");
		policy_set_free(s);
		policy_errors_free(&e);
	}
	free(buf);
}

/* One run reports every error, in file order, and caps the list. */
static void test_all_errors_reported(void)
{
	const char *y = HDR
		"  mode: enforcee\n"
		"  file:\n"
		"    - pahts: [/etc/]\n"
		"      action: deny\n"
		"    - paths: [etc/]\n"
		"      action: alow\n"
		"  network: {egress: [{cidrs: [1.2.3.4/8], ports: [0], action: allow}]}\n"
		"  escape: {mount: yes}\n";
	struct policy_errors e;
	struct policy_set *s;
	char buf[1024];

	policy_errors_init(&e);
	s = policy_set_load_buffer("t.yaml", y, strlen(y), &e);
	ASSERT_TRUE(!s, "rejected");
	ASSERT_EQ(e.n_errors, 8, "eight errors in one run");
	for (uint32_t i = 1; i < e.n; i++)
		ASSERT_TRUE(e.v[i].line >= e.v[i - 1].line, "sorted by line");
	ASSERT_CONTAINS(policy_error_format(&e.v[0], buf, sizeof(buf)), "t.yaml:8:9: spec.mode:", "first");
	policy_errors_free(&e);

	/* over POLICY_MAX_ERRORS: kept list is capped, the count is not */
	size_t cap = 64 * 1024, o = (size_t)snprintf(buf, 1, "%s", "");
	char *big = malloc(cap);
	ASSERT_TRUE(big, "malloc");
	o = (size_t)snprintf(big, cap, HDR "  file:\n");
	for (int r = 0; r < 30; r++)
		o += (size_t)snprintf(big + o, cap - o, "    - {paths: [a, b, c, d], action: deny}\n");
	policy_errors_init(&e);
	s = policy_set_load_buffer("t.yaml", big, o, &e);
	free(big);
	ASSERT_TRUE(!s, "rejected");
	ASSERT_EQ(e.n_errors, 120, "all counted");
	ASSERT_EQ(e.n, POLICY_MAX_ERRORS, "capped");
	ASSERT_EQ(e.dropped, 20, "dropped counted");
	policy_errors_free(&e);
}

static void test_missing_file(void)
{
	struct policy_errors e;
	char buf[512];

	policy_errors_init(&e);
	ASSERT_TRUE(!policy_set_load("/nonexistent/policy.yaml", &e), "missing file");
	ASSERT_CONTAINS(policy_error_format(&e.v[0], buf, sizeof(buf)),
			"/nonexistent/policy.yaml: cannot open: No such file or directory", "message");
	policy_errors_free(&e);
	policy_errors_init(&e);
	ASSERT_TRUE(!policy_set_load("/proc/self", &e), "a directory without yaml");
	ASSERT_CONTAINS(policy_error_format(&e.v[0], buf, sizeof(buf)), "no *.yaml or *.yml files", "message");
	policy_errors_free(&e);
}

int main(void)
{
	RUN(test_unknown_keys);
	RUN(test_duplicates);
	RUN(test_wrong_types);
	RUN(test_network_values);
	RUN(test_patterns);
	RUN(test_never_match);
	RUN(test_selectors);
	RUN(test_yaml_hostile);
	RUN(test_limits);
	RUN(test_all_errors_reported);
	RUN(test_missing_file);
	return test_summary();
}
