// SPDX-License-Identifier: GPL-2.0
/* File and exec enforcement: loader (LSM or fallback), pinned links, counters, event decoding. See file.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "enforce/fallback.h"
#include "enforce/file.h"
#include "file.skel.h"
#include "fallback.skel.h"
#include "lib/log.h"
#include "lib/map_util.h"

#define FILE_MAX_PROGS 48	/* more is an error at attach, never a program left out */

struct file_enf {
	struct enforce *e;
	struct file_bpf *lsm;
	struct fallback_bpf *fb;
	struct bpf_object *obj;		/* the one loaded */
	struct bpf_link *links[FILE_MAX_PROGS];
	int nlinks;
	int nhooks;			/* of them, LSM hooks (not the arming tracepoints) */
	enum file_mode mode;
	uint32_t memo;			/* the mode asked for (file_opts, BULKHEAD_FILE_MEMO) */
	char memo_off[160];		/* why the memo cannot run here ("": it can) */
	struct file_maps maps;
	int ncpus;
	char describe[256];
};

struct file_maps *file_maps_of(struct file_enf *f)
{
	return &f->maps;
}

/*
 * Called when a transaction opens, after a commit and on an abort: a new
 * policy epoch each time (and the file memo's, bh_memo_ctl: the core moves it
 * with every policy epoch), whether or not the network feature (which bumps
 * it too) is loaded.
 */
static int clear_gen_cb(void *ctx, uint32_t gen)
{
	struct file_enf *f = ctx;
	int err = enforce_bump_epoch(f->e), r;

	if (err)
		log_warn("file: new policy epoch: %s", strerror(-err));
	r = f->maps.retain ? 0 : file_clear_gen(&f->maps, gen);
	return r ? r : err;
}

/* The decision memo's mode: the options', unless BULKHEAD_FILE_MEMO says otherwise. */
static int memo_mode(const struct file_opts *o, uint32_t *mode, char *err, size_t errlen)
{
	const char *env = getenv("BULKHEAD_FILE_MEMO");

	*mode = o->memo;
	if (!env || !*env)
		return 0;
	if (!strcmp(env, "on"))
		*mode = BH_MEMO_ON;
	else if (!strcmp(env, "off"))
		*mode = BH_MEMO_OFF;
	else if (!strcmp(env, "verify"))
		*mode = BH_MEMO_VERIFY;
	else {
		snprintf(err, errlen, "file: BULKHEAD_FILE_MEMO=%s: expected on, off or verify", env);
		return -EINVAL;
	}
	return 0;
}

enum file_mode file_mode_of(const struct file_enf *f)
{
	return f->mode;
}

const char *file_mode_describe(const struct file_enf *f)
{
	return f->describe;
}

/* Set the mode (bh_memo_ctl, shared through the core; the epoch moves with it). */
static int memo_set(struct file_enf *f, uint32_t mode)
{
	return enforce_memo_write(enforce_memo_ctl_fd(f->e), mode);
}

/* The memo's invalidation programs: fentry/FUNCTION or fexit/FUNCTION. */
static const char *memo_target(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	if (!strncmp(sec, "fexit/", 6))
		return sec + 6;
	if (!strncmp(sec, "fentry/", 7))
		return sec + 7;
	return NULL;
}

static bool is_memo_prog(const struct bpf_program *p)
{
	return memo_target(p) != NULL;
}

/*
 * The memo is exact only while every change of a name, a mount tree or a
 * root bumps its epoch, and a dentry's free clears its entry
 * (bpf/lib/file_memo.bpf.h): a kernel without one of the targets loads none
 * of these programs and runs without the memo (said at start).
 */
static void memo_targets(struct file_enf *f, const struct file_opts *o)
{
	struct btf *btf = o->btf_path ? btf__parse(o->btf_path, NULL) : btf__load_vmlinux_btf();
	struct bpf_program *p;

	bpf_object__for_each_program(p, f->lsm->obj) {
		const char *fn = memo_target(p);

		if (!fn || f->memo_off[0])
			continue;
		if (!btf || btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) < 0)
			snprintf(f->memo_off, sizeof(f->memo_off), "this kernel has no %s() to follow", fn);
	}
	if (f->memo_off[0])
		bpf_object__for_each_program(p, f->lsm->obj)
			if (is_memo_prog(p))
				bpf_program__set_autoload(p, false);
	btf__free(btf);
}

