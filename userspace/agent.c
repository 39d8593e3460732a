// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "clock.h"
#include "kernel_fs.h"
#include "log.h"
#include "output.h"
#include "policy_engine.h"
#include "preflight.h"
#include "probe.h"
#include "process.h"
#include "registry.h"

#define STATS_EVERY_MS 10000

struct agent {
	const struct agent_config *cfg;
	const char *cgroup2;
	struct registry *reg;
	struct output *out;
	struct process_tel *proc;
	struct policy_engine *pe;		/* NULL: nothing enforced */
	struct ring_buffer *rb;
	int lock_fd, epfd, sigfd, timerfd;
	uint64_t malformed;
	uint64_t lost_reported;
	uint64_t ticks;
};

const struct container_info *agent_container(struct agent *a, uint64_t cgroup_id)
{
	return registry_lookup(a->reg, cgroup_id);
}

void agent_emit(struct agent *a, const struct event *ev)
{
	output_emit(a->out, ev);
}

void agent_count_malformed(struct agent *a)
{
	a->malformed++;
}

/* Loss is never silent: every new loss is logged with its count. */
static void report_lost(struct agent *a)
{
	uint64_t lost = process_tel_lost(a->proc);

	if (lost > a->lost_reported) {
		log_warn("events: %llu records lost: ring buffer full (total %llu); "
			 "raise --ringbuf-size or lower --drain-ms",
			 (unsigned long long)(lost - a->lost_reported), (unsigned long long)lost);
		a->lost_reported = lost;
	}
	if (a->malformed)
		log_warn("events: %llu malformed records dropped", (unsigned long long)a->malformed);
}

static int setup_loop(struct agent *a, char *err, size_t errlen)
{
	struct itimerspec its = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->timerfd < 0 || a->epfd < 0) {
		snprintf(err, errlen, "agent: event loop set-up: %s", strerror(errno));
		return -1;
	}
	its.it_interval.tv_sec = a->cfg->drain_ms / 1000;
	its.it_interval.tv_nsec = (a->cfg->drain_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	timerfd_settime(a->timerfd, 0, &its, NULL);

	ev.data.fd = a->sigfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev);
	ev.data.fd = a->timerfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->timerfd, &ev);
	ev.data.fd = ring_buffer__epoll_fd(a->rb);
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	return 0;
}

/* Returns 1 to keep running, 0 to stop. */
static int handle_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("agent: SIGHUP: reopening outputs%s", a->pe ? ", reloading policies" : "");
			output_reopen(a->out);
			if (a->pe)
				policy_engine_reload(a->pe);
			break;
		default:
			log_info("agent: %s: detaching and exiting", strsignal(si.ssi_signo));
			return 0;
		}
	}
	return 1;
}

static void loop(struct agent *a)
{
	struct epoll_event evs[4];
	uint64_t expirations;
	int n, running = 1;
	uint32_t stats_ticks = STATS_EVERY_MS / (a->cfg->drain_ms ? a->cfg->drain_ms : 1);

	while (running) {
		n = epoll_wait(a->epfd, evs, 4, -1);
		if (n < 0 && errno != EINTR) {
			log_warn_errno("agent: epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == a->sigfd) {
				running = handle_signal(a);
			} else if (evs[i].data.fd == a->timerfd) {
				if (a->pe)
					policy_engine_tick(a->pe);
				if (read(a->timerfd, &expirations, sizeof(expirations)) > 0 &&
				    ++a->ticks % (stats_ticks ? stats_ticks : 1) == 0) {
					clock_sync();
					report_lost(a);
				}
			}
		}
		/* Records are submitted without wake-ups: drain on every turn. */
		if (ring_buffer__consume(a->rb) < 0 && errno != EINTR)
			log_warn_errno("agent: ring buffer consume");
		output_flush(a->out);
	}
	ring_buffer__consume(a->rb);
	output_flush(a->out);
	report_lost(a);
	log_info("agent: stopped: %llu events written, %llu filtered, %llu lost, %llu write errors",
		 (unsigned long long)output_stats(a->out)->emitted,
		 (unsigned long long)output_stats(a->out)->filtered,
		 (unsigned long long)a->lost_reported,
		 (unsigned long long)output_stats(a->out)->write_errors);
}

