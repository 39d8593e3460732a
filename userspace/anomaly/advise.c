// SPDX-License-Identifier: GPL-2.0
/* bulkhead advise: a least-privilege policy from observed behaviour. See advise.h. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "anomaly/advise.h"

#define KEEP_MAX	4096	/* distinct items kept per kind before writing */
#define PATH_MAX_LEN	255	/* what a policy path pattern holds */
#define TIME_LEN	40

enum item_kind { IK_EXEC = 0, IK_FILE, IK_EGRESS, IK_COUNT };

struct item {
	char key[PATH_MAX_LEN + 2];	/* path, directory prefix ("/tmp/"), or egress "cidr port proto" */
	uint64_t count;
	char first[TIME_LEN];
	/* egress */
	char cidr[INET6_ADDRSTRLEN + 5];
	uint16_t port;
	char proto[5];
};

struct advise {
	struct advise_selector sel;
	struct item *it[IK_COUNT];
	size_t n[IK_COUNT];
	struct advise_stats st;
};

/* ---- selector ---- */

static bool k8s_name(const char *s, size_t max, bool dots)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (dots && c == '.')))
			return false;
	}
	return true;
}

int advise_parse_selector(const char *s, struct advise_selector *sel, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *tok;

	memset(sel, 0, sizeof(*sel));
	if (!s || strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "selector: expected namespace=NS,pod=POD,container=NAME");
		return -1;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		char *dst;
		size_t max;
		bool dots = false;

		if (!eq) {
			snprintf(err, errlen, "selector: '%s': expected KEY=VALUE", tok);
			return -1;
		}
		*eq = '\0';
		if (!strcmp(tok, "namespace")) {
			dst = sel->ns; max = 63;
		} else if (!strcmp(tok, "pod")) {
			dst = sel->pod; max = 253; dots = true;
		} else if (!strcmp(tok, "container")) {
			dst = sel->container; max = 63;
		} else {
			snprintf(err, errlen, "selector: unknown key '%s' (namespace, pod, container)", tok);
			return -1;
		}
		if (!k8s_name(eq + 1, max, dots)) {
			snprintf(err, errlen, "selector: %s: '%s' is not a Kubernetes name", tok, eq + 1);
			return -1;
		}
		snprintf(dst, max + 1, "%s", eq + 1);
	}
	if (!sel->ns[0] && !sel->pod[0] && !sel->container[0]) {
		snprintf(err, errlen, "selector: give at least one of namespace, pod, container");
		return -1;
	}
	return 0;
}

struct advise *advise_new(const struct advise_selector *sel)
{
	struct advise *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->sel = *sel;
	for (int k = 0; k < IK_COUNT; k++) {
		a->it[k] = calloc(KEEP_MAX, sizeof(struct item));
		if (!a->it[k]) {
			advise_free(a);
			return NULL;
		}
	}
	return a;
}

void advise_free(struct advise *a)
{
	if (!a)
		return;
	for (int k = 0; k < IK_COUNT; k++)
		free(a->it[k]);
	free(a);
}

const struct advise_stats *advise_stats(const struct advise *a)
{
	return &a->st;
}

/* ---- JSON helpers: a member of the type wanted, or NULL ---- */

static json_object *member(json_object *o, const char *k, json_type t)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

static const char *str_member(json_object *o, const char *k)
{
	json_object *v = member(o, k, json_type_string);
	const char *s = v ? json_object_get_string(v) : NULL;

	/* A NUL inside (\u0000) would cut the string short: refused. */
	return s && strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* ---- what an item may be ---- */

/* An absolute path a policy can name exactly: no wildcards or characters the
 * policy language rejects, no "." or ".." components, no "//". */
static bool policy_path(const char *p, size_t n)
{
	if (n < 2 || n > PATH_MAX_LEN || p[0] != '/' || strlen(p) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f || strchr("*?[]{}\\\"", c))
			return false;
		if (c == '/') {
			const char *s = p + i + 1;

			if (*s == '/' || (s[0] == '.' && (s[1] == '/' || !s[1])) ||
			    (s[0] == '.' && s[1] == '.' && (s[2] == '/' || !s[2])))
				return false;
		}
	}
	return true;
}

/* The time stamp as the agent writes it (RFC 3339), or "?" */
static void copy_time(char *dst, const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (!n || n >= TIME_LEN || strspn(t, "0123456789-:.TZ+") != n) {
		strcpy(dst, "?");
		return;
	}
	memcpy(dst, t, n + 1);
}