/* After attach_all(): the memo in the mode asked for, if it can be exact here. */
static void memo_start(struct file_enf *f)
{
	int r;

	if (f->memo == BH_MEMO_OFF)
		return;
	if (f->memo_off[0]) {
		log_warn("file: decision memo off (%s): every open and exec is decided in full",
			 f->memo_off);
		return;
	}
	r = memo_set(f, f->memo);
	if (r)
		log_warn("file: decision memo off: cannot set its mode: %s", strerror(-r));
	else if (f->memo == BH_MEMO_VERIFY)
		log_info("file: decision memo in verify mode (BULKHEAD_FILE_MEMO)");
}

/* libbpf's output while trying the LSM programs: kept, shown only if the verifier ran. */
static char lsm_log[65536];
static size_t lsm_log_len;

static int capture_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	static char line[32768];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n <= 0 || strstr(line, " relocated, ") || strstr(line, " insns from sub-prog ") ||
	    strstr(line, "CO-RE relocating") || strstr(line, ": matching candidate") ||
	    strstr(line, ": found target candidate") || strstr(line, ": patched insn") ||
	    strstr(line, "<byte_off>") || strstr(line, " <field> "))
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (lsm_log_len + (size_t)n >= sizeof(lsm_log)) {	/* keep the tail */
		size_t drop = lsm_log_len / 2;

		memmove(lsm_log, lsm_log + drop, lsm_log_len - drop);
		lsm_log_len -= drop;
	}
	memcpy(lsm_log + lsm_log_len, line, (size_t)n);
	lsm_log_len += (size_t)n;
	lsm_log[lsm_log_len] = 0;
	return 0;
}

/*
 * The host's mount namespace for arming (bpf/lib/arm.bpf.h): pid 1's, or,
 * where pid 1's cannot be read (a protected init), the agent's own.
 */
static uint32_t host_mnt_ns(void)
{
	struct stat st;

	if (!stat("/proc/1/ns/mnt", &st) || !stat("/proc/self/ns/mnt", &st))
		return (uint32_t)st.st_ino;
	log_warn("file: cannot read the host's mount namespace: every task in a container's cgroup is "
		 "policed, the runtime's setup too");
	return 0;
}

/* Configure the rodata both objects share (same names, path.bpf.h). */
#define SET_RODATA(skel, o) do {							\
	(skel)->rodata->arm_host_mnt_ns = host_mnt_ns();				\
	(skel)->rodata->file_wakeup_bytes = (o)->wakeup_bytes && (o)->wakeup_bytes < BH_FILE_RINGBUF / 4 ? \
		(o)->wakeup_bytes : BH_FILE_RINGBUF / 4;				\
	if ((o)->events_per_sec)							\
		(skel)->rodata->file_events_per_sec = (o)->events_per_sec;		\
	if ((o)->events_burst)								\
		(skel)->rodata->file_events_burst = (o)->events_burst;			\
} while (0)

/* Without a pin root libbpf pins by name under /sys/fs/bpf: a private load pins nothing. */
static void unpin_maps(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);
}

/*
 * The verifier refused a program (a bug, not a kernel without BPF LSM): load
 * once more with a large verifier log and show its last lines.
 */
static void verifier_tail(struct file_enf *f, const struct file_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	size_t sz = 64u << 20;
	char *buf = calloc(1, sz), *p;
	struct bpf_program *prog;
	struct file_bpf *sk;
	libbpf_print_fn_t old;
	int lines = 0;

	if (!buf)
		return;
	oo.btf_custom_path = o->btf_path;
	sk = file_bpf__open_opts(&oo);	/* not pinned: nothing shared is touched */
	if (!sk)
		goto out;
	unpin_maps(sk->obj);
	bpf_object__for_each_program(prog, sk->obj) {
		bpf_program__set_log_buf(prog, buf, sz);
		bpf_program__set_log_level(prog, 1);
	}
	old = libbpf_set_print(capture_print);
	if (!file_bpf__load(sk)) {
		libbpf_set_print(old);
		goto out;
	}
	libbpf_set_print(old);
	p = buf + strlen(buf);
	while (p > buf && lines < 40)
		if (*--p == '\n')
			lines++;
	log_warn("file: the verifier refused the LSM programs; the end of its log:");
	for (char *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (nl > p)
			log_warn("file:   %.*s", (int)(nl - p), p);
		if (!*nl)
			break;
	}
out:
	file_bpf__destroy(sk);
	free(buf);
}

