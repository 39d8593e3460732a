// SPDX-License-Identifier: GPL-2.0
/*
 * Policy language: YAML -> compiled rules, precedence, selection, rule
 * references, and the shipped policies. Negative tests (one per error class)
 * are in test_policy_errors.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "test.h"
#include "policy/policy.h"

#define HDR "apiVersion: bulkhead/v1\nkind: Policy\nmetadata:\n  name: t\nspec:\n" \
	    "  selector:\n    containers: [app]\n"

static struct policy_set *load(const char *yaml, struct policy_errors *e)
{
	policy_errors_init(e);
	struct policy_set *s = policy_set_load_buffer("t.yaml", yaml, strlen(yaml), e);

	if (!s)
		policy_errors_print(e, stderr);
	return s;
}

/* Find the repository root by walking up from the test binary. */
static const char *repo_file(const char *rel)
{
	static char buf[4096];
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return rel;
	exe[n] = 0;
	for (char *slash = strrchr(exe, '/'); slash; slash = strrchr(exe, '/')) {
		*slash = 0;
		snprintf(buf, sizeof(buf), "%s/%s", exe, rel);
		if (access(buf, F_OK) == 0)
			return buf;
	}
	return rel;
}

static void test_glob_match(void)
{
	ASSERT_TRUE(policy_glob_match("/a/*/c", "/a/b/c", 1), "* within a component");
	ASSERT_TRUE(!policy_glob_match("/a/*/c", "/a/b/x/c", 1), "* does not cross /");
	ASSERT_TRUE(policy_glob_match("/a/**/c", "/a/b/x/c", 1), "** crosses /");
	ASSERT_TRUE(policy_glob_match("/a/**/c", "/a/c", 1), "** matches zero components");
	ASSERT_TRUE(!policy_glob_match("/a/**/c", "/ac", 1), "** keeps the slashes");
	ASSERT_TRUE(policy_glob_match("/a/**", "/a", 1), "trailing ** matches the dir itself");
	ASSERT_TRUE(policy_glob_match("/a/**", "/a/b/c", 1), "trailing ** matches below");
	ASSERT_TRUE(!policy_glob_match("/a/**", "/ab", 1), "trailing ** is per component");
	ASSERT_TRUE(policy_glob_match("/**", "/", 1), "/** matches /");
	ASSERT_TRUE(policy_glob_match("/usr/bin/python*", "/usr/bin/python3.11", 1), "suffix *");
	ASSERT_TRUE(policy_glob_match("nginx-*", "nginx-7d9f-abc", 0), "name glob");
	ASSERT_TRUE(policy_glob_match("*a*b*c*", "xaybzc", 0), "many stars");
	ASSERT_TRUE(!policy_glob_match("*a*b*c*", "xaybz", 0), "many stars, no match");
	/* no exponential blow-up on the classic pathological case */
	char s[201];
	memset(s, 'a', 200);
	s[200] = 0;
	ASSERT_TRUE(!policy_glob_match("*a*a*a*a*a*a*a*a*b", s, 0), "pathological glob");
}

