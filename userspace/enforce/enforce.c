// SPDX-License-Identifier: GPL-2.0
/* The enforcement core: pinned shared maps and the generation swap. See enforce.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce.skel.h"
#include "lib/log.h"
#include "lib/map_util.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define SLOT_TAB_CAP	(4 * BH_MAX_SLOTS)	/* power of two, load <= 1/4 */
#define SLOT_EMPTY	0ull
#define SLOT_TOMB	(~0ull)

struct slot_ent {
	uint64_t cgid;
	uint32_t slot;
};

struct enforce {
	char pin_dir[PATH_MAX];
	struct enforce_bpf *skel;
	int gen_fd, pol_fd, barrier_fd, inner_fd, hold_fd, memo_fd;
	uint32_t active;
	int txn_gen;				/* -1: no transaction */
	struct enforce_feature feats[ENFORCE_MAX_FEATURES];
	int nfeats;
	struct slot_ent *slots;			/* cgroup id -> slot, open addressing */
	uint8_t *slot_used;			/* [BH_MAX_SLOTS] */
	uint32_t slot_next;
};

/* ---- slots --------------------------------------------------------------- */

static uint32_t slot_hash(uint64_t cgid)
{
	cgid ^= cgid >> 33;
	cgid *= 0xff51afd7ed558ccdull;
	cgid ^= cgid >> 33;
	return (uint32_t)cgid & (SLOT_TAB_CAP - 1);
}

static struct slot_ent *slot_find(struct enforce *e, uint64_t cgid, int insert)
{
	struct slot_ent *tomb = NULL;

	for (uint32_t i = 0, h = slot_hash(cgid); i < SLOT_TAB_CAP; i++, h = (h + 1) & (SLOT_TAB_CAP - 1)) {
		struct slot_ent *s = &e->slots[h];

		if (s->cgid == cgid)
			return s;
		if (s->cgid == SLOT_TOMB && !tomb)
			tomb = s;
		if (s->cgid == SLOT_EMPTY) {
			if (!insert)
				return NULL;
			return tomb ? tomb : s;
		}
	}
	return insert ? tomb : NULL;
}

static void slot_take(struct enforce *e, uint64_t cgid, uint32_t slot)
{
	struct slot_ent *s = slot_find(e, cgid, 1);

	if (!s || !slot || slot >= BH_MAX_SLOTS)
		return;
	s->cgid = cgid;
	s->slot = slot;
	e->slot_used[slot] = 1;
}

uint32_t enforce_slot(struct enforce *e, uint64_t cgid)
{
	struct slot_ent *s = slot_find(e, cgid, 0);
	uint32_t slot = 0;

	if (s)
		return s->slot;
	for (uint32_t i = 0; i < BH_MAX_SLOTS - 1; i++) {
		uint32_t c = 1 + (e->slot_next + i) % (BH_MAX_SLOTS - 1);

		if (!e->slot_used[c]) {
			slot = c;
			break;
		}
	}
	if (!slot) {
		log_warn("enforce: all %u counter slots in use: cgroup %llu gets no counters",
			 BH_MAX_SLOTS - 1, (unsigned long long)cgid);
		return 0;
	}
	e->slot_next = slot;
	for (int i = 0; i < e->nfeats; i++)
		if (e->feats[i].reset_slot)
			e->feats[i].reset_slot(e->feats[i].ctx, slot);
	slot_take(e, cgid, slot);
	return slot;
}

uint32_t enforce_slot_lookup(struct enforce *e, uint64_t cgid)
{
	struct slot_ent *s = slot_find(e, cgid, 0);

	return s ? s->slot : 0;
}

static void slot_free(struct enforce *e, uint64_t cgid)
{
	struct slot_ent *s = slot_find(e, cgid, 0);

	if (!s)
		return;
	e->slot_used[s->slot] = 0;
	s->cgid = SLOT_TOMB;
	s->slot = 0;
}

/* ---- generations ----------------------------------------------------------- */

static int cg_key_gen(const void *k, uint32_t gen)
{
	return ((const struct bh_cg_key *)k)->gen == gen;
}

/* Delete every entry of generation gen from bh_cgroup_policy. */
static int clear_core(struct enforce *e, uint32_t gen)
{
	return map_delete_matching(e->pol_fd, sizeof(struct bh_cg_key), cg_key_gen, gen, NULL, false);
}

