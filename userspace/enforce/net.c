// SPDX-License-Identifier: GPL-2.0
/* Network enforcement: loader, pinned links, counters, event decoding. See net.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/map_util.h"
#include "enforce/net.h"
#include "net.skel.h"
#include "net_fast.skel.h"

#define NET_MAX_PROGS 16

struct net_enf {
	struct net_bpf *skel;
	struct net_fast_bpf *fast;	/* the helper-free cgroup_skb programs, if they load */
	struct enforce *e;
	struct bpf_link *links[NET_MAX_PROGS];
	int nlinks;
	struct net_maps maps;
	int ncpus;
};

struct net_maps *net_maps_of(struct net_enf *n)
{
	return &n->maps;
}

/*
 * The core clears a generation when a transaction opens (the policy is about
 * to change), after a commit and on an abort: new epoch each time. Together
 * with the generation flip itself (part of the stamp) no memoized verdict of
 * the old policy survives a swap.
 */
static int clear_gen_cb(void *ctx, uint32_t gen)
{
	struct net_enf *n = ctx;
	int err = enforce_bump_epoch(n->e), r;

	if (err)
		log_warn("net: new policy epoch: %s", strerror(-err));
	if (n->maps.retain)
		return err;	/* the writer keeps both generations and writes only what differs */
	r = net_clear_gen(&n->maps, gen);
	return r ? r : err;
}

static int reset_slot_cb(void *ctx, uint32_t slot)
{
	struct net_enf *n = ctx;
	size_t sz = sizeof(struct bh_net_counters) * (size_t)n->ncpus;
	void *zero = calloc(1, sz);
	int err = 0;

	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(n->skel->maps.bh_net_stats), &slot, zero, BPF_ANY))
		err = -errno;
	free(zero);
	/* Sockets that outlived the slot's previous container must stop counting
	 * in it: they decide again (their cgroup has no entry any more). */
	if (!err)
		err = enforce_bump_epoch(n->e);
	return err;
}

/*
 * Attach prog under the cgroup, or adopt the link a previous agent pinned:
 * replace its program atomically (BPF_LINK_UPDATE), so enforcement never
 * lapses across a restart. Returns 1 adopted, 0 attached, -errno.
 */
static int attach_one(struct net_enf *n, struct bpf_program *prog, int cgfd, uint64_t cgid,
		      struct bpf_link **out)
{
	char path[PATH_MAX];
	struct bpf_link *l;
	int err;

	err = enforce_link_path(n->e, bpf_program__name(prog), path, sizeof(path));
	if (err)
		return err;
	l = access(path, F_OK) ? NULL : bpf_link__open(path);
	if (l) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len) &&
		    info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id == cgid &&
		    !bpf_link__update_program(l, prog)) {
			*out = l;
			return 1;
		}
		/* Pinned for another cgroup (or a cgroup that is gone): replace. */
		log_info("net: %s: the pinned link is for cgroup %llu, not %llu: detaching it",
			 bpf_program__name(prog), (unsigned long long)info.cgroup.cgroup_id,
			 (unsigned long long)cgid);
		enforce_link_close(l, true);
	}
	l = bpf_program__attach_cgroup(prog, cgfd);
	if (!l)
		return -errno;
	err = bpf_link__pin(l, path);
	if (err) {
		bpf_link__destroy(l);
		return err;
	}
	*out = l;
	return 0;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}


/*
 * The cgroup_skb programs whose fast path needs no helper call
 * (bpf/net_fast.bpf.c), if this kernel loads them: it needs kfuncs that older
 * kernels lack, and the answer is this load. Quiet: a kernel that refuses is
 * no error, its packets take the helper path of net.bpf.c.
 */
static struct net_fast_bpf *open_fast(struct net_enf *n, const struct bpf_object_open_opts *oo)
{
	struct net_fast_bpf *f = net_fast_bpf__open_opts(oo);
	libbpf_print_fn_t prev;
	int r;

