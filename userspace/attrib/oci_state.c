// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime state files -> pod/namespace/container name/image. See oci_state.h.
 * Files under /run are written by root, but their annotation values come
 * from whoever wrote the pod spec: every value is type-checked, length-checked
 * and reduced to printable ASCII before anyone prints it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "lib/cgroup_path.h"
#include "attrib/oci_state.h"

enum copy_mode { EXACT, TRUNCATE };

/*
 * Copy a JSON string into a fixed field. Wrong type, embedded NUL or (for
 * EXACT fields) a value that does not fit: the field is left alone and false
 * is returned. Bytes outside printable ASCII become '?'.
 */
static bool copy_str(char *dst, size_t size, const char *s, size_t len, enum copy_mode mode)
{
	size_t i;

	if (memchr(s, '\0', len))
		return false;
	if (len >= size) {
		if (mode == EXACT)
			return false;
		len = size - 1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[len] = '\0';
	return true;
}

static bool copy_json(char *dst, size_t size, struct json_object *v, enum copy_mode mode)
{
	if (!v || !json_object_is_type(v, json_type_string))
		return false;
	return copy_str(dst, size, json_object_get_string(v),
			(size_t)json_object_get_string_len(v), mode);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static struct json_object *get_type(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, t) ? v : NULL;
}

/* Annotation key -> field. Earlier entries for the same field win. */
static const struct ann_key {
	const char *key;
	size_t off, size;
	enum copy_mode mode;
} ann_keys[] = {
#define F(k, field, mode) { k, offsetof(struct oci_meta, field), sizeof(((struct oci_meta *)0)->field), mode }
	F("io.kubernetes.cri.container-name", name, EXACT),
	F("io.kubernetes.container.name", name, EXACT),
	F("io.kubernetes.pod.name", pod, EXACT),
	F("io.kubernetes.cri.sandbox-name", pod, EXACT),
	F("io.kubernetes.pod.namespace", ns, EXACT),
	F("io.kubernetes.cri.sandbox-namespace", ns, EXACT),
	F("io.kubernetes.pod.uid", pod_uid, EXACT),
	F("io.kubernetes.cri.sandbox-uid", pod_uid, EXACT),
	F("io.kubernetes.cri.image-name", image, TRUNCATE),
	F("io.kubernetes.cri-o.ImageName", image, TRUNCATE),
	F("io.kubernetes.container.image", image, TRUNCATE),
#undef F
};
#define N_ANN (sizeof(ann_keys) / sizeof(ann_keys[0]))

/* prio[f] = index in ann_keys of the key that set field f (lower wins) */
struct ann_state {
	struct oci_meta *m;
	unsigned char prio[N_ANN];
};

static void ann_init(struct ann_state *st, struct oci_meta *m)
{
	size_t i;

	st->m = m;
	for (i = 0; i < N_ANN; i++)
		st->prio[i] = (unsigned char)N_ANN;
}

static void apply_annotation(struct ann_state *st, const char *key, size_t keylen,
			     const char *val, size_t vallen)
{
	size_t i, j;

	for (i = 0; i < N_ANN; i++) {
		const struct ann_key *k = &ann_keys[i];
		size_t first = i;

		if (strlen(k->key) != keylen || memcmp(k->key, key, keylen))
			continue;
		/* the first entry naming the same field holds its priority */
		for (j = 0; j < i; j++)
			if (ann_keys[j].off == k->off) {
				first = j;
				break;
			}
		if (st->prio[first] <= i)
			return;
		if (copy_str((char *)st->m + k->off, k->size, val, vallen, k->mode))
			st->prio[first] = (unsigned char)i;
		return;
	}
}

/* "annotations": {"k": "v", ...} */
static void apply_annotation_object(struct ann_state *st, struct json_object *ann)
{
	unsigned n = 0;

	if (!ann || !json_object_is_type(ann, json_type_object))
		return;
	json_object_object_foreach(ann, key, val) {
		if (++n > OCI_KEYS_MAX)
			break;
		if (!json_object_is_type(val, json_type_string))
			continue;
		apply_annotation(st, key, strlen(key), json_object_get_string(val),
				 (size_t)json_object_get_string_len(val));
	}
}

/* runc 1.1 state.json: "config": {"labels": ["k=v", ...]} */
static void apply_label_array(struct ann_state *st, struct json_object *labels)
{
	size_t i, n;

	if (!labels || !json_object_is_type(labels, json_type_array))
		return;
	n = json_object_array_length(labels);
	if (n > OCI_KEYS_MAX)
		n = OCI_KEYS_MAX;
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(labels, i);
		const char *s, *eq;
		size_t len;

		if (!v || !json_object_is_type(v, json_type_string))
			continue;
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		eq = memchr(s, '=', len);
		if (!eq)
			continue;
		apply_annotation(st, s, (size_t)(eq - s), eq + 1, len - (size_t)(eq - s) - 1);
	}
}

