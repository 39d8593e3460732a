// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_json.h"
#include "log.h"
#include "output.h"

struct output {
	struct output_config cfg;
	FILE *json;
	bool json_is_stdout;
	struct json_writer w;
	struct output_stats stats;
};

static FILE *open_json(const char *path)
{
	FILE *f = fopen(path, "ae");

	if (!f)
		log_warn_errno("output: cannot open %s", path);
	return f;
}

struct output *output_new(const struct output_config *cfg)
{
	struct output *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->cfg = *cfg;
	if (!cfg->json_path || !strcmp(cfg->json_path, "-")) {
		o->json = stdout;
		o->json_is_stdout = true;
	} else if (!(o->json = open_json(cfg->json_path))) {
		free(o);
		return NULL;
	}
	json_init(&o->w, o->json);
	return o;
}

void output_emit(struct output *o, const struct event *ev)
{
	if (o->cfg.containers_only && (!ev->container || ev->container->host)) {
		o->stats.filtered++;
		return;
	}
	event_to_json(&o->w, ev);
	if (json_end_line(&o->w))
		o->stats.write_errors++;
	else
		o->stats.emitted++;
}

void output_flush(struct output *o)
{
	if (fflush(o->json) == EOF)
		o->stats.write_errors++;
}

int output_reopen(struct output *o)
{
	FILE *f;

	if (o->json_is_stdout)
		return 0;
	f = open_json(o->cfg.json_path);
	if (!f)
		return -1;
	fclose(o->json);
	o->json = f;
	o->w.out = f;
	return 0;
}

const struct output_stats *output_stats(const struct output *o)
{
	return &o->stats;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	output_flush(o);
	if (!o->json_is_stdout)
		fclose(o->json);
	json_free(&o->w);
	free(o);
}
