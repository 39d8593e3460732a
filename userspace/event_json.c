// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <arpa/inet.h>

#include "clock.h"
#include "event_json.h"

void event_json_container(struct json_writer *w, const struct container_info *c)
{
	json_key(w, "container");
	json_begin_object(w);
	json_kv_u64(w, "cgroup_id", c->cgroup_id);
	json_kv_bool(w, "host", c->host);
	if (!c->host) {
		json_kv_str(w, "id", c->id);
		json_kv_str(w, "name", c->name);
		json_kv_str(w, "pod", c->pod);
		json_kv_str(w, "namespace", c->ns);
		json_kv_str(w, "runtime", c->runtime);
		if (c->image[0])
			json_kv_str(w, "image", c->image);
	}
	if (c->cgroup_path[0])
		json_kv_str(w, "cgroup", c->cgroup_path);
	json_end_object(w);
}

/* argv as a JSON array: the kernel hands us NUL-separated bytes. */
static void args_json(struct json_writer *w, const char *args, size_t len)
{
	size_t start = 0;

	json_key(w, "args");
	json_begin_array(w);
	for (size_t i = 0; i < len; i++) {
		if (args[i] == '\0') {
			json_strn(w, args + start, i - start);
			start = i + 1;
		}
	}
	if (start < len)	/* truncated last argument */
		json_strn(w, args + start, len - start);
	json_end_array(w);
}

static void process_json(struct json_writer *w, const struct event_process *p)
{
	json_key(w, "process");
	json_begin_object(w);
	json_kv_u64(w, "pid", p->pid);
	if (p->tid != p->pid)
		json_kv_u64(w, "tid", p->tid);
	json_kv_u64(w, "ppid", p->ppid);
	json_kv_u64(w, "uid", p->uid);
	json_kv_u64(w, "gid", p->gid);
	json_kv_str(w, "comm", p->comm);
	if (p->exe) {
		json_key(w, "exe");
		json_strn(w, p->exe, p->exe_len);
		if (p->exe_truncated)
			json_kv_bool(w, "exe_truncated", true);
	}
	if (p->args) {
		args_json(w, p->args, p->args_len);
		if (p->args_truncated)
			json_kv_bool(w, "args_truncated", true);
	}
	json_end_object(w);
}

static const char *const net_hooks[] = { "egress", "ingress", "connect", "sendmsg", "bind" };

static void net_addr_json(struct json_writer *w, const char *key, int family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf)))
		buf[0] = 0;
	json_kv_str(w, key, buf);
}

/* A network decision (bpf/net.bpf.c): who, which flow, which rule. */
static void net_json(struct json_writer *w, const struct event_net *n)
{
	static const uint8_t zero[16];
	const char *proto = n->proto == 6 ? "tcp" : n->proto == 17 ? "udp" :
			    n->proto == 1 ? "icmp" : n->proto == 58 ? "icmpv6" : NULL;

	json_key(w, "net");
	json_begin_object(w);
	json_kv_str(w, "direction", n->dir ? "ingress" : "egress");
	json_kv_str(w, "hook", n->hook < sizeof(net_hooks) / sizeof(net_hooks[0]) ?
			       net_hooks[n->hook] : "unknown");
	if (proto)
		json_kv_str(w, "protocol", proto);
	else
		json_kv_u64(w, "protocol", n->proto);
	json_kv_str(w, "family", n->family == 6 ? "ipv6" : "ipv4");
	if (memcmp(n->raddr, zero, 16) || n->hook != 4) {
		net_addr_json(w, "remote", n->family, n->raddr);
		if (n->rport)
			json_kv_u64(w, "remote_port", n->rport);
	}
	if (memcmp(n->laddr, zero, 16))
		net_addr_json(w, "local", n->family, n->laddr);
	if (n->lport)
		json_kv_u64(w, "local_port", n->lport);
	json_kv_u64(w, "count", n->count);
	if (n->bytes)
		json_kv_u64(w, "bytes", n->bytes);
	if (n->held)
		json_kv_bool(w, "unclassified", true);
	if (n->policy)
		json_kv_str(w, "policy", n->policy);
	if (n->rule)
		json_kv_str(w, "rule", n->rule);
	json_end_object(w);
}

static const char *const file_ops[] = { "read", "write", "create", "delete", "rename", "link",
					"setattr", "exec", "mount" };
static const char *const file_hooks[] = { "file_open", "bprm_check_security", "path_mknod",
	"path_mkdir", "path_rmdir", "path_unlink", "path_symlink", "path_link", "path_rename",
	"path_truncate", "path_chmod", "path_chown", "sb_mount", "sys_enter_open", "sys_enter_execve",
	"mmap_file" };

/* A file or exec decision (bpf/file.bpf.c, bpf/fallback.bpf.c): which path, op, rule. */
static void file_json(struct json_writer *w, const struct event_file *f, int exec)
{
	json_key(w, "file");
	(void)exec;
	json_begin_object(w);
	json_key(w, "path");
	json_strn(w, f->path ? f->path : "", f->path ? f->path_len : 0);
	json_kv_str(w, "operation", f->op < sizeof(file_ops) / sizeof(file_ops[0]) ?
				    file_ops[f->op] : "unknown");
	json_kv_str(w, "hook", f->hook < sizeof(file_hooks) / sizeof(file_hooks[0]) ?
			       file_hooks[f->hook] : "unknown");
	if (f->flags & (1u << 0))	/* BH_FE_OVERLONG */
		json_kv_bool(w, "path_unresolved", true);
	if (f->flags & (1u << 3))	/* BH_FE_PERMS */
		json_kv_bool(w, "new_name_less_restricted", true);
	if (f->flags & (1u << 1))	/* BH_FE_KILLED */
		json_kv_str(w, "enforcement", "killed");
	if (f->suppressed)
		json_kv_u64(w, "suppressed_before", f->suppressed);
	if (f->policy)
		json_kv_str(w, "policy", f->policy);
	if (f->rule)
		json_kv_str(w, "rule", f->rule);
	json_end_object(w);
}

void event_to_json(struct json_writer *w, const struct event *ev)
{
	char ts[40];

	clock_format_rfc3339(ev->time_ns, ts, sizeof(ts));
	json_begin_object(w);
	json_kv_str(w, "time", ts);
	json_kv_str(w, "kind", event_kind_name(ev->kind));
	json_kv_str(w, "action", event_action_name(ev->action));
	if (ev->container)
		event_json_container(w, ev->container);
	if (ev->kind != EVENT_NET || ev->proc.pid)	/* packets in softirq have no task */
		process_json(w, &ev->proc);
	switch (ev->kind) {
	case EVENT_FORK:
		json_key(w, "fork");
		json_begin_object(w);
		json_kv_u64(w, "child_pid", ev->fork.child_pid);
		json_end_object(w);
		break;
	case EVENT_EXIT:
		json_key(w, "exit");
		json_begin_object(w);
		json_kv_i64(w, "code", ev->exit.code);
		json_kv_i64(w, "signal", ev->exit.signal);
		json_kv_u64(w, "duration_ns", ev->exit.duration_ns);
		json_end_object(w);
		break;
	case EVENT_NET:
		net_json(w, &ev->net);
		break;
	case EVENT_FILE:
	case EVENT_EXEC_DENY:
		file_json(w, &ev->file, ev->kind == EVENT_EXEC_DENY);
		break;
	default:
		break;
	}
	json_end_object(w);
}
