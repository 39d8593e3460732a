// SPDX-License-Identifier: GPL-2.0
/*
 * Lowering of a policy's file and exec tables into the kernel's path trie
 * (layout and lookup: bpf/abi/file.h, bpf/lib/path.bpf.h).
 *
 * Entries (literal strings, "\0" = the terminating NUL is part of the key):
 *   "/"                          always: every path finds a node
 *   exact "/a/b"                 "/a/b\0"
 *   prefix "/a/"                 "/a/" and "/a\0"
 *   glob "/h/ * /x"              its literal directory prefix "/h/"
 *   every strict ancestor        "/h\0", "/a\0" ... marked BH_FN_ANCESTOR
 * A path x finds the longest entry K that is a prefix of "x\0". The exact
 * and prefix rules that match x are then exactly those whose own entries are
 * prefixes of K, so each node's per-op decision is precomputed: the first
 * (most specific) such rule naming the op, else the default. Globs that can
 * match x are those whose literal prefix is a prefix of K: the node's bucket,
 * pruned to globs that could beat the precomputed rule for some op. The
 * kernel evaluates the bucket in rule order; the first match is the most
 * specific glob. file_table_decide() is that lookup in userspace; the unit
 * test checks it against policy_file_decide() over many paths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "enforce/file.h"
#include "lib/log.h"
#include "lib/map_util.h"

#define T_STAR	256
#define T_DSTAR	257

bool file_policy_active(const struct policy *p)
{
	if (p->n_file)
		return true;
	for (int o = 0; o < POLICY_OP_COUNT; o++)
		if (p->file_default[o] == POLICY_DENY)
			return true;
	return false;
}

bool exec_policy_active(const struct policy *p)
{
	return p->n_exec || p->exec_default == POLICY_DENY;
}

/* Length of the literal directory prefix: up to and including the last '/'
 * before the first '*'. */
static size_t glob_literal(const char *pat)
{
	const char *star = strchr(pat, '*');
	size_t l = star ? (size_t)(star - pat) : strlen(pat);

	while (l > 0 && pat[l - 1] != '/')
		l--;
	return l;
}

/*
 * The invoked-name lengths (bh_file_pol.name_lens, BH_NAME_BIT()) a rule
 * of p could deny an exec by: its deny rules that cover exec (a file rule
 * with the exec op, or spec.exec), each by the lengths its pattern can
 * match (policy_path_match(): an exact pattern its own; a prefix "/a/b/"
 * "/a/b" and longer; a glob its literal directory and longer). Without one
 * (an allow-list) the invoked name cannot change an answer, and the decision
 * memo never reads it.
 */
static uint64_t rule_name_lens(const struct policy_path_rule *r)
{
	size_t len = strlen(r->pattern), from;
	uint64_t m = 0;

	switch (r->kind) {
	case POLICY_PAT_EXACT:
		return BH_NAME_BIT(len);
	case POLICY_PAT_PREFIX:
		from = len > 1 ? len - 1 : 1;
		break;
	default:
		from = glob_literal(r->pattern);
		from = from > 1 ? from - 1 : 1;
		break;
	}
	for (size_t n = from; n < 64; n++)
		m |= BH_NAME_BIT(n);
	return m | BH_NAME_LONG;
}

uint64_t exec_name_lens(const struct policy *p)
{
	uint64_t m = 0;

	for (uint32_t i = 0; i < p->n_file; i++)
		if (p->file[i].action == POLICY_DENY && (p->file[i].ops & (1u << POLICY_OP_EXEC)))
			m |= rule_name_lens(&p->file[i]);
	for (uint32_t i = 0; i < p->n_exec; i++)
		if (p->exec[i].action == POLICY_DENY)
			m |= rule_name_lens(&p->exec[i]);
	return m;
}

/* ---- globs --------------------------------------------------------------- */

