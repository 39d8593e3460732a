# Network plumbing for tests: veth pairs between the host and a container's (or a
# test-made) network namespace, and running a host binary inside a container's
# cgroup and network namespace. Only addresses in 10.200.0.0/13 and fd42::/16, only
# interfaces named bh*: nothing of the machine's own network is touched. Each test run
# takes its own slot NET_RUN (0..39: its own subnets, interface names and ports), so
# runs may overlap.
# Requires tests/lib/common.sh. Works in bash and busybox ash (with iproute2's ip).
#
#   net_link_ct NAME PID N       veth "bh<run>h<N>" (host) <-> "eth0" in the netns of PID;
#                                host net_host4 N + net_host6 N, container net_ct4 N +
#                                net_ct6 N, default routes via the host side.
#                                Removed at exit (t_defer).
#   net_host4 N / net_ct4 N      those IPv4 addresses (10.<200+run>.N.1 / .2);
#   net_host6 N / net_ct6 N      IPv6 (fd42:<6200+run>:N::1 / ::2)
#   net_other4 N / net_other6 N  a second host-side address (.3 / ::3), see net_add_host_addr
#   net_add_host_addr N          add it to the host side of pair N
#   net_port K                   a host port for this run (20000 + 100 * run + K)
#   net_in_ct CGDIR PID CMD...   run a host CMD inside the cgroup CGDIR and the netns of PID
#   net_bg_in_ct CGDIR PID CMD...  the same in the background, killed at exit; waits
#                                for READY on its stdout (netprobe serve); sets NET_BG_PID
#                                (call it directly, not in $(...): the cleanup is registered
#                                by the calling shell)
#   net_bg_host CMD...           a host CMD in the background (READY-waited, killed at exit)

# A slot no other run uses now (its first interface name is free).
if [ -z "${NET_RUN:-}" ]; then
	NET_RUN=$(($$ % 40))
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		ip link show "bh${NET_RUN}h1" >/dev/null 2>&1 || break
		NET_RUN=$(((NET_RUN + 7) % 40))
	done
fi

net_host4()  { echo "10.$((200 + NET_RUN)).$1.1"; }
net_ct4()    { echo "10.$((200 + NET_RUN)).$1.2"; }
net_other4() { echo "10.$((200 + NET_RUN)).$1.3"; }
net_host6()  { printf 'fd42:%x:%x::1\n' $((0x6200 + NET_RUN)) "$1"; }
net_ct6()    { printf 'fd42:%x:%x::2\n' $((0x6200 + NET_RUN)) "$1"; }
net_other6() { printf 'fd42:%x:%x::3\n' $((0x6200 + NET_RUN)) "$1"; }
net_port()   { echo $((20000 + 100 * NET_RUN + $1)); }

net_link_ct() {
	local name="$1" pid="$2" n="$3" hv="bh${NET_RUN}h$3" cv="bh${NET_RUN}c$3"
	ip link add "$hv" type veth peer name "$cv" || return 1
	t_defer "ip link del '$hv'"
	ip link set "$cv" netns "$pid" || return 1
	ip addr add "$(net_host4 "$n")/24" dev "$hv" &&
	ip -6 addr add "$(net_host6 "$n")/64" dev "$hv" nodad &&
	ip link set "$hv" up || return 1
	nsenter -t "$pid" -n sh -c "
		ip link set lo up &&
		ip link set '$cv' name eth0 &&
		ip addr add $(net_ct4 "$n")/24 dev eth0 &&
		ip -6 addr add $(net_ct6 "$n")/64 dev eth0 nodad &&
		ip link set eth0 up &&
		ip route add default via $(net_host4 "$n") &&
		ip -6 route add default via $(net_host6 "$n")" || return 1
	return 0
}

net_add_host_addr() {
	ip addr add "$(net_other4 "$1")/24" dev "bh${NET_RUN}h$1" &&
	ip -6 addr add "$(net_other6 "$1")/64" dev "bh${NET_RUN}h$1" nodad
}

net_in_ct() {
	local cg="$1" pid="$2"
	shift 2
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec nsenter -t "$0" -n "$@"' "$pid" "$cg" "$@"
}

# _net_bg_wait OUTFILE PID: wait for READY (netprobe serve) or the process's death.
_net_bg_wait() {
	local i
	for i in $(seq 1 50); do
		grep -q READY "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

net_bg_in_ct() {
	local cg="$1" pid="$2" out
	shift 2
	out=$(mktemp)
	net_in_ct "$cg" "$pid" "$@" > "$out" 2>&1 &
	NET_BG_PID=$!
	t_defer "kill $NET_BG_PID; rm -f '$out'"
	_net_bg_wait "$out" "$NET_BG_PID" || { t_log "background $*: $(cat "$out")"; return 1; }
}

net_bg_host() {
	local out
	out=$(mktemp)
	"$@" > "$out" 2>&1 &
	NET_BG_PID=$!
	t_defer "kill $NET_BG_PID; rm -f '$out'"
	_net_bg_wait "$out" "$NET_BG_PID" || { t_log "background $*: $(cat "$out")"; return 1; }
}

# expect NAME WANT CMD...: the first word CMD prints (netprobe prints an errno name or
# "OK") must be WANT.
expect() {
	local name="$1" want="$2" got
	shift 2
	got=$("$@" 2>&1 | head -n 1)
	if [ "${got%% *}" = "$want" ]; then t_pass "$name"; else t_fail "$name" "expected $want, got '$got'"; fi
}

# first_word_is WORD CMD...: does CMD print WORD first? (for t_wait_for)
first_word_is() { local w="$1"; shift; [ "$("$@" 2>&1 | cut -d' ' -f1)" = "$w" ]; }
