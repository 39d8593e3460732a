// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "enforce/file.h"
#include "enforce/guard.h"
#include "enforce/probe.h"
#include "policy/policy.h"
#include "lib/kernel_fs.h"
#include "lib/json_writer.h"
#include "probe.skel.h"
#include "lib/log.h"

/* Failed probes are expected: keep libbpf's verifier dumps for -v only. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static const struct {
	const char *key;
	const char *label;
	const char *prog;	/* program in probe.bpf.c, or NULL */
	bool attach;		/* attach too (only where attaching is harmless) */
} features[PF_MAX] = {
	[PF_BTF]	 = { "btf", "kernel BTF (CO-RE)", NULL, false },
	[PF_CGROUP2]	 = { "cgroup_v2", "cgroup v2", NULL, false },
	[PF_RINGBUF]	 = { "ringbuf", "BPF ring buffer", NULL, false },
	[PF_SCHED_TP]	 = { "sched_tracepoints", "sched tracepoints (tp_btf)", "bh_pr_sched", true },
	[PF_SYSCALL_TP]	 = { "syscall_tracepoints", "syscall tracepoints", "bh_pr_sys", true },
	[PF_BPF_LOOP]	 = { "bpf_loop", "bpf_loop helper", "bh_pr_loop", false },
	[PF_SEND_SIGNAL] = { "bpf_send_signal", "bpf_send_signal helper", "bh_pr_signal", false },
	[PF_CGROUP_SKB]	 = { "cgroup_skb", "cgroup_skb programs", "bh_pr_skb", false },
	[PF_SOCK_ADDR]	 = { "cgroup_sock_addr", "cgroup sock_addr hooks", "bh_pr_conn4", false },
	[PF_LSM]	 = { "bpf_lsm", "BPF LSM", "bh_pr_lsm", true },
	[PF_D_PATH]	 = { "bpf_d_path", "bpf_d_path in lsm/file_open", "bh_pr_dpath", false },
	[PF_FILE_PROGS]	 = { "file_programs", "file/exec LSM programs load", NULL, false },
	[PF_LSM_HOOKS]	 = { "lsm_hooks", "their LSM hooks attach", NULL, false },
};

const char *probe_feature_key(enum probe_feature f) { return features[f].key; }
const char *probe_feature_label(enum probe_feature f) { return features[f].label; }

/* Load one program of probe.bpf.c alone (and maybe attach it); 0 or -errno. */
static int try_prog(const char *name, bool attach)
{
	struct probe_bpf *skel;
	struct bpf_program *p, *want = NULL;
	struct bpf_link *link = NULL;
	int err;

	skel = probe_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj) {
		bool me = !strcmp(bpf_program__name(p), name);

		bpf_program__set_autoload(p, me);
		if (me)
			want = p;
	}
	err = want ? probe_bpf__load(skel) : -ENOENT;
	if (!err && attach) {
		link = bpf_program__attach(want);
		err = link ? 0 : -errno;
		bpf_link__destroy(link);
	}
	probe_bpf__destroy(skel);
	return err;
}

static void set(struct probe_result *r, enum probe_feature f, bool ok, const char *fmt, const char *arg)
{
	r->ok[f] = ok;
	snprintf(r->detail[f], sizeof(r->detail[f]), fmt, arg ? arg : "");
}

static void probe_lsm(struct probe_result *r, int err)
{
	char lsms[256];

	if (read_small_file(BH_SECURITYFS "/lsm", lsms, sizeof(lsms)))
		snprintf(lsms, sizeof(lsms), "unknown (securityfs not mounted)");
	if (!err) {
		set(r, PF_LSM, true, "active LSMs: %s", lsms);
		return;
	}
	snprintf(r->detail[PF_LSM], sizeof(r->detail[PF_LSM]),
		 "load failed: %s; active LSMs: %s%s", strerror(-err), lsms,
		 strstr(lsms, "bpf") ? "" : " (boot with lsm=...,bpf and CONFIG_BPF_LSM=y)");
	r->ok[PF_LSM] = false;
}

