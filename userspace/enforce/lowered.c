// SPDX-License-Identifier: GPL-2.0
/* A policy set lowered for the kernel; diff-writes into a generation. See lowered.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/file.h"
#include "abi/net.h"
#include "enforce/file.h"
#include "enforce/lowered.h"
#include "enforce/net.h"
#include "lib/log.h"
#include "policy/sha256.h"

const char *const lowered_map_names[LM_COUNT] = {
	[LM_NET_CIDR4] = "bh_net_cidr4", [LM_NET_CIDR6] = "bh_net_cidr6",
	[LM_NET_PORTS] = "bh_net_ports", [LM_FILE_PATHS] = "bh_file_paths",
	[LM_FILE_GLOBS] = "bh_file_globs", [LM_FILE_POL] = "bh_file_pol",
};

const uint32_t lowered_cap[LM_COUNT] = {
	[LM_NET_CIDR4] = BH_NET_CIDR_MAX / 2, [LM_NET_CIDR6] = BH_NET_CIDR_MAX / 2,
	[LM_NET_PORTS] = BH_NET_PORT_MAX / 2, [LM_FILE_PATHS] = BH_FILE_NODES_MAX / 2,
	[LM_FILE_GLOBS] = BH_FILE_GLOB_SLOTS / 2, [LM_FILE_POL] = BH_FILE_POL_MAX / 2,
};

/* One policy, lowered. Shared (refcounted) by the sets and images that hold it. */
struct lblock {
	uint32_t refs;
	struct lowered *owner;	/* gives the block number back; NULL: bulkhead check's */
	uint32_t block_id;	/* unique among the owner's live blocks (net node ids) */
	uint32_t policy_id;
	uint8_t hash[32];
	bool has_net, has_file;
	struct net_block net;
	struct file_block file;
};

struct lowered_set {
	uint32_t n;
	struct lblock **blk;
	uint32_t *glob_base;	/* per block: its first glob slot in a generation */
	struct lowered_need need;
};

/* Deletes left for after the flip: entries no lookup of the new generation can reach. */
struct deferred {
	struct lblock *b;	/* a reference held until done */
	uint32_t gen, glob_base;
	bool all;		/* the policy id is gone: every entry; else its port entries only */
};

#define BLOCK_IDS	(1u << NET_ID_BLOCK_BITS)

struct lowered {
	struct lowered_set *img[2];	/* what each generation holds; NULL: unknown */
	bool known[2];
	uint8_t id_used[BLOCK_IDS];	/* block numbers in use (0 never) */
	uint32_t id_next;
	struct deferred *defer;
	uint32_t ndefer, capdefer;
};

/* ---- blocks --------------------------------------------------------------- */

static void block_put(struct lblock *b)
{
	if (!b || --b->refs)
		return;
	if (b->owner)
		b->owner->id_used[b->block_id] = 0;
	net_block_free(&b->net);
	file_block_free(&b->file);
	free(b);
}

static bool has_source(const struct policy *p)
{
	static const uint8_t none[32];

	return memcmp(p->source, none, sizeof(none)) != 0;
}

/*
 * Everything the lowering reads of p: the id, and the rules and defaults, which
 * the policy's source (policy.source: its file's bytes and document) names
 * without reading them; a policy made by hand, without a source, by its tables.
 */
