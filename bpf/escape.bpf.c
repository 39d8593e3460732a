// SPDX-License-Identifier: GPL-2.0
/*
 * Escape detection on every kernel: syscall tracepoints and BTF tracepoints
 * that report what an armed container task does toward the host (mounts,
 * namespaces, kernel code, other processes' memory, host files, runtime
 * sockets, privilege changes) and the outcomes that no technique list names
 * (a host namespace, capabilities or root the container never had). Records
 * (bpf/abi/escape.h) go to their own ring; userspace/detect/ judges them.
 *
 * Filtering is in the kernel: an unarmed task (the host, the runtime's own
 * setup) costs one task-storage lookup per hooked call and sends nothing.
 */
#include "lib/escape.bpf.h"
#include "abi/enforce.h"
#include "abi/guard.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct bh_esc_config cfg = {};
/* false when the armed-task map is the LSM guard's: it arms by its own (narrower) rule */
const volatile bool arm_tasks = true;
/* false when the LSM guard refuses signals to the agent (task_kill): no kill here */
const volatile bool kill_tamper = true;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bh_esc_base);
} bh_esc_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_ESC_RINGBUF);
} bh_esc_rb SEC(".maps");

struct bh_lost_map bh_esc_lost SEC(".maps");
struct bh_lost_total_map bh_esc_lost_total SEC(".maps");

/* File names worth an open's second look (the agent fills it): name -> enum bh_name_rule | flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct bh_esc_name_key);
	__type(value, __u32);
} bh_esc_names SEC(".maps");

/* Per container: records sent in the current second, and dropped. */
struct bh_esc_rate {
	__u64 sec;
	__u32 sent;
	__u32 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BH_MAX_CGROUPS_TRACKED);
	__type(key, __u64);
	__type(value, struct bh_esc_rate);
} bh_esc_rate SEC(".maps");

/* A container's start (boot ns): its first arming; later execs into it (runc exec) share it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BH_MAX_CGROUPS_TRACKED);
	__type(key, __u64);
	__type(value, __u64);
} bh_esc_cg_start SEC(".maps");

/*
 * Kills (no BPF LSM): the enforcement core's generation and container
 * policies, the pinned maps reused by fd when the agent enforces (empty
 * otherwise), and the protections enforced for a container without an entry
 * yet (the NodeDefault's: bh_esc_kill_default).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bh_active_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BH_CG_POLICY_ENTRIES);
	__type(key, struct bh_cg_key);
	__type(value, struct bh_cg_policy);
} bh_cgroup_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bh_esc_kill_default SEC(".maps");

/* Runtime and kubelet socket names (docker.sock ...): a connect to one is killed where enforced. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct bh_esc_name_key);
	__type(value, __u32);
} bh_esc_socks SEC(".maps");

/* Files a compiler, linker or package manager of the container wrote: {dev, ino} -> 1. */
struct bh_file_id {
	__u64 dev;
	__u64 ino;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bh_file_id);
	__type(value, __u8);
} bh_esc_built SEC(".maps");

/* Namespaces a container made itself (unshare, clone): inum -> the container's cgroup id. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} bh_esc_own_ns SEC(".maps");

/* realtime - boot time (ns), written by the agent: compares file times with a container's start. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bh_esc_clock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_esc_event);
} bh_esc_scratch SEC(".maps");

/* An open's asked name and flags, from its enter to its exit (armed tasks only). */
struct bh_open_arg {
	__u64 name;
	__u64 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bh_open_arg);
} bh_esc_open_args SEC(".maps");

/* The last 4 bytes of every name in bh_esc_names: a failed open's path is scanned only on a hit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} bh_esc_tails SEC(".maps");

/* ---- armed state ----------------------------------------------------------- */

static __always_inline struct bh_esc_base *armed(struct task_struct *t)
{
	struct bh_esc_base *b = bpf_task_storage_get(&bh_esc_task, t, 0, 0);

	return b && (b->flags & BH_TASK_ARMED) ? b : NULL;
}

static __always_inline struct bh_esc_base *armed_current(void)
{
	return armed(bpf_get_current_task_btf());
}

/* ---- records --------------------------------------------------------------- */

static __always_inline struct bh_esc_event *begin(__u32 sig, const struct bh_esc_base *b)
{
	struct bh_esc_event *e;
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&bh_esc_scratch, &zero);
	if (!e)
		return NULL;
	/* the task as a number (6.1 passes no BTF pointer to a global function) */
	bh_esc_fill(e, bpf_get_current_task(), b, sig, cfg.host_ns[BH_NS_MNT]);
	if (e->ns[BH_NS_PID] == cfg.host_ns[BH_NS_PID])
		e->flags |= BH_ESCF_HOSTPID;
	return e;
}

/* At most BH_ESC_RATE_PER_SEC records per container per second; the rest counted. Global. */
__noinline int bh_esc_submit(struct bh_esc_event *e)
{
	struct bh_esc_rate *r, fresh = {};
	__u64 sec, cg;

	if (!e)
		return 0;
	sec = e->hdr.ts_boot_ns / 1000000000ull;
	cg = e->hdr.cgroup_id;
	fresh.sec = sec;

	r = bpf_map_lookup_elem(&bh_esc_rate, &cg);
	if (!r) {
		bpf_map_update_elem(&bh_esc_rate, &cg, &fresh, BPF_ANY);
		r = bpf_map_lookup_elem(&bh_esc_rate, &cg);
		if (!r)
			return 0;
	}
	if (r->sec != sec) {
		r->sec = sec;
		r->sent = 0;
	}
	if (r->sent >= BH_ESC_RATE_PER_SEC) {
		__sync_fetch_and_add(&r->dropped, 1);
		return 0;
	}
	r->sent++;
	e->suppressed = r->dropped;
	r->dropped = 0;
	/* Where the LSM guard runs (arm_tasks false) this record must not wake the reader
	 * before the guard's refusal of the same call (read first, the alert: action deny). */
	if (bpf_ringbuf_output(&bh_esc_rb, e, sizeof(*e), arm_tasks ? BH_ALERT_SUBMIT_FLAGS : BPF_RB_NO_WAKEUP))
		bh_count_lost(&bh_esc_lost, &bh_esc_lost_total, cg);
	return 0;
}

/* The protections enforced (killed) for the lineage's container. */
static __always_inline __u32 enforced(const struct bh_esc_base *b)
{
	struct bh_cg_key k = { .cgroup_id = b->cgroup_id };
	struct bh_cg_policy *p;
	__u32 zero = 0, *gen, *def;

	gen = bpf_map_lookup_elem(&bh_active_gen, &zero);
	if (gen) {
		k.gen = *gen & 1;
		p = bpf_map_lookup_elem(&bh_cgroup_policy, &k);
		if (p)
			return p->flags & BH_CGP_ESCAPE ? p->esc_enforce : 0;
	}
	def = bpf_map_lookup_elem(&bh_esc_kill_default, &zero);
	return def ? *def : 0;
}

