// SPDX-License-Identifier: GPL-2.0
/*
 * One YAML document -> one compiled struct policy. Every problem is reported
 * with the field path and what was expected; parsing goes on after an error
 * so that one run shows all of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define API_VERSION "bulkhead/v1"

const char *const policy_op_names[POLICY_OP_COUNT] = {
	"read", "write", "create", "delete", "rename", "link", "setattr", "exec",
};
const char *const policy_escape_names[POLICY_ESC_COUNT] = {
	"mount", "ptrace", "kernelModules", "bpf", "privilegeEscalation", "namespaces",
	"hostPaths", "devices", "cgroups", "runtimeSockets", "filelessExec", "drift", "reverseShell",
	"recon", "userNamespaces", "setuidExec",
};
const char *const policy_sel_names[POLICY_SEL_COUNT] = {
	"namespaces", "pods", "containers", "cgroups",
};
static const char *const action_names[] = { "allow", "deny" };
static const char *const mode_names[] = { "enforce", "audit" };
static const char *const section_names[POLICY_SEC_COUNT] = { "file", "exec", "network", "escape" };

/* ---- helpers ------------------------------------------------------------- */

static size_t lev(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];

	if (la > 64 || lb > 64)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + ((a[i - 1] | 32) != (b[j - 1] | 32));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

const char *closest_word(const char *s, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, lim = strlen(s) / 3 + 1;

	if (lim > 3)
		lim = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = lev(s, cands[i]);

		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return bestd <= lim ? best : NULL;
}

/* "a, b, c" into buf (only for messages: never on the path of a valid policy). */
static const char *join_words(const char *const *w, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", w[i]);
	return buf;
}

/*
 * Check a mapping's keys: unknown keys (with a suggestion) and duplicates
 * are errors. Returns 0 if n is a mapping (even with bad keys), -1 if not.
 */
static int check_map(struct perr_ctx *c, const struct ynode *n, const char *const *keys,
		     size_t nkeys, const char *what)
{
	char got[96], list[512];

	if (!n || n->type != YN_MAP) {
		perr(c, n, "expected %s, got %s", what, ynode_describe(n, got, sizeof(got)));
		return -1;
	}
	/* every mapping here has a handful of keys: refuse floods up front (no O(n^2) work) */
	if (n->n / 2 > 2 * nkeys + 8) {
		perr(c, n, "expected %s with at most the keys %s, got %u keys", what,
		     join_words(keys, nkeys, list, sizeof(list)), n->n / 2);
		return -1;
	}
	for (uint32_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i];
		size_t j;

		if (k->type != YN_SCALAR) {
			perr(c, k, "expected a key name, got %s", ynode_describe(k, got, sizeof(got)));
			continue;
		}
		for (j = 0; j < nkeys; j++)
			if (!strcmp(k->str, keys[j]))
				break;
		size_t o = path_push_key(c, k->str);
		if (j == nkeys) {
			const char *sug = closest_word(k->str, keys, nkeys);

			join_words(keys, nkeys, list, sizeof(list));
			if (sug)
				perr(c, k, "unknown key (did you mean '%s'?); expected one of: %s",
				     sug, list);
			else
				perr(c, k, "unknown key; expected one of: %s", list);
		}
		for (uint32_t p = 0; p < i; p += 2) {
			const struct ynode *pk = n->kids[p];

			if (pk->type == YN_SCALAR && !strcmp(pk->str, k->str)) {
				perr(c, k, "duplicate key (first at line %u, column %u)", pk->line,
				     pk->col);
				break;
			}
		}
		path_pop(c, o);
	}
	return 0;
}

static int get_str(struct perr_ctx *c, const struct ynode *n, const char *what, const char **out)
{
	char got[96];

	if (!n || n->type != YN_SCALAR || ynode_is_null(n)) {
		perr(c, n, "expected %s, got %s", what, ynode_describe(n, got, sizeof(got)));
		return -1;
	}
	*out = n->str;
	return 0;
}

static int get_enum(struct perr_ctx *c, const struct ynode *n, const char *const *vals,
		    size_t nvals)
{
	char got[96], list[256];
	const char *s;

	if (!n || n->type != YN_SCALAR || ynode_is_null(n)) {
		perr(c, n, "expected one of %s, got %s", join_words(vals, nvals, list, sizeof(list)),
		     ynode_describe(n, got, sizeof(got)));
		return -1;
	}
	s = n->str;
	for (size_t i = 0; i < nvals; i++)
		if (!strcmp(s, vals[i]))
			return (int)i;
	join_words(vals, nvals, list, sizeof(list));
	const char *sug = closest_word(s, vals, nvals);
	if (sug)
		perr(c, n, "expected one of %s, got %s (did you mean '%s'?)", list,
		     ynode_describe(n, got, sizeof(got)), sug);
	else
		perr(c, n, "expected one of %s, got %s", list, ynode_describe(n, got, sizeof(got)));
	return -1;
}

static int get_bool(struct perr_ctx *c, const struct ynode *n, uint8_t *out)
{
	char got[96];

	if (n && n->type == YN_SCALAR && n->plain) {
		if (!strcmp(n->str, "true") || !strcmp(n->str, "True") || !strcmp(n->str, "TRUE")) {
			*out = 1;
			return 0;
		}
		if (!strcmp(n->str, "false") || !strcmp(n->str, "False") || !strcmp(n->str, "FALSE")) {
			*out = 0;
			return 0;
		}
	}
	perr(c, n, "expected true or false, got %s", ynode_describe(n, got, sizeof(got)));
	return -1;
}