	if (!f) {
		log_info("net: packets take the helper path (cannot open the fast path's object: %s)",
			 strerror(errno));
		return NULL;
	}
	f->rodata->wakeup_bytes = n->skel->rodata->wakeup_bytes;
	f->rodata->events_per_sec = n->skel->rodata->events_per_sec;
	f->rodata->agg_ns = n->skel->rodata->agg_ns;
	f->rodata->memo_read = n->skel->rodata->memo_read;
	/* Its .data.bh_active_gen, .data.bh_policy_epoch and .bss are the pinned
	 * maps bh_active_gen, bh_policy_epoch, bh_net_memo (bpf/lib/net.bpf.h): reuse
	 * them, or the object must not load. */
	r = enforce_alias_map(f->maps.data_bh_active_gen, oo->pin_root_path, "bh_active_gen");
	if (!r)
		r = enforce_alias_map(f->maps.data_bh_policy_epoch, oo->pin_root_path, "bh_policy_epoch");
	/* .bss must be the memo table and nothing else */
	if (!r && bpf_map__value_size(f->maps.bss) != sizeof(struct bh_net_memo_table))
		r = -EINVAL;
	if (!r)
		r = enforce_alias_map(f->maps.bss, oo->pin_root_path, "bh_net_memo");
	if (r) {
		log_warn("net: packets take the helper path (the fast path's maps: %s)", strerror(-r));
		net_fast_bpf__destroy(f);
		return NULL;
	}
	prev = libbpf_set_print(quiet_print);
	r = net_fast_bpf__load(f);
	libbpf_set_print(prev);
	if (r) {
		log_info("net: packets take the helper path (this kernel does not load the helper-free "
			 "fast path: %s)", strerror(-r));
		net_fast_bpf__destroy(f);
		return NULL;
	}
	log_debug("net: cgroup_skb programs with the helper-free fast path");
	return f;
}

/* A cgroup_skb program of net.bpf.c: net_fast.bpf.c has its own when it loads. */
static bool is_skb_prog(const struct bpf_program *p)
{
	enum bpf_attach_type t = bpf_program__expected_attach_type(p);

	return t == BPF_CGROUP_INET_EGRESS || t == BPF_CGROUP_INET_INGRESS;
}

bool net_fast_path(const struct net_enf *n)
{
	return n->fast != NULL;
}

struct net_enf *net_open(struct enforce *e, const struct net_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct enforce_feature feat = { .name = "net", .clear_gen = clear_gen_cb,
					.reset_slot = reset_slot_cb };
	struct bpf_program *prog;
	struct net_enf *n;
	int r, cgfd = -1, adopted = 0;
	struct stat st;

	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "net: out of memory");
		return NULL;
	}
	n->e = e;
	n->ncpus = libbpf_num_possible_cpus();
	oo.pin_root_path = enforce_pin_dir(e);
	oo.btf_custom_path = o->btf_path;
	n->skel = net_bpf__open_opts(&oo);
	if (!n->skel) {
		snprintf(err, errlen, "net: cannot open BPF object: %s", strerror(errno));
		goto fail;
	}
	if (o->wakeup_bytes)
		n->skel->rodata->wakeup_bytes = o->wakeup_bytes < BH_NET_RINGBUF / 4 ?
						o->wakeup_bytes : BH_NET_RINGBUF / 4;
	else
		n->skel->rodata->wakeup_bytes = BH_NET_RINGBUF / 4;
	if (o->events_per_sec)
		n->skel->rodata->events_per_sec = o->events_per_sec;
	n->skel->rodata->memo_read = !o->memo_off;
	r = net_bpf__load(n->skel);
	if (r) {
		snprintf(err, errlen, "net: cannot load the network programs: %s (pinned maps under %s "
			 "from another version? 'bulkhead unload' removes them; 'bulkhead probe' shows "
			 "what this kernel lacks)", strerror(-r), enforce_pin_dir(e));
		goto fail;
	}
	/* After net.bpf.c: the maps it aliases are pinned by now. */
	if (!o->helper_path)
		n->fast = open_fast(n, &oo);
	n->maps.cidr4 = bpf_map__fd(n->skel->maps.bh_net_cidr4);
	n->maps.cidr6 = bpf_map__fd(n->skel->maps.bh_net_cidr6);
	n->maps.ports = bpf_map__fd(n->skel->maps.bh_net_ports);
	feat.ctx = n;
	if (enforce_register(e, &feat)) {
		snprintf(err, errlen, "net: cannot register with the enforcement core");
		goto fail;
	}
	if (!o->attach_cgroup)
		return n;

	cgfd = open(o->attach_cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0 || fstat(cgfd, &st)) {
		snprintf(err, errlen, "net: attach cgroup %s: %s", o->attach_cgroup, strerror(errno));
		goto fail;
	}
	for (int k = 0; k < 2; k++) {
		struct bpf_object *obj = k ? (n->fast ? n->fast->obj : NULL) : n->skel->obj;

		if (!obj)
			continue;
		bpf_object__for_each_program(prog, obj) {
			if (n->nlinks == NET_MAX_PROGS || (!k && n->fast && is_skb_prog(prog)))
				continue;
			r = attach_one(n, prog, cgfd, st.st_ino, &n->links[n->nlinks]);
			if (r < 0) {
				snprintf(err, errlen, "net: cannot attach %s under %s: %s",
					 bpf_program__name(prog), o->attach_cgroup, strerror(-r));
				goto fail;
			}
			adopted += r;
			n->nlinks++;
		}
	}
	close(cgfd);
	if (adopted)
		log_info("net: re-adopted %d pinned links under %s (programs replaced in place)",
			 adopted, o->attach_cgroup);
	return n;
