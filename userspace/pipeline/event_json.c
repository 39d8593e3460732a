// SPDX-License-Identifier: GPL-2.0
/*
 * Events as JSON. Every event kind has a fixed shape, so the text between
 * values is written as it reads ("JSON_RAW(w, ",\"ppid\":")") and only the
 * values are formatted: this runs for every event the agent sees. The parts
 * every process event has (head, ids, fork and exit tails) go through a
 * cursor: one check for room per part (its *_MAX), then plain stores.
 */
#include <string.h>
#include <arpa/inet.h>

#include "lib/clock.h"
#include "pipeline/event_json.h"

#define STR(w, s) json_raw_str((w), (s), strlen(s))

/*
 * Kind and action names (event.c's, checked by tests/unit/test_json.c), each
 * padded to 8 bytes: copied with one 8-byte move, then the length counts
 * (name8_at()).
 */
struct name8 {
	char s[8];
	size_t n;
};
#define NAME8(x) { x, sizeof(x) - 1 }
static const struct name8 kind_names[] = {
	[EVENT_EXEC] = NAME8("exec"), [EVENT_FORK] = NAME8("fork"), [EVENT_EXIT] = NAME8("exit"),
	[EVENT_NET] = NAME8("net"), [EVENT_FILE] = NAME8("file"), [EVENT_EXEC_DENY] = NAME8("exec"),
	[EVENT_ALERT] = NAME8("alert"),
};
static const struct name8 action_names[] = {
	[ACTION_OBSERVE] = NAME8("observe"), [ACTION_ALLOW] = NAME8("allow"), [ACTION_AUDIT] = NAME8("audit"),
	[ACTION_DENY] = NAME8("deny"), [ACTION_ALERT] = NAME8("alert"),
	[ACTION_RESOLVED] = NAME8("resolved"),
};
static const struct name8 unknown_name = NAME8("unknown");


void event_json_container_member(struct json_writer *w, const struct container_info *c)
{
	JSON_RAW(w, "\"container\":{\"cgroup_id\":");
	json_raw_u64(w, c->cgroup_id);
	if (c->host) {
		JSON_RAW(w, ",\"host\":true");
	} else {
		JSON_RAW(w, ",\"host\":false,\"id\":");
		STR(w, c->id);
		JSON_RAW(w, ",\"name\":");
		STR(w, c->name);
		JSON_RAW(w, ",\"pod\":");
		STR(w, c->pod);
		JSON_RAW(w, ",\"namespace\":");
		STR(w, c->ns);
		JSON_RAW(w, ",\"runtime\":");
		STR(w, c->runtime);
		if (c->image[0]) {
			JSON_RAW(w, ",\"image\":");
			STR(w, c->image);
		}
	}
	if (c->cgroup_path[0]) {
		JSON_RAW(w, ",\"cgroup\":");
		STR(w, c->cgroup_path);
	}
	JSON_RAW(w, "}");
}

void event_json_container(struct json_writer *w, const struct container_info *c)
{
	json_member_raw(w, "", 0);	/* the separator */
	event_json_container_member(w, c);
}

/* argv as a JSON array: the kernel hands us NUL-separated bytes (the last may be cut short). */
static void args_json(struct json_writer *w, const char *args, size_t len)
{
	JSON_RAW(w, ",\"args\":[");
	for (size_t i = 0; i < len;) {
		const char *nul = memchr(args + i, '\0', len - i);
		size_t n = nul ? (size_t)(nul - (args + i)) : len - i;

		if (i)
			JSON_RAW(w, ",");
		json_raw_str(w, args + i, n);
		i += n + 1;
	}
	JSON_RAW(w, "]");
}

/* The ids of "process", up to "comm": at most this many bytes. */
#define PROCESS_IDS_MAX (sizeof(",\"process\":{\"pid\":,\"tid\":,\"ppid\":,\"uid\":,\"gid\":,\"comm\":") + \
			 5 * JSON_U64_MAX)

