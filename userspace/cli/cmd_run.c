// SPDX-License-Identifier: GPL-2.0
/* bulkhead run: the agent, in the foreground. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "attrib/attrib.h"
#include "cli/commands.h"
#include "abi/events.h"
#include "lib/log.h"
#include "output/output_remote.h"
#include "output/output_syslog.h"
#include "agent/preflight.h"
#include "attrib/registry.h"

/* Where the option being parsed came from: NULL (command line) or "FILE:LINE". */
static const char *opt_origin;

static void opt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void opt_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bulkhead: %s: ", opt_origin ? opt_origin : "run");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: bulkhead run [options]\n"
"  -p, --policy PATH        policy file or directory (default /etc/bulkhead/policies);\n"
"                           reloaded when it changes on disk, and on SIGHUP\n"
"      --no-policy-watch    reload the policies on SIGHUP only\n"
"      --no-escape-detection  do not load the escape detector (bpf/escape.bpf.c)\n"
"      --no-escape-guard    never refuse escapes with the BPF LSM guard (bpf/guard.bpf.c): the\n"
"                           detector then kills or alerts, as on kernels without BPF LSM\n"
"      --verify-at-start    once ready, run `bulkhead verify` (each enabled escape technique in a\n"
"                           throwaway container) and export bulkhead_protection_verified{technique}\n"
"  -o, --json-file PATH     write JSON lines to PATH (reopened on SIGHUP); default stdout\n"
"      --format json|text   what --json-file gets: JSON lines (default), or one aligned line\n"
"                           a person reads per event (coloured on a terminal unless NO_COLOR)\n"
"      --state-root DIR     container runtime state directory (repeatable; replaces defaults):\n"
"                           runc/crun --root, containerd's <state>/io.containerd.runtime.v2.task\n"
"                           (every namespace), Docker's <data-root>/containers, podman's\n"
"                           <graphroot>/<driver>-containers\n"
"      --cgroup-root DIR    cgroup v2 mount to use (default: found in /proc/self/mounts)\n"
"      --btf FILE           kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
"      --lock-file PATH     single-instance lock (default " BH_LOCK_DEFAULT ")\n"
"      --ringbuf-size BYTES telemetry ring buffer size, power of two (default %u)\n"
"      --drain-ms MS        telemetry batching: its ring is read MS after the first record that\n"
"                           finds it empty, at once when an eighth of it is full (default 500,\n"
"                           1..1000); alerts are read at once\n"
"      --no-fork-events     do not report fork events\n"
"      --containers-only    do not report events of host processes\n"
"      --require-lsm        exit with an error if BPF LSM is not available\n"
"      --attach-cgroup DIR  enforce under this cgroup v2 directory (default: the cgroup2 mount)\n"
"      --pin-dir DIR        bpffs directory of the pinned enforcement (default " BH_PIN_DIR_DEFAULT ")\n"
"      --detach-on-exit     remove enforcement when the agent exits (default: it stays in force)\n"
"      --hold-new-cgroups CGROUP  deny for new cgroups below CGROUP (e.g. /kubepods) until\n"
"                           classified (repeatable, at most %d)\n"
"      --hold-ms MS         longest hold of a new cgroup (default %llu)\n"
"  -c, --config FILE        settings from FILE (YAML: these long options as keys); the\n"
"                           command line overrides them\n"
"outputs (any combination; JSON on stdout if no other event output is set):\n"
"      --syslog             alerts to the local syslog, syslog(3)\n"
"      --syslog-remote URL  alerts to a remote syslog, RFC 5424: udp://HOST:PORT or\n"
"                           tcp://HOST:PORT (octet counting) (repeatable, at most %d)\n"
"      --syslog-facility F  daemon (default), user, auth, authpriv, local0..local7\n"
"      --syslog-all         syslog also gets ordinary events, not only alerts and losses\n"
"      --queue-size BYTES   telemetry queued per output before it is dropped (default %u)\n"
"      --alert-queue-size BYTES  alerts queued per output (default %u)\n"
"      --metrics-addr HOST:PORT  Prometheus /metrics on this address (e.g. 127.0.0.1:9464)\n"
"      --metrics-max-containers N  containers with series of their own (default %d)\n"
"      --bpf-stats          count BPF program runs and run time while the agent runs\n"
"      --defer-ms MS        longest an event waits for its container to be known (default %d)\n"
"anomaly detection (spec.anomaly):\n"
"      --learn DURATION     learning mode for every container (e.g. 10m): what a workload runs,\n"
"                           reaches and listens on in its first DURATION; later, anything new\n"
"                           is a behaviour-anomaly alert (default: each policy's spec.anomaly.learn)\n"
"      --anomaly-state FILE baselines kept here across restarts (default\n"
"                           /var/lib/bulkhead/anomaly.state; \"none\": not kept)\n"
"      --anomaly-warmup DURATION  samples before a baseline may alert (default: each policy's\n"
"                           learningWindow; short values are for tests)\n"
"      --no-anomaly         no anomaly detection\n"
"  -v, --verbose            debug output, including libbpf's\n", BH_RINGBUF_DEFAULT,
		BH_HOLD_PREFIXES, BH_HOLD_NS_DEFAULT / 1000000ull, OUTPUT_MAX_REMOTE,
		OUTPUT_QUEUE_DEFAULT, OUTPUT_ALERT_QUEUE_DEFAULT, METRICS_MAX_CONTAINERS_DEFAULT,
		ATTRIB_DEFER_MS_DEFAULT);
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		opt_err("%s: expected a number from %u to %u, got '%s'", opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* "90", "90s", "10m", "2h", "1d": seconds. */
static int parse_duration(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char num[24];
	size_t len = strlen(s);
	uint32_t mul = 1;

	if (len && len < sizeof(num)) {
		memcpy(num, s, len + 1);
		switch (num[len - 1]) {
		case 's': num[--len] = '\0'; break;
		case 'm': mul = 60; num[--len] = '\0'; break;
		case 'h': mul = 3600; num[--len] = '\0'; break;
		case 'd': mul = 86400; num[--len] = '\0'; break;
		default: break;
		}
		if (len && num[0] != '-' && !parse_u32(opt, num, min / mul, max / mul, out)) {
			*out *= mul;
			if (*out >= min)
				return 0;
		}
	}
	opt_err("%s: expected a duration from %us to %ud like 90s, 10m, 1h, got '%s'", opt, min,
		max / 86400, s);
	return -1;
}

enum { O_STATE = 256, O_CGROUP, O_BTF, O_LOCK, O_RB, O_DRAIN, O_NOFORK, O_CONT, O_LSM,
       O_ATTACH, O_PIN, O_DETACH, O_HOLD, O_HOLD_MS,
       O_SYSLOG, O_SYSLOG_REMOTE, O_SYSLOG_FAC, O_SYSLOG_ALL, O_QUEUE, O_AQUEUE, O_METRICS,
       O_METRICS_MAX, O_BPF_STATS, O_DEFER, O_NO_WATCH, O_NO_DETECT,
       O_LEARN, O_ANOM_STATE, O_ANOM_WARMUP, O_NO_ANOMALY, O_FORMAT, O_VERIFY_START, O_NO_GUARD };
static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json-file", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, O_FORMAT },
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
		{ "config", required_argument, NULL, 'c' },
		{ "syslog", no_argument, NULL, O_SYSLOG },
		{ "syslog-remote", required_argument, NULL, O_SYSLOG_REMOTE },
		{ "syslog-facility", required_argument, NULL, O_SYSLOG_FAC },
		{ "syslog-all", no_argument, NULL, O_SYSLOG_ALL },
		{ "queue-size", required_argument, NULL, O_QUEUE },
		{ "alert-queue-size", required_argument, NULL, O_AQUEUE },
		{ "metrics-addr", required_argument, NULL, O_METRICS },
		{ "metrics-max-containers", required_argument, NULL, O_METRICS_MAX },
		{ "bpf-stats", no_argument, NULL, O_BPF_STATS },
		{ "defer-ms", required_argument, NULL, O_DEFER },
		{ "no-policy-watch", no_argument, NULL, O_NO_WATCH },
		{ "no-escape-detection", no_argument, NULL, O_NO_DETECT },
		{ "verify-at-start", no_argument, NULL, O_VERIFY_START },
		{ "no-escape-guard", no_argument, NULL, O_NO_GUARD },
		{ "learn", required_argument, NULL, O_LEARN },
		{ "anomaly-state", required_argument, NULL, O_ANOM_STATE },
		{ "anomaly-warmup", required_argument, NULL, O_ANOM_WARMUP },
		{ "no-anomaly", no_argument, NULL, O_NO_ANOMALY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
};

/* Options that may be given more than once (a list in the config file). */
static const char *const repeatable[] = { "state-root", "hold-new-cgroups", "syslog-remote", NULL };

struct run_state {
	struct agent_config cfg;
	int nroots, nhold, nremote;
	bool lists_from_file;		/* the lists above came from the config file */
	char origin[512];
};

/*
 * One option of a group (c from getopt_long(), its argument in optarg):
 * 0 taken, 2 (the exit status) on a bad value, -1 not an option of the group.
 */
static int enforce_opt(struct run_state *st, int c)
{
	struct agent_config *cfg = &st->cfg;

	switch (c) {
	case O_ATTACH: cfg->enforce.attach_cgroup = optarg; break;
	case O_PIN: cfg->enforce.pin_dir = optarg; break;
	case O_DETACH: cfg->enforce.detach_on_exit = true; break;
	case O_HOLD:
		if (st->nhold == BH_HOLD_PREFIXES) {
			opt_err("at most %d --hold-new-cgroups", BH_HOLD_PREFIXES);
			return 2;
		}
		if (optarg[0] != '/' || strlen(optarg) < 2 || strlen(optarg) >= BH_HOLD_PREFIX_LEN) {
			opt_err("--hold-new-cgroups '%s': expected a cgroup path below the root, "
				"\"/kubepods\", shorter than %d bytes", optarg, BH_HOLD_PREFIX_LEN);
			return 2;
		}
		cfg->enforce.hold[st->nhold++] = optarg;
		break;
	case O_HOLD_MS:
		if (parse_u32("--hold-ms", optarg, 1, 600000, &cfg->enforce.hold_ms))
			return 2;
		break;
	default:
		return -1;
	}
	return 0;
}

static int output_opt(struct run_state *st, int c)
{
	struct agent_config *cfg = &st->cfg;
	uint32_t v;
	int fac;

	switch (c) {
	case O_SYSLOG: cfg->output.syslog_local = true; break;
	case O_SYSLOG_REMOTE: {
		struct remote_addr ra;

		if (st->nremote == OUTPUT_MAX_REMOTE) {
			opt_err("at most %d --syslog-remote", OUTPUT_MAX_REMOTE);
			return 2;
		}
		if (output_remote_parse(optarg, &ra)) {
			opt_err("--syslog-remote: expected udp://HOST:PORT or tcp://HOST:PORT "
				"([IPv6] in brackets), got '%s'", optarg);
			return 2;
		}
		cfg->output.syslog_remote[st->nremote++] = optarg;
		break;
	}
	case O_SYSLOG_FAC:
		fac = output_syslog_facility(optarg);
		if (fac < 0) {
			opt_err("--syslog-facility: expected daemon, user, auth, authpriv or "
				"local0..local7, got '%s'", optarg);
			return 2;
		}
		cfg->output.syslog_facility = fac;
		break;
	case O_SYSLOG_ALL: cfg->output.syslog_telemetry = true; break;
	case O_FORMAT:
		if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
			opt_err("--format: expected json or text, got '%s'", optarg);
			return 2;
		}
		cfg->output.text = !strcmp(optarg, "text");
		break;
	case O_QUEUE:
	case O_AQUEUE:
		if (parse_u32(c == O_QUEUE ? "--queue-size" : "--alert-queue-size", optarg,
			      64 << 10, 1u << 30, &v))
			return 2;
		if (c == O_QUEUE)
			cfg->output.queue_bytes = v;
		else
			cfg->output.alert_queue_bytes = v;
		break;
	case O_METRICS: cfg->metrics.addr = optarg; break;
	case O_METRICS_MAX:
		if (parse_u32("--metrics-max-containers", optarg, 0, 100000, &v))
			return 2;
		cfg->metrics.max_containers = v ? v : 1;
		break;
	case O_BPF_STATS: cfg->metrics.bpf_stats = true; break;
	default:
		return -1;
	}
	return 0;
}