static int load_lsm(struct file_enf *f, const struct file_opts *o, int quiet, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	libbpf_print_fn_t old = NULL;
	int r;

	oo.pin_root_path = enforce_pin_dir(f->e);
	oo.btf_custom_path = o->btf_path;
	f->lsm = file_bpf__open_opts(&oo);
	if (!f->lsm) {
		snprintf(err, errlen, "file: cannot open the LSM object: %s", strerror(errno));
		return -errno;
	}
	SET_RODATA(f->lsm, o);
	/* The memo's control is the core's map, read as a global (bpf/lib/file_memo.bpf.h):
	 * a private copy would never see the core move its epoch, so no load without it. */
	r = enforce_alias_map(f->lsm->maps.data_bh_memo_ctl, enforce_pin_dir(f->e), "bh_memo_ctl");
	if (!r && bpf_map__value_size(f->lsm->maps.bss) != sizeof(struct bh_file_memo_table))
		r = -EINVAL;	/* the .bss must be the memo table and nothing else */
	if (r) {
		snprintf(err, errlen, "file: the decision memo's maps: %s", strerror(-r));
		file_bpf__destroy(f->lsm);
		f->lsm = NULL;
		return r;
	}
	/* The bench's empty baselines load only when asked for (FILE_MODE_BENCH_EMPTY). */
	{
		bool empty = o->mode == FILE_MODE_BENCH_EMPTY;
		struct bpf_program *pr;

		bpf_object__for_each_program(pr, f->lsm->obj)
			bpf_program__set_autoload(pr, empty == !strncmp(bpf_program__name(pr),
								       "bh_empty_", 9));
	}
	r = memo_mode(o, &f->memo, err, errlen);
	if (r) {
		file_bpf__destroy(f->lsm);
		f->lsm = NULL;
		return r;
	}
	if (o->mode != FILE_MODE_BENCH_EMPTY)
		memo_targets(f, o);
	lsm_log_len = 0;
	lsm_log[0] = 0;
	/* BULKHEAD_BPF_STATS=1: the verifier's statistics per program (development). */
	static char stats[FILE_MAX_PROGS][512];
	int nst = 0;
	struct bpf_program *prog;

	if (getenv("BULKHEAD_BPF_STATS"))
		bpf_object__for_each_program(prog, f->lsm->obj) {
			if (nst == FILE_MAX_PROGS)
				break;
			bpf_program__set_log_buf(prog, stats[nst++], sizeof(stats[0]));
			bpf_program__set_log_level(prog, 4);
		}
	if (quiet)
		old = libbpf_set_print(capture_print);
	r = file_bpf__load(f->lsm);
	nst = 0;
	if (getenv("BULKHEAD_BPF_STATS"))
		bpf_object__for_each_program(prog, f->lsm->obj)
			if (nst < FILE_MAX_PROGS) {
				for (char *c = stats[nst]; *c; c++)
					if (*c == '\n')
						*c = ' ';
				log_info("file: %s: %s", bpf_program__name(prog), stats[nst++]);
			}
	if (quiet)
		libbpf_set_print(old);
	if (r && strstr(lsm_log, "BEGIN PROG LOAD LOG"))
		verifier_tail(f, o);
	if (r) {
		snprintf(err, errlen, "file: cannot load the BPF LSM programs: %s", strerror(-r));
		file_bpf__destroy(f->lsm);
		f->lsm = NULL;
		return r;
	}
	f->obj = f->lsm->obj;
	/* Off until its invalidation programs are attached (memo_start()). */
	r = memo_set(f, BH_MEMO_OFF);
	if (r) {
		snprintf(err, errlen, "file: cannot set the decision memo's mode: %s", strerror(-r));
		file_bpf__destroy(f->lsm);
		f->lsm = NULL;
		f->obj = NULL;
		return r;
	}
	f->maps.paths = bpf_map__fd(f->lsm->maps.bh_file_paths);
	f->maps.globs = bpf_map__fd(f->lsm->maps.bh_file_globs);
	f->maps.pol = bpf_map__fd(f->lsm->maps.bh_file_pol);
	return 0;
}