static int clear_gen(struct enforce *e, uint32_t gen)
{
	int err = clear_core(e, gen), r;

	for (int i = 0; i < e->nfeats; i++) {
		r = e->feats[i].clear_gen(e->feats[i].ctx, gen);
		if (r && !err)
			err = r;
	}
	if (err)
		log_warn("enforce: clearing generation %u: %s", gen, strerror(-err));
	return err;
}

int enforce_barrier(struct enforce *e)
{
	uint32_t zero = 0;

	/* The kernel calls synchronize_rcu() after updating a map-in-map. */
	if (bpf_map_update_elem(e->barrier_fd, &zero, &e->inner_fd, BPF_ANY)) {
		log_warn_errno("enforce: RCU barrier (update of bh_barrier)");
		return -errno;
	}
	return 0;
}

uint32_t enforce_active_gen(const struct enforce *e)
{
	return e->active;
}

int enforce_txn_gen(const struct enforce *e)
{
	return e->txn_gen;
}

int enforce_begin(struct enforce *e)
{
	uint32_t gen = !e->active;
	int err;

	if (e->txn_gen >= 0)
		return -EBUSY;
	/* A crashed agent may have flipped without waiting: wait now. */
	err = enforce_barrier(e);
	if (!err)
		err = clear_gen(e, gen);
	if (err)
		return err;
	e->txn_gen = gen;
	return gen;
}

static int write_entry(struct enforce *e, uint32_t gen, uint64_t cgid, const struct bh_cg_policy *pol)
{
	struct bh_cg_key key = { .gen = gen, .cgroup_id = cgid };
	struct bh_cg_policy v;

	if (!pol) {
		if (bpf_map_delete_elem(e->pol_fd, &key) && errno != ENOENT)
			return -errno;
		return 0;
	}
	v = *pol;
	v.slot = enforce_slot(e, cgid);
	if (bpf_map_update_elem(e->pol_fd, &key, &v, BPF_ANY))
		return -errno;
	return 0;
}

int enforce_txn_assign(struct enforce *e, uint64_t cgid, const struct bh_cg_policy *pol)
{
	if (e->txn_gen < 0)
		return -EINVAL;
	return write_entry(e, e->txn_gen, cgid, pol);
}

int enforce_commit(struct enforce *e)
{
	uint32_t zero = 0, gen, old;
	int err;

	if (e->txn_gen < 0)
		return -EINVAL;
	gen = e->txn_gen;
	old = e->active;
	if (bpf_map_update_elem(e->gen_fd, &zero, &gen, BPF_ANY)) {
		err = -errno;
		log_warn_errno("enforce: flipping to generation %u", gen);
		return err;
	}
	e->active = gen;
	e->txn_gen = -1;
	/* Memoized file decisions of the old generation go now, not after the barrier
	 * (the features' clear_gen bumps the policy epoch then too). */
	err = enforce_memo_write(e->memo_fd, -1);
	if (err)
		log_warn("enforce: moving the file memo's epoch: %s", strerror(-err));
	/* No hook runs on the old generation after this: then clear it. */
	err = enforce_barrier(e);
	if (err)
		return err;
	return clear_gen(e, old);
}

void enforce_abort(struct enforce *e)
{
	if (e->txn_gen < 0)
		return;
	clear_gen(e, e->txn_gen);
	e->txn_gen = -1;
}

void enforce_release(struct enforce *e, uint64_t cgid)
{
	if (bpf_map_delete_elem(e->hold_fd, &cgid) && errno != ENOENT)
		log_warn_errno("enforce: releasing the hold on cgroup %llu", (unsigned long long)cgid);
}

int enforce_alias_map(struct bpf_map *m, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!m)
		return -ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map__reuse_fd(m, fd);
	close(fd);
	return err;
}

int enforce_memo_ctl_fd(const struct enforce *e)
{
	return e->memo_fd;
}