static uint64_t closure_of(const int *tok, int n, int s)
{
	uint8_t act[BH_FILE_GLOB_TOKENS + 2] = { 0 };
	uint64_t m = 0;

	act[s] = 1;
	for (int i = s; i < n; i++) {	/* epsilon moves only go forward */
		if (!act[i])
			continue;
		if (tok[i] == T_STAR || tok[i] == T_DSTAR)
			act[i + 1] = 1;
		/* "/ ** /" matches "/"; at i == 0 the '/' before is the literal prefix's */
		if (tok[i] == T_DSTAR && (i == 0 || tok[i - 1] == '/') && i + 1 < n && tok[i + 1] == '/')
			act[i + 2] = 1;
		/* trailing "/ **" matches the directory itself */
		if (tok[i] == '/' && i + 2 == n && tok[i + 1] == T_DSTAR)
			act[n] = 1;
	}
	for (int i = 0; i <= n; i++)
		if (act[i])
			m |= 1ull << i;
	return m;
}

static int glob_compile(const char *pat, struct bh_file_glob *g, char *err, size_t errlen)
{
	size_t skip = glob_literal(pat);
	int tok[BH_FILE_GLOB_TOKENS + 1], n = 0;

	memset(g, 0, sizeof(*g));
	for (const char *p = pat + skip; *p; p++) {
		if (n >= BH_FILE_GLOB_TOKENS) {
			snprintf(err, errlen, "glob '%s': more than %d characters after its literal "
				 "directory prefix: the kernel matcher cannot hold it", pat,
				 BH_FILE_GLOB_TOKENS);
			return -E2BIG;
		}
		if (*p == '*' && p[1] == '*') {
			tok[n++] = T_DSTAR;
			p++;
		} else if (*p == '*') {
			tok[n++] = T_STAR;
		} else {
			tok[n++] = (unsigned char)*p;
		}
	}
	for (int i = 0; i < n; i++) {
		if (tok[i] == T_STAR)
			g->star |= 1ull << i;
		else if (tok[i] == T_DSTAR)
			g->dstar |= 1ull << i;
		else
			g->cmask[tok[i]] |= 1ull << i;
	}
	g->start = closure_of(tok, n, 0);
	for (int i = 0; i <= n; i++) {
		uint64_t c = closure_of(tok, n, i);

		if (c == (1ull << i))
			continue;	/* no epsilon move from i */
		if (g->neps == BH_FILE_GLOB_EPS) {
			snprintf(err, errlen, "glob '%s': too many wildcards for the kernel matcher", pat);
			return -E2BIG;
		}
		g->eps_src[g->neps] = (uint8_t)i;
		g->eps[g->neps++] = c;
	}
	g->accept = (uint8_t)n;
	g->skip = (uint16_t)skip;
	return 0;
}

int file_glob_match(const struct bh_file_glob *g, const char *path, uint32_t len)
{
	uint64_t cur = g->start;

	if (len < g->skip)
		return 0;
	for (uint32_t k = g->skip; k < len && cur; k++) {
		unsigned char ch = (unsigned char)path[k];
		uint64_t nxt = (cur & g->cmask[ch]) << 1;

		if (ch != '/')
			nxt |= cur & g->star;
		nxt |= cur & g->dstar;
		for (int j = 0; j < g->neps; j++)
			if ((nxt >> (g->eps_src[j] & 63)) & 1)
				nxt |= g->eps[j];
		cur = nxt;
	}
	return (cur >> (g->accept & 63)) & 1;
}

/* ---- tables -------------------------------------------------------------- */

static struct file_entry *entry_get(struct file_table *t, const char *s, size_t len, int nul)
{
	uint32_t kl = (uint32_t)len + (nul ? 1 : 0);

	for (uint32_t i = 0; i < t->n; i++)
		if (t->ent[i].keylen == kl && !memcmp(t->ent[i].key, s, len) &&
		    (!nul || t->ent[i].key[len] == 0))
			return &t->ent[i];
	if (kl > BH_FILE_PATH_MAX)
		return NULL;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 32;
		struct file_entry *e = realloc(t->ent, cap * sizeof(*e));

		if (!e)
			return NULL;
		t->ent = e;
		t->cap = cap;
	}
	struct file_entry *e = &t->ent[t->n++];

	memset(e, 0, sizeof(*e));
	memcpy(e->key, s, len);
	e->keylen = kl;
	return e;
}

void file_table_free(struct file_table *t)
{
	free(t->ent);
	free(t->globs);
	memset(t, 0, sizeof(*t));
}

static int add_entry(struct file_table *t, const char *s, size_t len, int nul, uint8_t flags,
		     char *err, size_t errlen)
{
	struct file_entry *e = entry_get(t, s, len, nul);

	if (!e) {
		snprintf(err, errlen, "path '%.40s...' (%zu bytes): longer than the kernel's %d-byte "
			 "path keys", s, len, BH_FILE_PATH_MAX - 1);
		return -E2BIG;
	}
	e->node.flags |= flags;
	return 0;
}