/* Strict unsigned decimal, no sign, no leading '+', at most 19 digits. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	size_t i = 0;

	if (!s[0])
		return -1;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 19)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

static int get_uint(struct perr_ctx *c, const struct ynode *n, uint64_t lo, uint64_t hi,
		    const char *what, uint64_t *out)
{
	char got[96];
	uint64_t v;

	if (!n || n->type != YN_SCALAR || parse_u64(n->str, &v) || v < lo || v > hi) {
		perr(c, n, "expected %s (%llu..%llu), got %s", what, (unsigned long long)lo,
		     (unsigned long long)hi, ynode_describe(n, got, sizeof(got)));
		return -1;
	}
	*out = v;
	return 0;
}

/* A number with one of the units (or none: times 1), multiplied out. 0, or -1 if it is not. */
struct unit { const char *sfx; uint64_t mul; };
static int get_scaled(const struct ynode *n, const struct unit *units, size_t nunits, uint64_t *out)
{
	char num[24];
	uint64_t v, mul = 1;
	size_t len;

	if (!n || n->type != YN_SCALAR || ynode_is_null(n) || (len = n->len) == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, n->str, len + 1);
	for (size_t i = 0; i < nunits; i++) {
		size_t sl = strlen(units[i].sfx);

		if (len > sl && !strcmp(num + len - sl, units[i].sfx)) {
			mul = units[i].mul;
			num[len - sl] = 0;
			break;
		}
	}
	if (parse_u64(num, &v) || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* Durations: "90s", "10m", "1h", "7d" or plain seconds. */
static int get_duration(struct perr_ctx *c, const struct ynode *n, uint64_t lo, uint64_t hi,
			uint64_t *out)
{
	static const struct unit units[] = { { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 } };
	char got[96];
	uint64_t v;

	if (get_scaled(n, units, ARRAY_SIZE(units), &v) || v < lo || v > hi) {
		perr(c, n, "expected a duration between %llus and %llud like 30s, 10m, 1h, 7d, got %s",
		     (unsigned long long)lo, (unsigned long long)(hi / 86400),
		     ynode_describe(n, got, sizeof(got)));
		return -1;
	}
	*out = v;
	return 0;
}

/* Quantities: 512, 64Ki, 512Mi, 2Gi, 1Ti (1024s) or 10K, 5M, 1G, 1T (1000s). */
static int get_quantity(struct perr_ctx *c, const struct ynode *n, uint64_t hi, uint64_t *out)
{
	static const struct unit units[] = {
		{ "Ki", 1ull << 10 }, { "Mi", 1ull << 20 }, { "Gi", 1ull << 30 }, { "Ti", 1ull << 40 },
		{ "K", 1000ull }, { "M", 1000000ull }, { "G", 1000000000ull }, { "T", 1000000000000ull },
	};
	char got[96];
	uint64_t v;

	if (get_scaled(n, units, ARRAY_SIZE(units), &v) || v > hi) {
		perr(c, n, "expected a quantity like 512Mi, 2Gi, 10M (at most %llu), got %s",
		     (unsigned long long)hi, ynode_describe(n, got, sizeof(got)));
		return -1;
	}
	*out = v;
	return 0;
}

/* A list, or one scalar standing for a one-item list. */
static int get_list(struct perr_ctx *c, const struct ynode *n, const char *what,
		    struct ynode *const **items, uint32_t *count)
{
	char got[96];

	if (n && n->type == YN_SEQ) {
		if (n->n == 0) {
			perr(c, n, "expected at least one %s, got an empty list", what);
			return -1;
		}
		if (n->n > POLICY_MAX_LIST) {
			perr(c, n, "expected at most %u items, got %u", POLICY_MAX_LIST, n->n);
			return -1;
		}
		*items = n->kids;
		*count = n->n;
		return 0;
	}
	if (n && n->type == YN_SCALAR && !ynode_is_null(n)) {
		*items = NULL;
		*count = 1;
		return -2;	/* caller: use n itself (LIST_ITEM) */
	}
	perr(c, n, "expected a list of %s, got %s", what, ynode_describe(n, got, sizeof(got)));
	return -1;
}

/* Iterate a list-or-scalar: for (i...) item = LIST_ITEM(n, items, i). */
#define LIST_ITEM(n, items, rc, i) ((rc) == -2 ? (struct ynode *)(n) : (items)[i])

/*
 * Each item of n (a list, or one scalar standing for it) given to fn under its
 * own field path ("[j]"; none for the scalar). -1 if n is not a list or an
 * item failed; every item is looked at.
 */
static int each_item(struct perr_ctx *c, const struct ynode *n, const char *what,
		     int (*fn)(struct perr_ctx *c, const struct ynode *it, uint32_t j, void *ctx),
		     void *ctx)
{
	struct ynode *const *items;
	uint32_t cnt;
	int rc = get_list(c, n, what, &items, &cnt), err = rc == -1 ? -1 : 0;

	for (uint32_t j = 0; rc != -1 && j < cnt; j++) {
		const struct ynode *it = LIST_ITEM(n, items, rc, j);
		size_t o = rc == -2 ? c->plen : path_push_idx(c, j);

		if (fn(c, it, j, ctx))
			err = -1;
		path_pop(c, o);
	}
	return err;
}

/* ---- sections ------------------------------------------------------------ */

/*
 * A mapping of the keys[] only (what: how messages name it), each key it has
 * parsed by fn(c, value, p, index of the key) under its own field path.
 */
static int parse_keyed(struct perr_ctx *c, const struct ynode *n, const char *const *keys,
		       size_t nkeys, const char *what, struct policy *p,
		       int (*fn)(struct perr_ctx *c, const struct ynode *v, struct policy *p, int i))
{
	int err = 0;

	if (check_map(c, n, keys, nkeys, what))
		return -1;
	for (size_t i = 0; i < nkeys; i++) {
		const struct ynode *v = ymap_get(n, keys[i]);
		size_t o;

		if (!v)
			continue;
		o = path_push_key(c, keys[i]);
		if (fn(c, v, p, (int)i))
			err = -1;
		path_pop(c, o);
	}
	return err;
}

static int parse_action_map(struct perr_ctx *c, const struct ynode *n, const char *const *keys,
			    size_t nkeys, const char *const *vals, size_t nvals,
			    uint8_t *out, size_t nout, uint8_t dflt)
{
	/* scalar: every key; map: "all" then per key */
	int v, err = 0;

	if (n && n->type == YN_MAP) {
		const struct ynode *all = ymap_get(n, "all");
		const char *names[16];
		size_t nn = 0;

		names[nn++] = "all";
		for (size_t i = 0; i < nkeys && nn < ARRAY_SIZE(names); i++)
			names[nn++] = keys[i];
		if (check_map(c, n, names, nn, "a mapping"))
			return -1;
		if (all) {
			size_t o = path_push_key(c, "all");
			v = get_enum(c, all, vals, nvals);
			path_pop(c, o);
			if (v < 0)
				err = -1;
			else
				dflt = (uint8_t)v;
		}
		for (size_t i = 0; i < nout; i++)
			out[i] = dflt;
		for (size_t i = 0; i < nkeys; i++) {
			const struct ynode *k = ymap_get(n, keys[i]);
			size_t o;

			if (!k)
				continue;
			o = path_push_key(c, keys[i]);
			v = get_enum(c, k, vals, nvals);
			path_pop(c, o);
			if (v < 0)
				err = -1;
			else
				out[i < nout ? i : nout - 1] = (uint8_t)v;
		}
		return err;
	}
	v = get_enum(c, n, vals, nvals);
	if (v < 0)
		return -1;
	for (size_t i = 0; i < nout; i++)
		out[i] = (uint8_t)v;
	return 0;
}

static int op_item(struct perr_ctx *c, const struct ynode *it, uint32_t j, void *ctx)
{
	static const char *const names[] = {
		"read", "write", "create", "delete", "rename", "link", "setattr", "exec",
		"chmod", "chown", "all",
	};
	uint16_t *ops = ctx;
	int v;

	if (j == 0)
		*ops = 0;	/* the list replaces the default */
	v = get_enum(c, it, names, ARRAY_SIZE(names));
	if (v < 0)
		return -1;
	if (v == 10)
		*ops |= POLICY_OPS_ALL;
	else if (v >= 8)
		*ops |= 1u << POLICY_OP_SETATTR;
	else
		*ops |= (uint16_t)(1u << v);
	return 0;
}

static int parse_ops(struct perr_ctx *c, const struct ynode *n, uint16_t *ops)
{
	return each_item(c, n, "operation", op_item, ops);
}

static int push_path_rule(struct perr_ctx *c, const struct ynode *at, struct policy_path_rule **tab,
			  struct policy_src **srcs, uint32_t *n, uint32_t max, const char *what,
			  const struct policy_path_rule *r, const char *field)
{
	if (*n >= max) {
		perr(c, at, "too many %s rules: at most %u compiled rules per policy (one per path)",
		     what, max);
		return -1;
	}
	if (!*tab) {
		*tab = calloc(max, sizeof(**tab));
		*srcs = calloc(max, sizeof(**srcs));
		if (!*tab || !*srcs) {
			perr(c, at, "out of memory");
			return -1;
		}
	}
	(*tab)[*n] = *r;
	(*srcs)[*n].line = at->line;
	(*srcs)[*n].col = at->col;
	{
		size_t fl = strnlen(field, sizeof((*srcs)[*n].field) - 1);

		memcpy((*srcs)[*n].field, field, fl);
		(*srcs)[*n].field[fl] = 0;
	}
	(*n)++;
	return 0;
}

static int parse_pattern_node(struct perr_ctx *c, const struct ynode *it,
			      struct policy_path_rule *r)
{
	char err[256], got[96];
	uint8_t kind;
	uint32_t spec;

	if (!it || it->type != YN_SCALAR || ynode_is_null(it)) {
		perr(c, it, "expected a path like /etc/ or /usr/bin/*, got %s",
		     ynode_describe(it, got, sizeof(got)));
		return -1;
	}
	if (pattern_parse_path(it->str, r->pattern, sizeof(r->pattern), &kind, &spec, err,
			       sizeof(err))) {
		perr(c, it, "%s, got %s", err, ynode_describe(it, got, sizeof(got)));
		return -1;
	}
	r->kind = kind;
	r->specificity = spec;
	r->pattern_len = (uint16_t)strlen(r->pattern);
	return 0;
}

/* The paths of a file rule or of an exec list: one compiled rule per path. */
struct path_list {
	struct policy *p;
	bool exec;			/* spec.exec: each path its own rule; else one file rule's */
	struct policy_path_rule rule;	/* ops, action (and source) of every path */
	const char *field;		/* a file rule's field path */
};

static int path_item(struct perr_ctx *c, const struct ynode *it, uint32_t j, void *ctx)
{
	struct path_list *x = ctx;
	struct policy *p = x->p;
	char field[96];

	if (!x->exec)
		return parse_pattern_node(c, it, &x->rule) ||
		       push_path_rule(c, it, &p->file, &p->file_src, &p->n_file,
				      POLICY_MAX_FILE_RULES, "file", &x->rule, x->field) ? -1 : 0;
	x->rule.src = j;
	snprintf(field, sizeof(field), "%.95s", c->path);
	return parse_pattern_node(c, it, &x->rule) ||
	       push_path_rule(c, it, &p->exec, &p->exec_src, &p->n_exec,
			      POLICY_MAX_EXEC_RULES, "exec", &x->rule, field) ? -1 : 0;
}

/* A rule's action (required): allow or deny into *out, which is left as it is on an error. */
static int rule_action(struct perr_ctx *c, const struct ynode *r, uint8_t *out)
{
	const struct ynode *act = ymap_get(r, "action");
	size_t o = path_push_key(c, "action");
	int v = -1;

	if (!act)
		perr(c, r, "required: allow or deny");
	else if ((v = get_enum(c, act, action_names, 2)) >= 0)
		*out = (uint8_t)v;
	path_pop(c, o);
	return v < 0 ? -1 : 0;
}

/*
 * A list of rule mappings (what: how messages name it), each parsed by
 * fn(c, rule, p, dir, index) under its own field path "[i]".
 */
static int each_rule(struct perr_ctx *c, const struct ynode *n, const char *what, struct policy *p,
		     int dir, int (*fn)(struct perr_ctx *c, const struct ynode *r, struct policy *p,
					int dir, uint32_t i))
{
	char got[96];
	int err = 0;

	if (!n || n->type != YN_SEQ) {
		perr(c, n, "expected a list of %s, got %s", what, ynode_describe(n, got, sizeof(got)));
		return -1;
	}
	for (uint32_t i = 0; i < n->n; i++) {
		size_t o = path_push_idx(c, i);

		if (fn(c, n->kids[i], p, dir, i))
			err = -1;
		path_pop(c, o);
	}
	return err;
}

/* One file rule {paths, ops, action}, the i-th of spec.file. */
static int parse_file_rule(struct perr_ctx *c, const struct ynode *r, struct policy *p, int dir,
			   uint32_t i)
{
	static const char *const keys[] = { "paths", "ops", "action" };
	struct policy_path_rule rule = { .ops = POLICY_OPS_ALL, .src = i };
	const struct ynode *paths, *ops;
	char field[96];
	int err = 0;
	size_t o;

	snprintf(field, sizeof(field), "%.95s", c->path);
	if (check_map(c, r, keys, ARRAY_SIZE(keys), "a file rule mapping {paths, ops, action}"))
		return -1;
	paths = ymap_get(r, "paths");
	ops = ymap_get(r, "ops");
	if (ops) {
		o = path_push_key(c, "ops");
		if (parse_ops(c, ops, &rule.ops))
			err = -1;
		path_pop(c, o);
	}
	if (rule_action(c, r, &rule.action))
		err = -1;

	o = path_push_key(c, "paths");
	if (!paths) {
		perr(c, r, "required: the paths this rule applies to");
		err = -1;
	} else {
		struct path_list x = { .p = p, .rule = rule, .field = field };

		if (each_item(c, paths, "path", path_item, &x))
			err = -1;
	}
	path_pop(c, o);
	return err;
}

static int parse_file(struct perr_ctx *c, const struct ynode *n, struct policy *p)
{
	return each_rule(c, n, "file rules ({paths, ops, action})", p, 0, parse_file_rule);
}

/* Exec paths allowed (a = POLICY_ALLOW) or denied: one path or a list. */
static int parse_exec_list(struct perr_ctx *c, const struct ynode *l, struct policy *p, int a)
{
	struct path_list x = { .p = p, .exec = true,
			       .rule = { .ops = 1u << POLICY_OP_EXEC, .action = (uint8_t)a } };

	return each_item(c, l, "executable path", path_item, &x);
}

static int parse_exec(struct perr_ctx *c, const struct ynode *n, struct policy *p)
{
	static const char *const keys[] = { "allow", "deny" };

	return parse_keyed(c, n, keys, 2, "a mapping {allow: [paths], deny: [paths]}", p,
			   parse_exec_list);
}

/* "10.0.0.0/8", "2001:db8::/32", "10.1.2.3" (= /32). */
static int parse_cidr(const char *s, struct policy_net_rule *r, char *err, size_t errlen)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;
	unsigned maxp = fam == AF_INET ? 32 : 128, plen = maxp;
	uint8_t a[16] = { 0 };

	if (alen == 0 || alen >= sizeof(addr) || inet_pton(fam, (memcpy(addr, s, alen), addr[alen] = 0, addr), a) != 1) {
		snprintf(err, errlen, "expected an IPv4 or IPv6 CIDR like 10.0.0.0/8 or 2001:db8::/32");
		return -1;
	}
	if (slash) {
		uint64_t v;

		if (strlen(slash + 1) > 3 || parse_u64(slash + 1, &v) || v > maxp) {
			snprintf(err, errlen, "expected a prefix length 0..%u after '/'", maxp);
			return -1;
		}
		plen = (unsigned)v;
	}
	/* host bits must be zero */
	uint8_t net[16];
	memcpy(net, a, 16);
	for (unsigned b = plen; b < maxp; b++)
		net[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	if (memcmp(net, a, 16)) {
		char sug[INET6_ADDRSTRLEN];

		inet_ntop(fam, net, sug, sizeof(sug));
		snprintf(err, errlen, "expected a network address with the host bits zero (did you mean %s/%u?)",
			 sug, plen);
		return -1;
	}
	memcpy(r->addr, a, 16);
	r->family = fam == AF_INET ? POLICY_INET : POLICY_INET6;
	r->prefix_len = (uint8_t)plen;
	return 0;
}

static int parse_port(const struct ynode *it, uint16_t *lo, uint16_t *hi)
{
	const char *s = it->str, *dash;
	uint64_t a, b;
	char tmp[16];

	if (!strcmp(s, "any")) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	dash = strchr(s, '-');
	if (!dash) {
		if (parse_u64(s, &a) || a < 1 || a > 65535)
			return -1;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(tmp) || strlen(s) > 11)
		return -1;
	memcpy(tmp, s, (size_t)(dash - s));
	tmp[dash - s] = 0;
	if (parse_u64(tmp, &a) || parse_u64(dash + 1, &b) || a > 65535 || b > 65535 || a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static uint32_t net_specificity(const struct policy_net_rule *r)
{
	return ((uint32_t)r->prefix_len << 18) | ((uint32_t)(r->proto != POLICY_PROTO_ANY) << 17) |
	       (uint32_t)(65535 - (r->port_hi - r->port_lo));
}

/* A network rule while it is compiled: its CIDRs and port ranges, whose cross
 * product it stands for. */
struct net_rule_parts {
	struct policy_net_rule base;			/* action, protocol, source index */
	struct policy_net_rule cidrs[2 * POLICY_MAX_LIST];	/* "any": one per family */
	const struct ynode *cidr_at[2 * POLICY_MAX_LIST];
	uint32_t ncidr;
	uint16_t plo[POLICY_MAX_LIST], phi[POLICY_MAX_LIST];
	uint32_t nport;
};

static int cidr_item(struct perr_ctx *c, const struct ynode *it, uint32_t j, void *ctx)
{
	struct net_rule_parts *x = ctx;
	char got[96], err[256];

	if (!it || it->type != YN_SCALAR || ynode_is_null(it)) {
		perr(c, it, "expected an IPv4 or IPv6 CIDR like 10.0.0.0/8, got %s",
		     ynode_describe(it, got, sizeof(got)));
		return -1;
	}
	if (!strcmp(it->str, "any")) {
		if (x->ncidr + 2 <= 2 * POLICY_MAX_LIST) {
			x->cidrs[x->ncidr] = x->base;
			x->cidrs[x->ncidr].family = POLICY_INET;
			x->cidr_at[x->ncidr++] = it;
			x->cidrs[x->ncidr] = x->base;
			x->cidrs[x->ncidr].family = POLICY_INET6;
			x->cidr_at[x->ncidr++] = it;
		}
	} else if (x->ncidr < 2 * POLICY_MAX_LIST) {
		x->cidrs[x->ncidr] = x->base;
		if (parse_cidr(it->str, &x->cidrs[x->ncidr], err, sizeof(err))) {
			perr(c, it, "%s, got %s", err, ynode_describe(it, got, sizeof(got)));
			return -1;
		}
		x->cidr_at[x->ncidr++] = it;
	}
	return 0;
}

/* cidrs: a CIDR, "any" or a list of them; absent: every address of both families. */
static int parse_net_cidrs(struct perr_ctx *c, const struct ynode *r, const struct ynode *cn,
			   struct net_rule_parts *x)
{
	size_t o;
	int err;

	if (!cn) {
		x->cidrs[0] = x->base;
		x->cidrs[0].family = POLICY_INET;
		x->cidrs[1] = x->base;
		x->cidrs[1].family = POLICY_INET6;
		x->cidr_at[0] = x->cidr_at[1] = r;
		x->ncidr = 2;
		return 0;
	}
	o = path_push_key(c, "cidrs");
	err = each_item(c, cn, "CIDR", cidr_item, x);
	path_pop(c, o);
	return err;
}

static int port_item(struct perr_ctx *c, const struct ynode *it, uint32_t j, void *ctx)
{
	struct net_rule_parts *x = ctx;
	char got[96];

	if (!it || it->type != YN_SCALAR || ynode_is_null(it) ||
	    parse_port(it, &x->plo[x->nport], &x->phi[x->nport])) {
		perr(c, it, "expected a port 1..65535, a range like "
		     "\"8000-8080\" (0..65535, low <= high) or any, got %s",
		     ynode_describe(it, got, sizeof(got)));
		return -1;
	}
	x->nport++;
	return 0;
}

/* ports: a port, a range, "any" or a list of them; absent: every port. */
static int parse_net_ports(struct perr_ctx *c, const struct ynode *pn, bool proto_given,
			   struct net_rule_parts *x)
{
	int err = 0;
	size_t o;

	if (!pn) {
		x->plo[0] = 0;
		x->phi[0] = 65535;
		x->nport = 1;
		return 0;
	}
	o = path_push_key(c, "ports");
	if (x->base.proto == POLICY_PROTO_ICMP && proto_given) {
		perr(c, pn, "can never match: ICMP has no ports; remove ports or "
		     "use protocol tcp, udp or any");
		err = -1;
	}
	if (each_item(c, pn, "port", port_item, x))
		err = -1;
	path_pop(c, o);
	return err;
}

/* Append the rule's compiled rules (one per CIDR and port range) to direction dir. */
static int add_net_rules(struct perr_ctx *c, const struct ynode *r, struct policy *p, int dir,
			 const struct net_rule_parts *x, const char *field)
{
	for (uint32_t a = 0; a < x->ncidr; a++) {
		for (uint32_t b = 0; b < x->nport; b++) {
			struct policy_net_rule nr = x->cidrs[a];
			struct policy_src *src;

			nr.action = x->base.action;
			nr.proto = x->base.proto;
			nr.port_lo = x->plo[b];
			nr.port_hi = x->phi[b];
			nr.specificity = net_specificity(&nr);
			if (p->n_net[dir] >= POLICY_MAX_NET_RULES) {
				perr(c, x->cidr_at[a], "too many %s rules: at most %u compiled rules "
				     "(one per CIDR and port range) per direction",
				     dir ? "ingress" : "egress", POLICY_MAX_NET_RULES);
				return -1;
			}
			if (!p->net[dir]) {
				p->net[dir] = calloc(POLICY_MAX_NET_RULES, sizeof(*p->net[dir]));
				p->net_src[dir] = calloc(POLICY_MAX_NET_RULES, sizeof(*p->net_src[dir]));
				if (!p->net[dir] || !p->net_src[dir]) {
					perr(c, r, "out of memory");
					return -1;
				}
			}
			p->net[dir][p->n_net[dir]] = nr;
			src = &p->net_src[dir][p->n_net[dir]];
			src->line = x->cidr_at[a]->line;
			src->col = x->cidr_at[a]->col;
			snprintf(src->field, sizeof(src->field), "%s", field);
			p->n_net[dir]++;
		}
	}
	return 0;
}

/* One rule {cidrs, ports, protocol, action} of direction dir, the i-th of its list. */
static int parse_net_rule(struct perr_ctx *c, const struct ynode *r, struct policy *p, int dir,
			  uint32_t i)
{
	static const char *const keys[] = { "cidrs", "ports", "protocol", "action" };
	static const char *const protos[] = { "any", "tcp", "udp", "icmp" };
	static const uint8_t proto_val[] = { POLICY_PROTO_ANY, POLICY_PROTO_TCP, POLICY_PROTO_UDP,
					     POLICY_PROTO_ICMP };
	const struct ynode *cn, *pn, *prn;
	struct net_rule_parts x;
	char field[96];
	int bad = 0, v;
	size_t o;

	x.base = (struct policy_net_rule){ .port_lo = 0, .port_hi = 65535, .src = i };
	x.ncidr = x.nport = 0;
	snprintf(field, sizeof(field), "%.95s", c->path);
	if (check_map(c, r, keys, ARRAY_SIZE(keys),
		      "a network rule mapping {cidrs, ports, protocol, action}"))
		return -1;
	cn = ymap_get(r, "cidrs");
	pn = ymap_get(r, "ports");
	prn = ymap_get(r, "protocol");
	if (rule_action(c, r, &x.base.action))
		bad = 1;

	if (prn) {
		o = path_push_key(c, "protocol");
		if ((v = get_enum(c, prn, protos, ARRAY_SIZE(protos))) < 0)
			bad = 1;
		else
			x.base.proto = proto_val[v];
		path_pop(c, o);
	}
	if (parse_net_cidrs(c, r, cn, &x))
		bad = 1;
	if (parse_net_ports(c, pn, prn != NULL, &x))
		bad = 1;
	if (!bad && add_net_rules(c, r, p, dir, &x, field))
		bad = 1;
	return bad ? -1 : 0;
}

static int parse_net_dir(struct perr_ctx *c, const struct ynode *n, struct policy *p, int dir)
{
	return each_rule(c, n, "rules ({cidrs, ports, protocol, action})", p, dir, parse_net_rule);
}

static int parse_network(struct perr_ctx *c, const struct ynode *n, struct policy *p)
{
	static const char *const keys[] = { "egress", "ingress" };

	return parse_keyed(c, n, keys, 2, "a mapping {egress: [rules], ingress: [rules]}", p,
			   parse_net_dir);
}

static int parse_escape(struct perr_ctx *c, const struct ynode *n, struct policy *p)
{
	int err = 0;

	if (check_map(c, n, policy_escape_names, POLICY_ESC_COUNT,
		      "a mapping of escape protections to true, false, alert or enforce"))
		return -1;
	for (int i = 0; i < POLICY_ESC_COUNT; i++) {
		const struct ynode *v = ymap_get(n, policy_escape_names[i]);
		uint32_t bit = 1u << i;
		char got[96];

		if (!v)
			continue;
		size_t o = path_push_key(c, policy_escape_names[i]);
		p->escape.alert_only &= ~bit;
		p->escape.enforce &= ~bit;
		if (v->type == YN_SCALAR && v->plain && !strcmp(v->str, "alert")) {
			p->escape.enabled |= bit;
			p->escape.alert_only |= bit;
		} else if (v->type == YN_SCALAR && v->plain && !strcmp(v->str, "enforce")) {
			p->escape.enabled |= bit;
			p->escape.enforce |= bit;
		} else if (v->type == YN_SCALAR && v->plain &&
			   (!strcasecmp(v->str, "true") || !strcasecmp(v->str, "false"))) {
			uint8_t b = 0;

			if (get_bool(c, v, &b))
				err = -1;
			else if (b)
				p->escape.enabled |= bit;
			else
				p->escape.enabled &= ~bit;
		} else {
			perr(c, v, "expected true, false, alert or enforce, got %s",
			     ynode_describe(v, got, sizeof(got)));
			err = -1;
		}
		path_pop(c, o);
	}
	return err;
}

static int parse_anomaly(struct perr_ctx *c, const struct ynode *n, struct policy *p)
{
	static const char *const keys[] = { "enabled", "sensitivity", "learningWindow", "learn", "thresholds" };
	static const char *const tkeys[] = { "forksPerSecond", "execsPerSecond", "connectsPerSecond",
					     "cpuPercent", "memory", "egressBytesPerSecond" };
	static const char *const sens[] = { "low", "medium", "high" };
	struct policy_anomaly *a = &p->anomaly;
	const struct ynode *v, *t;
	uint64_t x;
	int err = 0, s;
	size_t o;

	if (check_map(c, n, keys, ARRAY_SIZE(keys),
		      "a mapping {enabled, sensitivity, learningWindow, learn, thresholds}"))
		return -1;
	if ((v = ymap_get(n, "enabled"))) {
		o = path_push_key(c, "enabled");
		if (get_bool(c, v, &a->enabled))
			err = -1;
		path_pop(c, o);
	}
	if ((v = ymap_get(n, "sensitivity"))) {
		o = path_push_key(c, "sensitivity");
		if ((s = get_enum(c, v, sens, 3)) < 0)
			err = -1;
		else
			a->sensitivity = (uint8_t)(s + 1);
		path_pop(c, o);
	}
	if ((v = ymap_get(n, "learningWindow"))) {
		o = path_push_key(c, "learningWindow");
		if (get_duration(c, v, 60, 30 * 86400, &x))
			err = -1;
		else
			a->learn_seconds = (uint32_t)x;
		path_pop(c, o);
	}
	/* learn: 0 (off, the default) or a window of 60 s to 30 d. */
	if ((v = ymap_get(n, "learn"))) {
		o = path_push_key(c, "learn");
		if (v->type == YN_SCALAR && v->plain && (!strcmp(v->str, "0") || !strcmp(v->str, "off")))
			a->learn_mode_seconds = 0;
		else if (get_duration(c, v, 60, 30 * 86400, &x))
			err = -1;
		else
			a->learn_mode_seconds = (uint32_t)x;
		path_pop(c, o);
	}
	if (!(t = ymap_get(n, "thresholds")))
		return err;
	size_t ot = path_push_key(c, "thresholds");
	if (check_map(c, t, tkeys, ARRAY_SIZE(tkeys), "a mapping of thresholds")) {
		path_pop(c, ot);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tkeys); i++) {
		if (!(v = ymap_get(t, tkeys[i])))
			continue;
		o = path_push_key(c, tkeys[i]);
		switch (i) {
		case 0: case 1: case 2:
			if (get_uint(c, v, 0, 1000000, "a rate per second", &x))
				err = -1;
			else if (i == 0)
				a->fork_per_sec = (uint32_t)x;
			else if (i == 1)
				a->exec_per_sec = (uint32_t)x;
			else
				a->connect_per_sec = (uint32_t)x;
			break;
		case 3:
			if (get_uint(c, v, 0, 100000, "a percentage of one CPU", &x))
				err = -1;
			else
				a->cpu_percent = (uint32_t)x;
			break;
		case 4:
			if (get_quantity(c, v, 1ull << 50, &x))
				err = -1;
			else
				a->memory_bytes = x;
			break;
		default:
			if (get_quantity(c, v, 1ull << 50, &x))
				err = -1;
			else
				a->egress_bytes_per_sec = x;
			break;
		}
		path_pop(c, o);
	}
	path_pop(c, ot);
	return err;
}

static int parse_selector(struct perr_ctx *c, const struct ynode *n, struct policy *p)
{
	int err = 0;
	uint32_t total = 0;
	char got[96], msg[256];

	if (check_map(c, n, policy_sel_names, POLICY_SEL_COUNT,
		      "a mapping {namespaces, pods, containers, cgroups}"))
		return -1;
	for (int f = 0; f < POLICY_SEL_COUNT; f++) {
		const struct ynode *l = ymap_get(n, policy_sel_names[f]);
		struct ynode *const *items;
		uint32_t cnt;
		int rc;

		if (!l)
			continue;
		size_t o = path_push_key(c, policy_sel_names[f]);
		rc = get_list(c, l, "glob", &items, &cnt);
		if (rc == -1) {
			err = -1;
			path_pop(c, o);
			continue;
		}
		p->selector.patterns[f] = calloc(cnt, sizeof(char *));
		if (!p->selector.patterns[f]) {
			perr(c, l, "out of memory");
			path_pop(c, o);
			return -1;
		}
		for (uint32_t j = 0; j < cnt; j++) {
			const struct ynode *it = LIST_ITEM(l, items, rc, j);
			size_t o3 = rc == -2 ? c->plen : path_push_idx(c, j);
			char out[POLICY_SELECTOR_MAX];
			int bad = 0;

			if (!it || it->type != YN_SCALAR || ynode_is_null(it)) {
				perr(c, it, "expected a name or glob, got %s",
				     ynode_describe(it, got, sizeof(got)));
				bad = 1;
			} else if (f == POLICY_SEL_CGROUP) {
				uint8_t kind;
				uint32_t spec;

				if (pattern_parse_path(it->str, out, sizeof(out), &kind, &spec, msg,
						       sizeof(msg))) {
					perr(c, it, "%s (a cgroup path like /kubepods/**/nginx-*), got %s",
					     msg, ynode_describe(it, got, sizeof(got)));
					bad = 1;
				} else if (kind == POLICY_PAT_PREFIX && strcmp(out, "/")) {
					/* "/a/" selects /a and below: store as glob "/a/ **" */
					size_t l2 = strlen(out);

					if (l2 + 2 < sizeof(out))
						memcpy(out + l2, "**", 3);
				} else if (kind == POLICY_PAT_PREFIX) {
					strcpy(out, "/**");
				}
			} else if (pattern_parse_name(it->str, f, out, sizeof(out), msg, sizeof(msg))) {
				perr(c, it, "%s, got %s", msg, ynode_describe(it, got, sizeof(got)));
				bad = 1;
			}
			if (bad) {
				err = -1;
			} else {
				for (uint32_t k = 0; k < p->selector.n[f]; k++)
					if (!strcmp(p->selector.patterns[f][k], out))
						pwarn(c, it, "listed twice");
				p->selector.patterns[f][p->selector.n[f]] = strdup(out);
				if (!p->selector.patterns[f][p->selector.n[f]]) {
					perr(c, it, "out of memory");
					err = -1;
				} else {
					p->selector.n[f]++;
					total++;
				}
			}
			path_pop(c, o3);
		}
		path_pop(c, o);
	}
	if (!err && !total)
		perr(c, n, "expected at least one of namespaces, pods, containers, cgroups: an "
		     "empty selector would match every container (use kind: NodeDefault for a "
		     "node-wide default)");
	return err || !total ? -1 : 0;
}

/* ---- compile-time checks: rules that can never decide ---------------------- */

/* Rules ordered by (kind, pattern), then source order: equal patterns side by side. */
static __thread const struct policy_path_rule *shadow_tab;	/* per thread: files parse in parallel */
static int shadow_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = (int)shadow_tab[x].kind - (int)shadow_tab[y].kind;

	if (!r)
		r = strcmp(shadow_tab[x].pattern, shadow_tab[y].pattern);
	return r ? r : (x < y ? -1 : x > y);
}

static void check_path_shadow(struct perr_ctx *c, struct policy_path_rule *t,
			      struct policy_src *s, uint32_t n, int is_exec)
{
	/*
	 * Only rules of the same kind and pattern can shadow each other: sort
	 * once and compare within each run of equal ones (not every pair, with
	 * a strcmp each). grp[i]: where rule i's run starts in ord; glen: its length.
	 */
	uint32_t *ord = malloc((n + 1) * sizeof(*ord)), *grp = malloc((n + 1) * sizeof(*grp));
	uint32_t *glen = malloc((n + 1) * sizeof(*glen));

	if (!ord || !grp || !glen)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		ord[i] = i;
	shadow_tab = t;
	qsort(ord, n, sizeof(*ord), shadow_cmp);
	for (uint32_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && t[ord[b]].kind == t[ord[a]].kind &&
		     !strcmp(t[ord[b]].pattern, t[ord[a]].pattern); b++)
			;
		for (uint32_t k = a; k < b; k++) {
			grp[ord[k]] = a;
			glen[ord[k]] = b - a;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint16_t deny_cover = 0;
		int reported = 0;

		if (glen[i] < 2)
			continue;
		/* the run is in source order: j < i exactly as in a scan of the whole table */
		for (uint32_t k = grp[i]; k < grp[i] + glen[i]; k++) {
			uint32_t j = ord[k];

			if (j == i)
				continue;
			if (t[j].action == POLICY_DENY)
				deny_cover |= t[j].ops;
			if (j < i && t[j].action == t[i].action && (t[j].ops & t[i].ops) == t[i].ops &&
			    !reported) {
				perr_at(c, 1, s[i].line, s[i].col, s[i].field,
					"redundant: %s already %ss \"%s\"%s", s[j].field,
					t[i].action ? "denie" : "allow", t[i].pattern,
					is_exec ? "" : " for these ops");
				reported = 1;
			}
		}
		if (t[i].action == POLICY_ALLOW && (deny_cover & t[i].ops) == t[i].ops) {
			char ops[96];

			policy_ops_format(t[i].ops, ops, sizeof(ops));
			if (is_exec)
				perr_at(c, 0, s[i].line, s[i].col, s[i].field,
					"can never match: \"%s\" is also denied, and deny beats allow "
					"at equal specificity", t[i].pattern);
			else
				perr_at(c, 0, s[i].line, s[i].col, s[i].field,
					"can never match: \"%s\" (%s) is denied for the same ops by "
					"another rule, and deny beats allow at equal specificity",
					t[i].pattern, ops);
		}
	}
out:
	free(ord);
	free(grp);
	free(glen);
}

static int net_same(const struct policy_net_rule *a, const struct policy_net_rule *b)
{
	return a->family == b->family && a->prefix_len == b->prefix_len &&
	       !memcmp(a->addr, b->addr, 16) && a->proto == b->proto &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi;
}

static void check_net_shadow(struct perr_ctx *c, struct policy_net_rule *t, struct policy_src *s,
			     uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < n; j++) {
			if (j == i || !net_same(&t[i], &t[j]))
				continue;
			if (t[i].action == POLICY_ALLOW && t[j].action == POLICY_DENY) {
				perr_at(c, 0, s[i].line, s[i].col, s[i].field,
					"can never match: %s denies the same addresses, protocol and "
					"ports, and deny beats allow at equal specificity", s[j].field);
				break;
			}
			if (j < i && t[i].action == t[j].action) {
				perr_at(c, 1, s[i].line, s[i].col, s[i].field,
					"redundant: %s already has the same match", s[j].field);
				break;
			}
		}
	}
}

