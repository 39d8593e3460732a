/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy language: YAML documents -> one immutable, compiled policy set.
 *
 *	struct policy_errors errs;
 *	policy_errors_init(&errs);
 *	struct policy_set *set = policy_set_load("policies/", &errs);
 *	if (!set) { policy_errors_print(&errs, stderr); ... }	// every error, file:line:col
 *	const struct policy *p = policy_select(set, &container, NULL);
 *	...
 *	policy_set_free(set); policy_errors_free(&errs);
 *
 * A set is built completely (parse, validate, compile, cross-check) before it
 * is returned, and never changes afterwards: the enforcement side lowers it
 * into the inactive generation of its double-buffered maps, flips the active
 * generation, and frees the old set. Nothing here is global; sets are
 * independent values (load the new one while the old one is in force).
 *
 * The compiled rule structs use fixed-width types only; their order is the
 * evaluation order: within a table the first rule that matches decides
 * (rules are sorted most specific first, deny before allow at equal
 * specificity). policy_file_decide() and friends are the reference
 * evaluators that the kernel side must agree with. docs/POLICY.md is the
 * user-facing reference.
 */
#ifndef BULKHEAD_POLICY_H
#define BULKHEAD_POLICY_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

/* ---- Limits: defined once here, documented in docs/POLICY.md ------------- */
#define POLICY_PATH_MAX		256	/* bytes of a path pattern incl. NUL (kernel matches this much) */
#define POLICY_NAME_MAX		64	/* bytes of metadata.name incl. NUL */
#define POLICY_SELECTOR_MAX	256	/* bytes of one selector pattern incl. NUL */
#define POLICY_MAX_POLICIES	64	/* policies (documents) in one set */
#define POLICY_MAX_FILES	256	/* .yaml/.yml files in a policy directory */
#define POLICY_MAX_FILE_BYTES	(1u << 20) /* bytes of one policy file */
#define POLICY_MAX_DEPTH	16	/* YAML nesting depth (mappings + sequences) */
#define POLICY_MAX_NODES	65536	/* YAML nodes (scalars, mappings, lists) per file */
#define POLICY_MAX_SCALAR	4096	/* bytes of one YAML scalar */
#define POLICY_MAX_FILE_RULES	256	/* compiled file rules per policy (one per path) */
#define POLICY_MAX_EXEC_RULES	128	/* compiled exec rules per policy */
#define POLICY_MAX_NET_RULES	256	/* compiled network rules per direction per policy */
#define POLICY_MAX_LIST		64	/* items in one list (paths, cidrs, ports, selector globs) */
#define POLICY_MAX_WILDCARDS	8	/* '*' / '**' in one pattern */
#define POLICY_MAX_ERRORS	100	/* diagnostics kept per load; the rest are counted */
#define POLICY_NAME_COMPONENT	255	/* longest path component a kernel accepts (NAME_MAX) */

/* ---- Enumerations (values are ABI for the kernel side) ------------------- */
enum policy_action { POLICY_ALLOW = 0, POLICY_DENY = 1 };
enum policy_mode { POLICY_ENFORCE = 0, POLICY_AUDIT = 1 };

/* Sections a mode applies to. */
enum policy_section {
	POLICY_SEC_FILE = 0,
	POLICY_SEC_EXEC,
	POLICY_SEC_NETWORK,
	POLICY_SEC_ESCAPE,
	POLICY_SEC_COUNT
};

/* File operations: bit i = op i. chmod and chown are both setattr. */
enum policy_op {
	POLICY_OP_READ = 0,
	POLICY_OP_WRITE,
	POLICY_OP_CREATE,
	POLICY_OP_DELETE,
	POLICY_OP_RENAME,
	POLICY_OP_LINK,
	POLICY_OP_SETATTR,
	POLICY_OP_EXEC,
	POLICY_OP_COUNT
};
#define POLICY_OPS_ALL	((1u << POLICY_OP_COUNT) - 1)

