#!/bin/bash
# The JSON output and the pipeline around it, with the real agent:
#   - SIGHUP reopens the output file (logrotate's move-then-HUP);
#   - the config file sets options, the command line overrides them, and a
#     bad config file is refused with FILE:LINE;
#   - a container started after the agent: its very first exec event already
#     carries pod and namespace (cgroup_mkdir + the held-miss path);
#   - a slow output (stdout into a pipe nobody reads) never stalls the ring
#     buffer: telemetry is dropped in the output's queue and counted, the
#     kernel loses nothing, and the agent still exits promptly on SIGTERM.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-output-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/test_output_lib.inc"
t_mount_kernel_fs

cg=$(t_cgroup_create output) || { t_fail setup "cannot make the test cgroup"; exit 1; }

# ---- SIGHUP reopen --------------------------------------------------------
if ! agent_start out; then t_fail agent_start "agent did not start"; exit 1; fi
m1="bh-before-$$"
t_in_cgroup "$cg" /bin/echo "$m1" >/dev/null
t_wait_for 5 grep -q "$m1" "$T_WORK/out.json"
mv "$T_WORK/out.json" "$T_WORK/out.json.1"
kill -HUP "$(cat "$T_WORK/out.pid")"
t_wait_for 5 test -e "$T_WORK/out.json"
m2="bh-after-$$"
t_in_cgroup "$cg" /bin/echo "$m2" >/dev/null
t_wait_for 5 grep -q "$m2" "$T_WORK/out.json"
if grep -q "$m1" "$T_WORK/out.json.1" && grep -q "$m2" "$T_WORK/out.json" && ! grep -q "$m2" "$T_WORK/out.json.1"; then
	t_pass sighup_reopens_json_file
else
	t_fail sighup_reopens_json_file "events did not move to the new file after SIGHUP"
fi
jq -c . "$T_WORK/out.json" "$T_WORK/out.json.1" >/dev/null 2>&1 && t_pass every_line_json || t_fail every_line_json "jq failed"
agent_stop out || t_fail agent_stop "agent exited non-zero"

# ---- config file ----------------------------------------------------------
conf=$T_WORK/out-config-$$.yaml
t_defer "rm -f '$conf'"
cat > "$conf" <<EOF
# bulkhead run settings
json-file: $T_WORK/from-config.json
drain-ms: 20
lock-file: $T_WORK/cfg.lock
fork-events: true
EOF
sed -i '/fork-events/d' "$conf"	# (not an option: --no-fork-events is)
echo "no-fork-events: true" >> "$conf"
: > "$T_WORK/from-config.json"
: > "$T_WORK/cfg.log"	# before the agent starts: a wait must not find an old "ready"
"$T_BIN" run --config "$conf" 2> "$T_WORK/cfg.log" &
cpid=$!
t_defer "kill -9 $cpid 2>/dev/null"
if t_wait_for 30 grep -q 'agent: ready' "$T_WORK/cfg.log"; then
	m3="bh-config-$$"
	t_in_cgroup "$cg" sh -c "/bin/echo $m3 >/dev/null"
	if t_wait_for 5 grep -q "$m3" "$T_WORK/from-config.json" &&
	   ! grep -q '"kind":"fork"' "$T_WORK/from-config.json"; then
		t_pass config_file_applies
	else
		t_fail config_file_applies "events not in the config's json-file, or fork events despite no-fork-events"
	fi
else
	t_fail config_file_applies "agent did not start with --config: $(cat "$T_WORK/cfg.log")"
fi
kill -TERM $cpid; wait $cpid
# The command line wins over the file.
: > "$T_WORK/from-cli.json"
: > "$T_WORK/cfg2.log"	# before the agent starts: a wait must not find an old "ready"
"$T_BIN" run --config "$conf" --json-file "$T_WORK/from-cli.json" 2> "$T_WORK/cfg2.log" &
cpid=$!
t_defer "kill -9 $cpid 2>/dev/null"
if t_wait_for 30 grep -q 'agent: ready' "$T_WORK/cfg2.log"; then
	m4="bh-cli-$$"
	t_in_cgroup "$cg" /bin/echo "$m4" >/dev/null
	if t_wait_for 5 grep -q "$m4" "$T_WORK/from-cli.json"; then t_pass command_line_overrides_config
	else t_fail command_line_overrides_config "event not in --json-file given on the command line"; fi
