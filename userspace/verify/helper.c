// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead verify's technique runner: a small static program that bulkhead
 * builds into itself and runs as /bh-verify inside a throwaway container
 * (userspace/cli/cmd_verify.c). One technique per run:
 *
 *	/bh-verify TECHNIQUE [ARG...]
 *
 * prints one line, "TECHNIQUE ok|refused|error|n/a DETAIL", and exits 0 (the
 * call went through: NOT protected), 10 (EPERM/EACCES: refused), 11 (another
 * error), 12 (not applicable here). Nothing is ever changed on the host: a
 * host file is only opened (never written), a module buffer is garbage, a
 * ptrace is a SEIZE then DETACH of verify's own sleeper, a process_vm_readv
 * reads one byte. Also used by the guest tests (tests/guest/cases/escape_*.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#define FSCONFIG_SET_STRING_ 1
#define FSCONFIG_CMD_CREATE_ 6

static const char *tech;

static int done(int r, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int done(int r, int e, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (r >= 0) {
		printf("%s ok %s\n", tech, detail);
		return 0;
	}
	if (e == EPERM || e == EACCES) {
		printf("%s refused %s: %s\n", tech, detail, strerror(e));
		return 10;
	}
	printf("%s error %s: %s (errno %d)\n", tech, detail, strerror(e), e);
	return 11;
}

static int na(const char *why)
{
	printf("%s n/a %s\n", tech, why);
	return 12;
}

/* Open for writing (or reading), never write: the open is what is refused. */
static int t_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), e = errno;

	if (fd < 0 && e == ENOENT)
		return na(path);
	if (fd >= 0)
		close(fd);
	return done(fd, e, "open(%s, %s)", path, (flags & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "O_WRONLY");
}

static int t_mknod_open(const char *path, mode_t type, unsigned maj, unsigned min)
{
	unlink(path);
	if (mknod(path, type | 0600, makedev(maj, min)) && errno != EEXIST)
		return done(-1, errno, "mknod(%s %u:%u)", path, maj, min);
	{
		int fd = open(path, O_RDONLY | O_CLOEXEC), e = errno;

		if (fd >= 0)
			close(fd);
		unlink(path);
		return done(fd, e, "open(%s %u:%u, O_RDONLY)", path, maj, min);
	}
}

/* The first block device sysfs lists (a host disk): MAJ:MIN. */
static int first_blockdev(unsigned *maj, unsigned *min)
{
	FILE *f = fopen("/proc/partitions", "r");
	char line[256];
	unsigned long blocks;
	char name[64];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %u %u %lu %63s", maj, min, &blocks, name) == 4) {
			fclose(f);
			return 0;
		}
	fclose(f);
	return -1;
}

static int t_mount(const char *type, const char *opts)
{
	int r;

	mkdir("/tmp/bh-mnt", 0700);
	r = mount(type, "/tmp/bh-mnt", type, 0, opts);
	if (!r) {
		umount2("/tmp/bh-mnt", MNT_DETACH);
		return done(0, 0, "mount -t %s", type);
	}
	return done(r, errno, "mount -t %s%s%s", type, opts ? " -o " : "", opts ? opts : "");
}

static int t_fsconfig(const char *type, const char *key, const char *val)
{
	int fs = syscall(SYS_fsopen, type, 0), r, e;

	if (fs < 0)
		return done(fs, errno, "fsopen(%s)", type);
	if (!strcmp(type, "cgroup"))
		syscall(SYS_fsconfig, fs, 0 /* FSCONFIG_SET_FLAG */, "none", NULL, 0);
	if (key && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING_, key, val, 0) < 0) {
		e = errno;
		close(fs);
		return done(-1, e, "fsconfig(%s=%s)", key, val);
	}
	r = syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE_, NULL, NULL, 0);
	e = errno;
	close(fs);
	return done(r, e, "fsopen(%s) + fsconfig(FSCONFIG_CMD_CREATE)", type);
}

static int t_move_mount(const char *src)
{
	int t = syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | O_CLOEXEC), r, e;

	if (t < 0)
		return done(t, errno, "open_tree(%s, OPEN_TREE_CLONE)", src);
	mkdir("/tmp/bh-mnt", 0700);
	r = syscall(SYS_move_mount, t, "", AT_FDCWD, "/tmp/bh-mnt", MOVE_MOUNT_F_EMPTY_PATH);
	e = errno;
	close(t);
	if (!r)
		umount2("/tmp/bh-mnt", MNT_DETACH);
	return done(r, e, "open_tree(%s) + move_mount", src);
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int t_bpf_map(void)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd >= 0)
		close(fd);
	return done(fd, errno, "bpf(BPF_MAP_CREATE)");
}

