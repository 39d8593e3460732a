// SPDX-License-Identifier: GPL-2.0
/* The escape guard's loader: BPF LSM refusals, pinned links, configuration. See guard.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/guard.h"
#include "guard.skel.h"
#include "lib/log.h"
#include "policy/policy.h"

_Static_assert((int)BH_EP_MOUNT == (int)POLICY_ESC_MOUNT && (int)BH_EP_PTRACE == (int)POLICY_ESC_PTRACE &&
	       (int)BH_EP_KERNEL_MODULES == (int)POLICY_ESC_KERNEL_MODULES &&
	       (int)BH_EP_BPF == (int)POLICY_ESC_BPF && (int)BH_EP_NAMESPACES == (int)POLICY_ESC_NAMESPACES &&
	       (int)BH_EP_HOST_PATHS == (int)POLICY_ESC_HOST_PATHS &&
	       (int)BH_EP_DEVICES == (int)POLICY_ESC_DEVICES && (int)BH_EP_CGROUP == (int)POLICY_ESC_CGROUP &&
	       (int)BH_EP_RUNTIME_SOCKETS == (int)POLICY_ESC_RUNTIME_SOCKETS &&
	       (int)BH_EP_FILELESS_EXEC == (int)POLICY_ESC_FILELESS_EXEC &&
	       (int)BH_EP_USER_NAMESPACES == (int)POLICY_ESC_USER_NAMESPACES &&
	       (int)BH_EP_SETUID_EXEC == (int)POLICY_ESC_SETUID_EXEC &&
	       (int)BH_EP_COUNT == (int)POLICY_ESC_COUNT,
	       "bpf/abi/guard.h and enum policy_escape_bit disagree");

#define GUARD_MAX_PROGS 32

/* Runtime and kubelet sockets refused to containers (runtimeSockets), by file name. */
static const char *const runtime_sockets[] = {
	"containerd.sock", "containerd.sock.ttrpc", "docker.sock", "dockershim.sock",
	"cri-dockerd.sock", "crio.sock", "podman.sock", "kubelet.sock", "cri-containerd.sock",
	"frakti.sock", "rktlet.sock", "io.containerd.runtime.v2.task", NULL,
};

struct guard {
	struct enforce *e;
	struct guard_bpf *skel;
	struct bpf_link *links[GUARD_MAX_PROGS];
	int nlinks;
	int missing;			/* programs that did not load or attach */
	int ncpus;
	char describe[512];
};

/* libbpf's messages while loading: the failing program's name is picked from them. */
static char failed_prog[128];
static int capture(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	char line[1024];
	const char *p, *q;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (l == LIBBPF_DEBUG && !log_verbose())
		return 0;
	if (!failed_prog[0] && (p = strstr(line, "prog '")) && (q = strchr(p + 6, '\'')) &&
	    (strstr(line, "failed") || strstr(line, "Error") || strstr(line, "error")) &&
	    (size_t)(q - p - 6) < sizeof(failed_prog))
		snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(q - p - 6), p + 6);
	if (log_verbose())
		fprintf(stderr, "%s", line);
	return 0;
}

static uint32_t ns_inum(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/1/ns/%s", name);
	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

/* This process's cgroup v2 directory id. */
static uint64_t own_cgroup(const char *cg2)
{
	char line[PATH_MAX], path[PATH_MAX * 2];
	uint64_t id = 0;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, sizeof(path), "%s%s", cg2, line + 3);
			id = ino_of(path);
		}
	fclose(f);
	return id;
}

