#!/bin/bash
# Exec/fork/exit events end to end on this machine's kernel: a process exec'd
# in a real runc container with Kubernetes annotations produces exactly one
# exec event carrying the right container and process fields; host processes
# are marked as host.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
. "$(dirname "$0")/../lib/container.sh"
t_mount_kernel_fs

# events_matching NAME JQ-FILTER: the events of agent NAME that match.
events_matching() { jq -c "select($2)" "$T_WORK/$1.json" 2>/dev/null; }
count_matching() { events_matching "$1" "$2" | grep -c .; }

if ! ct_start web "" nginx-7d4b9 shop frontend; then
	t_fail container_start "runc container did not start: $(ct_log web)"
	exit 1
fi
if ! agent_start ev --state-root "$(ct_root)"; then
	t_fail agent_start "agent did not start"
	exit 1
fi

marker="bh-marker-$$-$RANDOM"
pidfile="$T_WORK/exec-$$.pid"
"$CT_RUNTIME" --root "$(ct_root)" exec --pid-file "$pidfile" web /bin/echo "$marker" "two words" >/dev/null </dev/null
hostpid=$(cat "$pidfile")
cgid=$(ct_cgroup_id web)
# runc's own command line carries the marker too: match the exec'd program's argv[1].
sel='.kind == "exec" and .process.args[1] == "'"$marker"'"'
t_wait_for 10 sh -c "grep -q '$marker' '$T_WORK/ev.json'"
sleep 0.3	# a duplicate would arrive within the same drain period

n=$(count_matching ev "$sel")
if [ "$n" -eq 1 ]; then t_pass container_exec_exactly_once
else t_fail container_exec_exactly_once "expected 1 exec event with $marker, got $n"; fi

ev=$(events_matching ev "$sel" | head -1)
check_field() {
	local name="$1" filter="$2" want="$3" got
	got=$(echo "$ev" | jq -r "$filter")
	if [ "$got" = "$want" ]; then t_pass "$name"; else t_fail "$name" "expected $filter = '$want', got '$got' in $ev"; fi
}
check_field exec_cgroup_id .container.cgroup_id "$cgid"
check_field exec_pid .process.pid "$hostpid"
check_field exec_exe .process.exe /bin/echo
check_field exec_args '.process.args | join("|")' "/bin/echo|$marker|two words"
check_field exec_comm .process.comm echo
check_field exec_pod .container.pod nginx-7d4b9
check_field exec_namespace .container.namespace shop
check_field exec_container_name .container.name frontend
check_field exec_container_id .container.id web
check_field exec_runtime .container.runtime runc
check_field exec_not_host .container.host false
check_field exec_action .action observe
check_field exec_time_rfc3339 '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")' true

# Its exit, with the same container.
t_wait_for 5 sh -c "jq -e 'select(.kind == \"exit\" and .process.pid == $hostpid)' '$T_WORK/ev.json' >/dev/null"
if [ "$(count_matching ev ".kind == \"exit\" and .process.pid == $hostpid and .container.pod == \"nginx-7d4b9\" and .exit.code == 0")" -eq 1 ]; then
	t_pass container_exit_event
else
	t_fail container_exit_event "no exit event for pid $hostpid with code 0"
fi

# A fork inside the container.
ct_exec web sh -c 'true & wait' >/dev/null
t_wait_for 5 sh -c "jq -e 'select(.kind == \"fork\" and .container.cgroup_id == $cgid)' '$T_WORK/ev.json' >/dev/null"
if [ "$(count_matching ev ".kind == \"fork\" and .container.cgroup_id == $cgid")" -ge 1 ]; then
	t_pass container_fork_event
else
	t_fail container_fork_event "no fork event from cgroup $cgid"
fi

# A host process in a plain test cgroup is marked as host.
cg=$(t_cgroup_create events)
hmarker="bh-host-$$-$RANDOM"
t_in_cgroup "$cg" /bin/echo "$hmarker" >/dev/null
t_wait_for 5 sh -c "grep -q '$hmarker' '$T_WORK/ev.json'"
hev=$(events_matching ev ".kind == \"exec\" and .process.args[1] == \"$hmarker\"" | head -1)
if [ "$(echo "$hev" | jq -r '.container.host, .container.cgroup_id' | tr '\n' ' ')" = "true $(t_cgroup_id "$cg") " ]; then
	t_pass host_exec_marked_host
else
	t_fail host_exec_marked_host "expected host=true in cgroup $(t_cgroup_id "$cg"), got $hev"
fi

# Hostile arguments still give valid JSON lines.
t_in_cgroup "$cg" /bin/echo "$(printf 'q"\\\001\377end')" >/dev/null
sleep 0.3
if jq -c . "$T_WORK/ev.json" >/dev/null 2>&1; then t_pass every_line_valid_json
else t_fail every_line_valid_json "jq cannot parse $T_WORK/ev.json"; fi

if agent_stop ev; then t_pass agent_stops_clean; else t_fail agent_stops_clean "agent exited non-zero"; fi
if grep -q 'lost' "$T_WORK/ev.log" && ! grep -q ' 0 lost' "$T_WORK/ev.log"; then
	t_fail no_events_lost "$(grep lost "$T_WORK/ev.log")"
else
	t_pass no_events_lost
fi
t_finish
