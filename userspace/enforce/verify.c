// SPDX-License-Identifier: GPL-2.0
/*
 * The engine of bulkhead verify (front: userspace/cli/cmd_verify.c): run each enabled escape protection's technique for real in
 * a throwaway container on this node and say what happened:
 *
 *	technique -> refused / killed / n/a / NOT PROTECTED
 *
 * The container is started by crun or runc (whichever is installed) on a tiny
 * root file system made here: the static runner built into this binary
 * (userspace/verify/helper.c) and empty mount points; no image is pulled. It is
 * privileged (every capability, every device, /sys and the cgroups writable)
 * and, for the techniques that aim at host processes, shares the host's pid
 * namespace: the strongest position a pod can be given. Nothing on the host is
 * changed (host files are opened, never written; see helper.c).
 *
 * "refused": the call failed with EPERM and the escape guard counted a
 * refusal (bh_guard_stats, pinned); "killed": the runner died of SIGKILL (the
 * syscall-tracepoint fallback); "NOT PROTECTED": the call went through. Exit
 * status 1 if an enabled protection is NOT PROTECTED.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include "abi/enforce.h"
#include "abi/guard.h"
#include "enforce/verify.h"
#include "policy/policy.h"

extern const char bh_verify_helper_start[], bh_verify_helper_end[];

enum { NEED_HOSTPID = 1, NEED_SOCK = 2, NEED_HANDLE = 4, NEED_CGV1 = 8, NEED_PINS = 16,
       NEED_AGENT = 32, NEED_SLEEPER = 64 };

static const struct technique {
	const char *name;	/* the runner's technique */
	int bit;		/* enum policy_escape_bit, -1: self-protection (always) */
	unsigned need;
	const char *what;
} techniques[] = {
	{ "core_pattern", POLICY_ESC_HOST_PATHS, 0, "write /proc/sys/kernel/core_pattern" },
	{ "modprobe_path", POLICY_ESC_HOST_PATHS, 0, "write /proc/sys/kernel/modprobe" },
	{ "sysrq_trigger", POLICY_ESC_HOST_PATHS, 0, "write /proc/sysrq-trigger" },
	{ "uevent_helper", POLICY_ESC_HOST_PATHS, 0, "write /sys/kernel/uevent_helper" },
	{ "kcore", POLICY_ESC_HOST_PATHS, 0, "read /proc/kcore" },
	{ "dev_mem", POLICY_ESC_DEVICES, 0, "read /dev/mem (mknod 1:1)" },
	{ "block_device", POLICY_ESC_DEVICES, 0, "read a host block device (mknod)" },
	{ "release_agent", POLICY_ESC_CGROUP, NEED_CGV1, "write a cgroup v1 release_agent" },
	{ "mount_cgroup_v1", POLICY_ESC_MOUNT, 0, "mount a cgroup v1 hierarchy" },
	{ "mount_proc", POLICY_ESC_MOUNT, 0, "mount proc" },
	{ "mount_sysfs", POLICY_ESC_MOUNT, 0, "mount sysfs" },
	{ "mount_bpffs", POLICY_ESC_MOUNT, 0, "mount bpffs" },
	{ "mount_debugfs", POLICY_ESC_MOUNT, 0, "mount debugfs" },
	{ "fsconfig_proc", POLICY_ESC_MOUNT, 0, "fsopen/fsconfig a proc superblock" },
	{ "move_mount_proc", POLICY_ESC_MOUNT, 0, "open_tree + move_mount of /proc" },
	{ "finit_module", POLICY_ESC_KERNEL_MODULES, 0, "finit_module" },
	{ "init_module", POLICY_ESC_KERNEL_MODULES, 0, "init_module" },
	{ "bpf", POLICY_ESC_BPF, 0, "bpf(BPF_MAP_CREATE)" },
	{ "ptrace_host", POLICY_ESC_PTRACE, NEED_HOSTPID | NEED_SLEEPER, "ptrace a host process" },
	{ "process_vm_host", POLICY_ESC_PTRACE, NEED_HOSTPID | NEED_SLEEPER, "process_vm_readv a host process" },
	{ "setns_host", POLICY_ESC_NAMESPACES, NEED_HOSTPID, "setns into /proc/1/ns/mnt" },
	{ "setns_pidfd", POLICY_ESC_NAMESPACES, NEED_HOSTPID, "setns(pidfd_open(1))" },
	{ "userns", POLICY_ESC_USER_NAMESPACES, 0, "unshare(CLONE_NEWUSER)" },
	{ "runtime_socket", POLICY_ESC_RUNTIME_SOCKETS, NEED_SOCK, "connect to containerd.sock" },
	{ "open_by_handle", POLICY_ESC_HOST_PATHS, NEED_HANDLE, "open_by_handle_at outside the mount" },
	{ "memfd_exec", POLICY_ESC_FILELESS_EXEC, 0, "exec from a memfd" },
	{ "kill_agent", -1, NEED_HOSTPID | NEED_AGENT, "kill -9 the agent" },
	{ "ptrace_agent", -1, NEED_HOSTPID | NEED_AGENT, "ptrace the agent" },
	{ "unpin", -1, NEED_PINS, "unlink a pin in the pin directory" },
	{ "cgroup_escape", -1, NEED_HOSTPID, "move itself to the root cgroup" },
};
#define NTECH (sizeof(techniques) / sizeof(techniques[0]))

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const char *p = data;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

