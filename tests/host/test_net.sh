#!/bin/bash
# Network policy in the kernel, on this machine's kernel, with real runc containers,
# each in its own network namespace joined to the host by a veth pair made here.
# The agent enforces under a cgroup this test made (never the machine's root), with
# its own pin directory; every container, address, cgroup and pin is removed at exit.
#
#   web      (n=1) egress and ingress default deny; tcp TA and the range RLO-RHI, udp UA,
#                  icmp to the host side; tcp 80 and udp 5300 in from the host side
#   api      (n=2) defaults allow, but tcp TA to the host side denied
#   auditor  (n=3) egress default deny in audit mode
#   free     (n=4) selected by no policy (and there is no NodeDefault)
#   late     (n=5) started after the agent: tcp TD denied, held until classified
# Addresses and host ports are this run's (tests/lib/netns.sh: net_host4, net_port).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-net-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/netns.sh"
t_mount_kernel_fs

P=$T_BUILD/tests/helpers/netprobe
PIN=/sys/fs/bpf/bulkhead-test-net-$$
POL=$T_WORK/net-policies-$$
AG=net-$$		# the agent's name: its log, events and lock under $T_WORK
if [ ! -x "$P" ]; then t_fail setup "$P is not built (make test-bins)"; exit 1; fi
TOP=$(t_cgroup_create net) || { t_fail setup "cannot make the test cgroup"; exit 1; }
mkdir -p "$POL"
t_defer "rm -rf '$POL'"
t_defer "'$T_BIN' unload --pin-dir '$PIN'"


# in CT CMD...: a host binary inside the container's cgroup and network namespace.
in_ct() { local c="$1"; shift; net_in_ct "$(ct_cgroup_dir "$c")" "$(ct_pid "$c")" "$@"; }

h4() { net_host4 "$1"; }
h6() { net_host6 "$1"; }
x4() { net_other4 "$1"; }			# a second host-side address: denied
x6() { net_other6 "$1"; }
# Host ports of this run (the containers' own ports are in their namespaces).
TA=$(net_port 80); TD=$(net_port 81); TF=$(net_port 82)	# tcp allowed, denied, flooded
RLO=$(net_port 10); RHI=$(net_port 20)			# an allowed tcp port range
UA=$(net_port 53); UD=$(net_port 54)			# udp allowed, denied

pol() { cat > "$POL/$1.yaml"; }
pol web <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: web}
spec:
  selector: {namespaces: [bh-net], containers: [web]}
  mode: enforce
  defaults: {egress: deny, ingress: deny}
  network:
    egress:
      - {cidrs: [$(h4 1)/32, "$(h6 1)/128"], ports: [$TA, "$RLO-$RHI"], protocol: tcp, action: allow}
      - {cidrs: [$(h4 1)/32, "$(h6 1)/128"], ports: [$UA], protocol: udp, action: allow}
      - {cidrs: [$(h4 1)/32, "$(h6 1)/128"], protocol: icmp, action: allow}
    ingress:
      - {cidrs: [$(h4 1)/32, "$(h6 1)/128"], ports: [80], protocol: tcp, action: allow}
      - {cidrs: [$(h4 1)/32, "$(h6 1)/128"], ports: [5300], protocol: udp, action: allow}
EOF
pol api <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: api}
spec:
  selector: {namespaces: [bh-net], containers: [api]}
  defaults: {egress: allow, ingress: allow}
  network:
    egress:
      - {cidrs: [$(h4 2)/32], ports: [$TA], protocol: tcp, action: deny}
EOF
pol auditor <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: auditor}
spec:
  selector: {namespaces: [bh-net], containers: [auditor]}
  mode: audit
  defaults: {egress: deny, ingress: allow}
EOF
pol late <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: late}
spec:
  selector: {namespaces: [bh-net], containers: [late]}
  defaults: {egress: allow, ingress: allow}
  network:
    egress:
      - {cidrs: [$(h4 5)/32], ports: [$TD], protocol: tcp, action: deny}
EOF

# Host-side servers (host processes: never policed). "::" takes IPv4 too.
for port in $TA $TD $TF; do net_bg_host "$P" serve tcp :: "$port" || t_fail setup "tcp server $port"; done
for port in $UA $UD; do net_bg_host "$P" serve udp :: "$port" || t_fail setup "udp server $port"; done