/* The file and exec programs themselves: the final word on BH_MODE_LSM. */
static void probe_file_programs(struct probe_result *r, bool programs)
{
	struct file_probe fp;

	if (!programs) {
		for (int f = PF_FILE_PROGS; f <= PF_LSM_HOOKS; f++) {
			r->untried[f] = true;
			set(r, f, false, "not tried here: the agent loads them when a policy has file or exec "
			    "rules, and falls back to the tracepoints if they fail", NULL);
		}
		return;
	}
	if (!r->ok[PF_LSM] || !r->ok[PF_BPF_LOOP] || !r->ok[PF_D_PATH]) {
		const char *need = !r->ok[PF_LSM] ? "BPF LSM" : !r->ok[PF_BPF_LOOP] ?
				   "bpf_loop (5.17+; the path walk uses it)" : "bpf_d_path";

		set(r, PF_FILE_PROGS, false, "not tried: needs %s", need);
		set(r, PF_LSM_HOOKS, false, "not tried: needs %s", need);
		return;
	}
	file_probe(NULL, &fp);
	set(r, PF_FILE_PROGS, fp.loaded, "%s", fp.load_detail);
	if (!fp.loaded)
		set(r, PF_LSM_HOOKS, false, "not tried: the programs did not load", NULL);
	else
		snprintf(r->detail[PF_LSM_HOOKS], sizeof(r->detail[PF_LSM_HOOKS]), "%s%d hooks%s%s",
			 fp.hooks_ok ? "all " : "", fp.hooks, fp.hooks_ok ? ": " : "; ", fp.hook_detail);
	r->ok[PF_LSM_HOOKS] = fp.loaded && fp.hooks_ok;
}

void probe_run(struct probe_result *r, bool programs)
{
	struct utsname u;
	char err[256];
	int e;

	libbpf_print_fn_t old = libbpf_set_print(quiet_print);

	if (log_verbose())
		libbpf_set_print(old);

	memset(r, 0, sizeof(*r));
	if (uname(&u) == 0)
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	kernel_fs_ensure(err, sizeof(err));

	e = access("/sys/kernel/btf/vmlinux", R_OK) ? -errno : 0;
	set(r, PF_BTF, !e, e ? "missing /sys/kernel/btf/vmlinux (kernel needs CONFIG_DEBUG_INFO_BTF=y)"
			     : "/sys/kernel/btf/vmlinux", NULL);
	set(r, PF_CGROUP2, cgroup2_mount() != NULL,
	    cgroup2_mount() ? "mounted at %s" : "no cgroup2 mount under /sys/fs/cgroup", cgroup2_mount());

	e = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	set(r, PF_RINGBUF, e == 1, e == 1 ? "" : "map type not supported (kernel < 5.8?)", NULL);

	for (int f = 0; f < PF_MAX; f++) {
		if (!features[f].prog)
			continue;
		if (!r->ok[PF_BTF]) {
			set(r, f, false, "not tried: no kernel BTF", NULL);
			continue;
		}
		if (f == PF_D_PATH && !r->ok[PF_LSM]) {
			set(r, f, false, "not tried: needs BPF LSM", NULL);
			continue;
		}
		e = try_prog(features[f].prog, features[f].attach);
		if (f == PF_LSM)
			probe_lsm(r, e);
		else if (e)
			snprintf(r->detail[f], sizeof(r->detail[f]), "%s failed: %s%s",
				 features[f].attach ? "load/attach" : "load", strerror(-e),
				 f == PF_SYSCALL_TP && !fs_mounted(BH_TRACEFS, "tracefs") ?
				 " (tracefs not mounted at " BH_TRACEFS ")" : "");
		else
			r->ok[f] = true;
	}
	probe_file_programs(r, programs);
	/* Refusals: the guard's own programs must load (and an LSM program attach: PF_LSM). */
	if (!r->ok[PF_LSM]) {
		snprintf(r->esc_detail, sizeof(r->esc_detail), "escape guard not tried: no BPF LSM");
	} else {
		struct guard_probe gp;

		e = guard_probe(NULL, &gp);
		r->esc_guard = !e && gp.loaded;
		r->esc_self = r->esc_guard && gp.self;
		r->esc_refused = r->esc_guard ? gp.refused : 0;
		snprintf(r->esc_detail, sizeof(r->esc_detail), "%s", gp.detail);
	}
	libbpf_set_print(old);
}

const char *probe_escape_name(enum probe_esc e)
{
	switch (e) {
	case PROBE_ESC_REFUSES: return "refuses";
	case PROBE_ESC_KILLS: return "kills";
	case PROBE_ESC_ALERTS: return "alerts";
	default: return "none";
	}
}

/*
 * Without the guard, what the syscall-tracepoint sensor (bpf/escape.bpf.c) kills
 * where a policy enforces it (README, "Container escapes", last column); the
 * rest it alerts. With the guard it kills nothing: the guard refuses, and what
 * the guard does not refuse is alerted.
 */
