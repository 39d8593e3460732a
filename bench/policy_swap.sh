#!/bin/bash
# Policy swap time, as the agent measures it: from the moment it acts on SIGHUP (or on a
# change on disk that has settled) to the flip of the active generation, read from its
# per-swap line "policy: swap: generation N in force X ms after the reload began (...)".
#
#   bash bench/policy_swap.sh [build dir]        (make policy-swap-bench; part of make bench)
#   REPS=5 SIZES="1k 10k max" bash bench/policy_swap.sh
#
# Sets (bench/gen_policy_set.sh; every rule a /32 CIDR with a 100-port range, or a file path):
#   1k    4 policies x (150 egress + 100 file rules)               600 network +    400 file
#   10k   40 policies x (250 egress + 200 file rules)           10,000 network +  8,000 file
#   max   64 policies x (256 egress + 256 ingress + 256 file + 128 exec): the documented
#         limits                                                 32,768 network + 24,576 file/exec
# Swaps, each REPS times (medians printed):
#   one-policy   one policy's file edited (one rule changed), SIGHUP
#   back-forth   the whole set replaced by another that differs in every rule and back
#                again, SIGHUP (the generation swapped into already holds the target)
#   all-new      the whole set replaced by one never loaded before (every rule new), SIGHUP
# The agent runs with its defaults (anomaly detection on, telemetry), no containers, its
# programs under a cgroup of the bench's own, its pins in a directory of the bench's own.
set -u
BUILD=${1:-${BUILD:-build}}
BIN=${BIN:-$BUILD/bulkhead}
REPS=${REPS:-5}
SIZES=${SIZES:-1k 10k max}
HERE=$(cd "$(dirname "$0")" && pwd)
GEN=$HERE/gen_policy_set.sh
[ -x "$BIN" ] || { echo "bench: $BIN is not built (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || { echo "bench: no cgroup2 mount" >&2; exit 1; }
W=$(mktemp -d /tmp/bh-swap-bench.XXXXXX)
CG=$CG2/bh-swap-bench-$$
PIN=/sys/fs/bpf/bh-swap-bench-$$
AGENT=""
cleanup() {
	[ -n "$AGENT" ] && kill -TERM "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	"$BIN" unload --pin-dir "$PIN" >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$CG" || exit 1

# gen SIZE DIR VARIANT
gen() {
	case "$1" in
	1k) sh "$GEN" "$2" 4 150 100 "$3" ;;
	10k) sh "$GEN" "$2" 40 250 200 "$3" ;;
	max) NET_RULES_INGRESS=1 EXEC_RULES=128 sh "$GEN" "$2" 64 256 256 "$3" ;;
	esac
}

# swap_ms: SIGHUP the agent, wait for its next swap line, print its milliseconds.
swap_ms() {
	local before n
	before=$(grep -c 'policy: swap: generation' "$W/agent.log")
	kill -HUP "$AGENT"
	for _ in $(seq 600); do
		n=$(grep -c 'policy: swap: generation' "$W/agent.log")
		[ "$n" -gt "$before" ] && break
		grep -q 'policy in force stays' "$W/agent.log" && break
		sleep 0.05
	done
	grep 'policy: swap: generation' "$W/agent.log" | tail -1 |
		sed 's/.* in force \([0-9.]*\) ms after.*(CPU \([0-9.]*\) ms;.*/\1 \2/'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "-" }'; }
# cell: "wall ms (CPU ms)" medians of "wall cpu" lines
cell() { local a; a=$(cat); printf '%s (%s)' "$(echo "$a" | cut -d' ' -f1 | median)" "$(echo "$a" | cut -d' ' -f2 | median)"; }

echo "bench: policy swap, $REPS swaps each, kernel $(uname -r), $(nproc) CPUs, $("$BIN" version 2>/dev/null | head -1)"
printf '\n%-5s %8s %8s  %-18s %-18s %-18s\n' set network file one-policy back-forth all-new
for size in $SIZES; do
	rm -rf "$W/live" "$W/v"*; mkdir -p "$W/live"
	gen "$size" "$W/v0" 0; gen "$size" "$W/v1" 1
	# the all-new sets are made now: generating one spawns thousands of processes, whose
	# events the agent would still be handling when the swap begins
	for r in $(seq "$REPS"); do gen "$size" "$W/vn$r" $((10 + r)); done
	cp "$W/v0"/*.yaml "$W/live/"
	counts=$("$BIN" check "$W/live" --no-cgroups 2>/dev/null | awk '/rules: file/ {
		gsub(",", ""); f += $3 + $5; n += $7 + $9 } END { print n, f }')
	: > "$W/agent.log"
	"$BIN" run --policy "$W/live" --no-policy-watch --pin-dir "$PIN" --attach-cgroup "$CG" \
		--detach-on-exit --lock-file "$W/lock" --json-file /dev/null 2> "$W/agent.log" &
	AGENT=$!
	for _ in $(seq 300); do grep -q 'agent: ready' "$W/agent.log" && break; sleep 0.1; done
	grep -q 'agent: ready' "$W/agent.log" || { echo "bench: agent did not start:"; tail -5 "$W/agent.log"; exit 1; }
	one=(); bf=(); new=()
	# one policy changed: its first network rule's port range moves, to another range each rep
	for r in $(seq "$REPS"); do
		sed -i "0,/ports: \[\"[0-9]*-[0-9]*\"\]/s//ports: [\"$((2000 + r))-$((2050 + r))\"]/" "$W/live/p01.yaml"
		one+=("$(swap_ms)")
	done
	for r in $(seq "$REPS"); do
		cp "$W/v$((r % 2))"/*.yaml "$W/live/"
		bf+=("$(swap_ms)")
	done
	for r in $(seq "$REPS"); do
		cp "$W/vn$r"/*.yaml "$W/live/"
		new+=("$(swap_ms)")
	done
	kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null; AGENT=""
	"$BIN" unload --pin-dir "$PIN" >/dev/null 2>&1
	printf '%-5s %8s %8s  %-18s %-18s %-18s\n' "$size" ${counts:-? ?} \
		"$(printf '%s\n' "${one[@]}" | cell)" "$(printf '%s\n' "${bf[@]}" | cell)" \
		"$(printf '%s\n' "${new[@]}" | cell)"
	grep 'policy: swap: generation' "$W/agent.log" | tail -1 | sed 's/^bulkhead: /      last: /'
done
echo
echo "(milliseconds, medians of $REPS swaps: the agent's own measure, from acting on SIGHUP to the flip"
echo " of the active generation: parse, lower what changed, write what differs in batches, assign, flip;"
echo " in parentheses the agent's CPU time meanwhile, user and system: the same on an idle machine)"
