#!/bin/bash
# Overflow on purpose: the telemetry ring buffer is made tiny (4 KiB, a few
# exec records) and a real runc container floods it with fork/exec/exit.
# Records the kernel could not reserve are counted per container and reported
# on every output: a kind "lost" event in the JSON output carrying the pod, a
# syslog message with the same in its structured data (a real rsyslogd over
# TCP), a per-container Prometheus counter, and a log line. A network denial
# raised in the middle of the flood still arrives: enforcement events travel
# on their own ring buffer, drained before telemetry.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-overflow-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/test_output_lib.inc"
t_mount_kernel_fs

for tool in rsyslogd curl; do
	command -v $tool >/dev/null || { t_skip overflow "$tool is not installed (scripts/deps.sh test)"; exit 0; }
done
PU=$(free_port udp) && PT=$(free_port tcp) && PM=$(free_port tcp) || { t_fail setup "no free port"; exit 1; }
[ "$PM" != "$PT" ] || PM=$((PM + 1))
if ! rsyslog_start ov "$PU" "$PT"; then t_fail rsyslog_start "rsyslogd did not start"; exit 1; fi
if ! alert_setup overflow; then t_fail setup "alert source: $(ct_log guard)"; exit 1; fi
# shellcheck disable=SC2046
if ! agent_start ov $(alert_agent_args) --ringbuf-size 4096 --syslog-remote "tcp://127.0.0.1:$PT" \
	--metrics-addr "127.0.0.1:$PM"; then
	t_fail agent_start "agent did not start"
	exit 1
fi
pod=$(alert_pod)
cgid=$(ct_cgroup_id guard)

# The flood: four loops of fork + exec + exit in the container, and a denial in the middle.
# The agent is stopped (SIGSTOP) for the flood: a consumer that cannot keep up, made
# deterministic, so the 4 KiB telemetry ring overflows on any machine, however fast.
agent_pid=$(cat "$T_WORK/ov.pid")
kill -STOP "$agent_pid"
ct_exec guard sh -c 'for j in 1 2 3 4; do (i=0; while [ $i -lt 400 ]; do /bin/true; i=$((i+1)); done) & done; wait' &
flood=$!
sleep 0.3
alert_raise
wait $flood
kill -CONT "$agent_pid"
sleep 2.5	# loss reports go out once a second

lost_json=$(jq -s "[.[] | select(.kind == \"lost\" and .container.cgroup_id == $cgid) | .lost.records] | add // 0" "$T_WORK/ov.json")
if [ "$lost_json" -gt 0 ] 2>/dev/null; then
	t_pass lost_event_json "($lost_json records lost in the container)"
else
	t_fail lost_event_json "no kind \"lost\" event for cgroup $cgid; agent log: $(grep -i lost "$T_WORK/ov.log" | tail -3)"
fi
ev=$(jq -c "select(.kind == \"lost\" and .container.cgroup_id == $cgid)" "$T_WORK/ov.json" | head -1)
if echo "$ev" | jq -e ".action == \"alert\" and .container.pod == \"$pod\" and .container.namespace == \"$(alert_ns)\" and .lost.ring == \"process\" and .lost.total >= .lost.records" >/dev/null 2>&1; then
	t_pass lost_event_fields
else
	t_fail lost_event_fields "unexpected lost event: $ev"
fi

if grep -q "process records lost in container $(alert_ns)/$pod/$(alert_ct) (cgroup $cgid)" "$T_WORK/ov.log"; then
	t_pass lost_log_line
else
	t_fail lost_log_line "no per-container log line: $(grep lost "$T_WORK/ov.log" | head -3)"
fi

metric=$(curl -s "http://127.0.0.1:$PM/metrics" |
	 sed -n "s/^bulkhead_events_lost_total{namespace=\"$(alert_ns)\",pod=\"$pod\",container=\"$(alert_ct)\",ring=\"process\"} //p")
if [ "$metric" = "$lost_json" ]; then
	t_pass lost_metric_per_container "(bulkhead_events_lost_total = $metric)"
else
	t_fail lost_metric_per_container "metric '$metric', JSON says $lost_json"
fi

if t_wait_for 5 sh -c "grep '^imtcp|' '$T_WORK/ov.syslog' | grep 'kind=\"lost\"' | grep -q 'pod=\"$pod\"'"; then
	sd=$(grep '^imtcp|' "$T_WORK/ov.syslog" | grep 'kind="lost"' | grep "pod=\"$pod\"" | head -1 | cut -d'|' -f3,8)
	case "$sd" in
	"warning|"*'[lost@32473 count="'*'" ring="process"]'*) t_pass lost_syslog ;;
	*) t_fail lost_syslog "unexpected: $sd" ;;
	esac
else
	t_fail lost_syslog "no lost message for the pod in rsyslogd's output"
fi

# The denial raised during the flood arrived, with its container.
if jq -c "select(.kind == \"net\" and .action == \"deny\" and .container.pod == \"$pod\")" "$T_WORK/ov.json" 2>/dev/null | grep -q .; then
	t_pass alert_during_flood_arrives
else
	t_fail alert_during_flood_arrives "no deny event in the JSON output"
fi
if grep '^imtcp|' "$T_WORK/ov.syslog" | grep 'kind="net" action="deny"' | grep -q "pod=\"$pod\""; then
	t_pass alert_during_flood_syslog
else
	t_fail alert_during_flood_syslog "no deny in rsyslogd's output"
fi
net_lost=$(curl -s "http://127.0.0.1:$PM/metrics" | sed -n 's/^bulkhead_ringbuf_lost_total{ring="net"} //p')
[ "${net_lost:-0}" = 0 ] && t_pass alert_ring_lost_nothing || t_fail alert_ring_lost_nothing "net ring lost $net_lost"

if agent_stop ov; then t_pass agent_stops_clean; else t_fail agent_stops_clean "agent exited non-zero"; fi
t_finish