fail:
	if (cgfd >= 0)
		close(cgfd);
	net_close(n, false);
	return NULL;
}

void net_close(struct net_enf *n, bool detach)
{
	if (!n)
		return;
	for (int i = 0; i < n->nlinks; i++)
		enforce_link_close(n->links[i], detach);
	net_fast_bpf__destroy(n->fast);
	net_bpf__destroy(n->skel);
	free(n);
}

int net_ringbuf_fd(const struct net_enf *n)
{
	return bpf_map__fd(n->skel->maps.bh_net_rb);
}

int net_links(const struct net_enf *n)
{
	return n->nlinks;
}

int net_prog_fd(const struct net_enf *n, const char *name)
{
	struct bpf_program *p = NULL;

	if (n->fast)
		p = bpf_object__find_program_by_name(n->fast->obj, name);
	if (!p)
		p = bpf_object__find_program_by_name(n->skel->obj, name);
	return p ? bpf_program__fd(p) : -ENOENT;
}

int net_counters(const struct net_enf *n, uint32_t slot, struct bh_net_counters *sum)
{
	struct bh_net_counters *v;
	int err = 0;

	memset(sum, 0, sizeof(*sum));
	if (n->ncpus <= 0 || !slot || slot >= BH_MAX_SLOTS)
		return -EINVAL;
	v = calloc((size_t)n->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(n->skel->maps.bh_net_stats), &slot, v)) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < n->ncpus; c++) {
		for (int d = 0; d < 2; d++)
			for (int k = 0; k < 2; k++) {
				sum->packets[d][k] += v[c].packets[d][k];
				sum->bytes[d][k] += v[c].bytes[d][k];
			}
		sum->connects += v[c].connects;
		sum->sock_denied += v[c].sock_denied;
		sum->audited += v[c].audited;
		sum->events_suppressed += v[c].events_suppressed;
	}
out:
	free(v);
	return err;
}

uint64_t net_lost(const struct net_enf *n)
{
	uint32_t key = BH_LOST_RINGBUF_FULL;
	uint64_t sum;

	map_percpu_sum(bpf_map__fd(n->skel->maps.bh_net_lost_total), &key, n->ncpus, &sum);
	return sum;
}

/* ---- events ------------------------------------------------------------------- */

int net_decode(const void *data, size_t size, struct event *ev, uint32_t *gen)
{
	const struct bh_net_event *e = data;

	if (size != sizeof(*e) || e->hdr.kind != BH_EV_NET || (e->family != 4 && e->family != 6) ||
	    e->dir > BH_DIR_INGRESS || e->hook > BH_HOOK_BIND ||
	    (e->action != BH_NET_ACT_DENY && e->action != BH_NET_ACT_AUDIT))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->kind = EVENT_NET;
	ev->action = e->action == BH_NET_ACT_AUDIT ? ACTION_AUDIT : ACTION_DENY;
	ev->time_ns = clock_boot_to_real_ns(e->hdr.ts_boot_ns);
	ev->proc.pid = e->hdr.pid;
	ev->proc.tid = e->hdr.tid;
	ev->proc.uid = e->hdr.uid;
	ev->proc.gid = e->hdr.gid;
	memcpy(ev->proc.comm, e->hdr.comm, BH_COMM_LEN);
	ev->proc.comm[BH_COMM_LEN] = '\0';
	ev->net.family = e->family;
	ev->net.proto = e->proto;
	ev->net.dir = e->dir;
	ev->net.hook = e->hook;
	ev->net.held = !!e->held;
	memcpy(ev->net.raddr, e->raddr, 16);
	memcpy(ev->net.laddr, e->laddr, 16);
	if (e->family == 4) {	/* only [0..3] are meaningful */
		memset(ev->net.raddr + 4, 0, 12);
		memset(ev->net.laddr + 4, 0, 12);
	}
	ev->net.rport = e->rport;
	ev->net.lport = e->lport;
	ev->net.count = 1;	/* net_account() says how many */
	ev->net.policy_id = e->policy_id;
	ev->net.ref = e->ref;
	if (gen)
		*gen = e->gen & 1;
	return 0;
}

/* The aggregate key of a record, as report() in bpf/lib/net.bpf.h builds it. */
static void agg_key_of(const struct bh_net_event *e, struct bh_net_agg_key *k)
{
	memset(k, 0, sizeof(*k));
	k->cgroup_id = e->hdr.cgroup_id;
	memcpy(k->addr, e->raddr, 16);
	k->port = e->dir == BH_DIR_EGRESS ? e->rport : e->lport;
	k->family = e->family;
	k->proto = e->proto;
	k->dir = e->dir;
	k->action = e->action;
}