/* A child of an agent's thread (its signals blocked for the signalfd): the runtime's own again. */
static void unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* crun first, except on a hybrid cgroup layout (cgroup2 not at /sys/fs/cgroup), which it refuses. */
static const char *find_runtime(const char *want, bool hybrid)
{
	static char buf[PATH_MAX];
	const char *names[] = { hybrid ? "runc" : "crun", hybrid ? "crun" : "runc", NULL };
	const char *path = getenv("PATH");

	if (want)
		return want;
	for (int i = 0; names[i]; i++) {
		char tmp[4096];
		char *save = NULL, *dir;

		snprintf(tmp, sizeof(tmp), "%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
		for (dir = strtok_r(tmp, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			snprintf(buf, sizeof(buf), "%s/%s", dir, names[i]);
			if (!access(buf, X_OK))
				return buf;
		}
	}
	return NULL;
}

/* The cgroup v2 directory whose inode is id (the guard's container root), below root. */
static int find_cgroup(const char *dir, uint64_t id, int depth, char *out, size_t len)
{
	struct stat st;
	char sub[PATH_MAX];
	FILE *f;

	if (!stat(dir, &st) && st.st_ino == id) {
		snprintf(out, len, "%s", dir);
		return 0;
	}
	if (depth > 4)
		return -1;
	snprintf(sub, sizeof(sub), "find '%s' -mindepth 1 -maxdepth 1 -type d 2>/dev/null", dir);
	f = popen(sub, "r");
	if (!f)
		return -1;
	while (fgets(sub, sizeof(sub), f)) {
		sub[strcspn(sub, "\n")] = 0;
		if (!find_cgroup(sub, id, depth + 1, out, len)) {
			pclose(f);
			return 0;
		}
	}
	pclose(f);
	return -1;
}

static uint64_t guard_refusals(int fd)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_CONF) + 64;
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	uint32_t k = BH_GS_REFUSED;

	if (fd < 0)
		return 0;
	memset(vals, 0, sizeof(vals));
	if (bpf_map_lookup_elem(fd, &k, vals))
		return 0;
	for (int c = 0; c < ncpu && c < 4096; c++)
		sum += vals[c];
	return sum;
}

struct vctx {
	const struct verify_opts *o;
	const char *rt;
	char work[PATH_MAX];
	char cgparent[PATH_MAX];	/* relative to the cgroup2 mount */
	char handle[256];
	int cgv1, sock_pid, sleeper;
	uint32_t agent;
	int stats_fd;
};

