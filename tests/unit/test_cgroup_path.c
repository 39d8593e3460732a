// SPDX-License-Identifier: GPL-2.0
/* Cgroup path layouts: containerd, CRI-O, docker, podman; systemd and cgroupfs drivers. */
#include <errno.h>
#include <stdlib.h>

#include "lib/cgroup_path.h"
#include "test.h"

#define H64a "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64b "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID  "8a1c2f0e-5b7d-4e2a-9c3b-1d2e3f405162"
#define UIDU "8a1c2f0e_5b7d_4e2a_9c3b_1d2e3f405162"

struct tcase {
	const char *path;
	enum cgp_kind kind;
	const char *runtime, *id, *uid, *qos;
};

static const struct tcase cases[] = {
	/* systemd driver, Kubernetes */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice/cri-containerd-" H64a ".scope",
	  CGP_CONTAINER, "containerd", H64a, UID, "burstable" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UIDU ".slice/crio-" H64a ".scope",
	  CGP_CONTAINER, "cri-o", H64a, UID, "besteffort" },
	{ "/kubepods.slice/kubepods-pod" UIDU ".slice/docker-" H64b ".scope",
	  CGP_CONTAINER, "docker", H64b, UID, "guaranteed" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice/crio-conmon-" H64a ".scope",
	  CGP_MONITOR, "cri-o", H64a, UID, "burstable" },
	/* crun's sub-cgroup below the scope, and the pod slice itself */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice/crio-" H64a ".scope/container",
	  CGP_CONTAINER, "cri-o", H64a, UID, "burstable" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice",
	  CGP_POD, "", "", UID, "burstable" },
	{ "/kubepods.slice/kubepods-burstable.slice", CGP_HOST, "", "", "", "burstable" },
	/* cgroupfs driver, Kubernetes */
	{ "/kubepods/burstable/pod" UID "/" H64a, CGP_CONTAINER, "", H64a, UID, "burstable" },
	{ "/kubepods/besteffort/pod" UID "/" H64b, CGP_CONTAINER, "", H64b, UID, "besteffort" },
	{ "/kubepods/pod" UID "/" H64a, CGP_CONTAINER, "", H64a, UID, "guaranteed" },
	{ "/kubepods/burstable/pod" UID "/crio-" H64a, CGP_CONTAINER, "cri-o", H64a, UID, "burstable" },
	{ "/kubepods/burstable/pod" UID "/crio-conmon-" H64a, CGP_MONITOR, "cri-o", H64a, UID, "burstable" },
	{ "/kubepods/burstable/pod" UID, CGP_POD, "", "", UID, "burstable" },
	{ "kubepods/pod" UID "/" H64a "/", CGP_CONTAINER, "", H64a, UID, "guaranteed" },
	/* the runc test layout: kubepods below a test-owned directory, pod-<uid> */
	{ "/bulkhead-test-123/kubepods/pod-" UID "/ct-1", CGP_CONTAINER, "", "ct-1", UID, "guaranteed" },
	{ "/bulkhead-test-123/kubepods/burstable/pod" UID "/ct-1/sub/deeper",
	  CGP_CONTAINER, "", "ct-1", UID, "burstable" },
	/* outside Kubernetes */
	{ "/system.slice/docker-" H64a ".scope", CGP_CONTAINER, "docker", H64a, "", "" },
	{ "/docker/" H64b, CGP_CONTAINER, "docker", H64b, "", "" },
	{ "/machine.slice/libpod-" H64a ".scope", CGP_CONTAINER, "podman", H64a, "", "" },
	{ "/machine.slice/libpod-conmon-" H64a ".scope", CGP_MONITOR, "podman", H64a, "", "" },
	{ "/libpod_parent/libpod-" H64a, CGP_CONTAINER, "podman", H64a, "", "" },
	/* the outermost container wins: a sub-cgroup named like another container */
	{ "/docker/" H64a "/kubepods/pod" UID "/" H64b, CGP_CONTAINER, "docker", H64a, "", "" },
	{ "/kubepods/pod" UID "/" H64a "/docker/" H64b, CGP_CONTAINER, "", H64a, UID, "guaranteed" },
	{ "/system.slice/cri-containerd-" H64a ".scope/kubepods-pod" UIDU ".slice/crio-" H64b ".scope",
	  CGP_CONTAINER, "containerd", H64a, "", "" },
	/* host */
	{ "/", CGP_HOST, "", "", "", "" },
	{ "", CGP_HOST, "", "", "", "" },
	{ "/system.slice/ssh.service", CGP_HOST, "", "", "", "" },
	{ "/user.slice/user-0.slice/session-1.scope", CGP_HOST, "", "", "", "" },
	{ "/bulkhead-test-exec-123", CGP_HOST, "", "", "", "" },
	{ "/docker", CGP_HOST, "", "", "", "" },
	{ "/docker/not-an-id", CGP_HOST, "", "", "", "" },
	{ "/system.slice/docker-compose.scope", CGP_HOST, "", "", "", "" },
	{ "/system.slice/docker-" H64a "0.scope", CGP_HOST, "", "", "", "" },	/* 65 hex */
	{ "/system.slice/docker-" H64a ".service", CGP_HOST, "", "", "", "" },
	{ "/kubepods", CGP_HOST, "", "", "", "" },
	{ "/kubepods/burstable", CGP_HOST, "", "", "", "burstable" },
	/* hostile or malformed */
	{ "/kubepods/pod" UID "/..", CGP_POD, "", "", UID, "guaranteed" },
	{ "/kubepods/pod" UID "/a b", CGP_POD, "", "", UID, "guaranteed" },
	{ "/kubepods/pod/" H64a, CGP_HOST, "", "", "", "" },
	{ "/kubepods/pod" UID "/" H64a H64a, CGP_POD, "", "", UID, "guaranteed" },	/* id > 71 */
	{ "/kubepods/pod$x/" H64a, CGP_HOST, "", "", "", "" },
	{ "/kubepods/something/pod" UID "/" H64a, CGP_HOST, "", "", "", "" },
	/* a malformed pod slice ends the Kubernetes part: nothing below it is trusted */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod.slice/crio-" H64a ".scope",
	  CGP_HOST, "", "", "", "burstable" },
	{ "/kubepods.slice/kubepods-weird.slice/x", CGP_HOST, "", "", "", "" },
	{ "/crio-" H64a ".scope", CGP_CONTAINER, "cri-o", H64a, "", "" },
	{ "/crio-.scope", CGP_HOST, "", "", "", "" },
	{ "/.scope", CGP_HOST, "", "", "", "" },
};