/* An id of one of bulkhead's objects by its name prefix "bh_" (bpf() must be allowed). */
static int t_bpf_get_id(int map)
{
	union bpf_attr a;
	uint32_t id = 0;

	for (;;) {
		struct bpf_map_info mi;
		struct bpf_prog_info pi;
		int fd;

		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (sys_bpf(map ? BPF_MAP_GET_NEXT_ID : BPF_PROG_GET_NEXT_ID, &a))
			return errno == ENOENT ? na("no bulkhead object found") :
			       done(-1, errno, "bpf(GET_NEXT_ID)");
		id = a.next_id;
		memset(&a, 0, sizeof(a));
		if (map)
			a.map_id = id;
		else
			a.prog_id = id;
		fd = sys_bpf(map ? BPF_MAP_GET_FD_BY_ID : BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0) {
			if (errno == EPERM || errno == EACCES)
				return done(-1, errno, "bpf(%s_GET_FD_BY_ID, %u)", map ? "MAP" : "PROG", id);
			continue;
		}
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = fd;
		a.info.info_len = map ? sizeof(mi) : sizeof(pi);
		a.info.info = map ? (uint64_t)(uintptr_t)&mi : (uint64_t)(uintptr_t)&pi;
		memset(&mi, 0, sizeof(mi));
		memset(&pi, 0, sizeof(pi));
		sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
		close(fd);
		if (!strncmp(map ? mi.name : pi.name, "bh_", 3))
			return done(0, 0, "bpf(%s_GET_FD_BY_ID, %u: %s)", map ? "MAP" : "PROG", id,
				    map ? mi.name : pi.name);
	}
}

static int t_link_detach_by_id(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	if (sys_bpf(BPF_LINK_GET_NEXT_ID, &a))
		return errno == ENOENT ? na("no link") : done(-1, errno, "bpf(LINK_GET_NEXT_ID)");
	{
		uint32_t id = a.next_id;
		int fd;

		memset(&a, 0, sizeof(a));
		a.link_id = id;
		fd = sys_bpf(BPF_LINK_GET_FD_BY_ID, &a);
		if (fd >= 0)
			close(fd);	/* never detached: only whether the fd is handed out */
		return done(fd, errno, "bpf(LINK_GET_FD_BY_ID, %u)", id);
	}
}

/* path: a decoy pinned by verify in the pin directory (gone if not refused: harmless). */
static int t_unlink_pin(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return na(path);
	int r = unlink(path);

	return done(r, errno, "unlink(%s)", path);
}

static int t_ptrace(pid_t pid)
{
	long r = ptrace(PTRACE_SEIZE, pid, 0, 0);
	int e = errno;

	if (!r)
		ptrace(PTRACE_DETACH, pid, 0, 0);
	return done(r, e, "ptrace(PTRACE_SEIZE, %d)", pid);
}

static int t_process_vm(pid_t pid, unsigned long addr)
{
	char b;
	struct iovec l = { &b, 1 }, rv = { (void *)addr, 1 };
	long r = process_vm_readv(pid, &l, 1, &rv, 1, 0);

	if (r < 0 && errno == EFAULT)
		r = 0;	/* the call was allowed; the address was not mapped */
	return done(r, errno, "process_vm_readv(%d)", pid);
}

static int t_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	close(s);
	if (r && e == ENOENT)
		return na(path);
	return done(r, e, "connect(%s)", path);
}

static int t_setns_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = errno, r;

	if (fd < 0)
		return done(fd, e, "open(%s)", path);
	r = setns(fd, 0);
	e = errno;
	close(fd);
	return done(r, e, "setns(open(%s))", path);
}

static int t_setns_pidfd(pid_t pid)
{
	int fd = syscall(SYS_pidfd_open, pid, 0), r, e;

	if (fd < 0)
		return done(fd, errno, "pidfd_open(%d)", pid);
	r = setns(fd, CLONE_NEWNS);
	e = errno;
	close(fd);
	return done(r, e, "setns(pidfd_open(%d), CLONE_NEWNS)", pid);
}

