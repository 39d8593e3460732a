// SPDX-License-Identifier: GPL-2.0
/*
 * Container registry and runtime state parsing.
 *  - oci_state: real runc 1.1.5 state.json, containerd bundle config.json,
 *    crun status, and hostile files (huge, truncated, wrong types, deep
 *    nesting, NULs, control characters, symlinks, FIFOs).
 *  - registry on a scratch directory tree (the tree-walk fallback; inode
 *    numbers stand in for cgroup ids): layouts, negative cache, LRU bound.
 *  - registry on the real cgroup2 mount (kernfs file handles), in a test
 *    cgroup made and removed here; skipped when not root or no cgroup2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "attrib/oci_state.h"
#include "attrib/registry.h"
#include "test.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D64 "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
#define P64 "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
#define UID "8a1c2f0e-5b7d-4e2a-9c3b-1d2e3f405162"

static char tmpdir[256];

static int write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
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

static uint64_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

static char *tmp(const char *fmt, const char *a)
{
	static char bufs[8][1280];
	static int i;
	char rel[900];

	snprintf(rel, sizeof(rel), fmt, a);
	i = (i + 1) % 8;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", tmpdir, rel);
	return bufs[i];
}

/* What runc 1.1.5 wrote for a container started by tests/lib/container.sh (trimmed). */
static const char runc_state[] =
	"{\"id\":\"ct1\",\"init_process_pid\":6878,\"init_process_start\":1234,"
	"\"created\":\"2026-11-29T04:24:46.697189159Z\","
	"\"config\":{\"no_pivot_root\":false,\"rootfs\":\"/b/rootfs\","
	"\"labels\":[\"io.kubernetes.pod.name=p1\",\"io.kubernetes.pod.namespace=ns1\","
	"\"io.kubernetes.cri.container-name=c1\",\"bundle=/tmp/rctest/bundle\"],"
	"\"cgroups\":{\"path\":\"/bulkhead-x/kubepods/podabc/ct1\",\"scope_prefix\":\"\","
	"\"devices\":[{\"type\":97,\"major\":-1,\"minor\":-1,\"permissions\":\"rwm\",\"allow\":false}]}},"
	"\"rootless\":false,"
	"\"cgroup_paths\":{\"\":\"/sys/fs/cgroup/unified/bulkhead-x/kubepods/podabc/ct1\","
	"\"memory\":\"/sys/fs/cgroup/memory/bulkhead-x/kubepods/podabc/ct1\"},"
	"\"namespace_paths\":{\"NEWNET\":\"/proc/6878/ns/net\"},\"external_descriptors\":[\"/dev/null\"]}";

static const char containerd_config[] =
	"{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"/pause\"]},"
	"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	"\"io.kubernetes.cri.container-name\":\"nginx\","
	"\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx:1.25\","
	"\"io.kubernetes.cri.sandbox-name\":\"web-0\","
	"\"io.kubernetes.cri.sandbox-namespace\":\"shop\","
	"\"io.kubernetes.cri.sandbox-uid\":\"" UID "\"},"
	"\"linux\":{\"cgroupsPath\":\"kubepods-burstable-pod8a1c.slice:cri-containerd:" H64 "\"}}";

static void test_oci_runc_state(void)
{
	struct oci_meta m;

	ASSERT_EQ(oci_parse(runc_state, sizeof(runc_state) - 1, &m), 0, "parse runc state.json");
	ASSERT_EQ(m.format, OCI_FMT_RUNC_STATE, "format");
	ASSERT_STREQ(m.id, "ct1", "id");
	ASSERT_STREQ(m.pod, "p1", "pod from config.labels");
	ASSERT_STREQ(m.ns, "ns1", "namespace");
	ASSERT_STREQ(m.name, "c1", "container name");
	ASSERT_STREQ(m.bundle, "/tmp/rctest/bundle", "bundle label");
	ASSERT_STREQ(m.cgroups_path, "/bulkhead-x/kubepods/podabc/ct1", "config.cgroups.path");
	ASSERT_STREQ(m.cgroup_dir, "/sys/fs/cgroup/unified/bulkhead-x/kubepods/podabc/ct1",
		     "cgroup_paths[\"\"]");
}

static void test_oci_containerd_config(void)
{
	struct oci_meta m;

	ASSERT_EQ(oci_parse(containerd_config, sizeof(containerd_config) - 1, &m), 0, "parse");
	ASSERT_EQ(m.format, OCI_FMT_OCI, "format");
	ASSERT_STREQ(m.name, "nginx", "name");
	ASSERT_STREQ(m.pod, "web-0", "sandbox-name");
	ASSERT_STREQ(m.ns, "shop", "sandbox-namespace");
	ASSERT_STREQ(m.pod_uid, UID, "sandbox-uid");
	ASSERT_STREQ(m.image, "docker.io/library/nginx:1.25", "image");
	ASSERT_CONTAINS(m.cgroups_path, "cri-containerd", "cgroupsPath");
}

static void test_oci_state_output_and_priority(void)
{
	/* `runc state` output; CRI-O keys; a lower-priority key listed first */
	static const char doc[] =
		"{\"ociVersion\":\"1.0.2-dev\",\"id\":\"abc\",\"status\":\"running\",\"pid\":1,"
		"\"annotations\":{\"io.kubernetes.container.name\":\"low\","
		"\"io.kubernetes.cri.container-name\":\"high\","
		"\"io.kubernetes.cri.sandbox-name\":\"low-pod\",\"io.kubernetes.pod.name\":\"high-pod\","
		"\"io.kubernetes.pod.namespace\":\"ns\",\"io.kubernetes.pod.uid\":\"u1\","
		"\"io.kubernetes.cri-o.ImageName\":\"quay.io/x:1\"}}";
	struct oci_meta m;

	ASSERT_EQ(oci_parse(doc, sizeof(doc) - 1, &m), 0, "parse");
	ASSERT_STREQ(m.id, "abc", "id");
	ASSERT_STREQ(m.name, "high", "cri container-name wins over container.name");
	ASSERT_STREQ(m.pod, "high-pod", "pod.name wins over sandbox-name");
	ASSERT_STREQ(m.pod_uid, "u1", "pod uid");
	ASSERT_STREQ(m.image, "quay.io/x:1", "CRI-O image name");
}

