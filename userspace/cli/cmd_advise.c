// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead advise --from EVENTS.json --selector namespace=..,pod=..,container=.. [-o FILE]
 * bulkhead advise --learn SECONDS --selector ... [-o FILE] [-- RUN-OPTIONS...]
 *
 * Write a least-privilege policy from what the selected containers were seen
 * to do (userspace/anomaly/advise.c). With --learn, the agent runs for
 * SECONDS as a child (`bulkhead run` with a learning policy: the selector, every
 * default deny, mode audit, so each exec, write and connection is reported and
 * none is refused), writing its JSON to a temporary file that is then read as
 * with --from. Exit 0 with the policy written, 1 on failure, 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anomaly/advise.h"
#include "cli/commands.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bulkhead advise --from EVENTS.json --selector SEL [-o FILE]\n"
		"       bulkhead advise --learn SECONDS --selector SEL [-o FILE] [-- RUN-OPTIONS...]\n"
		"  Write a least-privilege Policy (exec allow-list, file-write prefixes, egress\n"
		"  allow-list, defaults of deny) from what the selected containers did.\n"
		"  --from FILE        the agent's JSON lines (bulkhead run --json-file)\n"
		"  --learn SECONDS    run the agent (audit only) for SECONDS and learn live;\n"
		"                     options after -- go to bulkhead run (e.g. --state-root)\n"
		"  --selector SEL     namespace=NS,pod=POD,container=NAME (any, at least one)\n"
		"  -o, --output FILE  write the policy there (default: standard output)\n");
}

