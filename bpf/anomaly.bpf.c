// SPDX-License-Identifier: GPL-2.0
/*
 * Anomaly signals, counted in the kernel per container cgroup, never woken per
 * event: forks (and failed forks), exits, execs, connects (and refused
 * handshakes), distinct ports and destinations per second (bitmap sketches),
 * listens, OOM kills, and the top process (by comm) of forks, execs and
 * connects. The agent reads the maps once a second
 * (userspace/anomaly/counters.c). Rare facts go over bh_anom_rb: OOM victims,
 * new listening ports, a shell on the network, and (only while the agent
 * learns) a container's first connection to each destination.
 *
 * Fork-bomb detection rests on these counters alone, never on process
 * telemetry (whose ring a bomb can fill). The root cgroup is not counted.
 */
#include "lib/bulkhead.bpf.h"
#include <bpf/bpf_endian.h>
#include "abi/anomaly.h"

char LICENSE[] SEC("license") = "GPL";

/* Set at load: send BH_AR_CONNECT records (learning mode, bulkhead advise). */
const volatile bool report_connects = false;
/* Set at load: the inode of the host's network namespace (loopback there is the host's). */
const volatile __u32 host_netns_ino = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, BH_ANOM_CGROUPS);
	__type(key, __u64);			/* cgroup id */
	__type(value, struct bh_anom_counters);
} bh_anom_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BH_ANOM_CGROUPS);
	__type(key, __u64);			/* cgroup id */
	__type(value, struct bh_anom_sketch);
} bh_anom_sketch SEC(".maps");

struct bh_anom_seen_key {
	__u64 cgroup_id;
	__u8 addr[16];
	__u16 port;
	__u16 family;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BH_ANOM_SEEN);
	__type(key, struct bh_anom_seen_key);
	__type(value, __u8);
} bh_anom_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_ANOM_RINGBUF);
} bh_anom_rb SEC(".maps");

struct bh_lost_map bh_anom_lost SEC(".maps");
struct bh_lost_total_map bh_anom_lost_total SEC(".maps");

static const struct bh_anom_counters zero_counters;
static const struct bh_anom_sketch zero_sketch;

static __always_inline struct bh_anom_counters *counters(__u64 cgid)
{
	struct bh_anom_counters *c = bpf_map_lookup_elem(&bh_anom_cnt, &cgid);

	if (c)
		return c;
	bpf_map_update_elem(&bh_anom_cnt, &cgid, &zero_counters, BPF_NOEXIST);
	return bpf_map_lookup_elem(&bh_anom_cnt, &cgid);
}

static __always_inline struct bh_anom_sketch *sketch(__u64 cgid)
{
	struct bh_anom_sketch *s = bpf_map_lookup_elem(&bh_anom_sketch, &cgid);

	if (s)
		return s;
	bpf_map_update_elem(&bh_anom_sketch, &cgid, &zero_sketch, BPF_NOEXIST);
	return bpf_map_lookup_elem(&bh_anom_sketch, &cgid);
}

/* The current task's cgroup, or 0 for the root cgroup (not counted). */
static __always_inline __u64 current_cgroup(void)
{
	__u64 id = bpf_get_current_cgroup_id();

	return id > 1 ? id : 0;
}

static __always_inline void count(__u64 cgid, int which)
{
	struct bh_anom_counters *c;

	if (!cgid || which < 0 || which >= BH_AC_COUNT)
		return;
	c = counters(cgid);
	if (c)
		c->v[which] += 1;	/* per-CPU: no atomic needed */
}

/* Boyer-Moore majority vote on comm: the top process of a metric. */
static __always_inline void top_vote(__u64 cgid, int k, __u32 pid)
{
	struct bh_anom_sketch *s;
	struct bh_anom_top_slot *t;
	char comm[BH_COMM_LEN] = {};

	if (!cgid || k < 0 || k >= BH_TOP_COUNT)
		return;
	s = sketch(cgid);
	if (!s)
		return;
	bpf_get_current_comm(comm, sizeof(comm));
	t = &s->top[k];
	if (*(__u64 *)&t->comm[0] == *(__u64 *)&comm[0] &&
	    *(__u64 *)&t->comm[8] == *(__u64 *)&comm[8]) {
		t->weight += 1;
		t->pid = pid;
	} else if (t->weight <= 0) {
		__builtin_memcpy(t->comm, comm, sizeof(comm));
		t->pid = pid;
		t->weight = 1;
	} else {
		t->weight -= 1;
	}
}