/* Path pattern kinds. */
enum policy_pat_kind {
	POLICY_PAT_EXACT = 0,	/* "/etc/passwd": that path only */
	POLICY_PAT_PREFIX = 1,	/* "/etc/" (or "/etc/ **" written without the space): /etc and below */
	POLICY_PAT_GLOB = 2,	/* '*' = within one component, '**' = any depth */
};

enum policy_proto { POLICY_PROTO_ANY = 0, POLICY_PROTO_TCP = 6, POLICY_PROTO_UDP = 17,
		    POLICY_PROTO_ICMP = 1 /* ICMPv6 for IPv6 rules */ };
enum policy_family { POLICY_INET = 4, POLICY_INET6 = 6 };
enum policy_dir { POLICY_EGRESS = 0, POLICY_INGRESS = 1 };

/* Built-in escape protections: bit i of policy_escape.enabled. */
enum policy_escape_bit {
	POLICY_ESC_MOUNT = 0,		/* mount, umount, pivot_root, move_mount */
	POLICY_ESC_PTRACE,		/* ptrace of processes outside the container */
	POLICY_ESC_KERNEL_MODULES,	/* init_module, finit_module, kexec */
	POLICY_ESC_BPF,			/* bpf() from inside the container */
	POLICY_ESC_PRIV_ESCALATION,	/* setuid/setgid to root from a non-root task */
	POLICY_ESC_NAMESPACES,		/* setns(), unshare() of new user/mount namespaces */
	POLICY_ESC_HOST_PATHS,		/* /proc/sysrq-trigger, /proc/kcore, core_pattern, /sys/kernel ... */
	POLICY_ESC_DEVICES,		/* mknod, opening block/char devices not in the container */
	POLICY_ESC_CGROUP,		/* release_agent, moving tasks out of the container's cgroup */
	POLICY_ESC_RUNTIME_SOCKETS,	/* connects to container runtime and kubelet sockets */
	POLICY_ESC_FILELESS_EXEC,	/* exec from a memfd or a deleted file */
	POLICY_ESC_DRIFT,		/* exec of a file written after the container started */
	POLICY_ESC_REVERSE_SHELL,	/* a socket made the shell's stdin/stdout */
	POLICY_ESC_RECON,		/* raw packet sockets, perf_event_open */
	POLICY_ESC_USER_NAMESPACES,	/* creating a user namespace (off for rootless builds) */
	POLICY_ESC_SETUID_EXEC,		/* exec of set-user-id-root binaries (off by default) */
	POLICY_ESC_COUNT
};
/* On unless a policy says otherwise: every protection but setuidExec. */
#define POLICY_ESC_DEFAULT	(((1u << POLICY_ESC_COUNT) - 1) & ~(1u << POLICY_ESC_SETUID_EXEC))
extern const char *const policy_escape_names[POLICY_ESC_COUNT];	/* YAML keys */
extern const char *const policy_op_names[POLICY_OP_COUNT];

/* ---- Compiled rules (fixed width; what the kernel side lowers) ----------- */

/*
 * A rule reference names the rule that decided: kind in the top 8 bits,
 * index into that table below. Index POLICY_REF_DEFAULT = the table's default.
 */
enum policy_ref_kind { POLICY_REF_FILE = 1, POLICY_REF_EXEC = 2,
		       POLICY_REF_EGRESS = 3, POLICY_REF_INGRESS = 4 };
#define POLICY_REF(kind, idx)	(((uint32_t)(kind) << 24) | ((uint32_t)(idx) & 0xffffffu))
#define POLICY_REF_KIND(ref)	((ref) >> 24)
#define POLICY_REF_INDEX(ref)	((ref) & 0xffffffu)
#define POLICY_REF_DEFAULT	0xffffffu

