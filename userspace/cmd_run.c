// SPDX-License-Identifier: GPL-2.0
/* bulkhead run: the agent, in the foreground. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "events.h"
#include "log.h"
#include "preflight.h"
#include "registry.h"


static void usage(FILE *f)
{
	fprintf(f,
"usage: bulkhead run [options]\n"
"  -p, --policy PATH        policy file or directory (default /etc/bulkhead/policies)\n"
"  -o, --json-file PATH     write JSON lines to PATH (reopened on SIGHUP); default stdout\n"
"      --state-root DIR     container runtime state directory (repeatable; replaces defaults)\n"
"      --cgroup-root DIR    cgroup v2 mount to use (default: found in /proc/self/mounts)\n"
"      --btf FILE           kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
"      --lock-file PATH     single-instance lock (default " BH_LOCK_DEFAULT ")\n"
"      --ringbuf-size BYTES telemetry ring buffer size, power of two (default %u)\n"
"      --drain-ms MS        ring buffer drain period (default 50)\n"
"      --no-fork-events     do not report fork events\n"
"      --containers-only    do not report events of host processes\n"
"      --require-lsm        exit with an error if BPF LSM is not available\n"
"      --attach-cgroup DIR  enforce under this cgroup v2 directory (default: the cgroup2 mount)\n"
"      --pin-dir DIR        bpffs directory of the pinned enforcement (default " BH_PIN_DIR_DEFAULT ")\n"
"      --detach-on-exit     remove enforcement when the agent exits (default: it stays in force)\n"
"      --hold-new-cgroups CGROUP  deny for new cgroups below CGROUP (e.g. /kubepods) until\n"
"                           classified (repeatable, at most %d)\n"
"      --hold-ms MS         longest hold of a new cgroup (default %llu)\n"
"  -v, --verbose            debug output, including libbpf's\n", BH_RINGBUF_DEFAULT,
		BH_HOLD_PREFIXES, BH_HOLD_NS_DEFAULT / 1000000ull);
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "bulkhead: run: %s: expected a number from %u to %u, got '%s'\n",
			opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	enum { O_STATE = 256, O_CGROUP, O_BTF, O_LOCK, O_RB, O_DRAIN, O_NOFORK, O_CONT, O_LSM,
	       O_ATTACH, O_PIN, O_DETACH, O_HOLD, O_HOLD_MS };
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json-file", required_argument, NULL, 'o' },
		{ "state-root", required_argument, NULL, O_STATE },
		{ "cgroup-root", required_argument, NULL, O_CGROUP },
		{ "btf", required_argument, NULL, O_BTF },
		{ "lock-file", required_argument, NULL, O_LOCK },
		{ "ringbuf-size", required_argument, NULL, O_RB },
		{ "drain-ms", required_argument, NULL, O_DRAIN },
		{ "no-fork-events", no_argument, NULL, O_NOFORK },
		{ "containers-only", no_argument, NULL, O_CONT },
		{ "require-lsm", no_argument, NULL, O_LSM },
		{ "attach-cgroup", required_argument, NULL, O_ATTACH },
		{ "pin-dir", required_argument, NULL, O_PIN },
		{ "detach-on-exit", no_argument, NULL, O_DETACH },
		{ "hold-new-cgroups", required_argument, NULL, O_HOLD },
		{ "hold-ms", required_argument, NULL, O_HOLD_MS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct agent_config cfg = {
		.policy_path = "/etc/bulkhead/policies",
		.lock_path = BH_LOCK_DEFAULT,
		.ringbuf_bytes = BH_RINGBUF_DEFAULT,
		.wakeup_bytes = BH_WAKEUP_BYTES_DEFAULT,
		.drain_ms = 50,
		.fork_events = true,
	};
	int c, nroots = 0, nhold = 0;

	while ((c = getopt_long(argc, argv, "p:o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': cfg.policy_path = optarg; break;
		case 'o': cfg.json_path = optarg; break;
		case O_STATE:
			if (nroots == AGENT_MAX_STATE_ROOTS) {
				fprintf(stderr, "bulkhead: run: at most %d --state-root\n", AGENT_MAX_STATE_ROOTS);
				return 2;
			}
			cfg.state_roots[nroots++] = optarg;
			break;
		case O_CGROUP: cfg.cgroup_root = optarg; break;
		case O_BTF: cfg.btf_path = optarg; break;
		case O_LOCK: cfg.lock_path = optarg; break;
		case O_RB:
			if (parse_u32("--ringbuf-size", optarg, 4096, 1u << 30, &cfg.ringbuf_bytes))
				return 2;
			if (cfg.ringbuf_bytes & (cfg.ringbuf_bytes - 1)) {
				fprintf(stderr, "bulkhead: run: --ringbuf-size: %u is not a power of two\n",
					cfg.ringbuf_bytes);
				return 2;
			}
			break;
		case O_DRAIN:
			if (parse_u32("--drain-ms", optarg, 1, 1000, &cfg.drain_ms))
				return 2;
			break;
		case O_NOFORK: cfg.fork_events = false; break;
		case O_CONT: cfg.containers_only = true; break;
		case O_LSM: cfg.require_lsm = true; break;
		case O_ATTACH: cfg.enforce.attach_cgroup = optarg; break;
		case O_PIN: cfg.enforce.pin_dir = optarg; break;
		case O_DETACH: cfg.enforce.detach_on_exit = true; break;
		case O_HOLD:
			if (nhold == BH_HOLD_PREFIXES) {
				fprintf(stderr, "bulkhead: run: at most %d --hold-new-cgroups\n", BH_HOLD_PREFIXES);
				return 2;
			}
			cfg.enforce.hold[nhold++] = optarg;
			break;
		case O_HOLD_MS:
			if (parse_u32("--hold-ms", optarg, 1, 600000, &cfg.enforce.hold_ms))
				return 2;
			break;
		case 'v': cfg.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bulkhead: run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	for (int i = 0; !nroots && registry_default_state_roots[i] && i < AGENT_MAX_STATE_ROOTS; i++)
		cfg.state_roots[i] = registry_default_state_roots[i];
	if (cfg.wakeup_bytes > cfg.ringbuf_bytes / 4)
		cfg.wakeup_bytes = cfg.ringbuf_bytes / 4;
	log_init(cfg.verbose, 0);
	log_setup_libbpf();
	return agent_run(&cfg);
}
