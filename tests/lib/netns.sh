# Network plumbing for tests: veth pairs between the host and a container's (or a
# test-made) network namespace, and running a host binary inside a container's
# cgroup and network namespace. Only addresses in 10.231.0.0/16 and fd42:6268::/32,
# only interfaces named bh*: nothing of the machine's own network is touched.
# Requires tests/lib/common.sh. Works in bash and busybox ash (with iproute2's ip).
#
#   net_link_ct NAME PID N       veth "bhhN" (host) <-> "eth0" in the netns of PID;
#                                host 10.231.N.1 + fd42:6268:N::1, container 10.231.N.2 +
#                                fd42:6268:N::2, default routes via the host side.
#                                Removed at exit (t_defer).
#   net_host4 N / net_ct4 N      those IPv4 addresses; net_host6 N / net_ct6 N IPv6
#   net_add_host_addr N ADDR4 ADDR6   another address on the host side of pair N
#   net_in_ct CGDIR PID CMD...   run a host CMD inside the cgroup CGDIR and the netns of PID
#   net_bg_in_ct CGDIR PID CMD...  the same in the background, killed at exit; waits
#                                for READY on its stdout (netprobe serve); sets NET_BG_PID
#                                (call it directly, not in $(...): the cleanup is registered
#                                by the calling shell)
#   net_bg_host CMD...           a host CMD in the background (READY-waited, killed at exit)

net_host4() { echo "10.231.$1.1"; }
net_ct4()   { echo "10.231.$1.2"; }
net_host6() { printf 'fd42:6268:%x::1\n' "$1"; }
net_ct6()   { printf 'fd42:6268:%x::2\n' "$1"; }

net_link_ct() {
	local name="$1" pid="$2" n="$3" hv="bhh$3" cv="bhc$3"
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
	ip addr add "$2/24" dev "bhh$1" && ip -6 addr add "$3/64" dev "bhh$1" nodad
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
