// SPDX-License-Identifier: GPL-2.0
/*
 * The policy watch against a real file system (inotify): a write is reported
 * once it settles, a burst of writes is one reload, a Kubernetes ConfigMap
 * swap (a "..data" symlink renamed into place) is seen, a watched file's
 * neighbours are not, and a directory that is replaced is watched again.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/policy_watch.h"
#include "test.h"

#define QUIET_MS 40

static char root[64];

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void path_of(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", root, rel);
}

/* Poll and process for up to ms; how many times a reload came due. */
static int reloads_within(struct policy_watch *w, int ms)
{
	struct timespec t0, t;
	int n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = policy_watch_fd(w), .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return n;
		if (poll(&p, 1, (int)left) > 0)
			n += policy_watch_process(w);
	}
}

static void test_write_settles_once(void)
{
	char err[256], dir[128];
	struct policy_watch *w;

	path_of(dir, sizeof(dir), "d1");
	mkdir(dir, 0755);
	w = policy_watch_open(dir, QUIET_MS, err, sizeof(err));
	ASSERT_TRUE(w, err);
	ASSERT_EQ(reloads_within(w, 3 * QUIET_MS), 0, "no change, no reload");
	put("d1/a.yaml", "a");
	put("d1/b.yaml", "b");
	put("d1/a.yaml", "a2");
	ASSERT_EQ(reloads_within(w, 5 * QUIET_MS), 1, "a burst of writes is one reload");
	path_of(dir, sizeof(dir), "d1/b.yaml");
	unlink(dir);
	ASSERT_EQ(reloads_within(w, 5 * QUIET_MS), 1, "a deletion is a change");
	policy_watch_free(w);
}

static void test_configmap_swap(void)
{
	char err[256], dir[128], a[128], b[128];
	struct policy_watch *w;

	path_of(dir, sizeof(dir), "cm");
	mkdir(dir, 0755);
	path_of(a, sizeof(a), "cm/..2026_11_29_1");
	mkdir(a, 0755);
	put("cm/..2026_11_29_1/p.yaml", "v1");
	path_of(a, sizeof(a), "cm/..data");
	ASSERT_EQ(symlink("..2026_11_29_1", a), 0, "..data");
	path_of(a, sizeof(a), "cm/p.yaml");
	ASSERT_EQ(symlink("..data/p.yaml", a), 0, "p.yaml -> ..data/p.yaml");
	w = policy_watch_open(dir, QUIET_MS, err, sizeof(err));
	ASSERT_TRUE(w, err);
	/* What the kubelet does: a new dated directory, a temporary link, renamed over ..data. */
	path_of(a, sizeof(a), "cm/..2026_11_29_2");
	mkdir(a, 0755);
	put("cm/..2026_11_29_2/p.yaml", "v2");
	path_of(a, sizeof(a), "cm/..data_tmp");
	ASSERT_EQ(symlink("..2026_11_29_2", a), 0, "..data_tmp");
	path_of(b, sizeof(b), "cm/..data");
	ASSERT_EQ(rename(a, b), 0, "rename ..data_tmp ..data");
	ASSERT_EQ(reloads_within(w, 5 * QUIET_MS), 1, "the swap is one reload");
	policy_watch_free(w);
}

static void test_file_ignores_neighbours(void)
{
	char err[256], dir[128], f[128];
	struct policy_watch *w;

	path_of(dir, sizeof(dir), "d2");
	mkdir(dir, 0755);
	put("d2/policy.yaml", "p");
	path_of(f, sizeof(f), "d2/policy.yaml");
	w = policy_watch_open(f, QUIET_MS, err, sizeof(err));
	ASSERT_TRUE(w, err);
	put("d2/other.txt", "o");
	ASSERT_EQ(reloads_within(w, 4 * QUIET_MS), 0, "another file in the directory");
	put("d2/policy.yaml", "p2");
	ASSERT_EQ(reloads_within(w, 5 * QUIET_MS), 1, "the watched file");
	/* An editor's save: write a temporary file, rename it over the policy. */
	put("d2/.policy.yaml.swp", "p3");
	{
		char tmp[128];

		path_of(tmp, sizeof(tmp), "d2/.policy.yaml.swp");
		ASSERT_EQ(rename(tmp, f), 0, "rename over");
	}
	ASSERT_EQ(reloads_within(w, 5 * QUIET_MS), 1, "a rename over the watched file");
	policy_watch_free(w);
}

static void test_directory_replaced(void)
{
	char err[256], dir[128], old[128];
	struct policy_watch *w;

	path_of(dir, sizeof(dir), "d3");
	path_of(old, sizeof(old), "d3.old");
	mkdir(dir, 0755);
	w = policy_watch_open(dir, QUIET_MS, err, sizeof(err));
	ASSERT_TRUE(w, err);
	ASSERT_EQ(rename(dir, old), 0, "move the directory away");
	ASSERT_EQ(mkdir(dir, 0755), 0, "a new one in its place");
	ASSERT_EQ(reloads_within(w, 5 * QUIET_MS), 1, "the replacement is a change");
	put("d3/new.yaml", "n");
	ASSERT_EQ(reloads_within(w, 5 * QUIET_MS), 1, "the new directory is watched");
	policy_watch_free(w);
}

static void test_bad_input(void)
{
	char err[256];

	ASSERT_TRUE(!policy_watch_open("/nonexistent/bulkhead", QUIET_MS, err, sizeof(err)),
		    "a missing path");
	ASSERT_CONTAINS(err, "No such file", "says why");
	ASSERT_TRUE(!policy_watch_open(root, 0, err, sizeof(err)), "a zero quiet period");
	ASSERT_TRUE(!policy_watch_open("", QUIET_MS, err, sizeof(err)), "an empty path");
}

int main(void)
{
	char cmd[128];
	int r;

	snprintf(root, sizeof(root), "/tmp/bulkhead-test-watch-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_write_settles_once);
	RUN(test_configmap_swap);
	RUN(test_file_ignores_neighbours);
	RUN(test_directory_replaced);
	RUN(test_bad_input);
	r = test_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return r;
}
