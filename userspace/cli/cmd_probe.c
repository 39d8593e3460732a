// SPDX-License-Identifier: GPL-2.0
/* bulkhead probe [--json]: what this kernel supports, decided by loading programs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "lib/log.h"
#include "enforce/probe.h"

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct probe_result r;
	int json = 0, verbose = 0, c;

	while ((c = getopt_long(argc, argv, "jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'v': verbose = 1; break;
		case 'h':
			printf("usage: bulkhead probe [--json] [-v]\n"
			       "Loads tiny BPF programs, and the file and exec LSM programs themselves,\n"
			       "to decide what this kernel supports and the mode the agent will use.\n");
			return 0;
		default:
			return 2;
		}
	}
	log_init(verbose, 0);
	log_setup_libbpf();
	if (geteuid() != 0) {
		fprintf(stderr, "bulkhead: probe: must run as root (loading BPF programs needs "
			"CAP_BPF and CAP_PERFMON or CAP_SYS_ADMIN)\n");
		return 1;
	}
	probe_run(&r, true);
	if (json)
		probe_print_json(stdout, &r);
	else
		probe_print_table(stdout, &r);
	return 0;
}