/*
 * What a slot holds beyond what was reported: the slot's totals minus seen,
 * or all of it if the slot restarted (evicted from the LRU and made anew).
 * Moves seen to the totals. 0 when there is nothing new.
 */
static uint64_t account(struct bh_net_agg_seen *seen, uint64_t count, uint64_t bytes, uint64_t *dbytes)
{
	uint64_t d;

	if (count < seen->count) {	/* a new slot under the same key */
		seen->count = 0;
		seen->bytes = 0;
	}
	d = count - seen->count;
	*dbytes = bytes >= seen->bytes ? bytes - seen->bytes : bytes;
	seen->count = count;
	seen->bytes = bytes;
	return d;
}

static uint32_t clamp32(uint64_t v)
{
	return v > 0xffffffffull ? 0xffffffffu : (uint32_t)v;
}

int net_account(struct net_enf *n, const void *data, struct event *ev)
{
	const struct bh_net_event *e = data;
	int fd = bpf_map__fd(n->skel->maps.bh_net_agg_seen);
	struct bh_net_agg_key k;
	struct bh_net_agg_seen *seen;
	uint64_t d, dbytes;

	if (n->ncpus <= 0 || e->cpu >= (uint32_t)n->ncpus)
		return 1;	/* cannot account: report it as one */
	seen = calloc((size_t)n->ncpus, sizeof(*seen));
	if (!seen)
		return 1;
	agg_key_of(e, &k);
	if (bpf_map_lookup_elem(fd, &k, seen))
		memset(seen, 0, (size_t)n->ncpus * sizeof(*seen));
	d = account(&seen[e->cpu], e->count_total, e->bytes_total, &dbytes);
	if (d)
		bpf_map_update_elem(fd, &k, seen, BPF_ANY);
	free(seen);
	ev->net.count = clamp32(d);
	ev->net.bytes = dbytes;
	return d != 0;
}

int net_sweep(struct net_enf *n, net_sweep_fn fn, void *ctx)
{
	int fd = bpf_map__fd(n->skel->maps.bh_net_agg), sfd = bpf_map__fd(n->skel->maps.bh_net_agg_seen);
	struct bh_net_agg_key key, next;
	struct bh_net_agg_seen *seen;
	struct bh_net_agg *v;
	struct timespec ts;
	int first = 1, emitted = 0;
	uint64_t now;

	if (n->ncpus <= 0)
		return 0;
	v = calloc((size_t)n->ncpus, sizeof(*v));
	seen = calloc((size_t)n->ncpus, sizeof(*seen));
	if (!v || !seen) {
		free(v);
		free(seen);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		int dirty = 0;

		first = 0;
		key = next;
		if (bpf_map_lookup_elem(fd, &next, v))
			continue;
		if (bpf_map_lookup_elem(sfd, &next, seen))
			memset(seen, 0, (size_t)n->ncpus * sizeof(*seen));
		for (int c = 0; c < n->ncpus; c++) {
			struct event ev;
			uint64_t d, dbytes;

			/* A slot the kernel reports itself soon, or has nothing new: not yet. */
			if (v[c].count == seen[c].count || now - v[c].last_ns < n->skel->rodata->agg_ns)
				continue;
			d = account(&seen[c], v[c].count, v[c].bytes, &dbytes);
			dirty = 1;
			if (!d)
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.kind = EVENT_NET;
			ev.action = next.action == BH_NET_ACT_AUDIT ? ACTION_AUDIT : ACTION_DENY;
			ev.time_ns = clock_real_now_ns();
			ev.net.family = next.family;
			ev.net.proto = next.proto;
			ev.net.dir = next.dir;
			ev.net.hook = v[c].hook <= BH_HOOK_BIND ? v[c].hook : 0;
			ev.net.held = !!v[c].held;
			memcpy(ev.net.raddr, next.addr, 16);
			if (next.dir == BH_DIR_EGRESS)
				ev.net.rport = next.port;
			else
				ev.net.lport = next.port;
			ev.net.count = clamp32(d);
			ev.net.bytes = dbytes;
			ev.net.policy_id = v[c].policy_id;
			ev.net.ref = v[c].ref;
			fn(ctx, &ev, next.cgroup_id, v[c].gen & 1);
			emitted++;
		}
		if (dirty)
			bpf_map_update_elem(sfd, &next, seen, BPF_ANY);
	}
	/* Accounts of keys the LRU has dropped go too (the map is as large as the aggregate's). */
	first = 1;
	while (!bpf_map_get_next_key(sfd, first ? NULL : &key, &next)) {
		if (bpf_map_lookup_elem(fd, &next, v) && errno == ENOENT) {
			bpf_map_delete_elem(sfd, &next);
			continue;	/* from the same place: the walk goes on after the deleted key */
		}
		key = next;
		first = 0;
	}
	free(v);
	free(seen);
	return emitted;
}
