// SPDX-License-Identifier: GPL-2.0
/* A policy set lowered for the kernel; diff-writes into a generation. See lowered.h. */
#include <errno.h>
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

struct lowered {
	struct lowered_set *img[2];	/* what each generation holds; NULL: unknown */
	bool known[2];
};

/* ---- blocks --------------------------------------------------------------- */

static void block_put(struct lblock *b)
{
	if (!b || --b->refs)
		return;
	net_block_free(&b->net);
	file_block_free(&b->file);
	free(b);
}

/* Everything the lowering reads of p (the rules, the defaults, the id). */
static void policy_hash(const struct policy *p, bool with_file, uint8_t out[32])
{
	struct sha256 s;
	uint8_t flags = with_file;

	sha256_init(&s);
	sha256_update(&s, &p->id, sizeof(p->id));
	sha256_update(&s, &flags, 1);
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

static struct lblock *block_build(const struct policy *p, bool with_file, const uint8_t hash[32],
				  char *err, size_t errlen)
{
	struct lblock *b = calloc(1, sizeof(*b));
	char ferr[384];
	int r = 0;

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->refs = 1;
	b->policy_id = p->id;
	memcpy(b->hash, hash, 32);
	net_block_init(&b->net);
	if (net_policy_active(p)) {
		b->has_net = true;
		r = net_lower_build(p, &b->net, NULL);
		if (r) {
			snprintf(err, errlen, "policy %s: network rules: %s", p->name,
				 r == -E2BIG ? "more kernel nodes than a policy may have" : strerror(-r));
			goto fail;
		}
	}
	if (with_file && (file_policy_active(p) || exec_policy_active(p))) {
		b->has_file = true;
		r = file_lower_build(p, &b->file, ferr, sizeof(ferr));
		if (r) {
			snprintf(err, errlen, "policy %s: %s", p->name, ferr);
			goto fail;
		}
	}
	return b;
fail:
	block_put(b);
	return NULL;
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
				   struct lowered_need *needp, char *err, size_t errlen)
{
	struct lowered_set *ls = calloc(1, sizeof(*ls));
	uint32_t globs = 0;

	err[0] = 0;
	if (!ls || !(ls->blk = calloc(set->n_policies + 1, sizeof(*ls->blk))) ||
	    !(ls->glob_base = calloc(set->n_policies + 1, sizeof(*ls->glob_base)))) {
		snprintf(err, errlen, "out of memory");
		lowered_set_free(ls);
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
		} else {
			b = block_build(p, with_file, h, err, errlen);
			if (!b) {
				lowered_set_free(ls);
				return NULL;
			}
		}
		ls->glob_base[ls->n] = globs;
		ls->blk[ls->n++] = b;
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
	if (needp)
		*needp = ls->need;
	if (over_capacity(&ls->need, err, errlen)) {
		lowered_set_free(ls);
		return NULL;
	}
	return ls;
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
				    struct lowered_need *need, char *err, size_t errlen)
{
	return prepare(lw, set, with_file, need, err, errlen);
}

int lowered_check(const struct policy_set *set, struct lowered_need *need, char *err, size_t errlen)
{
	struct lowered_set *ls = prepare(NULL, set, true, need, err, errlen);

	if (!ls)
		return -E2BIG;
	lowered_set_free(ls);
	return 0;
}

/* ---- generations -------------------------------------------------------------- */

struct lowered *lowered_new(void)
{
	return calloc(1, sizeof(struct lowered));
}

void lowered_forget(struct lowered *lw, uint32_t gen)
{
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

static int write_block(struct net_maps *net, struct file_maps *file, uint32_t gen,
		       const struct lblock *b, uint32_t gb, bool del, struct lowered_write_stats *st)
{
	int err = 0;

	if (b->has_net)
		err = net_block_write(net, gen, &b->net, del);
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

int lowered_write(struct lowered *lw, struct lowered_set *ls, struct net_maps *net,
		  struct file_maps *file, uint32_t gen, struct lowered_write_stats *st)
{
	struct lowered_set *old;
	int err = 0;

	gen &= 1;
	if (!lw->known[gen]) {
		/* Content unknown (start, pins of another agent, an earlier error): clear it all. */
		err = net_clear_gen(net, gen);
		if (!err && file)
			err = file_clear_gen(file, gen);
		if (err)
			return err;
		lowered_forget(lw, gen);
		lw->known[gen] = true;
	}
	old = lw->img[gen];
	/* Blocks gen holds that ls does not: out first (a changed policy reuses keys). */
	for (uint32_t i = 0; old && i < old->n && !err; i++)
		if (!holds(ls, old->blk[i], old->glob_base[i]))
			err = write_block(net, file, gen, old->blk[i], old->glob_base[i], true, st);
	for (uint32_t i = 0; i < ls->n && !err; i++) {
		if (holds(old, ls->blk[i], ls->glob_base[i])) {
			if (st)
				st->blocks_kept++;
			continue;
		}
		err = write_block(net, file, gen, ls->blk[i], ls->glob_base[i], false, st);
	}
	if (err) {
		lowered_forget(lw, gen);
		return err;
	}
	lowered_set_free(old);
	lw->img[gen] = ls;
	return 0;
}