if ! agent_start "$AG" --policy "$POL" --attach-cgroup "$TOP" --pin-dir "$PIN" \
	--state-root "$(ct_root)" --hold-new-cgroups "/$CT_TOP" --hold-ms 3000; then
	t_fail agent_starts "the agent did not start with network policies"
	exit 1
fi
t_pass agent_starts
if grep -q "network enforcement under $TOP" "$T_WORK/$AG.log"; then t_pass attach_under_test_cgroup
else t_fail attach_under_test_cgroup "agent log does not say it enforces under $TOP"; fi

n=0
for c in web api auditor free; do
	n=$((n + 1))
	if ct_start "$c" "" "pod-$c" bh-net "$c" && net_link_ct "$c" "$(ct_pid "$c")" "$n" &&
	   net_add_host_addr "$n"; then :; else
		t_fail setup "container $c and its network"; exit 1
	fi
done
# The agent classifies each new container as soon as its runtime state is there; until
# then it is held (denied). Wait for the effect of each policy.
t_wait_for 10 first_word_is EPERM in_ct web "$P" connect tcp "$(h4 1)" "$TD"
t_wait_for 10 first_word_is OK in_ct web "$P" connect tcp "$(h4 1)" "$TA"
t_wait_for 10 first_word_is OK in_ct api "$P" connect tcp "$(h4 2)" "$TD"
t_wait_for 10 first_word_is OK in_ct auditor "$P" connect tcp "$(h4 3)" "$TD"
t_wait_for 10 first_word_is OK in_ct free "$P" connect tcp "$(h4 4)" "$TD"

# --- web: egress (EPERM at connect/sendto, drop for raw ICMP), IPv4 and IPv6 ---
expect tcp4_allowed OK in_ct web "$P" connect tcp "$(h4 1)" "$TA"
expect tcp4_denied_port_eperm EPERM in_ct web "$P" connect tcp "$(h4 1)" "$TD"
expect tcp4_denied_addr_eperm EPERM in_ct web "$P" connect tcp "$(x4 1)" "$TA"
expect tcp6_allowed OK in_ct web "$P" connect tcp "$(h6 1)" "$TA"
expect tcp6_denied_port_eperm EPERM in_ct web "$P" connect tcp "$(h6 1)" "$TD"
expect tcp6_denied_addr_eperm EPERM in_ct web "$P" connect tcp "$(x6 1)" "$TA"
expect udp4_allowed OK in_ct web "$P" connect udp "$(h4 1)" "$UA"
expect udp4_denied_eperm EPERM in_ct web "$P" connect udp "$(h4 1)" "$UD"
expect udp4_sendto_allowed OK in_ct web "$P" sendto udp "$(h4 1)" "$UA"
expect udp4_sendto_denied_eperm EPERM in_ct web "$P" sendto udp "$(h4 1)" "$UD"
expect udp6_allowed OK in_ct web "$P" connect udp "$(h6 1)" "$UA"
expect udp6_denied_eperm EPERM in_ct web "$P" sendto udp "$(h6 1)" "$UD"
expect icmp4_allowed OK in_ct web "$P" ping "$(h4 1)"
expect icmp4_denied_dropped EPERM in_ct web "$P" ping "$(x4 1)"
expect icmp6_allowed OK in_ct web "$P" ping "$(h6 1)"
expect icmp6_denied_dropped EPERM in_ct web "$P" ping "$(x6 1)"
# A real container process (busybox nc) gets EPERM too.
out=$(ct_exec web sh -c "echo hi | nc -w 1 $(h4 1) "$TD"" 2>&1)
case "$out" in *"not permitted"*) t_pass busybox_nc_denied ;; *) t_fail busybox_nc_denied "nc said: $out" ;; esac
out=$(ct_exec web sh -c "echo hi | nc -w 1 $(h4 1) "$TA"" 2>&1)
if [ "$out" = hi ]; then t_pass busybox_nc_allowed; else t_fail busybox_nc_allowed "nc said: $out"; fi

# --- a port range RLO-RHI (no server there: ECONNREFUSED = got through) ---
for p in "$RLO" $((RLO + 5)) "$RHI"; do expect "port_range_$((p - RLO))_allowed" ECONNREFUSED in_ct web "$P" connect tcp "$(h4 1)" "$p"; done
for p in $((RLO - 1)) $((RHI + 1)); do expect "port_range_$((p - RLO))_denied" EPERM in_ct web "$P" connect tcp "$(h4 1)" "$p"; done

