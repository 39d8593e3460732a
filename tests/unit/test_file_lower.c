// SPDX-License-Identifier: GPL-2.0
/*
 * File and exec rule lowering against the reference evaluators: random
 * policies (exact, prefix and glob rules, per-op defaults, exec lists) are
 * compiled by the policy language, lowered into the trie layout the kernel
 * reads (file_table_build), and the kernel's lookup (file_table_decide: the
 * longest entry, its precomputed per-op decision, its glob bucket) must give
 * the same action and the same deciding rule as policy_file_decide() and
 * policy_exec_decide() for every op on many paths. Then the same tables on
 * real maps in this kernel: the trie's longest-prefix match finds the node
 * the model finds, and a generation swap leaves nothing of the old one.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "enforce/enforce.h"
#include "enforce/file.h"
#include "policy/policy.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const char *const comps[] = { "etc", "app", "a", "b", "x.conf", "secret.key", "usr", "bin",
				     "python3", "etcd", "sub", "main.conf" };
#define NCOMP (sizeof(comps) / sizeof(comps[0]))
static const char *const opn[] = { "read", "write", "create", "delete", "rename", "link",
				   "setattr", "exec" };

static void rand_pattern(char *buf, size_t len)
{
	int depth = 1 + rnd() % 3, kind = rnd() % 8;
	size_t o = 0;

	for (int i = 0; i < depth; i++)
		o += snprintf(buf + o, len - o, "/%s", comps[rnd() % NCOMP]);
	switch (kind) {
	case 0: case 1: case 2:				/* exact */
		break;
	case 3: case 4:					/* prefix */
		snprintf(buf + o, len - o, "/");
		break;
	case 5:
		snprintf(buf + o, len - o, "/*.conf");
		break;
	case 6:
		snprintf(buf + o, len - o, "/**/%s", comps[rnd() % NCOMP]);
		break;
	default:
		snprintf(buf + o, len - o, "/*/%s/", comps[rnd() % NCOMP]);
		break;
	}
}

static void rand_path(char *buf, size_t len)
{
	int depth = rnd() % 6;
	size_t o = 0;

	buf[0] = '/';
	buf[1] = 0;
	for (int i = 0; i < depth; i++)
		o += snprintf(buf + o, len - o, "/%s", comps[rnd() % NCOMP]);
}

/* A random policy in YAML; NULL if the language rejects it (duplicates). */
static struct policy_set *rand_policy(int nrules)
{
	char y[16384], pat[128];
	size_t o = 0;
	struct policy_errors errs;
	struct policy_set *set;

	o += snprintf(y + o, sizeof(y) - o,
		      "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n"
		      "  selector: {containers: [web]}\n"
		      "  defaults: {file: {all: %s, read: %s, exec: %s}, exec: %s}\n  file:\n",
		      rnd() % 3 ? "allow" : "deny", rnd() % 2 ? "allow" : "deny",
		      rnd() % 2 ? "allow" : "deny", rnd() % 2 ? "allow" : "deny");
	for (int i = 0; i < nrules; i++) {
		int nops = rnd() % 4;

		rand_pattern(pat, sizeof(pat));
		o += snprintf(y + o, sizeof(y) - o, "    - paths: [\"%s\"]\n      action: %s\n", pat,
			      rnd() % 2 ? "allow" : "deny");
		if (nops) {
			o += snprintf(y + o, sizeof(y) - o, "      ops: [");
			for (int k = 0; k < nops; k++)
				o += snprintf(y + o, sizeof(y) - o, "%s%s", k ? ", " : "", opn[rnd() % 8]);
			o += snprintf(y + o, sizeof(y) - o, "]\n");
		}
	}
	o += snprintf(y + o, sizeof(y) - o, "  exec:\n    allow: [");
	for (int i = 0; i < 3; i++) {
		rand_pattern(pat, sizeof(pat));
		o += snprintf(y + o, sizeof(y) - o, "%s\"%s\"", i ? ", " : "", pat);
	}
	o += snprintf(y + o, sizeof(y) - o, "]\n    deny: [");
	for (int i = 0; i < 2; i++) {
		rand_pattern(pat, sizeof(pat));
		o += snprintf(y + o, sizeof(y) - o, "%s\"%s\"", i ? ", " : "", pat);
	}
	snprintf(y + o, sizeof(y) - o, "]\n");
	policy_errors_init(&errs);
	set = policy_set_load_buffer("rand.yaml", y, strlen(y), &errs);
	policy_errors_free(&errs);
	return set;
}