/*
 * The entries rule i needs: its own (exact, prefix, or a glob's literal
 * directory) and its strict ancestors; a glob also gets its slot in t->globs.
 */
static int add_rule_entries(struct file_table *t, int tab, uint32_t kind,
			    const struct policy_path_rule *rules, uint32_t i, uint32_t *gslot,
			    char *err, size_t errlen)
{
	const struct policy_path_rule *ru = &rules[i];
	const char *pat = ru->pattern;
	size_t len = strlen(pat), lit;
	int r = 0;

	if (ru->action == POLICY_DENY)
		t->restrict_ops |= (uint8_t)(tab == BH_TAB_EXEC ? 1u << BH_OP_EXEC : ru->ops);
	switch (ru->kind) {
	case POLICY_PAT_EXACT:
		r = add_entry(t, pat, len, 1, 0, err, errlen);
		lit = len;
		break;
	case POLICY_PAT_PREFIX:
		r = add_entry(t, pat, len, 0, 0, err, errlen);
		if (!r && len > 1)
			r = add_entry(t, pat, len - 1, 1, 0, err, errlen);
		lit = len > 1 ? len - 1 : 0;
		break;
	default:
		lit = glob_literal(pat);
		r = add_entry(t, pat, lit, 0, 0, err, errlen);
		if (!r) {
			r = glob_compile(pat, &t->globs[t->nglobs], err, errlen);
			if (!r) {
				struct bh_file_glob *g = &t->globs[t->nglobs];

				g->rule = (uint16_t)i;
				g->ops = tab == BH_TAB_EXEC ? 1u << BH_OP_EXEC : ru->ops;
				g->action = ru->action;
				g->ref = POLICY_REF(kind, i);
				gslot[i] = t->nglobs++;
			}
		}
		if (lit > 1) {
			lit--;	/* the directory the glob's matches live in */
			if (!r)
				r = add_entry(t, pat, lit, 1, BH_FN_ANCESTOR, err, errlen);
		} else {
			lit = 0;
		}
		break;
	}
	/* strict ancestors of the rule's literal path */
	for (size_t k = 1; k < lit && !r; k++)
		if (pat[k] == '/')
			r = add_entry(t, pat, k, 1, BH_FN_ANCESTOR, err, errlen);
	return r;
}

/*
 * False where policy_path_match() surely says no, from lengths and one byte
 * (an exact pattern matches its own length; a prefix "/a/b/" needs "/a/b" first):
 * most of a table's rules, without a string compare.
 */
static bool quick_may_match(const struct policy_path_rule *r, const char *path, size_t len)
{
	size_t l = r->pattern_len;

	if (!l)
		return true;	/* not measured: no shortcut */
	switch (r->kind) {
	case POLICY_PAT_EXACT:
		return l == len && path[l - 1] == r->pattern[l - 1];
	case POLICY_PAT_PREFIX:
		return l <= 1 || (len >= l - 1 && path[l - 2] == r->pattern[l - 2]);
	default:
		return true;
	}
}