static void json_str_array(FILE *f, char *const *v)
{
	fputc('[', f);
	for (int i = 0; v[i]; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", v[i]);
	fputc(']', f);
}

static int write_config(struct vctx *v, const struct technique *t, const char *bundle, const char *id,
			char *const *args)
{
	static const char *const caps = "\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_DAC_READ_SEARCH\","
		"\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETPCAP\","
		"\"CAP_LINUX_IMMUTABLE\",\"CAP_NET_BIND_SERVICE\",\"CAP_NET_BROADCAST\",\"CAP_NET_ADMIN\","
		"\"CAP_NET_RAW\",\"CAP_IPC_LOCK\",\"CAP_IPC_OWNER\",\"CAP_SYS_MODULE\",\"CAP_SYS_RAWIO\","
		"\"CAP_SYS_CHROOT\",\"CAP_SYS_PTRACE\",\"CAP_SYS_PACCT\",\"CAP_SYS_ADMIN\",\"CAP_SYS_BOOT\","
		"\"CAP_SYS_NICE\",\"CAP_SYS_TIME\",\"CAP_SYS_TTY_CONFIG\",\"CAP_MKNOD\",\"CAP_LEASE\","
		"\"CAP_AUDIT_WRITE\",\"CAP_AUDIT_CONTROL\",\"CAP_SETFCAP\",\"CAP_MAC_OVERRIDE\","
		"\"CAP_MAC_ADMIN\",\"CAP_SYSLOG\",\"CAP_WAKE_ALARM\",\"CAP_BLOCK_SUSPEND\",\"CAP_AUDIT_READ\","
		"\"CAP_PERFMON\",\"CAP_BPF\",\"CAP_CHECKPOINT_RESTORE\"";
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
		"\"args\":");
	json_str_array(f, args);
	fprintf(f, ",\"env\":[\"PATH=/\"],\"cwd\":\"/\",\"noNewPrivileges\":false,\"capabilities\":{"
		"\"bounding\":[%s],\"effective\":[%s],\"permitted\":[%s],\"inheritable\":[%s],"
		"\"ambient\":[%s]}},", caps, caps, caps, caps, caps);
	fprintf(f, "\"root\":{\"path\":\"%s/rootfs\",\"readonly\":false},\"hostname\":\"bh-verify\","
		"\"annotations\":{\"io.kubernetes.pod.name\":\"bulkhead-verify\","
		"\"io.kubernetes.pod.namespace\":\"bulkhead-verify\","
		"\"io.kubernetes.cri.container-name\":\"%s\"},", v->work, t->name);
	fprintf(f, "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
		"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
		"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
		"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
		"{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\"]}");
	if (t->need & NEED_SOCK)
		fprintf(f, ",{\"destination\":\"/mnt/sock\",\"type\":\"bind\",\"source\":\"%s/sock\",\"options\":[\"rbind\"]}", v->work);
	if (t->need & NEED_HANDLE)
		fprintf(f, ",{\"destination\":\"/mnt/inner\",\"type\":\"bind\",\"source\":\"%s/share/inner\",\"options\":[\"rbind\"]}", v->work);
	if (t->need & NEED_CGV1)
		fprintf(f, ",{\"destination\":\"/mnt/cgv1\",\"type\":\"bind\",\"source\":\"%s/cgv1\",\"options\":[\"rbind\"]}", v->work);
	if (t->need & NEED_PINS)
		fprintf(f, ",{\"destination\":\"/mnt/pins\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\"]}", v->o->pin_dir);
	fprintf(f, "],\"linux\":{\"cgroupsPath\":\"%s/bulkhead-verify-%s-%d\",", v->cgparent, id, getpid());
	fprintf(f, "\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]},\"namespaces\":["
		"{\"type\":\"mount\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}%s]}}\n",
		t->need & NEED_HOSTPID ? "" : ",{\"type\":\"pid\"}");
	return fclose(f);
}

/* Run one technique: its outcome. */
static enum verify_outcome run_one(struct vctx *v, const struct technique *t, char *detail, size_t dlen)
{
	char bundle[PATH_MAX], id[64], out[1024] = "", arg1[64] = "", *args[5] = { "/bh-verify", (char *)t->name };
	uint64_t before, after;
	int p[2], status = 0, n = 2;
	ssize_t r;
	pid_t pid;

