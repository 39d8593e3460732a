#!/bin/bash
# The generation swap: never a moment with half a policy or none. A helper commits
# two different policy sets in a loop (each swap: fill the inactive generation, flip,
# RCU barrier, clear the old one) while a process in a test cgroup keeps connecting:
# to an address both sets allow it must never fail, to one both deny it must never
# get through. Loopback only, explicit rules (loopback is policed when a rule says so).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
t_mount_kernel_fs

P=$T_BUILD/tests/helpers/netprobe
SWAP=$T_BUILD/tests/helpers/netswap
PIN=/sys/fs/bpf/bulkhead-test-swap-$$
SECONDS_RUN=${NET_SWAP_SECONDS:-4}
for b in "$P" "$SWAP"; do [ -x "$b" ] || { t_fail setup "$b is not built (make test-bins)"; exit 1; }; done
TOP=$(t_cgroup_create swap) || { t_fail setup "cannot make the test cgroup"; exit 1; }
CLIENT="$TOP/client"
mkdir "$CLIENT" || { t_fail setup "cannot make $CLIENT"; exit 1; }
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
ALLOW=$((20000 + $$ % 10000)); DENY=$((ALLOW + 1))

net_bg_host "$P" serve tcp 127.0.0.1 "$ALLOW" || t_fail setup "server $ALLOW"
net_bg_host "$P" serve tcp 127.0.0.1 "$DENY" || t_fail setup "server $DENY"
before=$(t_in_cgroup "$CLIENT" "$P" connect tcp 127.0.0.1 "$DENY")

out=$(mktemp); stop="$out.stop"; t_defer "rm -f '$out' '$stop'"
# Swapping goes on until both loops are done (a loop that starts late on a busy machine
# must not outlast the swapper, whose exit detaches the programs one by one).
"$SWAP" "$PIN" "$TOP" "$(t_cgroup_id "$CLIENT")" "$ALLOW" "$DENY" "$((SECONDS_RUN + 30))" "$stop" > "$out" 2>&1 &
swap_pid=$!
t_defer "kill $swap_pid"
if ! t_wait_for 10 grep -q READY "$out"; then t_fail setup "netswap did not start: $(cat "$out")"; exit 1; fi

a=$(mktemp); d=$(mktemp); t_defer "rm -f '$a' '$d'"
t_in_cgroup "$CLIENT" "$P" loop tcp 127.0.0.1 "$ALLOW" "${SECONDS_RUN}000" > "$a" &
pa=$!
t_in_cgroup "$CLIENT" "$P" loop tcp 127.0.0.1 "$DENY" "${SECONDS_RUN}000" > "$d" &
pd=$!
# One long-lived connection too, round trips across every swap: its packets are
# decided again under each new policy (memoized decisions go stale at each swap),
# and its replies pass the ingress default deny of B as replies.
rr=$(mktemp); t_defer "rm -f '$rr'"
t_in_cgroup "$CLIENT" "$P" rr 127.0.0.1 "$ALLOW" $((SECONDS_RUN * 5000)) > "$rr" 2>&1 &
pr=$!
wait "$pa" "$pd" "$pr"
touch "$stop"
wait "$swap_pid"
swaps=$(sed -n 's/^swaps=//p' "$out")
dropped=$(sed -n 's/^dropped=\([0-9]*\) .*/\1/p' "$out")
t_log "swaps: $swaps; allowed: $(cat "$a"); denied: $(cat "$d"); one connection: $(cat "$rr"); $(grep '^dropped' "$out")"

if [ "${before%% *}" = OK ]; then t_pass baseline_unenforced; else t_fail baseline_unenforced "before enforcement: $before"; fi
if [ -n "$swaps" ] && [ "$swaps" -ge 20 ]; then t_pass swaps_many; else t_fail swaps_many "only '$swaps' swaps: $(cat "$out")"; fi
if grep -q ' EPERM=0 ETIMEDOUT=0 ECONNREFUSED=0 EOTHER=0' "$a" && ! grep -q '^ok=0 ' "$a"; then
	t_pass allowed_never_fails
else
	t_fail allowed_never_fails "connects to the allowed port: $(cat "$a")"
fi
if grep -q '^ok=0 EPERM=[1-9]' "$d" && grep -q ' ETIMEDOUT=0 ECONNREFUSED=0 EOTHER=0' "$d"; then
	t_pass denied_never_succeeds
else
	t_fail denied_never_succeeds "connects to the denied port: $(cat "$d")"
fi
if [ "$(cut -d' ' -f1 "$rr")" = OK ]; then t_pass long_connection_across_swaps
else t_fail long_connection_across_swaps "round trips on one connection: $(cat "$rr")"; fi
if [ "$dropped" = 0 ]; then t_pass no_packet_wrongly_dropped
else t_fail no_packet_wrongly_dropped "packets dropped though both sets allow them: $(grep '^dropped' "$out")"; fi
if [ ! -e "$PIN" ]; then t_pass swap_leaves_no_pins; else t_fail swap_leaves_no_pins "$PIN left"; fi
t_finish