/* Sort key: most specific first, deny before allow, then source order. */
struct sort_ent { uint32_t spec, action, order; };

static void sort_rules(void *tab, struct policy_src *src, uint32_t n, size_t esz,
		       uint32_t (*spec)(const void *), uint8_t (*action)(const void *))
{
	/*
	 * A stable merge sort of the sort keys, then one permutation of the
	 * rules: n <= 256 rules of up to 272 bytes are moved once each, not
	 * once per inversion (an insertion sort of big rows was a tenth of a load).
	 */
	struct sort_ent *a, *b;
	char *tcopy;
	struct policy_src *scopy;

	if (n < 2)
		return;
	a = malloc(n * sizeof(*a));
	b = malloc(n * sizeof(*b));
	tcopy = malloc(n * esz);
	scopy = malloc(n * sizeof(*scopy));
	if (!a || !b || !tcopy || !scopy)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		a[i].spec = spec((char *)tab + i * esz);
		a[i].action = action((char *)tab + i * esz);
		a[i].order = i;
	}
	for (uint32_t w = 1; w < n; w *= 2) {
		for (uint32_t lo = 0; lo < n; lo += 2 * w) {
			uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			uint32_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi) {
				/* the left one first unless the right one sorts strictly before it */
				int right = a[j].spec > a[i].spec ||
					    (a[j].spec == a[i].spec && a[j].action > a[i].action);

				b[k++] = right ? a[j++] : a[i++];
			}
			while (i < mid)
				b[k++] = a[i++];
			while (j < hi)
				b[k++] = a[j++];
		}
		struct sort_ent *t = a;

		a = b;
		b = t;
	}
	memcpy(tcopy, tab, n * esz);
	memcpy(scopy, src, n * sizeof(*scopy));
	for (uint32_t i = 0; i < n; i++) {
		memcpy((char *)tab + i * esz, tcopy + a[i].order * esz, esz);
		src[i] = scopy[a[i].order];
	}