static void test_oci_hostile_docs(void)
{
	static const struct {
		const char *doc;
		int err;
	} bad[] = {
		{ "", -EINVAL },
		{ "{", -EINVAL },
		{ "{\"config\":{\"labels\":[\"io.kubernetes.pod.name=p\"", -EINVAL },	/* truncated */
		{ "[]", -EINVAL },
		{ "42", -EINVAL },
		{ "null", -EINVAL },
		{ "\"str\"", -EINVAL },
		{ "{}", -EINVAL },			/* no known format */
		{ "{\"foo\":1}", -EINVAL },
		{ "{\"annotations\":{}} trailing", -EINVAL },
		{ "{\"annotations\":{},}", -EINVAL },	/* not strict JSON */
	};
	struct oci_meta m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "bad doc %zu", i);
		ASSERT_EQ(oci_parse(bad[i].doc, strlen(bad[i].doc), &m), bad[i].err, what);
		ASSERT_STREQ(m.name, "", "nothing left behind");
	}
	/* embedded NUL */
	ASSERT_EQ(oci_parse("{\"annotations\":{}}\0x", 20, &m), -EINVAL, "NUL byte");
	ASSERT_EQ(oci_parse("{\"annotations\":{}}\n", 19, &m), 0, "trailing newline is fine");
}

static void test_oci_wrong_types(void)
{
	static const char *const docs[] = {
		"{\"annotations\":[\"io.kubernetes.pod.name\",\"x\"]}",
		"{\"annotations\":{\"io.kubernetes.pod.name\":7,\"io.kubernetes.pod.namespace\":null,"
		"\"io.kubernetes.cri.container-name\":{\"a\":1},\"io.kubernetes.pod.uid\":[1]}}",
		"{\"annotations\":\"io.kubernetes.pod.name=x\",\"id\":{}}",
		"{\"config\":{\"labels\":{\"io.kubernetes.pod.name\":\"x\"},\"cgroups\":[]},\"id\":5,"
		"\"cgroup_paths\":[]}",
		"{\"config\":{\"labels\":[1,null,{},[],\"no-equals\",\"=\",\"=x\","
		"\"io.kubernetes.pod.name\"]}}",
		"{\"config\":{\"labels\":\"io.kubernetes.pod.name=x\"}}",
		"{\"config\":{},\"bundle\":7}",
		"{\"ociVersion\":1,\"linux\":\"x\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct oci_meta m;
		char what[64];

		snprintf(what, sizeof(what), "wrong types %zu", i);
		ASSERT_EQ(oci_parse(docs[i], strlen(docs[i]), &m), 0, what);
		ASSERT_STREQ(m.pod, "", what);
		ASSERT_STREQ(m.ns, "", what);
		ASSERT_STREQ(m.name, "", what);
		ASSERT_STREQ(m.id, "", what);
		ASSERT_STREQ(m.cgroups_path, "", what);
	}
}

static void test_oci_values(void)
{
	char doc[2048], longname[300];
	struct oci_meta m;

	/* control characters and non-ASCII are neutralised */
	snprintf(doc, sizeof(doc), "{\"annotations\":{\"io.kubernetes.pod.name\":"
		 "\"a\\nb\\u001b[31mc\\u00e9\"}}");
	ASSERT_EQ(oci_parse(doc, strlen(doc), &m), 0, "parse");
	ASSERT_STREQ(m.pod, "a?b?[31mc??", "control chars and UTF-8 replaced");

	/* \u0000 inside a value: refused, not truncated */
	snprintf(doc, sizeof(doc), "{\"annotations\":{\"io.kubernetes.pod.name\":\"ab\\u0000cd\"}}");
	ASSERT_EQ(oci_parse(doc, strlen(doc), &m), 0, "parse");
	ASSERT_STREQ(m.pod, "", "value with NUL refused");

	/* too long for the field: names refused, image truncated */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"annotations\":{\"io.kubernetes.pod.name\":\"%s\","
		 "\"io.kubernetes.pod.namespace\":\"ok\",\"io.kubernetes.cri.image-name\":\"%s\"}}",
		 longname, longname);
	ASSERT_EQ(oci_parse(doc, strlen(doc), &m), 0, "parse");
	ASSERT_STREQ(m.pod, "", "300-byte pod name refused");
	ASSERT_STREQ(m.ns, "ok", "other fields kept");
	ASSERT_EQ(strlen(m.image), sizeof(m.image) - 1, "image truncated to the field");
	/* a longer value under a lower-priority key does not overwrite */
	snprintf(doc, sizeof(doc), "{\"annotations\":{\"io.kubernetes.pod.name\":\"%s\","
		 "\"io.kubernetes.cri.sandbox-name\":\"fallback\"}}", longname);
	ASSERT_EQ(oci_parse(doc, strlen(doc), &m), 0, "parse");
	ASSERT_STREQ(m.pod, "fallback", "lower-priority key used when the first is unusable");
}

static void test_oci_deep_and_big(void)
{
	size_t n = 100000, i;
	char *doc = malloc(2 * n + 64);
	struct oci_meta m;
	int len;

	ASSERT_TRUE(doc, "malloc");
	/* 100000 nested arrays */
	len = sprintf(doc, "{\"annotations\":");
	for (i = 0; i < n; i++)
		doc[len++] = '[';
	for (i = 0; i < n; i++)
		doc[len++] = ']';
	doc[len++] = '}';
	ASSERT_EQ(oci_parse(doc, (size_t)len, &m), -EINVAL, "deep nesting refused");
	/* 33 levels: over the depth cap; 8 levels fine */
	len = sprintf(doc, "{\"annotations\":{\"x\":%s}}",
		      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	ASSERT_EQ(oci_parse(doc, (size_t)len, &m), -EINVAL, "35 levels refused");
	len = sprintf(doc, "{\"annotations\":{\"x\":[[[[[[1]]]]]]},\"id\":\"i\"}");
	ASSERT_EQ(oci_parse(doc, (size_t)len, &m), 0, "8 levels accepted");
	free(doc);

	/* over the size cap */
	doc = malloc(OCI_FILE_MAX + 2);
	ASSERT_TRUE(doc, "malloc");
	memset(doc, ' ', OCI_FILE_MAX + 1);
	memcpy(doc, "{\"annotations\":{}}", 18);
	ASSERT_EQ(oci_parse(doc, OCI_FILE_MAX + 1, &m), -EFBIG, "size cap");
	ASSERT_EQ(oci_parse(doc, OCI_FILE_MAX, &m), 0, "exactly the cap is fine");
	free(doc);
}

static void test_oci_many_labels(void)
{
	size_t n = 20000, i, cap = n * 40 + 64, len = 0;
	char *doc = malloc(cap);
	struct oci_meta m;

	ASSERT_TRUE(doc, "malloc");
	len += (size_t)sprintf(doc + len, "{\"config\":{\"labels\":[");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "%s\"k%zu=v\"", i ? "," : "", i);
	/* beyond OCI_KEYS_MAX: ignored */
	len += (size_t)sprintf(doc + len, ",\"io.kubernetes.pod.name=late\"]}}");
	ASSERT_EQ(oci_parse(doc, len, &m), 0, "parse 20001 labels");
	ASSERT_STREQ(m.pod, "", "labels past the cap are not looked at");
	free(doc);
}

