// SPDX-License-Identifier: GPL-2.0
/*
 * Process records (bpf/abi/events.h) as the decoder sees them: hostile input.
 * Variable-size exec records are accepted only when their size is exactly
 * the header plus the lengths they declare, each within its limit; the
 * strings point into the record; fork and exit records have fixed sizes.
 */
#include <stdlib.h>

#include "pipeline/event.h"
#include "abi/events.h"
#include "telemetry/process.h"
#include "test.h"

/* An exec record of exe and argv (NUL-separated, argc strings), packed as the kernel sends it. */
static size_t exec_record(void *buf, const char *exe, const char *args, size_t args_len)
{
	struct bh_exec_event *e = buf;
	size_t n = strlen(exe);

	memset(e, 0, sizeof(*e));
	e->hdr.kind = BH_EV_EXEC;
	e->hdr.pid = 42;
	e->hdr.tid = 42;
	e->hdr.ppid = 1;
	e->hdr.cgroup_id = 7;
	memcpy(e->hdr.comm, "sh", 3);
	e->exe_len = (uint32_t)n;
	e->args_len = (uint32_t)args_len;
	memcpy(e->data, exe, n);
	memcpy(e->data + n, args, args_len);
	return BH_EXEC_HDR_SIZE + n + args_len;
}

static void test_exec_packed(void)
{
	static struct bh_exec_event e;
	struct event ev;
	size_t size = exec_record(&e, "/bin/ls", "ls\0-l", 5);

	ASSERT_EQ(size, BH_EXEC_HDR_SIZE + 7 + 5, "record size");
	ASSERT_EQ(process_decode(&e, size, &ev), 0, "decode");
	ASSERT_EQ(ev.kind, EVENT_EXEC, "kind");
	ASSERT_EQ(ev.action, ACTION_OBSERVE, "action");
	ASSERT_EQ(ev.proc.pid, 42, "pid");
	ASSERT_STREQ(ev.proc.comm, "sh", "comm");
	ASSERT_EQ(ev.proc.exe_len, 7, "exe length");
	ASSERT_TRUE(!memcmp(ev.proc.exe, "/bin/ls", 7), "exe bytes");
	ASSERT_EQ(ev.proc.args_len, 5, "args length");
	ASSERT_TRUE(ev.proc.args == e.data + 7, "args follow exe in the record");
	ASSERT_TRUE(!memcmp(ev.proc.args, "ls\0-l", 5), "args bytes");
	ASSERT_EQ(ev.proc.exe_truncated, 0, "exe not truncated");
}

static void test_exec_empty_and_full(void)
{
	static struct bh_exec_event e;
	static char args[BH_ARGS_MAX], exe[BH_PATH_MAX];
	struct event ev;
	size_t size;

	size = exec_record(&e, "", "", 0);
	ASSERT_EQ(size, BH_EXEC_HDR_SIZE, "empty record: header only");
	ASSERT_EQ(process_decode(&e, size, &ev), 0, "empty exe and args decode");
	ASSERT_EQ(ev.proc.exe_len + ev.proc.args_len, 0, "empty");

	memset(exe, 'e', sizeof(exe) - 1);
	memset(args, 'a', sizeof(args));
	size = exec_record(&e, exe, args, sizeof(args));
	e.hdr.flags = BH_F_EXE_TRUNC | BH_F_ARGS_TRUNC;
	ASSERT_EQ(size, sizeof(e) - 1, "the longest record: all of the struct but the NUL of exe");
	ASSERT_EQ(process_decode(&e, size, &ev), 0, "longest record decodes");
	ASSERT_EQ(ev.proc.exe_len, BH_PATH_MAX - 1, "exe length");
	ASSERT_EQ(ev.proc.args_len, BH_ARGS_MAX, "args length");
	ASSERT_TRUE(ev.proc.exe_truncated && ev.proc.args_truncated, "truncation flags");
}

