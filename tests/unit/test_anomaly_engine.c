// SPDX-License-Identifier: GPL-2.0
/*
 * Anomaly engine without a kernel: the cgroup file parsers (hostile input),
 * the EWMA statistics, workload keys, the state file (round trip and refusals),
 * the sketch estimate, learning mode, and the rules fed synthetic seconds: a
 * fork bomb, a port scan, a burst and an OOM each give exactly one alert and
 * one "resolved"; a noisy benign workload gives none.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "anomaly/baseline.h"
#include "anomaly/cgroup_stats.h"
#include "anomaly/counters.h"
#include "anomaly/detector.h"
#include "anomaly/learn.h"

#define S(x) x, sizeof(x) - 1

static void test_parse_u64(void)
{
	uint64_t v = 0;

	ASSERT_EQ(cg_parse_u64(S("123\n"), &v), 0, "plain");
	ASSERT_EQ(v, 123, "value");
	ASSERT_EQ(cg_parse_u64(S("18446744073709551615"), &v), 0, "max u64");
	ASSERT_EQ(cg_parse_u64(S("18446744073709551616"), &v), -1, "overflow refused");
	ASSERT_EQ(cg_parse_u64(S(""), &v), -1, "empty");
	ASSERT_EQ(cg_parse_u64(S("-1"), &v), -1, "negative");
	ASSERT_EQ(cg_parse_u64(S("12 3"), &v), -1, "trailing junk");
	ASSERT_EQ(cg_parse_u64(S("12\n\n"), &v), -1, "two newlines");
	ASSERT_EQ(cg_parse_max(S("max\n"), &v), 0, "max");
	ASSERT_TRUE(v == CG_UNLIMITED, "max is unlimited");
	ASSERT_EQ(cg_parse_max(S("maxx"), &v), -1, "maxx");
}

static void test_parse_keyed(void)
{
	uint64_t v = 0;
	const char stat[] = "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\n";
	const char oom[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";

	ASSERT_EQ(cg_parse_keyed(S(stat), "usage_usec", &v), 0, "cpu.stat");
	ASSERT_EQ(v, 5000, "usage_usec");
	ASSERT_EQ(cg_parse_keyed(S(oom), "oom_kill", &v), 0, "oom_control");
	ASSERT_EQ(v, 3, "oom_kill, not oom_kill_disable");
	ASSERT_EQ(cg_parse_keyed(S("usage_usec 5x\n"), "usage_usec", &v), -1, "junk value");
	ASSERT_EQ(cg_parse_keyed(S("usage_usec\n"), "usage_usec", &v), -1, "no value");
	ASSERT_EQ(cg_parse_keyed(S("other 1\n"), "usage_usec", &v), -1, "missing key");
}

static void test_parse_cpu_max_psi(void)
{
	uint64_t pct = 7;
	double d = -1;

	ASSERT_EQ(cg_parse_cpu_max(S("max 100000\n"), &pct), 0, "no quota");
	ASSERT_EQ(pct, 0, "no quota = 0");
	ASSERT_EQ(cg_parse_cpu_max(S("50000 100000\n"), &pct), 0, "half");
	ASSERT_EQ(pct, 50, "50 %");
	ASSERT_EQ(cg_parse_cpu_max(S("50000 0\n"), &pct), -1, "zero period");
	ASSERT_EQ(cg_parse_psi(S("some avg10=12.34 avg60=1.00 avg300=0.00 total=5\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"), &d), 0, "psi");
	ASSERT_TRUE(fabs(d - 12.34) < 1e-9, "avg10");
	ASSERT_EQ(cg_parse_psi(S("some avg10=101.00 avg60=0"), &d), -1, "over 100");
	ASSERT_EQ(cg_parse_psi(S("full avg10=1.00 "), &d), -1, "not some");
}

static void test_parse_net_dev(void)
{
	uint64_t tx = 0;
	const char dev[] =
		"Inter-|   Receive                                                |  Transmit\n"
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
		"    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n"
		"  eth0:    2000      20    0    0    0     0          0         0     7000      70    0    0    0     0       0          0\n"
		"  eth1:       0       0    0    0    0     0          0         0       50       1    0    0    0     0       0          0\n";

	ASSERT_EQ(cg_parse_net_dev(S(dev), &tx), 0, "net/dev");
	ASSERT_EQ(tx, 7050, "tx without lo");
	ASSERT_EQ(cg_parse_net_dev(S("a\nb\n  eth0: 1 2\n"), &tx), -1, "short line");
	ASSERT_EQ(cg_parse_net_dev(S("a\nb\n  eth0 1 2 3 4 5 6 7 8 9\n"), &tx), -1, "no colon");
}

static void test_ewma(void)
{
	struct ewma e = { 0 };
	double a = ewma_alpha(100);

	for (int i = 0; i < 2000; i++)
		ewma_add(&e, (i & 1) ? 12 : 8, a);
	ASSERT_TRUE(fabs(e.mean - 10) < 0.5, "mean of 8/12 is 10");
	ASSERT_TRUE(fabs(ewma_sd(&e) - 2) < 0.3, "sd of 8/12 is 2");
	ASSERT_TRUE(ewma_z(&e, 30, 1) > 8, "30 is far out");
	ASSERT_TRUE(fabs(ewma_z(&e, 10, 1)) < 0.5, "10 is normal");
	ewma_add(&e, NAN, a);
	ASSERT_TRUE(isfinite(e.mean), "NaN ignored");
	/* a flat baseline: min_sd keeps z finite */
	struct ewma f = { 0 };
	for (int i = 0; i < 50; i++)
		ewma_add(&f, 5, a);
	ASSERT_TRUE(ewma_z(&f, 7, 2) == 1, "flat baseline, min sd 2");
}

