/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `bulkhead run --format text`: the JSON sink writes one aligned line a person
 * reads instead of each JSON object. The line is made from the event's JSON
 * object (as output.c formats it for every sink), so text and JSON always show
 * the same facts:
 *
 *   05:49:07.416  alert/deny     ns1/pod1/ctr1              CRITICAL escape core-pattern-write: ...
 *
 * time (UTC, HH:MM:SS.mmm), kind/action, namespace/pod/container ("host" for host
 * processes), then what matters for the kind. Every string from the event is
 * hostile: control characters (C0, DEL, C1), bidirectional overrides and
 * backslashes are escaped (\n, \x1b, \u202e, \\), so nothing an event carries
 * can move the cursor or recolour the terminal. Colours (ANSI) only when asked.
 */
#ifndef BULKHEAD_OUTPUT_TEXT_H
#define BULKHEAD_OUTPUT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf;

/* Append one line (with its newline) for the JSON object json[0..len). -1 if
 * it does not parse as an object (a line saying so is appended instead). */
int output_text_format(struct sbuf *b, const char *json, size_t len, bool color);

/* Colour on fd: NO_COLOR unset or empty (no-color.org), and fd a terminal or
 * CLICOLOR_FORCE set and not "0" (a pipe to a filter that ends on a terminal). */
bool output_text_color_wanted(int fd);

#endif