static int load_fallback(struct file_enf *f, const struct file_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	int r;

	oo.pin_root_path = enforce_pin_dir(f->e);
	oo.btf_custom_path = o->btf_path;
	f->fb = fallback_bpf__open_opts(&oo);
	if (!f->fb) {
		snprintf(err, errlen, "file: cannot open the fallback object: %s", strerror(errno));
		return -errno;
	}
	SET_RODATA(f->fb, o);
	r = fallback_bpf__load(f->fb);
	if (r) {
		snprintf(err, errlen, "file: cannot load the syscall-tracepoint fallback: %s", strerror(-r));
		fallback_bpf__destroy(f->fb);
		f->fb = NULL;
		return r;
	}
	f->obj = f->fb->obj;
	f->maps.paths = bpf_map__fd(f->fb->maps.bh_file_paths);
	f->maps.globs = bpf_map__fd(f->fb->maps.bh_file_globs);
	f->maps.pol = bpf_map__fd(f->fb->maps.bh_file_pol);
	return 0;
}

/*
 * Attach every program of the loaded object and pin its link under
 * <pin dir>/links/file_<program>; a link pinned by a previous agent is
 * replaced after the new one is attached (never a moment without).
 */
static bool is_arming(struct bpf_program *p)
{
	return !strncmp(bpf_program__name(p), "bh_arm_", 7);
}

static bool is_iter(struct bpf_program *p)
{
	return !strncmp(bpf_program__section_name(p), "iter", 4);
}

/* Run the iter/task program once: arm the container tasks that already run. */
static int arm_existing(struct file_enf *f)
{
	struct bpf_program *p = bpf_object__find_program_by_name(f->obj, "bh_arm_existing");
	struct bpf_link *l;
	char buf[64];
	int fd, n;

	if (!p || !bpf_program__autoload(p))
		return 0;
	l = bpf_program__attach_iter(p, NULL);
	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		n = -errno;
		bpf_link__destroy(l);
		return n;
	}
	while ((n = (int)read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	bpf_link__destroy(l);
	return n;
}

/*
 * Attach in order: the arming tracepoints, then arm the tasks that run
 * already, then the enforcement hooks: no container task is ever unarmed
 * (unpoliced) while its hooks are in force.
 */
/* Attach the programs of one pass (0: the arming tracepoints; 1: the rest). */
static int attach_pass(struct file_enf *f, int pass, int *replaced, char *err, size_t errlen)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, f->obj) {
		char name[128], path[PATH_MAX];
		struct bpf_link *l, *old;

		if (!bpf_program__autoload(prog) || is_iter(prog) || is_arming(prog) != (pass == 0))
			continue;	/* the bench's empty baselines, unless asked for */
		if (f->nlinks == FILE_MAX_PROGS) {
			snprintf(err, errlen, "file: more than %d programs to attach (FILE_MAX_PROGS)",
				 FILE_MAX_PROGS);
			return -E2BIG;
		}
		l = bpf_program__attach(prog);
		if (!l && is_memo_prog(prog)) {
			snprintf(f->memo_off, sizeof(f->memo_off), "cannot attach %s: %s",
				 bpf_program__section_name(prog), strerror(errno));
			continue;
		}
		if (!l) {
			snprintf(err, errlen, "file: cannot attach %s: %s", bpf_program__name(prog),
				 strerror(errno));
			return -errno;
		}
		f->links[f->nlinks++] = l;
		if (!strncmp(bpf_program__section_name(prog), "lsm", 3))
			f->nhooks++;
		snprintf(name, sizeof(name), "file_%s", bpf_program__name(prog));
		if (enforce_link_path(f->e, name, path, sizeof(path)))
			continue;
		old = access(path, F_OK) ? NULL : bpf_link__open(path);
		if (old) {
			enforce_link_close(old, true);
			(*replaced)++;
		}
		if (bpf_link__pin(l, path))
			log_warn("file: cannot pin the link of %s at %s: it lasts only as long as the "
				 "agent", bpf_program__name(prog), path);
	}
	return 0;
}

static int attach_all(struct file_enf *f, char *err, size_t errlen)
{
	int replaced = 0, r;

	r = attach_pass(f, 0, &replaced, err, errlen);
	if (!r && (r = arm_existing(f)) < 0)
		snprintf(err, errlen, "file: cannot arm the running containers' tasks: %s", strerror(-r));
	if (!r)
		r = attach_pass(f, 1, &replaced, err, errlen);
	if (replaced)
		log_info("file: replaced %d links pinned by a previous agent", replaced);
	return r;
}

