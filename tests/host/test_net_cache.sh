#!/bin/bash
# Memoized decisions (bpf/abi/net.h, bh_net_memo) and flow memory across policy swaps.
# Three long-lived sockets keep their state while a helper swaps the policy of their
# cgroup under them, one swap at a time; after each swap the very next packet of each
# flow must get the new policy's answer, never the one memoized under the old policy,
# in both directions (a flow allowed, then denied; denied, then allowed; allowed by
# another policy: its replies must keep flowing; no policy at all, then denied).
#   udp  a connected UDP client in the cgroup -> a host echo server   (replies come in)
#   udp6 the same over IPv6 (::1)
#   tcp  a TCP client in the cgroup -> a host echo server             (replies come in)
#   srv  a UDP echo server in the cgroup <- a host client             (replies go out)
# Loopback only, with rules naming 127.0.0.0/8 and ::/64 (loopback is policed when a
# rule names it); in the allowing sets the rest of them is denied both ways, so replies
# pass only as replies. Policies: tests/helpers/netswap.c (step).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
t_mount_kernel_fs

P=$T_BUILD/tests/helpers/netprobe
SWAP=$T_BUILD/tests/helpers/netswap
PIN=/sys/fs/bpf/bulkhead-test-cache-$$
for b in "$P" "$SWAP"; do [ -x "$b" ] || { t_fail setup "$b is not built (make test-bins)"; exit 1; }; done
TOP=$(t_cgroup_create cache) || { t_fail setup "cannot make the test cgroup"; exit 1; }
CLIENT="$TOP/client"
mkdir "$CLIENT" || { t_fail setup "cannot make $CLIENT"; exit 1; }
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
PU=$(net_port 60); PT=$(net_port 61); PS=$(net_port 62); PU6=$(net_port 63)
W=$(mktemp -d) || exit 1
t_defer "rm -rf '$W'"
mkfifo "$W/swap.in" "$W/udp.in" "$W/udp6.in" "$W/tcp.in" "$W/srv.in" || { t_fail setup "fifos"; exit 1; }

net_bg_host "$P" serve udp 127.0.0.1 "$PU" || t_fail setup "udp server $PU"
net_bg_host "$P" serve tcp 127.0.0.1 "$PT" || t_fail setup "tcp server $PT"
net_bg_host "$P" serve udp ::1 "$PU6" || t_fail setup "udp server [::1]:$PU6"

"$SWAP" step "$PIN" "$TOP" "$(t_cgroup_id "$CLIENT")" "$PU" "$PT" "$PS" "$PU6" < "$W/swap.in" > "$W/swap.out" 2>&1 &
t_defer "kill $!"
exec 3> "$W/swap.in"
NSWAP=0
# swap_to SET: commit a policy set (allow, allow2, deny, none) and wait until it is in force.
swap_to() {
	NSWAP=$((NSWAP + 1))
	echo "$1" >&3
	t_wait_for 10 grep -q "^DONE $NSWAP $1\$" "$W/swap.out" && return 0
	t_fail "swap_$NSWAP" "netswap did not commit $1: $(cat "$W/swap.out")"
	exit 1
}
swap_to allow
# The fast path needs the bpf_rdonly_cast kfunc: where the kernel's BTF has it, it must load.
if grep -q '^FAST$' "$W/swap.out"; then t_pass fast_path_loaded
elif grep -aq bpf_rdonly_cast /sys/kernel/btf/vmlinux; then
	t_fail fast_path_loaded "this kernel has bpf_rdonly_cast but took the helper path: $(head -n 1 "$W/swap.out")"
else t_skip fast_path_loaded "this kernel takes the helper path: $(head -n 1 "$W/swap.out")"; fi

# session NAME FD CMD...: a netprobe session in the background, its input on fd FD.
session() {
	local name="$1" fd="$2"
	shift 2
	"$@" < "$W/$name.in" > "$W/$name.out" 2>&1 &
	t_defer "kill $!"
	eval "exec $fd> '$W/$name.in'"
	t_wait_for 5 grep -q READY "$W/$name.out" && return 0
	t_fail "setup_$name" "session did not start: $(cat "$W/$name.out")"
	exit 1
}
lines_ge() { [ "$(wc -l < "$1")" -ge "$2" ]; }
# round NAME FD: one round trip on that session; prints OK or the errno name.
round() {
	local out="$W/$1.out" n
	n=$(($(wc -l < "$out") + 1))
	echo x >&"$2"
	t_wait_for 10 lines_ge "$out" "$n" || { echo "NOANSWER"; return; }
	sed -n "${n}p" "$out"
}
# want NAME SESSION FD ANSWER...: the next round trip's answer is one of ANSWER.
want() {
	local name="$1" s="$2" fd="$3" got
	shift 3
	got=$(round "$s" "$fd")
	case " $* " in
	*" $got "*) t_pass "$name" ;;
	*) t_fail "$name" "expected $*, got $got" ;;
	esac
}

net_bg_host t_in_cgroup "$CLIENT" "$P" serve udp 127.0.0.1 "$PS" || t_fail setup "udp server $PS in the cgroup"
session udp 4 t_in_cgroup "$CLIENT" "$P" session udp 127.0.0.1 "$PU" 700
session tcp 5 t_in_cgroup "$CLIENT" "$P" session tcp 127.0.0.1 "$PT" 3000
session srv 6 "$P" session udp 127.0.0.1 "$PS" 700
session udp6 7 t_in_cgroup "$CLIENT" "$P" session udp ::1 "$PU6" 700

# allowed: the first round decides, the next ones take the memoized decision
for i in 1 2 3; do
	want "allow_udp_$i" udp 4 OK
	want "allow_tcp_$i" tcp 5 OK
	want "allow_srv_$i" srv 6 OK
	want "allow_udp6_$i" udp6 7 OK
done

swap_to deny
want deny_udp_next_packet_dropped udp 4 EPERM ETIMEDOUT
want deny_udp_stays_dropped udp 4 EPERM ETIMEDOUT
want deny_udp6_next_packet_dropped udp6 7 EPERM ETIMEDOUT
want deny_srv_next_packet_dropped srv 6 ETIMEDOUT
want deny_tcp_established_next_packet_dropped tcp 5 ETIMEDOUT

swap_to allow
want reallow_udp_next_packet_passes udp 4 OK
want reallow_srv_next_packet_passes srv 6 OK
want reallow_udp6_next_packet_passes udp6 7 OK
# the segments dropped under deny are retransmitted and now get through
want reallow_tcp_connection_recovers tcp 5 OK

# Another policy allowing the same flows: decided again, the replies still pass.
swap_to allow2
want allow2_udp_reply_still_passes udp 4 OK
want allow2_tcp_reply_still_passes tcp 5 OK
want allow2_srv_reply_out_still_passes srv 6 OK
want allow2_udp_memoized udp 4 OK
want allow2_udp6_reply_still_passes udp6 7 OK

# The container without network rules: everything passes (memoized as such) ...
swap_to none
want none_udp_passes udp 4 OK
want none_udp_memoized udp 4 OK
want none_srv_passes srv 6 OK
want none_tcp_passes tcp 5 OK
want none_udp6_passes udp6 7 OK
# ... until a policy denies it again.
swap_to deny
want none_then_deny_udp_dropped udp 4 EPERM ETIMEDOUT
want none_then_deny_srv_dropped srv 6 ETIMEDOUT
want none_then_deny_udp6_dropped udp6 7 EPERM ETIMEDOUT

exec 3>&- 4>&- 5>&- 6>&- 7>&-
t_finish