/* Random damage to valid documents: any answer, no crash. */
static void test_oci_mutations(void)
{
	const char *seeds[] = { runc_state, containerd_config };
	char buf[sizeof(runc_state) + 16];
	unsigned seed = 7;
	int i;

	for (i = 0; i < 40000; i++) {
		const char *s = seeds[i & 1];
		size_t len = strlen(s), j;
		struct oci_meta m;
		int flips = 1 + (int)(rand_r(&seed) % 4);

		memcpy(buf, s, len);
		while (flips--)
			buf[rand_r(&seed) % len] = (char)(rand_r(&seed) & 0xff);
		if (rand_r(&seed) % 4 == 0)
			len = rand_r(&seed) % len;
		oci_parse(buf, len, &m);
		for (j = 0; j < sizeof(m.pod) && m.pod[j]; j++)
			ASSERT_TRUE(m.pod[j] >= 0x20 && m.pod[j] < 0x7f, "pod printable");
		ASSERT_TRUE(strlen(m.name) < sizeof(m.name), "terminated");
	}
}

static void test_oci_files(void)
{
	struct oci_meta m;
	char *big;
	int fd;

	ASSERT_EQ(mkdirs(tmp("root/ct1", NULL)), 0, "mkdir");
	ASSERT_EQ(write_str(tmp("root/ct1/state.json", NULL), runc_state), 0, "write");
	ASSERT_EQ(oci_find(tmp("root", NULL), "ct1", &m), 0, "find runc state");
	ASSERT_STREQ(m.pod, "p1", "pod");

	ASSERT_EQ(oci_find(tmp("root", NULL), "nope", &m), -ENOENT, "missing container");
	ASSERT_EQ(oci_find(tmp("nonexistent-root", NULL), "ct1", &m), -ENOENT, "missing root");
	ASSERT_EQ(oci_find(tmp("root", NULL), "../root/ct1", &m), -EINVAL, "id with a slash");
	ASSERT_EQ(oci_find(tmp("root", NULL), "..", &m), -EINVAL, "id ..");

	/* containerd task bundle: config.json */
	ASSERT_EQ(mkdirs(tmp("root/" H64, NULL)), 0, "mkdir");
	ASSERT_EQ(write_str(tmp("root/" H64 "/config.json", NULL), containerd_config), 0, "write");
	ASSERT_EQ(oci_find(tmp("root", NULL), H64, &m), 0, "find bundle config.json");
	ASSERT_STREQ(m.name, "nginx", "name");
	ASSERT_STREQ(m.id, H64, "id from the directory name");

	/* CRI-O / podman: <id>/userdata/config.json */
	ASSERT_EQ(mkdirs(tmp("root/crio1/userdata", NULL)), 0, "mkdir");
	ASSERT_EQ(write_str(tmp("root/crio1/userdata/config.json", NULL), containerd_config), 0, "write");
	ASSERT_EQ(oci_find(tmp("root", NULL), "crio1", &m), 0, "find userdata/config.json");
	ASSERT_STREQ(m.ns, "shop", "namespace");

	/* crun: status -> bundle/config.json */
	ASSERT_EQ(mkdirs(tmp("root/crun1", NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("bundle1", NULL)), 0, "mkdir");
	{
		char status[1024];

		snprintf(status, sizeof(status), "{\"pid\":5,\"cgroup-path\":\"/x/crun1\","
			 "\"bundle\":\"%s\",\"created\":\"now\"}", tmp("bundle1", NULL));
		ASSERT_EQ(write_str(tmp("root/crun1/status", NULL), status), 0, "write");
	}
	ASSERT_EQ(write_str(tmp("bundle1/config.json", NULL), containerd_config), 0, "write");
	ASSERT_EQ(oci_find(tmp("root", NULL), "crun1", &m), 0, "find crun status");
	ASSERT_EQ(m.format, OCI_FMT_CRUN_STATUS, "format");
	ASSERT_STREQ(m.cgroups_path, "/x/crun1", "status cgroup path kept over the bundle's");
	ASSERT_STREQ(m.pod, "web-0", "annotations from the bundle");

	/* hostile files */
	ASSERT_EQ(mkdirs(tmp("root/evil", NULL)), 0, "mkdir");
	ASSERT_EQ(symlink("/etc/shadow", tmp("root/evil/state.json", NULL)), 0, "symlink");
	ASSERT_EQ(oci_find(tmp("root", NULL), "evil", &m), -EINVAL, "symlinked state.json refused");
	ASSERT_EQ(mkfifo(tmp("root/evil/config.json", NULL), 0600), 0, "fifo");
	ASSERT_EQ(oci_find(tmp("root", NULL), "evil", &m), -EINVAL, "FIFO refused without blocking");
	ASSERT_EQ(mkdirs(tmp("root/evil/status", NULL)), 0, "dir named status");
	ASSERT_EQ(oci_find(tmp("root", NULL), "evil", &m), -EINVAL, "directory refused");

	ASSERT_EQ(mkdirs(tmp("root/huge", NULL)), 0, "mkdir");
	fd = open(tmp("root/huge/state.json", NULL), O_WRONLY | O_CREAT, 0600);
	ASSERT_TRUE(fd >= 0, "create");
	ASSERT_EQ(ftruncate(fd, (off_t)OCI_FILE_MAX + 1), 0, "sparse 2 MiB + 1");
	close(fd);
	ASSERT_EQ(oci_find(tmp("root", NULL), "huge", &m), -EFBIG, "oversized file refused");
	ASSERT_EQ(oci_read_file(tmp("root/huge/state.json", NULL), &m), -EFBIG, "read_file too");

	ASSERT_EQ(mkdirs(tmp("root/trunc", NULL)), 0, "mkdir");
	ASSERT_EQ(write_file(tmp("root/trunc/state.json", NULL), runc_state, 100), 0, "write");
	ASSERT_EQ(oci_find(tmp("root", NULL), "trunc", &m), -EINVAL, "truncated file");

	/* a bad state.json next to a good config.json: the good one is used */
	ASSERT_EQ(write_str(tmp("root/trunc/config.json", NULL), containerd_config), 0, "write");
	ASSERT_EQ(oci_find(tmp("root", NULL), "trunc", &m), 0, "fall back to config.json");
	ASSERT_STREQ(m.name, "nginx", "name from config.json");

	big = malloc(OCI_FILE_MAX);
	ASSERT_TRUE(big, "malloc");
	free(big);
	ASSERT_EQ(oci_read_file("/proc/self/status", &m), -EINVAL, "procfs text is not JSON");
	ASSERT_EQ(oci_read_file("/dev/zero", &m), -EINVAL, "device refused");
}


/* What Docker 20.10 (Debian's docker.io) wrote for `docker run --name web1` (trimmed). */
static const char docker_config_v2[] =
	"{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Pid\":9576},"
	"\"ID\":\"" H64 "\",\"Created\":\"2026-12-07T08:19:16.526991467Z\",\"Managed\":false,"
	"\"Path\":\"/bin/sleep\",\"Args\":[\"300\"],"
	"\"Config\":{\"Hostname\":\"7369cfb0483c\",\"Env\":null,\"Cmd\":[\"/bin/sleep\",\"300\"],"
	"\"Image\":\"bh-test/busybox:1\",\"Labels\":{}},"
	"\"Image\":\"sha256:5dc4f102c505f5ba2cafec8d3ec99fe4e06e6b3381702f06fd263b53e8f7aed9\","
	"\"Name\":\"/web1\",\"Driver\":\"vfs\"}";

/* podman 4.3's bundle config.json annotations, and containers/storage's list. */
static const char podman_config[] =
	"{\"ociVersion\":\"1.0.2-dev\",\"annotations\":{\"io.container.manager\":\"libpod\","
	"\"io.kubernetes.cri-o.Created\":\"2026-12-07T08:19:33.91794872Z\","
	"\"org.opencontainers.image.stopSignal\":\"15\"},"
	"\"linux\":{\"cgroupsPath\":\"/libpod_parent/libpod-" H64 "\"}}";
static const char podman_list[] =
	"[{\"id\":\"1111111111111111111111111111111111111111111111111111111111111111\","
	"\"names\":[\"other\"],\"metadata\":\"{\\\"image-name\\\":\\\"x:1\\\"}\"},"
	"{\"id\":\"" H64 "\",\"names\":[\"pweb\"],\"image\":\"2790d73d\",\"layer\":\"0c81e245\","
	"\"metadata\":\"{\\\"image-name\\\":\\\"localhost/bh-test/busybox:1\\\","
	"\\\"image-id\\\":\\\"2790d73d\\\",\\\"name\\\":\\\"pweb\\\",\\\"created-at\\\":1796631573}\","
	"\"created\":\"2026-12-07T08:19:33.934822906Z\",\"flags\":{\"MountLabel\":\"\"}}]";

static void test_oci_docker_config(void)
{
	struct oci_meta m;
	static const char labels[] =
		"{\"ID\":\"abc\",\"Name\":\"/k8s_app_web-0_shop_uid_0\","
		"\"Config\":{\"Image\":\"nginx:1.25\",\"Labels\":{\"io.kubernetes.pod.name\":\"web-0\","
		"\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.container.name\":\"app\"}}}";

	ASSERT_EQ(oci_parse(docker_config_v2, sizeof(docker_config_v2) - 1, &m), 0, "parse");
	ASSERT_EQ(m.format, OCI_FMT_DOCKER, "format");
	ASSERT_STREQ(m.id, H64, "ID");
	ASSERT_STREQ(m.name, "web1", "Name without its '/'");
	ASSERT_STREQ(m.image, "bh-test/busybox:1", "Config.Image, not the image id");
	ASSERT_STREQ(m.runtime, "docker", "runtime from the content");
	ASSERT_STREQ(m.cgroups_path, "", "no cgroup path in config.v2.json");

	/* dockershim: the Kubernetes labels win over Docker's own name */
	ASSERT_EQ(oci_parse(labels, sizeof(labels) - 1, &m), 0, "parse labels");
	ASSERT_STREQ(m.name, "app", "container name from the labels");
	ASSERT_STREQ(m.pod, "web-0", "pod label");
	ASSERT_STREQ(m.ns, "shop", "namespace label");
	ASSERT_STREQ(m.image, "nginx:1.25", "image");

	/* hostile: wrong types, a bare "/", control characters, a name too long */
	{
		static const char *const docs[] = {
			"{\"ID\":\"a\",\"Config\":{\"Image\":7,\"Labels\":[1]},\"Name\":{}}",
			"{\"ID\":\"a\",\"Config\":{},\"Name\":\"/\"}",
			"{\"ID\":\"a\",\"Config\":{},\"Name\":\"\"}",
		};
		size_t i;

		for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
			ASSERT_EQ(oci_parse(docs[i], strlen(docs[i]), &m), 0, "hostile docker doc parses");
			ASSERT_STREQ(m.name, "", "no name");
			ASSERT_STREQ(m.image, "", "no image");
		}
	}
	{
		static const char doc[] = "{\"ID\":\"a\",\"Config\":{\"Image\":\"i\\u001b[31m\"},"
					  "\"Name\":\"/n\\u0007x\"}";
		char longdoc[600];

		ASSERT_EQ(oci_parse(doc, sizeof(doc) - 1, &m), 0, "parse");
		ASSERT_STREQ(m.name, "n?x", "control character replaced");
		ASSERT_STREQ(m.image, "i?[31m", "escape replaced");
		snprintf(longdoc, sizeof(longdoc), "{\"ID\":\"a\",\"Config\":{},\"Name\":\"/%0200d\"}", 0);
		ASSERT_EQ(oci_parse(longdoc, strlen(longdoc), &m), 0, "parse");
		ASSERT_STREQ(m.name, "", "a name longer than the field is dropped, not cut");
	}
	/* "ID" of the wrong type: not Docker's format (and nothing else either) */
	ASSERT_EQ(oci_parse("{\"ID\":1,\"Config\":{}}", 20, &m), -EINVAL, "ID not a string");
}

