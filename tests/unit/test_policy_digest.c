// SPDX-License-Identifier: GPL-2.0
/*
 * The digest of a policy set (struct policy_set.sha256, bulkhead_policy_info): SHA-256
 * against FIPS 180-4's examples, and over the files' bytes in load order (byte order
 * of name), the same for a file loaded from memory.
 */
#include <stdbool.h>
#include <stdlib.h>
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

static void test_vectors(void)
{
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

int main(void)
{
	RUN(test_vectors);
	RUN(test_set_digest);
	RUN(test_configmap_one_directory);
	return test_summary();
}