static void parse_runc_state(struct json_object *root, struct ann_state *st)
{
	struct oci_meta *m = st->m;
	struct json_object *config = get_type(root, "config", json_type_object);
	struct json_object *cg = get_type(config, "cgroups", json_type_object);
	struct json_object *paths = get_type(root, "cgroup_paths", json_type_object);

	m->format = OCI_FMT_RUNC_STATE;
	copy_json(m->id, sizeof(m->id), get(root, "id"), EXACT);
	apply_label_array(st, get(config, "labels"));
	copy_json(m->cgroups_path, sizeof(m->cgroups_path), get(cg, "path"), EXACT);
	if (!copy_json(m->cgroup_dir, sizeof(m->cgroup_dir), get(paths, ""), EXACT))
		copy_json(m->cgroup_dir, sizeof(m->cgroup_dir), get(paths, "unified"), EXACT);
	/* runc keeps "bundle=<dir>" among the labels */
	{
		struct json_object *labels = get_type(config, "labels", json_type_array);
		size_t i, n = labels ? json_object_array_length(labels) : 0;

		if (n > OCI_KEYS_MAX)
			n = OCI_KEYS_MAX;
		for (i = 0; i < n; i++) {
			struct json_object *v = json_object_array_get_idx(labels, i);

			if (v && json_object_is_type(v, json_type_string) &&
			    !strncmp(json_object_get_string(v), "bundle=", 7)) {
				copy_str(m->bundle, sizeof(m->bundle),
					 json_object_get_string(v) + 7,
					 (size_t)json_object_get_string_len(v) - 7, EXACT);
				break;
			}
		}
	}
}

/* The runtime an OCI document's annotations name (podman marks its own). */
static void runtime_of_annotations(struct oci_meta *m, struct json_object *ann)
{
	struct json_object *v = get_type(ann, "io.container.manager", json_type_string);

	if (v && !strcmp(json_object_get_string(v), "libpod"))
		copy_str(m->runtime, sizeof(m->runtime), "podman", 6, EXACT);
}

static void parse_oci(struct json_object *root, struct ann_state *st)
{
	struct oci_meta *m = st->m;
	struct json_object *linux_ = get_type(root, "linux", json_type_object);

	m->format = OCI_FMT_OCI;
	copy_json(m->id, sizeof(m->id), get(root, "id"), EXACT);
	apply_annotation_object(st, get(root, "annotations"));
	runtime_of_annotations(m, get(root, "annotations"));
	copy_json(m->cgroups_path, sizeof(m->cgroups_path), get(linux_, "cgroupsPath"), EXACT);
	copy_json(m->bundle, sizeof(m->bundle), get(root, "bundle"), EXACT);
}

static void parse_crun_status(struct json_object *root, struct ann_state *st)
{
	struct oci_meta *m = st->m;

	m->format = OCI_FMT_CRUN_STATUS;
	copy_json(m->bundle, sizeof(m->bundle), get(root, "bundle"), EXACT);
	copy_json(m->cgroups_path, sizeof(m->cgroups_path), get(root, "cgroup-path"), EXACT);
}

/*
 * Docker's config.v2.json: "Name" is "/<name>", "Config"."Image" the image as
 * the user named it; "Config"."Labels" carry dockershim's Kubernetes labels
 * (io.kubernetes.pod.name, ...), which win over Docker's own name.
 */
