// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead unload [--pin-dir DIR]: end enforcement that outlived its agent.
 * Detaches every pinned enforcement link and removes the pinned maps and the
 * pin directory. Exit 0 (also when nothing was pinned), 1 on failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "enforce/enforce.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bulkhead unload [--pin-dir DIR]\n"
		"  Detach the enforcement programs a (stopped or killed) agent left in force\n"
		"  and remove their pins.\n"
		"  --pin-dir DIR   the agent's --pin-dir (default " BH_PIN_DIR_DEFAULT ")\n");
}

int cmd_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = BH_PIN_DIR_DEFAULT;
	char err[512] = "";
	struct stat st;
	int c, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': dir = optarg; break;
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
	n = enforce_unload(dir, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "bulkhead: %s\n", err[0] ? err : strerror(-n));
		return 1;
	}
	printf("unload: %d link%s detached, pins under %s removed\n", n, n == 1 ? "" : "s", dir);
	return 0;
}