static void agent_close(struct agent *a)
{
	ring_buffer__free(a->rb);
	policy_engine_close(a->pe);
	process_tel_close(a->proc);
	output_free(a->out);
	registry_free(a->reg);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->timerfd >= 0)
		close(a->timerfd);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
}

int agent_run(const struct agent_config *cfg)
{
	struct agent a = { .cfg = cfg, .lock_fd = -1, .epfd = -1, .sigfd = -1, .timerfd = -1 };
	struct process_tel_opts popts = {
		.ringbuf_bytes = cfg->ringbuf_bytes,
		.wakeup_bytes = cfg->wakeup_bytes,
		.fork_events = cfg->fork_events,
		.btf_path = cfg->btf_path,
	};
	struct output_config ocfg = {
		.json_path = cfg->json_path,
		.containers_only = cfg->containers_only,
	};
	struct registry_config rcfg = { 0 };
	struct policy_engine_params pe_params = {
		.ec = &cfg->enforce,
		.policy_path = cfg->policy_path,
		.btf_path = cfg->btf_path,
		.wakeup_bytes = cfg->wakeup_bytes,
	};
	struct probe_result pr;
	char err[512] = "";
	enum bh_mode mode;
	int ret = 1;

	if (preflight_root(err, sizeof(err)) ||
	    preflight_btf(cfg->btf_path, err, sizeof(err)) ||
	    preflight_cgroup2(cfg->cgroup_root, &a.cgroup2, err, sizeof(err)) ||
	    (a.lock_fd = preflight_lock(cfg->lock_path, err, sizeof(err))) < 0 ||
	    kernel_fs_ensure(err, sizeof(err)))
		goto out;

	probe_run(&pr);
	mode = probe_mode(&pr);
	if (cfg->require_lsm && mode != BH_MODE_LSM) {
		snprintf(err, sizeof(err), "--require-lsm: this kernel cannot run BPF LSM programs (%s); "
			 "see 'bulkhead probe'", pr.detail[PF_LSM]);
		goto out;
	}
	if (mode == BH_MODE_LSM)
		log_info("agent: enforcement mode %s: %s", probe_mode_name(mode), probe_mode_explain(mode));
	else
		log_warn("agent: WARNING: enforcement mode %s: %s", probe_mode_name(mode),
			 probe_mode_explain(mode));

	rcfg.cgroup2_root = a.cgroup2;
	rcfg.state_roots = cfg->state_roots;
	a.reg = registry_new(&rcfg);
	a.out = output_new(&ocfg);
	if (!a.reg || !a.out) {
		snprintf(err, sizeof(err), "agent: cannot set up the %s", a.reg ? "outputs" : "container registry");
		goto out;
	}
	a.proc = process_tel_open(&popts, err, sizeof(err));
	if (!a.proc)
		goto out;
	a.rb = ring_buffer__new(process_tel_ringbuf_fd(a.proc), process_tel_handle, &a, NULL);
	if (!a.rb) {
		snprintf(err, sizeof(err), "agent: ring buffer reader: %s", strerror(errno));
		goto out;
	}
	pe_params.agent = &a;
	pe_params.reg = a.reg;
	pe_params.cgroup2 = a.cgroup2;
	a.pe = policy_engine_open(&pe_params, err, sizeof(err));
	if (!a.pe && err[0])
		goto out;
	if (a.pe && policy_engine_add_ringbufs(a.pe, a.rb)) {
		snprintf(err, sizeof(err), "agent: enforcement ring buffers: %s", strerror(errno));
		goto out;
	}
	if (setup_loop(&a, err, sizeof(err)))
		goto out;
	clock_sync();
	log_info("agent: ready: exec/fork/exit telemetry attached, cgroup v2 at %s%s%s", a.cgroup2,
		 a.pe ? "; " : "", a.pe ? policy_engine_describe(a.pe) : "");
	loop(&a);
	ret = 0;
out:
	if (err[0])
		log_warn("%s", err);
	agent_close(&a);
	return ret;
}
