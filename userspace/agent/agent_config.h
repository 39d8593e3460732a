/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's config file (bulkhead run --config FILE): one YAML mapping
 * whose keys are bulkhead run's long options without the dashes, so every
 * key is also settable on the command line, and the command line wins.
 *
 *   json-file: /var/log/bulkhead/events.json
 *   syslog: true                       # options without a value: true / false
 *   syslog-remote: [tcp://10.0.0.5:6514, udp://10.0.0.6:514]   # repeatable: a list
 *   metrics-addr: 127.0.0.1:9464
 *   ringbuf-size: 16777216
 *
 * The file is turned into "--key=value" arguments (false booleans are left
 * out) and parsed by the same code as the command line, before it; each
 * argument remembers its line, so every error says FILE:LINE. The file is
 * hostile input: its size, its number of keys and the length of values are
 * bounded; anchors, aliases, nested mappings, duplicate and unknown keys are
 * errors.
 */
#ifndef BULKHEAD_AGENT_CONFIG_H
#define BULKHEAD_AGENT_CONFIG_H

#include <getopt.h>
#include <stddef.h>

#define AGENT_CONFIG_MAX_BYTES	(256u << 10)
#define AGENT_CONFIG_MAX_ARGS	256
#define AGENT_CONFIG_MAX_VALUE	4096

struct agent_config_args {
	int argc;
	char **argv;		/* argv[0] is the file name; then "--key[=value]" */
	int *lines;		/* line of argv[i] in the file (1-based) */
};

/*
 * Read path and validate it against opts (getopt_long's table: a key must be
 * a long option; "config" and "help" are refused); only the options named
 * in repeatable (NULL-terminated) take a list. 0, or -1 with
 * "FILE:LINE: reason" in err.
 */
int agent_config_load(const char *path, const struct option *opts, const char *const *repeatable,
		      struct agent_config_args *out, char *err, size_t errlen);
/* The same, from a buffer (tests); name is used in messages. */
int agent_config_parse(const char *name, const char *text, size_t len, const struct option *opts,
		       const char *const *repeatable, struct agent_config_args *out,
		       char *err, size_t errlen);
void agent_config_args_free(struct agent_config_args *a);

/*
 * Find --config FILE / --config=FILE / -c FILE in a command line (before the
 * real parse, so that the file goes first). NULL if absent; "" if the
 * option has no argument.
 */
const char *agent_config_path(int argc, char **argv);

#endif
