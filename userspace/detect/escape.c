// SPDX-License-Identifier: GPL-2.0
/* Escape signals: loader and record checks. See escape.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "detect/escape.h"
#include "lib/log.h"
#include "escape.skel.h"

struct escape_sensor {
	struct escape_bpf *skel;
	bool can_kill;
	bool guarded;			/* the LSM guard's armed tasks: it refuses, this reports */
	char missing[512];
};

/* Runtime and kubelet sockets by file name: a connect to one is killed where enforced. */
static const char *const runtime_socks[] = {
	"docker.sock", "containerd.sock", "crio.sock", "podman.sock", "kubelet.sock", "dockershim.sock",
	"cri-dockerd.sock", "cri-containerd.sock", "frakti.sock", "rktlet.sock", "buildkitd.sock",
};

static const char *const ns_files[BH_NS_COUNT] = {
	[BH_NS_MNT] = "mnt", [BH_NS_PID] = "pid_for_children", [BH_NS_NET] = "net",
	[BH_NS_USER] = "user", [BH_NS_UTS] = "uts", [BH_NS_IPC] = "ipc", [BH_NS_CGROUP] = "cgroup",
};

/* The names whose opens matter (bpf/abi/escape.h, enum bh_name_rule). */
static const struct {
	const char *name;
	uint32_t rule;
} names[] = {
	{ "core_pattern", BH_NAME_CORE_PATTERN | BH_NAMEF_WRITE_ONLY },
	{ "modprobe", BH_NAME_MODPROBE | BH_NAMEF_WRITE_ONLY },
	{ "uevent_helper", BH_NAME_UEVENT_HELPER | BH_NAMEF_WRITE_ONLY },
	{ "sysrq-trigger", BH_NAME_SYSRQ | BH_NAMEF_WRITE_ONLY },
	{ "release_agent", BH_NAME_RELEASE_AGENT | BH_NAMEF_WRITE_ONLY },
	{ "notify_on_release", BH_NAME_NOTIFY_ON_RELEASE | BH_NAMEF_WRITE_ONLY },
	{ "ld.so.preload", BH_NAME_LD_PRELOAD | BH_NAMEF_WRITE_ONLY },
	{ "kcore", BH_NAME_KCORE },
	{ "mem", BH_NAME_PROC_MEM | BH_NAMEF_WRITE_ONLY },
	{ "kallsyms", BH_NAME_KALLSYMS },
};

/* A namespace's inode number from its /proc link ("mnt:[4026531840]"), 0 if unreadable. */
static uint32_t ns_inode(const char *proc, const char *pid, const char *name)
{
	char path[256], buf[64], *open, *end;
	unsigned long v;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/ns/%s", proc, pid, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	open = strchr(buf, '[');
	if (!open)
		return 0;
	errno = 0;
	v = strtoul(open + 1, &end, 10);
	return errno || end == open + 1 || *end != ']' || v > UINT32_MAX ? 0 : (uint32_t)v;
}

/*
 * The host's namespaces: pid 1's, or, where pid 1 cannot be read (a
 * protected init), the agent's own, which must then be the host's (run the
 * agent in the host's namespaces: hostPID, hostNetwork, hostIPC, and the
 * host's mount namespace through its /proc/1/ns/mnt).
 */
static int host_ns(const char *proc, uint32_t out[BH_NS_COUNT], char *err, size_t errlen)
{
	const char *who = "1";

	if (!ns_inode(proc, who, ns_files[BH_NS_MNT])) {
		who = "self";
		log_warn("escape: %s/1/ns is not readable: the agent's own namespaces are taken as the host's",
			 proc);
	}
	for (int i = 0; i < BH_NS_COUNT; i++) {
		out[i] = ns_inode(proc, who, ns_files[i]);
		if (!out[i]) {
			snprintf(err, errlen, "escape: %s/%s/ns/%s: %s", proc, who, ns_files[i],
				 errno ? strerror(errno) : "unreadable");
			return -1;
		}
	}
	return 0;
}

