// SPDX-License-Identifier: GPL-2.0
/*
 * Container registry: cgroup id -> container. See registry.h.
 *
 * Id -> path: a cgroup v2 id is its kernfs node id, and kernfs exports file
 * handles of type FILEID_KERNFS (0xfe) holding exactly that 64-bit id, so
 * open_by_handle_at(cgroup2 mount, {8, 0xfe, id}) opens the directory and
 * /proc/self/fd/N names it (systemd's cg_path_from_cgroupid() does the
 * same). ESTALE means the cgroup is gone. Where handles do not work (not a
 * cgroup2 mount, no CAP_DAC_READ_SEARCH) a bounded walk of the tree matches
 * directory inode numbers instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/cgroup_path.h"
#include "lib/log.h"
#include "attrib/oci_state.h"
#include "attrib/registry.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#define FILEID_KERNFS		0xfe

#define DEF_MAX_ENTRIES		16384
#define DEF_NEG_TTL_MS		1000
#define DEF_SETTLE_MS		5000
#define MAX_BACKOFF_MS		30000
#define WALK_DEPTH_MAX		32
#define STATE_NAMED_LEVELS	4	/* leaf and 3 parents looked up by name */

#define TASK_DIR		"io.containerd.runtime.v2.task"
#define NS_MAX			64	/* containerd namespaces looked at per task root */

const char *const registry_default_state_roots[] = {
	"/run/runc",
	"/run/containerd/runc/k8s.io",
	"/run/containerd/" TASK_DIR,
	"/run/crun",
	"/var/lib/docker/containers",
	"/run/docker/runtime-runc/moby",
	"/run/docker/containerd/daemon/" TASK_DIR,
	"/run/containerd/runc/moby",
	"/run/containers/storage/overlay-containers",
	"/var/lib/containers/storage/overlay-containers",
	NULL,
};

struct entry {
	struct entry *hnext;
	struct entry *prev, *next;	/* LRU list, most recent first */
	uint64_t first_seen_ms;
	uint64_t recheck_at_ms;		/* 0: final */
	unsigned backoff_ms;
	bool path_truncated;		/* info.cgroup_path is not the whole path */
	struct container_info info;
};

struct registry {
	int mnt_fd;
	char root[PATH_MAX];
	size_t rootlen;
	char **roots;
	bool *task_root;		/* roots[i] is a containerd task directory */
	size_t nroots;
	unsigned max, ttl, settle;
	bool handles;

	struct entry **buckets;
	size_t nbuckets;		/* power of two */
	struct entry lru;		/* sentinel */
	size_t n;