/* A node's static decision per op, and the bucket of globs that could beat it. */
static int decide_node(struct file_table *t, struct file_entry *en, int tab, uint32_t kind,
		       const struct policy_path_rule *rules, uint32_t nr,
		       const uint8_t deflt[BH_OP_COUNT], const uint32_t *gslot, char *err,
		       size_t errlen)
{
	struct bh_file_node *nd = &en->node;
	char rep[BH_FILE_PATH_MAX + 2];
	int nul = en->key[en->keylen - 1] == 0 && en->keylen >= 1 &&
		  strnlen(en->key, en->keylen) == en->keylen - 1;
	size_t sl = nul ? en->keylen - 1 : en->keylen, rl;

	memcpy(rep, en->key, sl);
	if (nul) {
		rep[sl] = 0;
	} else {
		rep[sl] = '\x01';	/* any path below this prefix entry */
		rep[sl + 1] = 0;
	}
	nd->keylen = (uint16_t)en->keylen;
	rl = strlen(rep);
	for (int o = 0; o < BH_OP_COUNT; o++) {
		nd->best[o] = BH_RULE_NONE;
		nd->ref[o] = POLICY_REF(kind, POLICY_REF_DEFAULT);
		if (deflt[o] == POLICY_DENY)
			nd->deny |= 1u << o;
	}
	/* per op, the first non-glob rule for it that matches: each rule is matched once, for every
	 * op it still decides (a 200-rule policy: 200 entries x 200 rules, not x 7 ops more) */
	for (uint32_t i = 0, open = (1u << BH_OP_COUNT) - 1; i < nr && open; i++) {
		uint32_t ops = 0;

		if (rules[i].kind == POLICY_PAT_GLOB)
			continue;
		for (int o = 0; o < BH_OP_COUNT; o++) {
			uint16_t op_bit = tab == BH_TAB_EXEC ? (o == BH_OP_EXEC ? 0xffff : 0) : 1u << o;

			if ((open >> o & 1) && (rules[i].ops & op_bit))
				ops |= 1u << o;
		}
		if (!ops || !quick_may_match(&rules[i], rep, rl) || !policy_path_match(&rules[i], rep))
			continue;
		for (int o = 0; o < BH_OP_COUNT; o++) {
			if (!(ops >> o & 1))
				continue;
			nd->best[o] = (uint16_t)i;
			nd->ref[o] = POLICY_REF(kind, i);
			if (rules[i].action == POLICY_DENY)
				nd->deny |= 1u << o;
			else
				nd->deny &= ~(1u << o);
		}
		open &= ~ops;
	}
	for (uint32_t i = 0; i < nr; i++) {
		const struct bh_file_glob *g;
		uint8_t beats = 0;

		if (rules[i].kind != POLICY_PAT_GLOB)
			continue;
		g = &t->globs[gslot[i]];
		if (g->skip > sl || memcmp(rules[i].pattern, en->key, g->skip))
			continue;
		nd->flags |= BH_FN_GLOBS;
		for (int o = 0; o < BH_OP_COUNT; o++)
			if (((g->ops >> o) & 1) && i < nd->best[o])
				beats |= (uint8_t)(1u << o);
		if (!beats)
			continue;
		if (nd->nglob == BH_FILE_BUCKET) {
			snprintf(err, errlen, "more than %d globs could decide paths under '%.*s': "
				 "the kernel evaluates at most %d per path", BH_FILE_BUCKET,
				 (int)sl, en->key, BH_FILE_BUCKET);
			return -E2BIG;
		}
		nd->beats[nd->nglob] = beats;
		nd->bucket[nd->nglob++] = (uint16_t)gslot[i];
	}
	return 0;
}

int file_table_build(const struct policy *p, int tab, struct file_table *t, char *err, size_t errlen)
{
	const struct policy_path_rule *rules = tab == BH_TAB_EXEC ? p->exec : p->file;
	uint32_t nr = tab == BH_TAB_EXEC ? p->n_exec : p->n_file;
	uint32_t kind = tab == BH_TAB_EXEC ? POLICY_REF_EXEC : POLICY_REF_FILE;
	uint32_t *gslot = NULL;	/* rule index -> glob index */
	uint8_t deflt[BH_OP_COUNT];
	int r = 0;

	memset(t, 0, sizeof(*t));
	for (int o = 0; o < BH_OP_COUNT; o++)
		deflt[o] = tab == BH_TAB_EXEC ? (o == BH_OP_EXEC ? p->exec_default : 0) :
			   p->file_default[o];
	for (int o = 0; o < BH_OP_COUNT; o++)
		if (deflt[o] == POLICY_DENY)
			t->restrict_ops |= 1u << o;
	if (nr > BH_RULE_NONE - 1) {
		snprintf(err, errlen, "too many rules");
		return -E2BIG;
	}
	gslot = calloc(nr ? nr : 1, sizeof(*gslot));
	t->globs = calloc(nr ? nr : 1, sizeof(*t->globs));
	if (!gslot || !t->globs) {
		r = -ENOMEM;
		goto out;
	}
	r = add_entry(t, "/", 1, 0, 0, err, errlen);
	for (uint32_t i = 0; i < nr && !r; i++)
		r = add_rule_entries(t, tab, kind, rules, i, gslot, err, errlen);
	for (uint32_t e = 0; e < t->n && !r; e++)
		r = decide_node(t, &t->ent[e], tab, kind, rules, nr, deflt, gslot, err, errlen);
out:
	free(gslot);
	if (r)
		file_table_free(t);
	return r;
}