/* A tracepoint program whose event this kernel lacks is not loaded (e.g. no modules). */
static void skip_missing(struct escape_sensor *s)
{
	struct bpf_program *p;
	char path[256];
	size_t used = 0;

	/* The raw syscall hook stands in for the module syscalls' tracepoints only where they are missing. */
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/sys_enter_finit_module");
	if (!access(path, F_OK))
		bpf_program__set_autoload(s->skel->progs.bh_esc_sys_enter, false);
	bpf_object__for_each_program(p, s->skel->obj) {
		const char *sec = bpf_program__section_name(p);

		if (strncmp(sec, "tracepoint/", 11))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", sec + 11);
		if (!access(path, F_OK))
			continue;
		bpf_program__set_autoload(p, false);
		if (bpf_program__autoload(s->skel->progs.bh_esc_sys_enter) &&
		    (strstr(sec, "init_module") || strstr(sec, "kexec")))
			continue;	/* seen through the raw syscall hook */
		used += (size_t)snprintf(s->missing + used, used < sizeof(s->missing) ? sizeof(s->missing) - used : 0,
					 "%s%s", used ? ", " : "", strrchr(sec, '/') + 1);
		if (used >= sizeof(s->missing))
			used = sizeof(s->missing) - 1;
	}
}

static int fill_names(struct escape_sensor *s)
{
	int fd = bpf_map__fd(s->skel->maps.bh_esc_names);
	int tails = bpf_map__fd(s->skel->maps.bh_esc_tails);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bh_esc_name_key k;
		size_t n = strlen(names[i].name);
		uint32_t tail = 0;
		uint8_t one = 1;

		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "%s", names[i].name);
		if (bpf_map_update_elem(fd, &k, &names[i].rule, BPF_ANY))
			return -errno;
		/* the path's last 4 bytes: the name's, or '/' and a 3-byte name ("/mem") */
		if (n >= 4)
			memcpy(&tail, names[i].name + n - 4, 4);
		else if (n == 3)
			tail = (uint32_t)'/' | (uint32_t)(uint8_t)names[i].name[0] << 8 |
			       (uint32_t)(uint8_t)names[i].name[1] << 16 | (uint32_t)(uint8_t)names[i].name[2] << 24;
		if (n >= 3 && bpf_map_update_elem(tails, &tail, &one, BPF_ANY))
			return -errno;
	}
	for (size_t i = 0; i < sizeof(runtime_socks) / sizeof(runtime_socks[0]); i++) {
		struct bh_esc_name_key k;
		uint32_t one = 1;

		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "%s", runtime_socks[i]);
		if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.bh_esc_socks), &k, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * The enforcement core's pinned maps (which policy, and so which protections,
 * each container has): reused where the agent enforces, so that the kills
 * follow the policies. Without them the sensor only alerts.
 */
static int reuse_pins(struct escape_sensor *s, const char *pin_dir, char *err, size_t errlen)
{
	struct { const char *name; struct bpf_map *map; } m[] = {
		{ "bh_active_gen", s->skel->maps.bh_active_gen },
		{ "bh_cgroup_policy", s->skel->maps.bh_cgroup_policy },
	};
	char path[512];
	int fds[2], e;

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, m[i].name);
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0) {
			if (i)
				close(fds[0]);
			return 0;	/* nothing enforced yet: alerts only */
		}
	}
	for (int i = 0; i < 2; i++) {
		e = bpf_map__reuse_fd(m[i].map, fds[i]);
		close(fds[i]);
		if (e) {
			if (!i)
				close(fds[1]);
			snprintf(err, errlen, "escape: cannot share %s/%s: %s", pin_dir, m[i].name, strerror(-e));
			return -1;
		}
	}
	s->can_kill = true;
	return 0;
}

/* Arm the container tasks that run already: one pass of the iter/task program. */
static int arm_existing(struct escape_sensor *s)
{
	struct bpf_link *l = bpf_program__attach_iter(s->skel->progs.bh_esc_arm_existing, NULL);
	char buf[64];
	int fd, e = 0;

	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		e = -errno;
	} else {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	bpf_link__destroy(l);
	return e;
}