static __always_inline __u32 hash32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

/* Set the bits of (port, destination) in the sketch slot of this second. */
static __always_inline void sketch_mark(__u64 cgid, __u16 port, __u32 addr_hash)
{
	struct bh_anom_sketch *s = sketch(cgid);
	__u64 sec = bpf_ktime_get_boot_ns() / 1000000000ull;
	__u32 i = sec & 1, pb, db;

	if (!s)
		return;
	if (s->sec[i] != sec) {
		/* First writer of a new second: clear its slot (a racing writer's
		 * bit may be lost; the sketch is an estimate). */
		for (int w = 0; w < BH_ANOM_PORT_BITS / 64; w++)
			s->ports[i][w] = 0;
		for (int w = 0; w < BH_ANOM_DEST_BITS / 64; w++)
			s->dests[i][w] = 0;
		s->sec[i] = sec;
	}
	pb = hash32(port) % BH_ANOM_PORT_BITS;
	db = hash32(addr_hash) % BH_ANOM_DEST_BITS;
	__sync_fetch_and_or(&s->ports[i][pb / 64], 1ull << (pb % 64));
	__sync_fetch_and_or(&s->dests[i][db / 64], 1ull << (db % 64));
}

/* comm is one of the usual shells. */
static __always_inline bool is_shell(const char *c)
{
	/* sh bash dash ash zsh ksh mksh csh tcsh fish */
	if (c[0] == 's' && c[1] == 'h' && !c[2])
		return true;
	if (c[0] == 'b' && c[1] == 'a' && c[2] == 's' && c[3] == 'h' && !c[4])
		return true;
	if (c[0] == 'd' && c[1] == 'a' && c[2] == 's' && c[3] == 'h' && !c[4])
		return true;
	if (c[0] == 'a' && c[1] == 's' && c[2] == 'h' && !c[3])
		return true;
	if ((c[0] == 'z' || c[0] == 'k' || c[0] == 'c') && c[1] == 's' && c[2] == 'h' && !c[3])
		return true;
	if ((c[0] == 'm' || c[0] == 't') && c[1] != 0 && c[2] == 's' && c[3] == 'h' && !c[4] &&
	    ((c[0] == 'm' && c[1] == 'k') || (c[0] == 't' && c[1] == 'c')))
		return true;
	if (c[0] == 'f' && c[1] == 'i' && c[2] == 's' && c[3] == 'h' && !c[4])
		return true;
	return false;
}