static struct item *remember(struct advise *a, enum item_kind k, const char *key, const char *time)
{
	struct item *it;

	for (size_t i = 0; i < a->n[k]; i++) {
		it = &a->it[k][i];
		if (!strcmp(it->key, key)) {
			it->count++;
			return it;
		}
	}
	if (a->n[k] >= KEEP_MAX) {
		a->st.dropped++;
		return NULL;
	}
	it = &a->it[k][a->n[k]++];
	memset(it, 0, sizeof(*it));
	snprintf(it->key, sizeof(it->key), "%s", key);
	it->count = 1;
	copy_time(it->first, time);
	return it;
}

static int see_exec(struct advise *a, const char *path, const char *time)
{
	if (!path || !policy_path(path, strlen(path))) {
		a->st.skipped++;
		return ADVISE_IGNORED;
	}
	remember(a, IK_EXEC, path, time);
	return ADVISE_USED;
}

/* A file written: its directory is the prefix ("/tmp/x" -> "/tmp/"). */
static int see_write(struct advise *a, const char *path, const char *time)
{
	char dir[PATH_MAX_LEN + 2];
	size_t n;
	char *slash;

	if (!path || (n = strlen(path)) > PATH_MAX_LEN || !policy_path(path, n)) {
		a->st.skipped++;
		return ADVISE_IGNORED;
	}
	memcpy(dir, path, n + 1);
	slash = strrchr(dir, '/');
	slash[1] = '\0';
	if (!strcmp(dir, "/")) {	/* a file in / would allow writing everywhere */
		a->st.skipped++;
		return ADVISE_IGNORED;
	}
	remember(a, IK_FILE, dir, time);
	return ADVISE_USED;
}

static int see_egress(struct advise *a, const char *addr, long port, const char *proto, const char *time)
{
	unsigned char bin[16];
	char ip[INET6_ADDRSTRLEN], key[sizeof(((struct item *)0)->key)];
	int fam = addr && strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct item *it;

	if (!addr || inet_pton(fam, addr, bin) != 1 || !inet_ntop(fam, bin, ip, sizeof(ip)) ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "icmp") && strcmp(proto, "any")) ||
	    (strcmp(proto, "icmp") && (port < 1 || port > 65535))) {
		a->st.skipped++;
		return ADVISE_IGNORED;
	}
	if (!strcmp(proto, "icmp"))
		port = 0;
	snprintf(key, sizeof(key), "%s/%d %ld %s", ip, fam == AF_INET6 ? 128 : 32, port, proto);
	it = remember(a, IK_EGRESS, key, time);
	if (it && !it->cidr[0]) {
		snprintf(it->cidr, sizeof(it->cidr), "%s/%d", ip, fam == AF_INET6 ? 128 : 32);
		it->port = (uint16_t)port;
		snprintf(it->proto, sizeof(it->proto), "%s", proto);
	}
	return ADVISE_USED;
}

/* "1.2.3.4:80" or "[::1]:80" (learning mode's destinations): protocol unknown. */
static int see_dest(struct advise *a, const char *d, const char *time)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *colon, *start = d, *end;
	char *e;
	long port;

	if (!d || strlen(d) > 60)
		return ADVISE_IGNORED;
	if (d[0] == '[') {
		start = d + 1;
		end = strchr(start, ']');
		if (!end || end[1] != ':')
			return ADVISE_IGNORED;
		colon = end + 1;
	} else {
		colon = strrchr(d, ':');
		end = colon;
		if (!colon)
			return ADVISE_IGNORED;
	}
	if ((size_t)(end - start) >= sizeof(addr))
		return ADVISE_IGNORED;
	memcpy(addr, start, (size_t)(end - start));
	addr[end - start] = '\0';
	port = strtol(colon + 1, &e, 10);
	if (*e || e == colon + 1)
		return ADVISE_IGNORED;
	return see_egress(a, addr, port, "any", time);
}

static bool selected(const struct advise *a, json_object *ct)
{
	json_object *host = member(ct, "host", json_type_boolean);
	const char *ns = str_member(ct, "namespace"), *pod = str_member(ct, "pod"),
		   *name = str_member(ct, "name");

	if (!ct || !host || json_object_get_boolean(host))
		return false;
	if (a->sel.ns[0] && (!ns || strcmp(ns, a->sel.ns)))
		return false;
	if (a->sel.pod[0] && (!pod || strcmp(pod, a->sel.pod)))
		return false;
	if (a->sel.container[0] && (!name || strcmp(name, a->sel.container)))
		return false;
	return true;
}

