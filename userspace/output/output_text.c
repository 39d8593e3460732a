// SPDX-License-Identifier: GPL-2.0
/* Events as aligned, human-readable lines. See output_text.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/sbuf.h"
#include "output/output_text.h"

#define W_WHAT	14	/* "kind/action" column */
#define W_WHO	30	/* namespace/pod/container column */

#define C_RESET	"\033[0m"
#define C_DIM	"\033[2m"
#define C_RED	"\033[1;31m"
#define C_YEL	"\033[33m"
#define C_MAG	"\033[1;35m"
#define C_CYAN	"\033[36m"
#define C_GREEN	"\033[32m"

bool output_text_color_wanted(int fd)
{
	const char *nc = getenv("NO_COLOR"), *force = getenv("CLICOLOR_FORCE");

	if (nc && nc[0])
		return false;
	return isatty(fd) || (force && force[0] && strcmp(force, "0"));
}

/* ---- escaping: nothing from an event reaches the terminal raw -------------- */

static void put_esc(struct sbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char c = p[i];
		const char *rep = NULL;
		char hex[8];
		size_t skip = 1;

		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': rep = "\\n"; break;
			case '\r': rep = "\\r"; break;
			case '\t': rep = "\\t"; break;
			default:
				snprintf(hex, sizeof(hex), "\\x%02x", c);
				rep = hex;
			}
		} else if (c == '\\') {
			rep = "\\\\";
		} else if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			/* C1 controls (U+0080..U+009F): 0x9b is a CSI on some terminals. */
			snprintf(hex, sizeof(hex), "\\u%04x", p[i + 1]);
			rep = hex;
			skip = 2;
		} else if (c == 0xe2 && i + 2 < n &&
			   ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
			    (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
			/* Bidirectional embeddings, overrides and isolates: text that reads backwards. */
			snprintf(hex, sizeof(hex), "\\u%04x",
				 0x2000 | ((p[i + 1] & 0x3f) << 6) | (p[i + 2] & 0x3f));
			rep = hex;
			skip = 3;
		}
		if (!rep) {
			run++;
			i++;
			continue;
		}
		if (run)
			sbuf_add(b, s + i - run, run);
		run = 0;
		sbuf_adds(b, rep);
		i += skip;
	}
	if (run)
		sbuf_add(b, s + i - run, run);
}