/* File and exec rules (exec rules use ops = 1 << POLICY_OP_EXEC). */
struct policy_path_rule {
	char     pattern[POLICY_PATH_MAX];	/* normalized, NUL-terminated */
	uint32_t specificity;	/* higher = more specific; see docs/POLICY.md */
	uint32_t src;		/* index of the source rule in its YAML list */
	uint16_t ops;		/* POLICY_OP_* bits */
	uint16_t pattern_len;
	uint8_t  kind;		/* enum policy_pat_kind */
	uint8_t  action;	/* enum policy_action */
	uint8_t  pad[2];
};
_Static_assert(sizeof(struct policy_path_rule) == POLICY_PATH_MAX + 16, "path rule layout");

struct policy_net_rule {
	uint8_t  addr[16];	/* network address, host bits zero; IPv4 in addr[0..3] */
	uint32_t specificity;	/* higher = more specific */
	uint32_t src;		/* index of the source rule in its YAML list */
	uint16_t port_lo, port_hi; /* inclusive; 0..65535 = any port */
	uint8_t  family;	/* enum policy_family */
	uint8_t  prefix_len;	/* 0..32 or 0..128 */
	uint8_t  proto;		/* enum policy_proto */
	uint8_t  action;	/* enum policy_action */
};
_Static_assert(sizeof(struct policy_net_rule) == 32, "net rule layout");

/*
 * A protection is off, alerts only, or follows mode.escape (enforce: refused
 * where the kernel can, or killed; audit: alerts only). In YAML: true (the
 * section's mode), false (off), "alert" or "enforce".
 */
struct policy_escape {
	uint32_t enabled;	/* POLICY_ESC_* bits; POLICY_ESC_DEFAULT */
	uint32_t alert_only;	/* POLICY_ESC_* bits set to "alert" */
	uint32_t enforce;	/* POLICY_ESC_* bits set to "enforce" whatever mode.escape says */
};
/* The protections of p that refuse (or kill), given its mode.escape. */
#define POLICY_ESC_ENFORCED(p) ((p)->escape.enabled & ~(p)->escape.alert_only & \
	((p)->mode[POLICY_SEC_ESCAPE] == POLICY_ENFORCE ? ~0u : (p)->escape.enforce))

/* anomaly: thresholds of 0 mean "no fixed threshold, baseline only". */
struct policy_anomaly {
	uint8_t  enabled;		/* default 1 */
	uint8_t  sensitivity;		/* 1 low, 2 medium (default), 3 high */
	uint8_t  pad[2];
	uint32_t learn_seconds;		/* baseline learning window (warm-up), default 600 */
	uint32_t learn_mode_seconds;	/* learn: behaviour learning mode window; 0 = off */
	uint32_t fork_per_sec;		/* process creations per second */
	uint32_t exec_per_sec;		/* execs per second */
	uint32_t connect_per_sec;	/* outbound connects per second */
	uint32_t cpu_percent;		/* of one CPU (200 = two CPUs) */
	uint64_t memory_bytes;
	uint64_t egress_bytes_per_sec;
};

/* ---- Selectors and policies ---------------------------------------------- */
enum policy_sel_field {
	POLICY_SEL_NAMESPACE = 0,	/* Kubernetes namespace */
	POLICY_SEL_POD,			/* Kubernetes pod name */
	POLICY_SEL_CONTAINER,		/* container name */
	POLICY_SEL_CGROUP,		/* cgroup v2 path relative to the cgroup2 mount, "/..." */
	POLICY_SEL_COUNT
};
extern const char *const policy_sel_names[POLICY_SEL_COUNT];	/* YAML keys */

struct policy_selector {
	/* patterns[f][i], normalized; a field with n[f] == 0 is not constrained */
	char   **patterns[POLICY_SEL_COUNT];
	uint32_t n[POLICY_SEL_COUNT];
};

/* Where a compiled rule came from, for messages (not for the kernel). */
struct policy_src {
	uint32_t line, col;
	char field[96];		/* "spec.file[3]" */
};