static void process_json(struct json_writer *w, const struct event_process *p)
{
	char *c = json_cursor(w, PROCESS_IDS_MAX + JSON_STR16_MAX + 1), *q;

	if (!c)
		return;
	c = JSON_LIT(c, ",\"process\":{\"pid\":");
	c = json_put_u64(c, p->pid);
	if (p->tid != p->pid) {
		c = JSON_LIT(c, ",\"tid\":");
		c = json_put_u64(c, p->tid);
	}
	c = JSON_LIT(c, ",\"ppid\":");
	c = json_put_u64(c, p->ppid);
	c = JSON_LIT(c, ",\"uid\":");
	c = json_put_u64(c, p->uid);
	c = JSON_LIT(c, ",\"gid\":");
	c = json_put_u64(c, p->gid);
	c = JSON_LIT(c, ",\"comm\":");
	_Static_assert(sizeof(p->comm) >= 16, "json_put_str16 reads 16 bytes");
	q = json_put_str16(c, p->comm);
	if (q && !p->exe && !p->args) {		/* fork, exit: the whole object here */
		*q++ = '}';
		json_cursor_end(w, q);
		return;
	}
	if (q) {
		json_cursor_end(w, q);
	} else {
		json_cursor_end(w, c);
		STR(w, p->comm);
	}
	if (p->exe) {
		JSON_RAW(w, ",\"exe\":");
		json_raw_str(w, p->exe, p->exe_len);
		if (p->exe_truncated)
			JSON_RAW(w, ",\"exe_truncated\":true");
	}
	if (p->args) {
		args_json(w, p->args, p->args_len);
		if (p->args_truncated)
			JSON_RAW(w, ",\"args_truncated\":true");
	}
	JSON_RAW(w, "}");
}

static const char *const net_hooks[] = { "egress", "ingress", "connect", "sendmsg", "bind" };

static void net_addr_json(struct json_writer *w, int family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf)))
		buf[0] = 0;
	STR(w, buf);
}

/* A network decision (bpf/net.bpf.c): who, which flow, which rule. */
static void net_json(struct json_writer *w, const struct event_net *n)
{
	static const uint8_t zero[16];
	const char *proto = n->proto == 6 ? "tcp" : n->proto == 17 ? "udp" :
			    n->proto == 1 ? "icmp" : n->proto == 58 ? "icmpv6" : NULL;

	JSON_RAW(w, ",\"net\":{\"direction\":");
	STR(w, n->dir ? "ingress" : "egress");
	JSON_RAW(w, ",\"hook\":");
	STR(w, n->hook < sizeof(net_hooks) / sizeof(net_hooks[0]) ? net_hooks[n->hook] : "unknown");
	JSON_RAW(w, ",\"protocol\":");
	if (proto)
		STR(w, proto);
	else
		json_raw_u64(w, n->proto);
	JSON_RAW(w, ",\"family\":");
	STR(w, n->family == 6 ? "ipv6" : "ipv4");
	if (memcmp(n->raddr, zero, 16) || n->hook != 4) {
		JSON_RAW(w, ",\"remote\":");
		net_addr_json(w, n->family, n->raddr);
		if (n->rport) {
			JSON_RAW(w, ",\"remote_port\":");
			json_raw_u64(w, n->rport);
		}
	}
	if (memcmp(n->laddr, zero, 16)) {
		JSON_RAW(w, ",\"local\":");
		net_addr_json(w, n->family, n->laddr);
	}
	if (n->lport) {
		JSON_RAW(w, ",\"local_port\":");
		json_raw_u64(w, n->lport);
	}
	JSON_RAW(w, ",\"count\":");
	json_raw_u64(w, n->count);
	if (n->bytes) {
		JSON_RAW(w, ",\"bytes\":");
		json_raw_u64(w, n->bytes);
	}
	if (n->held)
		JSON_RAW(w, ",\"unclassified\":true");
	if (n->policy) {
		JSON_RAW(w, ",\"policy\":");
		STR(w, n->policy);
	}
	if (n->rule) {
		JSON_RAW(w, ",\"rule\":");
		STR(w, n->rule);
	}
	JSON_RAW(w, "}");
}

