// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution off the event path, on a scratch cgroup tree (the registry's
 * tree-walk mode: inode numbers stand in for cgroup ids) with runc-format
 * state files: a miss is held and released with pod and namespace, in order,
 * as a deep copy; the start-up walk warms the cache; a new cgroup is resolved
 * before its first event and again once its state appears; gone cgroups are
 * dropped after the grace period; the hold queue is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "attrib/attrib.h"
#include "pipeline/event_json.h"
#include "test.h"

#define UID "8a1c2f0e-5b7d-4e2a-9c3b-1d2e3f405162"

static char dir[] = "/tmp/bh-test-attrib-XXXXXX";
static char cgroot[256], stroot[256];

struct got {
	int n;
	char exe[8][64];
	char pod[8][64];
	char json[8][512];		/* the cached container member the event carried */
	uint64_t cgid[8];
	uint64_t gone[8];
	int ngone;
};
static struct got got;

static void collect(void *ctx, const struct event *ev)
{
	if (got.n < 8) {
		snprintf(got.exe[got.n], 64, "%.*s", (int)ev->proc.exe_len, ev->proc.exe ? ev->proc.exe : "");
		snprintf(got.pod[got.n], 64, "%s", ev->container->pod);
		snprintf(got.json[got.n], 512, "%.*s", (int)ev->container_json_len,
			 ev->container_json ? ev->container_json : "");
		got.cgid[got.n] = ev->container->cgroup_id;
	}
	got.n++;
}

static void gone_cb(void *ctx, uint64_t id)
{
	if (got.ngone < 8)
		got.gone[got.ngone++] = id;
}

static int mkdirs(const char *path)
{
	char buf[1024], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

/* A container: its cgroup below cgroot, its runc state below stroot (if pod). */
static uint64_t container(const char *id, const char *pod)
{
	char path[1024], doc[1024];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/kubepods/pod" UID "/%s", cgroot, id);
	if (mkdirs(path) || stat(path, &st))
		return 0;
	if (!pod)
		return st.st_ino;
	snprintf(path, sizeof(path), "%s/%s", stroot, id);
	mkdirs(path);
	snprintf(doc, sizeof(doc),
		 "{\"id\":\"%s\",\"config\":{\"labels\":[\"io.kubernetes.pod.name=%s\","
		 "\"io.kubernetes.pod.namespace=ns\",\"io.kubernetes.cri.container-name=c\"],"
		 "\"cgroups\":{\"path\":\"/kubepods/pod" UID "/%s\"}},\"cgroup_paths\":{}}", id, pod, id);
	snprintf(path, sizeof(path), "%s/%s/state.json", stroot, id);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, doc, strlen(doc)) != (ssize_t)strlen(doc))
		return 0;
	close(fd);
	return st.st_ino;
}

static struct attrib *open_attrib(bool scan, unsigned defer_max)
{
	static const char *roots[2];
	struct attrib_config cfg = { .cgroup2_root = cgroot, .state_roots = roots,
				     .no_scan = !scan, .defer_max = defer_max, .defer_ms = 2000 };
	char err[256];
	struct attrib *a;

	roots[0] = stroot;
	memset(&got, 0, sizeof(got));
	a = attrib_new(&cfg, collect, gone_cb, NULL, err, sizeof(err));
	if (!a)
		fprintf(stderr, "attrib_new: %s\n", err);
	return a;
}

/* Apply the resolver's answers until cond() or timeout. */
static int pump(struct attrib *a, int ms, int (*cond)(struct attrib *, uint64_t), uint64_t arg)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = attrib_fd(a), .events = POLLIN };

		if (cond(a, arg))
			return 0;
		if (poll(&p, 1, 20) > 0)
			attrib_process(a);
		attrib_tick(a);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return cond(a, arg) ? 0 : -1;
	}
}

static int emitted_at_least(struct attrib *a, uint64_t n)
{
	return got.n >= (int)n;
}

static int known(struct attrib *a, uint64_t id)
{
	const struct container_info *ci = attrib_lookup(a, id);

	return !attrib_pending(a, ci) && ci->resolved;
}

static int has_pod(struct attrib *a, uint64_t id)
{
	const struct container_info *ci = attrib_lookup(a, id);

	return !attrib_pending(a, ci) && ci->pod[0];
}

static int gone_seen(struct attrib *a, uint64_t id)
{
	for (int i = 0; i < got.ngone; i++)
		if (got.gone[i] == id)
			return 1;
	return 0;
}

static struct event exec_event(const struct container_info *ci, const char *exe)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EVENT_EXEC;
	ev.container = ci;
	ev.proc.exe = exe;
	ev.proc.exe_len = strlen(exe);
	return ev;
}

