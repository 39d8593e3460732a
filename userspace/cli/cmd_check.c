// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead check FILE|DIR [--dump] [--cgroup-root DIR]
 *
 * Load a policy file or directory exactly as the agent would, print what
 * loaded (or every error, file:line:col), and which cgroups on this node each
 * selector matches right now. Exit 0 if the set loads, 1 if not, 2 on usage.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "enforce/lowered.h"
#include "policy/policy.h"

#define WALK_MAX_CGROUPS 20000
#define WALK_MAX_DEPTH	 32
#define SHOW_MAX	 10

struct cg_list {
	char **v;
	uint32_t n, cap;
	int truncated;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bulkhead check FILE|DIR [--dump] [--cgroup-root DIR]\n"
		"  Validate policies; print what loaded and which cgroups each selector\n"
		"  matches on this node, or every error. Exit 0 if valid, 1 if not.\n"
		"  --dump              also print the compiled rules as the kernel sees them\n"
		"  --cgroup-root DIR   cgroup v2 tree to match selectors against\n"
		"                      (default: the cgroup2 mount, /sys/fs/cgroup/unified\n"
		"                      on hybrid hosts, /sys/fs/cgroup on pure v2)\n"
		"  --no-cgroups        do not look at this node's cgroups\n");
}

static const char *default_cgroup_root(void)
{
	FILE *m = fopen("/proc/mounts", "re");
	char line[1024], dev[256], dir[512], type[64];
	static char found[512];
	int have = 0;

	if (!m)
		return NULL;
	while (fgets(line, sizeof(line), m)) {
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) != 3 || strcmp(type, "cgroup2"))
			continue;
		/* prefer the well-known places, else the first cgroup2 mount */
		if (!strcmp(dir, "/sys/fs/cgroup/unified") || !strcmp(dir, "/sys/fs/cgroup") || !have) {
			snprintf(found, sizeof(found), "%s", dir);
			have = 1;
			if (strcmp(dir, "/sys/fs/cgroup") == 0 || strcmp(dir, "/sys/fs/cgroup/unified") == 0)
				break;
		}
	}
	fclose(m);
	return have ? found : NULL;
}

static void cg_add(struct cg_list *l, const char *rel)
{
	if (l->n >= WALK_MAX_CGROUPS) {
		l->truncated = 1;
		return;
	}
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->truncated = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(rel)))
		l->n++;
}