# --- ingress: default deny, replies of allowed inbound flows pass egress default deny ---
cgw=$(ct_cgroup_dir web); pw=$(ct_pid web)
net_bg_in_ct "$cgw" "$pw" "$P" serve tcp :: 80 || t_fail ingress_setup "tcp server in web"
net_bg_in_ct "$cgw" "$pw" "$P" serve udp :: 5300 || t_fail ingress_setup "udp server in web"
expect ingress_tcp4_allowed_reply_flows OK "$P" connect tcp "$(net_ct4 1)" 80
# (IPv6 source selection may pick the second host address: name the source.)
expect ingress_tcp6_allowed_reply_flows OK env NETPROBE_SRC="$(h6 1)" "$P" connect tcp "$(net_ct6 1)" 80
expect ingress_udp4_allowed_reply_flows OK "$P" connect udp "$(net_ct4 1)" 5300
expect ingress_udp6_allowed_reply_flows OK env NETPROBE_SRC="$(h6 1)" "$P" connect udp "$(net_ct6 1)" 5300
expect ingress_tcp4_denied_source_dropped ETIMEDOUT env NETPROBE_SRC="$(x4 1)" "$P" connect tcp "$(net_ct4 1)" 80
expect ingress_tcp6_denied_source_dropped ETIMEDOUT env NETPROBE_SRC="$(x6 1)" "$P" connect tcp "$(net_ct6 1)" 80
expect ingress_udp4_denied_source_dropped ETIMEDOUT env NETPROBE_SRC="$(x4 1)" "$P" connect udp "$(net_ct4 1)" 5300
expect bind_denied_port_eperm EPERM in_ct web "$P" bind tcp 0.0.0.0 81
expect bind_denied_port6_eperm EPERM in_ct web "$P" bind tcp :: 81
expect bind_allowed_port OK in_ct web "$P" bind udp 0.0.0.0 5300
# replies to allowed outbound flows under the ingress default deny: OK above means the
# reply came back (tcp4_allowed, udp4_allowed, icmp4_allowed, ...); say so explicitly:
expect egress_reply_under_ingress_deny_tcp OK in_ct web "$P" connect tcp "$(h4 1)" "$TA"
expect egress_reply_under_ingress_deny_udp OK in_ct web "$P" sendto udp "$(h6 1)" "$UA"

# --- loopback inside the container's own namespace is not policed ---
net_bg_in_ct "$cgw" "$pw" "$P" serve tcp 127.0.0.1 7000 || t_fail loopback_setup "loopback server"
net_bg_in_ct "$cgw" "$pw" "$P" serve tcp ::1 7000 || t_fail loopback_setup "loopback6 server"
expect loopback4_not_policed OK in_ct web "$P" connect tcp 127.0.0.1 7000
expect loopback6_not_policed OK in_ct web "$P" connect tcp ::1 7000

# --- two containers side by side, different policies ---
expect side_by_side_api_denied_ta EPERM in_ct api "$P" connect tcp "$(h4 2)" "$TA"
expect side_by_side_api_allowed_td OK in_ct api "$P" connect tcp "$(h4 2)" "$TD"
expect side_by_side_web_allowed_ta OK in_ct web "$P" connect tcp "$(h4 1)" "$TA"
expect side_by_side_web_denied_td EPERM in_ct web "$P" connect tcp "$(h4 1)" "$TD"

# --- no policy, and the host itself: untouched ---
expect no_policy_container_untouched_tcp OK in_ct free "$P" connect tcp "$(h4 4)" "$TD"
expect no_policy_container_untouched_icmp OK in_ct free "$P" ping "$(x4 4)"
expect host_untouched_tcp OK "$P" connect tcp "$(h4 1)" "$TD"
expect host_untouched_udp OK "$P" sendto udp "$(h4 1)" "$UD"
expect host_cgroup_under_attach_untouched OK t_in_cgroup "$TOP" "$P" connect tcp "$(x4 1)" "$TD"

# --- audit: reported, not blocked ---
expect audit_lets_through OK in_ct auditor "$P" connect tcp "$(h4 3)" "$TD"

