// SPDX-License-Identifier: GPL-2.0
/*
 * Policy sets: load files and directories in a fixed order, cross-check the
 * documents (unique names, one node default, no identical selectors), and
 * answer the questions the agent asks of a loaded set: which policy applies
 * to a container, and what a policy decides for a path or a connection.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy_internal.h"
#include "policy/sha256.h"

/* ---- loading --------------------------------------------------------------- */

static struct policy_set *set_new(void)
{
	struct policy_set *s = calloc(1, sizeof(*s));

	if (s)
		s->policies = calloc(POLICY_MAX_POLICIES, sizeof(*s->policies));
	if (s && !s->policies) {
		free(s);
		return NULL;
	}
	return s;
}

void policy_set_free(struct policy_set *set)
{
	if (!set)
		return;
	for (uint32_t i = 0; i < set->n_policies; i++)
		policy_free_members(&set->policies[i]);
	free(set->policies);
	for (uint32_t i = 0; i < set->n_files; i++)
		free(set->files[i]);
	free(set->files);
	free(set->file_src);
	free(set);
}

void policy_set_drop_rules(struct policy_set *set)
{
	for (uint32_t i = 0; set && i < set->n_policies; i++) {
		struct policy *p = &set->policies[i];

		free(p->file);
		free(p->file_src);
		free(p->exec);
		free(p->exec_src);
		p->file = p->exec = NULL;
		p->file_src = p->exec_src = NULL;
		p->n_file = p->n_exec = 0;
		for (int d = 0; d < 2; d++) {
			free(p->net[d]);
			free(p->net_src[d]);
			p->net[d] = NULL;
			p->net_src[d] = NULL;
			p->n_net[d] = 0;
		}
	}
}

void policy_set_drop_tables(struct policy_set *set)
{
	for (uint32_t i = 0; set && i < set->n_policies; i++) {
		struct policy *p = &set->policies[i];

		free(p->file);
		free(p->exec);
		free(p->net[0]);
		free(p->net[1]);
		p->file = p->exec = NULL;
		p->net[0] = p->net[1] = NULL;
		p->tables_dropped = 1;
	}
}

struct policy_set *policy_set_copy_meta(const struct policy_set *set)
{
	struct policy_set *c = set ? set_new() : NULL;

	if (!c)
		return NULL;
	memcpy(c->sha256, set->sha256, sizeof(c->sha256));
	c->files = calloc(set->n_files + 1, sizeof(*c->files));
	c->file_src = calloc(set->n_files + 1, sizeof(*c->file_src));
	if (!c->files || !c->file_src)
		goto fail;
	for (; c->n_files < set->n_files; c->n_files++) {
		if (!(c->files[c->n_files] = strdup(set->files[c->n_files])))
			goto fail;
		if (set->file_src)
			c->file_src[c->n_files] = set->file_src[c->n_files];
	}
	for (; c->n_policies < set->n_policies; c->n_policies++) {
		const struct policy *p = &set->policies[c->n_policies];
		struct policy *q = &c->policies[c->n_policies];

		if (policy_copy_meta(q, p))
			goto fail;
		q->file_name = NULL;
		for (uint32_t f = 0; f < set->n_files && p->file_name; f++)
			if (set->files[f] == p->file_name)
				q->file_name = c->files[f];
		if (set->node_default == p)
			c->node_default = q;
	}
	return c;
fail:
	policy_set_free(c);
	return NULL;
}

static const char *set_add_file(struct policy_set *set, const char *name)
{
	char **f = realloc(set->files, (set->n_files + 1) * sizeof(*f));
	struct policy_file_src *fs;

	if (!f)
		return NULL;
	set->files = f;
	fs = realloc(set->file_src, (set->n_files + 1) * sizeof(*fs));
	if (!fs)
		return NULL;
	set->file_src = fs;
	memset(&fs[set->n_files], 0, sizeof(*fs));
	if (!(f[set->n_files] = strdup(name)))
		return NULL;
	return f[set->n_files++];
}

/* policy.source: the file's digest and the document's index in it. */
static void policy_source(struct policy *p, const uint8_t file_sha[32], uint32_t doc)
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, file_sha, 32);
	sha256_update(&s, &doc, sizeof(doc));
	sha256_final(&s, p->source);
}

