#!/bin/bash
# Map capacity and swaps at the documented limits. The largest set the limits allow
# (64 policies, each 256 egress and 256 ingress network rules, 256 file rules and 128 exec
# rules: 32,768 network and 24,576 file/exec rules) loads, and is swapped 20 times with a
# set that differs in every rule, alternately by a change on disk and by SIGHUP; after
# each swap the new generation is in force: a real runc container's connect() is refused
# or allowed as that generation says. A set over a map's capacity (1,280 globs, 1,024 per
# generation) is refused whole, up front, with the numbers, by `bulkhead check`, by the
# agent at start and at reload, where the generation in force stays.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-pscale-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/netns.sh"
t_mount_kernel_fs

P=$T_BUILD/tests/helpers/netprobe
GEN=$T_ROOT/bench/gen_policy_set.sh
PIN=/sys/fs/bpf/bulkhead-test-pscale-$$
W=$T_WORK/pscale-$$
SWAPS=${SCALE_SWAPS:-20}
[ -x "$P" ] || { t_fail setup "$P is not built (make test-bins)"; exit 1; }
TOP=$(t_cgroup2_root)/$CT_TOP
mkdir -p "$TOP" "$W/a" "$W/b" "$W/over" "$W/live" || { t_fail setup "cannot make the test cgroup or directories"; exit 1; }
t_defer "rm -rf '$W'"
t_defer "'$T_BIN' unload --pin-dir '$PIN' >/dev/null"
TD=$(net_port 93)
net_bg_host "$P" serve tcp 0.0.0.0 "$TD" || { t_fail setup "server on port $TD"; exit 1; }