# --- a container started after the agent: covered from its first packet ---
# Its network is plumbed right after it starts (as a CNI would) and its first connect
# follows at once: whether the agent has classified it yet or still holds it (fail-closed,
# see below), the answer must be EPERM, never a connection.
if ct_start late "" pod-late bh-net late && net_link_ct late "$(ct_pid late)" 5; then
	expect late_container_first_packet_denied EPERM in_ct late "$P" connect tcp "$(h4 5)" "$TD"
	t_wait_for 10 first_word_is OK in_ct late "$P" connect tcp "$(h4 5)" "$TA"
	expect late_container_allowed_after_classification OK in_ct late "$P" connect tcp "$(h4 5)" "$TA"
	expect late_container_policy_denies EPERM in_ct late "$P" connect tcp "$(h4 5)" "$TD"
else
	t_fail late_setup "container late and its network"
fi

# --- a new non-container cgroup under the hold prefix: fail-closed, then released ---
newcg="$TOP/kubepods-held"
mkdir "$newcg"
expect held_new_cgroup_denied EPERM t_in_cgroup "$newcg" "$P" connect tcp "$(h4 1)" "$TD"
sleep 3.5
expect held_new_cgroup_released OK t_in_cgroup "$newcg" "$P" connect tcp "$(h4 1)" "$TD"
rmdir "$newcg" 2>/dev/null

# --- events: deny and audit, aggregated and rate-limited in the kernel ---
flood=$(in_ct web "$P" loop tcp "$(h4 1)" "$TF" 1500)
nflood=$(echo "$flood" | sed -n 's/.*EPERM=\([0-9]*\).*/\1/p')
sleep 3.5	# the agent sweeps what the kernel aggregated
# The net events written so far (a line being written is skipped).
ev() { grep '"kind":"net"' "$T_WORK/$AG.json" | jq -c -R 'fromjson? // empty'; }
# has_ev JQ-CONDITION: some net event matches.
has_ev() { [ -n "$(ev | jq -c "select($1)" | head -n 1)" ]; }
if has_ev ".action == \"deny\" and .container.name == \"web\" and .net.hook == \"connect\"
	and .net.remote == \"$(h4 1)\" and .net.remote_port == $TD and .net.protocol == \"tcp\"
	and .net.direction == \"egress\" and .net.policy == \"web\"
	and .net.rule == \"spec.defaults.egress\" and .process.comm == \"netprobe\""; then
	t_pass event_deny_connect
else
	t_fail event_deny_connect "no deny event for web -> $(h4 1):$TD with rule and process: $(ev | grep '"web"' | head -3)"
fi
if has_ev ".action == \"deny\" and .container.name == \"web\" and .net.direction == \"ingress\"
	and .net.hook == \"ingress\" and .net.remote == \"$(x4 1)\" and .net.local_port == 80"; then
	t_pass event_deny_ingress_packet
else
	t_fail event_deny_ingress_packet "no ingress drop event from $(x4 1) to port 80"
fi
if has_ev ".action == \"audit\" and .container.name == \"auditor\" and .net.remote_port == $TD"; then
	t_pass event_audit
else
	t_fail event_audit "no audit event for auditor -> :$TD"
fi
if has_ev '.container.name == "free"'; then
	t_fail no_policy_no_events "events for the container without a policy"
else
	t_pass no_policy_no_events
fi
flood_sum() { ev | jq "select(.container.name == \"web\" and .net.remote_port == $TF) | .net.count" | awk '{s+=$1} END {print s+0}'; }
# The last aggregate goes out on a sweep (every 2 s) once its burst is over: wait for it.
t_wait_for 10 eval '[ "$(flood_sum)" -eq "${nflood:-0}" ]'
nev=$(ev | jq -c "select(.container.name == \"web\" and .net.remote_port == $TF)" | wc -l)
sum=$(flood_sum)
if [ -n "$nflood" ] && [ "$nflood" -gt 100 ] && [ "$nev" -le 6 ] && [ "$sum" -eq "$nflood" ]; then
	t_pass events_aggregated
else
	t_fail events_aggregated "$nflood denied connects ($flood) should give a few events whose counts sum to it; got $nev events summing to $sum"
fi

if agent_stop "$AG"; then t_pass agent_sigterm_exit_0; else t_fail agent_sigterm_exit_0 "agent exited non-zero"; fi
# Enforcement stays in force after a clean exit by default.
expect kept_after_sigterm EPERM in_ct web "$P" connect tcp "$(h4 1)" "$TD"
t_finish
