/* SPDX-License-Identifier: GPL-2.0 */
/* One event as one JSON object (the schema is documented in README.md). */
#ifndef BULKHEAD_EVENT_JSON_H
#define BULKHEAD_EVENT_JSON_H

#include "pipeline/event.h"
#include "lib/json_writer.h"

/*
 * Append the event's object to w (no newline), as a new document: the writer
 * must be at the top level (after json_reset() or json_next_document()).
 * The container member is ev->container_json when set (cached per container
 * by userspace/attrib/attrib.c), else formatted from ev->container.
 */
void event_to_json(struct json_writer *w, const struct event *ev);
/* The "container" member alone, with its separator (used by the loss reports). */
void event_json_container(struct json_writer *w, const struct container_info *c);
/* The same member as raw bytes, "container":{...}, for a cache (no separator). */
void event_json_container_member(struct json_writer *w, const struct container_info *c);

#endif