int file_table_decide(const struct file_table *t, const char *path, int op, uint32_t *ref)
{
	size_t len = strlen(path);
	const struct file_entry *best = NULL;
	uint16_t b;
	int deny;

	if (len + 1 > BH_FILE_PATH_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct file_entry *e = &t->ent[i];

		if (e->keylen <= len + 1 && !memcmp(e->key, path, e->keylen) &&
		    (!best || e->keylen > best->keylen))
			best = e;
	}
	if (!best)
		return -ENOENT;
	b = best->node.best[op];
	deny = (best->node.deny >> op) & 1;
	if (ref)
		*ref = best->node.ref[op];
	(void)b;
	for (int j = 0; j < best->node.nglob; j++) {
		const struct bh_file_glob *g = &t->globs[best->node.bucket[j]];

		/* exactly the kernel's test: beats[j] (precomputed g->rule < best[op]) */
		if (!((best->node.beats[j] >> op) & 1) || !file_glob_match(g, path, (uint32_t)len))
			continue;
		deny = g->action;
		if (ref)
			*ref = g->ref;
		break;
	}
	return deny;
}

/* ---- maps ------------------------------------------------------------------ */

static int path_key_gen(const void *k, uint32_t gen)
{
	return BH_FILE_SCOPE_GEN(((const struct bh_file_key *)k)->scope) == gen;
}

static int scope_gen(const void *k, uint32_t gen)
{
	return BH_FILE_SCOPE_GEN(*(const uint32_t *)k) == gen;
}

int file_clear_gen(struct file_maps *m, uint32_t gen)
{
	int err = map_delete_matching(m->paths, sizeof(struct bh_file_key), path_key_gen, gen, NULL, false);
	int err2 = map_delete_matching(m->pol, sizeof(uint32_t), scope_gen, gen, NULL, false);

	m->glob_next[gen & 1] = 0;
	return err ? err : err2;
}

void file_block_free(struct file_block *b)
{
	free(b->ent);
	free(b->pool);
	free(b->globs);
	memset(b, 0, sizeof(*b));
}

/* Append table t of policy p to b (paths with generation 0's scope, globs from b->nglobs). */
static int block_add_table(struct file_block *b, int tab, uint32_t policy_id, const struct file_table *t)
{
	uint32_t first = b->nglobs;
	struct file_block_ent *ne;
	struct bh_file_glob *ng;
	size_t bytes = 0;
	char *np;

	for (uint32_t i = 0; i < t->n; i++)
		bytes += t->ent[i].keylen;
	ne = realloc(b->ent, (b->n + t->n + 1) * sizeof(*ne));
	if (!ne)
		return -ENOMEM;
	b->ent = ne;
	np = realloc(b->pool, b->pool_len + bytes + 1);
	if (!np)
		return -ENOMEM;
	b->pool = np;
	ng = realloc(b->globs, (b->nglobs + t->nglobs + 1) * sizeof(*ng));
	if (!ng)
		return -ENOMEM;
	b->globs = ng;
	memcpy(b->globs + b->nglobs, t->globs, t->nglobs * sizeof(*ng));
	b->nglobs += t->nglobs;
	for (uint32_t i = 0; i < t->n; i++) {
		struct file_block_ent *e = &b->ent[b->n++];

		e->off = (uint32_t)b->pool_len;
		e->len = (uint16_t)t->ent[i].keylen;
		e->scope = BH_FILE_SCOPE(0, tab, policy_id);
		e->node = t->ent[i].node;
		for (int j = 0; j < e->node.nglob; j++)
			e->node.bucket[j] = (uint16_t)(first + e->node.bucket[j]);
		memcpy(b->pool + b->pool_len, t->ent[i].key, e->len);
		b->pool_len += e->len;
	}
	return 0;
}