out:
	free(a);
	free(b);
	free(tcopy);
	free(scopy);
}

static uint32_t path_spec(const void *r) { return ((const struct policy_path_rule *)r)->specificity; }
static uint8_t path_act(const void *r) { return ((const struct policy_path_rule *)r)->action; }
static uint32_t net_spec(const void *r)
{
	const struct policy_net_rule *n = r;

	/* IPv4 rules first, then IPv6: families never compete */
	return n->specificity | (n->family == POLICY_INET ? 0x80000000u : 0);
}
static uint8_t net_act(const void *r) { return ((const struct policy_net_rule *)r)->action; }

/* ---- the document -------------------------------------------------------- */

static int valid_policy_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= POLICY_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && !((ch == '-' || ch == '.') && i > 0 && i + 1 < len))
			return 0;
	}
	return 1;
}

/* apiVersion and kind (p->node_default). */
static int parse_header(struct perr_ctx *c, const struct ynode *root, struct policy *p)
{
	static const char *const kinds[] = { "Policy", "NodeDefault" };
	const struct ynode *v;
	const char *s;
	char got[96];
	int err = 0, k;
	size_t o;

	o = path_push_key(c, "apiVersion");
	if (!(v = ymap_get(root, "apiVersion"))) {
		perr(c, root, "required: " API_VERSION);
		err = -1;
	} else if (get_str(c, v, API_VERSION, &s) == 0 && strcmp(s, API_VERSION)) {
		perr(c, v, "expected " API_VERSION ", got %s", ynode_describe(v, got, sizeof(got)));
		err = -1;
	}
	path_pop(c, o);

	o = path_push_key(c, "kind");
	if (!(v = ymap_get(root, "kind"))) {
		perr(c, root, "required: Policy or NodeDefault");
		err = -1;
		k = 0;
	} else if ((k = get_enum(c, v, kinds, 2)) < 0) {
		err = -1;
		k = 0;
	}
	p->node_default = (uint8_t)k;
	path_pop(c, o);
	return err;
}