static void test_layouts(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];
		struct cgroup_path_info pi;
		char what[128];

		snprintf(what, sizeof(what), "case %zu", i);
		ASSERT_EQ(cgroup_path_parse(t->path, &pi), 0, what);
		if (pi.kind != t->kind)
			TEST_FAIL("case %zu %s: kind %s, expected %s", i, t->path,
				  cgroup_path_kind_name(pi.kind), cgroup_path_kind_name(t->kind));
		ASSERT_STREQ(pi.runtime, t->runtime, what);
		ASSERT_STREQ(pi.id, t->id, what);
		ASSERT_STREQ(pi.pod_uid, t->uid, what);
		ASSERT_STREQ(pi.qos, t->qos, what);
	}
}

static void test_kubepods_flag(void)
{
	struct cgroup_path_info pi;

	ASSERT_EQ(cgroup_path_parse("/a/b/kubepods/pod" UID "/x", &pi), 0, "parse");
	ASSERT_TRUE(pi.kubepods, "kubepods found below a prefix");
	ASSERT_EQ(pi.id_depth, 4, "depth of the id component");
	ASSERT_EQ(cgroup_path_parse("/system.slice/docker-" H64a ".scope", &pi), 0, "parse");
	ASSERT_TRUE(!pi.kubepods, "no kubepods in a docker path");
}

static void test_limits(void)
{
	struct cgroup_path_info pi;
	char *p;
	size_t i;

	ASSERT_EQ(cgroup_path_parse(NULL, &pi), -EINVAL, "NULL path");
	ASSERT_EQ(pi.kind, CGP_HOST, "NULL path is host");

	/* too long */
	p = malloc(CGP_PATH_MAX + 10);
	ASSERT_TRUE(p, "malloc");
	memset(p, 'a', CGP_PATH_MAX + 9);
	p[0] = '/';
	p[CGP_PATH_MAX + 9] = '\0';
	ASSERT_EQ(cgroup_path_parse(p, &pi), -EINVAL, "path of 4105 bytes");
	ASSERT_EQ(pi.kind, CGP_HOST, "too long is host");

	/* too deep: 65 components */
	for (i = 0; i < 65; i++) {
		p[2 * i] = '/';
		p[2 * i + 1] = 'x';
	}
	p[130] = '\0';
	ASSERT_EQ(cgroup_path_parse(p, &pi), -EINVAL, "65 components");
	/* 64 is fine */
	p[128] = '\0';
	ASSERT_EQ(cgroup_path_parse(p, &pi), 0, "64 components");
	/* many slashes, no component */
	memset(p, '/', 3000);
	p[3000] = '\0';
	ASSERT_EQ(cgroup_path_parse(p, &pi), 0, "only slashes");
	ASSERT_EQ(pi.kind, CGP_HOST, "only slashes is host");
	free(p);
}

static void test_valid_id(void)
{
	ASSERT_TRUE(cgroup_path_valid_id("abc-1_2.3+4", 11), "runc id charset");
	ASSERT_TRUE(!cgroup_path_valid_id("", 0), "empty");
	ASSERT_TRUE(!cgroup_path_valid_id(".", 1), "dot");
	ASSERT_TRUE(!cgroup_path_valid_id("..", 2), "dotdot");
	ASSERT_TRUE(!cgroup_path_valid_id("a/b", 3), "slash");
	ASSERT_TRUE(!cgroup_path_valid_id("a\nb", 3), "newline");
	ASSERT_TRUE(!cgroup_path_valid_id(H64a H64a, 128), "too long");
}

/* Random bytes: never crash, always a defined answer. */
static void test_fuzz(void)
{
	static const char alphabet[] = "/.-_kubepodsliceburstablescopecrio0123456789abcdef$ \n";
	char buf[300];
	unsigned seed = 12345;
	int i;

	for (i = 0; i < 200000; i++) {
		struct cgroup_path_info pi;
		int len = (int)(rand_r(&seed) % (sizeof(buf) - 1)), j;

		for (j = 0; j < len; j++)
			buf[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		buf[len] = '\0';
		cgroup_path_parse(buf, &pi);
		ASSERT_TRUE(pi.kind <= CGP_MONITOR, "kind in range");
		ASSERT_TRUE(strlen(pi.id) < sizeof(pi.id), "id terminated");
		ASSERT_TRUE(pi.kind != CGP_CONTAINER || pi.id[0], "a container has an id");
	}
}

int main(void)
{
	RUN(test_layouts);
	RUN(test_kubepods_flag);
	RUN(test_limits);
	RUN(test_valid_id);
	RUN(test_fuzz);
	return test_summary();
}