struct file_enf *file_open(struct enforce *e, const struct file_opts *o, char *err, size_t errlen)
{
	struct enforce_feature feat = { .name = "file", .clear_gen = clear_gen_cb };
	const char *why = o->no_lsm_why;
	char lsm_err[256];
	struct file_enf *f;
	int r;

	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "file: out of memory");
		return NULL;
	}
	f->e = e;
	f->ncpus = libbpf_num_possible_cpus();
	f->mode = o->mode;
	switch (o->mode) {
	case FILE_MODE_LOAD_ONLY:
		r = load_lsm(f, o, 1, lsm_err, sizeof(lsm_err));
		if (r)
			r = load_fallback(f, o, err, errlen);
		break;
	case FILE_MODE_LSM:
		r = load_lsm(f, o, 1, err, errlen);
		break;
	case FILE_MODE_BENCH_EMPTY:
		r = load_lsm(f, o, 0, err, errlen);
		break;
	case FILE_MODE_FALLBACK:
		r = load_fallback(f, o, err, errlen);
		break;
	default:
		snprintf(err, errlen, "file: no enforcement mode given (bulkhead probe decides it)");
		r = -EINVAL;
		break;
	}
	if (r)
		goto fail;
	feat.ctx = f;
	if (f->mode == FILE_MODE_BENCH_EMPTY) {
		feat.name = "file-bench";
		feat.clear_gen = NULL;
	}
	if (feat.clear_gen && enforce_register(e, &feat)) {
		snprintf(err, errlen, "file: cannot register with the enforcement core");
		goto fail;
	}
	if (f->mode != FILE_MODE_LOAD_ONLY && attach_all(f, err, errlen))
		goto fail;
	if (f->mode == FILE_MODE_LSM)
		memo_start(f);
	if (f->mode == FILE_MODE_LSM)
		snprintf(f->describe, sizeof(f->describe), "file and exec rules by BPF LSM (%d hooks), "
			 "from each container's entrypoint exec", f->nhooks);
	else if (f->mode == FILE_MODE_FALLBACK)
	{
		snprintf(f->describe, sizeof(f->describe), "file and exec rules by the syscall-tracepoint "
			 "FALLBACK (no BPF LSM%s%s)", why ? ": " : "", why ? why : "");
		log_warn("file: FALLBACK in force: %s", fallback_limits());
	}
	else
		snprintf(f->describe, sizeof(f->describe), "file and exec maps loaded, nothing attached");
	return f;
fail:
	file_close(f, false);
	return NULL;
}

void file_close(struct file_enf *f, bool detach)
{
	if (!f)
		return;
	for (int i = 0; i < f->nlinks; i++)
		enforce_link_close(f->links[i], detach);
	file_bpf__destroy(f->lsm);
	fallback_bpf__destroy(f->fb);
	free(f);
}

int file_ringbuf_fd(const struct file_enf *f)
{
	return f->lsm ? bpf_map__fd(f->lsm->maps.bh_file_rb) : bpf_map__fd(f->fb->maps.bh_file_rb);
}

int file_prog_fd(const struct file_enf *f, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(f->obj, name);

	return p ? bpf_program__fd(p) : -ENOENT;
}

int file_stats(const struct file_enf *f, uint64_t out[BH_FS_COUNT])
{
	int fd = f->lsm ? bpf_map__fd(f->lsm->maps.bh_file_stats) : bpf_map__fd(f->fb->maps.bh_file_stats);

	for (uint32_t k = 0; k < BH_FS_COUNT; k++)
		map_percpu_sum(fd, &k, f->ncpus, &out[k]);
	return 0;
}

/* ---- probe -------------------------------------------------------------------- */