/* Parse one file's text and append its policies to set. */
static void load_text(struct policy_set *set, struct perr_ctx *c, const char *buf, size_t len,
		      const uint8_t file_sha[32])
{
	struct ystream ys;
	int too_many = 0;

	if (len > POLICY_MAX_FILE_BYTES) {
		perr_at(c, 0, 0, 0, NULL, "file too large: %zu bytes, at most %u", len,
			POLICY_MAX_FILE_BYTES);
		return;
	}
	if (ystream_parse(c, buf, len, &ys))
		return;
	if (ys.n == 0)
		perr_at(c, 0, 1, 1, NULL, "no policy documents in this file");
	for (uint32_t i = 0; i < ys.n; i++) {
		struct policy p;

		memset(&p, 0, sizeof(p));
		if (set->n_policies >= POLICY_MAX_POLICIES) {
			if (!too_many++)
				perr_at(c, 0, ys.docs[i].line, ys.docs[i].col, NULL,
					"too many policies: at most %u in one set",
					POLICY_MAX_POLICIES);
			continue;
		}
		if (policy_compile_doc(c, &ys.docs[i], &p)) {
			policy_free_members(&p);
			continue;
		}
		p.file_name = c->file;
		p.id = set->n_policies + 1;
		policy_source(&p, file_sha, i);
		set->policies[set->n_policies++] = p;
	}
	ystream_free(&ys);
}

static int same_selector(const struct policy_selector *a, const struct policy_selector *b)
{
	for (int f = 0; f < POLICY_SEL_COUNT; f++) {
		if (a->n[f] != b->n[f])
			return 0;
		for (uint32_t i = 0; i < a->n[f]; i++) {
			uint32_t j;

			for (j = 0; j < b->n[f]; j++)
				if (!strcmp(a->patterns[f][i], b->patterns[f][j]))
					break;
			if (j == b->n[f])
				return 0;
		}
	}
	return 1;
}

static void cross_check(struct policy_set *set, struct perr_ctx *c)
{
	for (uint32_t i = 0; i < set->n_policies; i++) {
		struct policy *p = &set->policies[i];

		c->file = p->file_name;
		for (uint32_t j = 0; j < i; j++) {
			struct policy *q = &set->policies[j];

			if (!strcmp(p->name, q->name)) {
				perr_at(c, 0, p->line, p->col, "metadata.name",
					"duplicate policy name \"%s\" (first defined at %s:%u:%u)",
					p->name, q->file_name, q->line, q->col);
			} else if (p->node_default && q->node_default) {
				perr_at(c, 0, p->line, p->col, "kind",
					"a second NodeDefault (\"%s\"); the first is \"%s\" at %s:%u:%u: "
					"a node has one default", p->name, q->name, q->file_name, q->line,
					q->col);
			} else if (!p->node_default && !q->node_default &&
				   same_selector(&p->selector, &q->selector)) {
				perr_at(c, 0, p->line, p->col, "spec.selector",
					"can never match: the same selector as policy \"%s\" (%s:%u:%u), "
					"which is loaded first and so always wins", q->name,
					q->file_name, q->line, q->col);
			} else {
				continue;
			}
			break;	/* one conflict per policy is enough to act on */
		}
		if (p->node_default && !set->node_default)
			set->node_default = p;
	}
}

static int finish(struct policy_set *set, struct perr_ctx *c, uint32_t errors_before)
{
	if (set->n_policies == 0 && c->errs->n_errors == errors_before)
		perr_at(c, 0, 0, 0, NULL, "no policies loaded");
	cross_check(set, c);	/* on the documents that compiled */
	policy_errors_sort(c->errs, c->first_diag);
	return c->errs->n_errors == errors_before ? 0 : -1;
}

struct policy_set *policy_set_load_buffer(const char *name, const char *buf, size_t len,
					  struct policy_errors *errs)
{
	struct perr_ctx c = { .errs = errs, .first_diag = errs->n };
	uint32_t before = errs->n_errors;
	struct policy_set *set = set_new();