static void policy_hash(const struct policy *p, bool with_file, uint8_t out[32])
{
	struct sha256 s;
	uint8_t flags = with_file;

	sha256_init(&s);
	sha256_update(&s, &p->id, sizeof(p->id));
	sha256_update(&s, &flags, 1);
	if (has_source(p)) {
		sha256_update(&s, p->source, sizeof(p->source));
		sha256_final(&s, out);
		return;
	}
	sha256_update(&s, p->net_default, sizeof(p->net_default));
	sha256_update(&s, p->file_default, sizeof(p->file_default));
	sha256_update(&s, &p->exec_default, sizeof(p->exec_default));
	for (int d = 0; d < 2; d++) {
		sha256_update(&s, &p->n_net[d], sizeof(p->n_net[d]));
		if (p->n_net[d])
			sha256_update(&s, p->net[d], p->n_net[d] * sizeof(*p->net[d]));
	}
	for (int t = 0; t < 2; t++) {
		const struct policy_path_rule *r = t ? p->exec : p->file;
		uint32_t n = t ? p->n_exec : p->n_file;

		sha256_update(&s, &n, sizeof(n));
		for (uint32_t i = 0; i < n; i++) {
			size_t l = strnlen(r[i].pattern, sizeof(r[i].pattern));

			sha256_update(&s, r[i].pattern, l + 1 > sizeof(r[i].pattern) ? l : l + 1);
			sha256_update(&s, &r[i].specificity, sizeof(r[i].specificity));
			sha256_update(&s, &r[i].src, sizeof(r[i].src));
			sha256_update(&s, &r[i].ops, sizeof(r[i].ops));
			sha256_update(&s, &r[i].kind, 1);
			sha256_update(&s, &r[i].action, 1);
		}
	}
	sha256_final(&s, out);
}

/* A block number no live block has (lw NULL: the policy id, for a check). */
static uint32_t block_id_new(struct lowered *lw, uint32_t policy_id)
{
	if (!lw)
		return policy_id;
	for (uint32_t i = 0; i < BLOCK_IDS - 1; i++) {
		uint32_t id = 1 + (lw->id_next + i) % (BLOCK_IDS - 1);

		if (!lw->id_used[id]) {
			lw->id_used[id] = 1;
			lw->id_next = id;
			return id;
		}
	}
	return 0;
}

/* A block for p with a number of its own, not lowered yet (block_lower()). */
static struct lblock *block_new(struct lowered *lw, const struct policy *p, const uint8_t hash[32],
				char *err, size_t errlen)
{
	struct lblock *b = calloc(1, sizeof(*b));

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->refs = 1;
	b->block_id = block_id_new(lw, p->id);
	if (!b->block_id || b->block_id >= BLOCK_IDS) {
		snprintf(err, errlen, "policy %s: no block number left", p->name);
		free(b);
		return NULL;
	}
	b->owner = lw;
	b->policy_id = p->id;
	memcpy(b->hash, hash, 32);
	net_block_init(&b->net);
	return b;
}

/* Lower p into b (reads p and writes b only: blocks are lowered by two threads at once). */
static int block_lower(struct lblock *b, const struct policy *p, bool with_file, char *err, size_t errlen)
{
	char ferr[384];
	int r;

	if (net_policy_active(p)) {
		b->has_net = true;
		r = net_lower_build(p, b->block_id, &b->net, NULL);
		if (r) {
			snprintf(err, errlen, "policy %s: network rules: %s", p->name,
				 r == -E2BIG ? "more kernel nodes than a policy may have" : strerror(-r));
			return r;
		}
	}
	if (with_file && (file_policy_active(p) || exec_policy_active(p))) {
		b->has_file = true;
		r = file_lower_build(p, &b->file, ferr, sizeof(ferr));
		if (r) {
			snprintf(err, errlen, "policy %s: %s", p->name, ferr);
			return r;
		}
	}
	return 0;
}

/* The blocks of a set that are new, lowered by two threads (a 10,000-rule set: a few tens of ms). */
struct lower_job {
	struct lblock *b;
	const struct policy *p;
	int r;
	char err[512];
};

struct lower_pool {
	struct lower_job *jobs;
	uint32_t n, next;	/* next: taken with __atomic_fetch_add */
	bool with_file;
};

static void *lower_worker(void *arg)
{
	struct lower_pool *lp = arg;
	uint32_t i;

	while ((i = __atomic_fetch_add(&lp->next, 1, __ATOMIC_RELAXED)) < lp->n) {
		struct lower_job *j = &lp->jobs[i];

		j->r = block_lower(j->b, j->p, lp->with_file, j->err, sizeof(j->err));
	}
	return NULL;
}

static void lower_all(struct lower_pool *lp)
{
	pthread_t th;
	bool have_th = lp->n >= 4 && !pthread_create(&th, NULL, lower_worker, lp);

	lower_worker(lp);
	if (have_th)
		pthread_join(th, NULL);
}