static void test_oci_podman(void)
{
	struct oci_meta m;

	ASSERT_EQ(oci_parse(podman_config, sizeof(podman_config) - 1, &m), 0, "parse config");
	ASSERT_STREQ(m.runtime, "podman", "io.container.manager=libpod");
	ASSERT_STREQ(m.name, "", "no name in the bundle");
	ASSERT_EQ(oci_parse_storage_list(podman_list, sizeof(podman_list) - 1, H64, &m), 0, "list");
	ASSERT_STREQ(m.name, "pweb", "names[0]");
	ASSERT_STREQ(m.image, "localhost/bh-test/busybox:1", "metadata image-name");

	/* only empty fields are filled */
	memset(&m, 0, sizeof(m));
	strcpy(m.name, "kept");
	ASSERT_EQ(oci_parse_storage_list(podman_list, sizeof(podman_list) - 1, H64, &m), 0, "list");
	ASSERT_STREQ(m.name, "kept", "name kept");
	ASSERT_STREQ(m.image, "localhost/bh-test/busybox:1", "image filled");

	memset(&m, 0, sizeof(m));
	ASSERT_EQ(oci_parse_storage_list(podman_list, sizeof(podman_list) - 1, "nope", &m), -ENOENT,
		  "no such container");
	ASSERT_EQ(oci_parse_storage_list(podman_list, sizeof(podman_list) - 1, "", &m), -EINVAL,
		  "empty id");
	ASSERT_STREQ(m.name, "", "nothing filled");
	{
		static const char *const bad[] = {
			"", "{}", "[", "[{\"id\":\"x\"}] x", "\"str\"", "null",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ASSERT_EQ(oci_parse_storage_list(bad[i], strlen(bad[i]), "x", &m), -EINVAL,
				  "not a list");
	}
	{
		/* wrong types everywhere; metadata that is not JSON, or too deep */
		static const char *const odd[] = {
			"[1,\"x\",null,{\"id\":7},{\"id\":\"x\",\"names\":\"n\",\"metadata\":{}}]",
			"[{\"id\":\"x\",\"names\":[7],\"metadata\":\"{not json\"}]",
			"[{\"id\":\"x\",\"names\":[],\"metadata\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\"}]",
			"[{\"id\":\"x\",\"metadata\":\"{\\\"image-name\\\":1,\\\"name\\\":[]}\"}]",
		};
		size_t i;

		for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			memset(&m, 0, sizeof(m));
			ASSERT_TRUE(oci_parse_storage_list(odd[i], strlen(odd[i]), "x", &m) <= 0,
				    "odd list: no crash");
			ASSERT_STREQ(m.name, "", "no name from odd entries");
			ASSERT_STREQ(m.image, "", "no image from odd entries");
		}
		memset(&m, 0, sizeof(m));
		ASSERT_EQ(oci_parse_storage_list("[{\"id\":\"x\",\"metadata\":\"{\\\"name\\\":\\\"md\\\"}\"}]",
						 strlen("[{\"id\":\"x\",\"metadata\":\"{\\\"name\\\":\\\"md\\\"}\"}]"),
						 "x", &m), 0, "name from metadata");
		ASSERT_STREQ(m.name, "md", "metadata name when names is missing");
	}
	ASSERT_EQ(oci_parse_storage_list("[]", (size_t)OCI_FILE_MAX + 1, "x", &m), -EFBIG, "too big");
}

