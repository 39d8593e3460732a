// SPDX-License-Identifier: GPL-2.0
#include "pipeline/event.h"

const char *event_kind_name(enum event_kind k)
{
	switch (k) {
	case EVENT_EXEC: return "exec";
	case EVENT_FORK: return "fork";
	case EVENT_EXIT: return "exit";
	case EVENT_NET: return "net";
	case EVENT_FILE: return "file";
	case EVENT_EXEC_DENY: return "exec";
	case EVENT_ALERT: return "alert";
	}
	return "unknown";
}

const char *event_action_name(enum event_action a)
{
	switch (a) {
	case ACTION_OBSERVE: return "observe";
	case ACTION_ALLOW: return "allow";
	case ACTION_AUDIT: return "audit";
	case ACTION_DENY: return "deny";
	case ACTION_ALERT: return "alert";
	case ACTION_RESOLVED: return "resolved";
	}
	return "unknown";
}
