/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Read a container runtime's on-disk state for one container id, with
 * json-c, treating every file as hostile (size cap, depth cap, type checks,
 * values of the wrong type or length ignored, control characters replaced).
 *
 * Formats understood, detected from the content:
 *   runc state.json      <root>/<id>/state.json: "id", "config"."labels"
 *                        (annotations as "key=value" strings, runc 1.1),
 *                        "config"."cgroups"."path", "cgroup_paths"[""]
 *   OCI config.json      "annotations" object, "linux"."cgroupsPath":
 *                        containerd's task bundle
 *                        (/run/containerd/io.containerd.runtime.v2.task/<ns>/<id>/),
 *                        crun's copy in <root>/<id>/config.json, CRI-O's
 *                        userdata/config.json
 *   OCI state            `runc state` output: "id", "annotations"
 *   crun status          <root>/<id>/status: "bundle", "cgroup-path"
 *                        (the annotations are then read from <bundle>/config.json)
 *   Docker config.v2.json  <data-root>/containers/<id>/config.v2.json: "ID",
 *                        "Name" ("/web": the leading '/' dropped), "Config"."Image",
 *                        "Config"."Labels" (as annotations: dockershim's pod labels)
 *   containers/storage   <graphroot>/<driver>-containers/containers.json (podman's
 *                        list of containers, next to <id>/userdata/config.json):
 *                        the entry whose "id" is the container's: "names"[0], and
 *                        "metadata" (a JSON document in a string): "image-name"
 *
 * Annotations used (first one present wins):
 *   name     io.kubernetes.cri.container-name, io.kubernetes.container.name
 *   pod      io.kubernetes.pod.name, io.kubernetes.cri.sandbox-name
 *   ns       io.kubernetes.pod.namespace, io.kubernetes.cri.sandbox-namespace
 *   pod_uid  io.kubernetes.pod.uid, io.kubernetes.cri.sandbox-uid
 *   image    io.kubernetes.cri.image-name, io.kubernetes.cri-o.ImageName,
 *            io.kubernetes.container.image
 *   runtime  io.container.manager=libpod: "podman"
 */
#ifndef BULKHEAD_OCI_STATE_H
#define BULKHEAD_OCI_STATE_H

#include <stddef.h>

#define OCI_FILE_MAX	(2u << 20)	/* bytes; bigger files are refused */
#define OCI_JSON_DEPTH	32		/* nesting; deeper documents are refused */
#define OCI_KEYS_MAX	4096		/* annotations/labels looked at */

enum oci_format {
	OCI_FMT_NONE = 0,
	OCI_FMT_RUNC_STATE,	/* runc state.json */
	OCI_FMT_OCI,		/* OCI config.json or OCI state (annotations object) */
	OCI_FMT_CRUN_STATUS,	/* crun's status file */
	OCI_FMT_DOCKER,		/* Docker's config.v2.json */
};

struct oci_meta {
	enum oci_format format;
	char id[72];
	char name[128];
	char pod[256];
	char ns[256];
	char pod_uid[64];
	char image[256];
	/* the runtime, where the content says it ("docker", "podman"), else "" */
	char runtime[16];
	/* cgroupsPath as the runtime was given it ("/a/b" or systemd "slice:prefix:name") */
	char cgroups_path[512];
	/* the cgroup v2 directory runc made (absolute, e.g. /sys/fs/cgroup/unified/a/b) */
	char cgroup_dir[512];
	char bundle[512];
};

/* Parse one document already in memory. 0, or -EINVAL (not JSON, too deep,
 * not an object, unknown format), -EFBIG (len > OCI_FILE_MAX). */
int oci_parse(const char *buf, size_t len, struct oci_meta *m);

/* Read and parse a file: refuses non-regular files, symlinks as the last
 * component and files over OCI_FILE_MAX. -ENOENT if it is not there. */
int oci_read_file(const char *path, struct oci_meta *m);

/*
 * Fill @m's empty name and image from a containers/storage list
 * (containers.json) for container @id. 0 if the entry was found, -ENOENT if
 * not, -EINVAL/-EFBIG for a document that is not such a list. Only empty
 * fields are written; what is found is sanitised as for annotations.
 */
int oci_parse_storage_list(const char *buf, size_t len, const char *id, struct oci_meta *m);

/*
 * Find the state of container @id under one state root: tries
 * <root>/<id>/state.json (runc), <root>/<id>/config.json (containerd task
 * bundle, crun), <root>/<id>/userdata/config.json (CRI-O and podman under
 * /run/containers/storage/overlay-containers, podman's graphroot
 * <driver>-containers), <root>/<id>/config.v2.json (Docker's data root
 * containers/), <root>/<id>/status (crun; then its bundle's config.json).
 * After a userdata/config.json, <root>/containers.json (podman) fills the
 * name and image if the container has none yet.
 * @id must pass cgroup_path_valid_id(). Returns 0 and fills @m, -ENOENT
 * when the root has no such container (yet), another -errno on a bad file.
 */
int oci_find(const char *root, const char *id, struct oci_meta *m);

#endif