static struct lblock *find_block(struct lowered *lw, uint32_t id, const uint8_t hash[32])
{
	for (int g = 0; lw && g < 2; g++) {
		struct lowered_set *ls = lw->img[g];

		for (uint32_t i = 0; ls && i < ls->n; i++)
			if (ls->blk[i]->policy_id == id && !memcmp(ls->blk[i]->hash, hash, 32))
				return ls->blk[i];
	}
	return NULL;
}

/* ---- sets ------------------------------------------------------------------ */

void lowered_set_free(struct lowered_set *ls)
{
	if (!ls)
		return;
	for (uint32_t i = 0; i < ls->n; i++)
		block_put(ls->blk[i]);
	free(ls->blk);
	free(ls->glob_base);
	free(ls);
}

static int over_capacity(const struct lowered_need *need, char *err, size_t errlen)
{
	size_t off = 0;
	int over = 0;

	for (int m = 0; m < LM_COUNT; m++) {
		if (need->n[m] <= lowered_cap[m])
			continue;
		if (!over)
			off += (size_t)snprintf(err + off, off < errlen ? errlen - off : 0,
						"the policy set does not fit the kernel's maps, "
						"nothing was written: ");
		off += (size_t)snprintf(err + off, off < errlen ? errlen - off : 0, "%s%s: %u entries "
					"needed, %u per generation", over ? "; " : "",
					lowered_map_names[m], need->n[m], lowered_cap[m]);
		over = 1;
	}
	return over ? -E2BIG : 0;
}

static struct lowered_set *prepare(struct lowered *lw, const struct policy_set *set, bool with_file,
				   struct lowered_need *needp, char *err, size_t errlen, int *errnum)
{
	struct lowered_set *ls = calloc(1, sizeof(*ls));
	struct lower_job *jobs = NULL;
	struct lower_pool pool = { .with_file = with_file };
	uint32_t globs = 0;

	err[0] = 0;
	if (!ls || !(ls->blk = calloc(set->n_policies + 1, sizeof(*ls->blk))) ||
	    !(ls->glob_base = calloc(set->n_policies + 1, sizeof(*ls->glob_base)))) {
		snprintf(err, errlen, "out of memory");
		lowered_set_free(ls);
		*errnum = ENOMEM;
		return NULL;
	}
	pool.jobs = jobs = calloc(set->n_policies + 1, sizeof(*jobs));
	if (!jobs) {
		snprintf(err, errlen, "out of memory");
		lowered_set_free(ls);
		*errnum = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < set->n_policies; i++) {
		const struct policy *p = &set->policies[i];
		uint8_t h[32];
		struct lblock *b;

		if (!net_policy_active(p) && !(with_file && (file_policy_active(p) || exec_policy_active(p))))
			continue;
		policy_hash(p, with_file, h);
		b = find_block(lw, p->id, h);
		if (b) {
			b->refs++;
		} else if (p->tables_dropped) {
			/* copied from a set before (policy_set_load_reusing()) whose blocks are gone */
			snprintf(err, errlen, "policy %s: its rules were not kept", p->name);
			*errnum = ESTALE;
			goto fail;
		} else {
			b = block_new(lw, p, h, err, errlen);
			if (!b)
				goto fail;
			pool.jobs[pool.n++] = (struct lower_job){ .b = b, .p = p };
		}
		ls->blk[ls->n++] = b;
	}
	lower_all(&pool);
	for (uint32_t i = 0; i < pool.n; i++)
		if (pool.jobs[i].r) {
			snprintf(err, errlen, "%s", pool.jobs[i].err);
			goto fail;
		}
	for (uint32_t i = 0; i < ls->n; i++) {
		const struct lblock *b = ls->blk[i];

		ls->glob_base[i] = globs;
		ls->need.n[LM_NET_CIDR4] += b->net.cidr4.n;
		ls->need.n[LM_NET_CIDR6] += b->net.cidr6.n;
		ls->need.n[LM_NET_PORTS] += b->net.ports.n;
		if (b->has_file) {
			ls->need.n[LM_FILE_PATHS] += b->file.n;
			ls->need.n[LM_FILE_GLOBS] += b->file.nglobs;
			ls->need.n[LM_FILE_POL]++;
			globs += b->file.nglobs;
		}
	}
	free(jobs);
	if (needp)
		*needp = ls->need;
	if (over_capacity(&ls->need, err, errlen)) {
		lowered_set_free(ls);
		return NULL;
	}
	return ls;
fail:
	free(jobs);
	lowered_set_free(ls);
	return NULL;
}

