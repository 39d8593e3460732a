// SPDX-License-Identifier: GPL-2.0
/* bulkhead: eBPF container isolation enforcer and anomaly monitor. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "lib/version.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run",   cmd_run,   "run the agent: attach, enforce, stream events" },
	{ "probe", cmd_probe, "report what this kernel supports and the mode the agent will use" },
	{ "check", cmd_check, "validate policy files and show what they compile to" },
	{ "unload", cmd_unload, "detach enforcement left in force and remove its pins" },
	{ "verify", cmd_verify, "try each escape protection in a throwaway container" },
	{ "advise", cmd_advise, "write a least-privilege policy from what containers did" },
	{ "events", cmd_events, "show the agent's JSON events as aligned, coloured lines" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bulkhead <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-8s %s\n", "version", "print the version");
	fprintf(f, "\n'bulkhead <command> --help' describes each command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("bulkhead %s\n", BULKHEAD_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "bulkhead: unknown command '%s' (see 'bulkhead --help')\n", argv[1]);
	return 2;
}