/* metadata: name (required), description. */
static int parse_metadata(struct perr_ctx *c, const struct ynode *root, struct policy *p)
{
	static const char *const meta_keys[] = { "name", "description" };
	const struct ynode *meta, *v;
	const char *s;
	char got[96];
	int err = 0;
	size_t o;

	o = path_push_key(c, "metadata");
	meta = ymap_get(root, "metadata");
	if (!meta) {
		perr(c, root, "required: a mapping with name");
		err = -1;
	} else if (meta->type == YN_MAP && ymap_get(meta, "namespace")) {
		size_t o2 = path_push_key(c, "namespace");
		perr(c, ymap_get(meta, "namespace"),
		     "unknown key: policies are not namespaced; select namespaces with "
		     "spec.selector.namespaces");
		path_pop(c, o2);
		err = -1;
	}
	if (meta && !check_map(c, meta, meta_keys, ARRAY_SIZE(meta_keys), "a mapping with name")) {
		size_t o2 = path_push_key(c, "name");
		if (!(v = ymap_get(meta, "name"))) {
			perr(c, meta, "required: the policy's name");
			err = -1;
		} else if (get_str(c, v, "a name", &s)) {
			err = -1;
		} else if (!valid_policy_name(s)) {
			perr(c, v, "expected a name of lowercase letters, digits, '-' and '.', "
			     "starting and ending with a letter or digit, at most %d characters, got %s",
			     POLICY_NAME_MAX - 1, ynode_describe(v, got, sizeof(got)));
			err = -1;
		} else {
			snprintf(p->name, sizeof(p->name), "%s", s);
		}
		path_pop(c, o2);
		if ((v = ymap_get(meta, "description"))) {
			o2 = path_push_key(c, "description");
			if (get_str(c, v, "a string", &s))
				err = -1;
			else if (!(p->description = strdup(s)))
				err = -1;
			path_pop(c, o2);
		}
	} else if (meta) {
		err = -1;
	}
	path_pop(c, o);
	return err;
}

