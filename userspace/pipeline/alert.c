// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/alert.h"

static const char *const category_names[ALERT_CATEGORY_COUNT] = {
	[ALERT_ESCAPE] = "escape",
	[ALERT_NAMESPACE_CHANGE] = "namespace-change",
	[ALERT_KERNEL_MODULE] = "kernel-module",
	[ALERT_PTRACE] = "ptrace",
	[ALERT_RUNTIME_SOCKET] = "runtime-socket",
	[ALERT_FILELESS_EXEC] = "fileless-exec",
	[ALERT_DRIFT] = "drift",
	[ALERT_SENSITIVE_FILE] = "sensitive-file",
	[ALERT_CGROUP_ESCAPE] = "cgroup-escape",
	[ALERT_PRIVILEGE_ESCALATION] = "privilege-escalation",
	[ALERT_REVERSE_SHELL] = "reverse-shell",
	[ALERT_RECON] = "recon",
	[ALERT_TAMPER] = "tamper",
	[ALERT_RESOURCE_ANOMALY] = "resource-anomaly",
	[ALERT_NETWORK_ANOMALY] = "network-anomaly",
	[ALERT_BEHAVIOUR_ANOMALY] = "behaviour-anomaly",
};

const char *alert_category_name(unsigned c)
{
	return c < ALERT_CATEGORY_COUNT ? category_names[c] : "unknown";
}

int alert_category_parse(const char *name)
{
	for (unsigned c = 0; c < ALERT_CATEGORY_COUNT; c++)
		if (!strcmp(name, category_names[c]))
			return (int)c;
	return -1;
}

const char *alert_severity_name(unsigned s)
{
	static const char *const n[] = { "low", "medium", "high", "critical" };

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

const char *alert_enforcement_name(unsigned e)
{
	static const char *const n[] = { "none", "refused", "killed" };

	return e < sizeof(n) / sizeof(n[0]) ? n[e] : "unknown";
}

static struct alert_evidence *next_slot(struct event_alert *a, const char *key)
{
	struct alert_evidence *e;

	if (a->n_evidence >= ALERT_EVIDENCE_MAX)
		return NULL;
	e = &a->evidence[a->n_evidence++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->numeric = false;
	return e;
}

void alert_evidence_strn(struct event_alert *a, const char *key, const char *value, size_t n)
{
	struct alert_evidence *e = next_slot(a, key);

	if (!e)
		return;
	n = strnlen(value, n);
	if (n >= sizeof(e->value))
		n = sizeof(e->value) - 1;
	memcpy(e->value, value, n);
	e->value[n] = '\0';
}

void alert_evidence_str(struct event_alert *a, const char *key, const char *value)
{
	alert_evidence_strn(a, key, value, ALERT_VALUE_MAX);
}

void alert_evidence_u64(struct event_alert *a, const char *key, uint64_t v)
{
	struct alert_evidence *e = next_slot(a, key);

	if (!e)
		return;
	snprintf(e->value, sizeof(e->value), "%llu", (unsigned long long)v);
	e->numeric = true;
}

void alert_evidence_f64(struct event_alert *a, const char *key, double v)
{
	struct alert_evidence *e = next_slot(a, key);

	if (!e)
		return;
	if (!isfinite(v))
		v = 0;
	snprintf(e->value, sizeof(e->value), "%.3f", v);
	e->numeric = true;
}

const char *alert_evidence_get(const struct event_alert *a, const char *key)
{
	for (unsigned i = 0; i < a->n_evidence && i < ALERT_EVIDENCE_MAX; i++)
		if (!strcmp(a->evidence[i].key, key))
			return a->evidence[i].value;
	return NULL;
}
