#!/bin/bash
# `make demo`: what bulkhead does, in about ten seconds, on this machine.
#
# Starts one throwaway runc container (the busybox root the tests use) under a demo
# policy, starts the agent on it with `--format text`, and inside the container
# reads a file the policy denies, connects to a loopback port it denies (the
# container's own network namespace: no packet leaves it), runs a binary it
# denies, and tries an escape (a write to /proc/sys/kernel/core_pattern, which is
# read-only in a container anyway: harmless). The agent prints each event as it
# arrives. Everything (agent, container, cgroups, BPF pins, temporary files) is
# removed at the end, also on Ctrl-C or failure.
#
#   sh scripts/deps.sh demo && make && bash scripts/demo.sh    (what `make demo` runs)
#   DEMO_BIN=build/bulkhead bash scripts/demo.sh
set -u
T_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export T_ROOT
T_BIN=${DEMO_BIN:-$T_ROOT/build/bulkhead}
. "$T_ROOT/tests/lib/common.sh"
CT_TOP=bulkhead-test-demo-$$
. "$T_ROOT/tests/lib/container.sh"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
[ -t 2 ] && [ -z "${NO_COLOR:-}" ] || say() { printf '\n==> %s\n' "$*" >&2; }
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it loads BPF programs and starts a container)"
[ -x "$T_BIN" ] || die "$T_BIN is not built: make"
for t in runc jq busybox; do
	command -v $t >/dev/null || die "$t is missing: sh scripts/deps.sh demo"
done
t_mount_kernel_fs

TMP=$(mktemp -d /tmp/bulkhead-demo.XXXXXX) || die "mktemp failed"
t_defer "rm -rf '$TMP'"
PIN=/sys/fs/bpf/bulkhead-test-demo-$$
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
TOP=$(t_cgroup_create demo) || die "cannot make the demo cgroup"

mkdir "$TMP/policies"
cat > "$TMP/policies/demo.yaml" <<'EOF'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: demo}
spec:
  selector: {namespaces: [demo], containers: [web]}
  mode: enforce                      # file, exec, network and escape protections
  file:
    - {paths: [/etc/shadow], ops: [read], action: deny}
  exec: {deny: [/tmp/miner]}
  network:
    egress:
      - {cidrs: [127.0.0.1/32], ports: [6379], protocol: tcp, action: deny}
EOF

say "a container 'web' in pod 'shop' of namespace 'demo' (runc, busybox)"
CT_RW_ROOT=1 ct_start web "" shop demo web || die "the container did not start: $(ct_log web)"
root=/proc/$(ct_pid web)/root
echo 'root:$6$demo$notarealhash:20000:0:99999:7:::' > "$root/etc/shadow"
cp "$root/bin/busybox" "$root/tmp/miner"

say "the agent: $T_BIN run --policy $TMP/policies --format text --containers-only ..."
sed 's/^/    /' "$TMP/policies/demo.yaml" >&2
: > "$TMP/agent.log"
# Only this container's lines (other containers on the machine are none of the demo's
# business); colours kept through the filter when the terminal gets them.
[ -t 1 ] && export CLICOLOR_FORCE=1
"$T_BIN" run --policy "$TMP/policies" --format text --containers-only --no-fork-events \
	--no-anomaly --drain-ms 20 --attach-cgroup "$TOP" --pin-dir "$PIN" --detach-on-exit \
	--state-root "$(ct_root)" --lock-file "$TMP/agent.lock" 2> "$TMP/agent.log" \
	> >(grep --line-buffered -F ' demo/shop/web ') &
AGENT=$!
unset CLICOLOR_FORCE
t_defer "kill -KILL $AGENT; wait $AGENT"
if ! t_wait_for 30 grep -q 'agent: ready' "$TMP/agent.log"; then
	sed 's/^/    /' "$TMP/agent.log" >&2
	die "the agent did not start"
fi
sed -n 's/^.*agent: \(WARNING: \)*enforcement mode \([^:]*\):.*/    enforcement mode: \2 (bulkhead probe says why)/p' \
	"$TMP/agent.log" >&2
# The policy is in force once the agent has read the container's runtime state.
in_force() { grep -q 'containers assigned' "$TMP/agent.log"; }
t_wait_for 10 in_force
sleep 0.5

step() {
	local what="$1"
	shift
	say "$what"
	printf '    $ %s\n' "$*" >&2
	ct_exec web sh -c "$*" > "$TMP/out" 2>&1
	rc=$?
	sleep 0.7	# the events of this step first, then what the container saw
	printf '    -> exit status %s%s\n' "$rc" "$([ -s "$TMP/out" ] && printf ': %s' "$(head -c 200 "$TMP/out" | tr '\n' ' ')")" >&2
}

step "a file read the policy denies" cat /etc/shadow
step "a connect to a loopback port the policy denies" 'echo PING | nc -w 1 127.0.0.1 6379'
step "a binary the policy denies" /tmp/miner --donate-level 0
step "an escape attempt: the host runs core_pattern's program on a crash" \
	"echo '|/tmp/miner' > /proc/sys/kernel/core_pattern"
step "something the policy allows: telemetry only" 'ls /tmp'

say "done: stopping the agent, removing the container, its cgroups and the BPF pins"
kill -TERM "$AGENT" 2>/dev/null
wait "$AGENT"
rc=$?
[ $rc -eq 0 ] || { sed 's/^/    /' "$TMP/agent.log" >&2; die "the agent exited with status $rc"; }
exit 0