static int compared, policies_built, rejected_by_kernel_limits;

static void check_policy(const struct policy *p)
{
	struct file_table ft, et;
	char err[512], path[256];

	if (file_table_build(p, BH_TAB_FILE, &ft, err, sizeof(err))) {
		rejected_by_kernel_limits++;	/* e.g. more than 8 globs under one prefix */
		return;
	}
	ASSERT_EQ(file_table_build(p, BH_TAB_EXEC, &et, err, sizeof(err)), 0, err);
	policies_built++;
	for (int i = 0; i < 400; i++) {
		if (i < (int)p->n_file && i < 100) {
			/* the patterns themselves, with a '*' made concrete */
			snprintf(path, sizeof(path), "%s", p->file[i].pattern);
			for (char *s = path; *s; s++)
				if (*s == '*')
					*s = 'q';
			size_t l = strlen(path);
			if (l > 1 && path[l - 1] == '/')
				path[l - 1] = 0;
		} else {
			rand_path(path, sizeof(path));
		}
		for (int op = 0; op < POLICY_OP_COUNT; op++) {
			uint32_t rref = 0, kref = 0;
			int want = policy_file_decide(p, path, op, &rref);
			int got = file_table_decide(&ft, path, op, &kref);

			if (got != want || kref != rref) {
				TEST_FAIL("policy %s path %s op %s: reference %d (rule %#x), kernel model "
					  "%d (rule %#x)", p->name, path, opn[op], want, rref, got, kref);
				goto out;
			}
			compared++;
		}
		{
			uint32_t rref = 0, kref = 0;
			int want = policy_exec_decide(p, path, &rref);
			int got = file_table_decide(&et, path, BH_OP_EXEC, &kref);

			if (got != want || kref != rref) {
				TEST_FAIL("exec %s: reference %d (rule %#x), kernel model %d (rule %#x)",
					  path, want, rref, got, kref);
				goto out;
			}
			compared++;
		}
		if (!(i & 3))	/* a name longer than the memo's bits, sometimes */
			strncat(path, "/a-component-that-makes-it-longer-than-sixty-four-bytes",
				sizeof(path) - strlen(path) - 1);
		{
			/* a name a rule (not a default) denies exec by has its length's bit */
			uint32_t fref = 0, eref = 0;
			int fd = policy_file_decide(p, path, POLICY_OP_EXEC, &fref);
			int ed = policy_exec_decide(p, path, &eref);
			bool by_rule = (fd == POLICY_DENY && (fref & POLICY_REF_DEFAULT) != POLICY_REF_DEFAULT) ||
				       (ed == POLICY_DENY && (eref & POLICY_REF_DEFAULT) != POLICY_REF_DEFAULT);

			if (by_rule && !(exec_name_lens(p) & BH_NAME_BIT(strlen(path)))) {
				TEST_FAIL("policy %s: a rule denies exec by the name %s (%zu bytes), its "
					  "length's bit is not in %#llx", p->name, path, strlen(path),
					  (unsigned long long)exec_name_lens(p));
				goto out;
			}
			compared++;
		}
	}
out:
	file_table_free(&ft);
	file_table_free(&et);
}

