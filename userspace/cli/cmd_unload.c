// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead unload [--pin-dir DIR] [--wait SECONDS]: end enforcement that
 * outlived its agent. Detaches every pinned enforcement link, removes the
 * pinned maps and the pin directory, then returns only once the kernel has
 * freed the links' programs (it may release a link in a work item, a few
 * seconds later under load: 6.12 does), or after --wait seconds (default 10).
 * Exit 0 (also when nothing was pinned) once enforcement is gone; 1 on
 * failure, or when a program is still loaded at the end of the wait.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "enforce/enforce.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bulkhead unload [--pin-dir DIR] [--wait SECONDS]\n"
		"  Detach the enforcement programs a (stopped or killed) agent left in force\n"
		"  and remove their pins; return once the kernel has freed the programs.\n"
		"  --pin-dir DIR   the agent's --pin-dir (default " BH_PIN_DIR_DEFAULT ")\n"
		"  --wait SECONDS  how long to wait for the programs to be freed (default 10)\n");
}

int cmd_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = BH_PIN_DIR_DEFAULT;
	struct enforce_unload_rep rep;
	unsigned wait_ms = ENFORCE_UNLOAD_WAIT_MS;
	char err[512] = "", *end;
	unsigned long w;
	struct stat st;
	int c, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': dir = optarg; break;
		case 'w':
			errno = 0;
			w = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || w > 3600) {
				fprintf(stderr, "bulkhead: unload: --wait '%s': want seconds, 0 to 3600\n",
					optarg);
				return 2;
			}
			wait_ms = (unsigned)w * 1000;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bulkhead: unload: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (stat(dir, &st)) {
		printf("unload: nothing pinned under %s\n", dir);
		return 0;
	}
	n = enforce_unload_report(dir, wait_ms, &rep, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "bulkhead: %s\n", err[0] ? err : strerror(-n));
		return 1;
	}
	printf("unload: %d link%s detached, pins under %s removed\n", n, n == 1 ? "" : "s", dir);
	if (rep.lingering) {
		fprintf(stderr, "bulkhead: unload: %d of %d programs still loaded after %u ms (ids", rep.lingering,
			rep.progs, rep.waited_ms);
		for (int i = 0; i < rep.lingering && i < ENFORCE_UNLOAD_MAX_PROGS; i++)
			fprintf(stderr, " %u", rep.lingering_id[i]);
		fprintf(stderr, "): another process holds them (a running agent?); they may still enforce\n");
		return 1;
	}
	if (rep.progs)
		printf("unload: %d program%s freed after %u ms: nothing of it enforces any more\n", rep.progs,
		       rep.progs == 1 ? "" : "s", rep.waited_ms);
	return 0;
}
