/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parse a cgroup v2 path (relative to the cgroup2 mount) into what its layout
 * says about the container that owns it: runtime, container id, pod uid and
 * Kubernetes QoS class. Pure string work, no I/O.
 *
 * Layouts recognised (the path may carry any prefix before them, e.g.
 * /bulkhead-test-123/kubepods/...; the first "kubepods" component anywhere
 * starts the Kubernetes part):
 *
 *   systemd driver
 *     .../kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope
 *     .../kubepods.slice/kubepods-pod<uid>.slice/crio-<id>.scope       (Guaranteed QoS)
 *     .../kubepods-besteffort-pod<uid>.slice/docker-<id>.scope
 *     /system.slice/docker-<id>.scope, /machine.slice/libpod-<id>.scope (outside Kubernetes)
 *     crio-conmon-<id>.scope, libpod-conmon-<id>.scope: the runtime's monitor, not a container
 *   cgroupfs driver
 *     .../kubepods/burstable/pod<uid>/<id>     .../kubepods/besteffort/pod<uid>/<id>
 *     .../kubepods/pod<uid>/<id>               (Guaranteed; "pod-<uid>" is accepted too)
 *     .../kubepods/.../pod<uid>/crio-<id>      (CRI-O, cgroupfs)
 *     /docker/<id>  (64 hex digits)            /libpod_parent/libpod-<id>
 *
 * The OUTERMOST container match wins: a container allowed to create cgroups
 * below its own (cgroup delegation) cannot make its processes look like they
 * belong to another container by naming a sub-cgroup after it. Deeper
 * components below the container's are its own sub-cgroups.
 */
#ifndef BULKHEAD_CGROUP_PATH_H
#define BULKHEAD_CGROUP_PATH_H

#include <stdbool.h>

#define CGP_ID_MAX	72	/* container id incl. NUL (runc: [A-Za-z0-9_+.-]+) */
#define CGP_UID_MAX	64	/* pod uid incl. NUL */
#define CGP_PATH_MAX	4096	/* longer paths are rejected */
#define CGP_DEPTH_MAX	64	/* more components are rejected */

enum cgp_kind {
	CGP_HOST = 0,		/* matches no container layout */
	CGP_CONTAINER,		/* a container's cgroup (or one below it) */
	CGP_POD,		/* a pod's cgroup, not inside any container */
	CGP_MONITOR,		/* conmon: runtime helper, not a container */
};

struct cgroup_path_info {
	enum cgp_kind kind;
	bool kubepods;			/* a kubepods component was found */
	char runtime[16];		/* "containerd", "cri-o", "docker", "podman", "" */
	char id[CGP_ID_MAX];		/* container id, "" if none */
	char pod_uid[CGP_UID_MAX];	/* dashes, as Kubernetes prints it */
	char qos[16];			/* "guaranteed", "burstable", "besteffort", "" */
	int id_depth;			/* index of the component holding the id, -1 */
};

/*
 * Fill @out from @path. Returns 0 (also for a host path: out->kind ==
 * CGP_HOST), -EINVAL for a path that is too long, too deep or not a string
 * of components; @out is then zeroed with kind CGP_HOST.
 */
int cgroup_path_parse(const char *path, struct cgroup_path_info *out);

/* True if @s is a usable container id: [A-Za-z0-9_+.-]{1,71}, not "." or "..". */
bool cgroup_path_valid_id(const char *s, size_t len);

const char *cgroup_path_kind_name(enum cgp_kind kind);

#endif