static bool write_op(const char *op)
{
	static const char *const ops[] = { "write", "create", "delete", "rename", "link", "setattr" };

	for (size_t i = 0; op && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i]))
			return true;
	return false;
}

static int event(struct advise *a, json_object *ev)
{
	const char *kind = str_member(ev, "kind"), *action = str_member(ev, "action");
	const char *time = str_member(ev, "time");
	json_object *ct = member(ev, "container", json_type_object);

	if (!kind || !action || !selected(a, ct))
		return ADVISE_IGNORED;
	if (!strcmp(kind, "alert")) {
		json_object *al = member(ev, "alert", json_type_object);
		json_object *evd = member(al, "evidence", json_type_object);
		const char *rule = str_member(al, "rule");

		if (!strcmp(action, "alert") && rule && !strcmp(rule, "new-executable"))
			return see_exec(a, str_member(evd, "executable"), time);
		if (!strcmp(action, "alert") && rule && !strcmp(rule, "new-destination"))
			return see_dest(a, str_member(evd, "destination"), time);
		return ADVISE_IGNORED;
	}
	/* What was denied did not happen: not behaviour to allow. */
	if (strcmp(action, "observe") && strcmp(action, "allow") && strcmp(action, "audit"))
		return ADVISE_IGNORED;
	if (!strcmp(kind, "exec")) {
		json_object *f = member(ev, "file", json_type_object);

		if (f)	/* an exec decision (audit): the program's path */
			return see_exec(a, str_member(f, "path"), time);
		return see_exec(a, str_member(member(ev, "process", json_type_object), "exe"), time);
	}
	if (!strcmp(kind, "file")) {
		json_object *f = member(ev, "file", json_type_object);
		const char *op = str_member(f, "operation");

		if (op && !strcmp(op, "exec"))
			return see_exec(a, str_member(f, "path"), time);
		if (!write_op(op))
			return ADVISE_IGNORED;
		return see_write(a, str_member(f, "path"), time);
	}
	if (!strcmp(kind, "net")) {
		json_object *n = member(ev, "net", json_type_object);
		const char *dir = str_member(n, "direction"), *proto = str_member(n, "protocol");
		json_object *port = member(n, "remote_port", json_type_int);

		if (!dir || strcmp(dir, "egress") || !proto)
			return ADVISE_IGNORED;
		if (!strcmp(proto, "icmpv6"))
			proto = "icmp";
		return see_egress(a, str_member(n, "remote"), port ? (long)json_object_get_int64(port) : 0,
				  proto, time);
	}
	return ADVISE_IGNORED;
}

int advise_line(struct advise *a, const char *line, size_t len)
{
	struct json_tokener *tok;
	json_object *ev;
	int r = ADVISE_MALFORMED;

	a->st.lines++;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len) {
		a->st.ignored++;
		return ADVISE_IGNORED;
	}
	if (len > ADVISE_LINE_MAX || memchr(line, '\0', len) || !(tok = json_tokener_new_ex(16))) {
		a->st.malformed++;
		return ADVISE_MALFORMED;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	ev = json_tokener_parse_ex(tok, line, (int)len);
	if (ev && json_tokener_get_error(tok) == json_tokener_success &&
	    json_tokener_get_parse_end(tok) == len && json_object_is_type(ev, json_type_object))
		r = event(a, ev);
	json_object_put(ev);
	json_tokener_free(tok);
	if (r == ADVISE_MALFORMED)
		a->st.malformed++;
	else if (r == ADVISE_USED)
		a->st.used++;
	else
		a->st.ignored++;
	return r;
}

/* ---- the policy ---- */

static int cmp_key(const void *x, const void *y)
{
	return strcmp(((const struct item *)x)->key, ((const struct item *)y)->key);
}

/* Prefixes under a shorter prefix fold into it (sorted: the shorter comes first). */
static void fold_prefixes(struct advise *a)
{
	struct item *v = a->it[IK_FILE];
	size_t out = 0;

	qsort(v, a->n[IK_FILE], sizeof(*v), cmp_key);
	for (size_t i = 0; i < a->n[IK_FILE]; i++) {
		if (out && !strncmp(v[i].key, v[out - 1].key, strlen(v[out - 1].key))) {
			v[out - 1].count += v[i].count;
			if (strcmp(v[i].first, v[out - 1].first) < 0 && strcmp(v[i].first, "?"))
				memcpy(v[out - 1].first, v[i].first, TIME_LEN);
			continue;
		}
		v[out++] = v[i];
	}
	a->n[IK_FILE] = out;
}