static void test_workload_key(void)
{
	char k[200];

	workload_key("prod", "web-7d9f8b6c4d-x2x7q", "nginx", "", "id", k, sizeof(k));
	ASSERT_STREQ(k, "prod/web/nginx", "deployment replica");
	workload_key("prod", "db-2", "pg", "", "id", k, sizeof(k));
	ASSERT_STREQ(k, "prod/db/pg", "statefulset ordinal");
	workload_key("prod", "agent-zx4bq", "a", "", "id", k, sizeof(k));
	ASSERT_STREQ(k, "prod/agent/a", "daemonset pod");
	workload_key("prod", "standalone", "a", "", "id", k, sizeof(k));
	ASSERT_STREQ(k, "prod/standalone/a", "a bare pod keeps its name");
	workload_key("prod", "my-app-hello", "a", "", "id", k, sizeof(k));
	ASSERT_STREQ(k, "prod/my-app-hello/a", "a word is not a hash");
	workload_key("", "", "", "nginx:1.25", "id", k, sizeof(k));
	ASSERT_STREQ(k, "image:nginx:1.25", "no pod: image");
}

static void test_state_file(void)
{
	struct baselines *b = baselines_new(), *c = baselines_new();
	char path[] = "/tmp/bh-anom-state-XXXXXX", err[256];
	struct workload *w;
	int fd = mkstemp(path);

	ASSERT_TRUE(fd >= 0 && b && c, "setup");
	close(fd);
	w = baselines_get(b, "ns/pod with space\n/ct", 1000);
	ASSERT_TRUE(w != NULL, "workload");
	w->m[AM_CPU] = (struct ewma){ .mean = 31.5, .var = 4.25, .n = 700 };
	ASSERT_EQ(baselines_save(b, path, err, sizeof(err)), 0, err);
	ASSERT_EQ(baselines_load(c, path, err, sizeof(err)), 0, err);
	w = baselines_get(c, "ns/pod with space\n/ct", 0);
	ASSERT_EQ(baselines_count(c), 1, "one workload back");
	ASSERT_TRUE(w->m[AM_CPU].n == 700 && w->m[AM_CPU].mean == 31.5 && w->m[AM_CPU].var == 4.25,
		    "cpu baseline round trip");
	ASSERT_EQ(w->first_seen, 1000, "first seen kept");
	unlink(path);

	static const char *const bad[] = {
		"not a state file\n",
		"bulkhead-anomaly-state 1\nw k cpu 1 nan 0 0\n",
		"bulkhead-anomaly-state 1\nw k cpu 1 1 -1 0\n",
		"bulkhead-anomaly-state 1\nw k bogus 1 1 1 0\n",
		"bulkhead-anomaly-state 1\nw k cpu 0 1 1 0\n",
		"bulkhead-anomaly-state 1\nw k%0 cpu 1 1 1 0\n",
		"bulkhead-anomaly-state 1\nw k cpu 1 1 1\n",
		"bulkhead-anomaly-state 1\nw k cpu -5 1 1 0\n",
		"bulkhead-anomaly-state 1\nw k cpu 1 1e300 1 0\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct baselines *d = baselines_new();

		baselines_get(d, "kept", 1);
		if (baselines_load_buffer(d, bad[i], strlen(bad[i]), err, sizeof(err)) != -1) {
			TEST_FAIL("bad state file %zu accepted", i);
			baselines_free(d);
			break;
		}
		if (baselines_count(d) != 1) {
			TEST_FAIL("bad state file %zu changed the table", i);
		}
		baselines_free(d);
	}
	baselines_free(b);
	baselines_free(c);
}