/* Kill the caller before its call runs (or before it uses what it got) if bit is enforced. */
static __always_inline void kill_if(const struct bh_esc_base *b, __u32 bit, struct bh_esc_event *e)
{
	if (enforced(b) & (1u << bit)) {
		bpf_send_signal(9);
		e->flags |= BH_ESCF_KILLED;
	}
}

/* The common case: a signal with up to two numbers and a user string. */
static __always_inline int report_kill(__u32 sig, __u64 a0, __u64 a1, const void *ustr, int bit)
{
	struct bh_esc_base *b = armed_current();
	struct bh_esc_event *e;

	if (!b)
		return 0;
	e = begin(sig, b);
	if (!e)
		return 0;
	e->arg[0] = a0;
	e->arg[1] = a1;
	bh_esc_user_str(e, 0, ustr);
	if (bit >= 0)
		kill_if(b, (__u32)bit, e);
	return bh_esc_submit(e);
}

static __always_inline int report(__u32 sig, __u64 a0, __u64 a1, const void *ustr)
{
	return report_kill(sig, a0, a1, ustr, -1);
}

/* The last component of the user's path, as a name-table key: one pass, in bpf_loop. */
struct name_scan {
	char buf[128];
	struct bh_esc_name_key key;
	__u32 n;		/* bytes before the NUL */
	__u32 pos;		/* bytes in key */
};

static long scan_name(__u32 i, struct name_scan *s)
{
	char c;

	if (i >= s->n)
		return 1;
	c = s->buf[i & 127];
	if (c == '/') {
		__builtin_memset(&s->key, 0, sizeof(s->key));
		s->pos = 0;
	} else if (s->pos < BH_ESC_NAME_MAX - 1) {
		s->key.name[s->pos & (BH_ESC_NAME_MAX - 1)] = c;
		s->pos++;
	}
	return 0;
}

/* The name (last component) of the user path at upath, in k. 0, or -1 if unreadable. */
static __always_inline int name_of(__u64 upath, struct bh_esc_name_key *k, bool tails)
{
	struct name_scan s = {};
	long n;

	n = bpf_probe_read_user_str(s.buf, sizeof(s.buf), (const void *)upath);
	if (n < 2)
		return -1;
	s.n = (__u32)(n - 1);
	if (tails && s.n >= 4) {	/* most paths end in no name of the table: one lookup, no scan */
		__u32 at = s.n - 4;
		__u32 tail = (__u32)(__u8)s.buf[at & 127] | (__u32)(__u8)s.buf[(at + 1) & 127] << 8 |
			     (__u32)(__u8)s.buf[(at + 2) & 127] << 16 | (__u32)(__u8)s.buf[(at + 3) & 127] << 24;

		if (!bpf_map_lookup_elem(&bh_esc_tails, &tail))
			return -1;
	}
	bpf_loop(sizeof(s.buf), scan_name, &s, 0);
	*k = s.key;
	return 0;
}

/* The name-table rule of the user path at upath (0: none); its name in k. Global. */
__noinline int bh_esc_name_rule(__u64 upath, struct bh_esc_name_key *k)
{
	struct bh_esc_name_key key;	/* on the stack: 6.1 takes no other memory as a map key */
	__u32 *v;

	if (!k || name_of(upath, &key, true))
		return 0;
	*k = key;
	v = bpf_map_lookup_elem(&bh_esc_names, &key);
	return v ? (int)*v : 0;
}

/* Is the user path at upath a runtime's socket (bh_esc_socks)? Global. */
__noinline int bh_esc_runtime_sock(__u64 upath)
{
	struct bh_esc_name_key k;

	if (name_of(upath, &k, false))
		return 0;
	return bpf_map_lookup_elem(&bh_esc_socks, &k) != NULL;
}

static __always_inline __u32 asked_name_rule(const char *upath, struct bh_esc_name_key *k)
{
	return (__u32)bh_esc_name_rule((__u64)upath, k);
}

/* ---- arming and exec checks ------------------------------------------------ */

static __always_inline bool runtime_comm(const char *c)
{
	/* runc init ("runc:[2:INIT]"), crun, conmon, containerd-shim: the runtime, not the workload */
	return (c[0] == 'r' && c[1] == 'u' && c[2] == 'n' && c[3] == 'c') ||
	       (c[0] == 'c' && c[1] == 'r' && c[2] == 'u' && c[3] == 'n' && c[4] == 0) ||
	       (c[0] == 'c' && c[1] == 'o' && c[2] == 'n' && c[3] == 'm' && c[4] == 'o' && c[5] == 'n') ||
	       (c[0] == 'c' && c[1] == 'o' && c[2] == 'n' && c[3] == 't' && c[4] == 'a' && c[9] == 'd');
}

/* The container's start: the earliest arming seen in its cgroup. */
static __always_inline __u64 cg_start(__u64 cgid, __u64 now)
{
	__u64 *s = bpf_map_lookup_elem(&bh_esc_cg_start, &cgid);

	if (s && *s && *s < now)
		return *s;
	bpf_map_update_elem(&bh_esc_cg_start, &cgid, &now, BPF_ANY);
	return now;
}

static __always_inline void arm(struct task_struct *t)
{
	struct bh_esc_base *b;
	char comm[BH_COMM_LEN];

	if (!arm_tasks)
		return;
	if (bh_task_mnt_ns(t) == cfg.host_ns[BH_NS_MNT])
		return;
	if (bpf_get_current_cgroup_id() == cfg.root_cgroup_id)
		return;
	bpf_get_current_comm(comm, sizeof(comm));
	if (runtime_comm(comm))
		return;
	b = bpf_task_storage_get(&bh_esc_task, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!b)
		return;
	b->flags = BH_TASK_ARMED;
	b->uid = BPF_CORE_READ(t, cred, euid.val);
	b->cgroup_id = bpf_get_current_cgroup_id();
	b->start_ns = cg_start(b->cgroup_id, bpf_ktime_get_boot_ns());
	b->cap_bset = bh_caps(&((struct cred *)BPF_CORE_READ(t, cred))->cap_bset);
	bh_task_ns(t, b->ns);
	b->reported = 0;
}