static void test_miss_is_held_then_attributed(void)
{
	uint64_t id = container("ct-miss", "web-0");
	struct attrib *a = open_attrib(false, 0);
	const struct container_info *ci;
	char exe[64];
	struct event ev;
	struct attrib_stats st;

	ASSERT_TRUE(id && a, "set-up");
	ci = attrib_lookup(a, id);
	ASSERT_TRUE(attrib_pending(a, ci), "a miss: pending, no disk read on this thread");
	ASSERT_EQ(ci->cgroup_id, id, "the pending answer has the id");
	strcpy(exe, "/bin/first");
	ev = exec_event(ci, exe);
	ASSERT_TRUE(attrib_defer(a, &ev), "held");
	strcpy(exe, "/bin/second");		/* the ring-buffer record is reused */
	ev = exec_event(attrib_lookup(a, id), exe);
	ASSERT_TRUE(attrib_pending(a, ev.container), "still pending: held behind the first");
	ASSERT_TRUE(attrib_defer(a, &ev), "held");
	memset(exe, 'X', sizeof(exe) - 1);
	ASSERT_EQ(pump(a, 3000, emitted_at_least, 2), 0, "released when the answer came");
	ASSERT_STREQ(got.exe[0], "/bin/first", "in order, deep-copied");
	ASSERT_STREQ(got.exe[1], "/bin/second", "second");
	ASSERT_STREQ(got.pod[0], "web-0", "with the pod");
	ASSERT_EQ(got.cgid[1], id, "and the id");
	ci = attrib_lookup(a, id);
	ASSERT_TRUE(!attrib_pending(a, ci) && ci->resolved, "now a hit");
	ASSERT_STREQ(ci->ns, "ns", "namespace");
	attrib_get_stats(a, &st);
	ASSERT_EQ(st.deferred, 2, "two held");
	ASSERT_EQ(st.timeouts, 0, "none sent without the answer");
	ASSERT_EQ(st.containers, 1, "one container tracked");
	ASSERT_TRUE(st.hits >= 1 && st.misses == 1, "one miss");
	attrib_free(a);
}

static int scanned_and_applied(struct attrib *a, uint64_t n)
{
	struct attrib_stats st;

	attrib_get_stats(a, &st);
	return st.scanned >= n && st.entries >= n;
}

static void test_scan_warms(void)
{
	uint64_t id = container("ct-scan", "web-1");
	struct attrib *a = open_attrib(true, 0);
	const struct container_info *ci;
	struct attrib_stats st;

	ASSERT_TRUE(id && a, "set-up");
	/* no lookup before: the walk alone must bring the answer */
	ASSERT_EQ(pump(a, 3000, scanned_and_applied, 1), 0, "the start-up walk found and resolved it");
	ci = attrib_lookup(a, id);
	ASSERT_TRUE(!attrib_pending(a, ci), "first lookup is a hit");
	ASSERT_STREQ(ci->pod, "web-1", "with the pod");
	attrib_get_stats(a, &st);
	ASSERT_EQ(st.misses, 0, "no miss");
	attrib_free(a);
}

static void test_mkdir_then_state(void)
{
	struct attrib *a = open_attrib(false, 0);
	uint64_t id = container("ct-late", NULL);	/* cgroup first, state later (runc) */
	char path[256];

	ASSERT_TRUE(id && a, "set-up");
	snprintf(path, sizeof(path), "/kubepods/pod" UID "/ct-late");
	attrib_cgroup_new(a, id, path);
	usleep(100000);
	attrib_process(a);
	ASSERT_STREQ(attrib_lookup(a, id)->id, "ct-late", "answered from the mkdir: container id from the path");
	ASSERT_TRUE(!attrib_lookup(a, id)->pod[0], "no pod yet");
	ASSERT_TRUE(attrib_pending(a, attrib_lookup(a, id)), "its events wait for the state");
	{
		struct attrib_stats st;

		attrib_get_stats(a, &st);
		ASSERT_EQ(st.misses, 0, "no miss: known from the mkdir");
	}
	container("ct-late", "web-2");			/* the runtime writes its state */
	ASSERT_EQ(pump(a, 3000, has_pod, id), 0, "resolved again with short backoff");
	ASSERT_STREQ(attrib_lookup(a, id)->pod, "web-2", "pod");
	attrib_free(a);
}

static void test_gone_after_grace(void)
{
	uint64_t id = container("ct-gone", "web-3");
	struct attrib *a = open_attrib(false, 0);
	struct attrib_stats st;

	ASSERT_TRUE(id && a, "set-up");
	ASSERT_EQ(pump(a, 3000, known, id), 0, "known");
	attrib_cgroup_gone(a, id);
	ASSERT_STREQ(attrib_lookup(a, id)->pod, "web-3", "still known during the grace period");
	ASSERT_EQ(pump(a, ATTRIB_GONE_GRACE_MS + 2000, gone_seen, id), 0, "then dropped");
	attrib_get_stats(a, &st);
	ASSERT_EQ(st.containers, 0, "no container tracked");
	attrib_free(a);
}

static void test_hold_bounded(void)
{
	uint64_t id = container("ct-bound", "web-4");
	struct attrib *a = open_attrib(false, 2);
	struct event ev;
	struct attrib_stats st;

	ASSERT_TRUE(id && a, "set-up");
	ev = exec_event(attrib_lookup(a, id), "/x");
	ASSERT_TRUE(attrib_defer(a, &ev), "1 held");
	ASSERT_TRUE(attrib_defer(a, &ev), "2 held");
	ASSERT_TRUE(!attrib_defer(a, &ev), "the third is not: the caller sends it now");
	attrib_get_stats(a, &st);
	ASSERT_EQ(st.overflow, 1, "counted");
	attrib_flush(a);
	ASSERT_EQ(got.n, 2, "flush sends what is held");
	attrib_free(a);
}