static int write_cfg(struct guard *g, const struct guard_opts *o, uint32_t default_esc)
{
	static const char *const ns_names[BH_NS_COUNT] = {
		[BH_NS_MNT] = "mnt", [BH_NS_PID] = "pid_for_children", [BH_NS_NET] = "net",
		[BH_NS_USER] = "user", [BH_NS_UTS] = "uts", [BH_NS_IPC] = "ipc",
		[BH_NS_CGROUP] = "cgroup",
	};
	struct bh_guard_cfg c = { .flags = BH_GCF_VALID, .agent_tgid = (uint32_t)getpid() };
	char links[PATH_MAX];
	const char *pin = enforce_pin_dir(g->e);
	struct stat st;
	uint32_t zero = 0;

	for (int i = 0; i < BH_NS_COUNT; i++)
		c.host_ns[i] = ns_inum(ns_names[i]);
	c.default_esc = default_esc;
	c.root_cgid = ino_of(o->attach_cgroup ? o->attach_cgroup : o->cgroup2);
	c.cg2_root_id = ino_of(o->cgroup2);
	c.agent_cgid = own_cgroup(o->cgroup2);
	if (!stat(pin, &st)) {
		c.pin_dir_ino = st.st_ino;
		c.pin_dev = (major(st.st_dev) << 20) | minor(st.st_dev);
	}
	snprintf(links, sizeof(links), "%s/%s", pin, ENFORCE_LINK_SUBDIR);
	c.links_dir_ino = ino_of(links);
	if (!c.host_ns[BH_NS_MNT] || !c.root_cgid) {
		log_warn("guard: cannot read the host's mount namespace or the container root %s: "
			 "no task is armed", o->attach_cgroup ? o->attach_cgroup : o->cgroup2);
		c.flags = 0;
	}
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.bh_guard_cfg), &zero, &c, BPF_ANY))
		return -errno;
	return 0;
}

int guard_set_default(struct guard *g, uint32_t esc)
{
	int fd = bpf_map__fd(g->skel->maps.bh_guard_cfg);
	struct bh_guard_cfg c;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &c))
		return -errno;
	c.default_esc = esc;
	return bpf_map_update_elem(fd, &zero, &c, BPF_ANY) ? -errno : 0;
}

/*
 * Open and load; a program the kernel refuses (a hook this kernel lacks, or
 * cannot attach to) is named, left out, and the rest loaded again.
 */
static int load(struct guard *g, const struct guard_opts *o, char *err, size_t errlen)
{
	char skip[GUARD_MAX_PROGS][128];
	int nskip = 0, r = -EINVAL;
	const char *pin_root = g->e ? enforce_pin_dir(g->e) : NULL;	/* NULL: a probe, nothing pinned */

	for (int tries = 0; tries < GUARD_MAX_PROGS; tries++) {
		LIBBPF_OPTS(bpf_object_open_opts, oo);
		struct bpf_program *p;
		libbpf_print_fn_t old;

		oo.pin_root_path = pin_root;
		oo.btf_custom_path = o->btf_path;
		g->skel = guard_bpf__open_opts(&oo);
		if (!g->skel) {
			snprintf(err, errlen, "guard: cannot open the BPF object: %s", strerror(errno));
			return -errno;
		}
		if (!pin_root) {
			struct bpf_map *m;

			bpf_object__for_each_map(m, g->skel->obj)
				bpf_map__set_pin_path(m, NULL);
		}
		bpf_object__for_each_program(p, g->skel->obj)
			for (int i = 0; i < nskip; i++)
				if (!strcmp(bpf_program__name(p), skip[i]))
					bpf_program__set_autoload(p, false);
		failed_prog[0] = 0;
		old = libbpf_set_print(capture);
		r = guard_bpf__load(g->skel);
		libbpf_set_print(old);
		if (!r)
			return 0;
		guard_bpf__destroy(g->skel);
		g->skel = NULL;
		/* The arming programs and the file hook are the guard: without them, nothing. */
		if (!failed_prog[0] || !strcmp(failed_prog, "bh_guard_arm") ||
		    !strcmp(failed_prog, "bh_guard_fork") || !strcmp(failed_prog, "bh_guard_open") ||
		    nskip == GUARD_MAX_PROGS)
			break;
		if (pin_root)
			log_warn("guard: this kernel refuses the program %s (%s): its protection is NOT "
				 "refused here; loading the others", failed_prog, strerror(-r));
		snprintf(skip[nskip++], sizeof(skip[0]), "%s", failed_prog);
		g->missing++;
	}
	snprintf(err, errlen, "guard: cannot load the BPF LSM programs%s%s: %s",
		 failed_prog[0] ? " (first refused: " : "", failed_prog[0] ? failed_prog : "",
		 strerror(-r));
	if (failed_prog[0])
		snprintf(err + strlen(err), errlen - strlen(err), ")");
	return r;
}