struct policy {
	uint32_t id;		/* 1..N in load order; stable for this set */
	char     name[POLICY_NAME_MAX];
	uint8_t  node_default;	/* kind: NodeDefault */
	uint8_t  mode[POLICY_SEC_COUNT];	/* enum policy_mode per section */
	uint8_t  file_default[POLICY_OP_COUNT];	/* enum policy_action per op */
	uint8_t  exec_default;
	uint8_t  net_default[2];		/* [enum policy_dir] */
	struct policy_selector selector;
	struct policy_path_rule *file;	uint32_t n_file;
	struct policy_path_rule *exec;	uint32_t n_exec;
	struct policy_net_rule  *net[2]; uint32_t n_net[2];	/* [enum policy_dir] */
	struct policy_escape escape;
	struct policy_anomaly anomaly;
	/* source locations, parallel to the tables above */
	const char *file_name;		/* the YAML file (owned by the set) */
	uint32_t line, col;		/* of the document */
	char     *description;		/* metadata.description or NULL */
	struct policy_src *file_src, *exec_src, *net_src[2];
	uint8_t  tables_dropped;	/* policy_set_drop_tables(): file, exec, net are NULL */
	/*
	 * SHA-256 of {the SHA-256 of its file's bytes, its document's index in
	 * the file}: the same source compiles to the same policy (compiling reads
	 * nothing else), so this names what the rules are without reading them.
	 */
	uint8_t  source[32];
};

/* What a set holds of each file it loaded (files[i]). */
struct policy_file_src {
	uint8_t  sha256[32];	/* of the file's bytes */
	uint32_t first, n;	/* its policies: policies[first .. first + n - 1] */
	uint8_t  clean;		/* read and compiled without a diagnostic */
};

struct policy_set {
	uint32_t n_policies;
	struct policy *policies;	/* policies[id - 1] */
	const struct policy *node_default;	/* or NULL */
	uint32_t n_files;
	char   **files;		/* files loaded, in load order */
	struct policy_file_src *file_src;	/* [n_files]; NULL if out of memory */
	uint8_t  sha256[32];	/* SHA-256 of the files' bytes, concatenated in load order */
};

/* ---- Diagnostics --------------------------------------------------------- */
struct policy_error {
	char    *file;		/* may be NULL (e.g. a directory-level error) */
	uint32_t line, col;	/* 1-based; 0 = unknown */
	uint8_t  warning;	/* 1 = warning (the set still loads) */
	char    *field;		/* "spec.network.egress[2].cidrs[0]" or NULL */
	char    *msg;		/* "expected ..., got ..." */
};

struct policy_errors {
	struct policy_error *v;
	uint32_t n, cap;
	uint32_t n_errors, n_warnings;	/* counted, including dropped ones */
	uint32_t dropped;		/* not kept: over POLICY_MAX_ERRORS */
};

void policy_errors_init(struct policy_errors *e);
void policy_errors_free(struct policy_errors *e);
/* "file:line:col: field: message" (warnings say "warning: "), one a line. */
void policy_errors_print(const struct policy_errors *e, FILE *f);
/* Format one diagnostic as printed; returns buf. */
char *policy_error_format(const struct policy_error *err, char *buf, size_t len);

/* ---- Loading ------------------------------------------------------------- */
/*
 * Load a file, or every *.yaml / *.yml regular file of a directory (not
 * recursive, hidden files skipped) in byte order of their names; documents
 * in file order. Returns a complete set, or NULL with every error in errs
 * (warnings may accompany a set). errs must be initialised.
 */
struct policy_set *policy_set_load(const char *file_or_dir, struct policy_errors *errs);
/*
 * The same, taking from prev (sets loaded before; entries may be NULL) the
 * policies of any file whose bytes are those of a clean file there and whose
 * policies keep their ids: such a file is not parsed again. Its policies are
 * copies without rule tables (tables_dropped, counts and sources kept, as
 * policy_set_drop_tables() leaves them); the result is otherwise the same
 * set, digest and diagnostics included.
 */
struct policy_set *policy_set_load_reusing(const char *file_or_dir, struct policy_errors *errs,
					   const struct policy_set *const *prev, unsigned nprev);