/* spec.selector (v): required of a Policy, refused in a NodeDefault. */
static int spec_selector(struct perr_ctx *c, const struct ynode *spec, const struct ynode *v,
			 struct policy *p)
{
	if (p->node_default && v) {
		perr(c, v, "a NodeDefault applies to every container no other policy "
		     "selects; remove the selector or use kind: Policy");
		return -1;
	}
	if (!p->node_default && !v) {
		perr(c, spec, "required: which containers this policy applies to "
		     "(namespaces, pods, containers, cgroups); use kind: NodeDefault for a "
		     "node-wide default");
		return -1;
	}
	return v && parse_selector(c, v, p) ? -1 : 0;
}

/* spec.mode (v): enforce | audit | {all, file, exec, network, escape}; enforce if absent. */
static int spec_mode(struct perr_ctx *c, const struct ynode *spec, const struct ynode *v,
		     struct policy *p)
{
	memset(p->mode, POLICY_ENFORCE, sizeof(p->mode));
	return v && parse_action_map(c, v, section_names, POLICY_SEC_COUNT, mode_names, 2, p->mode,
				     POLICY_SEC_COUNT, POLICY_ENFORCE) ? -1 : 0;
}

/* spec.defaults (v): {file, exec, egress, ingress}; allow where absent. */
static int spec_defaults(struct perr_ctx *c, const struct ynode *spec, const struct ynode *v,
			 struct policy *p)
{
	static const char *const def_keys[] = { "file", "exec", "egress", "ingress" };
	static const char *const def_file_keys[] = { "read", "write", "create", "delete", "rename",
						     "link", "setattr", "exec" };
	const struct ynode *w;
	int err = 0, a;