/* The lengths of invoked names a policy's deny rules could match (bh_file_pol.name_lens). */
static void test_exec_name_lens(void)
{
	static const struct {
		const char *rules;
		uint64_t want;
	} cases[] = {
		/* an exact name: its own length */
		{ "  exec: {deny: [/usr/bin/nc]}\n", 1ull << 11 },
		/* a prefix: its directory's length on, and the long ones */
		{ "  exec: {deny: [/tmp/x/]}\n", ~0ull << 6 | BH_NAME_LONG },
		/* a glob: from its literal directory on */
		{ "  exec: {deny: [\"/opt/*.sh\"]}\n", ~0ull << 4 | BH_NAME_LONG },
		/* a file rule with exec (all ops) counts; one without exec, or an allow, does not */
		{ "  file:\n    - {paths: [/data/f1], action: deny}\n"
		  "    - {paths: [/srv/], ops: [write], action: deny}\n"
		  "    - {paths: [/usr/], action: allow}\n", 1ull << 8 },
		/* an allow-list: no rule checks an invoked name */
		{ "  defaults: {exec: deny}\n  exec: {allow: [/bin/]}\n", 0 },
		/* a name of 64 bytes or more: BH_NAME_LONG */
		{ "  exec: {deny: [/a234567890123456789012345678901234567890123456789012345678901234]}\n",
		  BH_NAME_LONG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_errors errs;
		struct policy_set *set;
		char y[1024];

		snprintf(y, sizeof(y), "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: n}\nspec:\n"
			 "  selector: {containers: [web]}\n%s", cases[i].rules);
		policy_errors_init(&errs);
		set = policy_set_load_buffer("n.yaml", y, strlen(y), &errs);
		policy_errors_free(&errs);
		ASSERT_TRUE(set != NULL, cases[i].rules);
		if (!set)
			return;
		if (exec_name_lens(&set->policies[0]) != cases[i].want)
			TEST_FAIL("%s: name_lens %#llx, want %#llx", cases[i].rules,
				  (unsigned long long)exec_name_lens(&set->policies[0]),
				  (unsigned long long)cases[i].want);
		policy_set_free(set);
		if (test_failed_now)
			return;
	}
}

static void test_random_policies(void)
{
	for (int n = 0; n < 300; n++) {
		struct policy_set *set = rand_policy(1 + n % 24);

		if (!set)
			continue;
		check_policy(&set->policies[0]);
		policy_set_free(set);
		if (test_failed_now)
			return;
	}
	printf("    %d decisions compared over %d policies (%d over the kernel's limits)\n",
	       compared, policies_built, rejected_by_kernel_limits);
	ASSERT_TRUE(policies_built > 100, "enough random policies built");
}

static const char *const doc_example =
	"apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: doc}\nspec:\n"
	"  selector: {containers: [web]}\n"
	"  defaults: {file: {all: allow, exec: deny}}\n"
	"  file:\n"
	"    - {paths: [/etc/], ops: [write, create, delete], action: deny}\n"
	"    - {paths: [/etc/app/], ops: [write, create], action: allow}\n"
	"    - {paths: [/etc/app/secret.key], action: deny}\n"
	"    - {paths: [\"/etc/app/*.conf\"], ops: [write], action: deny}\n"
	"    - {paths: [\"/home/*/.ssh/\"], action: deny}\n";

/* The table of docs/POLICY.md, and the entries and flags it lowers to. */
static void test_doc_example(void)
{
	struct policy_errors errs;
	struct policy_set *set;
	struct file_table t;
	char err[256];
	uint32_t ref;
	const struct { const char *path; int op, deny; } cases[] = {
		{ "/etc/hosts", POLICY_OP_WRITE, 1 }, { "/etc/hosts", POLICY_OP_READ, 0 },
		{ "/etc/app/x.db", POLICY_OP_WRITE, 0 }, { "/etc/app/x.db", POLICY_OP_DELETE, 1 },
		{ "/etc/app/secret.key", POLICY_OP_READ, 1 }, { "/etc/app/main.conf", POLICY_OP_WRITE, 1 },
		{ "/etc/app/sub/main.conf", POLICY_OP_WRITE, 0 }, { "/bin/ls", POLICY_OP_EXEC, 1 },
		{ "/etcd/x", POLICY_OP_WRITE, 0 }, { "/etc", POLICY_OP_WRITE, 1 },
		{ "/home/alice/.ssh", POLICY_OP_READ, 1 }, { "/home/alice/.ssh/id", POLICY_OP_READ, 1 },
		{ "/home/alice/x", POLICY_OP_READ, 0 },
	};
	int anc = 0;

	policy_errors_init(&errs);
	set = policy_set_load_buffer("doc.yaml", doc_example, strlen(doc_example), &errs);
	policy_errors_free(&errs);
	ASSERT_TRUE(set != NULL, "the documented example loads");
	ASSERT_EQ(file_table_build(&set->policies[0], BH_TAB_FILE, &t, err, sizeof(err)), 0, err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int d = file_table_decide(&t, cases[i].path, cases[i].op, &ref);

		if (d != cases[i].deny) {
			TEST_FAIL("%s %s: expected %s", cases[i].path, opn[cases[i].op],
				  cases[i].deny ? "deny" : "allow");
			break;
		}
	}
	for (uint32_t i = 0; i < t.n; i++)
		if ((t.ent[i].node.flags & BH_FN_ANCESTOR) && !strcmp(t.ent[i].key, "/etc/app"))
			anc = 1;
	ASSERT_TRUE(anc, "/etc/app is marked as an ancestor of /etc/app/secret.key");
	ASSERT_TRUE(t.restrict_ops & (1u << POLICY_OP_EXEC), "exec is restricted (default deny)");
	file_table_free(&t);
	policy_set_free(set);
}

/* Patterns the kernel tables cannot hold are refused with a reason, never truncated. */
static void test_limits(void)
{
	char y[2048], pat[300];
	struct policy_errors errs;
	struct policy_set *set;
	struct file_table t;
	char err[256] = "";

	memset(pat, 'a', sizeof(pat));
	pat[0] = '/';
	pat[253] = 0;	/* 253 bytes: over the 251 the trie's keys hold with the NUL */
	snprintf(y, sizeof(y), "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: l}\nspec:\n"
		 "  selector: {containers: [web]}\n  file:\n    - {paths: [\"%s\"], action: deny}\n", pat);
	policy_errors_init(&errs);
	set = policy_set_load_buffer("l.yaml", y, strlen(y), &errs);
	policy_errors_free(&errs);
	ASSERT_TRUE(set != NULL, "a 253-byte pattern is valid policy");
	ASSERT_EQ(file_table_build(&set->policies[0], BH_TAB_FILE, &t, err, sizeof(err)), -E2BIG,
		  "a pattern longer than the kernel keys");
	ASSERT_CONTAINS(err, "longer than the kernel", "the reason");
	policy_set_free(set);
}

/* The glob matcher on its own: the kernel's NFA against the reference. */
static void test_glob_matcher(void)
{
	const char *pats[] = { "/a/*.conf", "/a/**/b", "/a/*/b/**", "/usr/bin/python*", "/**/x",
			       "/a/**", "/*", "/a/*/b/*/c", "/a/**/**/b" };
	const char *paths[] = { "/a/x.conf", "/a/b", "/a/x/y/b", "/a/x/b", "/a/x/b/c/d", "/usr/bin/python3",
				"/usr/bin/python", "/x", "/a/b/x", "/", "/a", "/a/.conf", "/a/x/b/y/c",
				"/a/x.conf/y" };

	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		struct policy_path_rule r = { .kind = POLICY_PAT_GLOB };
		struct file_table t;
		struct policy_set *set;
		struct policy_errors errs;
		char y[512], err[256];

		snprintf(y, sizeof(y), "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: g}\nspec:\n"
			 "  selector: {containers: [web]}\n  file:\n    - {paths: [\"%s\"], action: deny}\n",
			 pats[i]);
		policy_errors_init(&errs);
		set = policy_set_load_buffer("g.yaml", y, strlen(y), &errs);
		policy_errors_free(&errs);
		if (!set)
			continue;	/* normalized into something else, or rejected */
		ASSERT_EQ(file_table_build(&set->policies[0], BH_TAB_FILE, &t, err, sizeof(err)), 0, err);
		r = set->policies[0].file[0];
		for (size_t j = 0; j < sizeof(paths) / sizeof(paths[0]); j++) {
			int want = policy_path_match(&r, paths[j]);
			int got = file_table_decide(&t, paths[j], POLICY_OP_READ, NULL);

			if (want != got) {
				TEST_FAIL("pattern %s path %s: reference %d, kernel model %d", r.pattern,
					  paths[j], want, got);
				break;
			}
		}
		file_table_free(&t);
		policy_set_free(set);
		if (test_failed_now)
			return;
	}
}