/*
 * Parse one argument vector: the config file's (lines given) or the command
 * line's. Returns -1 to go on, else the exit status (0 for --help, 2 on error).
 */
static int parse_args(struct run_state *st, int argc, char **argv, const int *lines, const char *file)
{
	struct agent_config *cfg = &st->cfg;
	int c, r;

	optind = 0;	/* glibc: full re-initialisation of getopt */
	opterr = !file;
	opt_origin = NULL;
	/* A list given on the command line replaces the config file's. */
	if (!file && st->lists_from_file) {
		st->lists_from_file = false;
		for (int i = 0; i < st->nroots; i++)
			cfg->state_roots[i] = NULL;
		for (int i = 0; i < st->nhold; i++)
			cfg->enforce.hold[i] = NULL;
		for (int i = 0; i < st->nremote; i++)
			cfg->output.syslog_remote[i] = NULL;
		st->nroots = st->nhold = st->nremote = 0;
	}
	while ((c = getopt_long(argc, argv, "p:o:c:vh", opts, NULL)) != -1) {
		if (file) {
			snprintf(st->origin, sizeof(st->origin), "%s:%d", file,
				 optind - 1 < argc ? lines[optind - 1] : 0);
			opt_origin = st->origin;
		}
		switch (c) {
		case 'p': cfg->policy_path = optarg; break;
		case 'o': cfg->json_path = optarg; break;
		case O_STATE:
			if (st->nroots == AGENT_MAX_STATE_ROOTS) {
				opt_err("at most %d --state-root", AGENT_MAX_STATE_ROOTS);
				return 2;
			}
			cfg->state_roots[st->nroots++] = optarg;
			break;
		case O_CGROUP: cfg->cgroup_root = optarg; break;
		case O_BTF: cfg->btf_path = optarg; break;
		case O_LOCK: cfg->lock_path = optarg; break;
		case O_RB:
			if (parse_u32("--ringbuf-size", optarg, 4096, 1u << 30, &cfg->ringbuf_bytes))
				return 2;
			if (cfg->ringbuf_bytes & (cfg->ringbuf_bytes - 1)) {
				opt_err("--ringbuf-size: %u is not a power of two", cfg->ringbuf_bytes);
				return 2;
			}
			break;
		case O_DRAIN:
			if (parse_u32("--drain-ms", optarg, 1, 1000, &cfg->drain_ms))
				return 2;
			break;
		case O_NOFORK: cfg->fork_events = false; break;
		case O_NO_WATCH: cfg->no_policy_watch = true; break;
		case O_NO_DETECT: cfg->escape_detection = false; break;
		case O_VERIFY_START: cfg->verify_at_start = true; break;
		case O_NO_GUARD: cfg->enforce.no_escape_guard = true; break;
		case O_CONT: cfg->containers_only = true; break;
		case O_LSM: cfg->require_lsm = true; break;
		case 'c':
			break;	/* read before everything else: cmd_run() */
		case O_DEFER:
			if (parse_u32("--defer-ms", optarg, 1, 10000, &cfg->defer_ms))
				return 2;
			break;
		case O_LEARN:
			if (parse_duration("--learn", optarg, 1, 30 * 86400, &cfg->learn_s))
				return 2;
			break;
		case O_ANOM_STATE:
			cfg->anomaly_state = strcmp(optarg, "none") ? optarg : "";
			break;
		case O_ANOM_WARMUP:
			if (parse_duration("--anomaly-warmup", optarg, 1, 30 * 86400, &cfg->anomaly_warmup_s))
				return 2;
			break;
		case O_NO_ANOMALY: cfg->no_anomaly = true; break;
		case 'v': cfg->verbose = true; break;
		case 'h': usage(stdout); return 0;
		default:
			r = enforce_opt(st, c);
			if (r < 0)
				r = output_opt(st, c);
			if (r > 0)
				return r;
			if (!r)
				break;
			if (file)
				opt_err("bad setting '%s'", argv[optind - 1 < argc ? optind - 1 : 0]);
			else
				usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		opt_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (file)
		st->lists_from_file = true;
	return -1;
}

int cmd_run(int argc, char **argv)
{
	static struct run_state st = {
		.cfg = {
			.policy_path = "/etc/bulkhead/policies",
			.lock_path = BH_LOCK_DEFAULT,
			.ringbuf_bytes = BH_RINGBUF_DEFAULT,
			.wakeup_bytes = BH_WAKEUP_BYTES_DEFAULT,
			.drain_ms = 500,
			.fork_events = true,
			.escape_detection = true,
		},
	};
	static struct agent_config_args fargs;	/* the config file's strings live as long as cfg */
	struct agent_config *cfg = &st.cfg;
	const char *cpath = agent_config_path(argc, argv);
	char err[512];
	int ret;

	if (cpath) {
		if (!cpath[0]) {
			fprintf(stderr, "bulkhead: run: --config needs a file\n");
			return 2;
		}
		if (agent_config_load(cpath, opts, repeatable, &fargs, err, sizeof(err))) {
			fprintf(stderr, "bulkhead: %s\n", err);
			return 2;
		}
		ret = parse_args(&st, fargs.argc, fargs.argv, fargs.lines, cpath);
		if (ret >= 0)
			return ret;
	}
	ret = parse_args(&st, argc, argv, NULL, NULL);
	if (ret >= 0)
		return ret;
	for (int i = 0; !st.nroots && registry_default_state_roots[i] && i < AGENT_MAX_STATE_ROOTS; i++)
		cfg->state_roots[i] = registry_default_state_roots[i];
	if (cfg->wakeup_bytes > cfg->ringbuf_bytes / 4)
		cfg->wakeup_bytes = cfg->ringbuf_bytes / 4;
	log_init(cfg->verbose, 0);
	log_setup_libbpf();
	return agent_run(cfg);
}
