// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead verify: each enabled escape protection's technique, tried for real
 * in a throwaway privileged container on this node (userspace/enforce/verify.c),
 * printed as technique -> refused / killed / n/a / NOT PROTECTED.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "abi/enforce.h"
#include "cli/commands.h"
#include "enforce/verify.h"

static int helper_main(int argc, char **argv)
{
	/* "bulkhead verify --helper MODE ARG": the runner's set-up modes, run from a copy on disk. */
	char path[] = "/run/bh-verify-helper.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	if (verify_write_helper(path))
		return 1;
	if (fork() == 0) {
		argv[0] = path;
		execv(path, argv);
		_exit(127);
	}
	usleep(100000);
	unlink(path);	/* the running copy stays valid */
	{
		int st = 0;

		wait(&st);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	(void)argc;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "keep", no_argument, NULL, 'k' },
		{ "helper", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_opts o = { .pin_dir = BH_PIN_DIR_DEFAULT, .cgroup2 = "/sys/fs/cgroup" };
	struct verify_result res[64];
	size_t n = 0;
	int c, failed;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--helper"))
			return helper_main(argc - i - 1, argv + i);
	if (!access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK))
		o.cgroup2 = "/sys/fs/cgroup/unified";
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o.pin_dir = optarg; break;
		case 'r': o.runtime = optarg; break;
		case 'o': o.only = optarg; break;
		case 'k': o.keep = true; break;
		case 'h':
			printf("usage: bulkhead verify [--pin-dir DIR] [--runtime PATH] [--only TECHNIQUE] [--keep]\n\n"
			       "Run each enabled escape protection's technique in a throwaway privileged\n"
			       "container on this node (crun or runc; no image) and print technique ->\n"
			       "refused / killed / n/a / NOT PROTECTED. Exit status 1 if an enabled\n"
			       "protection is NOT PROTECTED, 2 if verify itself could not run.\n");
			return 0;
		default:
			return 2;
		}
	}
	failed = verify_run(&o, res, sizeof(res) / sizeof(res[0]), &n);
	if (failed < 0)
		return 2;
	printf("%-18s %-40s %-26s %s\n", "TECHNIQUE", "WHAT", "OUTCOME", "DETAIL");
	for (size_t i = 0; i < n; i++)
		printf("%-18s %-40s %-26s %s\n", res[i].technique, res[i].what,
		       verify_outcome_name(res[i].outcome), res[i].detail);
	printf("%zu techniques tried, %d NOT PROTECTED\n", n, failed);
	return failed ? 1 : 0;
}