static void test_linear_count(void)
{
	ASSERT_EQ(anom_linear_count(512, 512), 0, "empty");
	ASSERT_TRUE(abs((int)anom_linear_count(512, 512 - 100) - 111) <= 2, "100 bits set ~ 111 items");
	ASSERT_TRUE(anom_linear_count(512, 0) > 3000, "saturated: large");
}

static void test_learn(void)
{
	struct learner *l = learner_new();

	ASSERT_TRUE(l != NULL, "learner");
	ASSERT_EQ(learner_see(l, "w", LK_EXEC, "/bin/app", 100, 10), 0, "learned in the window");
	ASSERT_EQ(learner_see(l, "w", LK_EXEC, "/bin/app", 100, 200), 0, "known after");
	ASSERT_EQ(learner_see(l, "w", LK_EXEC, "/bin/sh", 100, 200), 1, "new after the window");
	ASSERT_EQ(learner_see(l, "w", LK_EXEC, "/bin/sh", 100, 201), 0, "reported once");
	ASSERT_EQ(learner_see(l, "w2", LK_EXEC, "/bin/app", 100, 200), 1, "per workload");
	ASSERT_EQ(learner_see(l, "w", LK_DEST, "/bin/app", 100, 200), 1, "per kind");
	learner_free(l);
}

/* ---- the rules on synthetic seconds ---- */
static int n_alert, n_resolved;
static char last_rule[48];

static const struct container_info ci = { .cgroup_id = 42, .resolved = true, .name = "c" };

static const struct container_info *fake_container(void *ctx, uint64_t id, const char **json, size_t *len)
{
	*json = NULL;
	*len = 0;
	return &ci;
}

static void fake_emit(void *ctx, const struct event *ev)
{
	if (ev->kind != EVENT_ALERT)
		return;
	if (ev->action == ACTION_ALERT) {
		n_alert++;
		snprintf(last_rule, sizeof(last_rule), "%s", ev->alert->rule);
	} else if (ev->action == ACTION_RESOLVED) {
		n_resolved++;
	}
}

static void fake_malformed(void *ctx) { }

static struct detector *new_det(uint32_t warmup)
{
	static struct event_sink sink = { fake_container, fake_emit, fake_malformed, NULL };
	struct detector_params p = { .warmup_s = warmup };

	n_alert = n_resolved = 0;
	last_rule[0] = 0;
	return detector_new(&sink, &p);
}

static struct anom_obs quiet(void)
{
	struct anom_obs o = { 0 };

	o.have = (1u << AM_COUNT) - 1;
	o.mem_max = CG_UNLIMITED;
	o.cpu_limit_pct = 200;
	o.v[AM_CPU] = 5;
	o.v[AM_MEMORY] = 50 << 20;
	return o;
}

static void run(struct detector *d, struct anom_ct *ct, struct anom_obs *o, int secs, uint64_t *now)
{
	for (int i = 0; i < secs; i++)
		detector_observe(d, ct, o, NULL, (*now)++);
}