	memset(p->file_default, POLICY_ALLOW, sizeof(p->file_default));
	p->exec_default = POLICY_ALLOW;
	p->net_default[0] = p->net_default[1] = POLICY_ALLOW;
	if (!v)
		return 0;
	if (check_map(c, v, def_keys, ARRAY_SIZE(def_keys), "a mapping {file, exec, egress, ingress}"))
		return -1;
	if ((w = ymap_get(v, "file"))) {
		size_t o3 = path_push_key(c, "file");
		if (parse_action_map(c, w, def_file_keys, POLICY_OP_COUNT, action_names, 2,
				     p->file_default, POLICY_OP_COUNT, POLICY_ALLOW))
			err = -1;
		path_pop(c, o3);
	}
	for (int i = 1; i < 4; i++) {
		if (!(w = ymap_get(v, def_keys[i])))
			continue;
		size_t o3 = path_push_key(c, def_keys[i]);
		if ((a = get_enum(c, w, action_names, 2)) < 0)
			err = -1;
		else if (i == 1)
			p->exec_default = (uint8_t)a;
		else
			p->net_default[i - 2] = (uint8_t)a;
		path_pop(c, o3);
	}
	return err;
}

/*
 * The parts of spec, each under its own field path: selector, mode and
 * defaults (which have a meaning when absent), then the rule sections.
 */