static __always_inline struct bh_anom_event *reserve(__u64 cgid)
{
	struct bh_anom_event *e = bpf_ringbuf_reserve(&bh_anom_rb, sizeof(*e), 0);

	if (!e) {
		bh_count_lost(&bh_anom_lost, &bh_anom_lost_total, cgid);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	bh_fill_hdr(&e->hdr, BH_EV_ANOMALY, bpf_get_current_task_btf());
	return e;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(bh_anom_fork, struct task_struct *parent, struct task_struct *child)
{
	__u64 cgid = current_cgroup();

	if (!cgid || child->pid != child->tgid)
		return 0;	/* a thread, or the host */
	count(cgid, BH_AC_FORKS);
	top_vote(cgid, BH_TOP_FORK, parent->tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(bh_anom_exit, struct task_struct *task)
{
	__u64 cgid = current_cgroup();

	/* signal->live reaches 0 (before this tracepoint) when the last thread exits. */
	if (cgid && BPF_CORE_READ(task, signal, live.counter) == 0)
		count(cgid, BH_AC_EXITS);
	return 0;
}

/* Fork failures: at pids.max a bomb's forks fail with EAGAIN, and few succeed. */
static __always_inline int fork_exit(long ret)
{
	if (ret < 0)
		count(current_cgroup(), BH_AC_FORK_FAIL);
	return 0;
}

SEC("tp/syscalls/sys_exit_clone")
int bh_anom_clone_exit(struct trace_event_raw_sys_exit *ctx) { return fork_exit(ctx->ret); }
SEC("tp/syscalls/sys_exit_clone3")
int bh_anom_clone3_exit(struct trace_event_raw_sys_exit *ctx) { return fork_exit(ctx->ret); }
SEC("tp/syscalls/sys_exit_fork")
int bh_anom_fork_exit(struct trace_event_raw_sys_exit *ctx) { return fork_exit(ctx->ret); }
SEC("tp/syscalls/sys_exit_vfork")
int bh_anom_vfork_exit(struct trace_event_raw_sys_exit *ctx) { return fork_exit(ctx->ret); }

/* The inet socket behind fd of task's files, or NULL. */
static __always_inline struct sock *fd_inet_sock(struct task_struct *task, int fd)
{
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *f = NULL;
	struct socket *so;
	struct sock *sk;
	umode_t mode;
	__u16 fam;

	if (!fds || fd < 0 || (unsigned int)fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return NULL;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & 00170000) != 0140000)	/* S_IFSOCK */
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(so, sk);
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	return fam == 2 || fam == 10 ? sk : NULL;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_anom_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cgid = current_cgroup();
	struct bh_anom_event *e;
	char comm[BH_COMM_LEN] = {};
	struct sock *sk = NULL;
	int fd;

	if (!cgid)
		return 0;
	count(cgid, BH_AC_EXECS);
	top_vote(cgid, BH_TOP_EXEC, p->tgid);
	bpf_get_current_comm(comm, sizeof(comm));
	if (!is_shell(comm))
		return 0;
	/* A shell started with a network socket as its stdin, stdout or stderr. */
	for (fd = 0; fd < 3; fd++) {
		sk = fd_inet_sock(p, fd);
		if (sk)
			break;
	}
	if (!sk)
		return 0;
	e = reserve(cgid);
	if (!e)
		return 0;
	e->rec = BH_AR_SHELL_NET;
	e->fd = fd;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family) == 10 ? 6 : 4;
	e->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == 4) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(e->addr, &a, 4);
	} else {
		BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
	return 0;
}

struct bh_sockaddr {
	__u16 family;
	__u16 port;		/* network order */
	__u32 v4_or_flow;	/* sin_addr, or sin6_flowinfo */
	__u8 v6[16];		/* sin6_addr */
	__u32 scope;
};

SEC("tp/syscalls/sys_enter_connect")
int bh_anom_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 cgid = current_cgroup();
	struct bh_anom_seen_key k = {};
	struct bh_sockaddr sa = {};
	struct bh_anom_event *e;
	char comm[BH_COMM_LEN] = {};
	const void *uaddr = (const void *)ctx->args[1];
	long len = (long)ctx->args[2];
	__u32 h;
	bool shell;

	if (!cgid || len < 8)
		return 0;
	if (bpf_probe_read_user(&sa, 8, uaddr))
		return 0;
	if (sa.family == 10 && len >= 24 && bpf_probe_read_user(&sa, 24, uaddr))
		return 0;
	if (sa.family != 2 && sa.family != 10)
		return 0;
	count(cgid, BH_AC_CONNECTS);
	top_vote(cgid, BH_TOP_CONNECT, bpf_get_current_pid_tgid() >> 32);
	k.cgroup_id = cgid;
	k.port = bpf_ntohs(sa.port);
	if (sa.family == 2) {
		k.family = 4;
		__builtin_memcpy(k.addr, &sa.v4_or_flow, 4);
		h = sa.v4_or_flow;
	} else {
		k.family = 6;
		__builtin_memcpy(k.addr, sa.v6, 16);
		h = *(__u32 *)&sa.v6[0] ^ *(__u32 *)&sa.v6[4] ^ hash32(*(__u32 *)&sa.v6[8]) ^
		    hash32(*(__u32 *)&sa.v6[12] + 1);
	}
	sketch_mark(cgid, k.port, h);

	bpf_get_current_comm(comm, sizeof(comm));
	shell = is_shell(comm);
	if (!shell) {
		__u8 one = 1;

		if (!report_connects || bpf_map_lookup_elem(&bh_anom_seen, &k))
			return 0;
		bpf_map_update_elem(&bh_anom_seen, &k, &one, BPF_ANY);
	}
	e = reserve(cgid);
	if (!e)
		return 0;
	e->rec = shell ? BH_AR_SHELL_NET : BH_AR_CONNECT;
	e->fd = 255;
	e->family = k.family;
	e->port = k.port;
	__builtin_memcpy(e->addr, k.addr, 16);
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
	return 0;
}

