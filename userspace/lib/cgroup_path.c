// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup path -> container layout. See cgroup_path.h for the layouts.
 * Input is untrusted (a container with cgroup delegation names its own
 * sub-cgroups): every component is length-checked, ids and uids are checked
 * against a strict character set, nothing is copied unbounded.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lib/cgroup_path.h"

struct comp {
	const char *s;
	size_t len;
};

static bool comp_eq(const struct comp *c, const char *lit)
{
	size_t n = strlen(lit);

	return c->len == n && !memcmp(c->s, lit, n);
}

static bool has_prefix(const char *s, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);

	return len >= n && !memcmp(s, pfx, n);
}

static bool has_suffix(const char *s, size_t len, const char *sfx)
{
	size_t n = strlen(sfx);

	return len >= n && !memcmp(s + len - n, sfx, n);
}

bool cgroup_path_valid_id(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= CGP_ID_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Runtime-generated ids (containerd, CRI-O, docker, podman): 64 hex digits. */
static bool is_hex64(const char *s, size_t len)
{
	size_t i;

	if (len != 64)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void set_str(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Pod uid: [A-Za-z0-9_-]{1,63}; systemd escapes '-' as '_': undo that. */
static bool set_uid(struct cgroup_path_info *out, const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= sizeof(out->pod_uid))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	for (i = 0; i < len; i++)
		out->pod_uid[i] = s[i] == '_' ? '-' : s[i];
	out->pod_uid[len] = '\0';
	return true;
}

static void set_qos(struct cgroup_path_info *out, const char *s, size_t len)
{
	if (len == 9 && !memcmp(s, "burstable", 9))
		set_str(out->qos, sizeof(out->qos), "burstable", 9);
	else if (len == 10 && !memcmp(s, "besteffort", 10))
		set_str(out->qos, sizeof(out->qos), "besteffort", 10);
}

static const struct scope_style {
	const char *prefix;
	const char *runtime;
	enum cgp_kind kind;
} scope_styles[] = {
	/* longer prefixes first: "crio-conmon-" before "crio-" */
	{ "cri-containerd-", "containerd", CGP_CONTAINER },
	{ "crio-conmon-", "cri-o", CGP_MONITOR },
	{ "crio-", "cri-o", CGP_CONTAINER },
	{ "docker-", "docker", CGP_CONTAINER },
	{ "libpod-conmon-", "podman", CGP_MONITOR },
	{ "libpod-", "podman", CGP_CONTAINER },
};

static void set_match(struct cgroup_path_info *out, const char *runtime,
		      enum cgp_kind kind, const char *id, size_t len, int depth)
{
	out->kind = kind;
	set_str(out->runtime, sizeof(out->runtime), runtime, strlen(runtime));
	set_str(out->id, sizeof(out->id), id, len);
	out->id_depth = depth;
}

/* "<prefix><64 hex>.scope" (systemd driver), anywhere in the path. */
static bool match_scope(const struct comp *c, struct cgroup_path_info *out, int depth)
{
	size_t i;

	if (!has_suffix(c->s, c->len, ".scope"))
		return false;
	for (i = 0; i < sizeof(scope_styles) / sizeof(scope_styles[0]); i++) {
		const struct scope_style *st = &scope_styles[i];
		size_t pl = strlen(st->prefix);
		const char *id = c->s + pl;
		size_t idlen;

		if (!has_prefix(c->s, c->len, st->prefix))
			continue;
		idlen = c->len - pl - strlen(".scope");
		if (c->len < pl + strlen(".scope") || !is_hex64(id, idlen))
			return false;
		set_match(out, st->runtime, st->kind, id, idlen, depth);
		return true;
	}
	return false;
}

/* The component right below a cgroupfs pod directory: the container. */
static bool match_cgroupfs_container(const struct comp *c,
				     struct cgroup_path_info *out, int depth)
{
	if (has_prefix(c->s, c->len, "crio-conmon-") &&
	    is_hex64(c->s + 12, c->len - 12)) {
		set_match(out, "cri-o", CGP_MONITOR, c->s + 12, c->len - 12, depth);
		return true;
	}
	if (has_prefix(c->s, c->len, "crio-") && is_hex64(c->s + 5, c->len - 5)) {
		set_match(out, "cri-o", CGP_CONTAINER, c->s + 5, c->len - 5, depth);
		return true;
	}
	if (!cgroup_path_valid_id(c->s, c->len))
		return false;
	/* containerd, docker (dockershim), runc: the id, runtime from state */
	set_match(out, "", CGP_CONTAINER, c->s, c->len, depth);
	return true;
}

/*
 * "kubepods-<rest>.slice": <rest> is "burstable", "besteffort",
 * "pod<uid>" (Guaranteed) or "<qos>-pod<uid>". Returns 1 for a pod slice,
 * 0 for a QoS slice, -1 for anything else.
 */
static int parse_kube_slice(const struct comp *c, struct cgroup_path_info *out)
{
	const char *s = c->s + 9;	/* after "kubepods-" */
	size_t len = c->len - 9 - 6;	/* minus ".slice" */
	const char *dash;

	if (has_prefix(s, len, "pod")) {
		if (!set_uid(out, s + 3, len - 3))
			return -1;
		set_str(out->qos, sizeof(out->qos), "guaranteed", 10);
		return 1;
	}
	dash = memchr(s, '-', len);
	if (!dash) {
		set_qos(out, s, len);
		return out->qos[0] ? 0 : -1;
	}
	set_qos(out, s, (size_t)(dash - s));
	if (!out->qos[0])
		return -1;
	len -= (size_t)(dash - s) + 1;
	s = dash + 1;
	if (!has_prefix(s, len, "pod") || !set_uid(out, s + 3, len - 3))
		return -1;
	return 1;
}

const char *cgroup_path_kind_name(enum cgp_kind kind)
{
	switch (kind) {
	case CGP_CONTAINER: return "container";
	case CGP_POD: return "pod";
	case CGP_MONITOR: return "monitor";
	default: return "host";
	}
}

static int split(const char *path, struct comp *comps, int max)
{
	int n = 0;
	const char *p = path;

	while (*p) {
		const char *start;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		if (n == max)
			return -EINVAL;
		comps[n].s = start;
		comps[n].len = (size_t)(p - start);
		n++;
	}
	return n;
}

int cgroup_path_parse(const char *path, struct cgroup_path_info *out)
{
	struct comp comps[CGP_DEPTH_MAX];
	int n, i, kube = -1, pod = -1;
	bool pod_cgroupfs = false;

	memset(out, 0, sizeof(*out));
	out->id_depth = -1;
	if (!path || strnlen(path, CGP_PATH_MAX) >= CGP_PATH_MAX)
		return -EINVAL;
	n = split(path, comps, CGP_DEPTH_MAX);
	if (n < 0)
		return n;

	for (i = 0; i < n; i++) {
		const struct comp *c = &comps[i];

		if (match_scope(c, out, i))
			break;
		/* /docker/<id> (docker's cgroupfs driver) */
		if (comp_eq(c, "docker") && i + 1 < n &&
		    is_hex64(comps[i + 1].s, comps[i + 1].len)) {
			set_match(out, "docker", CGP_CONTAINER, comps[i + 1].s,
				  comps[i + 1].len, i + 1);
			break;
		}
		/* /libpod_parent/libpod-<id> (podman's cgroupfs driver) */
		if (comp_eq(c, "libpod_parent") && i + 1 < n &&
		    has_prefix(comps[i + 1].s, comps[i + 1].len, "libpod-") &&
		    is_hex64(comps[i + 1].s + 7, comps[i + 1].len - 7)) {
			set_match(out, "podman", CGP_CONTAINER, comps[i + 1].s + 7,
				  comps[i + 1].len - 7, i + 1);
			break;
		}

		if (kube < 0) {
			if (comp_eq(c, "kubepods") || comp_eq(c, "kubepods.slice")) {
				kube = i;
				out->kubepods = true;
				continue;
			}
			if (!has_prefix(c->s, c->len, "kubepods-") ||
			    !has_suffix(c->s, c->len, ".slice"))
				continue;
			kube = i;
			out->kubepods = true;
			/* a kubepods-*.slice without its parent: parse it below */
		}

		if (pod >= 0) {
			/* below the pod: a cgroupfs container, else stop */
			if (pod_cgroupfs && pod == i - 1)
				match_cgroupfs_container(c, out, i);
			break;
		}
		if (c->len > 9 + 6 && has_prefix(c->s, c->len, "kubepods-") &&
		    has_suffix(c->s, c->len, ".slice")) {
			int r = parse_kube_slice(c, out);

			if (r == 1)
				pod = i;
			else if (r < 0)
				break;
			continue;
		}
		if (i == kube + 1 && (comp_eq(c, "burstable") || comp_eq(c, "besteffort"))) {
			set_qos(out, c->s, c->len);
			continue;
		}
		if (has_prefix(c->s, c->len, "pod") &&
		    (i == kube + 1 || (i == kube + 2 && out->qos[0]))) {
			size_t skip = c->len > 4 && c->s[3] == '-' ? 4 : 3;

			if (!set_uid(out, c->s + skip, c->len - skip))
				break;
			if (i == kube + 1)
				set_str(out->qos, sizeof(out->qos), "guaranteed", 10);
			pod = i;
			pod_cgroupfs = true;
			continue;
		}
		/* an unknown component inside kubepods: nothing more to learn */
		break;
	}

	if (out->kind == CGP_HOST && pod >= 0)
		out->kind = CGP_POD;
	if (out->kind == CGP_HOST) {
		/* keep kubepods/qos only as hints; a host path has no pod uid */
		out->pod_uid[0] = '\0';
	}
	return 0;
}
