#!/bin/bash
# The Kubernetes files in deploy/ agree with the agent: the image installs every library
# the dynamic agent links, the DaemonSet passes only options `bulkhead run` knows, and
# the metrics port it serves is the one the pod and Prometheus's annotations name.
# Nothing is loaded into the kernel here.
. "$(dirname "$0")/../lib/common.sh"
CF=$T_ROOT/deploy/Containerfile
DS=$T_ROOT/deploy/bulkhead.yaml
[ -f "$CF" ] && [ -f "$DS" ] || { t_fail setup "deploy/Containerfile or deploy/bulkhead.yaml missing"; exit 1; }

# --- the image's packages cover the agent's libraries ---
pkgs=$(sed -n 's/.*apt-get install -y --no-install-recommends //p' "$CF" | tr -d '\\')
missing=""
for lib in $(objdump -p "$T_BIN" | awk '/NEEDED/ { print $2 }'); do
	# glibc's own libraries (libc6) are in every Debian image.
	case "$lib" in libc.so.6|libm.so.6|libpthread.so.0|libdl.so.2|librt.so.1) continue ;; esac
	pkg=$(dpkg -S "*/$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
	case " $pkgs " in
	*" $pkg "*) ;;
	*) missing="$missing $lib(${pkg:-no package})" ;;
	esac
done
if [ -z "$pkgs" ]; then
	t_fail deploy_image_libraries "no apt-get install line in $CF"
elif [ -n "$missing" ]; then
	t_fail deploy_image_libraries "the image lacks the packages of:$missing"
else
	t_pass deploy_image_libraries
fi

# --- the DaemonSet's options exist ---
# args: [...] may span lines: from "args:" to the closing bracket.
args=$(sed -n '/^ *args: \[/,/\]/p' "$DS" | tr -d '[],"' | sed 's/args://')
help=$("$T_BIN" run --help 2>&1)
unknown=""
for a in $args; do
	case "$a" in --*) grep -q -- "$a\b" <<<"$help" || unknown="$unknown $a" ;; esac
done
if [ -z "$args" ]; then
	t_fail deploy_args_known "no args in $DS"
elif [ -n "$unknown" ]; then
	t_fail deploy_args_known "bulkhead run does not know:$unknown"
else
	t_pass deploy_args_known
fi

# --- the DaemonSet's command line parses (values included), and holds new pod cgroups ---
# shellcheck disable=SC2086
if out=$("$T_BIN" $args --help 2>&1 >/dev/null); then
	t_pass deploy_args_parse
else
	t_fail deploy_args_parse "bulkhead $args: $out"
fi
hold=$(grep -o -- '"--hold-new-cgroups", "[^"]*"' "$DS" | sed 's/.*, "//; s/"$//' | sort | tr '\n' ' ')
if [ "$hold" = "/kubepods /kubepods.slice " ]; then
	t_pass deploy_holds_kubepods
else
	t_fail deploy_holds_kubepods "--hold-new-cgroups in the DaemonSet: '$hold' (want /kubepods and /kubepods.slice)"
fi

# --- one metrics port everywhere ---
port=$(grep -o -- '--metrics-addr", "[^"]*' "$DS" | sed 's/.*://')
cport=$(sed -n 's/.*{name: metrics, containerPort: \([0-9]*\).*/\1/p' "$DS")
aport=$(sed -n 's/.*prometheus.io\/port: "\([0-9]*\)".*/\1/p' "$DS")
if [ -n "$port" ] && [ "$port" = "$cport" ] && [ "$port" = "$aport" ]; then
	t_pass deploy_metrics_port
else
	t_fail deploy_metrics_port "--metrics-addr port '$port', containerPort '$cport', prometheus.io/port '$aport'"
fi
# --- the PrometheusRule: promtool checks its groups and runs their tests ---
RULES=$T_ROOT/deploy/prometheus-rules.yaml
if ! command -v promtool >/dev/null; then
	t_skip deploy_prometheus_rules "promtool is not installed (scripts/deps.sh test)"
elif [ ! -f "$RULES" ]; then
	t_fail deploy_prometheus_rules "$RULES missing"
else
	PR=$(mktemp -d)
	t_defer "rm -rf '$PR'"
	# The PrometheusRule's spec is a plain rule file, two spaces further in.
	sed -n '/^spec:/,$p' "$RULES" | sed '1d; s/^  //' > "$PR/bulkhead-rules.yaml"
	cp "$T_ROOT/deploy/prometheus-rules-test.yaml" "$PR/"
	if grep -q '^kind: PrometheusRule$' "$RULES" && grep -q '^apiVersion: monitoring.coreos.com/v1$' "$RULES"; then
		t_pass deploy_prometheus_rule_kind
	else
		t_fail deploy_prometheus_rule_kind "not a monitoring.coreos.com/v1 PrometheusRule"
	fi
	if out=$(cd "$PR" && promtool check rules bulkhead-rules.yaml 2>&1); then
		t_pass promtool_check_rules
	else
		t_fail promtool_check_rules "$(echo "$out" | tail -5)"
	fi
	# Every alert the rules define is exercised by a test.
	untested=""
	for a in $(sed -n 's/^ *- alert: //p' "$PR/bulkhead-rules.yaml"); do
		grep -q "alertname: $a[,}]*\$\|alertname: $a," "$PR/prometheus-rules-test.yaml" || untested="$untested $a"
	done
	[ -z "$untested" ] && t_pass prometheus_rules_all_tested ||
		t_fail prometheus_rules_all_tested "no promtool test for:$untested"
	if out=$(cd "$PR" && promtool test rules prometheus-rules-test.yaml 2>&1); then
		t_pass promtool_test_rules
	else
		t_fail promtool_test_rules "$(echo "$out" | grep -v '^ *$' | head -20)"
	fi
fi

# --- the Grafana dashboard is JSON with panels (its metric names: test_metrics.sh, live) ---
GD=$T_ROOT/deploy/grafana-dashboard.json
if jq -e '.panels | length > 0' "$GD" >/dev/null 2>&1 &&
   [ "$(jq '[.. | objects | .expr? // empty] | length' "$GD")" -gt 0 ]; then
	t_pass grafana_dashboard_json
else
	t_fail grafana_dashboard_json "$GD is not a dashboard with queries"
fi
t_finish