static void test_file_rule_compile(void)
{
	struct policy_errors e;
	struct policy_set *s = load(HDR
		"  file:\n"
		"    - paths: [/etc/, \"/var/log/**\", /etc/passwd, \"/usr/bin/*\", \"//srv///data\", \"/home/*/\", \"/\"]\n"
		"      ops: [write, chmod]\n"
		"      action: deny\n", &e);
	const struct policy *p;
	int seen = 0;

	ASSERT_TRUE(s, "loads");
	p = policy_by_id(s, 1);
	ASSERT_EQ(p->n_file, 7, "one compiled rule per path");
	for (uint32_t i = 0; i < p->n_file; i++) {
		const struct policy_path_rule *r = &p->file[i];

		ASSERT_EQ(r->ops, (1u << POLICY_OP_WRITE) | (1u << POLICY_OP_SETATTR), "ops: chmod = setattr");
		ASSERT_EQ(r->action, POLICY_DENY, "action");
		ASSERT_EQ(r->pattern_len, strlen(r->pattern), "pattern_len");
		if (!strcmp(r->pattern, "/etc/")) {
			ASSERT_EQ(r->kind, POLICY_PAT_PREFIX, "/etc/ is a prefix");
			ASSERT_EQ(r->specificity, 4 * 4 + 0, "prefix specificity: 4 literals, rank 0");
			seen |= 1;
		} else if (!strcmp(r->pattern, "/var/log/")) {
			ASSERT_EQ(r->kind, POLICY_PAT_PREFIX, "/var/log/** normalizes to a prefix");
			seen |= 2;
		} else if (!strcmp(r->pattern, "/etc/passwd")) {
			ASSERT_EQ(r->kind, POLICY_PAT_EXACT, "exact");
			ASSERT_EQ(r->specificity, 11 * 4 + 3, "exact specificity");
			seen |= 4;
		} else if (!strcmp(r->pattern, "/usr/bin/*")) {
			ASSERT_EQ(r->kind, POLICY_PAT_GLOB, "glob");
			ASSERT_EQ(r->specificity, 9 * 4 + 2, "glob without ** ranks 2");
			seen |= 8;
		} else if (!strcmp(r->pattern, "/srv/data")) {
			ASSERT_EQ(r->kind, POLICY_PAT_EXACT, "repeated slashes collapse");
			seen |= 16;
		} else if (!strcmp(r->pattern, "/home/*/**")) {
			ASSERT_EQ(r->kind, POLICY_PAT_GLOB, "glob dir with trailing /");
			ASSERT_EQ(r->specificity, 6 * 4 + 1, "glob with ** ranks 1");
			seen |= 32;
		} else if (!strcmp(r->pattern, "/")) {
			ASSERT_EQ(r->kind, POLICY_PAT_PREFIX, "/ is everything");
			seen |= 64;
		}
	}
	ASSERT_EQ(seen, 127, "every normalized pattern seen");
	/* sorted: most specific first */
	for (uint32_t i = 1; i < p->n_file; i++)
		ASSERT_TRUE(p->file[i - 1].specificity >= p->file[i].specificity, "sorted");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void test_file_precedence(void)
{
	struct policy_errors e;
	struct policy_set *s = load(HDR
		"  defaults:\n"
		"    file: {all: allow, exec: deny}\n"
		"  file:\n"
		"    - paths: [/etc/]\n"                     /* [0] */
		"      ops: [write, create, delete]\n"
		"      action: deny\n"
		"    - paths: [/etc/app/]\n"                 /* [1] more specific prefix */
		"      ops: [write, create]\n"
		"      action: allow\n"
		"    - paths: [/etc/app/secret.key]\n"       /* [2] exact beats both */
		"      action: deny\n"
		"    - paths: [\"/etc/app/*.conf\"]\n"       /* [3] glob: more literals than /etc/app/ */
		"      ops: [write]\n"
		"      action: deny\n"
		"    - paths: [\"/d/a*\"]\n"                 /* [4] equal specificity ... */
		"      action: allow\n"
		"    - paths: [\"/d/*a\"]\n"                 /* [5] ... deny wins */
		"      action: deny\n"
		"    - paths: [/opt/tools/]\n"
		"      ops: [exec]\n"
		"      action: allow\n", &e);
	const struct policy *p;
	uint32_t ref;
	char buf[128];

	ASSERT_TRUE(s, "loads");
	p = policy_by_id(s, 1);
	ASSERT_EQ(policy_file_decide(p, "/etc/hosts", POLICY_OP_WRITE, &ref), POLICY_DENY, "/etc write");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.file[0]", "ref /etc/");
	ASSERT_EQ(policy_file_decide(p, "/etc", POLICY_OP_DELETE, &ref), POLICY_DENY, "prefix covers the dir itself");
	ASSERT_EQ(policy_file_decide(p, "/etc/hosts", POLICY_OP_READ, &ref), POLICY_ALLOW, "read not covered");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.defaults.file", "default ref");
	ASSERT_EQ(policy_file_decide(p, "/etc/app/x.db", POLICY_OP_WRITE, &ref), POLICY_ALLOW, "longer prefix wins");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.file[1]", "ref /etc/app/");
	ASSERT_EQ(policy_file_decide(p, "/etc/app/x.db", POLICY_OP_DELETE, &ref), POLICY_DENY,
		  "op not in the specific rule: falls to /etc/");
	ASSERT_EQ(policy_file_decide(p, "/etc/app/secret.key", POLICY_OP_READ, &ref), POLICY_DENY, "exact wins");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.file[2]", "ref exact");
	ASSERT_EQ(policy_file_decide(p, "/etc/app/main.conf", POLICY_OP_WRITE, &ref), POLICY_DENY,
		  "glob with more literals beats the prefix");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.file[3]", "ref glob");
	ASSERT_EQ(policy_file_decide(p, "/etc/app/sub/main.conf", POLICY_OP_WRITE, &ref), POLICY_ALLOW,
		  "* does not cross /: the prefix decides");
	ASSERT_EQ(policy_file_decide(p, "/d/aa", POLICY_OP_READ, &ref), POLICY_DENY, "deny beats allow at equal specificity");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.file[5]", "ref deny");
	ASSERT_EQ(policy_file_decide(p, "/d/ab", POLICY_OP_READ, &ref), POLICY_ALLOW, "only the allow matches");
	ASSERT_EQ(policy_file_decide(p, "/bin/ls", POLICY_OP_EXEC, &ref), POLICY_DENY, "per-op default");
	ASSERT_EQ(policy_file_decide(p, "/opt/tools/x", POLICY_OP_EXEC, &ref), POLICY_ALLOW, "allow-list entry");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void test_exec(void)
{
	struct policy_errors e;
	struct policy_set *s = load(HDR
		"  defaults: {exec: deny}\n"
		"  exec:\n"
		"    allow: [/usr/bin/, /app/server]\n"
		"    deny: [\"/usr/bin/*sh\"]\n", &e);
	const struct policy *p;
	uint32_t ref;
	char buf[128];

	ASSERT_TRUE(s, "loads");
	p = policy_by_id(s, 1);
	ASSERT_EQ(p->n_exec, 3, "three exec rules");
	ASSERT_EQ(policy_exec_decide(p, "/usr/bin/ls", &ref), POLICY_ALLOW, "allowed dir");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.exec.allow[0]", "ref");
	ASSERT_EQ(policy_exec_decide(p, "/usr/bin/bash", &ref), POLICY_DENY, "glob deny is more specific");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.exec.deny[0]", "ref");
	ASSERT_EQ(policy_exec_decide(p, "/app/server", &ref), POLICY_ALLOW, "exact allow");
	ASSERT_EQ(policy_exec_decide(p, "/tmp/x", &ref), POLICY_DENY, "default deny");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.defaults.exec", "ref");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void ip4(const char *s, uint8_t a[16])
{
	memset(a, 0, 16);
	inet_pton(AF_INET, s, a);
}

static void test_network(void)
{
	struct policy_errors e;
	struct policy_set *s = load(HDR
		"  defaults: {egress: deny, ingress: allow}\n"
		"  network:\n"
		"    egress:\n"
		"      - cidrs: [10.0.0.0/8]\n"                  /* [0] */
		"        action: allow\n"
		"      - cidrs: [10.1.2.0/24]\n"                 /* [1] longer prefix */
		"        action: deny\n"
		"      - cidrs: [10.1.2.3]\n"                    /* [2] host, one port */
		"        ports: [443, \"8000-8080\"]\n"
		"        protocol: tcp\n"
		"        action: allow\n"
		"      - cidrs: [\"2001:db8::/32\", any]\n"      /* [3] */
		"        protocol: icmp\n"
		"        action: allow\n"
		"    ingress:\n"
		"      - ports: [22]\n"
		"        protocol: tcp\n"
		"        action: deny\n", &e);
	const struct policy *p;
	uint8_t a[16];
	uint32_t ref;
	char buf[128];

	ASSERT_TRUE(s, "loads");
	p = policy_by_id(s, 1);
	ASSERT_EQ(p->n_net[POLICY_EGRESS], 1 + 1 + 2 + 3, "compiled egress: cidr x port range");
	ASSERT_EQ(p->n_net[POLICY_INGRESS], 2, "ingress: v4 and v6");
	ip4("10.9.9.9", a);
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 80, &ref), POLICY_ALLOW, "/8 allow");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.network.egress[0]", "ref");
	ip4("10.1.2.9", a);
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 443, &ref), POLICY_DENY, "/24 deny");
	ip4("10.1.2.3", a);
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 443, &ref), POLICY_ALLOW, "/32 port");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.network.egress[2]", "ref");
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 8080, &ref), POLICY_ALLOW, "range hi");
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 8081, &ref), POLICY_DENY,
		  "outside the range: /24 decides");
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_UDP, 443, &ref), POLICY_DENY, "udp");
	ip4("192.168.1.1", a);
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 443, &ref), POLICY_DENY, "default");
	ASSERT_STREQ(policy_rule_ref_format(s, 1, ref, buf, sizeof(buf)), "t: spec.defaults.egress", "ref");
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_ICMP, 0, &ref), POLICY_ALLOW, "icmp any");
	memset(a, 0, 16);
	inet_pton(AF_INET6, "2001:db8::1", a);
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET6, a, POLICY_PROTO_ICMP, 0, &ref), POLICY_ALLOW, "v6 icmp");
	ASSERT_EQ(policy_net_decide(p, POLICY_EGRESS, POLICY_INET6, a, POLICY_PROTO_TCP, 80, &ref), POLICY_DENY, "v6 tcp");
	ASSERT_EQ(policy_net_decide(p, POLICY_INGRESS, POLICY_INET6, a, POLICY_PROTO_TCP, 22, &ref), POLICY_DENY, "ingress 22");
	ASSERT_EQ(policy_net_decide(p, POLICY_INGRESS, POLICY_INET6, a, POLICY_PROTO_TCP, 23, &ref), POLICY_ALLOW, "ingress default");
	/* a compiled rule as the kernel sees it */
	const struct policy_net_rule *r = NULL;
	for (uint32_t i = 0; i < p->n_net[0]; i++)
		if (p->net[0][i].prefix_len == 32 && p->net[0][i].family == POLICY_INET)
			r = &p->net[0][i];
	ASSERT_TRUE(r, "the /32 rule");
	ASSERT_EQ(r->family, POLICY_INET, "family");
	ASSERT_EQ(r->addr[0], 10, "addr");
	ASSERT_EQ(r->addr[3], 3, "addr");
	ASSERT_EQ(r->proto, POLICY_PROTO_TCP, "proto");
	policy_set_free(s);
	policy_errors_free(&e);
}