# Sets a and c deny the container's connect to the test host, set b allows it; every other
# rule differs between them too (ports and paths of variants 0, 1 and 2). Swapping in the
# cycle a, b, c, a, ... the generation written never holds the set it gets: each swap
# rewrites every policy (what changed overwritten, what is gone deleted).
rule() { echo "{cidrs: [$(net_host4 1)/32], ports: [$TD], protocol: tcp, action: $1}"; }
EXTRA_EGRESS=$(rule deny) NET_RULES_INGRESS=1 EXEC_RULES=128 sh "$GEN" "$W/a" 64 256 256 0 bhscale
EXTRA_EGRESS=$(rule allow) NET_RULES_INGRESS=1 EXEC_RULES=128 sh "$GEN" "$W/b" 64 256 256 1 bhscale
EXTRA_EGRESS=$(rule deny) NET_RULES_INGRESS=1 EXEC_RULES=128 sh "$GEN" "$W/c" 64 256 256 2 bhscale
FILE_GLOBS=1 EXTRA_EGRESS=$(rule allow) sh "$GEN" "$W/over" 64 10 20 2 bhscale
# The live directory is laid out like a Kubernetes ConfigMap volume, so that a change of the
# whole set is one rename (a reload never reads half of one set and half of the other): each
# pNN.yaml is a link through ..data, which points at ..a, ..b or ..over.
for s in a b c over; do cp -r "$W/$s" "$W/live/..$s"; done
for f in "$W/a"/*.yaml; do ln -s "..data/${f##*/}" "$W/live/${f##*/}"; done
ln -s ..a "$W/live/..data"
switch_to() { ln -s "..$1" "$W/live/..data_tmp" && mv -T "$W/live/..data_tmp" "$W/live/..data"; }

# bulkhead check: the largest set fits (with the numbers); the over-limit one is refused.
out=$("$T_BIN" check "$W/a" --no-cgroups 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'kernel entries per generation (needed / capacity): bh_net_cidr4 [0-9]*/65536'; then
	t_pass check_largest_set_fits
else
	t_fail check_largest_set_fits "rc $rc: $(echo "$out" | head -3)"
fi
t_log "$(echo "$out" | head -1)"
out=$("$T_BIN" check "$W/over" --no-cgroups 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'does not fit the kernel.s maps, nothing was written: bh_file_globs: 1280 entries needed, 1024 per generation'; then
	t_pass check_refuses_over_capacity
else
	t_fail check_refuses_over_capacity "rc $rc: $(echo "$out" | head -3)"
fi

# The agent refuses it at start, with the numbers.
ARGS="--pin-dir $PIN --attach-cgroup $TOP --state-root $(ct_root) --detach-on-exit --no-anomaly"
"$T_BIN" run --policy "$W/over" $ARGS --lock-file "$W/lock0" --json-file /dev/null > /dev/null 2> "$W/start-over.log" &
pid=$!
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
if kill -0 $pid 2>/dev/null; then kill -KILL $pid; wait $pid 2>/dev/null; rc=running; else wait $pid; rc=$?; fi
if [ "$rc" != running ] && [ "$rc" -ne 0 ] && grep -q 'bh_file_globs: 1280 entries needed, 1024 per generation' "$W/start-over.log"; then
	t_pass agent_start_refuses_over_capacity
else
	t_fail agent_start_refuses_over_capacity "exit $rc: $(grep -i 'polic' "$W/start-over.log" | tail -3)"
fi
"$T_BIN" unload --pin-dir "$PIN" >/dev/null 2>&1

LOG=$T_WORK/pscale-$$.log
agent_start pscale-$$ --policy "$W/live" $ARGS || { t_fail agent_starts "see the log above"; exit 1; }
ct_start web "" pod-web bhscale01 web && net_link_ct web "$(ct_pid web)" 1 || { t_fail setup "container web"; exit 1; }
in_web() { net_in_ct "$(ct_cgroup_dir web)" "$(ct_pid web)" "$@"; }
t_wait_for 10 first_word_is EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"
expect largest_set_enforced EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"
grep 'policy: swap:\|policies in force\|file: .*policies with' "$LOG" | head -3 | sed 's/^/  # /' >&2

swaps() { grep -c 'policy: swap: generation' "$LOG"; }
# quiet: wait until the agent's log has not grown for 2 s (at most 60 s): the reloads a change
# brings (SIGHUP, then the watch's, which finds nothing new) are over, and none reads the
# directory while the next change is made (a reader that opens the files one by one while
# ..data flips would see half of each set, then reload again).
quiet() {
	local n m k=0
	n=$(wc -l < "$LOG")
	while [ $k -lt 60 ]; do
		sleep 2; k=$((k + 2))
		m=$(wc -l < "$LOG")
		[ "$m" = "$n" ] && return 0
		n=$m
	done
	return 1
}
ok=0; bad=""
for i in $(seq 1 "$SWAPS"); do
	case $((i % 3)) in 1) set=b; want=OK ;; 2) set=c; want=EPERM ;; 0) set=a; want=EPERM ;; esac
	before=$(swaps)
	if [ $((i % 4)) -lt 2 ]; then
		switch_to "$set"			# a change on disk: the watch reloads
	else
		switch_to "$set" && kill -HUP "$(cat "$T_WORK/pscale-$$.pid")"	# and SIGHUP first
	fi
	if ! t_wait_for 30 sh -c "[ \$(grep -c 'policy: swap: generation' '$LOG') -gt $before ]"; then
		bad="$bad swap$i:no-swap"; continue
	fi
	quiet
	gen=$(grep 'policy: swap: generation' "$LOG" | tail -1 | sed 's/.*generation \([01]\) in force.*/\1/')
	got=$(in_web "$P" connect tcp "$(net_host4 1)" "$TD" 2>&1 | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then ok=$((ok + 1)); else bad="$bad swap$i(gen$gen):want-$want-got-$got"; fi
done
grep 'policy: swap: generation' "$LOG" | tail -4 | sed 's/^bulkhead: /  # /' >&2
if [ "$ok" -eq "$SWAPS" ]; then t_pass "swaps_${SWAPS}_new_generation_in_force"
else t_fail "swaps_${SWAPS}_new_generation_in_force" "$ok of $SWAPS; wrong:$bad"; fi
if ! grep -q 'No space left\|could not be written' "$LOG"; then t_pass no_swap_failed
else t_fail no_swap_failed "$(grep 'No space left\|could not be written' "$LOG" | head -2)"; fi

# Over capacity at reload: refused with the numbers, the generation in force stays.
cur=$(in_web "$P" connect tcp "$(net_host4 1)" "$TD" 2>&1 | cut -d' ' -f1)
before=$(swaps)
switch_to over
t_wait_for 10 grep -q 'bh_file_globs: 1280 entries needed, 1024 per generation; the policy in force stays' "$LOG"
if grep -q 'bh_file_globs: 1280 entries needed, 1024 per generation; the policy in force stays' "$LOG" &&
   [ "$(swaps)" = "$before" ]; then
	t_pass reload_refuses_over_capacity
else
	t_fail reload_refuses_over_capacity "$(grep 'policy' "$LOG" | tail -2)"
fi
expect over_capacity_keeps_generation "$cur" in_web "$P" connect tcp "$(net_host4 1)" "$TD"
agent_stop pscale-$$ || t_fail agent_stops "non-zero exit"
t_finish