static void policy_name(const struct advise *a, char *out, size_t len)
{
	const char *base = a->sel.container[0] ? a->sel.container : a->sel.pod[0] ? a->sel.pod : a->sel.ns;
	size_t n;

	snprintf(out, len, "advised-%s", base);
	n = strlen(out);
	while (n > 1 && (out[n - 1] == '-' || out[n - 1] == '.'))
		out[--n] = '\0';
}

static size_t capped(struct advise *a, enum item_kind k, size_t max)
{
	if (a->n[k] > max) {
		a->st.dropped += a->n[k] - max;
		return max;
	}
	return a->n[k];
}

int advise_write(struct advise *a, FILE *out, const char *source)
{
	char name[64];
	size_t ne, nf, nn;
	bool bad_src = false;

	for (const char *p = source; p && *p; p++)
		bad_src |= (unsigned char)*p < 0x20;
	fold_prefixes(a);
	qsort(a->it[IK_EXEC], a->n[IK_EXEC], sizeof(struct item), cmp_key);
	qsort(a->it[IK_EGRESS], a->n[IK_EGRESS], sizeof(struct item), cmp_key);
	ne = capped(a, IK_EXEC, ADVISE_MAX_EXEC);
	nf = capped(a, IK_FILE, ADVISE_MAX_FILE);
	nn = capped(a, IK_EGRESS, ADVISE_MAX_EGRESS);
	policy_name(a, name, sizeof(name));

	fprintf(out, "# Written by bulkhead advise from %s: %llu lines, %llu used, %llu malformed, "
		"%llu items no rule can hold, %llu over the limits.\n"
		"# Everything not seen is denied: review before enforcing.\n",
		source && !bad_src ? source : "events", (unsigned long long)a->st.lines,
		(unsigned long long)a->st.used, (unsigned long long)a->st.malformed,
		(unsigned long long)a->st.skipped, (unsigned long long)a->st.dropped);
	fprintf(out, "apiVersion: bulkhead/v1\nkind: Policy\nmetadata:\n  name: %s\n"
		"  description: least privilege from observed behaviour (bulkhead advise)\nspec:\n"
		"  selector:\n", name);
	if (a->sel.ns[0])
		fprintf(out, "    namespaces: [%s]\n", a->sel.ns);
	if (a->sel.pod[0])
		fprintf(out, "    pods: [%s]\n", a->sel.pod);
	if (a->sel.container[0])
		fprintf(out, "    containers: [%s]\n", a->sel.container);
	fprintf(out, "  mode: enforce\n  defaults:\n"
		"    file: {all: allow, write: deny, create: deny, delete: deny, rename: deny, link: deny, "
		"setattr: deny}\n    exec: deny\n    egress: deny\n");
	if (nf) {
		fprintf(out, "  file:\n");
		for (size_t i = 0; i < nf; i++) {
			const struct item *it = &a->it[IK_FILE][i];

			fprintf(out, "    # %llu write%s seen, first at %s\n    - paths: [\"%s\"]\n"
				"      ops: [write, create, delete, rename, link, setattr]\n      action: allow\n",
				(unsigned long long)it->count, it->count == 1 ? "" : "s", it->first, it->key);
		}
	}
	if (ne)
		fprintf(out, "  exec:\n    allow:\n");
	else
		fprintf(out, "  # no program was seen started: defaults.exec denies every one\n");
	for (size_t i = 0; i < ne; i++) {
		const struct item *it = &a->it[IK_EXEC][i];

		fprintf(out, "      # started %llu time%s, first at %s\n      - \"%s\"\n",
			(unsigned long long)it->count, it->count == 1 ? "" : "s", it->first, it->key);
	}
	if (nn) {
		fprintf(out, "  network:\n    egress:\n");
		for (size_t i = 0; i < nn; i++) {
			const struct item *it = &a->it[IK_EGRESS][i];

			fprintf(out, "      # %llu connection%s seen, first at %s\n      - cidrs: [\"%s\"]\n",
				(unsigned long long)it->count, it->count == 1 ? "" : "s", it->first, it->cidr);
			if (it->port)
				fprintf(out, "        ports: [%u]\n", it->port);
			fprintf(out, "        protocol: %s\n        action: allow\n", it->proto);
		}
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}
