#!/bin/bash
# The agent on this machine's kernel: probe, refusing bad conditions with one
# clear line, one agent at a time, clean detach on SIGINT/SIGTERM.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
t_mount_kernel_fs

# expect_error NAME PATTERN CMD...: fails with exactly one line on stderr matching PATTERN.
expect_error() {
	local name="$1" pat="$2" err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 0 ]; then t_fail "$name" "expected a non-zero exit, got 0"; return; fi
	if [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ]; then
		t_fail "$name" "expected one line on stderr, got: $err"; return
	fi
	if ! printf '%s' "$err" | grep -q -- "$pat"; then
		t_fail "$name" "expected stderr to match '$pat', got: $err"; return
	fi
	t_pass "$name"
}

# probe: decided by loading programs; this kernel has no BPF LSM but everything else.
json=$("$T_BIN" probe --json)
if [ "$(echo "$json" | jq -r '.features.bpf_lsm.ok')" = false ] &&
   [ "$(echo "$json" | jq -r '.features.cgroup_skb.ok, .features.cgroup_sock_addr.ok, .features.ringbuf.ok, .features.sched_tracepoints.ok, .features.syscall_tracepoints.ok, .features.bpf_loop.ok, .features.btf.ok, .features.bpf_send_signal.ok' | sort -u)" = true ] &&
   [ "$(echo "$json" | jq -r .mode)" = tracepoint-fallback ] &&
   [ "$(echo "$json" | jq -r '.features.file_programs.ok, .features.lsm_hooks.ok' | sort -u)" = false ] &&
   echo "$json" | jq -r .mode_why | grep -q '^BPF LSM: load failed'; then
	t_pass probe_json_host
else
	t_fail probe_json_host "expected LSM absent (so no file programs, no hooks), all else present, mode tracepoint-fallback and why; got $json"
fi
table=$("$T_BIN" probe)
case "$table" in
*"enforcement mode: tracepoint-fallback"*"KILLED"*) t_pass probe_table_says_mode ;;
*) t_fail probe_table_says_mode "table does not state the fallback mode and its limits: $table" ;;
esac
# Only probe loads bh_pr_* programs; the kernel frees them after an RCU grace period.
probe_progs() { bpftool prog show 2>/dev/null | grep -c ' name bh_pr_'; }
no_probe_progs() { [ "$(probe_progs)" -eq 0 ]; }
if t_wait_for 5 no_probe_progs; then t_pass probe_leaves_nothing
else t_fail probe_leaves_nothing "bh_pr_ programs left after probe: $(probe_progs)"; fi

# Bad conditions: one line, non-zero exit.
expect_error not_root "must run as root" setpriv --reuid=65534 --regid=65534 --clear-groups "$T_BIN" run --lock-file /tmp/bh-nonroot.lock
expect_error no_btf "no kernel BTF at /nonexistent/vmlinux" "$T_BIN" run --btf /nonexistent/vmlinux --lock-file "$T_WORK/x.lock"
expect_error no_cgroup2 "is not a cgroup v2 file system" "$T_BIN" run --cgroup-root /tmp --lock-file "$T_WORK/x.lock"
expect_error missing_lsm_hook "cannot run BPF LSM programs" "$T_BIN" run --require-lsm --lock-file "$T_WORK/x.lock"
expect_error bad_option_value "--ringbuf-size: 5000 is not a power of two" "$T_BIN" run --ringbuf-size 5000
expect_error unknown_command "unknown command 'frobnicate'" "$T_BIN" frobnicate

# One agent at a time; SIGTERM and SIGINT detach everything.
# ids_still_loaded IDS: which of these program ids are still in the kernel.
# The kernel frees programs after an RCU grace period: allow it a few seconds.
ids_still_loaded() {
	local id left n=50
	while :; do
		left=""
		for id in $1; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"; done
		[ -z "$left" ] || [ $n -eq 0 ] && break
		n=$((n - 1)); sleep 0.1
	done
	echo $left
}

if agent_start first; then
	t_pass agent_starts
	pid=$(cat "$T_WORK/first.pid")
	ids=$(agent_prog_ids "$pid")
	if [ -n "$ids" ]; then t_pass agent_attaches; else t_fail agent_attaches "agent $pid holds no bh_ programs"; fi
	expect_error second_agent "another bulkhead agent is already running (pid $pid" \
		"$T_BIN" run --lock-file "$T_WORK/first.lock"
	if agent_stop first; then t_pass sigterm_exit_0; else t_fail sigterm_exit_0 "agent exited non-zero on SIGTERM"; fi
	left=$(ids_still_loaded "$ids")
	if [ -z "$left" ]; then t_pass sigterm_detaches; else t_fail sigterm_detaches "programs $left still loaded after SIGTERM"; fi
else
	t_fail agent_starts "agent did not start"
fi

if agent_start second; then
	pid=$(cat "$T_WORK/second.pid")
	ids=$(agent_prog_ids "$pid")
	kill -INT "$pid"
	wait "$pid"; rc=$?
	rm -f "$T_WORK/second.pid"
	left=$(ids_still_loaded "$ids")
	if [ $rc -eq 0 ] && [ -n "$ids" ] && [ -z "$left" ]; then t_pass sigint_detaches
	else t_fail sigint_detaches "exit $rc, programs held: '$ids', still loaded: '$left'"; fi
else
	t_fail sigint_detaches "agent did not start"
fi
t_finish