/* Real layouts: podman's graphroot, Docker's data root, containerd's task directory. */
static void test_oci_runtime_dirs(void)
{
	struct oci_meta m;

	/* podman: <root>/<id>/userdata/config.json + <root>/containers.json */
	ASSERT_EQ(mkdirs(tmp("vfs-containers/" H64 "/userdata", NULL)), 0, "mkdir");
	ASSERT_EQ(write_str(tmp("vfs-containers/" H64 "/userdata/config.json", NULL), podman_config), 0, "w");
	ASSERT_EQ(oci_find(tmp("vfs-containers", NULL), H64, &m), 0, "podman without its list");
	ASSERT_STREQ(m.name, "", "no list: no name");
	ASSERT_EQ(write_str(tmp("vfs-containers/containers.json", NULL), podman_list), 0, "w");
	ASSERT_EQ(oci_find(tmp("vfs-containers", NULL), H64, &m), 0, "podman with its list");
	ASSERT_STREQ(m.name, "pweb", "name from containers.json");
	ASSERT_STREQ(m.image, "localhost/bh-test/busybox:1", "image from containers.json");
	ASSERT_STREQ(m.cgroups_path, "/libpod_parent/libpod-" H64, "cgroup from the bundle");
	ASSERT_EQ(write_str(tmp("vfs-containers/containers.json", NULL), "[{\"id\":"), 0, "w");
	ASSERT_EQ(oci_find(tmp("vfs-containers", NULL), H64, &m), 0, "a broken list is not fatal");
	ASSERT_STREQ(m.name, "", "but gives nothing");

	/* Docker: <data-root>/containers/<id>/config.v2.json */
	ASSERT_EQ(mkdirs(tmp("docker/containers/" H64, NULL)), 0, "mkdir");
	ASSERT_EQ(write_str(tmp("docker/containers/" H64 "/config.v2.json", NULL), docker_config_v2), 0, "w");
	ASSERT_EQ(oci_find(tmp("docker/containers", NULL), H64, &m), 0, "docker config.v2.json");
	ASSERT_STREQ(m.name, "web1", "name");
}