/* Depth-first walk of real directories (no symlinks), bounded. */
static void walk(const char *root, const char *rel, int depth, struct cg_list *l)
{
	char path[4096];
	DIR *d;
	struct dirent *de;

	if (depth > WALK_MAX_DEPTH || l->truncated)
		return;
	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d)) && !l->truncated) {
		char sub[4096];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= sizeof(sub))
			continue;
		snprintf(path, sizeof(path), "%s%s", root, sub);
		if (lstat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		cg_add(l, sub);
		walk(root, sub, depth + 1, l);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_node_matches(const struct policy_set *set, const char *root)
{
	struct cg_list l = { 0 };
	uint32_t *count = calloc(set->n_policies + 1, sizeof(*count));
	uint32_t unselected = 0, ties = 0;

	if (!count)
		return;
	walk(root, "", 0, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	printf("\non this node: %u cgroups under %s%s\n", l.n, root,
	       l.truncated ? " (walk stopped at the limit)" : "");
	printf("  (only cgroup paths are known to check: Kubernetes namespace, pod and container\n"
	       "   names come from the container runtime when the agent runs, so selectors on\n"
	       "   them are not evaluated here)\n");
	for (uint32_t i = 0; i < l.n; i++) {
		struct policy_container c = { .cgroup_path = l.v[i] };
		uint32_t tie;
		const struct policy *p = policy_select(set, &c, &tie);

		if (tie)
			ties++;
		if (p && !p->node_default)
			count[p->id]++;
		else
			unselected++;
	}
	for (uint32_t i = 0; i < set->n_policies; i++) {
		const struct policy *p = &set->policies[i];
		uint32_t shown = 0;

		if (p->node_default) {
			printf("  %s: applies to the %u cgroups no other policy selects\n", p->name,
			       unselected);
			continue;
		}
		if (!p->selector.n[POLICY_SEL_CGROUP]) {
			printf("  %s: selects by Kubernetes names only: not evaluated here\n", p->name);
			continue;
		}
		printf("  %s: selects %u cgroups%s\n", p->name, count[p->id],
		       (p->selector.n[POLICY_SEL_NAMESPACE] || p->selector.n[POLICY_SEL_POD] ||
			p->selector.n[POLICY_SEL_CONTAINER]) ?
		       " (also needs Kubernetes names: not evaluated here, so 0)" : "");
		for (uint32_t j = 0; j < l.n && shown < SHOW_MAX; j++) {
			struct policy_container c = { .cgroup_path = l.v[j] };

			if (policy_select(set, &c, NULL) == p) {
				printf("    %s\n", l.v[j]);
				shown++;
			}
		}
		if (count[p->id] > shown)
			printf("    ... and %u more\n", count[p->id] - shown);
	}
	if (!set->node_default)
		printf("  (no NodeDefault: %u cgroups are selected by no policy)\n", unselected);
	if (ties)
		printf("  warning: %u cgroups are matched equally well by two policies; the one "
		       "loaded first applies\n", ties);
	for (uint32_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	free(count);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dump", no_argument, NULL, 'd' },
		{ "cgroup-root", required_argument, NULL, 'c' },
		{ "no-cgroups", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cg_root = NULL;
	int dump = 0, no_cg = 0, opt, ret = 1;
	struct policy_errors errs;
	struct policy_set *set = NULL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dump = 1; break;
		case 'c': cg_root = optarg; break;
		case 'n': no_cg = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	policy_errors_init(&errs);
	set = policy_set_load(argv[optind], &errs);
	policy_errors_print(&errs, stderr);
	if (!set) {
		fprintf(stderr, "check: %s: %u error%s, %u warning%s: not loaded\n", argv[optind],
			errs.n_errors, errs.n_errors == 1 ? "" : "s", errs.n_warnings,
			errs.n_warnings == 1 ? "" : "s");
		goto out;
	}
	{
		/* What the agent would write: refused here as it would be there. */
		struct lowered_need need;
		char why[1024];

		if (lowered_check(set, &need, why, sizeof(why))) {
			fprintf(stderr, "check: %s: %s\n", argv[optind], why);
			goto out;
		}
		printf("check: %s: kernel entries per generation (needed / capacity): "
		       "bh_net_cidr4 %u/%u, bh_net_cidr6 %u/%u, bh_net_ports %u/%u, "
		       "bh_file_paths %u/%u, bh_file_globs %u/%u\n", argv[optind],
		       need.n[LM_NET_CIDR4], lowered_cap[LM_NET_CIDR4],
		       need.n[LM_NET_CIDR6], lowered_cap[LM_NET_CIDR6],
		       need.n[LM_NET_PORTS], lowered_cap[LM_NET_PORTS],
		       need.n[LM_FILE_PATHS], lowered_cap[LM_FILE_PATHS],
		       need.n[LM_FILE_GLOBS], lowered_cap[LM_FILE_GLOBS]);
	}
	printf("check: %s: %u polic%s from %u file%s loaded (%u warning%s)\n", argv[optind],
	       set->n_policies, set->n_policies == 1 ? "y" : "ies", set->n_files,
	       set->n_files == 1 ? "" : "s", errs.n_warnings, errs.n_warnings == 1 ? "" : "s");
	policy_set_print_summary(set, stdout);
	if (!no_cg) {
		if (!cg_root)
			cg_root = default_cgroup_root();
		if (cg_root)
			print_node_matches(set, cg_root);
		else
			printf("\non this node: no cgroup v2 mount found; selectors not evaluated\n");
	}
	if (dump) {
		printf("\n");
		policy_set_dump(set, stdout);
	}
	ret = 0;
out:
	policy_set_free(set);
	policy_errors_free(&errs);
	return ret;
}