struct lowered_set *lowered_set_dup(const struct lowered_set *ls)
{
	struct lowered_set *d = calloc(1, sizeof(*d));

	if (!d || !(d->blk = calloc(ls->n + 1, sizeof(*d->blk))) ||
	    !(d->glob_base = calloc(ls->n + 1, sizeof(*d->glob_base)))) {
		lowered_set_free(d);
		return NULL;
	}
	d->n = ls->n;
	d->need = ls->need;
	for (uint32_t i = 0; i < ls->n; i++) {
		d->blk[i] = ls->blk[i];
		d->blk[i]->refs++;
		d->glob_base[i] = ls->glob_base[i];
	}
	return d;
}

struct lowered_set *lowered_prepare(struct lowered *lw, const struct policy_set *set, bool with_file,
				    struct lowered_need *need, char *err, size_t errlen, int *errnum)
{
	int e = E2BIG;
	struct lowered_set *ls = prepare(lw, set, with_file, need, err, errlen, &e);

	if (errnum)
		*errnum = ls ? 0 : e;
	return ls;
}

int lowered_check(const struct policy_set *set, struct lowered_need *need, char *err, size_t errlen)
{
	int e = E2BIG;
	struct lowered_set *ls = prepare(NULL, set, true, need, err, errlen, &e);

	if (!ls)
		return -e;
	lowered_set_free(ls);
	return 0;
}

/* ---- generations -------------------------------------------------------------- */

static void drop_deferred(struct lowered *lw, uint32_t gen);

struct lowered *lowered_new(void)
{
	return calloc(1, sizeof(struct lowered));
}

void lowered_forget(struct lowered *lw, uint32_t gen)
{
	drop_deferred(lw, gen & 1);
	lowered_set_free(lw->img[gen & 1]);
	lw->img[gen & 1] = NULL;
	lw->known[gen & 1] = false;
}

void lowered_free(struct lowered *lw)
{
	if (!lw)
		return;
	lowered_forget(lw, 0);
	lowered_forget(lw, 1);
	free(lw->defer);
	free(lw);
}

bool lowered_known(const struct lowered *lw, uint32_t gen)
{
	return lw->known[gen & 1];
}

struct lowered_set *lowered_image(struct lowered *lw, uint32_t gen)
{
	return lw->known[gen & 1] ? lw->img[gen & 1] : NULL;
}

/* Does ls hold block b at glob base gb? */
static bool holds(const struct lowered_set *ls, const struct lblock *b, uint32_t gb)
{
	for (uint32_t i = 0; ls && i < ls->n; i++)
		if (ls->blk[i] == b && (!b->has_file || ls->glob_base[i] == gb))
			return true;
	return false;
}

/* Write (del: delete) b's entries in gen; its network entries only if with_net (else another thread does). */
static int write_block(struct net_maps *net, struct file_maps *file, uint32_t gen,
		       const struct lblock *b, uint32_t gb, bool del, bool with_net, struct lowered_write_stats *st)
{
	int err = 0;

	if (b->has_net && with_net)
		err = net_block_write(net, gen, &b->net, del, NET_PART_ALL);
	if (!err && b->has_file && file)
		err = file_block_write(file, gen, &b->file, gb, del);
	if (!err && st) {
		uint32_t n = b->net.cidr4.n + b->net.cidr6.n + b->net.ports.n +
			     (b->has_file ? b->file.n + 1 : 0);

		if (del) {
			st->deleted += n;
		} else {
			st->written += n;
			st->blocks_written++;
		}
	}
	return err;
}

/* ---- deleting what a changed policy no longer has ---------------------------- */

/*
 * Binary search of ord, n indexes of the new list sorted by qsort with the
 * same order: does cmp_at(key, index) find an equal entry?
 */