	if (!set || !(c.file = set_add_file(set, name ? name : "<buffer>"))) {
		policy_set_free(set);
		perr_at(&c, 0, 0, 0, NULL, "out of memory");
		return NULL;
	}
	{
		struct sha256 digest;

		sha256_init(&digest);
		sha256_update(&digest, buf, len);
		sha256_final(&digest, set->sha256);
	}
	memcpy(set->file_src[0].sha256, set->sha256, 32);
	load_text(set, &c, buf, len, set->sha256);
	set->file_src[0].n = set->n_policies;
	set->file_src[0].clean = errs->n == (uint32_t)c.first_diag;
	if (finish(set, &c, before)) {
		policy_set_free(set);
		return NULL;
	}
	return set;
}

static int read_file(struct perr_ctx *c, const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap;

	if (fd < 0) {
		perr_at(c, 0, 0, 0, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		perr_at(c, 0, 0, 0, NULL, "not a regular file");
		goto fail;
	}
	if (st.st_size > (off_t)POLICY_MAX_FILE_BYTES) {
		perr_at(c, 0, 0, 0, NULL, "file too large: %lld bytes, at most %u",
			(long long)st.st_size, POLICY_MAX_FILE_BYTES);
		goto fail;
	}
	/* sized by fstat (a file that grows meanwhile is read on, up to the limit): a buffer of the
	 * limit per file would be mapped and faulted in afresh at every reload */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		perr_at(c, 0, 0, 0, NULL, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (got == cap) {
			size_t nc = cap * 2 > POLICY_MAX_FILE_BYTES + 1 ? POLICY_MAX_FILE_BYTES + 1 : cap * 2;
			char *nb = nc > cap ? realloc(buf, nc) : NULL;

			if (!nb) {
				perr_at(c, 0, 0, 0, NULL, nc > cap ? "out of memory" :
					"file too large: more than %u bytes", POLICY_MAX_FILE_BYTES);
				goto fail;
			}
			buf = nb;
			cap = nc;
		}
		r = read(fd, buf + got, cap - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perr_at(c, 0, 0, 0, NULL, "read error: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > POLICY_MAX_FILE_BYTES) {
			perr_at(c, 0, 0, 0, NULL, "file too large: more than %u bytes",
				POLICY_MAX_FILE_BYTES);
			goto fail;
		}
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

static int yaml_name(const char *n)
{
	size_t l = strlen(n);

	if (n[0] == '.')
		return 0;
	return (l > 5 && !strcmp(n + l - 5, ".yaml")) || (l > 4 && !strcmp(n + l - 4, ".yml"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A directory's files are read in order (the set's digest is over their bytes in
 * that order), parsed and compiled by two threads, and merged in order: the
 * same policies, ids and diagnostics as one after the other, in about half the
 * time on two CPUs. A file whose bytes a clean file of a set loaded before had
 * is not parsed at all: its policies are copied from there (without rule
 * tables; the lowering finds what they compiled to by policy.source), if they
 * keep their ids; else it is parsed at the merge. An edit of one file of a
 * 10,000-rule set then parses that file only.
 */
struct file_job {
	const char *name;		/* the set's copy */
	char *buf;
	size_t len;
	int ok;				/* read */
	uint8_t sha[32];		/* of buf */
	const struct policy_set *from;	/* reused from: from->policies[first .. first + n - 1] */
	uint32_t from_first, from_n;
	struct policy_set tmp;		/* its policies, ids not yet given */
	struct policy_errors errs;
};

struct parse_pool {
	struct file_job *jobs;
	size_t n;
	size_t next;			/* taken with __atomic_fetch_add */
	const struct policy_set *const *prev;
	unsigned nprev;
};

/* A clean file of a set loaded before with these bytes: its policies copied into j->tmp. */
static int reuse(struct file_job *j, const struct policy_set *const *prev, unsigned nprev)
{
	for (unsigned s = 0; s < nprev; s++) {
		const struct policy_set *ps = prev[s];

		for (uint32_t f = 0; ps && ps->file_src && f < ps->n_files; f++) {
			const struct policy_file_src *fs = &ps->file_src[f];
			uint32_t k;

			if (!fs->clean || fs->n == 0 || fs->first + fs->n > ps->n_policies ||
			    memcmp(fs->sha256, j->sha, 32))
				continue;
			for (k = 0; k < fs->n; k++) {
				struct policy *p = &j->tmp.policies[k];

				if (policy_copy_meta(p, &ps->policies[fs->first + k]))
					break;
				p->file_name = j->name;
			}
			j->tmp.n_policies = k;
			if (k == fs->n) {
				j->from = ps;
				j->from_first = fs->first;
				j->from_n = fs->n;
				return 1;
			}
			while (j->tmp.n_policies)
				policy_free_members(&j->tmp.policies[--j->tmp.n_policies]);
			return 0;
		}
	}
	return 0;
}

static void *parse_worker(void *arg)
{
	struct parse_pool *pp = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&pp->next, 1, __ATOMIC_RELAXED)) < pp->n) {
		struct file_job *j = &pp->jobs[i];
		struct perr_ctx c = { .errs = &j->errs, .file = j->name, .first_diag = 0 };
		struct sha256 s;

		if (!j->ok)
			continue;
		sha256_init(&s);
		sha256_update(&s, j->buf, j->len);
		sha256_final(&s, j->sha);
		if (!reuse(j, pp->prev, pp->nprev))
			load_text(&j->tmp, &c, j->buf, j->len, j->sha);
	}
	return NULL;
}

/* Room for one more diagnostic in e (as vperr_at() makes it); 0 if none. */
static int errors_room(struct policy_errors *e)
{
	uint32_t cap;
	struct policy_error *v;

	if (e->n >= POLICY_MAX_ERRORS)
		return 0;
	if (e->n < e->cap)
		return 1;
	cap = e->cap ? e->cap * 2 : 16;
	v = realloc(e->v, cap * sizeof(*v));
	if (!v)
		return 0;
	e->v = v;
	e->cap = cap;
	return 1;
}

/* Move src's diagnostics to the end of dst, counted as if reported there. */
static void errors_append(struct policy_errors *dst, struct policy_errors *src)
{
	for (uint32_t i = 0; i < src->n; i++) {
		struct policy_error *x = &src->v[i];

		if (!errors_room(dst)) {
			dst->dropped++;
			free(x->file);
			free(x->field);
			free(x->msg);
			continue;
		}
		dst->v[dst->n++] = *x;
	}
	dst->n_errors += src->n_errors;
	dst->n_warnings += src->n_warnings;
	dst->dropped += src->dropped;
	free(src->v);
	memset(src, 0, sizeof(*src));
}

/* Policies reused from a set before keep the ids they had there (the kernel's entries carry
 * them); if they would not, the file is parsed after all. */
static void keep_ids_or_parse(struct file_job *j, uint32_t first_id)
{
	struct perr_ctx c = { .errs = &j->errs, .file = j->name, .first_diag = 0 };

	if (!j->from)
		return;
	for (uint32_t k = 0; k < j->from_n; k++)
		if (j->from->policies[j->from_first + k].id != first_id + k)
			goto parse;
	return;
parse:
	while (j->tmp.n_policies)
		policy_free_members(&j->tmp.policies[--j->tmp.n_policies]);
	j->from = NULL;
	load_text(&j->tmp, &c, j->buf, j->len, j->sha);
}

static void load_many(struct policy_set *set, struct perr_ctx *c, char **names, size_t n,
		      struct sha256 *digest, const struct policy_set *const *prev, unsigned nprev)
{
	struct file_job *jobs = calloc(n, sizeof(*jobs));
	struct parse_pool pp = { .jobs = jobs, .n = n, .prev = prev, .nprev = nprev };
	uint32_t *file_of = calloc(n, sizeof(*file_of));	/* its index in set->files, + 1 */
	pthread_t th;
	int have_th;
	int too_many = 0;

	if (!jobs || !file_of) {
		free(jobs);
		free(file_of);
		perr_at(c, 0, 0, 0, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct file_job *j = &jobs[i];

		c->file = set_add_file(set, names[i]);
		if (!c->file) {
			c->file = names[i];
			perr_at(c, 0, 0, 0, NULL, "out of memory");
			continue;
		}
		file_of[i] = set->n_files;
		j->name = c->file;
		policy_errors_init(&j->errs);
		j->tmp.policies = calloc(POLICY_MAX_POLICIES, sizeof(*j->tmp.policies));
		if (!j->tmp.policies) {
			perr_at(c, 0, 0, 0, NULL, "out of memory");
			continue;
		}
		if (read_file(c, names[i], &j->buf, &j->len))
			continue;
		sha256_update(digest, j->buf, j->len);
		j->ok = 1;
	}
	have_th = n >= 8 && !pthread_create(&th, NULL, parse_worker, &pp);	/* a few files: not worth a thread */
	parse_worker(&pp);
	if (have_th)
		pthread_join(th, NULL);
	for (size_t i = 0; i < n; i++) {
		struct file_job *j = &jobs[i];
		struct policy_file_src *fs = file_of[i] ? &set->file_src[file_of[i] - 1] : NULL;
		uint32_t diags = c->errs->n, dropped = c->errs->dropped, first = set->n_policies;

		if (j->ok && j->tmp.policies)
			keep_ids_or_parse(j, set->n_policies + 1);
		/* diagnostics first, as a sequential load reports them before the next file */
		errors_append(c->errs, &j->errs);
		for (uint32_t k = 0; j->tmp.policies && k < j->tmp.n_policies; k++) {
			struct policy *p = &j->tmp.policies[k];

			if (set->n_policies >= POLICY_MAX_POLICIES) {
				if (!too_many++) {
					c->file = j->name;
					perr_at(c, 0, p->line, p->col, NULL,
						"too many policies: at most %u in one set", POLICY_MAX_POLICIES);
				}
				policy_free_members(p);
				continue;
			}
			p->id = set->n_policies + 1;
			set->policies[set->n_policies++] = *p;
		}
		if (fs) {
			memcpy(fs->sha256, j->sha, 32);
			fs->first = first;
			fs->n = set->n_policies - first;
			fs->clean = j->ok && c->errs->n == diags && c->errs->dropped == dropped;
		}
		free(j->tmp.policies);
		free(j->buf);
	}
	free(file_of);
	free(jobs);
}

/*
 * A Kubernetes ConfigMap volume: each file is a link through "..data", which
 * the kubelet points at a new directory in one rename. Read the directory it
 * points at now, so a load never takes half of the old set and half of the
 * new one; the watcher reloads after the next flip. Returns path otherwise.
 */
static const char *configmap_data_dir(const char *path, char *buf)
{
	char data[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(data, sizeof(data), "%s/..data", path) >= sizeof(data) ||
	    lstat(data, &st) || !S_ISLNK(st.st_mode) || !realpath(data, buf) ||
	    stat(buf, &st) || !S_ISDIR(st.st_mode))
		return path;
	return buf;
}

struct policy_set *policy_set_load(const char *path, struct policy_errors *errs)
{
	return policy_set_load_reusing(path, errs, NULL, 0);
}

struct policy_set *policy_set_load_reusing(const char *path, struct policy_errors *errs,
					   const struct policy_set *const *prev, unsigned nprev)
{
	char cm_dir[PATH_MAX];
	struct perr_ctx c = { .errs = errs, .file = path, .first_diag = errs->n };
	uint32_t before = errs->n_errors;
	struct policy_set *set = set_new();
	struct sha256 digest;
	struct stat st;

	sha256_init(&digest);

	if (!set) {
		perr_at(&c, 0, 0, 0, NULL, "out of memory");
		return NULL;
	}
	if (stat(path, &st)) {
		perr_at(&c, 0, 0, 0, NULL, "cannot open: %s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d;
		struct dirent *de;
		char **names = NULL;
		size_t n = 0, cap = 0;
		int too_many = 0, oom = 0;

		path = configmap_data_dir(path, cm_dir);
		d = opendir(path);

		if (!d) {
			perr_at(&c, 0, 0, 0, NULL, "cannot open directory: %s", strerror(errno));
		} else {
			while ((de = readdir(d))) {
				char full[4096];
				struct stat fst;

				if (!yaml_name(de->d_name))
					continue;
				snprintf(full, sizeof(full), "%s%s%s", path,
					 path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
				if (stat(full, &fst) || !S_ISREG(fst.st_mode))
					continue;
				if (n >= POLICY_MAX_FILES) {
					too_many = 1;
					break;
				}
				if (n == cap) {
					size_t nc = cap ? cap * 2 : 16;
					char **nn = realloc(names, nc * sizeof(*nn));

					if (!nn) {
						oom = 1;
						break;
					}
					names = nn;
					cap = nc;
				}
				if (!(names[n] = strdup(full))) {
					oom = 1;
					break;
				}
				n++;
			}
			closedir(d);
			if (oom)	/* never a part of the set */
				perr_at(&c, 0, 0, 0, NULL, "out of memory listing the directory");
			else if (too_many)
				perr_at(&c, 0, 0, 0, NULL, "too many policy files: at most %u",
					POLICY_MAX_FILES);
			else if (n == 0)
				perr_at(&c, 0, 0, 0, NULL, "no *.yaml or *.yml files in this directory");
			if (names)
				qsort(names, n, sizeof(*names), cmp_str);
			if (!too_many && !oom)
				load_many(set, &c, names, n, &digest, prev, nprev);
			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
		}
	} else {
		char *one = (char *)path;

		load_many(set, &c, &one, 1, &digest, prev, nprev);
	}
	sha256_final(&digest, set->sha256);
	if (finish(set, &c, before)) {
		policy_set_free(set);
		return NULL;
	}
	return set;
}

const struct policy *policy_by_id(const struct policy_set *set, uint32_t id)
{
	if (!set || id == 0 || id > set->n_policies)
		return NULL;
	return &set->policies[id - 1];
}

const struct policy *policy_by_name(const struct policy_set *set, const char *name)
{
	for (uint32_t i = 0; set && i < set->n_policies; i++)
		if (!strcmp(set->policies[i].name, name))
			return &set->policies[i];
	return NULL;
}

/* ---- selection ------------------------------------------------------------- */

/*
 * Score = fields constrained (bits 48+), fields matched by a literal pattern
 * (bits 40+), literal characters of the best matching patterns (low bits).
 */
uint64_t policy_selector_score(const struct policy *p, const struct policy_container *c)
{
	const char *attr[POLICY_SEL_COUNT] = { c->k8s_namespace, c->k8s_pod, c->k8s_container,
					       c->cgroup_path };
	uint64_t fields = 0, exact = 0, lit = 0;

	if (p->node_default)
		return 0;
	for (int f = 0; f < POLICY_SEL_COUNT; f++) {
		uint64_t best_lit = 0;
		int matched = 0, best_exact = 0;

		if (!p->selector.n[f])
			continue;
		if (!attr[f] || !attr[f][0])
			return 0;
		for (uint32_t i = 0; i < p->selector.n[f]; i++) {
			const char *pat = p->selector.patterns[f][i];
			int is_exact = !pattern_has_wildcard(pat);
			uint64_t l = pattern_literal_count(pat);

			if (!policy_glob_match(pat, attr[f], f == POLICY_SEL_CGROUP))
				continue;
			if (!matched || is_exact > best_exact ||
			    (is_exact == best_exact && l > best_lit)) {
				best_exact = is_exact;
				best_lit = l;
			}
			matched = 1;
		}
		if (!matched)
			return 0;
		fields++;
		exact += (uint64_t)best_exact;
		lit += best_lit;
	}
	return fields ? (fields << 48) | (exact << 40) | lit : 0;
}

const struct policy *policy_select(const struct policy_set *set,
				   const struct policy_container *c, uint32_t *tied_with)
{
	const struct policy *best = NULL;
	uint64_t best_score = 0;

	if (tied_with)
		*tied_with = 0;
	for (uint32_t i = 0; set && i < set->n_policies; i++) {
		uint64_t s = policy_selector_score(&set->policies[i], c);

		if (!s)
			continue;
		if (s > best_score) {
			best = &set->policies[i];
			best_score = s;
			if (tied_with)
				*tied_with = 0;
		} else if (s == best_score && tied_with && !*tied_with) {
			*tied_with = set->policies[i].id;
		}
	}
	return best ? best : (set ? set->node_default : NULL);
}

/* ---- reference evaluators ---------------------------------------------------- */

int policy_file_decide(const struct policy *p, const char *path, int op, uint32_t *ref)
{
	if (op < 0 || op >= POLICY_OP_COUNT)
		op = POLICY_OP_READ;
	for (uint32_t i = 0; i < p->n_file; i++) {
		const struct policy_path_rule *r = &p->file[i];

		if ((r->ops & (1u << op)) && policy_path_match(r, path)) {
			if (ref)
				*ref = POLICY_REF(POLICY_REF_FILE, i);
			return r->action;
		}
	}
	if (ref)
		*ref = POLICY_REF(POLICY_REF_FILE, POLICY_REF_DEFAULT);
	return p->file_default[op];
}

int policy_exec_decide(const struct policy *p, const char *path, uint32_t *ref)
{
	for (uint32_t i = 0; i < p->n_exec; i++) {
		if (policy_path_match(&p->exec[i], path)) {
			if (ref)
				*ref = POLICY_REF(POLICY_REF_EXEC, i);
			return p->exec[i].action;
		}
	}
	if (ref)
		*ref = POLICY_REF(POLICY_REF_EXEC, POLICY_REF_DEFAULT);
	return p->exec_default;
}

static int prefix_match(const uint8_t *net, const uint8_t *addr, unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (memcmp(net, addr, full))
		return 0;
	if (!rem)
		return 1;
	return ((net[full] ^ addr[full]) & (uint8_t)(0xff00u >> rem)) == 0;
}

int policy_net_decide(const struct policy *p, int dir, int family, const uint8_t *addr,
		      int proto, uint16_t port, uint32_t *ref)
{
	int kind = dir == POLICY_INGRESS ? POLICY_REF_INGRESS : POLICY_REF_EGRESS;

	dir = dir == POLICY_INGRESS;
	for (uint32_t i = 0; i < p->n_net[dir]; i++) {
		const struct policy_net_rule *r = &p->net[dir][i];

		if (r->family != family || !prefix_match(r->addr, addr, r->prefix_len))
			continue;
		if (r->proto != POLICY_PROTO_ANY && r->proto != proto)
			continue;
		if (proto == POLICY_PROTO_ICMP) {
			if (r->port_lo != 0 || r->port_hi != 65535)
				continue;	/* a port-restricted rule never matches ICMP */
		} else if (port < r->port_lo || port > r->port_hi) {
			continue;
		}
		if (ref)
			*ref = POLICY_REF(kind, i);
		return r->action;
	}
	if (ref)
		*ref = POLICY_REF(kind, POLICY_REF_DEFAULT);
	return p->net_default[dir];
}

const char *policy_rule_field(const struct policy *p, uint32_t ref, char *buf, size_t len)
{
	uint32_t kind = POLICY_REF_KIND(ref), idx = POLICY_REF_INDEX(ref), n;
	const struct policy_src *src;
	static const char *const defaults[] = { NULL, "spec.defaults.file", "spec.defaults.exec",
						"spec.defaults.egress", "spec.defaults.ingress" };

	switch (kind) {
	case POLICY_REF_FILE: src = p->file_src; n = p->n_file; break;
	case POLICY_REF_EXEC: src = p->exec_src; n = p->n_exec; break;
	case POLICY_REF_EGRESS: src = p->net_src[0]; n = p->n_net[0]; break;
	case POLICY_REF_INGRESS: src = p->net_src[1]; n = p->n_net[1]; break;
	default: src = NULL; n = 0; break;
	}
	if (kind >= POLICY_REF_FILE && kind <= POLICY_REF_INGRESS && idx == POLICY_REF_DEFAULT)
		return defaults[kind];
	if (idx >= n) {
		snprintf(buf, len, "rule %#x (unknown)", ref);
		return buf;
	}
	return src[idx].field;
}

char *policy_rule_ref_format(const struct policy_set *set, uint32_t policy_id, uint32_t ref,
			     char *buf, size_t len)
{
	const struct policy *p = policy_by_id(set, policy_id);
	uint32_t kind = POLICY_REF_KIND(ref);
	char field[64];

	if (!p || kind < POLICY_REF_FILE || kind > POLICY_REF_INGRESS)
		snprintf(buf, len, "policy %u: rule %#x (unknown)", policy_id, ref);
	else
		snprintf(buf, len, "%s: %s", p->name, policy_rule_field(p, ref, field, sizeof(field)));
	return buf;
}
