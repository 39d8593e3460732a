// SPDX-License-Identifier: GPL-2.0
/* The agent's enforcement side: policy set -> generations -> containers. See policy_engine.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "pipeline/sink.h"
#include "enforce/enforce.h"
#include "enforce/file.h"
#include "enforce/guard.h"
#include "enforce/lowered.h"
#include "lib/log.h"
#include "enforce/net.h"
#include "policy/policy.h"
#include "enforce/policy_engine.h"
#include "attrib/registry.h"

#define WALK_MAX_DIRS	 BH_MAX_CONTAINERS
#define WALK_MAX_DEPTH	 32
#define PENDING_MAX	 1024
#define SETTLE_NS	 (5ull * 1000000000ull)	/* give a new cgroup's runtime state this long */
#define SWEEP_EVERY_NS	 (2ull * 1000000000ull)
#define REPORT_EVERY_NS	 (10ull * 1000000000ull)

struct pending {
	uint64_t id;
	uint64_t deadline;		/* CLOCK_MONOTONIC ns */
	char *path;			/* relative to the cgroup2 mount, owned */
};

struct policy_engine {
	struct policy_engine_params pp;
	char policy_path[PATH_MAX];
	char attach[PATH_MAX];		/* absolute */
	char attach_rel[PATH_MAX];	/* relative to the cgroup2 mount ("" = the mount) */
	struct enforce *e;
	struct net_enf *net;
	struct file_enf *file;		/* file and exec rules (file.c); NULL until a policy has some */
	struct ring_buffer *rb;		/* the agent's reader (file events of a later start) */
	int file_failed;		/* file/exec rules wanted but the programs did not load */
	struct guard *guard;		/* escape refusals (guard.c); NULL: none enforced, or no BPF LSM */
	int guard_failed;
	uint64_t file_reported[BH_FS_COUNT];
	struct policy_set *sets[2];	/* the set of each generation (events name rules) */
	struct lowered *lw;		/* what each generation's policy maps hold (lowered.c) */
	struct policy_set *first;	/* opened, not yet put in force (policy_engine_start) */
	const struct policy_set *cur;	/* the set being assigned from */
	int in_txn;
	uint64_t *release;		/* held cgroups assigned in a transaction */
	uint32_t nrelease, caprelease;
	struct pending pending[PENDING_MAX];
	uint32_t npending;
	uint64_t last_sweep, last_report;
	uint64_t net_lost_reported;
	uint32_t ties_warned;
	char describe[PATH_MAX + 128];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- containers -> policies ----------------------------------------------- */

static void entry_for(const struct policy *p, struct bh_cg_policy *ent)
{
	memset(ent, 0, sizeof(*ent));
	if (!p)
		return;		/* a container with no policy: counted, never touched */
	ent->policy_id = p->id;
	for (int s = 0; s < BH_SEC_COUNT && s < POLICY_SEC_COUNT; s++)
		ent->mode[s] = p->mode[s];
	if (net_policy_active(p))
		ent->flags |= BH_CGP_NET;
	if (file_policy_active(p))
		ent->flags |= BH_CGP_FILE;
	if (exec_policy_active(p))
		ent->flags |= BH_CGP_EXEC;
	ent->flags |= BH_CGP_ESCAPE;
	ent->esc_enforce = POLICY_ESC_ENFORCED(p);
}

static void note_release(struct policy_engine *pe, uint64_t id)
{
	if (pe->nrelease == pe->caprelease) {
		uint32_t cap = pe->caprelease ? pe->caprelease * 2 : 64;
		uint64_t *r = realloc(pe->release, cap * sizeof(*r));

		if (!r)
			return;
		pe->release = r;
		pe->caprelease = cap;
	}
	pe->release[pe->nrelease++] = id;
}

static void assign(struct policy_engine *pe, uint64_t id, const struct container_info *ci)
{
	struct policy_container pc = {
		.k8s_namespace = ci->ns, .k8s_pod = ci->pod, .k8s_container = ci->name,
		.cgroup_path = ci->cgroup_path,
	};
	const struct policy *p = NULL;
	struct bh_cg_policy ent;
	uint32_t tie = 0;

	if (ci->host) {
		/* A host cgroup: no entry, never touched. */
		if (pe->in_txn)
			note_release(pe, id);
		else
			enforce_assign(pe->e, id, NULL, NULL);
		return;
	}
	if (pe->cur)
		p = policy_select(pe->cur, &pc, &tie);
	if (tie && pe->ties_warned++ < 10)
		log_warn("policy: container %s (%s): policies %u and %u select it equally well; "
			 "%s, loaded first, applies", ci->id, ci->cgroup_path, p ? p->id : 0, tie,
			 p ? p->name : "?");
	entry_for(p, &ent);
	log_debug("policy: container %s (%s, pod %s/%s, cgroup %llu): %s", ci->name[0] ? ci->name : ci->id,
		  ci->cgroup_path, ci->ns, ci->pod, (unsigned long long)id, p ? p->name : "no policy");
	if (pe->in_txn) {
		enforce_txn_assign(pe->e, id, &ent);
		note_release(pe, id);
	} else {
		enforce_assign(pe->e, id, &ent, NULL);
	}
}

const struct policy *policy_engine_policy_for(const struct policy_engine *pe,
					      const struct container_info *ci)
{
	struct policy_container pc = {
		.k8s_namespace = ci->ns, .k8s_pod = ci->pod, .k8s_container = ci->name,
		.cgroup_path = ci->cgroup_path,
	};

	return pe->cur && !ci->host ? policy_select(pe->cur, &pc, NULL) : NULL;
}

/* 0: waits in pending; -1: no room, the caller classifies by what is known now. */
static int pending_add(struct policy_engine *pe, uint64_t id, const char *rel)
{
	struct pending *q;
	char *path;

	for (uint32_t i = 0; i < pe->npending; i++)
		if (pe->pending[i].id == id)
			return 0;
	if (pe->npending == PENDING_MAX || !(path = strdup(rel))) {
		log_warn("policy: more than %d new cgroups waiting for their runtime state; "
			 "cgroup %s is classified by its path only", PENDING_MAX, rel);
		return -1;
	}
	q = &pe->pending[pe->npending++];
	q->id = id;
	q->deadline = now_ns() + SETTLE_NS;
	q->path = path;
	return 0;
}

static void pending_remove(struct policy_engine *pe, uint32_t i)
{
	free(pe->pending[i].path);
	pe->pending[i] = pe->pending[--pe->npending];
}

bool policy_engine_waiting(const struct policy_engine *pe)
{
	return pe->npending > 0;
}

static void pending_clear(struct policy_engine *pe)
{
	while (pe->npending)
		pending_remove(pe, pe->npending - 1);
}

static void pending_drop(struct policy_engine *pe, uint64_t id)
{
	for (uint32_t i = 0; i < pe->npending; i++)
		if (pe->pending[i].id == id) {
			pending_remove(pe, i);
			return;
		}
}

/* Is rel (relative to the cgroup2 mount) at or below the attach cgroup? */
static int under_attach(const struct policy_engine *pe, const char *rel)
{
	size_t n = strlen(pe->attach_rel);

	return !n || (!strncmp(rel, pe->attach_rel, n) && (rel[n] == '/' || rel[n] == 0));
}

/* A cgroup seen (walk, mkdir event, retry): assign it now, or wait for its state. */
static void classify(struct policy_engine *pe, uint64_t id, const char *rel, int final)
{
	const struct container_info *ci;

	if (!under_attach(pe, rel))
		return;
	ci = registry_add_path(pe->pp.reg, id, rel);
	if (!ci)
		return;
	if (!ci->resolved && !final && !pending_add(pe, id, rel))
		return;
	assign(pe, id, ci);
}

static void walk(struct policy_engine *pe, const char *abs, const char *rel, int depth, int *budget)
{
	DIR *d;
	struct dirent *de;

	if (depth > WALK_MAX_DEPTH || *budget <= 0)
		return;
	d = opendir(abs);
	if (!d)
		return;
	while ((de = readdir(d)) && *budget > 0) {
		char a[PATH_MAX], r[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if ((size_t)snprintf(a, sizeof(a), "%s/%s", abs, de->d_name) >= sizeof(a) ||
		    (size_t)snprintf(r, sizeof(r), "%s/%s", rel, de->d_name) >= sizeof(r))
			continue;
		if (lstat(a, &st) || !S_ISDIR(st.st_mode))
			continue;
		(*budget)--;
		classify(pe, st.st_ino, r, 0);
		walk(pe, a, r, depth + 1, budget);
	}
	closedir(d);
	if (*budget <= 0 && depth == 0)
		log_warn("policy: stopped walking %s after %d cgroups", pe->attach, WALK_MAX_DIRS);
}

static void walk_all(struct policy_engine *pe)
{
	int budget = WALK_MAX_DIRS;
	struct stat st;

	if (pe->attach_rel[0] && !stat(pe->attach, &st))
		classify(pe, st.st_ino, pe->attach_rel, 0);	/* the attach cgroup itself */
	walk(pe, pe->attach, pe->attach_rel, 0, &budget);
}

/* ---- policy sets -> generations ------------------------------------------- */

static int file_event_cb(void *ctx, void *data, size_t size);

/*
 * Load the file/exec programs, once: when a policy set first has file or exec
 * rules (at start or on a reload), or when a previous agent left them pinned.
 * Until then no file hook costs anything. Never fatal: the agent says loudly
 * what is not enforced.
 */
static void file_start(struct policy_engine *pe)
{
	struct file_opts fo = { .btf_path = pe->pp.btf_path, .wakeup_bytes = pe->pp.wakeup_bytes,
				.mode = pe->pp.mode == BH_MODE_LSM ? FILE_MODE_LSM : FILE_MODE_FALLBACK,
				.no_lsm_why = pe->pp.no_lsm_why };
	char ferr[512];

	if (pe->file)
		return;
	pe->file = file_open(pe->e, &fo, ferr, sizeof(ferr));
	if (!pe->file && fo.mode == FILE_MODE_LSM) {
		/* The probe's checks passed but these programs did not: never enforce nothing quietly. */
		static char why[512];

		snprintf(why, sizeof(why), "%s", ferr);
		log_warn("policy: WARNING: the BPF LSM programs failed (%s): falling back to the syscall "
			 "tracepoints ('bulkhead probe' checks this before the agent starts)", why);
		fo.mode = FILE_MODE_FALLBACK;
		fo.no_lsm_why = why;
		pe->file = file_open(pe->e, &fo, ferr, sizeof(ferr));
	}
	if (!pe->file) {
		log_warn("policy: WARNING: file and exec rules are NOT enforced: %s", ferr);
		pe->file_failed = 1;
		return;
	}
	file_maps_of(pe->file)->retain = true;
	/* What the file maps hold is not known to the writer yet: both generations are cleared first. */
	if (pe->lw) {
		lowered_forget(pe->lw, 0);
		lowered_forget(pe->lw, 1);
	}
	if (file_mode_of(pe->file) == FILE_MODE_FALLBACK)
		log_warn("policy: WARNING: %s", file_mode_describe(pe->file));
	else
		log_info("policy: %s", file_mode_describe(pe->file));
	if (pe->rb && ring_buffer__add(pe->rb, file_ringbuf_fd(pe->file), file_event_cb, pe))
		log_warn_errno("policy: file events: adding their ring buffer");
}

/*
 * Load the escape guard (BPF LSM), once: when a policy enforces an escape
 * protection, or when a previous agent left it pinned. Never fatal: without
 * BPF LSM the tracepoint detector alerts (or kills) instead, and says so.
 */
static void guard_start(struct policy_engine *pe, const struct policy_set *set)
{
	struct guard_opts go = { .btf_path = pe->pp.btf_path, .cgroup2 = pe->pp.cgroup2,
				 .attach_cgroup = pe->attach };
	char gerr[512];

	if (pe->guard || pe->guard_failed)
		return;
	if (pe->pp.ec && pe->pp.ec->no_escape_guard) {
		log_warn("policy: WARNING: --no-escape-guard: escape protections are NOT refused in the "
			 "kernel; the syscall tracepoints kill or alert instead");
		pe->guard_failed = 1;
		return;
	}
	if (!pe->pp.bpf_lsm) {
		log_warn("policy: WARNING: escape protections are NOT refused in the kernel (no BPF LSM%s%s): "
			 "the syscall tracepoints kill or alert instead ('bulkhead probe' lists which)",
			 pe->pp.no_lsm_why ? ": " : "", pe->pp.no_lsm_why ? pe->pp.no_lsm_why : "");
		pe->guard_failed = 1;
		return;
	}
	if (set && set->node_default)
		go.default_esc = POLICY_ESC_ENFORCED(set->node_default);
	pe->guard = guard_open(pe->e, &go, gerr, sizeof(gerr));
	if (!pe->guard) {
		log_warn("policy: WARNING: escape protections are NOT refused in the kernel: %s", gerr);
		pe->guard_failed = 1;
		return;
	}
	log_info("policy: %s", guard_describe(pe->guard));
	if (pe->rb && ring_buffer__add(pe->rb, guard_ringbuf_fd(pe->guard),
				       pe->pp.escape_cb ? pe->pp.escape_cb : guard_log_record,
				       pe->pp.escape_cb ? pe->pp.escape_ctx : pe))
		log_warn_errno("policy: escape refusals: adding their ring buffer");
}

uint32_t policy_engine_default_esc(const struct policy_engine *pe)
{
	return pe && pe->cur && pe->cur->node_default ? POLICY_ESC_ENFORCED(pe->cur->node_default) : 0;
}

const struct policy_set *policy_engine_set(const struct policy_engine *pe)
{
	return pe ? pe->cur : NULL;
}

int policy_engine_esc_task_fd(const struct policy_engine *pe)
{
	return pe && pe->guard ? guard_task_fd(pe->guard) : -1;
}

static int set_needs_guard(const struct policy_set *set)
{
	for (uint32_t i = 0; set && i < set->n_policies; i++)
		if (POLICY_ESC_ENFORCED(&set->policies[i]))
			return 1;
	return 0;
}

static int set_needs_file(const struct policy_set *set)
{
	for (uint32_t i = 0; set && i < set->n_policies; i++)
		if (file_policy_active(&set->policies[i]) || exec_policy_active(&set->policies[i]))
			return 1;
	return 0;
}

static double ms_since(uint64_t t)
{
	return (double)(now_ns() - t) / 1e6;
}

/* CPU time of the agent, all threads (user and system: the map writes run in the kernel;
 * the policy parser's second thread), ns. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Put set in force: lower it (policies unchanged since a generation held
 * them are not lowered again), refuse it whole if the maps cannot hold it,
 * write into the inactive generation only what differs from what it holds,
 * assign every container, flip. t0: when the reload began (its signal, or
 * the change on disk settling), for the swap's duration line.
 */
static int apply_set(struct policy_engine *pe, struct policy_set *set, uint64_t t0, uint64_t c0)
{
	struct lowered_write_stats ws = { 0 };
	struct lowered_need need;
	struct lowered_set *ls;
	uint64_t t_lower, t_write, t_flip;
	int gen, err = 0, was_known;
	uint32_t active = 0, nfile = 0;
	char why[1024];

	if (set_needs_file(set))
		file_start(pe);
	if (set_needs_guard(set))
		guard_start(pe, set);
	t_lower = now_ns();
	ls = lowered_prepare(pe->lw, set, pe->file != NULL, &need, why, sizeof(why), &err);
	if (!ls && err == ESTALE) {
		log_debug("policy: %s: %s: parsing the set again", pe->policy_path, why);
		return -ESTALE;
	}
	if (!ls) {
		log_warn("policy: %s: %s; the policy in force stays", pe->policy_path, why);
		return -1;
	}
	for (uint32_t i = 0; i < set->n_policies; i++) {
		active += net_policy_active(&set->policies[i]);
		nfile += file_policy_active(&set->policies[i]) || exec_policy_active(&set->policies[i]);
	}
	t_write = now_ns();
	gen = enforce_begin(pe->e);
	if (gen < 0) {
		log_warn("policy: cannot start a policy transaction: %s", strerror(-gen));
		lowered_set_free(ls);
		return -1;
	}
	was_known = lowered_known(pe->lw, (uint32_t)gen);
	err = lowered_write(pe->lw, ls, net_maps_of(pe->net), pe->file ? file_maps_of(pe->file) : NULL,
			    (uint32_t)gen, &ws);
	if (err) {
		lowered_set_free(ls);
		enforce_abort(pe->e);
		log_warn("policy: writing generation %d: %s: the new policy set could not be written "
			 "to the kernel; the one in force stays", gen, strerror(-err));
		return -1;
	}
	pe->cur = set;
	pe->in_txn = 1;
	pe->nrelease = 0;
	pending_clear(pe);	/* the walk below finds them again */
	walk_all(pe);
	pe->in_txn = 0;
	t_flip = now_ns();
	if (enforce_commit(pe->e)) {
		log_warn("policy: commit of generation %d failed", gen);
		return -1;
	}
	log_info("policy: swap: generation %d in force %.1f ms after the reload began (CPU %.1f ms; "
		 "parse %.1f ms, lower %.1f ms, write %.1f ms: %u entries written, %u deleted, %u of %u "
		 "policies unchanged%s, assign and flip %.1f ms)", gen, ms_since(t0),
		 (double)(cpu_ns() - c0) / 1e6,
		 (double)(t_lower - t0) / 1e6, (double)(t_write - t_lower) / 1e6,
		 (double)(t_flip - t_write) / 1e6, ws.written, ws.deleted, ws.blocks_kept,
		 ws.blocks_kept + ws.blocks_written, was_known ? "" : ", generation cleared first",
		 (double)(now_ns() - t_flip) / 1e6);
	lowered_after_flip(pe->lw, net_maps_of(pe->net), pe->file ? file_maps_of(pe->file) : NULL,
			   (uint32_t)gen);
	policy_set_free(pe->sets[gen]);
	pe->sets[gen] = set;
	/* Lowered (its blocks are kept): the set now only names the rules of events. */
	policy_set_drop_tables(set);
	for (uint32_t i = 0; i < pe->nrelease; i++)
		enforce_release(pe->e, pe->release[i]);
	/* Containers the agent has not classified (started while it is down): the NodeDefault's. */
	if (pe->guard && guard_set_default(pe->guard, set->node_default ?
					   POLICY_ESC_ENFORCED(set->node_default) : 0))
		log_warn("policy: the escape guard's default protections could not be written");
	log_info("policy: %u policies in force (%u with network rules: %u kernel nodes, %u port "
		 "entries), %u containers assigned, generation %d", set->n_policies, active,
		 need.n[LM_NET_CIDR4] + need.n[LM_NET_CIDR6], need.n[LM_NET_PORTS],
		 enforce_count(pe->e, (uint32_t)gen), gen);
	if (pe->file)
		log_info("file: %u policies with file/exec rules: %u trie entries, %u globs (%s)",
			 nfile, need.n[LM_FILE_PATHS], need.n[LM_FILE_GLOBS], file_mode_describe(pe->file));
	/*
	 * The generation just left holds what another agent or an error left
	 * there: fill it with this set too, so the next swap writes only what
	 * changes (after the flip: not part of the swap).
	 */
	if (!lowered_known(pe->lw, (uint32_t)!gen)) {
		struct lowered_set *dup = lowered_set_dup(lowered_image(pe->lw, (uint32_t)gen));
		uint64_t t = now_ns();

		ws = (struct lowered_write_stats){ 0 };
		if (dup && !lowered_write(pe->lw, dup, net_maps_of(pe->net),
					  pe->file ? file_maps_of(pe->file) : NULL, (uint32_t)!gen, &ws))
			log_debug("policy: generation %d filled with the same set (%u entries, %.1f ms)",
				  !gen, ws.written, ms_since(t));
		else
			lowered_set_free(dup);
	}
	return 0;
}

/* Load the set at path; a file unchanged since a set of a generation (prev) is not parsed again. */
static struct policy_set *load_set(const char *path, const struct policy_set *const *prev, unsigned nprev)
{
	struct policy_errors errs;
	struct policy_set *set;

	policy_errors_init(&errs);
	set = policy_set_load_reusing(path, &errs, prev, nprev);
	for (uint32_t i = 0; i < errs.n; i++) {
		char buf[1024];

		policy_error_format(&errs.v[i], buf, sizeof(buf));
		log_warn("policy: %s", buf);
	}
	if (!set)
		log_warn("policy: %s: %u errors: not loaded", path, errs.n_errors);
	policy_errors_free(&errs);
	return set;
}

/* Say how a load of the set ended (policy_engine_params.loaded_cb). */
static void report_load(const struct policy_engine_params *pp, const struct policy_set *set)
{
	if (pp->loaded_cb)
		pp->loaded_cb(pp->loaded_ctx, set ? set->sha256 : NULL);
}

static int set_needs_kernel(const struct policy_set *set)
{
	for (uint32_t i = 0; set && i < set->n_policies; i++)
		if (net_policy_active(&set->policies[i]) || file_policy_active(&set->policies[i]) ||
		    exec_policy_active(&set->policies[i]) || POLICY_ESC_ENFORCED(&set->policies[i]))
			return 1;
	return 0;
}

int policy_engine_reload(struct policy_engine *pe)
{
	uint64_t t0 = now_ns(), c0 = cpu_ns();
	const struct policy_set *prev[2] = { pe->sets[0], pe->sets[1] };
	struct policy_set *set = load_set(pe->policy_path, prev, 2);
	int r;

	/*
	 * One reload per change: a change on disk and the SIGHUP that follows it
	 * (or two SIGHUPs) read the same bytes; the second changes nothing.
	 */
	if (set && pe->cur && set->n_files == pe->cur->n_files &&
	    !memcmp(set->sha256, pe->cur->sha256, sizeof(set->sha256))) {
		log_info("policy: %s unchanged since the set in force was loaded: nothing to reload",
			 pe->policy_path);
		policy_set_free(set);
		return 0;
	}
	if (!set) {
		log_warn("policy: %s has errors: not reloading, the policy in force stays",
			 pe->policy_path);
		report_load(&pe->pp, NULL);
		return -1;
	}
	r = apply_set(pe, set, t0, c0);
	if (r == -ESTALE) {	/* a reused policy's block is gone: parse every file */
		policy_set_free(set);
		set = load_set(pe->policy_path, NULL, 0);
		r = set ? apply_set(pe, set, t0, c0) : -1;
	}
	if (r) {
		policy_set_free(set);
		report_load(&pe->pp, NULL);
		return -1;
	}
	report_load(&pe->pp, set);
	return 0;
}

/* ---- events --------------------------------------------------------------- */

/*
 * The policy and rule an enforcement record names ("web", "spec.network.egress[0]"),
 * from the set of the record's generation; left NULL if that set has no such policy.
 */
static void name_rule(const struct policy_engine *pe, uint32_t gen, uint32_t policy_id, uint32_t ref,
		      const char **policy, const char **rule, char *buf, size_t len)
{
	const struct policy_set *set = pe->sets[gen & 1];
	const struct policy *p = set && policy_id ? policy_by_id(set, policy_id) : NULL;

	if (p) {
		*policy = p->name;
		*rule = policy_rule_field(p, ref, buf, len);
	}
}

static void emit_net(struct policy_engine *pe, struct event *ev, uint64_t cgid, uint32_t gen)
{
	char buf[64];

	name_rule(pe, gen, ev->net.policy_id, ev->net.ref, &ev->net.policy, &ev->net.rule, buf,
		  sizeof(buf));
	sink_emit(pe->pp.sink, cgid, ev);
}

static int net_event_cb(void *ctx, void *data, size_t size)
{
	struct policy_engine *pe = ctx;
	struct event ev;
	uint32_t gen;

	if (net_decode(data, size, &ev, &gen)) {
		sink_malformed(pe->pp.sink);
		return 0;
	}
	if (pe->net && !net_account(pe->net, data, &ev))
		return 0;	/* the sweep has reported these denials already */
	emit_net(pe, &ev, ((const struct bh_net_event *)data)->hdr.cgroup_id, gen);
	return 0;
}

static int file_event_cb(void *ctx, void *data, size_t size)
{
	struct policy_engine *pe = ctx;
	struct event ev;
	char buf[64];
	uint32_t gen;

	if (file_decode(data, size, &ev, &gen)) {
		sink_malformed(pe->pp.sink);
		return 0;
	}
	name_rule(pe, gen, ev.file.policy_id, ev.file.ref, &ev.file.policy, &ev.file.rule, buf,
		  sizeof(buf));
	sink_emit(pe->pp.sink, ((const struct bh_file_event *)data)->hdr.cgroup_id, &ev);
	return 0;
}

static void sweep_cb(void *ctx, struct event *ev, uint64_t cgid, uint32_t gen)
{
	emit_net(ctx, ev, cgid, gen);
}

void policy_engine_cgroup_mkdir(struct policy_engine *pe, uint64_t id, const char *rel)
{
	char path[PATH_MAX];

	/* A path the record had to cut short is looked up by id: never classify a prefix. */
	if (!rel && !registry_cgroup_path(pe->pp.reg, id, path, sizeof(path)))
		rel = path;
	if (rel && rel[0] == '/') {
		classify(pe, id, rel, 0);
		return;
	}
	log_warn("policy: new cgroup %llu: its path is unknown (gone already?): not classified",
		 (unsigned long long)id);
}

void policy_engine_cgroup_rmdir(struct policy_engine *pe, uint64_t id)
{
	pending_drop(pe, id);
	enforce_forget(pe->e, id);
	registry_forget(pe->pp.reg, id);
}

int policy_engine_add_ringbufs(struct policy_engine *pe, struct ring_buffer *rb)
{
	if (pe->net && ring_buffer__add(rb, net_ringbuf_fd(pe->net), net_event_cb, pe))
		return -errno;
	pe->rb = rb;
	if (pe->file && ring_buffer__add(rb, file_ringbuf_fd(pe->file), file_event_cb, pe))
		return -errno;
	if (pe->guard && ring_buffer__add(rb, guard_ringbuf_fd(pe->guard),
					  pe->pp.escape_cb ? pe->pp.escape_cb : guard_log_record,
					  pe->pp.escape_cb ? pe->pp.escape_ctx : pe))
		return -errno;
	return 0;
}

void policy_engine_tick(struct policy_engine *pe)
{
	uint64_t now = now_ns();

	/* New cgroups whose runtime state was not there yet: try again now. */
	for (uint32_t i = 0; i < pe->npending;) {
		struct pending q = pe->pending[i];
		const struct container_info *ci;

		registry_forget(pe->pp.reg, q.id);
		ci = registry_add_path(pe->pp.reg, q.id, q.path);
		if (ci && !ci->resolved && now < q.deadline) {
			i++;
			continue;
		}
		if (ci)
			assign(pe, q.id, ci);	/* resolved, or by what is known at the deadline */
		pending_remove(pe, i);
	}
	if (pe->net && now - pe->last_sweep >= SWEEP_EVERY_NS) {
		pe->last_sweep = now;
		net_sweep(pe->net, sweep_cb, pe);
	}
	if (pe->net && now - pe->last_report >= REPORT_EVERY_NS) {
		uint64_t lost = net_lost(pe->net);

		pe->last_report = now;
		if (lost > pe->net_lost_reported) {
			log_warn("net: %llu event records lost: ring buffer full (total %llu); denials "
				 "stay counted per container", (unsigned long long)(lost - pe->net_lost_reported),
				 (unsigned long long)lost);
			pe->net_lost_reported = lost;
		}
	}
	if (pe->file && now - pe->last_report < 1000000) {	/* just reported net: same tick */
		uint64_t fs[BH_FS_COUNT];

		file_stats(pe->file, fs);
		if (fs[BH_FS_SUPPRESSED] > pe->file_reported[BH_FS_SUPPRESSED] ||
		    fs[BH_FS_LOST] > pe->file_reported[BH_FS_LOST])
			log_warn("file: %llu file/exec events suppressed by the per-container rate limit, "
				 "%llu lost (ring buffer full) since the last report; denials still apply",
				 (unsigned long long)(fs[BH_FS_SUPPRESSED] - pe->file_reported[BH_FS_SUPPRESSED]),
				 (unsigned long long)(fs[BH_FS_LOST] - pe->file_reported[BH_FS_LOST]));
		memcpy(pe->file_reported, fs, sizeof(fs));
	}
}

const char *policy_engine_describe(const struct policy_engine *pe)
{
	return pe->describe;
}

/* ---- open / close ------------------------------------------------------------ */

struct policy_engine *policy_engine_open(const struct policy_engine_params *pp, char *err, size_t errlen)
{
	const struct enforce_config *ec = pp->ec;
	struct enforce_opts eo = { .pin_dir = ec->pin_dir, .btf_path = pp->btf_path };
	struct net_opts no = { .btf_path = pp->btf_path, .wakeup_bytes = pp->wakeup_bytes };
	const char *pin_dir = ec->pin_dir ? ec->pin_dir : BH_PIN_DIR_DEFAULT;
	struct policy_set *set = NULL;
	struct policy_engine *pe;
	char cg2[PATH_MAX];
	struct stat st;
	int pinned;

	err[0] = 0;
	pinned = !stat(pin_dir, &st) && S_ISDIR(st.st_mode);
	if (pp->policy_path && !stat(pp->policy_path, &st)) {
		set = load_set(pp->policy_path, NULL, 0);
		if (!set) {
			snprintf(err, errlen, "policy: %s has errors (listed above): not starting",
				 pp->policy_path);
			report_load(pp, NULL);
			return NULL;
		}
	} else if (pp->policy_path) {
		log_info("policy: no policies at %s: nothing is enforced", pp->policy_path);
	}
	if (!set_needs_kernel(set) && !pinned) {
		if (set)
			log_info("policy: %u policies loaded; none restricts what this agent enforces "
				 "in the kernel (network): nothing attached", set->n_policies);
		if (set)
			report_load(pp, set);
		policy_set_free(set);
		return NULL;
	}
	pe = calloc(1, sizeof(*pe));
	if (!pe) {
		snprintf(err, errlen, "policy: out of memory");
		policy_set_free(set);
		return NULL;
	}
	pe->pp = *pp;
	snprintf(pe->policy_path, sizeof(pe->policy_path), "%s", pp->policy_path ? pp->policy_path : "");
	if (!realpath(ec->attach_cgroup ? ec->attach_cgroup : pp->cgroup2, pe->attach) ||
	    !realpath(pp->cgroup2, cg2)) {
		snprintf(err, errlen, "policy: attach cgroup %s: %s",
			 ec->attach_cgroup ? ec->attach_cgroup : pp->cgroup2, strerror(errno));
		goto fail;
	}
	if (strncmp(pe->attach, cg2, strlen(cg2)) ||
	    (pe->attach[strlen(cg2)] != '/' && pe->attach[strlen(cg2)] != 0)) {
		snprintf(err, errlen, "policy: --attach-cgroup %s is not inside the cgroup v2 mount %s",
			 pe->attach, cg2);
		goto fail;
	}
	snprintf(pe->attach_rel, sizeof(pe->attach_rel), "%s", pe->attach + strlen(cg2));
	pe->e = enforce_open(&eo, err, errlen);
	if (!pe->e)
		goto fail;
	no.attach_cgroup = pe->attach;
	pe->net = net_open(pe->e, &no, err, errlen);
	if (!pe->net)
		goto fail;
	net_maps_of(pe->net)->retain = true;	/* both generations kept: lowered.c writes the difference */
	pe->lw = lowered_new();
	if (!pe->lw) {
		snprintf(err, errlen, "policy: out of memory");
		goto fail;
	}
	{
		char fpin[PATH_MAX];

		/* File programs left pinned by a previous agent: re-adopt them now. */
		snprintf(fpin, sizeof(fpin), "%s/bh_file_paths", enforce_pin_dir(pe->e));
		if (!stat(fpin, &st))
			file_start(pe);
		/* The escape guard: wanted by the set, or left pinned by a previous agent. */
		snprintf(fpin, sizeof(fpin), "%s/bh_guard_cfg", enforce_pin_dir(pe->e));
		if (set_needs_guard(set) || !stat(fpin, &st))
			guard_start(pe, set);
	}
	if (!set) {
		/* Pins of a previous agent and nothing to enforce now: an empty set in force. */
		set = calloc(1, sizeof(*set));
		if (!set) {
			snprintf(err, errlen, "policy: out of memory");
			goto fail;
		}
	}
	pe->first = set;
	if (pp->policy_path && set->n_files)
		report_load(pp, set);
	return pe;
fail:
	if (set)
		report_load(pp, NULL);
	policy_set_free(set);
	policy_engine_close(pe);
	return NULL;
}

int policy_engine_hold_fd(const struct policy_engine *pe)
{
	return enforce_hold_fd(pe->e);
}

int policy_engine_start(struct policy_engine *pe, char *err, size_t errlen)
{
	const struct enforce_config *ec = pe->pp.ec;

	if (!pe->first)
		return 0;
	if (apply_set(pe, pe->first, now_ns(), cpu_ns())) {
		snprintf(err, errlen, "policy: cannot put the policy set in force");
		return -1;
	}
	pe->first = NULL;	/* owned by pe->sets[] */
	snprintf(pe->describe, sizeof(pe->describe), "network enforcement under %s, file/exec %s, "
		 "escape protections %s (pins %s%s)", pe->attach, pe->file_failed ? "NOT enforced" :
		 !pe->file ? "not loaded (no file/exec rules)" :
		 file_mode_of(pe->file) == FILE_MODE_LSM ? "by BPF LSM" : "by the KILLING fallback",
		 pe->guard ? "refused by BPF LSM" : pe->guard_failed ? "NOT refused in the kernel" :
		 "not loaded (none enforced)", enforce_pin_dir(pe->e), ec->detach_on_exit ? ", detached on exit" : ", kept on exit");
	return 0;
}

void policy_engine_close(struct policy_engine *pe)
{
	const char *dir;
	struct enforce_prog_set progs = { .n = 0 };
	unsigned waited;
	char err[256];
	int left;

	if (!pe)
		return;
	dir = pe->pp.ec->pin_dir ? pe->pp.ec->pin_dir : BH_PIN_DIR_DEFAULT;
	/* Detaching: the programs that enforce now, to wait for below. */
	if (pe->pp.ec->detach_on_exit && pe->e)
		enforce_pinned_progs(dir, &progs);
	net_close(pe->net, pe->pp.ec->detach_on_exit);
	file_close(pe->file, pe->pp.ec->detach_on_exit);
	guard_close(pe->guard, pe->pp.ec->detach_on_exit);
	enforce_close(pe->e);
	if (pe->pp.ec->detach_on_exit && pe->e) {
		if (enforce_unload(dir, err, sizeof(err)) < 0)
			log_warn("%s", err);
		/* The kernel may release a link in a work item (6.12): as unload does, wait. */
		left = enforce_wait_freed(&progs, ENFORCE_UNLOAD_WAIT_MS, &waited);
		if (left)
			log_warn("policy: %d of %d detached programs still loaded after %u ms (held by "
				 "another process?)", left, progs.n, waited);
		else
			log_info("policy: enforcement detached (%d programs freed after %u ms), pins under "
				 "%s removed", progs.n, waited, dir);
	} else if (pe->e) {
		log_info("policy: enforcement stays in force (pinned under %s); "
			 "'bulkhead unload' removes it", pe->pp.ec->pin_dir ? pe->pp.ec->pin_dir :
			 BH_PIN_DIR_DEFAULT);
	}
	policy_set_free(pe->first);
	policy_set_free(pe->sets[0]);
	policy_set_free(pe->sets[1]);
	pending_clear(pe);
	lowered_free(pe->lw);
	free(pe->release);
	free(pe);
}