static bool ord_find(const uint32_t *ord, uint32_t n, const void *key, int (*cmp_at)(const void *key, uint32_t idx))
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = cmp_at(key, ord[mid]);

		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static const struct kv_list *cmp_list;
static int kv_cmp_at(const void *key, uint32_t idx)
{
	return memcmp(key, kv_key(cmp_list, idx), cmp_list->ksz);
}
static int kv_idx_cmp(const void *a, const void *b)
{
	return memcmp(kv_key(cmp_list, *(const uint32_t *)a), kv_key(cmp_list, *(const uint32_t *)b),
		      cmp_list->ksz);
}

/* Delete from fd (generation gen) the keys of old that new lacks; the scope at byte 4 gets the bit. */
static int delete_missing_kv(int fd, const struct kv_list *old, const struct kv_list *new, uint32_t gen,
			     uint32_t *deleted)
{
	uint32_t *ord = NULL, nmiss = 0;
	uint8_t *miss = NULL;
	int err = 0;

	if (!old->n)
		return 0;
	ord = malloc((new->n + 1) * sizeof(*ord));
	miss = malloc((size_t)old->n * old->ksz);
	if (!ord || !miss) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < new->n; i++)
		ord[i] = i;
	cmp_list = new;
	qsort(ord, new->n, sizeof(*ord), kv_idx_cmp);
	for (uint32_t i = 0; i < old->n; i++) {
		const uint8_t *k = kv_key(old, i);

		if (ord_find(ord, new->n, k, kv_cmp_at))
			continue;
		memcpy(miss + (size_t)nmiss * old->ksz, k, old->ksz);
		*(uint32_t *)(miss + (size_t)nmiss * old->ksz + 4) |= (gen & 1) << 31;
		nmiss++;
	}
	if (nmiss)
		err = map_delete_many(fd, miss, old->ksz, nmiss);
	*deleted += nmiss;
out:
	free(ord);
	free(miss);
	return err;
}

/* Delete every key of l in generation gen (the bit at byte 4: a port key's node id). */
static int delete_all_kv(int fd, const struct kv_list *l, uint32_t gen)
{
	uint8_t *k;
	int err;

	if (!l->n)
		return 0;
	k = malloc((size_t)l->n * l->ksz);
	if (!k)
		return -ENOMEM;
	memcpy(k, l->keys, (size_t)l->n * l->ksz);
	for (uint32_t i = 0; i < l->n; i++)
		*(uint32_t *)(k + (size_t)i * l->ksz + 4) |= (gen & 1) << 31;
	err = map_delete_many(fd, k, l->ksz, l->n);
	free(k);
	return err;
}

static const struct file_block *cmp_fb, *cmp_fb_old;
static int fent_cmp(const struct file_block *a, const struct file_block_ent *x,
		    const struct file_block *b, const struct file_block_ent *y)
{
	if (x->scope != y->scope)
		return x->scope < y->scope ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(a->pool + x->off, b->pool + y->off, x->len);
}
static int fent_idx_cmp(const void *a, const void *b)
{
	return fent_cmp(cmp_fb, &cmp_fb->ent[*(const uint32_t *)a], cmp_fb, &cmp_fb->ent[*(const uint32_t *)b]);
}
/* An entry of cmp_fb_old against cmp_fb's entry idx. */
static int fent_cmp_at(const void *key, uint32_t idx)
{
	return fent_cmp(cmp_fb_old, key, cmp_fb, &cmp_fb->ent[idx]);
}

