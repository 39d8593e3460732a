/* SPDX-License-Identifier: GPL-2.0 */
/* One event as one JSON object (the schema is documented in README.md). */
#ifndef BULKHEAD_EVENT_JSON_H
#define BULKHEAD_EVENT_JSON_H

#include "event.h"
#include "json_writer.h"

/* Append the event's object to w (no newline). */
void event_to_json(struct json_writer *w, const struct event *ev);
/* The "container" member alone (also used by the loss reports). */
void event_json_container(struct json_writer *w, const struct container_info *c);

#endif