static const char *const file_ops[] = { "read", "write", "create", "delete", "rename", "link",
					"setattr", "exec", "mount" };
static const char *const file_hooks[] = { "file_open", "bprm_check_security", "path_mknod",
	"path_mkdir", "path_rmdir", "path_unlink", "path_symlink", "path_link", "path_rename",
	"path_truncate", "path_chmod", "path_chown", "sb_mount", "sys_enter_open", "sys_enter_execve",
	"mmap_file" };

/* A file or exec decision (bpf/file.bpf.c, bpf/fallback.bpf.c): which path, op, rule. */
static void file_json(struct json_writer *w, const struct event_file *f)
{
	JSON_RAW(w, ",\"file\":{\"path\":");
	json_raw_str(w, f->path ? f->path : "", f->path ? f->path_len : 0);
	JSON_RAW(w, ",\"operation\":");
	STR(w, f->op < sizeof(file_ops) / sizeof(file_ops[0]) ? file_ops[f->op] : "unknown");
	JSON_RAW(w, ",\"hook\":");
	STR(w, f->hook < sizeof(file_hooks) / sizeof(file_hooks[0]) ? file_hooks[f->hook] : "unknown");
	if (f->flags & (1u << 0))	/* BH_FE_OVERLONG */
		JSON_RAW(w, ",\"path_unresolved\":true");
	if (f->flags & (1u << 3))	/* BH_FE_PERMS */
		JSON_RAW(w, ",\"new_name_less_restricted\":true");
	if (f->flags & (1u << 1))	/* BH_FE_KILLED */
		JSON_RAW(w, ",\"enforcement\":\"killed\"");
	if (f->suppressed) {
		JSON_RAW(w, ",\"suppressed_before\":");
		json_raw_u64(w, f->suppressed);
	}
	if (f->policy) {
		JSON_RAW(w, ",\"policy\":");
		STR(w, f->policy);
	}
	if (f->rule) {
		JSON_RAW(w, ",\"rule\":");
		STR(w, f->rule);
	}
	JSON_RAW(w, "}");
}

/* A detector's alert (pipeline/alert.h): what, how bad, the evidence, who. */
static void alert_json(struct json_writer *w, const struct event_alert *a)
{
	JSON_RAW(w, ",\"alert\":{\"category\":");
	STR(w, alert_category_name(a->category));
	JSON_RAW(w, ",\"rule\":");
	STR(w, a->rule);
	JSON_RAW(w, ",\"severity\":");
	STR(w, alert_severity_name(a->severity));
	if (a->technique[0]) {
		JSON_RAW(w, ",\"technique\":");
		STR(w, a->technique);
	}
	if (a->enforcement) {
		JSON_RAW(w, ",\"enforcement\":");
		STR(w, alert_enforcement_name(a->enforcement));
	}
	JSON_RAW(w, ",\"summary\":");
	STR(w, a->summary);
	JSON_RAW(w, ",\"evidence\":{");
	for (unsigned i = 0; i < a->n_evidence && i < ALERT_EVIDENCE_MAX; i++) {
		const struct alert_evidence *e = &a->evidence[i];

		if (i)
			JSON_RAW(w, ",");
		STR(w, e->key);
		JSON_RAW(w, ":");
		if (e->numeric)
			json_raw(w, e->value, strlen(e->value));
		else
			STR(w, e->value);
	}
	JSON_RAW(w, "},\"ancestry\":[");
	for (unsigned i = 0; i < a->n_chain && i < ALERT_CHAIN_MAX; i++) {
		const struct alert_ancestor *c = &a->chain[i];

		if (i)
			JSON_RAW(w, ",");
		JSON_RAW(w, "{\"pid\":");
		json_raw_u64(w, c->pid);
		JSON_RAW(w, ",\"uid\":");
		json_raw_u64(w, c->uid);
		JSON_RAW(w, ",\"comm\":");
		STR(w, c->comm);
		if (c->exe[0]) {
			JSON_RAW(w, ",\"exe\":");
			STR(w, c->exe);
		}
		JSON_RAW(w, "}");
	}
	JSON_RAW(w, "]}");
}