/* Attach each program; pin its link as <pin dir>/links/guard_<program>, replacing a previous agent's. */
static int attach_all(struct guard *g)
{
	struct bpf_program *prog;
	int replaced = 0, obh = 0;

	bpf_object__for_each_program(prog, g->skel->obj) {
		const char *name = bpf_program__name(prog);
		char lname[128], path[PATH_MAX];
		struct bpf_link *l, *old;

		if (!bpf_program__autoload(prog))
			continue;
		if (g->nlinks == GUARD_MAX_PROGS) {	/* never: a program added past it is said */
			log_warn("guard: %s: NOT attached: more than %d programs (GUARD_MAX_PROGS)",
				 name, GUARD_MAX_PROGS);
			g->missing++;
			continue;
		}
		l = bpf_program__attach(prog);
		if (!l) {
			int e = errno;

			if (!strncmp(name, "bh_guard_obh", 12)) {
				log_info("guard: %s: not attached (%s; tracefs mounted?): open_by_handle_at "
					 "is checked on every open of an armed task instead", name, strerror(e));
			} else if (!strncmp(name, "bh_guard_setns", 14)) {
				log_warn("guard: %s: not attached (%s; tracefs mounted?): setns() by pidfd "
					 "is NOT refused (by a namespace file it is)", name, strerror(e));
				g->missing++;
			} else {
				log_warn("guard: this kernel does not attach %s (%s): its protection is "
					 "NOT refused here", name, strerror(e));
				g->missing++;
			}
			continue;
		}
		if (!strncmp(name, "bh_guard_obh", 12))
			obh++;
		g->links[g->nlinks++] = l;
		snprintf(lname, sizeof(lname), "guard_%s", name);
		if (enforce_link_path(g->e, lname, path, sizeof(path)))
			continue;
		old = access(path, F_OK) ? NULL : bpf_link__open(path);
		if (old) {
			bpf_link__unpin(old);
			bpf_link__detach(old);
			bpf_link__destroy(old);
			replaced++;
		}
		if (bpf_link__pin(l, path))
			log_warn("guard: cannot pin the link of %s at %s: it lasts only as long as the "
				 "agent", name, path);
	}
	if (replaced)
		log_info("guard: replaced %d links pinned by a previous agent", replaced);
	return obh == 2;
}

struct guard *guard_open(struct enforce *e, const struct guard_opts *o, char *err, size_t errlen)
{
	struct guard *g = calloc(1, sizeof(*g));
	uint32_t zero = 0;
	int r, obh;

	if (!g) {
		snprintf(err, errlen, "guard: out of memory");
		return NULL;
	}
	g->e = e;
	g->ncpus = libbpf_num_possible_cpus();
	if (load(g, o, err, errlen))
		goto fail;
	for (int i = 0; runtime_sockets[i]; i++) {
		struct bh_guard_sock_key k = { 0 };
		uint32_t one = 1;

		snprintf(k.name, sizeof(k.name), "%s", runtime_sockets[i]);
		bpf_map_update_elem(bpf_map__fd(g->skel->maps.bh_guard_socks), &k, &one, BPF_ANY);
	}
	/* The configuration goes in before the programs: arming starts valid. */
	r = write_cfg(g, o, o->default_esc);
	if (r) {
		snprintf(err, errlen, "guard: writing its configuration: %s", strerror(-r));
		goto fail;
	}
	obh = attach_all(g);
	if (obh) {
		struct bh_guard_cfg c;
		int fd = bpf_map__fd(g->skel->maps.bh_guard_cfg);

		if (!bpf_map_lookup_elem(fd, &zero, &c)) {
			c.flags |= BH_GCF_OBH_TP;
			bpf_map_update_elem(fd, &zero, &c, BPF_ANY);
		}
	}
	snprintf(g->describe, sizeof(g->describe), "escape protections refused by BPF LSM (%d programs%s%s)",
		 g->nlinks, g->missing ? ", SOME HOOKS MISSING: see above" : "",
		 obh ? "" : ", open_by_handle_at checked without its tracepoints");
	return g;
fail:
	guard_close(g, false);
	return NULL;
}