static int parse_spec(struct perr_ctx *c, const struct ynode *spec, struct policy *p)
{
	static const struct {
		const char *key;
		int (*parse)(struct perr_ctx *c, const struct ynode *spec, const struct ynode *v,
			     struct policy *p);
	} parts[] = {
		{ "selector", spec_selector }, { "mode", spec_mode }, { "defaults", spec_defaults },
	};
	static const struct {
		const char *key;
		int (*parse)(struct perr_ctx *c, const struct ynode *v, struct policy *p);
	} sections[] = {
		{ "file", parse_file }, { "exec", parse_exec }, { "network", parse_network },
		{ "escape", parse_escape }, { "anomaly", parse_anomaly },
	};
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		size_t o = path_push_key(c, parts[i].key);

		if (parts[i].parse(c, spec, ymap_get(spec, parts[i].key), p))
			err = -1;
		path_pop(c, o);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct ynode *v = ymap_get(spec, sections[i].key);
		size_t o;

		if (!v)
			continue;
		o = path_push_key(c, sections[i].key);
		if (sections[i].parse(c, v, p))
			err = -1;
		path_pop(c, o);
	}
	return err;
}

/* Rules that can never decide, on whatever compiled (to report every error at once). */
static void check_shadows(struct perr_ctx *c, struct policy *p)
{
	check_path_shadow(c, p->file, p->file_src, p->n_file, 0);
	check_path_shadow(c, p->exec, p->exec_src, p->n_exec, 1);
	for (int d = 0; d < 2; d++)
		check_net_shadow(c, p->net[d], p->net_src[d], p->n_net[d]);
}

/* Evaluation order: most specific first, deny before allow, then source order. */
static void sort_tables(struct policy *p)
{
	sort_rules(p->file, p->file_src, p->n_file, sizeof(*p->file), path_spec, path_act);
	sort_rules(p->exec, p->exec_src, p->n_exec, sizeof(*p->exec), path_spec, path_act);
	for (int d = 0; d < 2; d++)
		sort_rules(p->net[d], p->net_src[d], p->n_net[d], sizeof(struct policy_net_rule),
			   net_spec, net_act);
}

/* The tables were allocated for the most rules a policy may have: keep what is used. */
static void shrink(void **tab, uint32_t n, size_t esz)
{
	void *t;

	if (!*tab || !n)
		return;
	t = realloc(*tab, n * esz);
	if (t)
		*tab = t;
}

static void shrink_tables(struct policy *p)
{
	shrink((void **)&p->file, p->n_file, sizeof(*p->file));
	shrink((void **)&p->file_src, p->n_file, sizeof(*p->file_src));
	shrink((void **)&p->exec, p->n_exec, sizeof(*p->exec));
	shrink((void **)&p->exec_src, p->n_exec, sizeof(*p->exec_src));
	for (int d = 0; d < 2; d++) {
		shrink((void **)&p->net[d], p->n_net[d], sizeof(*p->net[d]));
		shrink((void **)&p->net_src[d], p->n_net[d], sizeof(*p->net_src[d]));
	}
}

int policy_compile_doc(struct perr_ctx *c, const struct ydoc *d, struct policy *p)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec" };
	static const char *const spec_keys[] = { "selector", "mode", "defaults", "file", "exec",
						 "network", "escape", "anomaly" };
	const struct ynode *root = d->root, *spec;
	size_t start_errors, o;
	char got[96];
	int err = 0;

	c->plen = 0;
	c->path[0] = 0;
	p->line = d->line;
	p->col = d->col;
	p->escape.enabled = POLICY_ESC_DEFAULT;
	p->anomaly.enabled = 1;
	p->anomaly.sensitivity = 2;
	p->anomaly.learn_seconds = 600;

	if (!root || root->type != YN_MAP) {
		perr_at(c, 0, root ? root->line : d->line, root ? root->col : d->col, NULL,
			"expected a policy document (a mapping with apiVersion, kind, metadata, "
			"spec), got %s", ynode_describe(root, got, sizeof(got)));
		return -1;
	}
	start_errors = c->errs->n_errors;
	check_map(c, root, top, ARRAY_SIZE(top), "a mapping");
	if (parse_header(c, root, p))
		err = -1;
	if (parse_metadata(c, root, p))
		err = -1;

	o = path_push_key(c, "spec");
	spec = ymap_get(root, "spec");
	if (!spec) {
		perr(c, root, "required: the policy's spec");
		path_pop(c, o);
		return -1;
	}
	if (check_map(c, spec, spec_keys, ARRAY_SIZE(spec_keys), "a mapping")) {
		path_pop(c, o);
		return -1;
	}
	if (parse_spec(c, spec, p))
		err = -1;
	path_pop(c, o);

	check_shadows(c, p);
	if (err || c->errs->n_errors != start_errors)
		return -1;
	sort_tables(p);
	shrink_tables(p);
	return 0;
}

static void *dup_mem(const void *src, size_t n, int *oom)
{
	void *d;

	if (!src || !n)
		return NULL;
	d = malloc(n);
	if (!d) {
		*oom = 1;
		return NULL;
	}
	return memcpy(d, src, n);
}

int policy_copy_meta(struct policy *dst, const struct policy *src)
{
	int oom = 0;

	*dst = *src;
	dst->file = dst->exec = NULL;
	dst->net[0] = dst->net[1] = NULL;
	dst->tables_dropped = 1;
	for (int f = 0; f < POLICY_SEL_COUNT; f++) {
		dst->selector.patterns[f] = dup_mem(src->selector.patterns[f],
						    src->selector.n[f] * sizeof(char *), &oom);
		if (!dst->selector.patterns[f])
			dst->selector.n[f] = 0;
		for (uint32_t i = 0; i < dst->selector.n[f]; i++)
			if (!(dst->selector.patterns[f][i] = strdup(src->selector.patterns[f][i])))
				oom = 1;
	}
	dst->description = src->description ? strdup(src->description) : NULL;
	oom |= src->description && !dst->description;
	dst->file_src = dup_mem(src->file_src, src->n_file * sizeof(*src->file_src), &oom);
	dst->exec_src = dup_mem(src->exec_src, src->n_exec * sizeof(*src->exec_src), &oom);
	for (int d = 0; d < 2; d++)
		dst->net_src[d] = dup_mem(src->net_src[d], src->n_net[d] * sizeof(*src->net_src[d]), &oom);
	if (oom) {
		policy_free_members(dst);
		return -1;
	}
	return 0;
}

void policy_free_members(struct policy *p)
{
	for (int f = 0; f < POLICY_SEL_COUNT; f++) {
		for (uint32_t i = 0; i < p->selector.n[f]; i++)
			free(p->selector.patterns[f][i]);
		free(p->selector.patterns[f]);
	}
	free(p->file);
	free(p->exec);
	free(p->net[0]);
	free(p->net[1]);
	free(p->file_src);
	free(p->exec_src);
	free(p->net_src[0]);
	free(p->net_src[1]);
	free(p->description);
	memset(p, 0, sizeof(*p));
}
