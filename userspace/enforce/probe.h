/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this kernel can do, decided by loading tiny programs (bpf/probe.bpf.c),
 * and the enforcement mode that follows from it.
 */
#ifndef BULKHEAD_PROBE_H
#define BULKHEAD_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum probe_feature {
	PF_BTF,
	PF_CGROUP2,
	PF_RINGBUF,
	PF_SCHED_TP,
	PF_SYSCALL_TP,
	PF_BPF_LOOP,
	PF_SEND_SIGNAL,
	PF_CGROUP_SKB,
	PF_SOCK_ADDR,
	PF_LSM,
	PF_D_PATH,
	PF_FILE_PROGS,		/* the file/exec LSM programs themselves pass the verifier */
	PF_LSM_HOOKS,		/* ... and attach to every hook they use */
	PF_MAX,
};

enum bh_mode {
	BH_MODE_LSM,		/* file/exec denied in the kernel with EPERM */
	BH_MODE_FALLBACK,	/* syscall tracepoints + SIGKILL: killed, not refused */
	BH_MODE_OBSERVE,	/* nothing can enforce file/exec: report only */
};

struct probe_result {
	char kernel[128];
	bool ok[PF_MAX];
	bool untried[PF_MAX];		/* left to the agent (probe_run's programs=false) */
	char detail[PF_MAX][192];
	/* escape protections: the guard's programs loaded (bulkhead's BPF LSM refusals) */
	bool esc_guard;
	bool esc_self;			/* self-protection's programs loaded too */
	uint32_t esc_refused;		/* POLICY_ESC_* bits the guard refuses here */
	char esc_detail[256];
};

/* How this kernel stops an escape protection's techniques. */
enum probe_esc {
	PROBE_ESC_REFUSES,	/* BPF LSM guard: the call fails with EPERM */
	PROBE_ESC_KILLS,	/* syscall tracepoints: SIGKILL before the call runs or its result is used */
	PROBE_ESC_ALERTS,	/* reported only */
	PROBE_ESC_NONE,		/* not even seen (no syscall tracepoints) */
};
#define PROBE_ESC_SELF	(-1)	/* bit argument: bulkhead's self-protection */

enum probe_esc probe_escape(const struct probe_result *r, int bit, const char **detail);
const char *probe_escape_name(enum probe_esc e);

/*
 * programs: also load the file and exec LSM programs and attach each to its
 * hook (bulkhead probe). The agent passes false: it loads them itself when a
 * policy needs them and falls back to the tracepoints if they fail, saying so.
 */
void probe_run(struct probe_result *r, bool programs);
enum bh_mode probe_mode(const struct probe_result *r);
const char *probe_mode_name(enum bh_mode m);
/* Why not BH_MODE_LSM: the first requirement that failed, "label: detail"; NULL if none. */
const char *probe_mode_why(const struct probe_result *r);
const char *probe_mode_explain(enum bh_mode m);
const char *probe_feature_key(enum probe_feature f);
const char *probe_feature_label(enum probe_feature f);
void probe_print_table(FILE *f, const struct probe_result *r);
void probe_print_json(FILE *f, const struct probe_result *r);

#endif
