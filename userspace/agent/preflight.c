// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "lib/kernel_fs.h"
#include "agent/preflight.h"

int preflight_root(char *err, size_t errlen)
{
	if (geteuid() == 0)
		return 0;
	snprintf(err, errlen, "must run as root: loading and attaching BPF programs needs "
		 "CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN (try: sudo bulkhead ...)");
	return -1;
}

int preflight_btf(const char *path, char *err, size_t errlen)
{
	const char *p = path ? path : "/sys/kernel/btf/vmlinux";

	if (access(p, R_OK) == 0)
		return 0;
	snprintf(err, errlen, "no kernel BTF at %s (%s): bulkhead's CO-RE programs need a kernel "
		 "built with CONFIG_DEBUG_INFO_BTF=y, or a BTF file for this kernel given with --btf",
		 p, strerror(errno));
	return -1;
}

int preflight_cgroup2(const char *override, const char **root, char *err, size_t errlen)
{
	struct statfs sf;

	if (!override) {
		*root = cgroup2_mount();
		if (*root)
			return 0;
		snprintf(err, errlen, "no cgroup v2 file system mounted at /sys/fs/cgroup or "
			 "/sys/fs/cgroup/unified: containers are identified by cgroup v2 id "
			 "(mount one: mount -t cgroup2 none /sys/fs/cgroup/unified, or pass --cgroup-root)");
		return -1;
	}
	if (statfs(override, &sf) != 0) {
		snprintf(err, errlen, "--cgroup-root %s: %s", override, strerror(errno));
		return -1;
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen, "--cgroup-root %s is not a cgroup v2 file system "
			 "(give a directory of a cgroup2 mount)", override);
		return -1;
	}
	*root = override;
	return 0;
}

int preflight_lock(const char *path, char *err, size_t errlen)
{
	char pid[32] = "";
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open lock file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "another bulkhead agent is already running (pid %s, lock %s): "
			 "stop it first, or give this one another --lock-file",
			 pid[0] ? pid : "unknown", path);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, n, 0) != n) {
		snprintf(err, errlen, "cannot write lock file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