/* Delete the path entries (and the policy entry) of old that new lacks, in generation gen. */
static int delete_missing_paths(struct file_maps *m, const struct file_block *old, const struct file_block *new,
				bool new_has_file, uint32_t gen, uint32_t *deleted)
{
	uint32_t *ord = NULL, nmiss = 0, g = (gen & 1) << 31, scope;
	struct bh_file_key *miss = NULL;
	int err = 0;

	if (!old->n)
		goto pol;
	ord = malloc((new->n + 1) * sizeof(*ord));
	miss = malloc((size_t)old->n * sizeof(*miss));
	if (!ord || !miss) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < new->n; i++)
		ord[i] = i;
	cmp_fb = new;
	cmp_fb_old = old;
	qsort(ord, new->n, sizeof(*ord), fent_idx_cmp);
	for (uint32_t i = 0; i < old->n; i++) {
		const struct file_block_ent *e = &old->ent[i];

		if (ord_find(ord, new->n, e, fent_cmp_at))
			continue;
		memset(&miss[nmiss], 0, sizeof(miss[nmiss]));
		miss[nmiss].prefixlen = 32 + 8 * e->len;
		miss[nmiss].scope = e->scope | g;
		memcpy(miss[nmiss].path, old->pool + e->off, e->len);
		nmiss++;
	}
	if (nmiss)
		err = map_delete_many(m->paths, miss, sizeof(*miss), nmiss);
	*deleted += nmiss;
pol:
	if (!err && !new_has_file) {
		scope = old->pol_scope | g;
		err = map_delete_many(m->pol, &scope, sizeof(scope), 1);
		(*deleted)++;
	}
out:
	free(ord);
	free(miss);
	return err;
}

static const struct lblock *same_policy(const struct lowered_set *ls, uint32_t policy_id)
{
	for (uint32_t i = 0; i < ls->n; i++)
		if (ls->blk[i]->policy_id == policy_id)
			return ls->blk[i];
	return NULL;
}

static int defer_delete(struct lowered *lw, struct lblock *b, uint32_t gen, uint32_t gb, bool all)
{
	if (lw->ndefer == lw->capdefer) {
		uint32_t cap = lw->capdefer ? lw->capdefer * 2 : 64;
		struct deferred *d = realloc(lw->defer, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		lw->defer = d;
		lw->capdefer = cap;
	}
	b->refs++;
	lw->defer[lw->ndefer++] = (struct deferred){ .b = b, .gen = gen, .glob_base = gb, .all = all };
	return 0;
}

static void drop_deferred(struct lowered *lw, uint32_t gen)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < lw->ndefer; i++) {
		if (lw->defer[i].gen == gen)
			block_put(lw->defer[i].b);
		else
			lw->defer[k++] = lw->defer[i];
	}
	lw->ndefer = k;
}

/*
 * A block gen holds that ls does not. Before the flip, what a lookup in gen
 * could still reach: the CIDR and path keys (scoped by policy id) that the
 * policy's new block does not overwrite. After it: the rest (its port entries,
 * keyed by node ids of its own block number; everything of a policy id the new
 * set does not have, which no container of gen is assigned).
 */
static int retire_block(struct lowered *lw, struct lowered_set *ls, struct net_maps *net,
			struct file_maps *file, uint32_t gen, struct lblock *old, uint32_t gb,
			struct lowered_write_stats *st)
{
	const struct lblock *repl = same_policy(ls, old->policy_id);
	uint32_t deleted = 0;
	int err = 0;

	for (uint32_t i = 0; i < ls->n; i++)
		if (ls->blk[i] == old)
			return 0;	/* the same block, written again at another glob base */
	if (!repl)
		return defer_delete(lw, old, gen, gb, true);
	if (old->has_net) {
		err = delete_missing_kv(net->cidr4, &old->net.cidr4, &repl->net.cidr4, gen, &deleted);
		if (!err)
			err = delete_missing_kv(net->cidr6, &old->net.cidr6, &repl->net.cidr6, gen, &deleted);
		if (!err && old->net.ports.n)
			err = defer_delete(lw, old, gen, gb, false);
	}
	if (!err && old->has_file && file)
		err = delete_missing_paths(file, &old->file, &repl->file, repl->has_file, gen, &deleted);
	if (st)
		st->deleted += deleted;
	return err;
}

/*
 * The network entries of the blocks of ls that old does not hold: a second
 * thread from the start, the first too once its own share (file entries, and
 * the deletes) is written; a block at a time, taken with __atomic_fetch_add;
 * the first error stops both. Each map update costs about a microsecond on
 * the VMs this runs on (the interrupt re-enable after the map's lock), so a
 * 10,000-rule set's write is about halved.
 */
struct port_writer {
	struct net_maps *net;
	const struct lowered_set *ls, *old;
	uint32_t gen;
	uint32_t next;
	int err;
};