static void test_host_and_zero(void)
{
	struct attrib *a = open_attrib(false, 0);
	const struct container_info *ci;

	ASSERT_TRUE(a != NULL, "set-up");
	ci = attrib_lookup(a, 0);
	ASSERT_TRUE(ci->host && !attrib_pending(a, ci), "id 0: host, never pending");
	ci = attrib_lookup(a, 0xfffffffffffull);
	ASSERT_TRUE(attrib_pending(a, ci), "unknown id: pending");
	ASSERT_EQ(pump(a, 3000, known, 0xfffffffffffull), 0, "answered");
	ASSERT_TRUE(attrib_lookup(a, 0xfffffffffffull)->host, "a cgroup that does not exist: host");
	attrib_free(a);
}

/* The root cgroup can hold no container: its answer is final at once (no retries for its state). */
static void test_root_final(void)
{
	struct attrib *a = open_attrib(false, 0);
	const struct container_info *ci;
	struct stat st;

	ASSERT_TRUE(a != NULL && !stat(cgroot, &st), "set-up");
	ci = attrib_lookup(a, st.st_ino);
	ASSERT_TRUE(attrib_pending(a, ci), "first sight: pending");
	ASSERT_EQ(pump(a, 1000, known, st.st_ino), 0, "final within a second (a host-looking cgroup waits 5 s)");
	ci = attrib_lookup(a, st.st_ino);
	ASSERT_TRUE(ci->host, "host");
	ASSERT_STREQ(ci->cgroup_path, "/", "the root");
	attrib_free(a);
}

/* The member as event_json.c formats it from scratch. */
static const char *fresh_member(const struct container_info *ci)
{
	static struct json_writer w;

	json_reset(&w);
	event_json_container_member(&w, ci);
	return w.buf;
}

static void test_container_json_cached(void)
{
	struct attrib *a = open_attrib(false, 0);
	uint64_t id = container("ct-json", NULL);	/* cgroup first, state later */
	const struct container_info *ci;
	struct container_info other = { .cgroup_id = 5, .host = true };
	const char *j1, *j2;
	struct event ev;
	size_t n;
	char path[256];

	ASSERT_TRUE(id && a, "set-up");
	j1 = attrib_container_json(a, attrib_lookup(a, 0), &n);
	ASSERT_STREQ(j1, "\"container\":{\"cgroup_id\":0,\"host\":true}", "id 0: the host member");
	ASSERT_EQ(n, strlen(j1), "its length");
	ASSERT_TRUE(attrib_container_json(a, &other, &n) == NULL, "not a cache entry's: none");

	snprintf(path, sizeof(path), "/kubepods/pod" UID "/ct-json");
	attrib_cgroup_new(a, id, path);
	usleep(100000);
	attrib_process(a);
	ci = attrib_lookup(a, id);
	j1 = attrib_container_json(a, ci, &n);
	ASSERT_STREQ(j1, fresh_member(ci), "cached member = formatted member");
	ASSERT_CONTAINS(j1, "\"id\":\"ct-json\"", "container id from the path");
	ASSERT_CONTAINS(j1, "\"pod\":\"\"", "no pod yet");
	ASSERT_TRUE(attrib_container_json(a, ci, &n) == j1, "formatted once, then reused");
	/* Its events wait for the state: one is held, with the member of that moment. */
	ev = exec_event(ci, "/held");
	ev.container_json = j1;
	ev.container_json_len = n;
	ASSERT_TRUE(attrib_pending(a, ci) && attrib_defer(a, &ev), "held");

	container("ct-json", "web-5");			/* the runtime writes its state */
	ASSERT_EQ(pump(a, 3000, has_pod, id), 0, "resolved again");
	ci = attrib_lookup(a, id);
	j2 = attrib_container_json(a, ci, &n);
	ASSERT_CONTAINS(j2, "\"pod\":\"web-5\"", "the answer changed: formatted again");
	ASSERT_STREQ(j2, fresh_member(ci), "= formatted member");
	ASSERT_EQ(got.n, 1, "the held event was released");
	ASSERT_CONTAINS(got.json[0], "\"pod\":\"web-5\"", "with the new member, not the one it was held with");
	attrib_free(a);
}

int main(void)
{
	char cmd[300];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir))
		return 1;
	snprintf(cgroot, sizeof(cgroot), "%s/cg", dir);
	snprintf(stroot, sizeof(stroot), "%s/state", dir);
	mkdirs(cgroot);
	mkdirs(stroot);
	RUN(test_miss_is_held_then_attributed);
	RUN(test_container_json_cached);
	RUN(test_scan_warms);
	RUN(test_mkdir_then_state);
	RUN(test_gone_after_grace);
	RUN(test_hold_bounded);
	RUN(test_host_and_zero);
	RUN(test_root_final);
	ret = test_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return ret;
}
