// SPDX-License-Identifier: GPL-2.0
/*
 * The counters metrics does not keep itself, read once a second from where
 * they live (attribution, the loss reports, the outputs) into the exposition.
 * Metrics reads them; none of those modules knows metrics. See metrics.h.
 */
#include "attrib/attrib.h"
#include "metrics/metrics.h"
#include "output/output.h"
#include "telemetry/lost.h"

void metrics_update(struct metrics *m, const struct metrics_sources *src)
{
	struct metrics_agent ag = { 0 };
	struct attrib_stats as = { 0 };
	const char *names[METRICS_MAX_RINGS];
	uint64_t totals[METRICS_MAX_RINGS];

	if (!m || !metrics_port(m))
		return;
	if (src->attr)
		attrib_get_stats(src->attr, &as);
	ag.containers_tracked = as.containers;
	ag.cgroups_tracked = as.entries;
	ag.malformed = src->malformed;
	ag.attr_deferred = as.deferred;
	ag.attr_timeouts = as.timeouts;
	ag.attr_dropped = as.overflow;
	ag.attr_resolutions = as.resolutions;
	ag.nrings = src->lost ? lost_totals(src->lost, names, totals, METRICS_MAX_RINGS) : 0;
	for (size_t i = 0; i < ag.nrings; i++) {
		ag.rings[i].name = names[i];
		ag.rings[i].lost = totals[i];
	}
	ag.nsinks = output_sinks(src->out, ag.sinks, METRICS_MAX_SINKS);
	if (ag.nsinks > METRICS_MAX_SINKS)
		ag.nsinks = METRICS_MAX_SINKS;
	ag.outputs_filtered = output_stats(src->out)->filtered;
	metrics_render(m, &ag);
}