struct escape_sensor *escape_open(const struct escape_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct escape_sensor *s;
	struct bh_esc_config *c;
	int e;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "escape: out of memory");
		return NULL;
	}
	s->skel = escape_bpf__open_opts(&oo);
	if (!s->skel) {
		snprintf(err, errlen, "escape: cannot open BPF object: %s", strerror(errno));
		goto fail;
	}
	c = (struct bh_esc_config *)&s->skel->rodata->cfg;
	if (host_ns(o->proc ? o->proc : "/proc", c->host_ns, err, errlen))
		goto fail;
	c->agent_tgid = o->agent_tgid;
	c->root_cgroup_id = o->root_cgroup_id;
	if (o->shared_task_fd >= 0) {
		/* The LSM guard arms (by its rule) and refuses: this sensor only reports. */
		if ((e = bpf_map__reuse_fd(s->skel->maps.bh_esc_task, o->shared_task_fd))) {
			snprintf(err, errlen, "escape: cannot share the guard's armed-task map: %s", strerror(-e));
			goto fail;
		}
		s->skel->rodata->arm_tasks = false;
		s->skel->rodata->kill_tamper = false;
		s->guarded = true;
	} else if (o->pin_dir && reuse_pins(s, o->pin_dir, err, errlen)) {
		goto fail;
	}
	skip_missing(s);
	bpf_program__set_autoattach(s->skel->progs.bh_esc_arm_existing, false);	/* run once, below */
	e = escape_bpf__load(s->skel);
	if (e) {
		snprintf(err, errlen, "escape: cannot load the escape detection programs: %s "
			 "(run 'bulkhead probe' to see what this kernel lacks; -v shows libbpf's reasons)",
			 strerror(-e));
		goto fail;
	}
	if ((e = fill_names(s))) {
		snprintf(err, errlen, "escape: name table: %s", strerror(-e));
		goto fail;
	}
	/* The tracers first, then the pass over what runs already: nobody falls between. */
	e = escape_bpf__attach(s->skel);
	if (e) {
		snprintf(err, errlen, "escape: cannot attach the escape detection tracepoints: %s", strerror(-e));
		goto fail;
	}
	if (!s->guarded && (e = arm_existing(s)))
		log_warn("escape: containers running before the agent are watched from their next exec "
			 "(the task iterator failed: %s)", strerror(-e));
	if (s->missing[0])
		log_info("escape: this kernel has no tracepoint for: %s (those signals are not reported)",
			 s->missing);
	return s;
fail:
	escape_close(s);
	return NULL;
}

int escape_ringbuf_fd(const struct escape_sensor *s)
{
	return bpf_map__fd(s->skel->maps.bh_esc_rb);
}

int escape_task_fd(const struct escape_sensor *s)
{
	return bpf_map__fd(s->skel->maps.bh_esc_task);
}

void escape_lost_fds(const struct escape_sensor *s, int *per_cgroup, int *total)
{
	*per_cgroup = bpf_map__fd(s->skel->maps.bh_esc_lost);
	*total = bpf_map__fd(s->skel->maps.bh_esc_lost_total);
}

const char *escape_missing(const struct escape_sensor *s)
{
	return s->missing;
}

void escape_clock(struct escape_sensor *s, uint64_t off)
{
	uint32_t zero = 0;

	bpf_map_update_elem(bpf_map__fd(s->skel->maps.bh_esc_clock), &zero, &off, BPF_ANY);
}

void escape_kill_default(struct escape_sensor *s, uint32_t protections)
{
	uint32_t zero = 0;

	bpf_map_update_elem(bpf_map__fd(s->skel->maps.bh_esc_kill_default), &zero, &protections, BPF_ANY);
}

bool escape_can_kill(const struct escape_sensor *s)
{
	return s->can_kill;
}

void escape_close(struct escape_sensor *s)
{
	if (!s)
		return;
	escape_bpf__destroy(s->skel);
	free(s);
}

int escape_decode(const void *data, size_t size, struct escape_record *r)
{
	const struct bh_esc_event *e = data;

	if (size < sizeof(*e) || e->hdr.kind != BH_EV_ESCAPE || !e->sig || e->sig >= BH_SIG_COUNT)
		return -1;
	if (e->str_len[0] >= BH_ESC_STR_MAX || e->str_len[1] >= BH_ESC_STR_MAX || e->n_chain > BH_ESC_CHAIN_MAX)
		return -1;
	r->e = e;
	for (int i = 0; i < 2; i++) {
		size_t n = strnlen(e->str[i], e->str_len[i]);

		memcpy(r->str[i], e->str[i], n);
		r->str[i][n] = '\0';
	}
	r->n_chain = e->n_chain;
	return 0;
}