/* A copy of set without rule tables (as policy_set_drop_tables() leaves them); NULL if out of memory. */
struct policy_set *policy_set_copy_meta(const struct policy_set *set);
/* Same, from memory (one file named name). */
struct policy_set *policy_set_load_buffer(const char *name, const char *buf, size_t len,
					  struct policy_errors *errs);
void policy_set_free(struct policy_set *set);
/*
 * Free the rule tables (file, exec, network) of every policy, keeping
 * selectors, modes, defaults, escape and anomaly settings: for a reader that
 * needs only those (anomaly detection), so a set of 18,000 rules is not kept
 * twice. The rules then read as none.
 */
void policy_set_drop_rules(struct policy_set *set);
/*
 * Free the rule tables but keep their counts and sources (policy_rule_field()
 * still names a rule): for a set already lowered into the kernel, kept only
 * to name the rules of its events. Nothing may read p->file, p->exec or
 * p->net of such a set (p->tables_dropped says so).
 */
void policy_set_drop_tables(struct policy_set *set);

const struct policy *policy_by_id(const struct policy_set *set, uint32_t id);
const struct policy *policy_by_name(const struct policy_set *set, const char *name);

/* ---- Selection ----------------------------------------------------------- */
struct policy_container {
	const char *k8s_namespace;	/* NULL or "" = unknown / not Kubernetes */
	const char *k8s_pod;
	const char *k8s_container;
	const char *cgroup_path;	/* relative to the cgroup2 mount, "/kubepods/..." */
};

/*
 * The policy that applies to a container: the most specific matching
 * selector (more constrained fields, then more fields matched by a literal
 * pattern, then more literal characters); a remaining tie goes to the policy
 * loaded first and *tied_with (if non-NULL) gets the other's id, else 0.
 * Falls back to the node default; NULL if there is none.
 */
const struct policy *policy_select(const struct policy_set *set,
				   const struct policy_container *c, uint32_t *tied_with);
/* Does p's selector match c? Returns 0 if not, else its score (higher = more specific). */
uint64_t policy_selector_score(const struct policy *p, const struct policy_container *c);

/* ---- Reference evaluators (the kernel side must agree) ------------------- */
/* Action for op (enum policy_op) on an absolute, normalized path; *ref = deciding rule. */
int policy_file_decide(const struct policy *p, const char *path, int op, uint32_t *ref);
int policy_exec_decide(const struct policy *p, const char *path, uint32_t *ref);
/* addr: 4 or 16 bytes per family; proto: enum policy_proto (never ANY); port host order. */
int policy_net_decide(const struct policy *p, int dir, int family, const uint8_t *addr,
		      int proto, uint16_t port, uint32_t *ref);
/* Both file (exec op) and exec tables must allow an exec. */

/* Pattern matching used by the evaluators (exposed for tests). */
int policy_path_match(const struct policy_path_rule *r, const char *path);
int policy_glob_match(const char *pattern, const char *s, int path_mode);

/* "web-server: spec.file[3]" from (policy id, rule ref); returns buf. */
char *policy_rule_ref_format(const struct policy_set *set, uint32_t policy_id, uint32_t ref,
			     char *buf, size_t len);
/* The field alone, "spec.file[3]" or "spec.defaults.egress"; an unknown ref is
 * written into buf ("rule 0x... (unknown)"). Points into p, a constant or buf. */
const char *policy_rule_field(const struct policy *p, uint32_t ref, char *buf, size_t len);

/* ---- Output -------------------------------------------------------------- */
/* One summary block per policy (what bulkhead check prints). */
void policy_set_print_summary(const struct policy_set *set, FILE *f);
/* Every compiled rule, as the kernel side will see it. */
void policy_set_dump(const struct policy_set *set, FILE *f);
const char *policy_action_name(int action);
const char *policy_mode_name(int mode);
const char *policy_proto_name(int proto);

#endif