/* hex: a file handle "TYPE:HEXBYTES" of a directory outside the mount at mnt. */
static int t_open_by_handle(const char *mnt, const char *hex)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int type, mfd, fd, e;
	unsigned n = 0;
	const char *p;

	memset(&h, 0, sizeof(h));
	if (sscanf(hex, "%d:", &type) != 1 || !(p = strchr(hex, ':')))
		return na("bad handle argument");
	for (p++; p[0] && p[1] && n < MAX_HANDLE_SZ; p += 2) {
		unsigned v;

		sscanf(p, "%2x", &v);
		h.fh.f_handle[n++] = (unsigned char)v;
	}
	h.fh.handle_type = type;
	h.fh.handle_bytes = n;
	mfd = open(mnt, O_RDONLY | O_CLOEXEC);
	if (mfd < 0)
		return done(-1, errno, "open(%s)", mnt);
	fd = syscall(SYS_open_by_handle_at, mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		close(fd);
	close(mfd);
	return done(fd, e, "open_by_handle_at(%s, a handle outside it)", mnt);
}

static int t_memfd_exec(void)
{
	char buf[65536], *argv[] = { "bh-verify", "true", NULL }, *envp[] = { NULL };
	int mfd = syscall(SYS_memfd_create, "bh-verify", 0), in, e;
	ssize_t n;

	if (mfd < 0)
		return done(-1, errno, "memfd_create");
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return done(-1, errno, "open(/proc/self/exe)");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return done(-1, errno, "write(memfd)");
	close(in);
	syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
	e = errno;
	return done(-1, e, "execveat(memfd)");
}

static int t_cgroup_move(const char *procs)
{
	char pid[32];
	int fd = open(procs, O_WRONLY | O_CLOEXEC), e = errno, r;

	if (fd < 0)
		return done(fd, e, "open(%s, O_WRONLY)", procs);
	/* Only opened when refused; when not, put the pid back where it was is not possible: a
	 * throwaway container's process, it exits right away. */
	snprintf(pid, sizeof(pid), "%d", getpid());
	r = write(fd, pid, strlen(pid)) < 0 ? -1 : 0;
	e = errno;
	close(fd);
	return done(r, e, "write(%s, self)", procs);
}

/* ---- set-up modes, run by verify (or a test) on the host ----------------------------- */

/* listen PATH: a unix stream listener (a stand-in runtime socket) until killed. */
static int m_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16))
		return perror("bh-verify listen"), 1;
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

/* handle PATH: its file handle as TYPE:HEX (for open_by_handle). */
static int m_handle(const char *path)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mnt;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0))
		return perror("bh-verify handle"), 1;
	printf("%d:", h.fh.handle_type);
	for (unsigned i = 0; i < h.fh.handle_bytes; i++)
		printf("%02x", h.fh.f_handle[i]);
	printf("\n");
	return 0;
}

/* pin PATH: a one-entry array map pinned there (a decoy to unpin). */
static int m_pin(const char *path)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return perror("bh-verify pin: map"), 1;
	memset(&a, 0, sizeof(a));
	a.pathname = (uint64_t)(uintptr_t)path;
	a.bpf_fd = fd;
	if (sys_bpf(BPF_OBJ_PIN, &a))
		return perror("bh-verify pin"), 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bh-verify TECHNIQUE [ARG...]\n");
		return 2;
	}
	tech = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