static const char *const kill_detail[POLICY_ESC_COUNT] = {
	[POLICY_ESC_MOUNT] = "proc, sysfs, debugfs, bpffs, block devices ... killed; cgroup mounts alerted "
			     "(their release_agent and cgroup.procs writes are killed)",
	[POLICY_ESC_KERNEL_MODULES] = "init_module, finit_module, kexec, module requests",
	[POLICY_ESC_BPF] = "bpf()",
	[POLICY_ESC_PRIV_ESCALATION] = "capabilities or root beyond the container's start killed at exec; "
				       "setuid, capset, userfaultfd, keyctl, io_uring alerted",
	[POLICY_ESC_NAMESPACES] = "setns into the host's or another container's namespaces, a host namespace "
				  "at exec",
	[POLICY_ESC_HOST_PATHS] = "core_pattern, modprobe, uevent_helper, sysrq-trigger, open_by_handle_at",
	[POLICY_ESC_DEVICES] = "/proc/kcore, /dev/mem, block devices opened (mknod alerted)",
	[POLICY_ESC_CGROUP] = "release_agent, notify_on_release, a task moved out of its cgroup",
	[POLICY_ESC_RUNTIME_SOCKETS] = "connects to runtime and kubelet sockets",
	[POLICY_ESC_FILELESS_EXEC] = "exec of a memfd or an unlinked file",
	[POLICY_ESC_DRIFT] = "exec of a file changed after the container started",
	[POLICY_ESC_REVERSE_SHELL] = "a shell with a network socket as stdin/stdout",
	[POLICY_ESC_USER_NAMESPACES] = "unshare/clone of a user namespace",
	[POLICY_ESC_SETUID_EXEC] = "setuid-root exec by a non-root user",
	/* ptrace: the target's container is known only after the call; recon: never killed */
};

enum probe_esc probe_escape(const struct probe_result *r, int bit, const char **detail)
{
	static const char *const refuse_self = "signals and ptrace to the agent, bulkhead's BPF links, "
		"maps and programs, its pins, cgroup.procs outside the container";

	*detail = "";
	if (r->esc_guard) {
		if (bit == PROBE_ESC_SELF) {
			*detail = r->esc_self ? refuse_self : "some of the guard's programs did not load";
			return r->esc_self ? PROBE_ESC_REFUSES : PROBE_ESC_ALERTS;
		}
		if (r->esc_refused & (1u << bit))
			return PROBE_ESC_REFUSES;
		*detail = "no BPF LSM refusal for it; the tracepoint sensor alerts (it kills nothing where the "
			  "guard runs)";
		return r->ok[PF_SYSCALL_TP] ? PROBE_ESC_ALERTS : PROBE_ESC_NONE;
	}
	if (!r->ok[PF_SYSCALL_TP]) {
		*detail = "no syscall tracepoints: escape techniques are not seen";
		return PROBE_ESC_NONE;
	}
	if (!r->ok[PF_SEND_SIGNAL])
		return PROBE_ESC_ALERTS;
	if (bit == PROBE_ESC_SELF) {
		*detail = "a signal to the agent from a container sharing the host's pids, bpf() killed; "
			  "ptrace of it alerted";
		return PROBE_ESC_KILLS;
	}
	if (bit >= 0 && bit < POLICY_ESC_COUNT && kill_detail[bit]) {
		*detail = kill_detail[bit];
		return PROBE_ESC_KILLS;
	}
	*detail = bit == POLICY_ESC_PTRACE ? "alerted: the target's container is known only after the call" :
		  bit == POLICY_ESC_RECON ? "raw packet sockets, perf_event_open, /proc/kallsyms: alerted" : "";
	return PROBE_ESC_ALERTS;
}

static void print_escape_table(FILE *f, const struct probe_result *r)
{
	const char *d;

	fprintf(f, "\nescape protections (spec.escape), where a policy enforces them: %s\n",
		r->esc_guard ? "refused by the BPF LSM guard" :
		"no BPF LSM guard here, killed (SIGKILL) or alerted by the syscall tracepoints");
	fprintf(f, "  guard: %s\n", r->esc_detail);
	for (int b = -1; b < POLICY_ESC_COUNT; b++) {
		enum probe_esc e = probe_escape(r, b, &d);

		fprintf(f, "  %-20s %-8s %s\n", b < 0 ? "selfProtection" : policy_escape_names[b],
			probe_escape_name(e), d);
	}
}

/*
 * BH_MODE_LSM only where the file and exec programs can run: BPF LSM, the
 * helpers they call (bpf_d_path, bpf_loop) and, where tried, the programs
 * themselves loaded and attached to every hook.
 */