else
	t_fail command_line_overrides_config "agent did not start: $(cat "$T_WORK/cfg2.log")"
fi
kill -TERM $cpid; wait $cpid
printf 'json-file: /tmp/x\nsyslog-remote: tcp://nowhere\n' > "$conf"
out=$("$T_BIN" run --config "$conf" 2>&1); rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q "^bulkhead: $conf:2: --syslog-remote: expected"; then
	t_pass bad_config_file_line
else
	t_fail bad_config_file_line "rc $rc: $out"
fi

# ---- a container started after the agent ----------------------------------
if ! agent_start late --state-root "$(ct_root)"; then t_fail agent_start "agent did not start"; exit 1; fi
if ct_start late "" "late-pod-$$" bh-late late-ct sleep 3600; then
	cgid=$(ct_cgroup_id late)
	first() { jq -c "select(.container.cgroup_id == $cgid and .kind == \"exec\")" "$T_WORK/late.json" 2>/dev/null | head -1; }
	t_wait_for 5 sh -c "grep -q '\"cgroup_id\":$cgid,' '$T_WORK/late.json'"
	ev=$(first)
	if echo "$ev" | jq -e ".container.pod == \"late-pod-$$\" and .container.namespace == \"bh-late\" and .container.name == \"late-ct\"" >/dev/null 2>&1; then
		t_pass new_container_first_exec_attributed
	else
		t_fail new_container_first_exec_attributed "first exec event: $ev"
	fi
	n=$(jq -c "select(.container.cgroup_id == $cgid and .container.pod != \"late-pod-$$\")" "$T_WORK/late.json" | grep -c .)
	[ "$n" = 0 ] && t_pass new_container_every_event_attributed || t_fail new_container_every_event_attributed "$n events of the container without its pod"
else
	t_fail new_container_first_exec_attributed "container did not start: $(ct_log late)"
fi
agent_stop late || t_fail agent_stop "agent exited non-zero"

# ---- a slow output never stalls the ring buffer ---------------------------
PM=$(free_port tcp) || { t_fail setup "no free port"; exit 1; }
fifo=$T_WORK/out-fifo-$$
rm -f "$fifo"; mkfifo "$fifo"
t_defer "rm -f '$fifo'"
exec 9<>"$fifo"		# held open, never read: the pipe fills after 64 KiB
: > "$T_WORK/slow.log"	# before the agent starts: a wait must not find an old "ready"
"$T_BIN" run --json-file - --lock-file "$T_WORK/slow.lock" --drain-ms 20 --ringbuf-size 65536 \
	--queue-size 65536 --metrics-addr "127.0.0.1:$PM" > "$fifo" 2> "$T_WORK/slow.log" &
spid=$!
t_defer "kill -9 $spid 2>/dev/null"
if t_wait_for 30 grep -q 'agent: ready' "$T_WORK/slow.log"; then
	t_in_cgroup "$cg" sh -c 'i=0; while [ $i -lt 1500 ]; do /bin/true; i=$((i+1)); done'
	sleep 1.5
	m=$(curl -s "http://127.0.0.1:$PM/metrics")
	dropped=$(echo "$m" | sed -n 's/^bulkhead_output_dropped_total{output="json:stdout",type="json",class="telemetry"} //p')
	lost=$(echo "$m" | sed -n 's/^bulkhead_ringbuf_lost_total{ring="process"} //p')
	if [ "${dropped:-0}" -gt 0 ] && [ "$lost" = 0 ]; then
		t_pass slow_output_drops_in_queue_not_in_kernel
	else
		t_fail slow_output_drops_in_queue_not_in_kernel "output dropped '$dropped', kernel lost '$lost'"
	fi
	grep -q 'output json:stdout: queue full: [0-9]* telemetry messages dropped' "$T_WORK/slow.log" &&
		t_pass slow_output_drop_logged || t_fail slow_output_drop_logged "no drop line in the log"
	t0=$(date +%s)
	kill -TERM $spid
	wait $spid
	if [ $(( $(date +%s) - t0 )) -le 8 ]; then t_pass slow_output_exit_prompt
	else t_fail slow_output_exit_prompt "took $(( $(date +%s) - t0 )) s to exit"; fi
else
	t_fail slow_output "agent did not start: $(cat "$T_WORK/slow.log")"
fi
exec 9<&-
t_finish