int file_lower_build(const struct policy *p, struct file_block *b, char *err, size_t errlen)
{
	struct file_table t;
	int r = 0;

	memset(b, 0, sizeof(*b));
	err[0] = 0;
	for (int tab = BH_TAB_FILE; tab <= BH_TAB_EXEC && !r; tab++) {
		if (!(tab == BH_TAB_FILE ? file_policy_active(p) : exec_policy_active(p)))
			continue;
		r = file_table_build(p, tab, &t, err, errlen);
		if (r)
			break;
		if (tab == BH_TAB_FILE)
			b->pol.restrict_ops = t.restrict_ops;
		else
			b->pol.exec_restrict = t.restrict_ops ? 1 : 0;
		r = block_add_table(b, tab, p->id, &t);
		file_table_free(&t);
	}
	if (r) {
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-r));
		file_block_free(b);
		return r;
	}
	b->pol.flags = BH_FP_LOWERED;
	b->pol.name_lens = exec_name_lens(p);
	b->pol.over_ref = POLICY_REF(POLICY_REF_FILE, POLICY_REF_DEFAULT);
	b->pol_scope = BH_FILE_SCOPE(0, BH_TAB_FILE, p->id);
	b->lowered = 1;
	return 0;
}

#define FILE_WRITE_CHUNK	1024

int file_block_write(struct file_maps *m, uint32_t gen, const struct file_block *b, uint32_t glob_base,
		     bool del)
{
	uint32_t g = (gen & 1) << 31, base = (gen & 1) * (BH_FILE_GLOB_SLOTS / 2) + glob_base;
	struct bh_file_key *keys;
	struct bh_file_node *vals;
	uint32_t scope;
	int err = 0;

	if (!b->lowered)
		return 0;
	if (glob_base + b->nglobs > BH_FILE_GLOB_SLOTS / 2)
		return -E2BIG;
	if (!del && b->nglobs) {
		uint32_t *slots = malloc(b->nglobs * sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (uint32_t i = 0; i < b->nglobs; i++)
			slots[i] = base + i;
		err = map_update_many(m->globs, slots, b->globs, sizeof(*slots), sizeof(*b->globs),
				      b->nglobs);
		free(slots);
		if (err)
			return err;
	}
	keys = malloc(FILE_WRITE_CHUNK * sizeof(*keys));
	vals = malloc(FILE_WRITE_CHUNK * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t done = 0; done < b->n && !err;) {
		uint32_t cnt = b->n - done > FILE_WRITE_CHUNK ? FILE_WRITE_CHUNK : b->n - done;

		for (uint32_t i = 0; i < cnt; i++) {
			const struct file_block_ent *e = &b->ent[done + i];

			memset(&keys[i], 0, sizeof(keys[i]));
			keys[i].prefixlen = 32 + 8 * e->len;
			keys[i].scope = e->scope | g;
			memcpy(keys[i].path, b->pool + e->off, e->len);
			vals[i] = e->node;
			for (int j = 0; j < vals[i].nglob; j++)
				vals[i].bucket[j] = (uint16_t)(base + vals[i].bucket[j]);
		}
		err = del ? map_delete_many(m->paths, keys, sizeof(*keys), cnt) :
			    map_update_many(m->paths, keys, vals, sizeof(*keys), sizeof(*vals), cnt);
		done += cnt;
	}
	scope = b->pol_scope | g;
	if (!err)
		err = del ? map_delete_many(m->pol, &scope, sizeof(scope), 1) :
			    map_update_many(m->pol, &scope, &b->pol, sizeof(scope), sizeof(b->pol), 1);
out:
	free(keys);
	free(vals);
	return err;
}

int file_lower_policy(struct file_maps *m, uint32_t gen, const struct policy *p,
		      struct file_lower_stats *st)
{
	struct file_block b;
	char err[512];
	int r;

	r = file_lower_build(p, &b, err, sizeof(err));
	if (r) {
		log_warn("file: policy %s: %s", p->name, err);
		return r;
	}
	if (m->glob_next[gen & 1] + b.nglobs > BH_FILE_GLOB_SLOTS / 2) {
		log_warn("file: more than %d globs in one policy set: the kernel holds at most %d",
			 BH_FILE_GLOB_SLOTS / 2, BH_FILE_GLOB_SLOTS / 2);
		file_block_free(&b);
		return -E2BIG;
	}
	r = file_block_write(m, gen, &b, m->glob_next[gen & 1], false);
	if (!r) {
		m->glob_next[gen & 1] += b.nglobs;
		if (st) {
			st->nodes += b.n;
			st->globs += b.nglobs;
			st->policies++;
		}
	}
	file_block_free(&b);
	return r;
}