int enforce_bump_epoch(struct enforce *e)
{
	int fd = bpf_map__fd(e->skel->maps.bh_policy_epoch);
	uint64_t epoch = 0;
	uint32_t zero = 0;
	int err;

	if (bpf_map_lookup_elem(fd, &zero, &epoch))
		return -errno;
	epoch++;
	if (bpf_map_update_elem(fd, &zero, &epoch, BPF_ANY))
		return -errno;
	/* after what changed, as the policy epoch: a file decision stored under the
	 * old memo epoch read the old state, or is stale */
	err = enforce_memo_write(e->memo_fd, -1);
	if (err)
		log_warn("enforce: moving the file memo's epoch: %s", strerror(-err));
	return err;
}

/*
 * A container whose entry in the generation in force changes outside a
 * transaction: what features memoized under the old entry (per socket, per
 * inode) must be decided again. (A new container has nothing memoized.)
 * Returns 1 if it changes; the caller bumps the epoch with
 * entry_changed() AFTER writing the entry: a hook that reads the new epoch
 * then reads the new entry, and a decision made from the old entry carries
 * an older epoch, whatever the interleaving.
 */
static int entry_changing(struct enforce *e, uint64_t cgid, const struct bh_cg_policy *pol)
{
	struct bh_cg_key key = { .gen = e->active, .cgroup_id = cgid };
	struct bh_cg_policy old;

	if (bpf_map_lookup_elem(e->pol_fd, &key, &old))
		return 0;
	if (pol && old.policy_id == pol->policy_id && old.flags == pol->flags &&
	    !memcmp(old.mode, pol->mode, sizeof(old.mode)))
		return 0;
	return 1;
}

static void entry_changed(struct enforce *e, int changing)
{
	int err;

	if (!changing)
		return;
	err = enforce_bump_epoch(e);
	if (err)
		log_warn("enforce: new policy epoch: %s", strerror(-err));
}

int enforce_assign(struct enforce *e, uint64_t cgid, const struct bh_cg_policy *active,
		   const struct bh_cg_policy *pending)
{
	int changing = entry_changing(e, cgid, active), err;

	err = write_entry(e, e->active, cgid, active);
	entry_changed(e, changing);

	if (!err && e->txn_gen >= 0)
		err = write_entry(e, e->txn_gen, cgid, pending);
	if (err)
		log_warn("enforce: cgroup %llu: writing its policy entry: %s",
			 (unsigned long long)cgid, strerror(-err));
	enforce_release(e, cgid);
	return err;
}

void enforce_forget(struct enforce *e, uint64_t cgid)
{
	int changing = entry_changing(e, cgid, NULL);

	write_entry(e, 0, cgid, NULL);
	write_entry(e, 1, cgid, NULL);
	entry_changed(e, changing);
	enforce_release(e, cgid);
	slot_free(e, cgid);
}

uint32_t enforce_count(const struct enforce *e, uint32_t gen)
{
	uint32_t n = 0;

	map_delete_matching(e->pol_fd, sizeof(struct bh_cg_key), cg_key_gen, gen, &n, true);
	return n;
}

int enforce_register(struct enforce *e, const struct enforce_feature *f)
{
	if (e->nfeats == ENFORCE_MAX_FEATURES || !f->clear_gen)
		return -ENOSPC;
	e->feats[e->nfeats++] = *f;
	return 0;
}

const char *enforce_pin_dir(const struct enforce *e)
{
	return e->pin_dir;
}

int enforce_link_path(const struct enforce *e, const char *name, char *buf, size_t len)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/" ENFORCE_LINK_SUBDIR, e->pin_dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

void enforce_link_close(struct bpf_link *l, bool detach)
{
	if (l && detach) {
		bpf_link__detach(l);
		bpf_link__unpin(l);
	}
	bpf_link__destroy(l);
}

int enforce_hold_fd(const struct enforce *e)
{
	return e->hold_fd;
}

/* ---- open / close ------------------------------------------------------------ */

/* mkdir -p on bpffs; the parent of the pin directory must be on bpffs. */
static int make_pin_dir(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], *p;
	struct statfs sfs;

	if (strlen(dir) >= sizeof(path) - 1 || dir[0] != '/') {
		snprintf(err, errlen, "enforce: pin directory '%s': must be an absolute path", dir);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) && errno != EEXIST) {
			snprintf(err, errlen, "enforce: cannot create %s: %s", path, strerror(errno));
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "enforce: cannot create pin directory %s: %s", path, strerror(errno));
		return -errno;
	}
	if (statfs(path, &sfs) || (uint32_t)sfs.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen, "enforce: pin directory %s is not on a BPF file system "
			 "(mount -t bpf bpf /sys/fs/bpf)", path);
		return -ENOTDIR;
	}
	return 0;
}