/* Real maps: the kernel's LPM trie finds the node the model finds. */
static void test_real_maps(void)
{
	struct file_opts fo = { .mode = FILE_MODE_LOAD_ONLY };
	struct enforce_opts eo = { 0 };
	struct file_lower_stats st = { 0 };
	struct policy_errors errs;
	struct policy_set *set = NULL;
	struct file_table t;
	struct enforce *e = NULL;
	struct file_enf *f = NULL;
	char pin[128], err[512];
	int gen;

	if (geteuid()) {
		printf("    skipped: needs root\n");
		return;
	}
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/bulkhead-test-file-%d", getpid());
	eo.pin_dir = pin;
	e = enforce_open(&eo, err, sizeof(err));
	if (!e) {
		TEST_FAIL("enforce_open: %s", err);
		goto out;
	}
	f = file_open(e, &fo, err, sizeof(err));
	if (!f) {
		TEST_FAIL("file_open: %s", err);
		goto out;
	}
	policy_errors_init(&errs);
	set = policy_set_load_buffer("doc.yaml", doc_example, strlen(doc_example), &errs);
	policy_errors_free(&errs);
	gen = enforce_begin(e);
	if (gen < 0 || file_lower_policy(file_maps_of(f), (uint32_t)gen, &set->policies[0], &st)) {
		TEST_FAIL("lowering into generation %d", gen);
		enforce_abort(e);
		goto out;
	}
	if (enforce_commit(e)) {
		TEST_FAIL("commit");
		goto out;
	}
	if (file_table_build(&set->policies[0], BH_TAB_FILE, &t, err, sizeof(err))) {
		TEST_FAIL("build: %s", err);
		goto out;
	}
	{
		const char *paths[] = { "/etc/app/secret.key", "/etc/app/x", "/etc", "/etcd", "/x",
					"/home/bob/.ssh/k", "/" };
		int fd = file_maps_of(f)->paths;

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			struct bh_file_key k = { 0 };
			struct bh_file_node nd;
			size_t l = strlen(paths[i]) + 1;

			k.prefixlen = 32 + 8 * (uint32_t)l;
			k.scope = BH_FILE_SCOPE(gen, BH_TAB_FILE, set->policies[0].id);
			memcpy(k.path, paths[i], l);
			if (bpf_map_lookup_elem(fd, &k, &nd)) {
				TEST_FAIL("no trie node for %s: %s", paths[i], strerror(errno));
				break;
			}
			for (int op = 0; op < BH_OP_COUNT; op++) {
				uint32_t ref;
				int model = file_table_decide(&t, paths[i], op, &ref);

				if (!nd.nglob && (((nd.deny >> op) & 1) != model || nd.ref[op] != ref)) {
					TEST_FAIL("%s op %s: trie node says %d (%#x), model %d (%#x)", paths[i],
						  opn[op], (nd.deny >> op) & 1, nd.ref[op], model, ref);
					break;
				}
			}
		}
	}
	file_table_free(&t);
	/* A new generation without the policy: nothing of the old one is left. */
	gen = enforce_begin(e);
	ASSERT_TRUE(gen >= 0, "second transaction");
	ASSERT_EQ(enforce_commit(e), 0, "commit of an empty generation");
	{
		struct bh_file_key k;
		int n = 0, fd = file_maps_of(f)->paths;

		while (!bpf_map_get_next_key(fd, n ? &k : NULL, &k))
			n++;
		ASSERT_EQ(n, 0, "trie entries left after the swap");
	}
	printf("    %u nodes, %u globs lowered\n", st.nodes, st.globs);
out:
	policy_set_free(set);
	file_close(f, true);
	enforce_close(e);
	enforce_unload(pin, err, sizeof(err));
}

int main(void)
{
	RUN(test_glob_matcher);
	RUN(test_exec_name_lens);
	RUN(test_doc_example);
	RUN(test_limits);
	RUN(test_random_policies);
	RUN(test_real_maps);
	return test_summary();
}