#define IS(n) (!strcmp(tech, n))
#define ARG(i, def) (argc > (i) + 1 ? argv[(i) + 1] : (def))
	if (IS("true"))
		return 0;
	if (IS("listen") && argc > 2)
		return m_listen(argv[2]);
	if (IS("handle") && argc > 2)
		return m_handle(argv[2]);
	if (IS("pin") && argc > 2)
		return m_pin(argv[2]);
	if (IS("release_agent"))
		return t_open(ARG(1, "/sys/fs/cgroup/release_agent"), O_WRONLY);
	if (IS("notify_on_release"))
		return t_open(ARG(1, "/sys/fs/cgroup/notify_on_release"), O_WRONLY);
	if (IS("core_pattern"))
		return t_open("/proc/sys/kernel/core_pattern", O_WRONLY);
	if (IS("modprobe_path"))
		return t_open("/proc/sys/kernel/modprobe", O_WRONLY);
	if (IS("uevent_helper"))
		return t_open("/sys/kernel/uevent_helper", O_WRONLY);
	if (IS("sysrq_trigger"))
		return t_open("/proc/sysrq-trigger", O_WRONLY);
	if (IS("kcore"))
		return t_open("/proc/kcore", O_RDONLY);
	if (IS("dev_mem"))
		return t_mknod_open("/dev/bh-verify-mem", S_IFCHR, 1, 1);
	if (IS("block_device")) {
		unsigned maj = 8, min = 0;

		if (argc > 2)
			sscanf(argv[2], "%u:%u", &maj, &min);
		else
			first_blockdev(&maj, &min);
		return t_mknod_open("/dev/bh-verify-blk", S_IFBLK, maj, min);
	}
	if (IS("mount_cgroup_v1"))
		return t_mount("cgroup", "none,name=bh-verify");
	if (IS("mount_proc"))
		return t_mount("proc", NULL);
	if (IS("mount_sysfs"))
		return t_mount("sysfs", NULL);
	if (IS("mount_bpffs"))
		return t_mount("bpf", NULL);
	if (IS("mount_debugfs"))
		return t_mount("debugfs", NULL);
	if (IS("fsconfig_cgroup_v1"))
		return t_fsconfig("cgroup", "name", "bh-verify");
	if (IS("fsconfig_proc"))
		return t_fsconfig("proc", NULL, NULL);
	if (IS("move_mount_proc"))
		return t_move_mount("/proc");
	if (IS("mount_tmpfs"))
		return t_mount("tmpfs", NULL);	/* benign: must be allowed */
	if (IS("finit_module")) {
		int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), r, e;

		r = syscall(SYS_finit_module, fd, "", 0);
		e = errno;
		close(fd);
		return done(r == 0 || e == ENOEXEC || e == EEXIST ? 0 : -1, e, "finit_module(an ELF that is no module)");
	}
	if (IS("init_module")) {
		static char junk[4096];
		int r = syscall(SYS_init_module, junk, sizeof(junk), ""), e = errno;

		return done(r == 0 || e == ENOEXEC || e == EINVAL ? 0 : -1, e, "init_module(garbage)");
	}
	if (IS("module_request")) {
		int s = socket(12 /* AF_DECnet: asks for net-pf-12 */, SOCK_STREAM, 0), e = errno;

		if (s >= 0)
			close(s);
		return done(0, e, "socket(AF_DECnet) (the module request is refused quietly)");
	}
	if (IS("bpf"))
		return t_bpf_map();
	if (IS("bpf_map_by_id"))
		return t_bpf_get_id(1);
	if (IS("bpf_prog_by_id"))
		return t_bpf_get_id(0);
	if (IS("bpf_link_by_id"))
		return t_link_detach_by_id();
	if (IS("unpin"))
		return t_unlink_pin(ARG(1, "/sys/fs/bpf/bulkhead/bh_cgroup_policy"));
	if (IS("kill_agent")) {
		pid_t p = atoi(ARG(1, "0"));

		if (p <= 0)
			return na("no agent pid");
		int r = kill(p, SIGKILL);

		return done(r, errno, "kill(%d, SIGKILL)", p);
	}
	if (IS("ptrace_agent") || IS("ptrace_host"))
		return t_ptrace(atoi(ARG(1, "1")));
	if (IS("process_vm_host"))
		return t_process_vm(atoi(ARG(1, "1")), strtoul(ARG(2, "4096"), NULL, 0));
	if (IS("runtime_socket"))
		return t_unix(ARG(1, "/run/containerd/containerd.sock"));
	if (IS("setns_host"))
		return t_setns_path(ARG(1, "/proc/1/ns/mnt"));
	if (IS("setns_pidfd"))
		return t_setns_pidfd(atoi(ARG(1, "1")));
	if (IS("userns")) {
		int r = unshare(CLONE_NEWUSER);

		return done(r, errno, "unshare(CLONE_NEWUSER)");
	}
	if (IS("open_by_handle"))
		return t_open_by_handle(ARG(1, "/"), ARG(2, ""));
	if (IS("memfd_exec"))
		return t_memfd_exec();
	if (IS("cgroup_escape"))
		return t_cgroup_move(ARG(1, "/sys/fs/cgroup/cgroup.procs"));
	if (IS("suid_exec")) {
		char *av[] = { (char *)ARG(1, "/bh-verify-suid"), "true", NULL }, *ev[] = { NULL };

		execve(av[0], av, ev);
		return done(-1, errno, "execve(%s, set-user-id root)", av[0]);
	}
	fprintf(stderr, "bh-verify: unknown technique %s\n", tech);
	return 2;
}
