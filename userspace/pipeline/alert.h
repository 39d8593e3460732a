/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a detector says: the body of a kind "alert" event (event.h). It is
 * self-contained (fixed arrays, no pointers), so an event holding one can be
 * copied by value; every detector (detect/, anomaly/) fills one through the
 * helpers below and hands it to its event sink.
 *
 *   category   what kind of threat (the fixed list below; metrics label)
 *   rule       the detection rule that fired, e.g. "core-pattern-write"
 *   technique  MITRE ATT&CK id, e.g. "T1611"
 *   severity   low, medium, high, critical
 *   summary    one line a person reads
 *   evidence   the decisive facts, key -> value (a JSON string or number)
 *   ancestry   the process chain up to the container's init, nearest first
 */
#ifndef BULKHEAD_ALERT_H
#define BULKHEAD_ALERT_H

#include <stdbool.h>
#include <stdint.h>

enum alert_category {
	ALERT_ESCAPE = 0,
	ALERT_NAMESPACE_CHANGE,
	ALERT_KERNEL_MODULE,
	ALERT_PTRACE,
	ALERT_RUNTIME_SOCKET,
	ALERT_FILELESS_EXEC,
	ALERT_DRIFT,
	ALERT_SENSITIVE_FILE,
	ALERT_CGROUP_ESCAPE,
	ALERT_PRIVILEGE_ESCALATION,
	ALERT_REVERSE_SHELL,
	ALERT_RECON,
	ALERT_TAMPER,			/* an attempt on bulkhead itself */
	ALERT_RESOURCE_ANOMALY,
	ALERT_NETWORK_ANOMALY,
	ALERT_BEHAVIOUR_ANOMALY,
	ALERT_CATEGORY_COUNT
};

enum alert_severity { ALERT_SEV_LOW = 0, ALERT_SEV_MEDIUM, ALERT_SEV_HIGH, ALERT_SEV_CRITICAL };

/* What the kernel did about it (the event's action says deny or alert). */
enum alert_enforcement { ALERT_ENF_NONE = 0, ALERT_ENF_REFUSED, ALERT_ENF_KILLED };

#define ALERT_EVIDENCE_MAX	12
#define ALERT_CHAIN_MAX		8
#define ALERT_VALUE_MAX		240

struct alert_evidence {
	char key[24];
	char value[ALERT_VALUE_MAX];
	bool numeric;			/* value is a JSON number's text */
};

struct alert_ancestor {
	uint32_t pid;
	uint32_t uid;
	char comm[17];
	char exe[255];			/* "" when not known */
};

struct event_alert {
	uint8_t category;		/* enum alert_category */
	uint8_t severity;		/* enum alert_severity */
	uint8_t enforcement;		/* enum alert_enforcement */
	uint8_t n_evidence, n_chain;
	char rule[48];
	char technique[16];
	char summary[256];
	struct alert_evidence evidence[ALERT_EVIDENCE_MAX];
	struct alert_ancestor chain[ALERT_CHAIN_MAX];
};

const char *alert_category_name(unsigned c);
/* "escape" -> ALERT_ESCAPE; -1 if unknown. */
int alert_category_parse(const char *name);
const char *alert_severity_name(unsigned s);
const char *alert_enforcement_name(unsigned e);

/* Evidence: a string (cut at ALERT_VALUE_MAX - 1 bytes) or a number. Ignored when full. */
void alert_evidence_str(struct event_alert *a, const char *key, const char *value);
void alert_evidence_strn(struct event_alert *a, const char *key, const char *value, size_t n);
void alert_evidence_u64(struct event_alert *a, const char *key, uint64_t v);
void alert_evidence_f64(struct event_alert *a, const char *key, double v);
/* The value of key, or NULL. */
const char *alert_evidence_get(const struct event_alert *a, const char *key);

#endif