/* An exe with a NUL inside (the kernel never sends one) ends there; argv still starts at exe_len. */
static void test_exec_nul_in_exe(void)
{
	static struct bh_exec_event e;
	struct event ev;
	size_t size = exec_record(&e, "/bin/xx", "a", 1);

	e.data[4] = '\0';
	ASSERT_EQ(process_decode(&e, size, &ev), 0, "decode");
	ASSERT_EQ(ev.proc.exe_len, 4, "exe cut at its NUL");
	ASSERT_TRUE(ev.proc.args == e.data + 7, "args where the record says");
}

static void test_exec_malformed(void)
{
	static struct bh_exec_event e;
	struct event ev;
	size_t size = exec_record(&e, "/bin/ls", "ls", 2);

	ASSERT_EQ(process_decode(&e, size - 1, &ev), -1, "one byte short");
	ASSERT_EQ(process_decode(&e, size + 1, &ev), -1, "one byte long");
	ASSERT_EQ(process_decode(&e, BH_EXEC_HDR_SIZE - 1, &ev), -1, "shorter than the exec header");
	ASSERT_EQ(process_decode(&e, sizeof(struct bh_event_hdr) - 1, &ev), -1, "shorter than a header");
	e.exe_len = BH_PATH_MAX;
	e.args_len = 0;
	ASSERT_EQ(process_decode(&e, BH_EXEC_HDR_SIZE + BH_PATH_MAX, &ev), -1, "exe_len over its limit");
	e.exe_len = 0;
	e.args_len = BH_ARGS_MAX + 1;
	ASSERT_EQ(process_decode(&e, BH_EXEC_HDR_SIZE + BH_ARGS_MAX + 1, &ev), -1, "args_len over its limit");
	/* Lengths whose sum wraps around 32 bits must not match a small size. */
	e.exe_len = 8;
	e.args_len = UINT32_MAX - 7;
	ASSERT_EQ(process_decode(&e, BH_EXEC_HDR_SIZE, &ev), -1, "lengths that wrap");
}

static void test_fork_exit(void)
{
	struct bh_fork_event f = { .hdr = { .kind = BH_EV_FORK, .pid = 5 }, .child_pid = 6 };
	struct bh_exit_event x = {
		.hdr = { .kind = BH_EV_EXIT, .pid = 6, .ts_boot_ns = 3000 },
		.exit_code = (2 << 8) | 9, .start_boot_ns = 1000,
	};
	struct event ev;

	ASSERT_EQ(process_decode(&f, sizeof(f), &ev), 0, "fork decodes");
	ASSERT_EQ(ev.kind, EVENT_FORK, "fork kind");
	ASSERT_EQ(ev.fork.child_pid, 6, "child pid");
	ASSERT_TRUE(!ev.proc.exe && !ev.proc.args, "fork has no exe or args");
	ASSERT_EQ(process_decode(&f, sizeof(f) + 8, &ev), -1, "fork of the wrong size");
	ASSERT_EQ(process_decode(&x, sizeof(x), &ev), 0, "exit decodes");
	ASSERT_EQ(ev.kind, EVENT_EXIT, "exit kind");
	ASSERT_EQ(ev.exit.code, 2, "exit status");
	ASSERT_EQ(ev.exit.signal, 9, "exit signal");
	ASSERT_EQ(ev.exit.duration_ns, 2000, "duration");
	ASSERT_EQ(process_decode(&x, sizeof(x) - 8, &ev), -1, "exit of the wrong size");
	x.hdr.kind = 99;
	ASSERT_EQ(process_decode(&x, sizeof(x), &ev), -1, "unknown kind");
}

int main(void)
{
	RUN(test_exec_packed);
	RUN(test_exec_empty_and_full);
	RUN(test_exec_nul_in_exe);
	RUN(test_exec_malformed);
	RUN(test_fork_exit);
	return test_summary();
}
