/* SPDX-License-Identifier: GPL-2.0 */
/* The agent's subcommands, one file each (cmd_<name>.c). Each returns an exit status. */
#ifndef BULKHEAD_COMMANDS_H
#define BULKHEAD_COMMANDS_H

int cmd_run(int argc, char **argv);	/* cmd_run.c: the agent */
int cmd_probe(int argc, char **argv);	/* cmd_probe.c: kernel capabilities */
int cmd_check(int argc, char **argv);	/* cmd_check.c: validate policies */
int cmd_unload(int argc, char **argv);	/* cmd_unload.c: remove pinned enforcement */
int cmd_verify(int argc, char **argv);	/* cmd_verify.c: try each escape protection for real */
int cmd_advise(int argc, char **argv);	/* cmd_advise.c: a least-privilege policy from behaviour */
int cmd_events(int argc, char **argv);	/* cmd_events.c: JSON events as lines a person reads */

#endif
