#!/bin/bash
# Syslog outputs against a real rsyslogd: a network denial in a real runc
# container reaches rsyslogd three ways, through syslog(3) and /dev/log, as
# RFC 5424 over UDP and as RFC 5424 over TCP with octet counting; the test
# parses rsyslogd's output file for severity, facility, app-name, msgid, the
# container and rule in the structured data and the JSON message. Telemetry
# stays out of syslog unless asked. Then rsyslogd goes away: an alert raised
# meanwhile waits in the TCP sink's queue and arrives once it is back.
#
# Runs in a private mount namespace with a /dev of its own: this machine has
# no /dev/log, and the test must not make one for everybody.
if [ -z "$BH_SYSLOG_NS" ]; then
	exec unshare -m --propagation private env BH_SYSLOG_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-syslog-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/test_output_lib.inc"
t_mount_kernel_fs

if ! command -v rsyslogd >/dev/null; then t_skip syslog "rsyslogd is not installed (scripts/deps.sh test)"; exit 0; fi
if ! ns_private_dev; then t_fail setup "cannot make a private /dev"; exit 1; fi
PU=$(free_port udp) && PT=$(free_port tcp) || { t_fail setup "no free port"; exit 1; }
if ! rsyslog_start sl "$PU" "$PT" unix; then t_fail rsyslog_start "rsyslogd did not start"; exit 1; fi
t_pass rsyslog_start
if ! alert_setup syslog; then t_fail setup "alert source: $(ct_log guard)"; exit 1; fi
# shellcheck disable=SC2046
if ! agent_start sl $(alert_agent_args) --syslog --syslog-facility local3 \
	--syslog-remote "udp://127.0.0.1:$PU" --syslog-remote "tcp://127.0.0.1:$PT"; then
	t_fail agent_start "agent did not start"
	exit 1
fi

alert_raise
pod=$(alert_pod)
# input|facility|severity|hostname|app-name|procid|msgid|structured-data|msg
wait3() { [ "$(syslog_lines sl "pod=\"$pod\"" | grep -c 'kind="net" action="deny"')" -ge 3 ]; }
if t_wait_for 10 wait3; then t_pass alert_reaches_rsyslogd_three_ways
else t_fail alert_reaches_rsyslogd_three_ways "expected 3 lines (imuxsock, imudp, imtcp), got: $(cat "$T_WORK/sl.syslog")"; fi

# field INPUT N: field N of the deny line that came in through INPUT
field() { syslog_lines sl "pod=\"$pod\"" | grep "^$1|" | head -1 | cut -d'|' -f"$2"; }
check() {
	local name="$1" got="$2" want="$3"
	case "$got" in
	*"$want"*) t_pass "$name" ;;
	*) t_fail "$name" "expected '$want' in '$got'" ;;
	esac
}
for input in imudp imtcp; do
	check "${input}_facility_severity" "$(field $input 2)|$(field $input 3)" "local3|warning"
	check "${input}_app_name" "$(field $input 5)" "bulkhead"
	check "${input}_procid" "$(field $input 6)" "$(cat "$T_WORK/sl.pid")"
	check "${input}_msgid" "$(field $input 7)" "net"
	check "${input}_sd_container" "$(field $input 8)" \
		"[container@32473 cgroup_id=\"$(ct_cgroup_id guard)\" host=\"false\" namespace=\"$(alert_ns)\" pod=\"$pod\" name=\"$(alert_ct)\" id=\"guard\" runtime=\"runc\"]"
	check "${input}_sd_rule" "$(field $input 8)" '[rule@32473 policy="guard" rule="spec.network.egress[0\]"]'
	check "${input}_sd_net" "$(field $input 8)" 'raddr="127.0.0.1" rport="9"'
	msg=$(field $input 9)
	if echo "$msg" | jq -e '.kind == "net" and .action == "deny" and .net.remote_port == 9' >/dev/null 2>&1; then
		t_pass "${input}_msg_is_the_json_event"
	else
		t_fail "${input}_msg_is_the_json_event" "MSG is not the event: $msg"
	fi
done
# syslog(3): rsyslogd parses the RFC 3164 header glibc writes; the SD is in the text.
check imuxsock_facility_severity "$(field imuxsock 2)|$(field imuxsock 3)" "local3|warning"
check imuxsock_tag "$(field imuxsock 5)" "bulkhead"
check imuxsock_text "$(field imuxsock 9)" "[event@32473 kind=\"net\" action=\"deny\"][container@32473"
check imuxsock_rule "$(field imuxsock 9)" 'rule="spec.network.egress[0\]"'

# Telemetry does not go to syslog by default (exec events exist in the JSON output).
ct_exec guard /bin/true
sleep 0.5
if grep -q '"kind":"exec"' "$T_WORK/sl.json" && ! grep -q 'kind="exec"' "$T_WORK/sl.syslog"; then
	t_pass telemetry_not_in_syslog
else
	t_fail telemetry_not_in_syslog "exec events in syslog, or none in JSON"
fi

# rsyslogd goes away; an alert raised meanwhile is queued and arrives over TCP once it is back.
rsyslog_stop sl
mv "$T_WORK/sl.syslog" "$T_WORK/sl.syslog.1"
alert_raise
sleep 1.5
if ! rsyslog_start sl "$PU" "$PT" unix; then t_fail rsyslog_restart "rsyslogd did not start again"; exit 1; fi
if t_wait_for 40 sh -c "grep '^imtcp|' '$T_WORK/sl.syslog' | grep -q 'pod=\"$pod\"'"; then
	t_pass tcp_alert_survives_syslog_restart
else
	t_fail tcp_alert_survives_syslog_restart "the alert queued while rsyslogd was down never arrived over TCP; agent log: $(tail -5 "$T_WORK/sl.log")"
fi
if grep -q 'output syslog-tcp://127.0.0.1:'"$PT"': back up' "$T_WORK/sl.log"; then t_pass tcp_reconnect_logged
else t_fail tcp_reconnect_logged "no 'back up' line in the agent log"; fi

if agent_stop sl; then t_pass agent_stops_clean; else t_fail agent_stops_clean "agent exited non-zero"; fi
t_finish
