// SPDX-License-Identifier: GPL-2.0
/*
 * The escape detector's engine without the kernel (detect/detect.c, rules.c):
 * records as bpf/escape.bpf.c writes them go through detect_escape_handle()
 * into a sink that keeps the alerts. Rules and evidence, one alert per
 * incident (a more severe rule of the category still fires), the policy's
 * switches, refused and killed records, host cgroups, hostile records.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "abi/escape.h"
#include "detect/detect.h"
#include "pipeline/event_json.h"
#include "policy/policy.h"

static struct container_info ctr = { .cgroup_id = 4242, .id = "c1", .name = "web", .pod = "web-1",
				     .ns = "default", .cgroup_path = "/kubepods/pod1/c1", .resolved = true };
static struct container_info host = { .cgroup_id = 1, .host = true, .resolved = true };

static struct event_alert got[32];
static enum event_action got_action[32];
static int ngot, nmalformed;

/* A container of a runtime whose state the agent does not read: attribution says host. */
static struct container_info unknown_rt = { .cgroup_id = 99, .host = true, .resolved = true,
					    .cgroup_path = "/redteam/ct1" };
static struct container_info service = { .cgroup_id = 98, .host = true, .resolved = true,
					 .cgroup_path = "/system.slice/cron.service" };

static const struct container_info *container(void *ctx, uint64_t id, const char **json, size_t *len)
{
	*json = NULL;
	*len = 0;
	return id == ctr.cgroup_id ? &ctr : id == 99 ? &unknown_rt : id == 98 ? &service : &host;
}

static void emit(void *ctx, const struct event *ev)
{
	if (ev->kind == EVENT_ALERT && ngot < 32) {
		got_action[ngot] = ev->action;
		got[ngot++] = *ev->alert;
	}
}

static void malformed(void *ctx)
{
	nmalformed++;
}

static const struct event_sink sink = { .container = container, .emit = emit, .malformed = malformed };
static struct policy pol;
static const struct policy *policy_of(void *ctx, uint64_t id)
{
	return id == ctr.cgroup_id ? &pol : NULL;
}

static struct detect *engine(void)
{
	struct detect_config c = { .proc = "/nonexistent", .shared_task_fd = -1 };
	struct detect_policy p = { .of = policy_of };

	ngot = nmalformed = 0;
	memset(&pol, 0, sizeof(pol));
	pol.escape.enabled = POLICY_ESC_DEFAULT;
	return detect_new(&c, &sink, &p);
}

static struct bh_esc_event rec(uint32_t sig, const char *s0, const char *s1)
{
	struct bh_esc_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.kind = BH_EV_ESCAPE;
	e.hdr.cgroup_id = ctr.cgroup_id;
	e.hdr.pid = 77;
	strcpy(e.hdr.comm, "sh");
	e.base_cgroup_id = ctr.cgroup_id;
	e.sig = sig;
	if (s0) {
		strcpy(e.str[0], s0);
		e.str_len[0] = (uint16_t)strlen(s0);
	}
	if (s1) {
		strcpy(e.str[1], s1);
		e.str_len[1] = (uint16_t)strlen(s1);
	}
	e.n_chain = 1;
	e.chain[0].pid = 7;
	strcpy(e.chain[0].comm, "bash");
	strcpy(e.chain[0].exe, "bash");
	return e;
}

static void feed(struct detect *d, struct bh_esc_event *e)
{
	detect_escape_handle(d, e, sizeof(*e));
}

static const char *ev_of(const struct event_alert *a, const char *k)
{
	const char *v = alert_evidence_get(a, k);

	return v ? v : "(none)";
}

static void test_mount_rules(void)
{
	struct detect *d = engine();
	struct bh_esc_event e = rec(BH_SIG_MOUNT, "cgroup", "cgroup");

	feed(d, &e);
	ASSERT_EQ(ngot, 1, "a cgroup mount alerts");
	ASSERT_STREQ(got[0].rule, "mount-host-filesystem", "rule");
	ASSERT_EQ(got[0].category, ALERT_ESCAPE, "category");
	ASSERT_EQ(got[0].severity, ALERT_SEV_CRITICAL, "severity");
	ASSERT_STREQ(got[0].technique, "T1611", "ATT&CK");
	ASSERT_STREQ(ev_of(&got[0], "fstype"), "cgroup", "evidence fstype");
	ASSERT_CONTAINS(got[0].summary, "cgroup", "summary names the type");
	ASSERT_EQ(got[0].n_chain, 1, "ancestry");
	ASSERT_STREQ(got[0].chain[0].comm, "bash", "ancestor comm");
	/* the umount that cleans up is the same incident: less severe, same category */
	e = rec(BH_SIG_UMOUNT, "/tmp/x", NULL);
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "umount after the mount: one incident");
	/* propagation changes alone are no mount */
	d = (detect_close(d), engine());
	e = rec(BH_SIG_MOUNT, "", "none");
	e.arg[0] = 0x40000 | 0x4000;	/* MS_PRIVATE | MS_REC */
	feed(d, &e);
	ASSERT_EQ(ngot, 0, "mount --make-rprivate is not an alert");
	detect_close(d);
}