void guard_close(struct guard *g, bool detach)
{
	if (!g)
		return;
	if (g->skel && !detach) {
		/* Enforcement stays; the agent goes: nothing to protect by pid any more. */
		int fd = bpf_map__fd(g->skel->maps.bh_guard_cfg);
		struct bh_guard_cfg c;
		uint32_t zero = 0;

		if (!bpf_map_lookup_elem(fd, &zero, &c) && c.agent_tgid == (uint32_t)getpid()) {
			c.agent_tgid = 0;
			bpf_map_update_elem(fd, &zero, &c, BPF_ANY);
		}
	}
	for (int i = 0; i < g->nlinks; i++) {
		if (detach) {
			bpf_link__unpin(g->links[i]);
			bpf_link__detach(g->links[i]);
		}
		bpf_link__destroy(g->links[i]);
	}
	guard_bpf__destroy(g->skel);
	free(g);
}

int guard_ringbuf_fd(const struct guard *g)
{
	return bpf_map__fd(g->skel->maps.bh_guard_rb);
}

const char *guard_describe(const struct guard *g)
{
	return g->describe;
}

int guard_missing(const struct guard *g)
{
	return g->missing;
}

int guard_stats(const struct guard *g, uint64_t out[BH_GS_COUNT])
{
	int fd = bpf_map__fd(g->skel->maps.bh_guard_stats);
	uint64_t vals[g->ncpus > 0 ? g->ncpus : 1];

	for (uint32_t k = 0; k < BH_GS_COUNT; k++) {
		out[k] = 0;
		if (g->ncpus <= 0 || bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < g->ncpus; c++)
			out[k] += vals[c];
	}
	return 0;
}

const char *guard_sig_name(uint32_t sig)
{
	static const char *const names[BH_SIG_COUNT] = {
		[BH_SIG_MOUNT] = "mount", [BH_SIG_UMOUNT] = "umount", [BH_SIG_PIVOT_ROOT] = "pivot_root",
		[BH_SIG_FSOPEN] = "fsopen", [BH_SIG_FSMOUNT] = "fsmount", [BH_SIG_SETNS] = "setns",
		[BH_SIG_UNSHARE] = "unshare", [BH_SIG_CLONE_NS] = "clone_ns", [BH_SIG_MODULE] = "module",
		[BH_SIG_MODULE_REQUEST] = "module_request", [BH_SIG_BPF] = "bpf",
		[BH_SIG_PERF_EVENT] = "perf_event", [BH_SIG_USERFAULTFD] = "userfaultfd",
		[BH_SIG_KEYCTL] = "keyctl", [BH_SIG_IO_URING] = "io_uring",
		[BH_SIG_PACKET_SOCKET] = "packet_socket", [BH_SIG_PTRACE] = "ptrace",
		[BH_SIG_PROCESS_VM] = "process_vm", [BH_SIG_OPEN_BY_HANDLE] = "open_by_handle",
		[BH_SIG_FILELESS_EXEC] = "fileless_exec", [BH_SIG_UNIX_CONNECT] = "unix_connect",
		[BH_SIG_SETUID] = "setuid", [BH_SIG_CAPSET] = "capset", [BH_SIG_SUID_EXEC] = "suid_exec",
		[BH_SIG_OPEN] = "open", [BH_SIG_CGROUP_ATTACH] = "cgroup_attach",
		[BH_SIG_DUP_SOCKET] = "dup_socket", [BH_SIG_SOCKET_SHELL] = "socket_shell",
		[BH_SIG_DRIFT_EXEC] = "drift_exec", [BH_SIG_MKNOD] = "mknod",
		[BH_SIG_NS_ESCAPE] = "ns_escape", [BH_SIG_CAP_GAIN] = "cap_gain",
		[BH_SIG_ROOT_GAIN] = "root_gain", [BH_SIG_TAMPER] = "tamper",
	};

	return sig < BH_SIG_COUNT && names[sig] ? names[sig] : "?";
}