enum bh_mode probe_mode(const struct probe_result *r)
{
	if (r->ok[PF_LSM] && r->ok[PF_D_PATH] && r->ok[PF_BPF_LOOP] &&
	    (r->ok[PF_FILE_PROGS] || r->untried[PF_FILE_PROGS]) &&
	    (r->ok[PF_LSM_HOOKS] || r->untried[PF_LSM_HOOKS]))
		return BH_MODE_LSM;
	if (r->ok[PF_SYSCALL_TP] && r->ok[PF_SEND_SIGNAL])
		return BH_MODE_FALLBACK;
	return BH_MODE_OBSERVE;
}

const char *probe_mode_why(const struct probe_result *r)
{
	static const enum probe_feature need[] = { PF_LSM, PF_D_PATH, PF_BPF_LOOP, PF_FILE_PROGS, PF_LSM_HOOKS };
	static char why[256];

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!r->ok[need[i]] && !r->untried[need[i]]) {
			snprintf(why, sizeof(why), "%s: %s", features[need[i]].label, r->detail[need[i]]);
			return why;
		}
	return NULL;
}

const char *probe_mode_name(enum bh_mode m)
{
	switch (m) {
	case BH_MODE_LSM: return "lsm";
	case BH_MODE_FALLBACK: return "tracepoint-fallback";
	default: return "observe-only";
	}
}

const char *probe_mode_explain(enum bh_mode m)
{
	switch (m) {
	case BH_MODE_LSM:
		return "file and exec rules are enforced in the kernel by BPF LSM: denied calls fail with EPERM";
	case BH_MODE_FALLBACK:
		return "no usable BPF LSM: file and exec deny rules are checked at syscall entry and the offending "
		       "process is KILLED (SIGKILL), not refused with EPERM; the path is read from user memory, "
		       "which another thread can change after the check; only open and exec are covered";
	default:
		return "file and exec rules CANNOT be enforced on this kernel: they are reported only";
	}
}

void probe_print_table(FILE *f, const struct probe_result *r)
{
	fprintf(f, "kernel %s\n\n%-30s %-4s %s\n", r->kernel, "feature", "ok", "detail");
	for (int i = 0; i < PF_MAX; i++)
		fprintf(f, "%-30s %-4s %s\n", features[i].label, r->ok[i] ? "yes" : "no", r->detail[i]);
	enum bh_mode m = probe_mode(r);
	fprintf(f, "\nenforcement mode: %s\n  %s\n", probe_mode_name(m), probe_mode_explain(m));
	if (m != BH_MODE_LSM && probe_mode_why(r))
		fprintf(f, "  not lsm because: %s\n", probe_mode_why(r));
	fprintf(f, "network enforcement: %s\n",
		r->ok[PF_CGROUP_SKB] && r->ok[PF_SOCK_ADDR] ? "yes (cgroup_skb + sock_addr)" :
		r->ok[PF_CGROUP_SKB] ? "packets only (no sock_addr hooks: denied connects are dropped, not refused)" :
		"no");
	print_escape_table(f, r);
}

void probe_print_json(FILE *f, const struct probe_result *r)
{
	struct json_writer w;

	json_init(&w, f);
	json_begin_object(&w);
	json_kv_str(&w, "kernel", r->kernel);
	json_key(&w, "features");
	json_begin_object(&w);
	for (int i = 0; i < PF_MAX; i++) {
		json_key(&w, features[i].key);
		json_begin_object(&w);
		json_kv_bool(&w, "ok", r->ok[i]);
		json_kv_str(&w, "detail", r->detail[i]);
		json_end_object(&w);
	}
	json_end_object(&w);
	json_kv_str(&w, "mode", probe_mode_name(probe_mode(r)));
	json_kv_str(&w, "mode_detail", probe_mode_explain(probe_mode(r)));
	if (probe_mode(r) != BH_MODE_LSM && probe_mode_why(r))
		json_kv_str(&w, "mode_why", probe_mode_why(r));
	json_kv_bool(&w, "network", r->ok[PF_CGROUP_SKB] && r->ok[PF_SOCK_ADDR]);
	json_key(&w, "escape");
	json_begin_object(&w);
	json_kv_bool(&w, "guard", r->esc_guard);
	json_kv_str(&w, "guard_detail", r->esc_detail);
	json_key(&w, "protections");
	json_begin_object(&w);
	for (int b = -1; b < POLICY_ESC_COUNT; b++) {
		const char *d;
		enum probe_esc e = probe_escape(r, b, &d);

		json_key(&w, b < 0 ? "selfProtection" : policy_escape_names[b]);
		json_begin_object(&w);
		json_kv_str(&w, "enforcement", probe_escape_name(e));
		json_kv_str(&w, "detail", d);
		json_end_object(&w);
	}
	json_end_object(&w);
	json_end_object(&w);
	json_end_object(&w);
	json_end_line(&w);
}