/* The verifier's reason, from a load's captured libbpf output: its last line, short. */
static void last_verifier_line(char *out, size_t len)
{
	char *end = lsm_log + lsm_log_len, *p;

	out[0] = 0;
	while (end > lsm_log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (p = end; p > lsm_log && p[-1] != '\n'; p--)
		;
	/* libbpf ends with "-- END PROG LOAD LOG --" and its own lines: the verifier's is above. */
	for (int i = 0; i < 8 && p > lsm_log && (strstr(p, "END PROG LOAD LOG") || strstr(p, "libbpf:")); i++) {
		end = p - 1;
		for (p = end; p > lsm_log && p[-1] != '\n'; p--)
			;
	}
	snprintf(out, len, "%.*s", (int)(end - p) > 120 ? 120 : (int)(end - p), p);
}

int file_probe(const char *btf_path, struct file_probe *out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct bpf_program *prog;
	struct file_bpf *sk;
	libbpf_print_fn_t old;
	size_t off = 0;
	int r;

	memset(out, 0, sizeof(*out));
	oo.btf_custom_path = btf_path;
	sk = file_bpf__open_opts(&oo);
	if (!sk) {
		r = -errno;
		snprintf(out->load_detail, sizeof(out->load_detail), "cannot open the object: %s", strerror(-r));
		return r;
	}
	unpin_maps(sk->obj);	/* a private copy: nothing shared, nothing left */
	bpf_object__for_each_program(prog, sk->obj)
		bpf_program__set_autoload(prog, strncmp(bpf_program__name(prog), "bh_empty_", 9) != 0);
	lsm_log_len = 0;
	lsm_log[0] = 0;
	old = libbpf_set_print(capture_print);
	r = file_bpf__load(sk);
	libbpf_set_print(old);
	if (r) {
		char why[128];
		const char *failed = "";

		last_verifier_line(why, sizeof(why));
		bpf_object__for_each_program(prog, sk->obj)
			if (bpf_program__autoload(prog) && bpf_program__fd(prog) < 0) {
				failed = bpf_program__name(prog);
				break;
			}
		snprintf(out->load_detail, sizeof(out->load_detail), "load failed%s%s: %s%s%s", failed[0] ? " at " : "",
			 failed, strerror(-r), why[0] ? "; verifier: " : "", why);
		file_bpf__destroy(sk);
		return r;
	}
	out->loaded = true;
	snprintf(out->load_detail, sizeof(out->load_detail), "the file and exec programs pass this kernel's "
		 "verifier (bpf_loop path walk, bpf_d_path)");
	/* Attach each to its hook: the programs find no policy in their private maps and allow. */
	out->hooks_ok = true;
	bpf_object__for_each_program(prog, sk->obj) {
		const char *sec = bpf_program__section_name(prog), *hook = strchr(sec, '/');
		struct bpf_link *l;

		if (!bpf_program__autoload(prog) || strncmp(sec, "lsm", 3))
			continue;	/* the arming tracepoints and iterator: not hooks */
		hook = hook ? hook + 1 : sec;
		out->hooks++;
		l = bpf_program__attach(prog);
		if (!l) {
			if (out->hooks_ok)
				off = 0;
			out->hooks_ok = false;
			off += (size_t)snprintf(out->hook_detail + off, off < sizeof(out->hook_detail) ?
						sizeof(out->hook_detail) - off : 0, "%s%s: %s",
						off ? ", " : "cannot attach to ", hook, strerror(errno));
		} else if (out->hooks_ok) {
			off += (size_t)snprintf(out->hook_detail + off, off < sizeof(out->hook_detail) ?
						sizeof(out->hook_detail) - off : 0, "%s%s",
						off ? " " : "", hook);
		}
		bpf_link__destroy(l);
	}
	file_bpf__destroy(sk);
	return out->hooks_ok ? 0 : -ENOTSUP;
}

/* ---- events ------------------------------------------------------------------- */

int file_decode(const void *data, size_t size, struct event *ev, uint32_t *gen)
{
	const struct bh_file_event *e = data;
	size_t plen;

	if (size != sizeof(*e) || e->hdr.kind != BH_EV_FILE || e->op > BH_OP_MOUNT ||
	    e->hook >= BH_FH_COUNT ||
	    (e->action != BH_FILE_ACT_DENY && e->action != BH_FILE_ACT_AUDIT))
		return -EINVAL;
	plen = e->path_len < BH_FILE_PATH_MAX ? e->path_len : BH_FILE_PATH_MAX - 1;
	plen = strnlen(e->path, plen);
	memset(ev, 0, sizeof(*ev));
	ev->kind = e->op == BH_OP_EXEC ? EVENT_EXEC_DENY : EVENT_FILE;
	ev->action = e->action == BH_FILE_ACT_AUDIT ? ACTION_AUDIT : ACTION_DENY;
	ev->time_ns = clock_boot_to_real_ns(e->hdr.ts_boot_ns);
	ev->proc.pid = e->hdr.pid;
	ev->proc.tid = e->hdr.tid;
	ev->proc.ppid = e->hdr.ppid;
	ev->proc.uid = e->hdr.uid;
	ev->proc.gid = e->hdr.gid;
	memcpy(ev->proc.comm, e->hdr.comm, BH_COMM_LEN);
	ev->proc.comm[BH_COMM_LEN] = '\0';
	ev->file.path = e->path;
	ev->file.path_len = plen;
	ev->file.op = e->op;
	ev->file.hook = e->hook;
	ev->file.flags = e->flags;
	ev->file.suppressed = e->suppressed;
	ev->file.policy_id = e->policy_id;
	ev->file.ref = e->ref;
	if (gen)
		*gen = e->gen & 1;
	return 0;
}
