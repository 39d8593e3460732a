#!/bin/bash
# Prometheus metrics against a real Prometheus: the agent serves /metrics on a
# free loopback port, a denial happens in a real runc container, Prometheus
# scrapes the agent, and the test reads the denial counter back through
# Prometheus's HTTP query API with the container's labels. promtool checks the
# exposition; BPF program run counts appear with --bpf-stats; requests other
# than GET/HEAD of /metrics and /healthz are refused.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-metrics-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/test_output_lib.inc"
t_mount_kernel_fs

for tool in prometheus promtool curl; do
	command -v $tool >/dev/null || { t_skip metrics "$tool is not installed (scripts/deps.sh test)"; exit 0; }
done
PM=$(free_port tcp) && PP=$(free_port tcp) || { t_fail setup "no free port"; exit 1; }
[ "$PM" != "$PP" ] || PP=$((PP + 1))
if ! alert_setup metrics; then t_fail setup "alert source: $(ct_log guard)"; exit 1; fi
# shellcheck disable=SC2046
if ! agent_start mt $(alert_agent_args) --metrics-addr "127.0.0.1:$PM" --bpf-stats; then
	t_fail agent_start "agent did not start"
	exit 1
fi
URL="http://127.0.0.1:$PM"

# Prometheus, scraping every second, its data in the test's work directory.
PDIR=$T_WORK/prometheus-$$
mkdir -p "$PDIR/data"
t_defer "rm -rf '$PDIR'"
cat > "$PDIR/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: bulkhead
    static_configs: [{targets: ['127.0.0.1:$PM']}]
EOF
prometheus --config.file="$PDIR/prometheus.yml" --storage.tsdb.path="$PDIR/data" \
	--web.listen-address="127.0.0.1:$PP" > "$PDIR/log" 2>&1 &
echo $! > "$PDIR/pid"
t_defer "kill \$(cat '$PDIR/pid') 2>/dev/null; wait \$(cat '$PDIR/pid') 2>/dev/null"

alert_raise
pod=$(alert_pod)
sleep 1.2	# the agent renders once a second

body=$(curl -s "$URL/metrics")
echo "$body" > "$T_WORK/mt.metrics"
if promtool check metrics < "$T_WORK/mt.metrics" > "$T_WORK/mt.promtool" 2>&1; then
	t_pass promtool_check_metrics
else
	t_fail promtool_check_metrics "promtool: $(cat "$T_WORK/mt.promtool")"
fi
has() {
	local name="$1" re="$2"
	if grep -Eq -- "$re" "$T_WORK/mt.metrics"; then t_pass "$name"; else t_fail "$name" "no line matching $re"; fi
}
has denial_series "^bulkhead_denials_total\{namespace=\"$(alert_ns)\",pod=\"$pod\",container=\"$(alert_ct)\",kind=\"net\"\} [1-9]"
has deny_event_series "^bulkhead_events_total\{namespace=\"$(alert_ns)\",pod=\"$pod\",container=\"$(alert_ct)\",kind=\"net\",action=\"deny\"\} [1-9]"
has host_events "^bulkhead_events_total\{namespace=\"\",pod=\"\",container=\"\",kind=\"exec\",action=\"observe\"\} [1-9]"
has ring_size '^bulkhead_ringbuf_size_bytes\{ring="process"\} 2097152$'
has ring_used '^bulkhead_ringbuf_used_bytes\{ring="process"\} [0-9]+$'
has ring_lost '^bulkhead_ringbuf_lost_total\{ring="process"\} 0$'
has containers_tracked '^bulkhead_containers_tracked [1-9]'
has bpf_stats_on '^bulkhead_bpf_stats_enabled 1$'
has bpf_exec_runs '^bulkhead_bpf_program_runs_total\{program="bh_exec"\} [1-9]'
has bpf_exec_time '^bulkhead_bpf_program_run_seconds_total\{program="bh_exec"\} 0\.[0-9]*[1-9]'
has bpf_net_prog '^bulkhead_bpf_program_runs_total\{program="bh_net_[a-z_0-9]*"\} [1-9]'
has output_series "^bulkhead_output_messages_total\{output=\"json:$T_WORK/mt.json\",type=\"json\",class=\"alert\"\} [1-9]"
has process_cpu '^process_cpu_seconds_total [0-9.]+$'