static void test_severity_escalates(void)
{
	struct detect *d = engine();
	struct bh_esc_event e = rec(BH_SIG_UNSHARE, NULL, NULL);

	e.arg[0] = 0x04000000;	/* CLONE_NEWUTS */
	feed(d, &e);
	e = rec(BH_SIG_UNSHARE, NULL, NULL);
	e.arg[0] = 0x04000000;
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "a repeat is one incident");
	e = rec(BH_SIG_UNSHARE, NULL, NULL);
	e.arg[0] = 0x10000000;	/* CLONE_NEWUSER: more severe, same category */
	feed(d, &e);
	ASSERT_EQ(ngot, 2, "a more severe rule of the category still fires");
	ASSERT_STREQ(got[1].rule, "user-namespace", "rule");
	ASSERT_STREQ(ev_of(&got[1], "flags"), "user", "flags");
	detect_close(d);
}

static void test_policy_switches(void)
{
	struct detect *d = engine();
	struct bh_esc_event e = rec(BH_SIG_BPF, NULL, NULL);

	pol.escape.enabled &= ~(1u << POLICY_ESC_BPF);
	feed(d, &e);
	ASSERT_EQ(ngot, 0, "bpf: false in the policy: no alert");
	pol.escape.enabled |= 1u << POLICY_ESC_BPF;
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "bpf on: alert");
	ASSERT_STREQ(ev_of(&got[0], "command"), "MAP_CREATE", "bpf command");
	detect_close(d);
}

static void test_refused_and_killed(void)
{
	struct detect *d = engine();
	struct bh_esc_event e = rec(BH_SIG_OPEN, "/proc/sys/kernel/core_pattern", NULL);

	e.arg[1] = BH_OPEN_NAMED;
	e.target_pid = BH_NAME_CORE_PATTERN;
	e.flags = BH_ESCF_KILLED | BH_ESCF_WRITE;
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "alert");
	ASSERT_EQ(got_action[0], ACTION_DENY, "a killed attempt is a deny");
	ASSERT_EQ(got[0].enforcement, ALERT_ENF_KILLED, "killed");
	ASSERT_STREQ(got[0].rule, "core-pattern-write", "rule");
	e = rec(BH_SIG_OPEN, "/sys/fs/cgroup/x/release_agent", NULL);
	e.arg[1] = BH_OPEN_NAMED;
	e.target_pid = BH_NAME_RELEASE_AGENT;
	e.flags = BH_ESCF_REFUSED;
	feed(d, &e);
	ASSERT_EQ(ngot, 2, "another category");
	ASSERT_EQ(got[1].category, ALERT_CGROUP_ESCAPE, "release_agent is a cgroup escape");
	ASSERT_EQ(got[1].enforcement, ALERT_ENF_REFUSED, "refused");
	detect_close(d);
}

static void test_not_attacks(void)
{
	struct detect *d = engine();
	struct bh_esc_event e = rec(BH_SIG_UNIX_CONNECT, "/run/app/app.sock", NULL);

	feed(d, &e);
	ASSERT_EQ(ngot, 0, "an application's own socket");
	e = rec(BH_SIG_UNIX_CONNECT, "/var/run/docker.sock", NULL);
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "the docker socket");
	ASSERT_EQ(got[0].category, ALERT_RUNTIME_SOCKET, "runtime-socket");
	e = rec(BH_SIG_OPEN, "/proc/self/mem", NULL);
	e.arg[1] = BH_OPEN_NAMED;
	e.target_pid = BH_NAME_PROC_MEM;
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "a process's own memory");
	e = rec(BH_SIG_MKNOD, "/dev/null2", NULL);
	e.arg[0] = 0020000 | 0666;
	e.arg[1] = (1 << 8) | 3;	/* char 1:3 */
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "a null device node");
	/* a host cgroup (a host service with a private mount namespace) */
	e = rec(BH_SIG_BPF, NULL, NULL);
	e.hdr.cgroup_id = e.base_cgroup_id = 1;
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "the root cgroup is not a container");
	e.hdr.cgroup_id = e.base_cgroup_id = 98;
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "a systemd service with a private mount namespace is not a container");
	e.hdr.cgroup_id = e.base_cgroup_id = 99;
	feed(d, &e);
	ASSERT_EQ(ngot, 2, "a container no runtime state names is still one");
	detect_close(d);
}