static void rebuild_slots(struct enforce *e)
{
	struct bh_cg_key key, next;
	struct bh_cg_policy v;
	int first = 1;

	while (!bpf_map_get_next_key(e->pol_fd, first ? NULL : &key, &next)) {
		first = 0;
		key = next;
		if (!bpf_map_lookup_elem(e->pol_fd, &next, &v) && v.slot && v.slot < BH_MAX_SLOTS &&
		    !slot_find(e, next.cgroup_id, 0))
			slot_take(e, next.cgroup_id, v.slot);
	}
}

struct enforce *enforce_open(const struct enforce_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct enforce *e;
	uint32_t zero = 0, gen = 0;
	int r;

	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "enforce: out of memory");
		return NULL;
	}
	e->txn_gen = -1;
	e->inner_fd = -1;
	e->slots = calloc(SLOT_TAB_CAP, sizeof(*e->slots));
	e->slot_used = calloc(BH_MAX_SLOTS, 1);
	if (!e->slots || !e->slot_used) {
		snprintf(err, errlen, "enforce: out of memory");
		goto fail;
	}
	snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", o->pin_dir ? o->pin_dir : BH_PIN_DIR_DEFAULT);
	if (make_pin_dir(e->pin_dir, err, errlen))
		goto fail;

	oo.pin_root_path = e->pin_dir;
	oo.btf_custom_path = o->btf_path;
	e->skel = enforce_bpf__open_opts(&oo);
	if (!e->skel) {
		snprintf(err, errlen, "enforce: cannot open BPF object: %s", strerror(errno));
		goto fail;
	}
	r = enforce_bpf__load(e->skel);
	if (r) {
		snprintf(err, errlen, "enforce: cannot load the shared maps under %s: %s (pins left "
			 "by another version? 'bulkhead unload --pin-dir %s' removes them)",
			 e->pin_dir, strerror(-r), e->pin_dir);
		goto fail;
	}
	e->gen_fd = bpf_map__fd(e->skel->maps.bh_active_gen);
	e->pol_fd = bpf_map__fd(e->skel->maps.bh_cgroup_policy);
	e->barrier_fd = bpf_map__fd(e->skel->maps.bh_barrier);
	e->hold_fd = bpf_map__fd(e->skel->maps.bh_cg_hold);
	e->memo_fd = bpf_map__fd(e->skel->maps.bh_memo_ctl);
	e->inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bh_barrier_in", 4, 4, 1, NULL);
	if (e->inner_fd < 0) {
		snprintf(err, errlen, "enforce: cannot create the barrier's inner map: %s", strerror(errno));
		goto fail;
	}
	if (bpf_map_lookup_elem(e->gen_fd, &zero, &gen)) {
		snprintf(err, errlen, "enforce: cannot read bh_active_gen: %s", strerror(errno));
		goto fail;
	}
	e->active = gen & 1;
	rebuild_slots(e);
	log_debug("enforce: maps under %s, active generation %u, %u containers", e->pin_dir,
		  e->active, enforce_count(e, e->active));
	return e;
fail:
	enforce_close(e);
	return NULL;
}

void enforce_close(struct enforce *e)
{
	if (!e)
		return;
	enforce_bpf__destroy(e->skel);
	if (e->inner_fd >= 0)
		close(e->inner_fd);
	free(e->slots);
	free(e->slot_used);
	free(e);
}

/* ---- unload ------------------------------------------------------------------- */

/* The programs behind the links removed, to wait for their release. */
static void note_prog(struct enforce_prog_set *up, int link_fd)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) || !info.prog_id)
		return;
	for (int i = 0; i < up->n; i++)
		if (up->id[i] == info.prog_id)
			return;
	if (up->n < ENFORCE_UNLOAD_MAX_PROGS)
		up->id[up->n++] = info.prog_id;
}