/* Inode change time in ns: i_ctime_sec/_nsec (6.11+), __i_ctime (6.6..6.10), i_ctime (older). */
struct inode___610 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___61 {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

static __always_inline __u64 inode_ctime_ns(struct inode *i)
{
	__s64 sec;
	__u64 nsec;

	if (bpf_core_field_exists(i->i_ctime_sec)) {
		sec = BPF_CORE_READ(i, i_ctime_sec);
		nsec = BPF_CORE_READ(i, i_ctime_nsec);
	} else if (bpf_core_field_exists(((struct inode___610 *)i)->__i_ctime)) {
		sec = BPF_CORE_READ((struct inode___610 *)i, __i_ctime.tv_sec);
		nsec = BPF_CORE_READ((struct inode___610 *)i, __i_ctime.tv_nsec);
	} else {
		sec = BPF_CORE_READ((struct inode___61 *)i, i_ctime.tv_sec);
		nsec = BPF_CORE_READ((struct inode___61 *)i, i_ctime.tv_nsec);
	}
	/* multigrain timestamps (6.13+) keep a "queried" flag in the top bit of the nanoseconds */
	nsec &= 0x3fffffff;
	if (nsec >= 1000000000ull)
		nsec = 999999999ull;
	return sec > 0 ? (__u64)sec * 1000000000ull + nsec : 0;
}

static __always_inline bool shell_comm(const char *c)
{
	/* sh, ash, bash, dash, zsh, ksh, busybox; nc, ncat; python*, perl, ruby, php */
	if (c[1] == 's' && c[2] == 'h' && c[3] == 0)
		return true;
	if (c[0] == 's' && c[1] == 'h' && c[2] == 0)
		return true;
	if (c[0] == 'b' && c[1] == 'a' && c[2] == 's' && c[3] == 'h' && c[4] == 0)
		return true;
	if (c[0] == 'b' && c[1] == 'u' && c[2] == 's' && c[3] == 'y')
		return true;
	if (c[0] == 'p' && c[1] == 'y' && c[2] == 't' && c[3] == 'h')
		return true;
	if ((c[0] == 'p' && c[1] == 'e' && c[2] == 'r' && c[3] == 'l') ||
	    (c[0] == 'r' && c[1] == 'u' && c[2] == 'b' && c[3] == 'y') ||
	    (c[0] == 'p' && c[1] == 'h' && c[2] == 'p'))
		return true;
	return false;
}

/* Outcomes, once per lineage each: a host namespace, capabilities, root. */
static __always_inline void check_outcome(struct task_struct *t, struct bh_esc_base *b)
{
	struct bh_esc_event *e;
	__u32 ns[BH_NS_COUNT];
	__u64 caps, extra;
	__u32 euid, i, which = BH_NS_COUNT;

	bh_task_ns(t, ns);
	for (i = 0; i < BH_NS_COUNT; i++) {
		if (ns[i] != b->ns[i] && ns[i] == cfg.host_ns[i]) {
			which = i;
			break;
		}
	}
	if (which < BH_NS_COUNT && !(b->reported & (1u << 0))) {
		b->reported |= 1u << 0;
		e = begin(BH_SIG_NS_ESCAPE, b);
		if (e) {
			e->arg[0] = which;
			e->arg[1] = ns[which & 7];
			e->arg[2] = b->ns[which & 7];
			e->flags |= BH_ESCF_TARGET_HOST;
			kill_if(b, BH_EP_NAMESPACES, e);
			bh_esc_submit(e);
		}
	}
	caps = bh_caps(&((struct cred *)BPF_CORE_READ(t, cred))->cap_effective);
	extra = caps & ~b->cap_bset;
	if (extra && !(b->reported & (1u << 1))) {
		b->reported |= 1u << 1;
		e = begin(BH_SIG_CAP_GAIN, b);
		if (e) {
			e->arg[0] = extra;
			kill_if(b, BH_EP_PRIV_ESCALATION, e);
			bh_esc_submit(e);
		}
	}
	euid = BPF_CORE_READ(t, cred, euid.val);
	if (b->uid && !euid && BPF_CORE_READ(t, cred, uid.val) == 0 && !(b->reported & (1u << 2))) {
		b->reported |= 1u << 2;
		e = begin(BH_SIG_ROOT_GAIN, b);
		if (e) {
			e->arg[0] = b->uid;
			kill_if(b, BH_EP_PRIV_ESCALATION, e);
			bh_esc_submit(e);
		}
	}
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_esc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_esc_base *b = armed(t);
	struct bh_esc_event *e;
	struct file *f;
	struct inode *ino;
	char name[BH_ESC_NAME_MAX];
	char comm[BH_COMM_LEN];
	__u32 uid, euid, zero = 0;
	__u64 caps, *off, ctime;

	if (!b) {
		arm(t);
		return 0;
	}
	f = BPF_CORE_READ(bprm, file);
	ino = BPF_CORE_READ(f, f_inode);
	bh_dentry_name(BPF_CORE_READ(f, f_path.dentry), name);

	/* fileless: a memfd, or a file unlinked before its exec */
	if ((name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' &&
	     name[5] == ':') || BPF_CORE_READ(ino, i_nlink) == 0) {
		e = begin(BH_SIG_FILELESS_EXEC, b);
		if (e) {
			bh_esc_kernel_str(e, 0, BPF_CORE_READ(f, f_path.dentry, d_name.name));
			kill_if(b, BH_EP_FILELESS_EXEC, e);
			bh_esc_submit(e);
		}
		return 0;
	}

	/* set-user-id root, or file capabilities, given to a non-root user */
	uid = BPF_CORE_READ(t, cred, uid.val);
	euid = BPF_CORE_READ(t, cred, euid.val);
	caps = bh_caps(&((struct cred *)BPF_CORE_READ(t, cred))->cap_effective);
	/* file capabilities limited to the network ones (ping's) are not an escalation */
	if (uid != 0 && (euid == 0 || (caps & ~((1ull << 10) | (1ull << 13))))) {
		e = begin(BH_SIG_SUID_EXEC, b);
		if (e) {
			e->arg[0] = uid;
			e->arg[1] = euid;
			e->arg[2] = caps;
			bh_esc_kernel_str(e, 0, BPF_CORE_READ(bprm, filename));
			kill_if(b, BH_EP_SETUID_EXEC, e);
			bh_esc_submit(e);
		}
		b->reported |= 1u << 2;	/* the root this gives is this alert's */
	}

	/* drift: the binary changed after the container started */
	off = bpf_map_lookup_elem(&bh_esc_clock, &zero);
	ctime = inode_ctime_ns(ino);
	if (off && *off && ctime) {
		__u64 start_real = b->start_ns + *off;
		struct bh_file_id fid = {
			.dev = BPF_CORE_READ(ino, i_sb, s_dev), .ino = BPF_CORE_READ(ino, i_ino),
		};

		if (ctime > start_real && !bpf_map_lookup_elem(&bh_esc_built, &fid)) {
			e = begin(BH_SIG_DRIFT_EXEC, b);
			if (e) {
				e->arg[0] = ctime;
				e->arg[1] = start_real;
				bh_esc_kernel_str(e, 0, BPF_CORE_READ(bprm, filename));
				kill_if(b, BH_EP_DRIFT, e);
				bh_esc_submit(e);
			}
		}
	}

	/* a shell whose stdin and stdout are an inet socket */
	bpf_get_current_comm(comm, sizeof(comm));
	if (shell_comm(comm)) {
		__u16 f0 = bh_file_sock_family(bh_fd_file(t, 0));
		__u16 f1 = bh_file_sock_family(bh_fd_file(t, 1));

		if ((f0 == 2 || f0 == 10) && (f1 == 2 || f1 == 10)) {
			e = begin(BH_SIG_SOCKET_SHELL, b);
			if (e) {
				e->arg[1] = f0;
				bh_esc_kernel_str(e, 0, BPF_CORE_READ(bprm, filename));
				kill_if(b, BH_EP_REVERSE_SHELL, e);
				bh_esc_submit(e);
			}
		}
	}
	check_outcome(t, b);
	return 0;
}

/* The namespaces of t that are not its lineage's baseline were made in the container. */
static __always_inline void note_own_ns(struct task_struct *t, const struct bh_esc_base *b)
{
	__u32 ns[BH_NS_COUNT], i;

	bh_task_ns(t, ns);
	for (i = 0; i < BH_NS_COUNT; i++)
		if (ns[i] != b->ns[i] && ns[i] != cfg.host_ns[i])
			bpf_map_update_elem(&bh_esc_own_ns, &ns[i], &b->cgroup_id, BPF_ANY);
}

/* Children inherit their parent's armed state and baseline (threads too). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(bh_esc_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_esc_base *b = armed(t), *c;

	if (!b)
		return 0;
	c = bpf_task_storage_get(&bh_esc_task, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c)
		*c = *b;
	if (BPF_CORE_READ(child, nsproxy) != BPF_CORE_READ(t, nsproxy) ||
	    BPF_CORE_READ(child, cred, user_ns) != BPF_CORE_READ(t, cred, user_ns))
		note_own_ns(child, b);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_unshare")
int bh_esc_unshare_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *t;
	struct bh_esc_base *b;

	if (ctx->ret)
		return 0;
	t = bpf_get_current_task_btf();
	b = armed(t);
	if (b)
		note_own_ns(t, b);
	return 0;
}

/* At load: arm the container tasks that exist already (not the runtime's). */
SEC("iter/task")
int bh_esc_arm_existing(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct bh_esc_base *b;
	char comm[BH_COMM_LEN];

	if (!t || BPF_CORE_READ(t, pid) != BPF_CORE_READ(t, tgid))
		return 0;
	if (bh_task_mnt_ns(t) == cfg.host_ns[BH_NS_MNT] || !BPF_CORE_READ(t, mm))
		return 0;
	BPF_CORE_READ_STR_INTO(&comm, t, comm);
	if (runtime_comm(comm))
		return 0;
	b = bpf_task_storage_get(&bh_esc_task, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!b || (b->flags & BH_TASK_ARMED))
		return 0;
	b->flags = BH_TASK_ARMED;
	b->uid = BPF_CORE_READ(t, cred, euid.val);
	b->cgroup_id = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
	b->start_ns = cg_start(b->cgroup_id, BPF_CORE_READ(t, start_boottime));
	b->cap_bset = bh_caps(&((struct cred *)BPF_CORE_READ(t, cred))->cap_bset);
	bh_task_ns(t, b->ns);
	b->reported = 0;
	return 0;
}

/* ---- mounts ---------------------------------------------------------------- */

/*
 * File systems that hand a container the host's kernel interfaces: a mount of
 * one is killed where enforced. Not cgroup and cgroup2: their danger is in
 * release_agent and cgroup.procs, which are killed (and named) themselves.
 */
static __always_inline bool host_fstype(const char *t)
{
	return (t[0] == 'p' && t[1] == 'r' && t[2] == 'o' && t[3] == 'c' && t[4] == 0) ||
	       (t[0] == 's' && t[1] == 'y' && t[2] == 's' && t[3] == 'f' && t[4] == 's' && t[5] == 0) ||
	       (t[0] == 'd' && t[1] == 'e' && t[2] == 'b' && t[3] == 'u' && t[4] == 'g') ||
	       (t[0] == 't' && t[1] == 'r' && t[2] == 'a' && t[3] == 'c' && t[4] == 'e') ||
	       (t[0] == 'b' && t[1] == 'p' && t[2] == 'f' && t[3] == 0) ||
	       (t[0] == 's' && t[1] == 'e' && t[2] == 'c' && t[3] == 'u' && t[4] == 'r') ||
	       (t[0] == 'd' && t[1] == 'e' && t[2] == 'v' && t[3] == 't' && t[4] == 'm') ||
	       (t[0] == 'c' && t[1] == 'o' && t[2] == 'n' && t[3] == 'f' && t[4] == 'i' && t[5] == 'g') ||
	       (t[0] == 'e' && t[1] == 'f' && t[2] == 'i' && t[3] == 'v');
}

SEC("tracepoint/syscalls/sys_enter_mount")
int bh_esc_mount(struct trace_event_raw_sys_enter *ctx)
{
	struct bh_esc_base *b = armed_current();
	struct bh_esc_event *e;

	if (!b)
		return 0;
	e = begin(BH_SIG_MOUNT, b);
	if (!e)
		return 0;
	e->arg[0] = ctx->args[3];
	bh_esc_user_str(e, 0, (const void *)ctx->args[2]);	/* type */
	bh_esc_user_str(e, 1, (const void *)ctx->args[0]);	/* source */
	if (host_fstype(e->str[0]) || (e->str[1][0] == '/' && e->str[1][1] == 'd' && e->str[1][2] == 'e' &&
				       e->str[1][3] == 'v' && e->str[1][4] == '/' && !(ctx->args[3] & 0x1000)))
		kill_if(b, BH_EP_MOUNT, e);
	return bh_esc_submit(e);
}

SEC("tracepoint/syscalls/sys_enter_umount")
int bh_esc_umount(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_UMOUNT, ctx->args[1], 0, (const void *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_pivot_root")
int bh_esc_pivot_root(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_PIVOT_ROOT, 0, 0, (const void *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_fsopen")
int bh_esc_fsopen(struct trace_event_raw_sys_enter *ctx)
{
	struct bh_esc_base *b = armed_current();
	struct bh_esc_event *e;

	if (!b)
		return 0;
	e = begin(BH_SIG_FSOPEN, b);
	if (!e)
		return 0;
	bh_esc_user_str(e, 0, (const void *)ctx->args[0]);
	if (host_fstype(e->str[0]))
		kill_if(b, BH_EP_MOUNT, e);
	return bh_esc_submit(e);
}

SEC("tracepoint/syscalls/sys_enter_fsmount")
int bh_esc_fsmount(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_FSMOUNT, ctx->id, 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_move_mount")
int bh_esc_move_mount(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_FSMOUNT, ctx->id, 0, (const void *)ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_enter_open_tree")
int bh_esc_open_tree(struct trace_event_raw_sys_enter *ctx)
{
	if (!(ctx->args[2] & 1))	/* OPEN_TREE_CLONE: a new mount to attach */
		return 0;
	return report(BH_SIG_FSMOUNT, ctx->id, 0, (const void *)ctx->args[1]);
}

/* ---- namespaces ------------------------------------------------------------ */

#define BH_NSFS_MAGIC	0x6e736673

SEC("tracepoint/syscalls/sys_enter_setns")
int bh_esc_setns(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_esc_base *b = armed(t);
	struct bh_esc_event *e;
	struct file *f;
	__u32 inum, i;

	if (!b)
		return 0;
	e = begin(BH_SIG_SETNS, b);
	if (!e)
		return 0;
	e->arg[0] = ctx->args[1];
	e->arg[2] = BH_NS_COUNT;
	f = bh_fd_file(t, (long)ctx->args[0]);
	if (f && BPF_CORE_READ(f, f_inode, i_sb, s_magic) == BH_NSFS_MAGIC) {
		inum = BPF_CORE_READ(f, f_inode, i_ino);
		e->arg[1] = inum;
		for (i = 0; i < BH_NS_COUNT; i++) {
			if (inum == cfg.host_ns[i] && inum != b->ns[i]) {
				e->flags |= BH_ESCF_TARGET_HOST;
				e->arg[2] = i;
				break;
			}
			if (inum == b->ns[i]) {
				e->arg[2] = i;
				break;
			}
		}
		if (!(e->flags & BH_ESCF_TARGET_HOST) && e->arg[2] == BH_NS_COUNT) {
			__u64 *own = bpf_map_lookup_elem(&bh_esc_own_ns, &inum);

			if (!own || *own != b->cgroup_id)
				e->flags |= BH_ESCF_TARGET_OTHER;
		}
	} else if (f) {
		e->arg[2] = 0xff;	/* a pidfd: every namespace of that process */
	}
	if (e->flags & (BH_ESCF_TARGET_HOST | BH_ESCF_TARGET_OTHER))
		kill_if(b, BH_EP_NAMESPACES, e);
	return bh_esc_submit(e);
}

SEC("tracepoint/syscalls/sys_enter_unshare")
int bh_esc_unshare(struct trace_event_raw_sys_enter *ctx)
{
	if (!(ctx->args[0] & BH_CLONE_NEW_ANY))
		return 0;
	return report_kill(BH_SIG_UNSHARE, ctx->args[0], 0, NULL,
			   ctx->args[0] & 0x10000000 ? BH_EP_USER_NAMESPACES : -1);
}

SEC("tracepoint/syscalls/sys_enter_clone")
int bh_esc_clone(struct trace_event_raw_sys_enter *ctx)
{
	if (!(ctx->args[0] & BH_CLONE_NEW_ANY))
		return 0;
	return report_kill(BH_SIG_CLONE_NS, ctx->args[0], 0, NULL,
			   ctx->args[0] & 0x10000000 ? BH_EP_USER_NAMESPACES : -1);
}

SEC("tracepoint/syscalls/sys_enter_clone3")
int bh_esc_clone3(struct trace_event_raw_sys_enter *ctx)
{
	__u64 flags = 0;

	if (bpf_probe_read_user(&flags, sizeof(flags), (const void *)ctx->args[0]))
		return 0;
	if (!(flags & BH_CLONE_NEW_ANY))
		return 0;
	return report_kill(BH_SIG_CLONE_NS, flags, 0, NULL, flags & 0x10000000 ? BH_EP_USER_NAMESPACES : -1);
}

/* ---- kernel code, kernel interfaces ----------------------------------------- */

SEC("tracepoint/syscalls/sys_enter_bpf")
int bh_esc_bpf(struct trace_event_raw_sys_enter *ctx)
{
	return report_kill(BH_SIG_BPF, ctx->args[0], 0, NULL, BH_EP_BPF);
}

SEC("tracepoint/syscalls/sys_enter_perf_event_open")
int bh_esc_perf(struct trace_event_raw_sys_enter *ctx)
{
	__u32 type = 0;

	bpf_probe_read_user(&type, sizeof(type), (const void *)ctx->args[0]);
	return report(BH_SIG_PERF_EVENT, type, ctx->args[1], NULL);
}

SEC("tracepoint/syscalls/sys_enter_userfaultfd")
int bh_esc_userfaultfd(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_USERFAULTFD, ctx->args[0], 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_keyctl")
int bh_esc_keyctl(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_KEYCTL, ctx->id, ctx->args[0], NULL);
}

SEC("tracepoint/syscalls/sys_enter_add_key")
int bh_esc_add_key(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_KEYCTL, ctx->id, 0, (const void *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_request_key")
int bh_esc_request_key(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_KEYCTL, ctx->id, 0, (const void *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_io_uring_setup")
int bh_esc_io_uring(struct trace_event_raw_sys_enter *ctx)
{
	return report(BH_SIG_IO_URING, ctx->args[0], 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_init_module")
int bh_esc_init_module(struct trace_event_raw_sys_enter *ctx)
{
	return report_kill(BH_SIG_MODULE, ctx->id, 0, (const void *)ctx->args[2], BH_EP_KERNEL_MODULES);
}

SEC("tracepoint/syscalls/sys_enter_finit_module")
int bh_esc_finit_module(struct trace_event_raw_sys_enter *ctx)
{
	return report_kill(BH_SIG_MODULE, ctx->id, ctx->args[0], (const void *)ctx->args[1], BH_EP_KERNEL_MODULES);
}

SEC("tracepoint/syscalls/sys_enter_kexec_load")
int bh_esc_kexec_load(struct trace_event_raw_sys_enter *ctx)
{
	return report_kill(BH_SIG_MODULE, ctx->id, 0, NULL, BH_EP_KERNEL_MODULES);
}

SEC("tracepoint/syscalls/sys_enter_kexec_file_load")
int bh_esc_kexec_file_load(struct trace_event_raw_sys_enter *ctx)
{
	return report_kill(BH_SIG_MODULE, ctx->id, 0, NULL, BH_EP_KERNEL_MODULES);
}

/* Not in every kernel's BTF (no CONFIG_MODULES on the 6.18 host): a flavour of our own. */
struct trace_event_raw_module_request___bh {
	struct trace_entry ent;
	unsigned long ip;
	bool wait;
	__u32 __data_loc_name;
} __attribute__((preserve_access_index));

/*
 * Kernels without the module syscalls' tracepoints (CONFIG_MODULES off, where
 * they return ENOSYS): the attempt is still an attack. This program sees every
 * syscall, so the loader attaches it only on such kernels.
 */
SEC("raw_tp/sys_enter")
int BPF_PROG(bh_esc_sys_enter, struct pt_regs *regs, long id)
{
	/* x86-64: init_module, finit_module, kexec_load, kexec_file_load */
	if (id != 175 && id != 313 && id != 246 && id != 320)
		return 0;
	return report_kill(BH_SIG_MODULE, (__u64)id, 0, NULL, BH_EP_KERNEL_MODULES);
}

SEC("tracepoint/module/module_request")
int bh_esc_module_request(struct trace_event_raw_module_request___bh *ctx)
{
	struct bh_esc_base *b = armed_current();
	struct bh_esc_event *e;
	unsigned int loc;

	if (!b)
		return 0;
	e = begin(BH_SIG_MODULE_REQUEST, b);
	if (!e)
		return 0;
	loc = BPF_CORE_READ(ctx, __data_loc_name);
	bh_esc_kernel_str(e, 0, (const char *)ctx + (loc & 0xffff));
	return bh_esc_submit(e);
}

#define BH_AF_UNIX	1
#define BH_AF_PACKET	17

/*
 * socket(): a raw packet socket (recon), or a family a container has no use
 * for, whose protocol module the kernel would load on demand ("net-pf-N": the
 * way most protocol exploits get their code into the kernel).
 */
SEC("tracepoint/syscalls/sys_enter_socket")
int bh_esc_socket(struct trace_event_raw_sys_enter *ctx)
{
	__u64 fam = ctx->args[0];

	if (fam == BH_AF_PACKET)
		return report(BH_SIG_PACKET_SOCKET, ctx->args[1], 0, NULL);
	/* unix, inet, inet6, netlink, vsock (40), and AF_UNSPEC */
	if (fam <= 2 || fam == 10 || fam == 16 || fam == 40)
		return 0;
	return report_kill(BH_SIG_MODULE_REQUEST, fam, 1, NULL, BH_EP_KERNEL_MODULES);
}

/* ---- other processes --------------------------------------------------------- */

#define BH_PTRACE_ATTACH	16
#define BH_PTRACE_SEIZE		0x4206

static __always_inline int target_report(__u32 sig, __u64 a0, __u32 pid)
{
	struct bh_esc_base *b = armed_current();
	struct bh_esc_event *e;

	if (!b)
		return 0;
	e = begin(sig, b);
	if (!e)
		return 0;
	e->arg[0] = a0;
	e->target_pid = pid;
	return bh_esc_submit(e);
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int bh_esc_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[0] != BH_PTRACE_ATTACH && ctx->args[0] != BH_PTRACE_SEIZE)
		return 0;
	return target_report(BH_SIG_PTRACE, ctx->args[0], (__u32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_process_vm_writev")
int bh_esc_vm_writev(struct trace_event_raw_sys_enter *ctx)
{
	return target_report(BH_SIG_PROCESS_VM, ctx->id, (__u32)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_process_vm_readv")
int bh_esc_vm_readv(struct trace_event_raw_sys_enter *ctx)
{
	return target_report(BH_SIG_PROCESS_VM, ctx->id, (__u32)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_open_by_handle_at")
int bh_esc_open_by_handle(struct trace_event_raw_sys_enter *ctx)
{
	return report_kill(BH_SIG_OPEN_BY_HANDLE, ctx->args[2], 0, NULL, BH_EP_HOST_PATHS);
}

/* The agent itself: a signal from a container that shares the host's pids is killed first. */
static __always_inline int signal_report(__u32 pid, __u64 sig)
{
	struct bh_esc_base *b;
	struct bh_esc_event *e;

	if (!cfg.agent_tgid || pid != cfg.agent_tgid || !sig)
		return 0;
	b = armed_current();
	if (!b)
		return 0;
	e = begin(BH_SIG_TAMPER, b);
	if (!e || !(e->flags & BH_ESCF_HOSTPID))
		return 0;
	e->arg[0] = sig;
	e->target_pid = pid;
	if (kill_tamper) {
		bpf_send_signal(9);
		e->flags |= BH_ESCF_KILLED;
	}
	return bh_esc_submit(e);
}

SEC("tracepoint/syscalls/sys_enter_kill")
int bh_esc_kill(struct trace_event_raw_sys_enter *ctx)
{
	return signal_report((__u32)ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_tgkill")
int bh_esc_tgkill(struct trace_event_raw_sys_enter *ctx)
{
	return signal_report((__u32)ctx->args[0], ctx->args[2]);
}

/* ---- sockets, file descriptors ------------------------------------------------ */

SEC("tracepoint/syscalls/sys_enter_connect")
int bh_esc_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct bh_esc_base *b;
	struct bh_esc_event *e;
	const char *sa = (const char *)ctx->args[1];
	__u16 family = 0;
	char first = 0;
	long n;
	__u32 i;

	if (bpf_probe_read_user(&family, sizeof(family), sa) || family != BH_AF_UNIX)
		return 0;
	b = armed_current();
	if (!b)
		return 0;
	e = begin(BH_SIG_UNIX_CONNECT, b);
	if (!e)
		return 0;
	bpf_probe_read_user(&first, 1, sa + 2);
	if (first) {
		n = bpf_probe_read_user_str(e->str[0], 109, sa + 2);
	} else {	/* abstract: "@name" */
		e->str[0][0] = '@';
		n = bpf_probe_read_user_str(e->str[0] + 1, 108, sa + 3);
		if (n > 0)
			n++;
	}
	if (n < 6)
		return 0;
	i = (__u32)(n - 1);	/* the length without the NUL */
	if (i > 200)
		return 0;
	/* only sockets named *.sock (docker, containerd, crio, podman, kubelet, shims) */
	if (e->str[0][(i - 5) & 255] != '.' || e->str[0][(i - 4) & 255] != 's' ||
	    e->str[0][(i - 3) & 255] != 'o' || e->str[0][(i - 2) & 255] != 'c' ||
	    e->str[0][(i - 1) & 255] != 'k')
		return 0;
	e->str_len[0] = (__u16)i;
	if (first) {	/* a path socket of a runtime: killed where enforced */
		if (bh_esc_runtime_sock((__u64)(sa + 2)))
			kill_if(b, BH_EP_RUNTIME_SOCKETS, e);
	}
	return bh_esc_submit(e);
}

static __always_inline int dup_report(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *t;
	struct bh_esc_base *b;
	struct bh_esc_event *e;
	__u16 fam;
	char comm[BH_COMM_LEN];

	if (ctx->args[1] > 2)
		return 0;
	t = bpf_get_current_task_btf();
	b = armed(t);
	if (!b)
		return 0;
	/* a shell or an interpreter: servers (httpd, inetd-style) put accepted sockets on stdio too */
	bpf_get_current_comm(comm, sizeof(comm));
	if (!shell_comm(comm))
		return 0;
	fam = bh_file_sock_family(bh_fd_file(t, (long)ctx->args[0]));
	if (fam != 2 && fam != 10)
		return 0;
	e = begin(BH_SIG_DUP_SOCKET, b);
	if (!e)
		return 0;
	e->arg[0] = ctx->args[1];
	e->arg[1] = fam;
	kill_if(b, BH_EP_REVERSE_SHELL, e);
	return bh_esc_submit(e);
}

SEC("tracepoint/syscalls/sys_enter_dup2")
int bh_esc_dup2(struct trace_event_raw_sys_enter *ctx)
{
	return dup_report(ctx);
}

SEC("tracepoint/syscalls/sys_enter_dup3")
int bh_esc_dup3(struct trace_event_raw_sys_enter *ctx)
{
	return dup_report(ctx);
}

/* ---- credentials -------------------------------------------------------------- */

static __always_inline int id_report(struct trace_event_raw_sys_enter *ctx, int nargs)
{
	__u32 a0 = (__u32)ctx->args[0], a1 = (__u32)ctx->args[1], a2 = (__u32)ctx->args[2];
	struct task_struct *t;

	/* asks for id 0 (-1 leaves an id as it is) */
	if (a0 != 0 && (nargs < 2 || a1 != 0) && (nargs < 3 || a2 != 0))
		return 0;
	t = bpf_get_current_task_btf();
	if (BPF_CORE_READ(t, cred, euid.val) == 0)
		return 0;	/* root may become root; dropping to a user is normal */
	return report(BH_SIG_SETUID, ctx->id, 0, NULL);
}

SEC("tracepoint/syscalls/sys_enter_setuid")
int bh_esc_setuid(struct trace_event_raw_sys_enter *ctx) { return id_report(ctx, 1); }
SEC("tracepoint/syscalls/sys_enter_setreuid")
int bh_esc_setreuid(struct trace_event_raw_sys_enter *ctx) { return id_report(ctx, 2); }
SEC("tracepoint/syscalls/sys_enter_setresuid")
int bh_esc_setresuid(struct trace_event_raw_sys_enter *ctx) { return id_report(ctx, 3); }
SEC("tracepoint/syscalls/sys_enter_setgid")
int bh_esc_setgid(struct trace_event_raw_sys_enter *ctx) { return id_report(ctx, 1); }
SEC("tracepoint/syscalls/sys_enter_setregid")
int bh_esc_setregid(struct trace_event_raw_sys_enter *ctx) { return id_report(ctx, 2); }
SEC("tracepoint/syscalls/sys_enter_setresgid")
int bh_esc_setresgid(struct trace_event_raw_sys_enter *ctx) { return id_report(ctx, 3); }

SEC("tracepoint/syscalls/sys_enter_capset")
int bh_esc_capset(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_esc_base *b = armed(t);
	__u32 d[6] = {};	/* two struct __user_cap_data_struct {effective, permitted, inheritable} */
	__u64 asked, permitted;

	if (!b || !ctx->args[1])
		return 0;
	if (bpf_probe_read_user(d, sizeof(d), (const void *)ctx->args[1]))
		bpf_probe_read_user(d, 3 * sizeof(__u32), (const void *)ctx->args[1]);
	asked = (__u64)d[1] | ((__u64)d[4] << 32);
	permitted = bh_caps(&((struct cred *)BPF_CORE_READ(t, cred))->cap_permitted);
	if (!(asked & ~permitted))
		return 0;
	return report(BH_SIG_CAPSET, asked, permitted, NULL);
}

/* ---- devices ------------------------------------------------------------------ */

static __always_inline int mknod_report(__u64 mode, __u64 dev, const void *path)
{
	__u32 fmt = (__u32)mode & BH_S_IFMT;

	if (fmt != BH_S_IFBLK && fmt != BH_S_IFCHR)
		return 0;
	return report(BH_SIG_MKNOD, mode, dev, path);
}

SEC("tracepoint/syscalls/sys_enter_mknod")
int bh_esc_mknod(struct trace_event_raw_sys_enter *ctx)
{
	return mknod_report(ctx->args[1], ctx->args[2], (const void *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_mknodat")
int bh_esc_mknodat(struct trace_event_raw_sys_enter *ctx)
{
	return mknod_report(ctx->args[2], ctx->args[3], (const void *)ctx->args[1]);
}

/* ---- sensitive opens ------------------------------------------------------------
 * The exit sees the opened file itself (symlinks, relative paths, /proc/self
 * resolved): its name in the name table, a block device, /dev/mem. A failed
 * open, or one that reached the /dev/null the runtime masks a path with, is
 * judged by the name it asked for.
 */
#define BH_O_ACCMODE	3
#define BH_O_WRONLY	1
#define BH_O_RDWR	2
#define BH_O_TRUNC	01000
#define BH_O_CREAT	0100
#define BH_MKDEV(ma, mi)	(((ma) << 20) | (mi))

static __always_inline int open_enter(const void *name, __u64 flags)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_open_arg *a;

	if (!armed(t))
		return 0;
	a = bpf_task_storage_get(&bh_esc_open_args, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (a) {
		a->name = (__u64)name;
		a->flags = flags;
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int bh_esc_openat(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((const void *)ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_open")
int bh_esc_open(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((const void *)ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int bh_esc_openat2(struct trace_event_raw_sys_enter *ctx)
{
	__u64 flags = 0;

	bpf_probe_read_user(&flags, sizeof(flags), (const void *)ctx->args[2]);
	return open_enter((const void *)ctx->args[1], flags);
}

/* The protection an open of this kind (and name-table rule) falls under; 31: none. */
static __always_inline __u32 open_protection(__u32 kind, __u32 rule)
{
	if (kind == BH_OPEN_BLOCK || kind == BH_OPEN_MEMDEV || rule == BH_NAME_KCORE)
		return BH_EP_DEVICES;
	switch (rule) {
	case BH_NAME_CORE_PATTERN:
	case BH_NAME_MODPROBE:
	case BH_NAME_UEVENT_HELPER:
	case BH_NAME_SYSRQ:
	case BH_NAME_LD_PRELOAD:
		return BH_EP_HOST_PATHS;
	case BH_NAME_RELEASE_AGENT:
	case BH_NAME_NOTIFY_ON_RELEASE:
		return BH_EP_CGROUP;
	}
	return 31;
}

/* Compilers, linkers and package managers: what they write and the container runs is no drift. */
static __always_inline bool builder_comm(const char *c)
{
	return (c[0] == 'l' && c[1] == 'd' && (c[2] == 0 || c[2] == '.')) ||
	       (c[0] == 'c' && c[1] == 'o' && c[2] == 'l' && c[3] == 'l' && c[4] == 'e' && c[5] == 'c') ||
	       (c[0] == 'l' && c[1] == 'l' && c[2] == 'd' && c[3] == 0) ||
	       (c[0] == 'l' && c[1] == 'i' && c[2] == 'n' && c[3] == 'k' && c[4] == 0) ||
	       (c[0] == 'g' && c[1] == 'o' && c[2] == 0) ||
	       (c[0] == 'r' && c[1] == 'u' && c[2] == 's' && c[3] == 't' && c[4] == 'c') ||
	       (c[0] == 't' && c[1] == 'c' && c[2] == 'c' && c[3] == 0) ||
	       (c[0] == 'd' && c[1] == 'p' && c[2] == 'k' && c[3] == 'g') ||
	       (c[0] == 'a' && c[1] == 'p' && c[2] == 'k' && c[3] == 0) ||
	       (c[0] == 'r' && c[1] == 'p' && c[2] == 'm' && c[3] == 0);
}

static __always_inline int open_exit(long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_esc_name_key k;
	struct bh_open_arg *a, arg;
	struct bh_esc_base *b;
	struct bh_esc_event *e;
	struct file *f;
	__u32 kind = 0, rule = 0, *v, mode, rdev = 0;
	bool write;

	b = armed(t);
	if (!b)
		return 0;
	a = bpf_task_storage_get(&bh_esc_open_args, t, 0, 0);
	if (!a || !a->name)
		return 0;
	arg = *a;
	a->name = 0;
	write = (arg.flags & BH_O_ACCMODE) == BH_O_WRONLY || (arg.flags & BH_O_ACCMODE) == BH_O_RDWR ||
		(arg.flags & BH_O_TRUNC);
	if (ret >= 0) {
		f = bh_fd_file(t, ret);
		if (!f)
			return 0;
		if (write && (arg.flags & BH_O_CREAT)) {
			char comm[BH_COMM_LEN];

			bpf_get_current_comm(comm, sizeof(comm));
			if (builder_comm(comm)) {
				struct bh_file_id fid = {
					.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev),
					.ino = BPF_CORE_READ(f, f_inode, i_ino),
				};
				__u8 one = 1;

				bpf_map_update_elem(&bh_esc_built, &fid, &one, BPF_ANY);
				return 0;
			}
		}
		mode = BPF_CORE_READ(f, f_inode, i_mode) & BH_S_IFMT;
		if (mode == BH_S_IFBLK) {
			kind = BH_OPEN_BLOCK;
			rdev = BPF_CORE_READ(f, f_inode, i_rdev);
		} else if (mode == BH_S_IFCHR) {
			rdev = BPF_CORE_READ(f, f_inode, i_rdev);
			if (rdev == BH_MKDEV(1, 1) || rdev == BH_MKDEV(1, 2) || rdev == BH_MKDEV(1, 4))
				kind = BH_OPEN_MEMDEV;
			else if (rdev == BH_MKDEV(1, 3)) {	/* /dev/null: a masked path? */
				rule = asked_name_rule((const char *)arg.name, &k);
				if (!rule || (k.name[0] == 'n' && k.name[1] == 'u' && k.name[2] == 'l' &&
					      k.name[3] == 'l' && k.name[4] == 0))
					return 0;
				kind = BH_OPEN_MASKED;
			} else {
				return 0;
			}
		} else {
			bh_dentry_name(BPF_CORE_READ(f, f_path.dentry), k.name);
			v = bpf_map_lookup_elem(&bh_esc_names, &k);
			if (!v)
				return 0;
			rule = *v;
			kind = BH_OPEN_NAMED;
		}
	} else if (ret == -1 || ret == -2 || ret == -6 || ret == -13 || ret == -19 || ret == -30) {
		/* EPERM, ENOENT, ENXIO, EACCES, ENODEV, EROFS: an attempt, judged by its name */
		rule = asked_name_rule((const char *)arg.name, &k);
		if (!rule)
			return 0;
		kind = BH_OPEN_NAMED;
	} else {
		return 0;
	}
	if ((rule & BH_NAMEF_WRITE_ONLY) && !write)
		return 0;
	e = begin(BH_SIG_OPEN, b);
	if (!e)
		return 0;
	e->arg[0] = arg.flags;
	e->arg[1] = kind;
	e->arg[2] = rdev;
	e->arg[3] = (__u64)ret;
	e->target_pid = rule & 0xff;
	if (write)
		e->flags |= BH_ESCF_WRITE;
	bh_esc_user_str(e, 0, (const void *)arg.name);
	if (ret >= 0)	/* opened: killed before it can use the descriptor */
		kill_if(b, open_protection(kind, rule & 0xff), e);
	return bh_esc_submit(e);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int bh_esc_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_open")
int bh_esc_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int bh_esc_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* ---- cgroups ----------------------------------------------------------------- */

/* A removed cgroup's id may be given to a new one: forget its start. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(bh_esc_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 id = BPF_CORE_READ(cgrp, kn, id);

	bpf_map_delete_elem(&bh_esc_cg_start, &id);
	bpf_map_delete_elem(&bh_esc_rate, &id);
	return 0;
}

/* A task moved (cgroup.procs, clone3 CLONE_INTO_CGROUP) outside the container's own subtree. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(bh_esc_cgroup_attach, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	struct bh_esc_base *b = armed(bpf_get_current_task_btf());
	struct bh_esc_event *e;
	struct cgroup *c = dst;
	__u32 hier = BPF_CORE_READ(dst, root, hierarchy_id);
	bool inside = false;
	int i;

	if (!b)
		return 0;
	if (!hier) {	/* v2: inside if an ancestor (or itself) is the container's cgroup */
		for (i = 0; i < 16 && c; i++) {
			if (BPF_CORE_READ(c, kn, id) == b->cgroup_id) {
				inside = true;
				break;
			}
			c = (struct cgroup *)BPF_CORE_READ(c, self.parent);
		}
		if (inside)
			return 0;
	} else if (BPF_CORE_READ(dst, level) > 0) {
		return 0;	/* v1 below the root: the runtime's business or the container's own */
	}
	e = begin(BH_SIG_CGROUP_ATTACH, b);
	if (!e)
		return 0;
	e->arg[0] = BPF_CORE_READ(dst, kn, id);
	e->arg[1] = hier;
	e->target_pid = BPF_CORE_READ(task, tgid);
	e->flags |= BPF_CORE_READ(dst, level) == 0 ? BH_ESCF_TARGET_HOST : BH_ESCF_TARGET_OTHER;
	bh_esc_kernel_str(e, 0, path);
	kill_if(b, BH_EP_CGROUP, e);
	return bh_esc_submit(e);
}
