// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/kernel_fs.h"

int fs_mounted(const char *path, const char *fstype)
{
	struct mntent *m;
	FILE *f;
	int found = 0;

	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return 0;
	while (!found && (m = getmntent(f)))
		found = !strcmp(m->mnt_dir, path) && !strcmp(m->mnt_type, fstype);
	endmntent(f);
	return found;
}

const char *cgroup2_mount(void)
{
	static const char *const candidates[] = {
		"/sys/fs/cgroup/unified", "/sys/fs/cgroup",
	};

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (fs_mounted(candidates[i], "cgroup2"))
			return candidates[i];
	return NULL;
}

static int ensure(const char *path, const char *fstype, char *err, size_t errlen)
{
	if (fs_mounted(path, fstype))
		return 0;
	mkdir(path, 0755);
	if (mount(fstype, path, fstype, 0, NULL) == 0)
		return 0;
	snprintf(err, errlen, "cannot mount %s on %s: %s (mount it: mount -t %s %s %s)",
		 fstype, path, strerror(errno), fstype, fstype, path);
	return -1;
}

int kernel_fs_ensure(char *err, size_t errlen)
{
	if (ensure(BH_BPFFS, "bpf", err, errlen) ||
	    ensure(BH_TRACEFS, "tracefs", err, errlen))
		return -1;
	/* securityfs only tells which LSMs are active: useful, not required. */
	ensure(BH_SECURITYFS, "securityfs", err, errlen);
	err[0] = '\0';
	return 0;
}

int read_small_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (!len)
		return -1;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}