static void test_moved_out_is_still_the_container(void)
{
	struct detect *d = engine();
	struct bh_esc_event e = rec(BH_SIG_CGROUP_ATTACH, "/", NULL);

	e.hdr.cgroup_id = 1;	/* it moved itself to the root cgroup */
	e.target_pid = 77;
	feed(d, &e);
	ASSERT_EQ(ngot, 1, "alert");
	ASSERT_EQ(got[0].category, ALERT_CGROUP_ESCAPE, "cgroup-escape");
	ASSERT_STREQ(ev_of(&got[0], "cgroup"), "/", "evidence");
	detect_close(d);
}

/* Hostile records: wrong size, kind, signal, lengths; nothing crashes, each is counted. */
static void test_hostile(void)
{
	struct detect *d = engine();
	struct bh_esc_event e = rec(BH_SIG_BPF, NULL, NULL);
	unsigned char junk[sizeof(e) + 16];

	detect_escape_handle(d, &e, sizeof(e) - 1);
	e.sig = BH_SIG_COUNT;
	feed(d, &e);
	e = rec(BH_SIG_BPF, NULL, NULL);
	e.str_len[0] = BH_ESC_STR_MAX;
	feed(d, &e);
	e = rec(BH_SIG_BPF, NULL, NULL);
	e.n_chain = BH_ESC_CHAIN_MAX + 1;
	feed(d, &e);
	e = rec(BH_SIG_BPF, NULL, NULL);
	e.hdr.kind = BH_EV_EXEC;
	feed(d, &e);
	ASSERT_EQ(nmalformed, 5, "five malformed records counted");
	ASSERT_EQ(ngot, 0, "none alerted");
	srand(7);
	for (int i = 0; i < 20000; i++) {
		for (size_t j = 0; j < sizeof(junk); j++)
			junk[j] = (unsigned char)rand();
		((struct bh_esc_event *)junk)->hdr.kind = BH_EV_ESCAPE;
		((struct bh_esc_event *)junk)->str_len[0] %= BH_ESC_STR_MAX;
		((struct bh_esc_event *)junk)->str_len[1] %= BH_ESC_STR_MAX;
		((struct bh_esc_event *)junk)->n_chain %= BH_ESC_CHAIN_MAX + 1;
		detect_escape_handle(d, junk, sizeof(e));
	}
	ASSERT_TRUE(ngot <= 32, "random records: no crash");
	detect_close(d);
}

/* The exec telemetry path: kernel module tools by name. */
static void test_exec_names(void)
{
	struct detect *d = engine();
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EVENT_EXEC;
	ev.container = &ctr;
	ev.proc.exe = "/sbin/insmod";
	ev.proc.exe_len = strlen(ev.proc.exe);
	detect_event(d, &ev);
	ASSERT_EQ(ngot, 1, "insmod alerts");
	ASSERT_EQ(got[0].category, ALERT_KERNEL_MODULE, "kernel-module");
	ev.proc.exe = "/bin/ls";
	ev.proc.exe_len = strlen(ev.proc.exe);
	detect_event(d, &ev);
	ASSERT_EQ(ngot, 1, "ls does not");
	ev.container = &host;
	ev.proc.exe = "/sbin/modprobe";
	ev.proc.exe_len = strlen(ev.proc.exe);
	detect_event(d, &ev);
	ASSERT_EQ(ngot, 1, "the host's modprobe does not");
	detect_close(d);
}

int main(void)
{
	RUN(test_mount_rules);
	RUN(test_severity_escalates);
	RUN(test_policy_switches);
	RUN(test_refused_and_killed);
	RUN(test_not_attacks);
	RUN(test_moved_out_is_still_the_container);
	RUN(test_hostile);
	RUN(test_exec_names);
	return test_summary();
}