# The policy set in force: sha256 of its one file's bytes, the first generation, no errors.
sha=$(cat "$ALERT_POL"/*.yaml | sha256sum | cut -d' ' -f1)
has policy_info "^bulkhead_policy_info\{sha256=\"$sha\",generation=\"1\"\} 1$"
has policy_load_errors_zero '^bulkhead_policy_load_errors_total 0$'

# Every metric the Grafana dashboard and the alerting rules query is one /metrics serves
# (a family with its # TYPE line; "up" is Prometheus's own).
served=$(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$T_WORK/mt.metrics" | sort -u)
for f in grafana-dashboard.json prometheus-rules.yaml; do
	if [ "$f" = grafana-dashboard.json ]; then
		used=$(jq -r '.. | objects | (.expr?, .definition?) | strings' "$T_ROOT/deploy/$f")
	else
		used=$(sed -n 's/^ *expr: //p' "$T_ROOT/deploy/$f")
	fi
	names=$(echo "$used" | grep -oE '\b(bulkhead|process)_[a-z0-9_]+' | sort -u)
	missing=$(comm -23 <(echo "$names") <(echo "$served") | tr '\n' ' ')
	if [ -z "$names" ]; then
		t_fail "deploy_${f%%[.-]*}_metrics_served" "no metric names found in deploy/$f"
	elif [ -z "$missing" ]; then
		t_pass "deploy_${f%%[.-]*}_metrics_served"
	else
		t_fail "deploy_${f%%[.-]*}_metrics_served" "deploy/$f queries metrics /metrics does not serve: $missing"
	fi
done

# A reload with an error is refused and counted; the set in force stays. The fixed set is
# the second generation, with the digest of the new bytes.
metric() { curl -s "$URL/metrics" | grep -E "$1"; }
printf 'apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: broken}\nspec: {selector: {namespaces: [x]}, bogus: 1}\n' \
	> "$ALERT_POL/zz-broken.yaml"
if t_wait_for 15 metric '^bulkhead_policy_load_errors_total 1$' >/dev/null &&
   metric "^bulkhead_policy_info\{sha256=\"$sha\",generation=\"1\"\} 1$" >/dev/null; then
	t_pass policy_load_error_counted
else
	t_fail policy_load_error_counted "after a broken file: $(metric '^bulkhead_policy_')"
fi
rm -f "$ALERT_POL/zz-broken.yaml"
echo "# a comment changes the bytes" >> "$ALERT_POL/guard.yaml"
sha2=$(cat "$ALERT_POL"/*.yaml | sha256sum | cut -d' ' -f1)
if t_wait_for 15 metric "^bulkhead_policy_info\{sha256=\"$sha2\",generation=\"[2-9]\"\} 1$" >/dev/null &&
   metric '^bulkhead_policy_load_errors_total 1$' >/dev/null; then
	t_pass policy_info_follows_reload
else
	t_fail policy_info_follows_reload "want sha256 $sha2, a later generation: $(metric '^bulkhead_policy_')"
fi

# Hostile requests.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -X POST --data x "$URL/metrics")" = 405 ] && t_pass post_refused || t_fail post_refused "POST /metrics not 405"
[ "$(code "$URL/../../etc/passwd")" = 404 ] && t_pass other_path_404 || t_fail other_path_404 "not 404"
[ "$(code "$URL/healthz")" = 200 ] && t_pass healthz || t_fail healthz "not 200"

# Prometheus scraped it: read the denial counter back through its query API.
q='bulkhead_denials_total{pod="'"$pod"'",namespace="'"$(alert_ns)"'",container="'"$(alert_ct)"'",kind="net"}'
got=""
query() {
	got=$(curl -s --get --data-urlencode "query=$q" "http://127.0.0.1:$PP/api/v1/query" |
	      jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
	[ -n "$got" ] && [ "$got" -ge 1 ] 2>/dev/null
}
if t_wait_for 30 query; then t_pass prometheus_reads_denial_counter
else t_fail prometheus_reads_denial_counter "query $q gave '$got'; prometheus log: $(tail -3 "$PDIR/log")"; fi
up=$(curl -s --get --data-urlencode 'query=up{job="bulkhead"}' "http://127.0.0.1:$PP/api/v1/query" |
     jq -r '.data.result[0].value[1] // empty')
[ "$up" = 1 ] && t_pass prometheus_target_up || t_fail prometheus_target_up "up = '$up'"

if agent_stop mt; then t_pass agent_stops_clean; else t_fail agent_stops_clean "agent exited non-zero"; fi
t_finish