static void *port_writer_main(void *arg)
{
	struct port_writer *pw = arg;
	uint32_t i;

	while (!__atomic_load_n(&pw->err, __ATOMIC_RELAXED) &&
	       (i = __atomic_fetch_add(&pw->next, 1, __ATOMIC_RELAXED)) < pw->ls->n) {
		const struct lblock *b = pw->ls->blk[i];
		int e, none = 0;

		if (!b->has_net || holds(pw->old, b, pw->ls->glob_base[i]))
			continue;
		e = net_block_write(pw->net, pw->gen, &b->net, false, NET_PART_ALL);
		if (e)
			__atomic_compare_exchange_n(&pw->err, &none, e, false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
	}
	return NULL;
}

int lowered_write(struct lowered *lw, struct lowered_set *ls, struct net_maps *net,
		  struct file_maps *file, uint32_t gen, struct lowered_write_stats *st)
{
	struct lowered_set *old;
	struct port_writer pw;
	uint64_t entries = 0;
	pthread_t th;
	bool have_th;
	int err = 0;

	gen &= 1;
	if (lw->known[gen])
		err = lowered_after_flip(lw, net, file, gen);	/* none should be left; to be sure */
	if (err || !lw->known[gen]) {
		/* Content unknown (start, pins of another agent, an earlier error): clear it all. */
		drop_deferred(lw, gen);
		err = net_clear_gen(net, gen);
		if (!err && file)
			err = file_clear_gen(file, gen);
		if (err)
			return err;
		lowered_forget(lw, gen);
		lw->known[gen] = true;
	}
	old = lw->img[gen];
	pw = (struct port_writer){ .net = net, .ls = ls, .old = old, .gen = gen };
	for (uint32_t i = 0; i < ls->n; i++)
		if (!holds(old, ls->blk[i], ls->glob_base[i]))
			entries += ls->blk[i]->net.ports.n + ls->blk[i]->net.cidr4.n + ls->blk[i]->net.cidr6.n;
	have_th = entries >= 4096 && !pthread_create(&th, NULL, port_writer_main, &pw);
	/* The new blocks first: a changed policy's keys that stay are overwritten in place. */
	for (uint32_t i = 0; i < ls->n && !err; i++) {
		if (holds(old, ls->blk[i], ls->glob_base[i])) {
			if (st)
				st->blocks_kept++;
			continue;
		}
		err = write_block(net, file, gen, ls->blk[i], ls->glob_base[i], false, !have_th, st);
	}
	for (uint32_t i = 0; old && i < old->n && !err; i++)
		if (!holds(ls, old->blk[i], old->glob_base[i]))
			err = retire_block(lw, ls, net, file, gen, old->blk[i], old->glob_base[i], st);
	if (have_th) {
		if (!err)
			port_writer_main(&pw);
		else
			__atomic_store_n(&pw.err, err, __ATOMIC_RELAXED);
		pthread_join(th, NULL);
		if (!err)
			err = pw.err;
	}
	if (err) {
		drop_deferred(lw, gen);
		lowered_forget(lw, gen);
		return err;
	}
	lowered_set_free(old);
	lw->img[gen] = ls;
	return 0;
}

int lowered_after_flip(struct lowered *lw, struct net_maps *net, struct file_maps *file, uint32_t gen)
{
	int err = 0;
	uint32_t k = 0;

	for (uint32_t i = 0; i < lw->ndefer; i++) {
		struct deferred *d = &lw->defer[i];
		int r = 0;

		if (d->gen != gen) {
			lw->defer[k++] = *d;
			continue;
		}
		if (d->all)
			r = write_block(net, file, gen, d->b, d->glob_base, true, true, NULL);
		else
			r = delete_all_kv(net->ports, &d->b->net.ports, gen);
		if (r && !err)
			err = r;
		block_put(d->b);
	}
	lw->ndefer = k;
	if (err) {
		/* Entries left that a later block number could reach: clear it all before the next write. */
		log_warn("policy: deleting generation %u's old entries: %s (cleared before its next use)",
			 gen, strerror(-err));
		lowered_forget(lw, gen);
	}
	return err;
}