/* Characters (not bytes) of UTF-8 text: for the column widths. */
static size_t width_of(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

static void pad_from(struct sbuf *b, size_t start, size_t width)
{
	size_t w = b->oom ? width : width_of(b->data + start, b->len - start);

	while (w++ < width)
		sbuf_add(b, " ", 1);
}

/* ---- reading the event ---------------------------------------------------- */

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The string at key, escaped, into b; false (nothing written) if there is none. */
static bool put_str(struct sbuf *b, json_object *o, const char *key)
{
	json_object *v = get(o, key);

	if (!v)
		return false;
	if (json_object_is_type(v, json_type_string))
		put_esc(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	else	/* a number, a boolean: its JSON text */
		put_esc(b, json_object_to_json_string(v), strlen(json_object_to_json_string(v)));
	return true;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static long long num(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? (long long)json_object_get_int64(v) : 0;
}

static void color_on(struct sbuf *b, bool color, const char *c)
{
	if (color)
		sbuf_adds(b, c);
}

static void color_off(struct sbuf *b, bool color)
{
	if (color)
		sbuf_adds(b, C_RESET);
}

/* " key=value" when the event has it. */
static void field(struct sbuf *b, json_object *o, const char *key, const char *label)
{
	if (!get(o, key))
		return;
	sbuf_addf(b, " %s=", label);
	put_str(b, o, key);
}

/* An argument: as it is, or quoted when it has a space or is empty. */
static void put_arg(struct sbuf *b, json_object *v)
{
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);

	if (!n || memchr(s, ' ', n) || memchr(s, '"', n)) {
		const char *q;

		sbuf_add(b, "\"", 1);
		while ((q = memchr(s, '"', n))) {	/* segments between quotes, escaped whole */
			put_esc(b, s, (size_t)(q - s));
			sbuf_add(b, "\\\"", 2);
			n -= (size_t)(q - s) + 1;
			s = q + 1;
		}
		put_esc(b, s, n);
		sbuf_add(b, "\"", 1);
	} else {
		put_esc(b, s, n);
	}
}

static void who(struct sbuf *b, json_object *c)
{
	json_object *h = get(c, "host");
	const char *ns = str(c, "namespace"), *pod = str(c, "pod"), *name = str(c, "name");

	if (!c || (h && json_object_get_boolean(h))) {
		sbuf_adds(b, "host");
		return;
	}
	if (ns[0] || pod[0]) {
		put_str(b, c, "namespace");
		sbuf_add(b, "/", 1);
		put_str(b, c, "pod");
		sbuf_add(b, "/", 1);
		put_str(b, c, "name");
	} else if (name[0]) {
		put_str(b, c, "name");
	} else if (str(c, "id")[0]) {
		const char *id = str(c, "id");

		put_esc(b, id, strnlen(id, 12));	/* the short form, as runtimes print it */
	} else {
		sbuf_addf(b, "cgroup:%lld", num(c, "cgroup_id"));
	}
}

static void policy_rule(struct sbuf *b, json_object *o)
{
	if (!get(o, "policy") && !get(o, "rule"))
		return;
	sbuf_adds(b, " rule=");
	if (put_str(b, o, "policy"))
		sbuf_add(b, ":", 1);
	put_str(b, o, "rule");
}

static void process_brief(struct sbuf *b, json_object *p)
{
	if (!p)
		return;
	put_str(b, p, "comm");
	sbuf_addf(b, "[%lld]", num(p, "pid"));
}

static void exec_line(struct sbuf *b, json_object *p)
{
	json_object *args = get(p, "args");

	process_brief(b, p);
	if (get(p, "exe")) {
		sbuf_add(b, " ", 1);
		put_str(b, p, "exe");
	}
	if (args && json_object_is_type(args, json_type_array)) {
		size_t n = json_object_array_length(args);

		/* argv[0] is usually the exe again: the rest says what ran. */
		sbuf_adds(b, " --");
		for (size_t i = 1; i < n; i++) {
			sbuf_add(b, " ", 1);
			put_arg(b, json_object_array_get_idx(args, i));
		}
		if (json_object_get_boolean(get(p, "args_truncated")))
			sbuf_adds(b, " ...");
	}
}

static void file_line(struct sbuf *b, json_object *f, json_object *p, bool color)
{
	put_str(b, f, "operation");
	sbuf_add(b, " ", 1);
	put_str(b, f, "path");
	policy_rule(b, f);
	if (p) {
		sbuf_adds(b, " by ");
		process_brief(b, p);
	}
	if (!strcmp(str(f, "enforcement"), "killed")) {
		sbuf_add(b, " ", 1);
		color_on(b, color, C_RED);
		sbuf_adds(b, "(killed)");
		color_off(b, color);
	}
}

static void net_line(struct sbuf *b, json_object *n, json_object *p)
{
	const char *fam = str(n, "family");
	long long count = num(n, "count");

	put_str(b, n, "direction");
	sbuf_add(b, " ", 1);
	put_str(b, n, "protocol");
	sbuf_add(b, " ", 1);
	if (get(n, "remote")) {
		bool v6 = !strcmp(fam, "ipv6");

		if (v6)
			sbuf_add(b, "[", 1);
		put_str(b, n, "remote");
		if (v6)
			sbuf_add(b, "]", 1);
		if (get(n, "remote_port"))
			sbuf_addf(b, ":%lld", num(n, "remote_port"));
	} else if (get(n, "local_port")) {
		sbuf_addf(b, "port %lld", num(n, "local_port"));
	}
	sbuf_adds(b, " (");
	put_str(b, n, "hook");
	sbuf_add(b, ")", 1);
	policy_rule(b, n);
	if (count > 1)
		sbuf_addf(b, " x%lld", count);
	if (p) {
		sbuf_adds(b, " by ");
		process_brief(b, p);
	}
}

static void alert_line(struct sbuf *b, json_object *a, json_object *p, bool color)
{
	const char *sev = str(a, "severity");
	const char *sc = !strcmp(sev, "critical") || !strcmp(sev, "high") ? C_RED :
			 !strcmp(sev, "medium") ? C_YEL : C_CYAN;
	const char *enf = str(a, "enforcement");

	color_on(b, color, sc);
	for (const char *s = sev; *s && (size_t)(s - sev) < 16; s++) {
		char u = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;

		put_esc(b, &u, 1);
	}
	color_off(b, color);
	sbuf_add(b, " ", 1);
	put_str(b, a, "category");
	sbuf_add(b, " ", 1);
	put_str(b, a, "rule");
	sbuf_adds(b, ": ");
	put_str(b, a, "summary");
	if (enf[0]) {
		sbuf_add(b, " ", 1);
		color_on(b, color, C_RED);
		sbuf_add(b, "(", 1);
		put_str(b, a, "enforcement");
		sbuf_add(b, ")", 1);
		color_off(b, color);
	}
	field(b, a, "technique", "technique");
	if (p) {
		sbuf_adds(b, " by ");
		process_brief(b, p);
	}
}

static void lost_line(struct sbuf *b, json_object *l)
{
	sbuf_addf(b, "%lld records lost (ring ", num(l, "records"));
	put_str(b, l, "ring");
	sbuf_addf(b, ", %lld in all)", num(l, "total"));
}

static const char *what_color(const char *kind, const char *action)
{
	if (!strcmp(kind, "alert") || !strcmp(kind, "lost"))
		return C_MAG;
	if (!strcmp(action, "deny"))
		return C_RED;
	if (!strcmp(action, "audit"))
		return C_YEL;
	if (!strcmp(action, "resolved") || !strcmp(action, "allow"))
		return C_GREEN;
	return C_DIM;
}

int output_text_format(struct sbuf *b, const char *json, size_t len, bool color)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *ev = tok ? json_tokener_parse_ex(tok, json, (int)len) : NULL;
	json_object *p;
	const char *t, *kind, *action;
	size_t start;

	if (tok)
		json_tokener_free(tok);
	if (!ev || !json_object_is_type(ev, json_type_object)) {
		json_object_put(ev);
		sbuf_adds(b, "(an event that is not a JSON object)\n");
		return -1;
	}
	/* "2026-12-07T05:49:07.416263747Z": the clock, to the millisecond. */
	t = str(ev, "time");
	if (strlen(t) >= 23 && t[10] == 'T')
		put_esc(b, t + 11, 12);
	else
		sbuf_adds(b, "--:--:--.---");
	sbuf_adds(b, "  ");

	kind = str(ev, "kind");
	action = str(ev, "action");
	color_on(b, color, what_color(kind, action));
	start = b->len;
	put_str(b, ev, "kind");
	sbuf_add(b, "/", 1);
	put_str(b, ev, "action");
	if (color) {
		size_t w = b->oom ? 0 : width_of(b->data + start, b->len - start);

		sbuf_adds(b, C_RESET);
		while (w++ < W_WHAT)
			sbuf_add(b, " ", 1);
	} else {
		pad_from(b, start, W_WHAT);
	}
	sbuf_add(b, " ", 1);

	start = b->len;
	who(b, get(ev, "container"));
	pad_from(b, start, W_WHO);
	sbuf_add(b, " ", 1);

	p = get(ev, "process");
	if (!strcmp(kind, "alert") && get(ev, "alert")) {
		alert_line(b, get(ev, "alert"), p, color);
	} else if (!strcmp(kind, "lost")) {
		lost_line(b, get(ev, "lost"));
	} else if (get(ev, "file")) {		/* a file or an exec decision */
		file_line(b, get(ev, "file"), p, color);
	} else if (!strcmp(kind, "net")) {
		net_line(b, get(ev, "net"), p);
	} else if (!strcmp(kind, "exec")) {
		exec_line(b, p);
	} else if (!strcmp(kind, "fork")) {
		process_brief(b, p);
		sbuf_addf(b, " -> %lld", num(get(ev, "fork"), "child_pid"));
	} else if (!strcmp(kind, "exit")) {
		json_object *x = get(ev, "exit");

		process_brief(b, p);
		if (num(x, "signal"))
			sbuf_addf(b, " killed by signal %lld", num(x, "signal"));
		else
			sbuf_addf(b, " exit %lld", num(x, "code"));
	} else {
		process_brief(b, p);
	}
	/* Trailing spaces of an event with little to say are noise. */
	while (!b->oom && b->len && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	sbuf_add(b, "\n", 1);
	json_object_put(ev);
	return 0;
}
