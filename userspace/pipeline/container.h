/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The container an event happened in, as attribution (attrib/registry.h)
 * found it: what the outputs and the metrics label every event with.
 */
#ifndef BULKHEAD_CONTAINER_H
#define BULKHEAD_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

struct container_info {
	uint64_t cgroup_id;
	bool host;		/* not a container: a host process */
	char id[72];		/* container id (runtime's), "" for host */
	char name[128];		/* io.kubernetes.cri.container-name / io.kubernetes.container.name */
	char pod[256];		/* io.kubernetes.pod.name */
	char ns[256];		/* io.kubernetes.pod.namespace */
	char pod_uid[64];
	char runtime[16];	/* "containerd", "cri-o", "docker", "podman", "runc", "crun", "" */
	char image[256];	/* where known */
	char cgroup_path[512];	/* relative to the cgroup2 mount, "/..."; "" if unknown */
	char qos[16];		/* "guaranteed", "burstable", "besteffort", "" */
	bool resolved;		/* final answer: state read (container) or settled (host) */
};

#endif
