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
	[ "$lib" = libc.so.6 ] && continue
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

# --- one metrics port everywhere ---
port=$(grep -o -- '--metrics-addr", "[^"]*' "$DS" | sed 's/.*://')
cport=$(sed -n 's/.*{name: metrics, containerPort: \([0-9]*\).*/\1/p' "$DS")
aport=$(sed -n 's/.*prometheus.io\/port: "\([0-9]*\)".*/\1/p' "$DS")
if [ -n "$port" ] && [ "$port" = "$cport" ] && [ "$port" = "$aport" ]; then
	t_pass deploy_metrics_port
else
	t_fail deploy_metrics_port "--metrics-addr port '$port', containerPort '$cport', prometheus.io/port '$aport'"
fi
t_finish