	struct container_info scratch;	/* answers that could not be stored */
	struct registry_stats st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Copy with truncation to the field (names are already bounded). */
static void set_field(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static size_t bucket_of(const struct registry *r, uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (r->nbuckets - 1);
}

static void lru_unlink(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_push_front(struct registry *r, struct entry *e)
{
	e->next = r->lru.next;
	e->prev = &r->lru;
	r->lru.next->prev = e;
	r->lru.next = e;
}

static struct entry *find(struct registry *r, uint64_t id)
{
	struct entry *e;

	for (e = r->buckets[bucket_of(r, id)]; e; e = e->hnext)
		if (e->info.cgroup_id == id)
			return e;
	return NULL;
}

static void remove_entry(struct registry *r, struct entry *e)
{
	struct entry **pp = &r->buckets[bucket_of(r, e->info.cgroup_id)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(e);
	r->n--;
	free(e);
}

static struct entry *insert(struct registry *r, uint64_t id)
{
	struct entry *e;
	size_t b;

	if (r->n >= r->max && r->lru.prev != &r->lru) {
		remove_entry(r, r->lru.prev);
		r->st.evictions++;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->info.cgroup_id = id;
	e->first_seen_ms = now_ms();
	b = bucket_of(r, id);
	e->hnext = r->buckets[b];
	r->buckets[b] = e;
	lru_push_front(r, e);
	r->n++;
	return e;
}

/* ---- cgroup id -> path -------------------------------------------------- */

static int path_from_fd(struct registry *r, int fd, char *buf, size_t size)
{
	char link[64], target[PATH_MAX];
	ssize_t n;
	const char *rel;
	size_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target) - 1)
		return -ENAMETOOLONG;
	target[n] = '\0';
	len = (size_t)n;
	if (len > 10 && !strcmp(target + len - 10, " (deleted)"))
		return -ESTALE;
	if (strncmp(target, r->root, r->rootlen) ||
	    (target[r->rootlen] != '/' && target[r->rootlen] != '\0'))
		return -EXDEV;	/* not below our mount: another mount namespace */
	rel = target[r->rootlen] ? target + r->rootlen : "/";
	if (strlen(rel) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, rel);
	return 0;
}

static int path_by_handle(struct registry *r, uint64_t id, char *buf, size_t size)
{
	struct {
		struct file_handle fh;
		unsigned char id[8];
	} h;
	int fd, err;

	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(r->mnt_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = path_from_fd(r, fd, buf, size);
	close(fd);
	return err;
}

/* Depth-first walk below the mount; calls @fn for every directory. */
struct walk {
	struct registry *r;
	char path[CGP_PATH_MAX];
	size_t budget;			/* directories left to visit */
	int (*fn)(struct walk *w, uint64_t ino);	/* nonzero: stop */
	uint64_t target;
	int found;
	int count;
};

static int walk_dir(struct walk *w, int dfd, size_t len, int depth)
{
	DIR *d;
	struct dirent *de;
	int stop = 0;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (!stop && (de = readdir(d))) {
		size_t nl;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISDIR(st.st_mode))
				continue;
		} else if (de->d_type != DT_DIR) {
			continue;
		}
		if (w->budget == 0)
			break;
		w->budget--;
		nl = strlen(de->d_name);
		if (len + 1 + nl >= sizeof(w->path))
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, nl + 1);
		stop = w->fn(w, de->d_ino);
		if (stop || depth + 1 >= WALK_DEPTH_MAX)
			continue;
		cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (cfd >= 0)
			stop = walk_dir(w, cfd, len + 1 + nl, depth + 1);
		if (!stop)
			w->path[len] = '\0';
	}
	closedir(d);
	return stop;
}

static int walk(struct walk *w)
{
	int fd;

	fd = openat(w->r->mnt_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w->path[0] = '\0';
	walk_dir(w, fd, 0, 0);
	return 0;
}

static int walk_match(struct walk *w, uint64_t ino)
{
	if (ino != w->target)
		return 0;
	w->found = 1;
	return 1;
}

static int path_by_walk(struct registry *r, uint64_t id, char *buf, size_t size)
{
	struct walk *w;
	struct stat st;
	int err = -ESTALE;

	if (fstat(r->mnt_fd, &st) == 0 && (uint64_t)st.st_ino == id) {
		if (size < 2)
			return -ENAMETOOLONG;
		strcpy(buf, "/");
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->r = r;
	w->budget = (size_t)r->max * 4;
	w->fn = walk_match;
	w->target = id;
	walk(w);
	if (w->found) {
		err = strlen(w->path) < size ? 0 : -ENAMETOOLONG;
		if (!err)
			strcpy(buf, w->path);
	}
	free(w);
	return err;
}

int registry_cgroup_path(struct registry *r, uint64_t id, char *buf, size_t size)
{
	int err;

	if (r->handles) {
		err = path_by_handle(r, id, buf, size);
		if (err == 0)
			r->st.handle_resolves++;
		return err;
	}
	err = path_by_walk(r, id, buf, size);
	if (err == 0)
		r->st.walk_resolves++;
	return err;
}

/* ---- container state ---------------------------------------------------- */

static const char *runtime_of_root(const char *root)
{
	if (strstr(root, "docker") || strstr(root, "moby"))
		return "docker";
	if (strstr(root, "containerd"))
		return "containerd";
	if (strstr(root, "crio") || strstr(root, "cri-o"))
		return "cri-o";
	if (strstr(root, "crun"))
		return "crun";
	if (strstr(root, "libpod") || strstr(root, "podman"))
		return "podman";
	return NULL;
}

static const char *runtime_of_format(enum oci_format f)
{
	switch (f) {
	case OCI_FMT_RUNC_STATE: return "runc";
	case OCI_FMT_CRUN_STATUS: return "crun";
	default: return "";
	}
}


/* A containerd task directory: one subdirectory per namespace. */
static bool is_task_root(const char *root)
{
	size_t len = strlen(root), tl = strlen(TASK_DIR);

	while (len > 1 && root[len - 1] == '/')
		len--;
	return len > tl && root[len - tl - 1] == '/' && !memcmp(root + len - tl, TASK_DIR, tl);
}

/*
 * @id in a containerd task directory: <root>/<namespace>/<id>/config.json,
 * in each namespace (at most NS_MAX, names checked like ids). 0, or -ENOENT.
 */
static int find_in_task_root(const char *root, const char *id, struct oci_meta *m)
{
	char nsroot[PATH_MAX];
	struct dirent *de;
	unsigned n = 0;
	int err = -ENOENT;
	DIR *d;

	d = opendir(root);
	if (!d)
		return -ENOENT;
	while (err && n < NS_MAX && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || !cgroup_path_valid_id(de->d_name, len))
			continue;
		n++;
		if ((size_t)snprintf(nsroot, sizeof(nsroot), "%s/%s", root, de->d_name) >= sizeof(nsroot))
			continue;
		if (oci_find(nsroot, id, m) == 0)
			err = 0;
	}
	closedir(d);
	return err;
}

static void fill_empty(char *dst, size_t size, const char *src)
{
	if (!dst[0] && src[0])
		set_field(dst, size, src);
}

/*
 * Look @id up in every state root. The first hit gives the container's
 * state; later roots only fill what it left empty (Docker's runc state has
 * no name, its config.v2.json no cgroup), until name and image are known.
 * The runtime: what the content says, else the root's, else the format's.
 */
static int find_state(struct registry *r, const char *id, struct oci_meta *m, const char **runtime)
{
	struct oci_meta more;
	bool found = false;
	size_t i;

	for (i = 0; i < r->nroots && !(found && m->name[0] && m->image[0]); i++) {
		struct oci_meta *dst = found ? &more : m;
		const char *rt;
		int err;

		err = r->task_root[i] ? find_in_task_root(r->roots[i], id, dst)
				      : oci_find(r->roots[i], id, dst);
		if (err) {
			if (err != -ENOENT && err != -ENOTDIR)
				log_debug("registry: state of %s under %s: %s", id, r->roots[i],
					  strerror(-err));
			continue;
		}
		rt = dst->runtime[0] ? dst->runtime : runtime_of_root(r->roots[i]);
		if (!rt && r->task_root[i])
			rt = "containerd";
		if (!rt)
			rt = runtime_of_format(dst->format);
		if (!found) {
			*runtime = rt;
			found = true;
			continue;
		}
		fill_empty(m->name, sizeof(m->name), more.name);
		fill_empty(m->pod, sizeof(m->pod), more.pod);
		fill_empty(m->ns, sizeof(m->ns), more.ns);
		fill_empty(m->pod_uid, sizeof(m->pod_uid), more.pod_uid);
		fill_empty(m->image, sizeof(m->image), more.image);
		fill_empty(m->cgroups_path, sizeof(m->cgroups_path), more.cgroups_path);
		fill_empty(m->cgroup_dir, sizeof(m->cgroup_dir), more.cgroup_dir);
		/* a runtime the content names beats one guessed from a root's name */
		if (more.runtime[0] && !m->runtime[0]) {
			set_field(m->runtime, sizeof(m->runtime), more.runtime);
			*runtime = m->runtime;	/* not more's: it dies here */
		}
	}
	return found ? 0 : -ENOENT;
}

/* Does the state say the container's cgroup is @rel (relative to the mount)? */
static bool state_names_cgroup(struct registry *r, const struct oci_meta *m, const char *rel)
{
	if (m->cgroups_path[0] == '/' && !strcmp(m->cgroups_path, rel))
		return true;
	if (m->cgroup_dir[0] && !strncmp(m->cgroup_dir, r->root, r->rootlen) &&
	    !strcmp(m->cgroup_dir + r->rootlen, rel))
		return true;
	return false;
}

static void apply_state(struct container_info *ci, const struct oci_meta *m, const char *runtime)
{
	set_field(ci->name, sizeof(ci->name), m->name);
	set_field(ci->pod, sizeof(ci->pod), m->pod);
	set_field(ci->ns, sizeof(ci->ns), m->ns);
	set_field(ci->image, sizeof(ci->image), m->image);
	if (!ci->pod_uid[0])
		set_field(ci->pod_uid, sizeof(ci->pod_uid), m->pod_uid);
	if (!ci->runtime[0] && runtime)
		set_field(ci->runtime, sizeof(ci->runtime), runtime);
}

/*
 * A path that matches no layout: does some runtime's state name it? Try the
 * leaf and a few parents as container ids; a parent only counts if its state
 * says that parent is the container's cgroup, the leaf also if the state
 * names no cgroup at all (runc's default cgroupsPath is /<id>).
 */
static bool resolve_state_named(struct registry *r, struct container_info *ci, const char *path)
{
	char prefix[CGP_PATH_MAX];
	size_t len = strlen(path);
	int level;

	if (len >= sizeof(prefix))
		return false;
	memcpy(prefix, path, len + 1);
	for (level = 0; level < STATE_NAMED_LEVELS; level++) {
		char *slash;
		const char *leaf;
		struct oci_meta m;
		const char *runtime = NULL;

		while (len > 1 && prefix[len - 1] == '/')
			prefix[--len] = '\0';
		slash = strrchr(prefix, '/');
		if (!slash || len <= 1)
			return false;
		leaf = slash + 1;
		if (cgroup_path_valid_id(leaf, strlen(leaf)) &&
		    find_state(r, leaf, &m, &runtime) == 0 &&
		    (state_names_cgroup(r, &m, prefix) ||
		     (level == 0 && !m.cgroups_path[0] && !m.cgroup_dir[0]))) {
			ci->host = false;
			set_field(ci->id, sizeof(ci->id), leaf);
			apply_state(ci, &m, runtime);
			return true;
		}
		*slash = '\0';
		len = (size_t)(slash - prefix);
		if (len == 0)
			return false;
	}
	return false;
}

static void schedule_recheck(struct registry *r, struct entry *e, uint64_t now)
{
	if (e->backoff_ms == 0)
		e->backoff_ms = r->ttl;
	else if (e->backoff_ms < MAX_BACKOFF_MS)
		e->backoff_ms = e->backoff_ms * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : e->backoff_ms * 2;
	e->recheck_at_ms = now + e->backoff_ms;
	e->info.resolved = false;
}

static void clear_identity(struct container_info *ci)
{
	uint64_t id = ci->cgroup_id;
	char path[sizeof(ci->cgroup_path)];

	memcpy(path, ci->cgroup_path, sizeof(path));
	memset(ci, 0, sizeof(*ci));
	ci->cgroup_id = id;
	memcpy(ci->cgroup_path, path, sizeof(path));
}

/* (Re)compute everything about @e from its path, @full (NULL: resolve it). */
static void resolve(struct registry *r, struct entry *e, const char *full)
{
	struct container_info *ci = &e->info;
	char pathbuf[CGP_PATH_MAX];
	struct cgroup_path_info pi;
	struct oci_meta m;
	const char *runtime = NULL;
	uint64_t now = now_ms();
	int err;

	if (!full && ci->cgroup_path[0] && !e->path_truncated)
		full = ci->cgroup_path;
	if (!full) {
		err = registry_cgroup_path(r, ci->cgroup_id, pathbuf, sizeof(pathbuf));
		if (err) {
			clear_identity(ci);
			ci->host = true;
			r->st.unresolved++;
			if (err == -ESTALE) {
				/* gone (or never was): nothing will change */
				e->recheck_at_ms = 0;
				ci->resolved = true;
			} else {
				schedule_recheck(r, e, now);
			}
			return;
		}
		full = pathbuf;
	}
	if (full != ci->cgroup_path) {
		e->path_truncated = strlen(full) >= sizeof(ci->cgroup_path);
		set_field(ci->cgroup_path, sizeof(ci->cgroup_path), full);
	}
	clear_identity(ci);

	cgroup_path_parse(full, &pi);
	set_field(ci->qos, sizeof(ci->qos), pi.qos);
	set_field(ci->pod_uid, sizeof(ci->pod_uid), pi.pod_uid);
	set_field(ci->runtime, sizeof(ci->runtime), pi.runtime);

	switch (pi.kind) {
	case CGP_CONTAINER:
		ci->host = false;
		set_field(ci->id, sizeof(ci->id), pi.id);
		if (find_state(r, pi.id, &m, &runtime) == 0) {
			apply_state(ci, &m, runtime);
			ci->resolved = true;
			e->recheck_at_ms = 0;
		} else {
			/* just created, state not written yet: ask again later */
			schedule_recheck(r, e, now);
		}
		return;
	case CGP_POD:
	case CGP_MONITOR:
		/* a pod's own cgroup, conmon: not a container */
		ci->host = true;
		ci->resolved = true;
		e->recheck_at_ms = 0;
		return;
	case CGP_HOST:
		break;
	}

	ci->host = true;
	ci->runtime[0] = '\0';
	if (resolve_state_named(r, ci, full)) {
		ci->resolved = true;
		e->recheck_at_ms = 0;
		return;
	}
	if (now - e->first_seen_ms < r->settle) {
		e->recheck_at_ms = now + r->ttl;
		ci->resolved = false;
	} else {
		e->recheck_at_ms = 0;
		ci->resolved = true;
	}
}

/* ---- public API --------------------------------------------------------- */

static void host_scratch(struct registry *r, uint64_t id, const char *path)
{
	memset(&r->scratch, 0, sizeof(r->scratch));
	r->scratch.cgroup_id = id;
	r->scratch.host = true;
	if (path)
		set_field(r->scratch.cgroup_path, sizeof(r->scratch.cgroup_path), path);
}

const struct container_info *registry_lookup(struct registry *r, uint64_t id)
{
	struct entry *e;

	r->st.lookups++;
	if (id == 0) {
		host_scratch(r, id, NULL);
		return &r->scratch;
	}
	e = find(r, id);
	if (e) {
		r->st.hits++;
		lru_unlink(e);
		lru_push_front(r, e);
		if (e->recheck_at_ms && now_ms() >= e->recheck_at_ms) {
			r->st.rechecks++;
			resolve(r, e, NULL);
		}
		return &e->info;
	}
	r->st.misses++;
	e = insert(r, id);
	if (!e) {
		char path[CGP_PATH_MAX];

		host_scratch(r, id, registry_cgroup_path(r, id, path, sizeof(path)) ? NULL : path);
		return &r->scratch;
	}
	resolve(r, e, NULL);
	return &e->info;
}

const struct container_info *registry_add_path(struct registry *r, uint64_t id, const char *path)
{
	struct entry *e;

	if (!path || path[0] != '/' || strnlen(path, CGP_PATH_MAX) >= CGP_PATH_MAX)
		return registry_lookup(r, id);
	if (id == 0) {
		host_scratch(r, id, path);
		return &r->scratch;
	}
	e = find(r, id);
	if (e) {
		lru_unlink(e);
		lru_push_front(r, e);
		if (e->info.resolved && !e->path_truncated && !strcmp(e->info.cgroup_path, path))
			return &e->info;
	} else {
		e = insert(r, id);
		if (!e) {
			host_scratch(r, id, path);
			return &r->scratch;
		}
	}
	resolve(r, e, path);
	return &e->info;
}

void registry_forget(struct registry *r, uint64_t id)
{
	struct entry *e = find(r, id);

	if (e)
		remove_entry(r, e);
}

size_t registry_size(const struct registry *r)
{
	return r->n;
}

void registry_get_stats(const struct registry *r, struct registry_stats *st)
{
	*st = r->st;
}

bool registry_uses_handles(const struct registry *r)
{
	return r->handles;
}

static int scan_one(struct walk *w, uint64_t ino)
{
	struct cgroup_path_info pi;

	if (cgroup_path_parse(w->path, &pi) || pi.kind != CGP_CONTAINER)
		return 0;
	registry_add_path(w->r, ino, w->path);
	w->count++;
	return 0;
}

int registry_scan(struct registry *r)
{
	struct walk *w;
	int err, count;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->r = r;
	w->budget = r->max;
	w->fn = scan_one;
	err = walk(w);
	count = w->count;
	if (w->budget == 0)
		log_warn("registry: cgroup tree has more than %u directories, scan stopped early", r->max);
	free(w);
	return err ? err : count;
}

/* Do kernfs file handles work on this mount? Decided by trying, once. */
static bool probe_handles(struct registry *r)
{
	struct {
		struct file_handle fh;
		unsigned char buf[MAX_HANDLE_SZ];
	} h;
	int mount_id, fd;
	uint64_t id;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(r->mnt_fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) < 0) {
		log_debug("registry: no file handles on %s (%s): walking the tree instead",
			  r->root, strerror(errno));
		return false;
	}
	if (h.fh.handle_type != FILEID_KERNFS || h.fh.handle_bytes != sizeof(id)) {
		log_debug("registry: %s is not kernfs (handle type %#x): walking the tree instead",
			  r->root, h.fh.handle_type);
		return false;
	}
	fd = open_by_handle_at(r->mnt_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		log_debug("registry: open_by_handle_at on %s: %s: walking the tree instead",
			  r->root, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

struct registry *registry_new(const struct registry_config *cfg)
{
	static const struct registry_config defaults;
	const char *const *roots;
	const char *root;
	struct registry *r;
	struct statfs sfs;
	size_t i, n;
	int err;

	if (!cfg)
		cfg = &defaults;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->mnt_fd = -1;
	r->lru.next = r->lru.prev = &r->lru;
	r->max = cfg->max_entries ? cfg->max_entries : DEF_MAX_ENTRIES;
	r->ttl = cfg->negative_ttl_ms ? cfg->negative_ttl_ms : DEF_NEG_TTL_MS;
	r->settle = cfg->settle_ms ? cfg->settle_ms : DEF_SETTLE_MS;

	root = cfg->cgroup2_root;
	if (!root)
		root = statfs("/sys/fs/cgroup/unified", &sfs) == 0 &&
		       sfs.f_type == CGROUP2_SUPER_MAGIC ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
	if (!realpath(root, r->root)) {
		err = -errno;
		log_warn_errno("registry: cgroup2 mount %s", root);
		goto fail;
	}
	r->rootlen = strlen(r->root);
	if (r->rootlen == 1)	/* "/": compare against "" */
		r->rootlen = 0, r->root[0] = '\0';
	r->mnt_fd = open(r->rootlen ? r->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->mnt_fd < 0) {
		err = -errno;
		log_warn_errno("registry: open %s", root);
		goto fail;
	}
	if (fstatfs(r->mnt_fd, &sfs) == 0 && sfs.f_type != CGROUP2_SUPER_MAGIC)
		log_debug("registry: %s is not a cgroup2 mount", root);

	for (r->nbuckets = 64; r->nbuckets < r->max; r->nbuckets <<= 1)
		;
	r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
	roots = cfg->state_roots ? cfg->state_roots : registry_default_state_roots;
	for (n = 0; roots[n]; n++)
		;
	r->roots = calloc(n + 1, sizeof(*r->roots));
	r->task_root = calloc(n + 1, sizeof(*r->task_root));
	if (!r->buckets || !r->roots || !r->task_root) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		r->roots[i] = strdup(roots[i]);
		if (!r->roots[i]) {
			err = -ENOMEM;
			goto fail;
		}
		r->task_root[i] = is_task_root(roots[i]);
		r->nroots++;
	}
	r->handles = probe_handles(r);
	log_debug("registry: cgroup2 at %s, %s, %zu state roots", r->rootlen ? r->root : "/",
		  r->handles ? "file handles" : "tree walks", r->nroots);
	return r;
fail:
	registry_free(r);
	errno = -err;
	return NULL;
}

void registry_free(struct registry *r)
{
	size_t i;

	if (!r)
		return;
	while (r->lru.next != &r->lru)
		remove_entry(r, r->lru.next);
	for (i = 0; i < r->nroots; i++)
		free(r->roots[i]);
	free(r->roots);
	free(r->task_root);
	free(r->buckets);
	if (r->mnt_fd >= 0)
		close(r->mnt_fd);
	free(r);
}