/* "time", "kind", "action": at most this many bytes. */
#define HEAD_MAX (sizeof("{\"time\":\"\",\"kind\":\"\",\"action\":\"\"") + CLOCK_RFC3339_LEN + \
		  2 * sizeof(((struct name8 *)0)->s))
/* "fork" or "exit", to the end of the event: at most this many bytes. */
#define TAIL_MAX (sizeof(",\"exit\":{\"code\":,\"signal\":,\"duration_ns\":}}") + 3 * (JSON_U64_MAX + 1))

static char *name8_at(char *c, const struct name8 *tab, size_t n, unsigned i)
{
	const struct name8 *nm = i < n ? &tab[i] : &unknown_name;

	memcpy(c, nm->s, sizeof(nm->s));
	return c + nm->n;
}

void event_to_json(struct json_writer *w, const struct event *ev)
{
	char *c = json_cursor(w, HEAD_MAX);

	if (!c)
		return;
	c = JSON_LIT(c, "{\"time\":\"");
	clock_format_rfc3339(ev->time_ns, c, CLOCK_RFC3339_LEN + 1);
	c += CLOCK_RFC3339_LEN;
	c = JSON_LIT(c, "\",\"kind\":\"");
	c = name8_at(c, kind_names, sizeof(kind_names) / sizeof(kind_names[0]), (unsigned)ev->kind);
	c = JSON_LIT(c, "\",\"action\":\"");
	c = name8_at(c, action_names, sizeof(action_names) / sizeof(action_names[0]), (unsigned)ev->action);
	c = JSON_LIT(c, "\"");
	json_cursor_end(w, c);
	if (ev->container_json) {
		JSON_RAW(w, ",");
		json_raw(w, ev->container_json, ev->container_json_len);
	} else if (ev->container) {
		JSON_RAW(w, ",");
		event_json_container_member(w, ev->container);
	}
	if (ev->kind != EVENT_NET || ev->proc.pid)	/* packets in softirq have no task */
		process_json(w, &ev->proc);
	switch (ev->kind) {
	case EVENT_FORK:
		if (!(c = json_cursor(w, TAIL_MAX)))
			return;
		c = JSON_LIT(c, ",\"fork\":{\"child_pid\":");
		c = json_put_u64(c, ev->fork.child_pid);
		c = JSON_LIT(c, "}}");
		json_cursor_end(w, c);
		return;
	case EVENT_EXIT:
		if (!(c = json_cursor(w, TAIL_MAX)))
			return;
		c = JSON_LIT(c, ",\"exit\":{\"code\":");
		c = json_put_i64(c, ev->exit.code);
		c = JSON_LIT(c, ",\"signal\":");
		c = json_put_i64(c, ev->exit.signal);
		c = JSON_LIT(c, ",\"duration_ns\":");
		c = json_put_u64(c, ev->exit.duration_ns);
		c = JSON_LIT(c, "}}");
		json_cursor_end(w, c);
		return;
	case EVENT_NET:
		net_json(w, &ev->net);
		break;
	case EVENT_FILE:
	case EVENT_EXEC_DENY:
		file_json(w, &ev->file);
		break;
	case EVENT_ALERT:
		alert_json(w, ev->alert);
		break;
	default:
		break;
	}
	JSON_RAW(w, "}");
}