/* The cgroup v2 id of a socket's owner (runs in softirq for handshakes). */
static __always_inline __u64 sock_cgroup(const struct sock *sk)
{
	__u64 id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);

	return id > 1 ? id : 0;
}

/* The socket's peer is a loopback address (127/8, ::1, or ::ffff:127/104). */
static __always_inline bool is_loopback(const struct sock *sk)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u8 a[16] = {};

	if (fam == 2)
		return (bpf_ntohl(BPF_CORE_READ(sk, __sk_common.skc_daddr)) >> 24) == 127;
	if (fam != 10)
		return false;
	BPF_CORE_READ_INTO(&a, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	if (a[10] == 0xff && a[11] == 0xff)
		return a[12] == 127;
	return !a[10] && !a[11] && !a[12] && !a[13] && !a[14] && a[15] == 1;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(bh_anom_sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct bh_anom_event *e;
	__u64 cgid;

	if (oldstate == TCP_SYN_SENT && newstate == TCP_CLOSE) {
		count(sock_cgroup(sk), BH_AC_CONNECT_FAIL);	/* refused or timed out */
		return 0;
	}
	if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED) {
		/* Answered: on loopback of a network namespace that is not the host's,
		 * the listener is the container's (or its pod's) own. */
		if (host_netns_ino && BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != host_netns_ino &&
		    is_loopback(sk))
			count(sock_cgroup(sk), BH_AC_CONNECT_LOCAL);
		return 0;
	}
	if (newstate != TCP_LISTEN)
		return 0;
	cgid = current_cgroup();	/* listen(): process context */
	if (!cgid)
		return 0;
	count(cgid, BH_AC_LISTENS);
	e = reserve(cgid);
	if (!e)
		return 0;
	e->rec = BH_AR_LISTEN;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family) == 10 ? 6 : 4;
	e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
	return 0;
}

/* The OOM killer chose a victim: in a memory cgroup OOM the task that ran
 * into the limit (current) is in the victim's container. */
SEC("tp/oom/mark_victim")
int bh_anom_oom(struct trace_event_raw_mark_victim *ctx)
{
	__u64 cgid = current_cgroup();
	struct bh_anom_event *e;

	if (!cgid)
		return 0;
	count(cgid, BH_AC_OOM_KILLS);
	e = reserve(cgid);
	if (!e)
		return 0;
	e->rec = BH_AR_OOM;
	e->hdr.pid = ctx->pid;		/* the victim; comm below when the kernel says */
	e->hdr.tid = ctx->pid;
	if (bpf_core_field_exists(ctx->__data_loc_comm)) {
		__u32 off = BPF_CORE_READ(ctx, __data_loc_comm) & 0xffff;

		__builtin_memset(e->hdr.comm, 0, sizeof(e->hdr.comm));
		bpf_probe_read_kernel_str(e->hdr.comm, sizeof(e->hdr.comm), (void *)ctx + off);
	}
	if (bpf_core_field_exists(ctx->anon_rss))
		e->value = BPF_CORE_READ(ctx, anon_rss) + BPF_CORE_READ(ctx, file_rss) +
			   BPF_CORE_READ(ctx, shmem_rss);
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
	return 0;
}