#define DOC(name, sel) "---\napiVersion: bulkhead/v1\nkind: Policy\nmetadata:\n  name: " name \
	"\nspec:\n  selector:\n" sel

static void test_selection(void)
{
	struct policy_errors e;
	struct policy_set *s = load(
		DOC("ns-web", "    namespaces: [web]\n")
		DOC("ns-glob", "    namespaces: [\"w*\"]\n")
		DOC("ns-and-ctr", "    namespaces: [web]\n    containers: [nginx]\n")
		DOC("pod-only", "    pods: [\"nginx-*\"]\n")
		DOC("ctr-only", "    containers: [nginx]\n")
		DOC("cg", "    cgroups: [\"/batch.slice/**\"]\n")
		"---\napiVersion: bulkhead/v1\nkind: NodeDefault\nmetadata:\n  name: default\nspec: {}\n",
		&e);
	struct policy_container c = { 0 };
	uint32_t tie;
	const struct policy *p;

	ASSERT_TRUE(s, "loads");
	ASSERT_EQ(s->n_policies, 7, "seven");
	ASSERT_TRUE(s->node_default && !strcmp(s->node_default->name, "default"), "node default");
	for (uint32_t i = 0; i < s->n_policies; i++)
		ASSERT_EQ(s->policies[i].id, i + 1, "ids in load order");

	c.k8s_namespace = "web";
	p = policy_select(s, &c, &tie);
	ASSERT_STREQ(p->name, "ns-web", "literal beats glob");
	ASSERT_EQ(tie, 0, "no tie");
	c.k8s_namespace = "www";
	ASSERT_STREQ(policy_select(s, &c, NULL)->name, "ns-glob", "only the glob");
	c.k8s_namespace = "web";
	c.k8s_container = "nginx";
	ASSERT_STREQ(policy_select(s, &c, NULL)->name, "ns-and-ctr", "two fields beat one");
	c.k8s_namespace = "db";
	p = policy_select(s, &c, &tie);
	ASSERT_STREQ(p->name, "ctr-only", "container only");
	c.k8s_pod = "nginx-abc";
	p = policy_select(s, &c, &tie);
	/* pod-only (glob, 6 literals) vs ctr-only (literal): literal wins */
	ASSERT_STREQ(p->name, "ctr-only", "a literal match beats a glob at equal field count");
	c.k8s_pod = NULL;
	c.k8s_container = NULL;
	c.k8s_namespace = NULL;
	c.cgroup_path = "/batch.slice/job-1/task";
	ASSERT_STREQ(policy_select(s, &c, NULL)->name, "cg", "cgroup glob");
	c.cgroup_path = "/system.slice/sshd.service";
	ASSERT_STREQ(policy_select(s, &c, NULL)->name, "default", "falls back to the node default");
	c.cgroup_path = NULL;
	ASSERT_STREQ(policy_select(s, &c, NULL)->name, "default", "no attributes: node default");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void test_selection_tie(void)
{
	struct policy_errors e;
	struct policy_set *s = load(
		DOC("first", "    namespaces: [web]\n")
		DOC("second", "    containers: [app]\n"), &e);
	/* one field each, both literal, three literal characters each: a tie */
	struct policy_container c = { .k8s_namespace = "web", .k8s_container = "app" };
	uint32_t tie = 0;

	ASSERT_TRUE(s, "loads");
	ASSERT_STREQ(policy_select(s, &c, &tie)->name, "first", "tie: the policy loaded first");
	ASSERT_EQ(tie, 2, "tie reported");
	ASSERT_TRUE(policy_select(s, &(struct policy_container){ .cgroup_path = "/x" }, NULL) == NULL,
		    "no node default: NULL");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void test_defaults_and_sections(void)
{
	struct policy_errors e;
	struct policy_set *s = load(HDR
		"  mode: {all: audit, escape: enforce}\n"
		"  escape: {bpf: false, ptrace: false}\n"
		"  anomaly:\n"
		"    sensitivity: high\n"
		"    learningWindow: 2h\n"
		"    thresholds: {forksPerSecond: 50, cpuPercent: 250, memory: 512Mi, egressBytesPerSecond: 10M}\n",
		&e);
	const struct policy *p;

	ASSERT_TRUE(s, "loads");
	p = policy_by_id(s, 1);
	ASSERT_EQ(p->mode[POLICY_SEC_FILE], POLICY_AUDIT, "file audit");
	ASSERT_EQ(p->mode[POLICY_SEC_NETWORK], POLICY_AUDIT, "network audit");
	ASSERT_EQ(p->mode[POLICY_SEC_ESCAPE], POLICY_ENFORCE, "escape enforce");
	ASSERT_EQ(p->escape.enabled, POLICY_ESC_DEFAULT & ~(1u << POLICY_ESC_BPF) &
		  ~(1u << POLICY_ESC_PTRACE), "escape bits");
	ASSERT_EQ(p->anomaly.sensitivity, 3, "sensitivity");
	ASSERT_EQ(p->anomaly.learn_seconds, 7200, "2h");
	ASSERT_EQ(p->anomaly.fork_per_sec, 50, "forks");
	ASSERT_EQ(p->anomaly.cpu_percent, 250, "cpu");
	ASSERT_EQ(p->anomaly.memory_bytes, 512ull << 20, "512Mi");
	ASSERT_EQ(p->anomaly.egress_bytes_per_sec, 10000000ull, "10M");
	for (int i = 0; i < POLICY_OP_COUNT; i++)
		ASSERT_EQ(p->file_default[i], POLICY_ALLOW, "file default allow");
	ASSERT_EQ(p->net_default[0], POLICY_ALLOW, "egress default allow");
	policy_set_free(s);
	policy_errors_free(&e);

	/* Per protection: alert only, enforce whatever mode.escape says, or on (the mode). */
	s = load(HDR
		"  mode: {all: audit}\n"
		"  escape: {mount: alert, drift: enforce, setuidExec: true, recon: false}\n", &e);
	ASSERT_TRUE(s, "modes load");
	p = policy_by_id(s, 1);
	ASSERT_TRUE(p->escape.enabled & (1u << POLICY_ESC_SETUID_EXEC), "setuidExec on");
	ASSERT_TRUE(!(p->escape.enabled & (1u << POLICY_ESC_RECON)), "recon off");
	ASSERT_EQ(POLICY_ESC_ENFORCED(p), 1u << POLICY_ESC_DRIFT, "audit mode: only drift enforced");
	policy_set_free(s);
	policy_errors_free(&e);
	s = load(HDR
		"  mode: {all: enforce}\n"
		"  escape: {mount: alert, drift: enforce}\n", &e);
	ASSERT_TRUE(s, "modes load");
	p = policy_by_id(s, 1);
	ASSERT_EQ(POLICY_ESC_ENFORCED(p), POLICY_ESC_DEFAULT & ~(1u << POLICY_ESC_MOUNT),
		  "enforce mode: all but mount (alert)");
	policy_set_free(s);
	policy_errors_free(&e);

	/* defaults when nothing is said */
	s = load(HDR, &e);
	ASSERT_TRUE(s, "minimal policy loads");
	p = policy_by_id(s, 1);
	ASSERT_EQ(p->mode[POLICY_SEC_FILE], POLICY_ENFORCE, "mode defaults to enforce");
	ASSERT_EQ(p->escape.enabled, POLICY_ESC_DEFAULT, "all escape protections on but setuidExec");
	ASSERT_EQ(p->anomaly.enabled, 1, "anomaly on");
	ASSERT_EQ(p->anomaly.learn_seconds, 600, "10m");
	ASSERT_EQ(p->anomaly.sensitivity, 2, "medium");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void test_warnings_still_load(void)
{
	struct policy_errors e;
	struct policy_set *s = load(HDR
		"  file:\n"
		"    - paths: [/etc/]\n"
		"      action: deny\n"
		"    - paths: [/etc/]\n"
		"      ops: [write]\n"
		"      action: deny\n", &e);
	char buf[512];

	ASSERT_TRUE(s, "a redundant rule is a warning, not an error");
	ASSERT_EQ(e.n_warnings, 1, "one warning");
	ASSERT_CONTAINS(policy_error_format(&e.v[0], buf, sizeof(buf)),
			"t.yaml:11:15: warning: spec.file[1]: redundant: spec.file[0] already denies \"/etc/\" for these ops",
			"warning text");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void test_shipped_policies(void)
{
	struct policy_errors e;
	struct policy_set *s;
	const struct policy *web, *db;
	uint8_t a[16];
	uint32_t ref;
	char buf[128];

	policy_errors_init(&e);
	s = policy_set_load(repo_file("policies"), &e);
	policy_errors_print(&e, stderr);
	ASSERT_TRUE(s, "policies/ loads as a whole");
	ASSERT_EQ(e.n_warnings, 0, "no warnings");
	ASSERT_EQ(s->n_policies, 4, "four shipped policies");
	ASSERT_STREQ(s->policies[0].name, "node-default", "file order: 00-node-default first");
	ASSERT_TRUE(s->node_default == &s->policies[0], "node default");
	ASSERT_EQ(s->node_default->mode[POLICY_SEC_ESCAPE], POLICY_ENFORCE, "escape enforced");
	ASSERT_EQ(s->node_default->mode[POLICY_SEC_FILE], POLICY_AUDIT, "file audited");
	ASSERT_EQ(s->node_default->mode[POLICY_SEC_EXEC], POLICY_AUDIT, "exec audited");
	ASSERT_EQ(s->node_default->mode[POLICY_SEC_NETWORK], POLICY_AUDIT, "network audited");
	ASSERT_EQ(s->node_default->escape.enabled, POLICY_ESC_DEFAULT, "every protection but setuidExec");
	ASSERT_EQ(POLICY_ESC_ENFORCED(s->node_default), POLICY_ESC_DEFAULT, "all enforced");

	web = policy_select(s, &(struct policy_container){ .k8s_namespace = "web", .k8s_pod = "nginx-1",
				      .k8s_container = "nginx" }, NULL);
	ASSERT_TRUE(web && !strcmp(web->name, "web-server"), "web-server selected");
	ASSERT_EQ(policy_file_decide(web, "/etc/nginx/nginx.conf", POLICY_OP_READ, NULL), POLICY_ALLOW, "read /etc");
	ASSERT_EQ(policy_file_decide(web, "/etc/nginx/nginx.conf", POLICY_OP_WRITE, &ref), POLICY_DENY,
		  "/etc read-only");
	ASSERT_STREQ(policy_rule_ref_format(s, web->id, ref, buf, sizeof(buf)), "web-server: spec.file[0]", "ref");
	ASSERT_EQ(policy_exec_decide(web, "/bin/sh", NULL), POLICY_DENY, "no shell");
	ASSERT_EQ(policy_exec_decide(web, "/usr/bin/python3", NULL), POLICY_DENY, "no python");
	ASSERT_EQ(policy_exec_decide(web, "/usr/sbin/nginx", NULL), POLICY_ALLOW, "nginx runs");
	ip4("10.96.0.10", a);
	ASSERT_EQ(policy_net_decide(web, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_UDP, 53, NULL), POLICY_ALLOW, "DNS");
	ip4("10.0.20.15", a);
	ASSERT_EQ(policy_net_decide(web, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 8080, NULL), POLICY_ALLOW, "upstream");
	ASSERT_EQ(policy_net_decide(web, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 22, NULL), POLICY_DENY, "upstream ssh");
	ip4("1.1.1.1", a);
	ASSERT_EQ(policy_net_decide(web, POLICY_EGRESS, POLICY_INET, a, POLICY_PROTO_TCP, 443, &ref), POLICY_DENY, "internet");
	ASSERT_STREQ(policy_rule_ref_format(s, web->id, ref, buf, sizeof(buf)), "web-server: spec.defaults.egress", "ref");

	db = policy_select(s, &(struct policy_container){ .k8s_namespace = "data", .k8s_pod = "postgres-0",
				     .k8s_container = "postgres" }, NULL);
	ASSERT_TRUE(db && !strcmp(db->name, "database"), "database selected");
	ASSERT_EQ(policy_file_decide(db, "/var/lib/postgresql/data/base/1", POLICY_OP_WRITE, NULL), POLICY_ALLOW, "data dir");
	ASSERT_EQ(policy_file_decide(db, "/usr/lib/x", POLICY_OP_WRITE, NULL), POLICY_DENY, "elsewhere");
	ASSERT_EQ(policy_exec_decide(db, "/usr/lib/postgresql/15/bin/postgres", NULL), POLICY_ALLOW, "postgres");
	ASSERT_EQ(policy_exec_decide(db, "/usr/bin/curl", NULL), POLICY_DENY, "curl");
	ASSERT_EQ(policy_exec_decide(db, "/usr/bin/perl", NULL), POLICY_DENY, "allow-list default");

	ASSERT_STREQ(policy_select(s, &(struct policy_container){ .cgroup_path = "/batch.slice/job-7" }, NULL)->name,
		     "batch-job", "batch by cgroup");
	ASSERT_STREQ(policy_select(s, &(struct policy_container){ .k8s_namespace = "kube-system",
			     .k8s_container = "coredns" }, NULL)->name, "node-default", "others: default");
	policy_set_free(s);
	policy_errors_free(&e);
}

static void test_dump_output(void)
{
	struct policy_errors e;
	struct policy_set *s = load(HDR
		"  file:\n    - paths: [/etc/]\n      ops: [write]\n      action: deny\n", &e);
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ASSERT_TRUE(s, "loads");
	f = open_memstream(&out, &len);
	policy_set_dump(s, f);
	policy_set_print_summary(s, f);
	fclose(f);
	ASSERT_CONTAINS(out, "file[0] ref=0x01000000 deny  prefix spec=16    ops=write", "dump line");
	ASSERT_CONTAINS(out, "<- spec.file[0] (line 9)", "dump source");
	ASSERT_CONTAINS(out, "rules: file 1, exec 0, egress 0, ingress 0", "summary");
	free(out);
	policy_set_free(s);
	policy_errors_free(&e);
}

int main(void)
{
	RUN(test_glob_match);
	RUN(test_file_rule_compile);
	RUN(test_file_precedence);
	RUN(test_exec);
	RUN(test_network);
	RUN(test_selection);
	RUN(test_selection_tie);
	RUN(test_defaults_and_sections);
	RUN(test_warnings_still_load);
	RUN(test_shipped_policies);
	RUN(test_dump_output);
	return test_summary();
}