static void test_registry_runtimes(void)
{
	char task[1024], dockerd[1024], runcmoby[1024];
	const char *roots[] = { NULL, NULL, NULL, NULL };
	struct registry_config cfg = { 0 };
	const struct container_info *ci;
	struct registry *r;
	char doc[1024];

	/* containerd: <state>/io.containerd.runtime.v2.task/<namespace>/<id>/config.json */
	snprintf(task, sizeof(task), "%s", tmp("ctd/io.containerd.runtime.v2.task", NULL));
	ASSERT_EQ(mkdirs(tmp("ctd/io.containerd.runtime.v2.task/default/c1", NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("ctd/io.containerd.runtime.v2.task/k8s.io/" H64, NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("ctd/io.containerd.runtime.v2.task/..bad", NULL)), 0, "mkdir");
	snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.0.2-dev\",\"linux\":{\"cgroupsPath\":\"/default/c1\"}}");
	ASSERT_EQ(write_str(tmp("ctd/io.containerd.runtime.v2.task/default/c1/config.json", NULL), doc), 0, "w");
	ASSERT_EQ(write_str(tmp("ctd/io.containerd.runtime.v2.task/k8s.io/" H64 "/config.json", NULL),
			    containerd_config), 0, "w");
	/* Docker: runc state without names, config.v2.json without a cgroup */
	snprintf(dockerd, sizeof(dockerd), "%s", tmp("docker/containers", NULL));
	snprintf(runcmoby, sizeof(runcmoby), "%s", tmp("runc-moby", NULL));
	ASSERT_EQ(mkdirs(tmp("runc-moby/" D64, NULL)), 0, "mkdir");
	snprintf(doc, sizeof(doc), "{\"id\":\"" D64 "\",\"config\":{\"labels\":[],"
		 "\"cgroups\":{\"path\":\"/docker/" D64 "\"}},\"cgroup_paths\":{}}");
	ASSERT_EQ(write_str(tmp("runc-moby/" D64 "/state.json", NULL), doc), 0, "w");
	ASSERT_EQ(mkdirs(tmp("docker/containers/" D64, NULL)), 0, "mkdir");
	snprintf(doc, sizeof(doc), "{\"ID\":\"" D64 "\",\"Name\":\"/dweb\","
		 "\"Config\":{\"Image\":\"bh-test/busybox:1\"}}");
	ASSERT_EQ(write_str(tmp("docker/containers/" D64 "/config.v2.json", NULL), doc), 0, "w");

	ASSERT_EQ(mkdirs(tmp("cg2/default/c1", NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("cg2/docker/" D64, NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("cg2/kubepods/besteffort/pod" UID "/" H64, NULL)), 0, "mkdir");
	roots[0] = runcmoby;	/* names nothing: the later roots fill in */
	roots[1] = task;
	roots[2] = dockerd;
	cfg.cgroup2_root = tmp("cg2", NULL);
	cfg.state_roots = roots;
	cfg.negative_ttl_ms = 50;
	cfg.settle_ms = 200;
	r = registry_new(&cfg);
	ASSERT_TRUE(r, "registry_new");

	ci = registry_lookup(r, ino_of(tmp("cg2/default/c1", NULL)));
	ASSERT_TRUE(!ci->host, "containerd /<namespace>/<id>: a container by its task bundle");
	ASSERT_STREQ(ci->id, "c1", "id");
	ASSERT_STREQ(ci->runtime, "containerd", "runtime: a containerd task directory");

	ci = registry_lookup(r, ino_of(tmp("cg2/kubepods/besteffort/pod" UID "/" H64, NULL)));
	ASSERT_TRUE(!ci->host, "k8s.io task");
	ASSERT_STREQ(ci->name, "nginx", "CRI annotations from the k8s.io namespace");
	ASSERT_STREQ(ci->runtime, "containerd", "runtime");

	ci = registry_lookup(r, ino_of(tmp("cg2/docker/" D64, NULL)));
	ASSERT_TRUE(!ci->host, "docker /docker/<id>");
	ASSERT_STREQ(ci->id, D64, "id");
	ASSERT_STREQ(ci->runtime, "docker", "runtime");
	ASSERT_STREQ(ci->name, "dweb", "name: config.v2.json fills what runc's state left empty");
	ASSERT_STREQ(ci->image, "bh-test/busybox:1", "image from config.v2.json");

	/* the runtime the content names beats one guessed from a root's path */
	{
		const char *roots2[] = { NULL, NULL };
		char pod[1024];

		snprintf(pod, sizeof(pod), "%s", tmp("crun-x", NULL));
		ASSERT_EQ(mkdirs(tmp("crun-x/" P64 "/userdata", NULL)), 0, "mkdir");
		ASSERT_EQ(write_str(tmp("crun-x/" P64 "/userdata/config.json", NULL), podman_config), 0, "w");
		ASSERT_EQ(mkdirs(tmp("cg2/plain/" P64, NULL)), 0, "mkdir");
		registry_free(r);
		roots2[0] = pod;
		cfg.state_roots = roots2;
		r = registry_new(&cfg);
		ASSERT_TRUE(r, "registry_new");
		snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1\",\"annotations\":{\"io.container.manager\":"
			 "\"libpod\"},\"linux\":{\"cgroupsPath\":\"/plain/" P64 "\"}}");
		ASSERT_EQ(write_str(tmp("crun-x/" P64 "/userdata/config.json", NULL), doc), 0, "w");
		ci = registry_lookup(r, ino_of(tmp("cg2/plain/" P64, NULL)));
		ASSERT_TRUE(!ci->host, "named by its bundle");
		ASSERT_STREQ(ci->runtime, "podman", "libpod annotation over the root's name");
	}
	registry_free(r);
}

/* ---- registry on a scratch tree (walk fallback) ------------------------- */

static void state_file(const char *root, const char *id, const char *cgpath,
		       const char *pod, const char *ns, const char *name)
{
	char dir[1024], path[1100], doc[2048];

	snprintf(dir, sizeof(dir), "%s/%s", root, id);
	mkdirs(dir);
	snprintf(doc, sizeof(doc),
		 "{\"id\":\"%s\",\"config\":{\"labels\":[\"io.kubernetes.pod.name=%s\","
		 "\"io.kubernetes.pod.namespace=%s\",\"io.kubernetes.cri.container-name=%s\"],"
		 "\"cgroups\":{\"path\":\"%s\"}},\"cgroup_paths\":{}}", id, pod, ns, name, cgpath);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	write_str(path, doc);
}

static void test_registry_tree(void)
{
	const char *roots[] = { NULL, NULL };
	struct registry_config cfg = { 0 };
	const struct container_info *ci;
	struct registry *r;
	char state_root[1024];
	uint64_t id_ct, id_host, id_pending, id_named, id_sub, id_pod;

	ASSERT_EQ(mkdirs(tmp("cg/t/kubepods/burstable/pod" UID "/ct-a/sub", NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("cg/t/kubepods/burstable/pod" UID "/ct-pending", NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("cg/system.slice/ssh.service", NULL)), 0, "mkdir");
	ASSERT_EQ(mkdirs(tmp("cg/plainct", NULL)), 0, "mkdir");
	snprintf(state_root, sizeof(state_root), "%s", tmp("state", NULL));	/* tmp() rotates */
	roots[0] = state_root;
	state_file(roots[0], "ct-a", "/t/kubepods/burstable/pod" UID "/ct-a", "web", "shop", "app");
	state_file(roots[0], "plainct", "/plainct", "p2", "n2", "c2");

	id_ct = ino_of(tmp("cg/t/kubepods/burstable/pod" UID "/ct-a", NULL));
	id_sub = ino_of(tmp("cg/t/kubepods/burstable/pod" UID "/ct-a/sub", NULL));
	id_pending = ino_of(tmp("cg/t/kubepods/burstable/pod" UID "/ct-pending", NULL));
	id_pod = ino_of(tmp("cg/t/kubepods/burstable/pod" UID, NULL));
	id_host = ino_of(tmp("cg/system.slice/ssh.service", NULL));
	id_named = ino_of(tmp("cg/plainct", NULL));

	cfg.cgroup2_root = tmp("cg", NULL);
	cfg.state_roots = roots;
	cfg.negative_ttl_ms = 50;
	cfg.settle_ms = 200;
	r = registry_new(&cfg);
	ASSERT_TRUE(r, "registry_new on a plain directory");
	ASSERT_TRUE(!registry_uses_handles(r), "not kernfs: tree walks");

	ci = registry_lookup(r, id_ct);
	ASSERT_TRUE(!ci->host, "kubepods container is not host");
	ASSERT_STREQ(ci->id, "ct-a", "id from the path leaf");
	ASSERT_STREQ(ci->pod, "web", "pod");
	ASSERT_STREQ(ci->ns, "shop", "namespace");
	ASSERT_STREQ(ci->name, "app", "name");
	ASSERT_STREQ(ci->pod_uid, UID, "pod uid from the path");
	ASSERT_STREQ(ci->qos, "burstable", "qos");
	ASSERT_STREQ(ci->runtime, "runc", "runtime from the state format");
	ASSERT_STREQ(ci->cgroup_path, "/t/kubepods/burstable/pod" UID "/ct-a", "path");
	ASSERT_TRUE(ci->resolved, "final");

	ci = registry_lookup(r, id_sub);
	ASSERT_STREQ(ci->id, "ct-a", "sub-cgroup belongs to the container");
	ASSERT_STREQ(ci->name, "app", "sub-cgroup name");

	ci = registry_lookup(r, id_pod);
	ASSERT_TRUE(ci->host, "pod cgroup itself is not a container");
	ASSERT_STREQ(ci->pod_uid, UID, "pod uid kept");

	ci = registry_lookup(r, id_host);
	ASSERT_TRUE(ci->host, "ssh.service is host");
	ASSERT_STREQ(ci->cgroup_path, "/system.slice/ssh.service", "host path");
	ASSERT_STREQ(ci->id, "", "host has no id");

	/* no layout, but runc's state names the cgroup: a container */
	ci = registry_lookup(r, id_named);
	ASSERT_TRUE(!ci->host, "state-named cgroup is a container");
	ASSERT_STREQ(ci->id, "plainct", "id");
	ASSERT_STREQ(ci->pod, "p2", "pod");

	/* state not there yet: a container without names, asked again after the TTL */
	ci = registry_lookup(r, id_pending);
	ASSERT_TRUE(!ci->host, "pending is a container by layout");
	ASSERT_TRUE(!ci->resolved, "not final");
	ASSERT_STREQ(ci->name, "", "no name yet");
	state_file(roots[0], "ct-pending", "", "late-pod", "ns", "late");
	ci = registry_lookup(r, id_pending);
	ASSERT_STREQ(ci->name, "", "negative cache holds within the TTL");
	usleep(80 * 1000);
	ci = registry_lookup(r, id_pending);
	ASSERT_STREQ(ci->name, "late", "re-resolved after the TTL");
	ASSERT_STREQ(ci->pod, "late-pod", "pod after the TTL");
	ASSERT_TRUE(ci->resolved, "final now");

	/* a host-looking cgroup whose state appears within the settle time */
	ASSERT_EQ(mkdirs(tmp("cg/latect", NULL)), 0, "mkdir");
	ci = registry_lookup(r, ino_of(tmp("cg/latect", NULL)));
	ASSERT_TRUE(ci->host, "host before its state exists");
	state_file(roots[0], "latect", "/latect", "p3", "n3", "c3");
	usleep(80 * 1000);
	ci = registry_lookup(r, ino_of(tmp("cg/latect", NULL)));
	ASSERT_TRUE(!ci->host, "container once its state names it");
	ASSERT_STREQ(ci->name, "c3", "name");

	/* after the settle time a host answer is final */
	usleep(250 * 1000);
	ci = registry_lookup(r, id_host);
	ci = registry_lookup(r, id_host);
	ASSERT_TRUE(ci->resolved, "host settled");

	/* state that names another cgroup does not claim this one */
	ASSERT_EQ(mkdirs(tmp("cg/other/liar", NULL)), 0, "mkdir");
	state_file(roots[0], "liar", "/somewhere/else", "p", "n", "c");
	ci = registry_lookup(r, ino_of(tmp("cg/other/liar", NULL)));
	ASSERT_TRUE(ci->host, "state naming a different cgroup: still host");

	/* unknown id */
	ci = registry_lookup(r, 999999999999ull);
	ASSERT_TRUE(ci->host, "unknown id is host");
	ASSERT_STREQ(ci->cgroup_path, "", "unknown id has no path");
	ci = registry_lookup(r, 0);
	ASSERT_TRUE(ci->host, "id 0 is host");

	/* forget */
	{
		size_t before = registry_size(r);

		registry_forget(r, id_ct);
		ASSERT_EQ(registry_size(r), before - 1, "forget drops one entry");
		registry_forget(r, id_ct);
		ASSERT_EQ(registry_size(r), before - 1, "forget twice is harmless");
	}

	/* add_path: known path, no lookup by id */
	ci = registry_add_path(r, 4242, "/t/kubepods/burstable/pod" UID "/ct-a");
	ASSERT_STREQ(ci->name, "app", "add_path resolves from the given path");
	ASSERT_EQ(ci->cgroup_id, 4242, "add_path keeps the id");

	/* scan finds the container cgroups of the tree */
	{
		int n;

		registry_free(r);
		r = registry_new(&cfg);
		ASSERT_TRUE(r, "new");
		n = registry_scan(r);
		ASSERT_EQ(n, 3, "scan: ct-a, ct-a/sub, ct-pending");
		ASSERT_EQ(registry_size(r), 3, "three entries");
		ci = registry_lookup(r, id_sub);
		ASSERT_STREQ(ci->name, "app", "scanned entry");
	}
	registry_free(r);
}

static void test_registry_lru(void)
{
	struct registry_config cfg = { 0 };
	const char *roots[] = { NULL };
	struct registry_stats st;
	struct registry *r;
	uint64_t id;

	cfg.cgroup2_root = tmpdir;
	cfg.state_roots = roots;
	cfg.max_entries = 8;
	r = registry_new(&cfg);
	ASSERT_TRUE(r, "new");
	for (id = 1; id <= 1000; id++)
		registry_add_path(r, id, "/kubepods/podx/ct");
	ASSERT_EQ(registry_size(r), 8, "bounded to max_entries");
	registry_get_stats(r, &st);
	ASSERT_EQ(st.evictions, 992, "evictions counted");
	/* the most recent survive, the oldest went */
	registry_add_path(r, 995, "/kubepods/podx/ct");	/* touch */
	registry_add_path(r, 2000, "/kubepods/podx/ct");
	registry_get_stats(r, &st);
	ASSERT_EQ(st.evictions, 993, "one more eviction");
	registry_forget(r, 995);
	ASSERT_EQ(registry_size(r), 7, "995 was still there (touched)");
	registry_forget(r, 993);
	ASSERT_EQ(registry_size(r), 7, "993 was the least recent, evicted");
	registry_free(r);
}

/* ---- registry on the real cgroup2 mount --------------------------------- */

static void test_registry_kernfs(void)
{
	struct registry_config cfg = { 0 };
	const char *roots[] = { NULL, NULL };
	const struct container_info *ci;
	char top[256], leaf[512], state_root[1024];
	struct statfs sfs;
	struct registry *r;
	uint64_t id;
	const char *mnt = "/sys/fs/cgroup/unified";

	if (statfs(mnt, &sfs) || sfs.f_type != 0x63677270) {
		mnt = "/sys/fs/cgroup";
		if (statfs(mnt, &sfs) || sfs.f_type != 0x63677270) {
			printf("    (skipped: no cgroup2 mount)\n");
			return;
		}
	}
	if (geteuid() != 0) {
		printf("    (skipped: not root)\n");
		return;
	}
	snprintf(top, sizeof(top), "%s/bulkhead-test-unit-%d", mnt, getpid());
	snprintf(leaf, sizeof(leaf), "%s/kubepods/pod%s/kct1", top, UID);
	ASSERT_EQ(mkdirs(leaf), 0, "mkdir test cgroups");
	id = ino_of(leaf);
	snprintf(state_root, sizeof(state_root), "%s", tmp("kstate", NULL));
	roots[0] = state_root;
	state_file(roots[0], "kct1", "", "kp", "kn", "kc");

	cfg.cgroup2_root = mnt;
	cfg.state_roots = roots;
	r = registry_new(&cfg);
	if (!r)
		TEST_FAIL("registry_new(%s)", mnt);
	if (r && !registry_uses_handles(r))
		TEST_FAIL("kernfs file handles do not work on %s", mnt);
	if (r && !test_failed_now) {
		char want[512];
		struct registry_stats st;

		snprintf(want, sizeof(want), "/bulkhead-test-unit-%d/kubepods/pod%s/kct1", getpid(), UID);
		ci = registry_lookup(r, id);
		if (strcmp(ci->cgroup_path, want))
			TEST_FAIL("path: expected %s, got %s", want, ci->cgroup_path);
		if (ci->host || strcmp(ci->name, "kc") || strcmp(ci->pod, "kp"))
			TEST_FAIL("container: host=%d name=%s pod=%s", ci->host, ci->name, ci->pod);
		ci = registry_lookup(r, 1);
		if (strcmp(ci->cgroup_path, "/") || !ci->host)
			TEST_FAIL("root cgroup: path %s host %d", ci->cgroup_path, ci->host);
		registry_get_stats(r, &st);
		if (st.handle_resolves != 2 || st.walk_resolves != 0)
			TEST_FAIL("expected 2 handle resolves, 0 walks: %llu %llu",
				  (unsigned long long)st.handle_resolves,
				  (unsigned long long)st.walk_resolves);
	}
	/* removed cgroup: ESTALE, a final host answer */
	rmdir(leaf);
	if (r) {
		char buf[512];

		if (registry_cgroup_path(r, id, buf, sizeof(buf)) != -ESTALE)
			TEST_FAIL("removed cgroup: expected -ESTALE");
		registry_forget(r, id);
		ci = registry_lookup(r, id);
		if (!ci->host || !ci->resolved || ci->cgroup_path[0])
			TEST_FAIL("removed cgroup: host=%d resolved=%d path=%s", ci->host,
				  ci->resolved, ci->cgroup_path);
		registry_free(r);
	}
	snprintf(leaf, sizeof(leaf), "%s/kubepods/pod%s", top, UID);
	rmdir(leaf);
	snprintf(leaf, sizeof(leaf), "%s/kubepods", top);
	rmdir(leaf);
	if (rmdir(top))
		TEST_FAIL("could not remove %s", top);
}

int main(void)
{
	char cmd[300];
	int ret;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bulkhead-test-registry-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_oci_runc_state);
	RUN(test_oci_containerd_config);
	RUN(test_oci_state_output_and_priority);
	RUN(test_oci_hostile_docs);
	RUN(test_oci_wrong_types);
	RUN(test_oci_values);
	RUN(test_oci_deep_and_big);
	RUN(test_oci_many_labels);
	RUN(test_oci_mutations);
	RUN(test_oci_files);
	RUN(test_oci_docker_config);
	RUN(test_oci_podman);
	RUN(test_oci_runtime_dirs);
	RUN(test_registry_runtimes);
	RUN(test_registry_tree);
	RUN(test_registry_lru);
	RUN(test_registry_kernfs);
	ret = test_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return ret;
}