int guard_log_record(void *ctx, void *data, size_t size)
{
	const struct bh_esc_event *e = data;
	char s0[BH_ESC_STR_MAX], s1[BH_ESC_STR_MAX];

	(void)ctx;
	if (size < sizeof(*e) || e->hdr.kind != BH_EV_ESCAPE)
		return 0;
	snprintf(s0, sizeof(s0), "%.*s", (int)(e->str_len[0] < BH_ESC_STR_MAX ? e->str_len[0] : 0), e->str[0]);
	snprintf(s1, sizeof(s1), "%.*s", (int)(e->str_len[1] < BH_ESC_STR_MAX ? e->str_len[1] : 0), e->str[1]);
	log_warn("guard: %s %s by pid %u (%.16s) in cgroup %llu: arg0=%llu arg1=%llu arg2=%llu "
		 "target_pid=%u str0='%s' str1='%s' suppressed=%u", e->flags & BH_ESCF_REFUSED ?
		 "REFUSED" : "seen", guard_sig_name(e->sig), e->hdr.pid, e->hdr.comm,
		 (unsigned long long)e->hdr.cgroup_id, (unsigned long long)e->arg[0],
		 (unsigned long long)e->arg[1], (unsigned long long)e->arg[2], e->target_pid, s0, s1,
		 e->suppressed);
	return 0;
}

int guard_task_fd(const struct guard *g)
{
	return g ? bpf_map__fd(g->skel->maps.bh_esc_task) : -1;
}

/* The programs each protection's refusals need (all of them), NULL-terminated. */
static const char *const probe_progs[BH_EP_COUNT][4] = {
	[BH_EP_MOUNT] = { "bh_guard_mount", "bh_guard_sb_opts", "bh_guard_move_mount" },
	[BH_EP_PTRACE] = { "bh_guard_ptrace" },
	[BH_EP_KERNEL_MODULES] = { "bh_guard_read_file", "bh_guard_load_data", "bh_guard_modreq" },
	[BH_EP_BPF] = { "bh_guard_bpf" },
	[BH_EP_NAMESPACES] = { "bh_guard_open", "bh_guard_capable", "bh_guard_setns_enter" },
	[BH_EP_HOST_PATHS] = { "bh_guard_open" },
	[BH_EP_DEVICES] = { "bh_guard_open" },
	[BH_EP_CGROUP] = { "bh_guard_open" },
	[BH_EP_RUNTIME_SOCKETS] = { "bh_guard_unix" },
	[BH_EP_FILELESS_EXEC] = { "bh_guard_exec" },
	[BH_EP_USER_NAMESPACES] = { "bh_guard_userns" },
	[BH_EP_SETUID_EXEC] = { "bh_guard_exec" },
	/* privilegeEscalation, drift, reverseShell, recon: no refusal (the sensor alerts) */
};
static const char *const probe_self[] = { "bh_guard_kill", "bh_guard_ptrace", "bh_guard_bpf",
	"bh_guard_bpf_map", "bh_guard_bpf_prog", "bh_guard_unlink", "bh_guard_rename", NULL };

static bool loaded(struct guard_bpf *skel, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(skel->obj, name);

	return p && bpf_program__autoload(p) && bpf_program__fd(p) >= 0;
}

int guard_probe(const char *btf_path, struct guard_probe *out)
{
	struct guard g = { 0 };
	struct guard_opts o = { .btf_path = btf_path };
	int r;

	memset(out, 0, sizeof(*out));
	r = load(&g, &o, out->detail, sizeof(out->detail));
	if (r)
		return r;
	out->loaded = true;
	out->missing = g.missing;
	for (int p = 0; p < BH_EP_COUNT; p++) {
		bool all = probe_progs[p][0] != NULL;

		for (int i = 0; i < 4 && probe_progs[p][i]; i++)
			all = all && loaded(g.skel, probe_progs[p][i]);
		if (all)
			out->refused |= 1u << p;
	}
	out->self = true;
	for (int i = 0; probe_self[i]; i++)
		out->self = out->self && loaded(g.skel, probe_self[i]);
	snprintf(out->detail, sizeof(out->detail), "the escape guard's BPF LSM programs load%s",
		 g.missing ? " (some refused: their protections only alert)" : "");
	guard_bpf__destroy(g.skel);
	return 0;
}