	if ((t->need & NEED_AGENT) && !v->agent)
		return snprintf(detail, dlen, "no agent runs"), VERIFY_NA;
	if ((t->need & NEED_CGV1) && !v->cgv1)
		return snprintf(detail, dlen, "no cgroup v1 on this kernel"), VERIFY_NA;
	if (!strcmp(t->name, "kill_agent") || !strcmp(t->name, "ptrace_agent"))
		snprintf(arg1, sizeof(arg1), "%u", v->agent), args[n++] = arg1;
	else if (t->need & NEED_SLEEPER)
		snprintf(arg1, sizeof(arg1), "%d", v->sleeper), args[n++] = arg1;
	else if (!strcmp(t->name, "runtime_socket"))
		args[n++] = "/mnt/sock/containerd.sock";
	else if (!strcmp(t->name, "open_by_handle"))
		args[n++] = "/mnt/inner", args[n++] = v->handle;
	else if (!strcmp(t->name, "release_agent"))
		args[n++] = "/mnt/cgv1/release_agent";
	else if (!strcmp(t->name, "unpin"))
		args[n++] = "/mnt/pins/bh_verify_decoy";
	else if (!strcmp(t->name, "cgroup_escape"))
		args[n++] = "/proc/1/root/sys/fs/cgroup/cgroup.procs";
	args[n] = NULL;
	snprintf(id, sizeof(id), "%s", t->name);
	for (char *c = id; *c; c++)
		if (*c == '_')
			*c = '-';
	snprintf(bundle, sizeof(bundle), "%s/b-%s", v->work, id);
	mkdir(bundle, 0700);
	if (write_config(v, t, bundle, id, args))
		return snprintf(detail, dlen, "cannot write %s/config.json", bundle), VERIFY_ERROR;
	if (!strcmp(t->name, "unpin")) {
		char decoy[PATH_MAX];

		snprintf(decoy, sizeof(decoy), "%s/bh_verify_decoy", v->o->pin_dir);
		unlink(decoy);
		if (fork() == 0) {
			execl("/proc/self/exe", "bulkhead", "verify", "--helper", "pin", decoy, (char *)NULL);
			_exit(127);
		}
		wait(NULL);
	}
	before = guard_refusals(v->stats_fd);
	if (pipe(p))
		return snprintf(detail, dlen, "pipe: %s", strerror(errno)), VERIFY_ERROR;
	pid = fork();
	if (pid == 0) {
		char root[PATH_MAX + 16];

		snprintf(root, sizeof(root), "%s/state", v->work);
		unblock_signals();
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execl(v->rt, v->rt, "--root", root, "run", "--bundle", bundle, id, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	{
		size_t have = 0;

		while (have + 1 < sizeof(out) && (r = read(p[0], out + have, sizeof(out) - 1 - have)) > 0)
			have += (size_t)r;
		out[have] = 0;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	{
		char cmd[PATH_MAX * 2];

		snprintf(cmd, sizeof(cmd), "'%s' --root '%s/state' delete -f %s >/dev/null 2>&1", v->rt, v->work, id);
		if (system(cmd)) { /* gone already */ }
	}
	after = guard_refusals(v->stats_fd);
	out[strcspn(out, "\n")] = 0;
	snprintf(detail, dlen, "%s", out);
	if (WIFEXITED(status)) {
		switch (WEXITSTATUS(status)) {
		case 0:
			return VERIFY_NOT_PROTECTED;
		case 10:
			return after > before ? VERIFY_REFUSED : VERIFY_REFUSED_OTHER;
		case 12:
			return VERIFY_NA;
		case 137:
			return VERIFY_KILLED;
		default:
			if (!out[0])
				snprintf(detail, dlen, "the runtime failed (status %d)", WEXITSTATUS(status));
			return VERIFY_ERROR;
		}
	}
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? VERIFY_KILLED : VERIFY_ERROR;
}

const char *verify_outcome_name(enum verify_outcome o)
{
	switch (o) {
	case VERIFY_REFUSED: return "refused";
	case VERIFY_REFUSED_OTHER: return "refused (not by bulkhead)";
	case VERIFY_KILLED: return "killed";
	case VERIFY_NA: return "n/a";
	case VERIFY_ERROR: return "inconclusive";
	case VERIFY_NOT_PROTECTED: return "NOT PROTECTED";
	}
	return "?";
}

static void setup_fixtures(struct vctx *v)
{
	char path[PATH_MAX * 2], dir[PATH_MAX];
	pid_t p;

	snprintf(dir, sizeof(dir), "%s/sock", v->work);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/containerd.sock", dir);
	if ((p = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl("/proc/self/exe", "bulkhead", "verify", "--helper", "listen", path, (char *)NULL);
		_exit(127);
	}
	v->sock_pid = p;
	if ((p = fork()) == 0) {
		for (;;)
			pause();
	}
	v->sleeper = p;
	snprintf(dir, sizeof(dir), "%s/share", v->work);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/share/inner", v->work);
	mkdir(dir, 0700);
	*strrchr(dir, '/') = 0;
	{
		int pp[2];

		if (!pipe(pp) && (p = fork()) == 0) {
			dup2(pp[1], 1);
			execl("/proc/self/exe", "bulkhead", "verify", "--helper", "handle", dir, (char *)NULL);
			_exit(127);
		}
		close(pp[1]);
		if (read(pp[0], v->handle, sizeof(v->handle) - 1) > 0)
			v->handle[strcspn(v->handle, "\n")] = 0;
		close(pp[0]);
		waitpid(p, NULL, 0);
	}
	snprintf(dir, sizeof(dir), "%s/cgv1", v->work);
	mkdir(dir, 0700);
	v->cgv1 = !mount("cgroup", dir, "cgroup", 0, "none,name=bulkhead-verify");
	snprintf(dir, sizeof(dir), "%s/rootfs", v->work);
	mkdir(dir, 0755);
	for (const char *const *d = (const char *const[]){ "proc", "sys", "dev", "tmp", "mnt", "mnt/sock",
			"mnt/inner", "mnt/cgv1", "mnt/pins", NULL }; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *d);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s/bh-verify", dir);
	write_file(path, bh_verify_helper_start, (size_t)(bh_verify_helper_end - bh_verify_helper_start), 0755);
}

static void teardown(struct vctx *v)
{
	char cmd[PATH_MAX * 2];

	if (v->sock_pid > 0)
		kill(v->sock_pid, SIGKILL), waitpid(v->sock_pid, NULL, 0);
	if (v->sleeper > 0)
		kill(v->sleeper, SIGKILL), waitpid(v->sleeper, NULL, 0);
	if (v->cgv1) {
		snprintf(cmd, sizeof(cmd), "%s/cgv1", v->work);
		umount2(cmd, MNT_DETACH);
	}
	snprintf(cmd, sizeof(cmd), "%s/bh_verify_decoy", v->o->pin_dir);
	unlink(cmd);
	if (!v->o->keep) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", v->work);
		if (system(cmd)) { /* best effort */ }
	}
	if (v->stats_fd >= 0)
		close(v->stats_fd);
}

int verify_run(const struct verify_opts *o, struct verify_result *res, size_t max, size_t *n)
{
	struct vctx v = { .o = o, .stats_fd = -1, .sock_pid = -1, .sleeper = -1 };
	struct bh_guard_cfg cfg = { 0 };
	char path[PATH_MAX], cgroot[PATH_MAX] = "";
	uint32_t enabled = POLICY_ESC_DEFAULT, zero = 0;
	int fd, failed = 0;

	*n = 0;
	v.rt = find_runtime(o->runtime, strcmp(o->cgroup2, "/sys/fs/cgroup") != 0);
	if (!v.rt) {
		fprintf(stderr, "verify: neither crun nor runc is installed: no container to try in\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/bh_guard_cfg", o->pin_dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (!bpf_map_lookup_elem(fd, &zero, &cfg) && (cfg.flags & BH_GCF_VALID))
			enabled = cfg.default_esc;
		close(fd);
		snprintf(path, sizeof(path), "%s/bh_guard_stats", o->pin_dir);
		v.stats_fd = bpf_obj_get(path);
		v.agent = cfg.agent_tgid;
	} else {
		fprintf(stderr, "verify: no escape guard is pinned under %s (no agent with BPF LSM ran): "
			"every protection is tried as the NodeDefault's\n", o->pin_dir);
	}
	if (cfg.root_cgid && !find_cgroup(o->cgroup2, cfg.root_cgid, 0, cgroot, sizeof(cgroot)))
		snprintf(v.cgparent, sizeof(v.cgparent), "%s", cgroot + strlen(o->cgroup2));
	else if (o->parent && !strncmp(o->parent, o->cgroup2, strlen(o->cgroup2)))
		snprintf(v.cgparent, sizeof(v.cgparent), "%s", o->parent + strlen(o->cgroup2));
	snprintf(v.work, sizeof(v.work), "/run/bulkhead-verify.XXXXXX");
	if (!mkdtemp(v.work)) {
		fprintf(stderr, "verify: mkdtemp %s: %s\n", v.work, strerror(errno));
		return -1;
	}
	setup_fixtures(&v);
	for (size_t i = 0; i < NTECH && *n < max; i++) {
		const struct technique *t = &techniques[i];
		struct verify_result *r = &res[*n];

		if (o->only && strcmp(o->only, t->name))
			continue;
		if (t->bit >= 0 && !(enabled & (1u << t->bit)))
			continue;
		memset(r, 0, sizeof(*r));
		r->technique = t->name;
		r->what = t->what;
		r->outcome = run_one(&v, t, r->detail, sizeof(r->detail));
		if (r->outcome == VERIFY_NOT_PROTECTED)
			failed++;
		(*n)++;
	}
	teardown(&v);
	return failed;
}

/* The runner, written out (0755) at path: for `bulkhead verify --helper`. */
int verify_write_helper(const char *path)
{
	return write_file(path, bh_verify_helper_start,
			  (size_t)(bh_verify_helper_end - bh_verify_helper_start), 0755);
}