static void parse_docker(struct json_object *root, struct ann_state *st)
{
	struct oci_meta *m = st->m;
	struct json_object *config = get_type(root, "Config", json_type_object);
	struct json_object *name = get_type(root, "Name", json_type_string);

	m->format = OCI_FMT_DOCKER;
	copy_str(m->runtime, sizeof(m->runtime), "docker", 6, EXACT);
	copy_json(m->id, sizeof(m->id), get(root, "ID"), EXACT);
	apply_annotation_object(st, get(config, "Labels"));
	if (!m->name[0] && name) {
		const char *s = json_object_get_string(name);
		size_t len = (size_t)json_object_get_string_len(name);

		if (len && s[0] == '/')
			s++, len--;
		if (len)
			copy_str(m->name, sizeof(m->name), s, len, EXACT);
	}
	if (!m->image[0])
		copy_json(m->image, sizeof(m->image), get(config, "Image"), TRUNCATE);
}

static bool only_space(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

static int parse_into(const char *buf, size_t len, struct ann_state *st)
{
	struct json_tokener *tok;
	struct json_object *root;
	int err = -EINVAL;

	if (len > OCI_FILE_MAX)
		return -EFBIG;
	if (len > INT_MAX || memchr(buf, '\0', len))
		return -EINVAL;
	tok = json_tokener_new_ex(OCI_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success)
		goto out;
	if (!only_space(buf + json_tokener_get_parse_end(tok),
			len - json_tokener_get_parse_end(tok)))
		goto out;
	if (!json_object_is_type(root, json_type_object))
		goto out;

	if (get_type(root, "ID", json_type_string) && get_type(root, "Config", json_type_object))
		parse_docker(root, st);
	else if (get_type(root, "config", json_type_object))
		parse_runc_state(root, st);
	else if (get(root, "annotations") || get(root, "ociVersion"))
		parse_oci(root, st);
	else if (get_type(root, "bundle", json_type_string) && get(root, "cgroup-path"))
		parse_crun_status(root, st);
	else
		goto out;
	err = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return err;
}

/* One strict, depth-capped JSON document of exactly @len bytes, or NULL. */
static struct json_object *parse_doc(const char *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *root;

	if (len > INT_MAX || memchr(buf, '\0', len))
		return NULL;
	tok = json_tokener_new_ex(OCI_JSON_DEPTH);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (root && (json_tokener_get_error(tok) != json_tokener_success ||
		     !only_space(buf + json_tokener_get_parse_end(tok),
				 len - json_tokener_get_parse_end(tok)))) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

int oci_parse_storage_list(const char *buf, size_t len, const char *id, struct oci_meta *m)
{
	struct json_object *root, *ent = NULL;
	size_t i, n;
	int err = -ENOENT;

	if (len > OCI_FILE_MAX)
		return -EFBIG;
	if (!id || !id[0])
		return -EINVAL;
	root = parse_doc(buf, len);
	if (!root || !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	n = json_object_array_length(root);
	if (n > OCI_KEYS_MAX)
		n = OCI_KEYS_MAX;
	for (i = 0; i < n && !ent; i++) {
		struct json_object *e = json_object_array_get_idx(root, i);
		struct json_object *eid = get_type(e, "id", json_type_string);

		if (eid && !strcmp(json_object_get_string(eid), id) &&
		    (size_t)json_object_get_string_len(eid) == strlen(id))
			ent = e;
	}
	if (ent) {
		struct json_object *names = get_type(ent, "names", json_type_array);
		struct json_object *meta = get_type(ent, "metadata", json_type_string);

		err = 0;
		if (!m->name[0] && names && json_object_array_length(names) > 0)
			copy_json(m->name, sizeof(m->name), json_object_array_get_idx(names, 0), EXACT);
		if (meta && (!m->image[0] || !m->name[0])) {
			/* a JSON document inside a string: the same caps apply */
			struct json_object *md = parse_doc(json_object_get_string(meta),
							   (size_t)json_object_get_string_len(meta));

			if (md && json_object_is_type(md, json_type_object)) {
				if (!m->image[0])
					copy_json(m->image, sizeof(m->image), get(md, "image-name"), TRUNCATE);
				if (!m->name[0])
					copy_json(m->name, sizeof(m->name), get(md, "name"), EXACT);
			}
			json_object_put(md);
		}
	}
	json_object_put(root);
	return err;
}

int oci_parse(const char *buf, size_t len, struct oci_meta *m)
{
	struct ann_state st;
	int err;

	memset(m, 0, sizeof(*m));
	ann_init(&st, m);
	err = parse_into(buf, len, &st);
	if (err)
		memset(m, 0, sizeof(*m));
	return err;
}

/* Whole file into a malloc'd buffer, at most OCI_FILE_MAX bytes. */
static int read_bounded(int dirfd, const char *path, char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL;
	size_t cap, len = 0;
	int fd, err;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto fail;
	}
	if (st.st_size > (off_t)OCI_FILE_MAX) {
		err = -EFBIG;
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		err = -ENOMEM;
		goto fail;
	}
	/* the file may grow while we read: read one byte past its size */
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			char *nb;

			if (cap > OCI_FILE_MAX) {
				err = -EFBIG;
				goto fail;
			}
			cap = cap * 2 > OCI_FILE_MAX + 1 ? OCI_FILE_MAX + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return err;
}

static int read_into(int dirfd, const char *path, struct ann_state *st)
{
	char *buf;
	size_t len;
	int err;

	err = read_bounded(dirfd, path, &buf, &len);
	if (err)
		return err;
	err = parse_into(buf, len, st);
	free(buf);
	return err;
}

int oci_read_file(const char *path, struct oci_meta *m)
{
	struct ann_state st;
	int err;

	memset(m, 0, sizeof(*m));
	ann_init(&st, m);
	err = read_into(AT_FDCWD, path, &st);
	if (err)
		memset(m, 0, sizeof(*m));
	return err;
}

int oci_find(const char *root, const char *id, struct oci_meta *m)
{
	static const char *const names[] = {
		"state.json", "config.json", "userdata/config.json", "config.v2.json", "status",
	};
	enum { USERDATA = 2 };
	struct ann_state st;
	char dir[PATH_MAX];
	int dfd, err = -ENOENT;
	size_t i, found = 0;

	memset(m, 0, sizeof(*m));
	if (!root || !id || !cgroup_path_valid_id(id, strlen(id)))
		return -EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, id) >= sizeof(dir))
		return -ENAMETOOLONG;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return errno == ENOTDIR || errno == ELOOP ? -ENOENT : -errno;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int r;

		ann_init(&st, m);
		memset(m, 0, sizeof(*m));
		r = read_into(dfd, names[i], &st);
		if (r == -ENOENT)
			continue;
		if (r) {
			/* a bad file: try the other names, report this if none works */
			err = r;
			continue;
		}
		err = 0;
		found = i;
		break;
	}
	close(dfd);
	if (err) {
		memset(m, 0, sizeof(*m));
		return err;
	}

	/* crun's status names the bundle: its config.json has the annotations */
	if (m->format == OCI_FMT_CRUN_STATUS && m->bundle[0] == '/') {
		char cfg[PATH_MAX];

		if ((size_t)snprintf(cfg, sizeof(cfg), "%s/config.json", m->bundle) < sizeof(cfg)) {
			char cgpath[sizeof(m->cgroups_path)];

			/* the status file's cgroup path is what crun actually used */
			memcpy(cgpath, m->cgroups_path, sizeof(cgpath));
			read_into(AT_FDCWD, cfg, &st);	/* annotations, best effort */
			if (cgpath[0])
				memcpy(m->cgroups_path, cgpath, sizeof(cgpath));
			m->format = OCI_FMT_CRUN_STATUS;
		}
	}
	/* podman: the name and image are in containers/storage's list beside */
	if (found == USERDATA && (!m->name[0] || !m->image[0])) {
		char list[PATH_MAX];
		char *buf;
		size_t len;

		if ((size_t)snprintf(list, sizeof(list), "%s/containers.json", root) < sizeof(list) &&
		    read_bounded(AT_FDCWD, list, &buf, &len) == 0) {
			oci_parse_storage_list(buf, len, id, m);	/* best effort */
			free(buf);
		}
	}
	if (!m->id[0])
		copy_str(m->id, sizeof(m->id), id, strlen(id), EXACT);
	return 0;
}
