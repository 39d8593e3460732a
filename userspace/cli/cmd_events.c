// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead events [options] [FILE]: the agent's JSON lines (its --json-file, or
 * stdin) as aligned lines a person reads, coloured on a terminal: the same
 * line as `run --format text` (output/output_text.c), so a file kept as JSON
 * for machines can still be read by eye, live with --follow.
 *
 * Every line is hostile: lines over EV_LINE_MAX bytes are skipped (counted,
 * said once at the end), a line that is not a JSON object is shown as such,
 * and output_text escapes whatever the event carries.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli/commands.h"
#include "lib/sbuf.h"
#include "output/output_text.h"

#define EV_LINE_MAX	(256u << 10)	/* longer lines are skipped */
#define EV_POLL_US	200000		/* --follow: how often the file is looked at */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bulkhead events [options] [FILE]\n"
		"  Print the agent's JSON events (FILE: its --json-file; '-' or none: stdin) as\n"
		"  aligned lines: time, kind/action, namespace/pod/container, then what matters.\n"
		"  -f, --follow          keep reading FILE as it grows (a rotated or truncated\n"
		"                        file is read again from its start); stop with Ctrl-C\n"
		"  -d, --decisions       only decisions and alerts (action allow, audit, deny,\n"
		"                        alert): no observe telemetry\n"
		"      --color WHEN      auto (default: on a terminal, unless NO_COLOR), always, never\n");
}

struct ev_opts {
	bool decisions;
	bool color;
	unsigned long skipped;		/* lines over EV_LINE_MAX */
};

/* Is this event's top-level "action" "observe"? Unparsable: no (shown as such). */
static bool is_observe(const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *o, *a = NULL;
	bool obs = false;

	if (!tok)
		return false;
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "action", &a) && json_object_is_type(a, json_type_string))
		obs = !strcmp(json_object_get_string(a), "observe");
	json_object_put(o);
	json_tokener_free(tok);
	return obs;
}

static void show(const struct ev_opts *o, const char *line, size_t len)
{
	struct sbuf b = { 0 };

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len)
		return;
	if (o->decisions && is_observe(line, len))
		return;
	output_text_format(&b, line, len, o->color);
	if (b.len)
		fwrite(b.data, 1, b.len, stdout);
	sbuf_free(&b);
}

/*
 * Read what f has now, line by line; a partial last line stays in @part for
 * the next call (--follow). Returns -1 on a read error.
 */
static int drain(struct ev_opts *o, FILE *f, struct sbuf *part, bool *overlong)
{
	char buf[65536];

	for (;;) {
		size_t n = fread(buf, 1, sizeof(buf), f), i, start = 0;

		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			if (*overlong) {
				*overlong = false;	/* the end of a skipped line */
			} else if (part->len + (i - start) > EV_LINE_MAX) {
				o->skipped++;
			} else if (part->len) {
				sbuf_add(part, buf + start, i - start);
				if (!part->oom)
					show(o, part->data, part->len);
			} else {
				show(o, buf + start, i - start);
			}
			part->len = 0;
			start = i + 1;
		}
		if (start < n && !*overlong) {
			if (part->len + (n - start) > EV_LINE_MAX) {
				o->skipped++;
				*overlong = true;
				part->len = 0;
			} else {
				sbuf_add(part, buf + start, n - start);
			}
		}
		if (part->oom) {
			fprintf(stderr, "bulkhead: events: out of memory\n");
			return -1;
		}
		fflush(stdout);
	}
	if (ferror(f)) {
		fprintf(stderr, "bulkhead: events: read: %s\n", strerror(errno));
		return -1;
	}
	clearerr(f);
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "decisions", no_argument, NULL, 'd' },
		{ "color", required_argument, NULL, 'c' },
		{ "colour", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ev_opts o = { 0 };
	const char *color = "auto", *path = NULL;
	struct sbuf part = { 0 };
	bool follow = false, overlong = false;
	struct stat st0;
	FILE *f;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fdh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 'd': o.decisions = true; break;
		case 'c': color = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "bulkhead: events: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!strcmp(color, "auto"))
		o.color = output_text_color_wanted(STDOUT_FILENO);
	else if (!strcmp(color, "always"))
		o.color = true;
	else if (!strcmp(color, "never"))
		o.color = false;
	else {
		fprintf(stderr, "bulkhead: events: --color: expected auto, always or never, got '%s'\n", color);
		return 2;
	}
	if (path && !strcmp(path, "-"))
		path = NULL;
	if (follow && !path) {
		fprintf(stderr, "bulkhead: events: --follow needs a FILE\n");
		return 2;
	}
	f = path ? fopen(path, "re") : stdin;
	if (!f) {
		fprintf(stderr, "bulkhead: events: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (fstat(fileno(f), &st0) == 0 && S_ISDIR(st0.st_mode)) {
		fprintf(stderr, "bulkhead: events: %s: is a directory\n", path);
		fclose(f);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_DFL);

	for (;;) {
		struct stat now, cur;

		if (drain(&o, f, &part, &overlong)) {
			ret = 1;
			break;
		}
		if (!follow || stop)
			break;
		usleep(EV_POLL_US);
		if (stop)
			break;
		/* rotated (a new file at the path) or truncated: start over */
		if (stat(path, &now) == 0 && fstat(fileno(f), &cur) == 0 &&
		    (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev ||
		     now.st_size < ftello(f))) {
			FILE *nf;

			drain(&o, f, &part, &overlong);	/* what the old file still had */
			nf = fopen(path, "re");
			if (nf) {
				fclose(f);
				f = nf;
				part.len = 0;
				overlong = false;
			}
		}
	}
	/* a last line without its newline */
	if (!overlong && part.len && !part.oom)
		show(&o, part.data, part.len);
	fflush(stdout);
	if (o.skipped)
		fprintf(stderr, "bulkhead: events: %lu line%s over %u bytes skipped\n", o.skipped,
			o.skipped == 1 ? "" : "s", EV_LINE_MAX);
	sbuf_free(&part);
	if (f != stdin)
		fclose(f);
	return ret;
}