static int read_events(struct advise *a, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf;
	int c, ret = 0;
	size_t n = 0;
	bool over = false;

	if (!f) {
		fprintf(stderr, "advise: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(ADVISE_LINE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	/* Bounded lines: an overlong one is refused whole, never split. */
	while ((c = getc(f)) != EOF) {
		if (c != '\n') {
			if (n < ADVISE_LINE_MAX + 1)
				buf[n++] = (char)c;
			else
				over = true;
			continue;
		}
		advise_line(a, buf, over ? ADVISE_LINE_MAX + 1 : n);
		n = 0;
		over = false;
	}
	if (n)
		advise_line(a, buf, over ? ADVISE_LINE_MAX + 1 : n);
	if (ferror(f)) {
		fprintf(stderr, "advise: %s: read error\n", path);
		ret = -1;
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

static const char *self_exe(void)
{
	static char p[4096];
	ssize_t n = readlink("/proc/self/exe", p, sizeof(p) - 1);

	if (n <= 0)
		return NULL;
	p[n] = '\0';
	return p;
}

/* The learning policy: the selector, every default deny, audit only. */
static int write_learn_policy(const char *dir, const struct advise_selector *s)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/learn.yaml", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "apiVersion: bulkhead/v1\nkind: Policy\nmetadata:\n  name: advise-learning\n"
		"spec:\n  selector:\n");
	if (s->ns[0])
		fprintf(f, "    namespaces: [%s]\n", s->ns);
	if (s->pod[0])
		fprintf(f, "    pods: [%s]\n", s->pod);
	if (s->container[0])
		fprintf(f, "    containers: [%s]\n", s->container);
	fprintf(f, "  mode: audit\n  defaults:\n    file: {all: allow, write: deny, create: deny, "
		"delete: deny, rename: deny, link: deny, setattr: deny}\n    exec: deny\n    egress: deny\n");
	return fclose(f) ? -1 : 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* Run the agent for secs seconds with the learning policy; its JSON to json. */
static int learn(const struct advise_selector *s, long secs, const char *dir, const char *json,
		 int argc, char **argv)
{
	const char *exe = self_exe();
	char **args = calloc((size_t)argc + 16, sizeof(char *));
	char lock[4200], pins[64];
	struct timespec t0, t;
	int st = 0, n = 0;
	pid_t pid;

	if (!exe || !args || write_learn_policy(dir, s)) {
		fprintf(stderr, "advise: cannot set up learning in %s\n", dir);
		free(args);
		return -1;
	}
	snprintf(lock, sizeof(lock), "%s/agent.lock", dir);
	snprintf(pins, sizeof(pins), "/sys/fs/bpf/bulkhead-advise-%d", (int)getpid());
	args[n++] = (char *)exe;
	args[n++] = "run";
	args[n++] = "--policy";
	args[n++] = (char *)dir;
	args[n++] = "--json-file";
	args[n++] = (char *)json;
	args[n++] = "--lock-file";
	args[n++] = lock;
	/* Its own pins, removed when it stops: learning leaves nothing in force. */
	args[n++] = "--pin-dir";
	args[n++] = pins;
	args[n++] = "--detach-on-exit";
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	pid = fork();
	if (pid < 0) {
		free(args);
		return -1;
	}
	if (pid == 0) {
		execv(exe, args);
		_exit(127);
	}
	free(args);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "advise: learning for %ld s (agent pid %d)\n", secs, (int)pid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			fprintf(stderr, "advise: the agent exited early (status %d)\n", WEXITSTATUS(st));
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (stop || t.tv_sec - t0.tv_sec >= secs)
			break;
		usleep(100000);
	}
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int cmd_advise(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "learn", required_argument, NULL, 'l' },
		{ "selector", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *from = NULL, *sel_s = NULL, *outp = NULL;
	char err[256], dir[] = "/tmp/bulkhead-advise-XXXXXX", json[64];
	struct advise_selector sel;
	struct advise *a = NULL;
	long secs = 0;
	int opt, ret = 1;
	FILE *out = stdout;
	char *e;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': from = optarg; break;
		case 'l':
			secs = strtol(optarg, &e, 10);
			if (*e || secs < 1 || secs > 30 * 86400) {
				fprintf(stderr, "advise: --learn: expected seconds (1 to 2592000), got '%s'\n", optarg);
				return 2;
			}
			break;
		case 's': sel_s = optarg; break;
		case 'o': outp = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!!from == !!secs || !sel_s || (from && optind != argc)) {
		usage(stderr);
		return 2;
	}
	if (advise_parse_selector(sel_s, &sel, err, sizeof(err))) {
		fprintf(stderr, "advise: %s\n", err);
		return 2;
	}
	if (!(a = advise_new(&sel))) {
		fprintf(stderr, "advise: out of memory\n");
		return 1;
	}
	if (secs) {
		if (!mkdtemp(dir)) {
			fprintf(stderr, "advise: %s: %s\n", dir, strerror(errno));
			goto out;
		}
		snprintf(json, sizeof(json), "%s/events.json", dir);
		if (learn(&sel, secs, dir, json, argc - optind, argv + optind) == 0)
			from = json;
	}
	if (!from || read_events(a, from))
		goto out;
	if (outp && !(out = fopen(outp, "w"))) {
		fprintf(stderr, "advise: %s: %s\n", outp, strerror(errno));
		goto out;
	}
	if (advise_write(a, out, secs ? "a learning run" : from) == 0)
		ret = 0;
	if (out != stdout && fclose(out))
		ret = 1;
	if (ret)
		fprintf(stderr, "advise: cannot write the policy\n");
	else
		fprintf(stderr, "advise: %llu lines read, %llu used, %llu malformed, %llu unusable items\n",
			(unsigned long long)advise_stats(a)->lines, (unsigned long long)advise_stats(a)->used,
			(unsigned long long)advise_stats(a)->malformed, (unsigned long long)advise_stats(a)->skipped);
out:
	if (secs) {
		char p[200];

		snprintf(p, sizeof(p), "%s/events.json", dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/learn.yaml", dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/agent.lock", dir);
		unlink(p);
		rmdir(dir);
	}
	advise_free(a);
	return ret;
}
