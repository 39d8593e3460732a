#!/bin/bash
# `make demo` (scripts/demo.sh): it prints a denial and an alert in --format text within
# seconds, exits 0, and leaves nothing behind: no agent, container, cgroup, BPF pin or
# temporary file of its own. Interrupted (Ctrl-C) half-way, it leaves nothing either.
. "$(dirname "$0")/../lib/common.sh"
t_mount_kernel_fs
for tool in runc jq busybox; do
	command -v $tool >/dev/null || { t_skip demo "$tool is not installed (scripts/deps.sh demo)"; exit 0; }
done
D=$T_BUILD/tests/work/demo-$$
mkdir -p "$D"
t_defer "rm -rf '$D'"

# leftovers PID: what a demo run with that pid would have left, one item a line.
leftovers() {
	local pid="$1" h
	ls -d "/sys/fs/bpf/bulkhead-test-demo-$pid" "/run/bulkhead-test-runc-$pid" \
		"$T_BUILD/tests/containers-$pid" 2>/dev/null
	for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
		ls -d "$h/bulkhead-test-demo-$pid" "$h/bulkhead-test-ct-$pid" 2>/dev/null
	done
	# The agent and the demo's own temporary directory (its lock file names it).
	pgrep -f "bulkhead-demo\.[A-Za-z0-9]*/agent.lock" 2>/dev/null | sed 's/^/agent pid /'
	comm -13 "$D/tmp.before" <(ls -d /tmp/bulkhead-demo.* 2>/dev/null | sort)
}

# A run to the end. Other containers of concurrent tests never appear (the demo shows its own).
ls -d /tmp/bulkhead-demo.* 2>/dev/null | sort > "$D/tmp.before"
start=$(date +%s)
bash "$T_ROOT/scripts/demo.sh" > "$D/out" 2> "$D/err" &
pid=$!
wait $pid
rc=$?
took=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then t_pass demo_exits_0; else t_fail demo_exits_0 "status $rc; $(tail -5 "$D/err")"; fi
line() { grep -E "$1" "$D/out" | head -1; }
if [ -n "$(line '^[0-9:.]{12}  file/deny +demo/shop/web +read /etc/shadow rule=demo:spec.file\[0\]')" ]; then
	t_pass demo_file_denial
else t_fail demo_file_denial "no file/deny line: $(head -5 "$D/out")"; fi
if [ -n "$(line '  net/deny +demo/shop/web +egress tcp 127\.0\.0\.1:6379 \(connect\) rule=demo:')" ]; then
	t_pass demo_connect_denial
else t_fail demo_connect_denial "no net/deny line: $(head -5 "$D/out")"; fi
if [ -n "$(line '  exec/deny +demo/shop/web +exec /tmp/miner rule=demo:spec.exec.deny\[0\]')" ]; then
	t_pass demo_exec_denial
else t_fail demo_exec_denial "no exec/deny line: $(head -5 "$D/out")"; fi
if [ -n "$(line '  alert/[a-z]+ +demo/shop/web +CRITICAL escape core-pattern-write: ')" ]; then
	t_pass demo_escape_alert
else t_fail demo_escape_alert "no alert line: $(grep alert "$D/out" | head -3)"; fi
if grep -v ' demo/shop/web ' "$D/out" | grep -q .; then
	t_fail demo_only_its_container "lines of other containers: $(grep -v ' demo/shop/web ' "$D/out" | head -2)"
else t_pass demo_only_its_container; fi
if [ "$(tr -d -c '\033' < "$D/out" | wc -c)" -eq 0 ]; then t_pass demo_no_colour_off_terminal
else t_fail demo_no_colour_off_terminal "ANSI escapes in a file"; fi
[ "$took" -le 60 ] && t_pass demo_within_a_minute || t_fail demo_within_a_minute "took ${took}s"
left=$(leftovers $pid)
if [ -z "$left" ]; then t_pass demo_leaves_nothing; else t_fail demo_leaves_nothing "left: $(echo $left)"; fi

# Interrupted once the container runs and the agent is up: Ctrl-C (SIGINT to the
# process group; job control so that the background job does not ignore it).
set -m
bash "$T_ROOT/scripts/demo.sh" > "$D/out2" 2> "$D/err2" &
pid=$!
set +m
t_defer "kill -KILL -- -$pid 2>/dev/null"
if t_wait_for 60 grep -q 'a file read the policy denies' "$D/err2"; then
	kill -INT -- -"$pid"
	wait "$pid"
	rc=$?
	left=$(leftovers $pid)
	if [ -z "$left" ]; then t_pass demo_interrupted_leaves_nothing
	else t_fail demo_interrupted_leaves_nothing "status $rc, left: $(echo $left)"; fi
else
	t_fail demo_interrupted_leaves_nothing "the demo never got to its first step: $(tail -3 "$D/err2")"
fi
t_finish