static void test_rules_one_alert_each(void)
{
	struct { const char *rule; void (*set)(struct anom_obs *); int secs; } cases[] = {
		{ "fork-bomb", NULL, 5 }, { "port-scan", NULL, 5 }, { "connection-burst", NULL, 5 },
		{ "memory-balloon", NULL, 1 }, { "cpu-burn", NULL, 40 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct detector *d = new_det(600);
		struct anom_ct *ct = detector_container(d, 42, "ns/w/c", 0);
		struct anom_obs q = quiet(), o = quiet();
		uint64_t now = 1000;

		ASSERT_TRUE(d && ct, "detector");
		run(d, ct, &q, 30, &now);
		switch (i) {
		case 0: o.v[AM_FORKS] = 300; o.fork_fail = 200; o.exits = 10; o.v[AM_CPU] = 190; break;
		case 1: o.v[AM_PORTS] = 250; o.v[AM_DESTS] = 1; o.v[AM_CONNECTS] = 400; break;
		case 2: o.v[AM_PORTS] = 1; o.v[AM_DESTS] = 1; o.v[AM_CONNECTS] = 900; break;
		case 3: o.oom_new = 1; o.mem_max = 64 << 20; o.v[AM_MEMORY] = 64 << 20; break;
		case 4: o.v[AM_CPU] = 100; break;
		}
		run(d, ct, &o, cases[i].secs, &now);
		if (i == 3) {	/* the balloon stays near the limit a while, then it is gone */
			o.oom_new = 0;
			run(d, ct, &o, 5, &now);
		}
		run(d, ct, &q, 30, &now);
		if (n_alert != 1 || strcmp(last_rule, cases[i].rule) || n_resolved != 1) {
			TEST_FAIL("%s: expected 1 alert and 1 resolved, got %d (%s) and %d", cases[i].rule,
				  n_alert, last_rule, n_resolved);
		}
		detector_free(d);
	}
}

static void test_rules_benign(void)
{
	struct detector *d = new_det(60);
	struct anom_ct *ct = detector_container(d, 42, "ns/w/c", 0);
	uint64_t now = 1000;

	ASSERT_TRUE(d && ct, "detector");
	srand(7);
	/* 30 minutes: CPU 20-40 %, a few requests, a compile every 5 minutes
	 * (60 s of 20 execs/s at 100 % CPU), a batch job (10 s at 100 %). */
	for (int s = 0; s < 1800; s++) {
		struct anom_obs o = quiet();
		int in_compile = s % 300 >= 200 && s % 300 < 260;

		o.v[AM_CPU] = 20 + rand() % 20;
		o.v[AM_CONNECTS] = rand() % 3;
		o.v[AM_PORTS] = o.v[AM_CONNECTS] ? 1 : 0;
		o.v[AM_DESTS] = o.v[AM_PORTS];
		o.v[AM_FORKS] = rand() % 2;
		o.exits = o.v[AM_FORKS];
		if (in_compile) {
			o.v[AM_EXECS] = 20 + rand() % 10;
			o.v[AM_FORKS] = o.exits = o.v[AM_EXECS];
			o.v[AM_CPU] = 100;
		}
		if (s % 600 >= 100 && s % 600 < 110)
			o.v[AM_CPU] = 100;
		detector_observe(d, ct, &o, NULL, now++);
	}
	if (n_alert)
		TEST_FAIL("benign: expected no alert, got %d (last %s)", n_alert, last_rule);
	detector_free(d);
}

static void test_policy_threshold(void)
{
	struct detector *d = new_det(600);
	struct anom_ct *ct = detector_container(d, 42, "ns/w/c", 0);
	struct policy_anomaly pol = { .enabled = 1, .sensitivity = 2, .learn_seconds = 600,
				      .connect_per_sec = 20 };
	struct anom_obs o = quiet();
	uint64_t now = 1;

	ASSERT_TRUE(d && ct, "detector");
	o.v[AM_CONNECTS] = 30;
	o.v[AM_PORTS] = 1;
	for (int i = 0; i < 3; i++)
		detector_observe(d, ct, &o, &pol, now++);
	ASSERT_EQ(n_alert, 1, "30 connects/s over a policy threshold of 20");
	ASSERT_STREQ(last_rule, "connection-burst", "rule");
	pol.enabled = 0;
	detector_observe(d, ct, &o, &pol, now++);
	ASSERT_EQ(n_resolved, 1, "disabled: episode ends");
	detector_free(d);
}

/* Connects answered on the container's own loopback, one per program started,
 * do not count toward a burst; failed, remote or many-per-process ones do. */
static void test_burst_connects(void)
{
	ASSERT_TRUE(anom_burst_connects(505, 505, 505) == 0, "web load: wget per request");
	ASSERT_TRUE(anom_burst_connects(505, 500, 510) == 5, "only the unanswered 5 count");
	ASSERT_TRUE(anom_burst_connects(1300, 1300, 0) == 1300, "a flood tool on loopback counts");
	ASSERT_TRUE(anom_burst_connects(3000, 0, 0) == 3000, "refused connects count");
	ASSERT_TRUE(anom_burst_connects(300, 0, 300) == 300, "remote connects count, execs or not");
	ASSERT_TRUE(anom_burst_connects(10, 20, 30) == 0, "never below zero (edge of a second)");
	ASSERT_TRUE(anom_burst_connects(10, -1, -1) == 10, "negative inputs ignored");
}

int main(void)
{
	RUN(test_parse_u64);
	RUN(test_parse_keyed);
	RUN(test_parse_cpu_max_psi);
	RUN(test_parse_net_dev);
	RUN(test_ewma);
	RUN(test_workload_key);
	RUN(test_state_file);
	RUN(test_linear_count);
	RUN(test_learn);
	RUN(test_rules_one_alert_each);
	RUN(test_rules_benign);
	RUN(test_burst_connects);
	RUN(test_policy_threshold);
	return test_summary();
}
