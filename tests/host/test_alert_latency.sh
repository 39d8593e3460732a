#!/bin/bash
# Alerts do not wait for the telemetry drain. The agent runs with a long
# telemetry drain period (--drain-ms 1000: telemetry is batched for up to a
# second); an alert (a network denial from a real runc container) wakes it by
# itself (adaptive ring-buffer wake-up) and is in the JSON file within a small
# fraction of that, when telemetry is idle and while it floods. Telemetry
# itself still arrives, within the drain period, when a lone event wakes the
# idle agent. Latency is measured from the event's own timestamp (the kernel's,
# in the "time" field) to the moment this script sees the line in the file.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-latency-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/test_output_lib.inc"
t_mount_kernel_fs

ALERT_MAX_MS=${ALERT_MAX_MS:-300}	# a third of the drain period
TEL_MAX_MS=${TEL_MAX_MS:-2500}		# drain period + the writer's batching + a loaded machine

command -v jq >/dev/null || { t_skip alert_latency "jq is not installed (scripts/deps.sh test)"; exit 0; }
if ! alert_setup latency; then t_fail setup "alert source: $(ct_log guard)"; exit 1; fi
# shellcheck disable=SC2046
if ! agent_start lat $(alert_agent_args) --drain-ms 1000; then
	t_fail agent_start "agent did not start"
	exit 1
fi
out="$T_WORK/lat.json"
pod=$(alert_pod)
cg=$(t_cgroup_create lat-tel) || { t_fail setup "cannot make the test cgroup"; exit 1; }

# ms_since_event WORD FILTER: wait (5 s at most) for the first line with WORD in
# it that matches the jq FILTER, after the lines already there; print the ms
# from its "time" to now.
ms_since_event() {
	local word="$1" filter="$2" skip line i
	skip=$(wc -l < "$out")
	for i in $(seq 500); do
		line=$(tail -n +"$((skip + 1))" "$out" | grep -F -- "$word" | jq -c "select($filter)" 2>/dev/null | head -1)
		if [ -n "$line" ]; then
			now=$(date +%s%N)
			ev=$(date -d "$(echo "$line" | jq -r .time)" +%s%N)
			echo $(( (now - ev) / 1000000 ))
			return 0
		fi
		sleep 0.01
	done
	echo "none"
	return 1
}

# latency WORD FILTER CMD...: the ms from an event's time to its line in the output,
# for the first event matching WORD and FILTER after CMD (run once the watch is on).
latency() {
	local word="$1" filter="$2" waiter
	shift 2
	ms_since_event "$word" "$filter" > "$T_WORK/lat.ms" &
	waiter=$!
	sleep 0.2
	"$@" > /dev/null
	wait $waiter
	cat "$T_WORK/lat.ms"
}

# Each denial in its own second: the kernel aggregates a destination's denials per second.
deny_filter=".kind == \"net\" and .action == \"deny\" and .container.pod == \"$pod\""
sleep 1.5
worst=0
for i in 1 2 3; do
	ms=$(latency '"kind":"net"' "$deny_filter" alert_raise)
	t_log "denial $i: in the file ${ms} ms after it happened"
	[ "$ms" = none ] && { worst=none; break; }
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 1.2
done
if [ "$worst" = none ]; then
	t_fail alert_latency_idle "a denial never reached the JSON output"
elif [ "$worst" -le "$ALERT_MAX_MS" ]; then
	t_pass alert_latency_idle "(worst of 3: ${worst} ms; telemetry drain 1000 ms)"
else
	t_fail alert_latency_idle "a denial took ${worst} ms to reach the file (expected <= ${ALERT_MAX_MS} ms)"
fi

# The same while telemetry floods from another cgroup (fork/exec/exit as fast as it goes).
t_in_cgroup "$cg" sh -c 'end=$(($(date +%s) + 6)); while [ $(date +%s) -lt $end ]; do /bin/true; done' &
flood=$!
t_defer "kill $flood"
sleep 1
ms=$(latency '"kind":"net"' "$deny_filter" alert_raise)
wait $flood
if [ "$ms" = none ]; then
	t_fail alert_latency_flood "the denial raised during the flood never reached the JSON output"
elif [ "$ms" -le "$ALERT_MAX_MS" ]; then
	t_pass alert_latency_flood "(${ms} ms)"
else
	t_fail alert_latency_flood "the denial took ${ms} ms during a telemetry flood (expected <= ${ALERT_MAX_MS} ms)"
fi

# A lone telemetry event wakes the idle agent (no periodic drain to wait for) and is out
# within the drain period.
sleep 2
mark="bh-lat-$$"
ms=$(latency "$mark" ".kind == \"exec\" and (.process.args | index(\"$mark\"))" \
	t_in_cgroup "$cg" /bin/echo "$mark")
if [ "$ms" = none ]; then
	t_fail telemetry_after_idle "the exec event never reached the JSON output"
elif [ "$ms" -le "$TEL_MAX_MS" ]; then
	t_pass telemetry_after_idle "(${ms} ms with --drain-ms 1000)"
else
	t_fail telemetry_after_idle "the exec event took ${ms} ms (expected <= ${TEL_MAX_MS} ms)"
fi

if agent_stop lat; then t_pass agent_stops_clean; else t_fail agent_stops_clean "agent exited non-zero"; fi
t_finish
