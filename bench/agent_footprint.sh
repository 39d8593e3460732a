#!/bin/bash
# The agent's footprint: resident memory and idle CPU.
#
#   bash bench/agent_footprint.sh [build dir]      (make footprint-bench; part of make bench)
#   CONTAINERS=200 IDLE_S=10 bash bench/agent_footprint.sh
#
# Two cases, each a fresh agent with its defaults (telemetry, anomaly and escape detection,
# enforcement), its programs under a cgroup of the bench's own:
#   default   the shipped policies (policies/), no containers
#   10k       40 policies x (250 egress + 200 file rules) = 10,000 network + 8,000 file rules,
#             and CONTAINERS (200) containers: cgroups the bench makes in a Kubernetes layout
#             (<cgroup>/kubepods/pod<uid>/<64-hex id>), a sleeping process in each, started
#             while the agent runs (it sees each one made, attributes and assigns it); all
#             removed after.
# Printed: RSS and its anonymous part (/proc/PID/smaps_rollup) once the agent has settled,
# the largest mappings, and the CPU the agent used over IDLE_S idle seconds (/proc/PID/stat
# utime + stime), as a percentage of one CPU.
set -u
BUILD=${1:-${BUILD:-build}}
BIN=${BIN:-$BUILD/bulkhead}
CONTAINERS=${CONTAINERS:-200}
IDLE_S=${IDLE_S:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
[ -x "$BIN" ] || { echo "bench: $BIN is not built (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || { echo "bench: no cgroup2 mount" >&2; exit 1; }
W=$(mktemp -d /tmp/bh-footprint.XXXXXX)
CG=$CG2/bh-footprint-$$
PIN=/sys/fs/bpf/bh-footprint-$$
AGENT=""
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -n "$AGENT" ] && kill -TERM "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	"$BIN" unload --pin-dir "$PIN" >/dev/null 2>&1
	if [ -d "$CG" ]; then
		find "$CG" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null
		rmdir "$CG" 2>/dev/null
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$CG" || exit 1
HZ=$(getconf CLK_TCK)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/smaps_rollup"; }

# measure NAME POLICY [CONTAINERS]
measure() {
	local name="$1" pol="$2" n="${3:-0}" t0 t1 i d uid
	: > "$W/agent.log"
	"$BIN" run --policy "$pol" --pin-dir "$PIN" --attach-cgroup "$CG" --detach-on-exit \
		--lock-file "$W/lock" --json-file /dev/null --anomaly-state none ${ARGS:-} 2> "$W/agent.log" &
	AGENT=$!
	for _ in $(seq 300); do grep -q 'agent: ready' "$W/agent.log" && break; sleep 0.1; done
	grep -q 'agent: ready' "$W/agent.log" || { echo "bench: agent did not start:"; tail -5 "$W/agent.log"; exit 1; }
	for i in $(seq "$n"); do
		uid=$(cat /proc/sys/kernel/random/uuid)
		d="$CG/kubepods/pod$uid/$(printf '%064x' "$i")"
		mkdir -p "$d" || break
		sh -c 'echo $$ > "$1/cgroup.procs" && exec sleep 3600' sh "$d" &
		PIDS="$PIDS $!"
	done
	# containers classified (their runtime state cannot be read: by path, after 5 s),
	# anomaly's first samples, outputs idle
	sleep $((n ? 12 : 5))
	t0=$(cpu_ticks "$AGENT")
	sleep "$IDLE_S"
	t1=$(cpu_ticks "$AGENT")
	printf '%-8s %9s %9s %9s %12s\n' "$name" "$n" "$(( $(kb "$AGENT" Rss) / 1024 )) MB" \
		"$(( $(kb "$AGENT" Anonymous) / 1024 )) MB" \
		"$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v s="$IDLE_S" 'BEGIN { printf "%.2f %%", 100 * t / hz / s }')"
	awk '/^[0-9a-f]+-[0-9a-f]+ /{ n = $6 " " $2 } /^Rss:/{ r[n] += $2 }
	     END { for (k in r) if (r[k] >= 512) printf "           %6d kB  %s\n", r[k], k }' \
		"/proc/$AGENT/smaps" | sort -k1,1nr | head -6
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=""
	kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null; AGENT=""
	"$BIN" unload --pin-dir "$PIN" >/dev/null 2>&1
	find "$CG" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null
}

sh "$HERE/gen_policy_set.sh" "$W/10k" 40 250 200 0
echo "bench: agent footprint, kernel $(uname -r), $(nproc) CPUs, $("$BIN" version 2>/dev/null | head -1), $BIN"
printf '\n%-8s %9s %9s %9s %12s\n' case containers RSS anonymous "idle CPU"
measure default "$ROOT/policies" 0
measure 10k "$W/10k" "$CONTAINERS"
echo
echo "(RSS from /proc/PID/smaps_rollup once settled; idle CPU = utime + stime over ${IDLE_S} s, % of one CPU)"
