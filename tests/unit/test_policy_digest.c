// SPDX-License-Identifier: GPL-2.0
/*
 * The digest of a policy set (struct policy_set.sha256, bulkhead_policy_info): SHA-256
 * against FIPS 180-4's examples, and over the files' bytes in load order (byte order
 * of name), the same for a file loaded from memory.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/sha256.h"
#include "test.h"

static const char *hex_of(const void *data, size_t n)
{
	static char out[65];
	struct sha256 s;
	uint8_t d[32];

	sha256_init(&s);
	sha256_update(&s, data, n);
	sha256_final(&s, d);
	sha256_hex(d, out);
	return out;
}

/* Both ways: with the CPU's SHA instructions where it has them, and without. */
static void test_vectors(void)
{
	for (sha256_portable = 0; sha256_portable < 2; sha256_portable++) {
		static char million[1000000];
		struct sha256 s;
		uint8_t d[32];
		char hex[65];

	ASSERT_STREQ(hex_of("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
	ASSERT_STREQ(hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc");
	ASSERT_STREQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "448 bits");
	memset(million, 'a', sizeof(million));
	ASSERT_STREQ(hex_of(million, sizeof(million)),
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "a million a");
	/* Fed in odd pieces: the same digest. */
	sha256_init(&s);
	for (size_t i = 0, k = 1; i < sizeof(million); i += k, k = k % 97 + 13)
		sha256_update(&s, million + i, i + k > sizeof(million) ? sizeof(million) - i : k);
	sha256_final(&s, d);
	sha256_hex(d, hex);
	ASSERT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "in pieces");
	/* every length around the block size, both ways alike */
	for (size_t n = 0; n < 200; n++) {
		uint8_t d2[32];

		sha256_init(&s);
		sha256_update(&s, million, n);
		sha256_final(&s, d);
		sha256_portable = !sha256_portable;
		sha256_init(&s);
		sha256_update(&s, million, n);
		sha256_final(&s, d2);
		sha256_portable = !sha256_portable;
		if (memcmp(d, d2, 32)) {
			TEST_FAIL("length %zu: the digests differ with and without SHA instructions", n);
			return;
		}
	}
	}
	sha256_portable = 0;
}

static const char A[] = "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: a}\n"
			"spec:\n  selector: {namespaces: [a]}\n";
static const char B[] = "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: b}\n"
			"spec:\n  selector: {namespaces: [b]}\n";

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void test_set_digest(void)
{
	char dir[] = "/tmp/bh-test-digest-XXXXXX", pa[64], pb[64], hex[65], both[sizeof(A) + sizeof(B)];
	struct policy_errors errs;
	struct policy_set *set;

	ASSERT_TRUE(mkdtemp(dir), "mkdtemp");
	snprintf(pa, sizeof(pa), "%s/20-a.yaml", dir);
	snprintf(pb, sizeof(pb), "%s/10-b.yaml", dir);
	ASSERT_TRUE(!write_file(pa, A) && !write_file(pb, B), "write the files");
	policy_errors_init(&errs);
	set = policy_set_load(dir, &errs);
	unlink(pa);
	unlink(pb);
	rmdir(dir);
	ASSERT_TRUE(set, "the set loads");
	sha256_hex(set->sha256, hex);
	snprintf(both, sizeof(both), "%s%s", B, A);	/* 10-b.yaml first */
	ASSERT_STREQ(hex, hex_of(both, strlen(both)), "the files' bytes in load order");
	policy_set_free(set);

	set = policy_set_load_buffer("a.yaml", A, strlen(A), &errs);
	ASSERT_TRUE(set, "from memory");
	sha256_hex(set->sha256, hex);
	ASSERT_STREQ(hex, hex_of(A, strlen(A)), "a buffer: its bytes");
	policy_set_free(set);
	policy_errors_free(&errs);
}

/*
 * A ConfigMap volume caught mid-update: a stale link still names the old
 * directory's file, ..data already names the new one. The load reads the one
 * directory ..data names: policy b alone, never a mix of the two sets.
 */
static void test_configmap_one_directory(void)
{
	char dir[] = "/tmp/bh-test-cm-XXXXXX", p[7][96];
	struct policy_errors errs;
	struct policy_set *set;
	bool ok;

	ASSERT_TRUE(mkdtemp(dir), "mkdtemp");
	snprintf(p[0], sizeof(p[0]), "%s/..v1", dir);
	snprintf(p[1], sizeof(p[1]), "%s/..v2", dir);
	snprintf(p[2], sizeof(p[2]), "%s/..v1/a.yaml", dir);
	snprintf(p[3], sizeof(p[3]), "%s/..v2/b.yaml", dir);
	snprintf(p[4], sizeof(p[4]), "%s/..data", dir);
	snprintf(p[5], sizeof(p[5]), "%s/a.yaml", dir);
	snprintf(p[6], sizeof(p[6]), "%s/b.yaml", dir);
	ok = !mkdir(p[0], 0700) && !mkdir(p[1], 0700) && !write_file(p[2], A) && !write_file(p[3], B) &&
	     !symlink("..v2", p[4]) && !symlink("..v1/a.yaml", p[5]) && !symlink("..data/b.yaml", p[6]);
	policy_errors_init(&errs);
	set = ok ? policy_set_load(dir, &errs) : NULL;
	for (int i = 6; i >= 2; i--)
		unlink(p[i]);
	rmdir(p[1]);
	rmdir(p[0]);
	rmdir(dir);
	ASSERT_TRUE(ok, "make the ConfigMap layout");
	ASSERT_TRUE(set, "the set loads");
	ASSERT_TRUE(set->n_policies == 1 && policy_by_name(set, "b") && !policy_by_name(set, "a"),
		    "only the directory ..data names is read");
	policy_set_free(set);
	policy_errors_free(&errs);
}

/*
 * A reload reuses what a set before compiled from a file with the same bytes
 * (policy_set_load_reusing()): the file is not parsed again, its policies come
 * without rule tables but with the same source, counts and rule sources; a
 * changed file, a file whose policies would change ids, and a file that drew
 * a warning are parsed. The set is otherwise the one a plain load gives.
 */
static const char RA[] = "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: a}\n"
	"spec:\n  selector: {namespaces: [a]}\n  mode: {all: enforce}\n"
	"  file:\n    - paths: [/etc/a]\n      action: deny\n"
	"  network:\n    egress:\n      - cidrs: [10.0.0.0/8]\n        ports: [\"443\"]\n        action: deny\n";
static const char RC[] = "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: c1}\n"
	"spec:\n  selector: {namespaces: [c1]}\n  file:\n    - paths: [/etc/c]\n      action: deny\n"
	"---\napiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: c2}\n"
	"spec:\n  selector: {namespaces: [c2]}\n";
static const char RW[] = "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: w}\n"
	"spec:\n  selector: {namespaces: [w]}\n  file:\n    - paths: [/etc/w]\n      action: deny\n"
	"    - paths: [/etc/w]\n      action: deny\n";	/* redundant: a warning */

/* Loaded reusing prev; policies parsed keep their tables (tables_dropped tells which were reused). */
static struct policy_set *load_in(const char *dir, const struct policy_set *prev, struct policy_errors *e)
{
	const struct policy_set *pv[2] = { NULL, prev };

	return policy_set_load_reusing(dir, e, pv, 2);
}

static bool same_meta(const struct policy *a, const struct policy *b)
{
	return !strcmp(a->name, b->name) && a->id == b->id && !memcmp(a->source, b->source, 32) &&
	       a->n_file == b->n_file && a->n_net[0] == b->n_net[0] && a->line == b->line &&
	       a->selector.n[POLICY_SEL_NAMESPACE] == b->selector.n[POLICY_SEL_NAMESPACE] &&
	       !strcmp(a->selector.patterns[POLICY_SEL_NAMESPACE][0], b->selector.patterns[POLICY_SEL_NAMESPACE][0]) &&
	       (!a->n_file || !strcmp(a->file_src[0].field, b->file_src[0].field)) &&
	       a->mode[POLICY_SEC_FILE] == b->mode[POLICY_SEC_FILE];
}

static void test_reuse_unchanged_files(void)
{
	char dir[] = "/tmp/bh-test-reuse-XXXXXX", pa[64], pb[64], pc[64], px[64], pw[64];
	struct policy_set *s1, *s2, *s3, *plain;
	struct policy_errors e;
	const struct policy *p;

	ASSERT_TRUE(mkdtemp(dir), "mkdtemp");
	snprintf(pa, sizeof(pa), "%s/10-a.yaml", dir);
	snprintf(pb, sizeof(pb), "%s/20-b.yaml", dir);
	snprintf(pc, sizeof(pc), "%s/30-c.yaml", dir);
	snprintf(px, sizeof(px), "%s/15-x.yaml", dir);
	snprintf(pw, sizeof(pw), "%s/40-w.yaml", dir);
	ASSERT_TRUE(!write_file(pa, RA) && !write_file(pb, B) && !write_file(pc, RC) && !write_file(pw, RW),
		    "write the files");
	policy_errors_init(&e);
	s1 = load_in(dir, NULL, &e);
	ASSERT_TRUE(s1 && s1->n_policies == 5 && e.n_warnings == 1, "the first load: 5 policies, 1 warning");
	policy_set_drop_tables(s1);	/* as the policy engine keeps a set in force */

	/* b changes: a, c1, c2 reused; b and w (a warning) parsed */
	write_file(pb, "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: b}\n"
		       "spec:\n  selector: {namespaces: [b2]}\n");
	s2 = load_in(dir, s1, &e);
	ASSERT_TRUE(s2 && s2->n_policies == 5 && e.n_warnings == 2, "the second load: the warning again");
	for (uint32_t i = 0; s2 && i < s2->n_policies; i++) {
		const struct policy *q = &s2->policies[i], *o = policy_by_name(s1, q->name);
		bool reused = !strcmp(q->name, "a") || !strcmp(q->name, "c1") || !strcmp(q->name, "c2");

		if (reused && !(o && same_meta(q, o) && q->tables_dropped)) {
			TEST_FAIL("%s: not copied from the set before", q->name);
			return;
		}
		if (!reused && q->tables_dropped) {
			TEST_FAIL("%s: reused, but its file changed or drew a warning", q->name);
			return;
		}
		ASSERT_TRUE(q->file_name == s2->files[0] || q->file_name == s2->files[1] ||
			    q->file_name == s2->files[2] || q->file_name == s2->files[3],
			    "names a file of its own set");
	}
	plain = policy_set_load(dir, &e);
	ASSERT_TRUE(plain && s2 && !memcmp(plain->sha256, s2->sha256, 32), "the same digest as a plain load");
	ASSERT_TRUE(plain && (p = policy_by_name(plain, "a")) && s2 &&
		    !memcmp(p->source, policy_by_name(s2, "a")->source, 32) &&
		    p->n_net[0] == 1 && p->net[0] && !p->tables_dropped, "a plain load compiles the tables");
	ASSERT_TRUE(plain && s2 && memcmp(policy_by_name(plain, "b")->source,
					  policy_by_name(s1, "b")->source, 32), "a changed file: another source");
	policy_set_free(plain);

	/* a file before c: c1 and c2 would change ids, so c is parsed; a is reused */
	write_file(px, "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: x}\n"
		       "spec:\n  selector: {namespaces: [x]}\n");
	policy_set_drop_tables(s2);
	s3 = load_in(dir, s2, &e);
	ASSERT_TRUE(s3 && s3->n_policies == 6, "the third load");
	ASSERT_TRUE(s3 && s2 && same_meta(policy_by_name(s3, "a"), policy_by_name(s2, "a")), "a: reused");
	ASSERT_TRUE(s3 && policy_by_name(s3, "c1")->id == policy_by_name(s2, "c1")->id + 1 &&
		    !memcmp(policy_by_name(s3, "c1")->source, policy_by_name(s2, "c1")->source, 32) &&
		    !policy_by_name(s3, "c1")->tables_dropped && policy_by_name(s3, "a")->tables_dropped,
		    "c1: a new id, the same source (parsed again)");
	unlink(pa);
	unlink(pb);
	unlink(pc);
	unlink(px);
	unlink(pw);
	rmdir(dir);
	policy_set_free(s1);
	policy_set_free(s2);
	policy_set_free(s3);
	policy_errors_free(&e);
}

/* A copy without tables keeps what anomaly detection and event naming read. */
static void test_copy_meta(void)
{
	struct policy_errors e;
	struct policy_set *s, *c;

	policy_errors_init(&e);
	s = policy_set_load_buffer("a.yaml", RA, strlen(RA), &e);
	ASSERT_TRUE(s, "loads");
	c = s ? policy_set_copy_meta(s) : NULL;
	ASSERT_TRUE(c && c->n_policies == 1 && same_meta(&c->policies[0], &s->policies[0]) &&
		    c->policies[0].tables_dropped && !c->policies[0].net[0] &&
		    c->policies[0].file_name == c->files[0] && !memcmp(c->sha256, s->sha256, 32),
		    "the copy: meta, no tables, its own file names");
	policy_set_free(c);
	policy_set_free(s);
	policy_errors_free(&e);
}

int main(void)
{
	RUN(test_vectors);
	RUN(test_set_digest);
	RUN(test_configmap_one_directory);
	RUN(test_reuse_unchanged_files);
	RUN(test_copy_meta);
	return test_summary();
}