/* Remove pins below dir (depth-first); links are detached first. */
static int remove_pins(const char *dir, int links, int depth, int *detached, struct enforce_prog_set *up,
		       char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (depth > 4)
		return 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			int r = remove_pins(path, links || !strcmp(de->d_name, ENFORCE_LINK_SUBDIR),
					    depth + 1, detached, up, err, errlen);

			if (r < 0 && !ret)
				ret = r;
			continue;
		}
		if (links) {
			int fd = bpf_obj_get(path);

			/*
			 * A link that cannot be detached (BPF LSM's trampoline links on
			 * some kernels) goes when its last reference, this pin, goes.
			 */
			if (fd >= 0) {
				note_prog(up, fd);
				bpf_link_detach(fd);
				(*detached)++;
				close(fd);
			}
		}
		if (unlink(path) && !ret) {
			ret = -errno;
			snprintf(err, errlen, "unload: cannot remove %s: %s", path, strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT && !ret) {
		ret = -errno;
		snprintf(err, errlen, "unload: cannot remove %s: %s", dir, strerror(errno));
	}
	return ret;
}

/* Is the program with this id still loaded? */
static bool prog_loaded(uint32_t id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != ENOENT;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int enforce_unload_report(const char *pin_dir, unsigned wait_ms, struct enforce_unload_rep *rep,
			  char *err, size_t errlen)
{
	struct enforce_prog_set up = { .n = 0 };
	struct statfs sfs;
	int detached = 0, r;

	memset(rep, 0, sizeof(*rep));
	if (!pin_dir || pin_dir[0] != '/') {
		snprintf(err, errlen, "unload: pin directory must be an absolute path");
		return -EINVAL;
	}
	if (statfs(pin_dir, &sfs)) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "unload: %s: %s", pin_dir, strerror(errno));
		return -errno;
	}
	if ((uint32_t)sfs.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen, "unload: %s is not on a BPF file system: refusing to remove it",
			 pin_dir);
		return -ENOTDIR;
	}
	/* Links first, so nothing enforces with half-removed maps. */
	{
		char links[PATH_MAX];

		snprintf(links, sizeof(links), "%s/" ENFORCE_LINK_SUBDIR, pin_dir);
		r = remove_pins(links, 1, 0, &detached, &up, err, errlen);
		if (r < 0)
			return r;
	}
	r = remove_pins(pin_dir, 0, 0, &detached, &up, err, errlen);
	if (r < 0)
		return r;
	/*
	 * The kernel releases a link whose last reference went in a work item
	 * (always on 6.12): its program can run for a while after the unpin. A
	 * program whose id is gone was taken off its hook first (the link's
	 * release precedes the program's last put), so wait for the ids.
	 */
	rep->progs = up.n;
	rep->lingering = enforce_wait_freed(&up, wait_ms, &rep->waited_ms);
	for (int i = 0, k = 0; i < up.n && k < ENFORCE_UNLOAD_MAX_PROGS; i++)
		if (up.id[i])
			rep->lingering_id[k++] = up.id[i];
	return detached;
}

int enforce_wait_freed(struct enforce_prog_set *ps, unsigned wait_ms, unsigned *waited_ms)
{
	uint64_t t0 = mono_ms();
	int left;

	for (;;) {
		left = 0;
		for (int i = 0; i < ps->n; i++)
			if (ps->id[i] && prog_loaded(ps->id[i]))
				left++;
			else
				ps->id[i] = 0;
		*waited_ms = (unsigned)(mono_ms() - t0);
		if (!left || *waited_ms >= wait_ms)
			return left;
		usleep(5000);
	}
}

void enforce_pinned_progs(const char *pin_dir, struct enforce_prog_set *ps)
{
	char links[PATH_MAX];
	struct dirent *de;
	DIR *d;

	ps->n = 0;
	if ((size_t)snprintf(links, sizeof(links), "%s/" ENFORCE_LINK_SUBDIR, pin_dir) >= sizeof(links))
		return;
	d = opendir(links);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		int fd;

		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", links, de->d_name) >= sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			note_prog(ps, fd);
			close(fd);
		}
	}
	closedir(d);
}

int enforce_unload(const char *pin_dir, char *err, size_t errlen)
{
	struct enforce_unload_rep rep;
	int r = enforce_unload_report(pin_dir, ENFORCE_UNLOAD_WAIT_MS, &rep, err, errlen);

	if (r > 0 && rep.lingering)
		log_warn("unload: %d of %d detached programs still loaded after %u ms (held by another "
			 "process?)", rep.lingering, rep.progs, rep.waited_ms);
	return r;
}
