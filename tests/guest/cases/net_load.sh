#!/bin/sh
# Network enforcement on the guest's kernel (Debian's 6.1): the agent loads and attaches
# the network programs (the one CO-RE object, built against 6.18), a crun container's
# connect to a denied destination gets EPERM, loopback is policed only where a rule names
# it, and --detach-on-exit leaves no pins behind.
. "$T_ROOT/tests/lib/common.sh"
. "$T_ROOT/tests/guest/lib/container.sh"
. "$T_ROOT/tests/lib/agent.sh"

POL=$T_WORK/net-policies-$$
PIN=/sys/fs/bpf/bh-net-test-$$
TOP=$(t_cgroup2_root)/$CT_TOP
mkdir -p "$POL" || { t_fail net_setup "policy directory"; exit 1; }
t_defer "rm -rf '$POL'"
if [ ! -d "$TOP" ]; then
	mkdir "$TOP" || { t_fail net_setup "cgroup $TOP"; exit 1; }
	t_defer "rmdir '$TOP'"
fi
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
cat > "$POL/net.yaml" <<'YAML'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: guestnet}
spec:
  selector: {containers: [netc]}
  defaults: {egress: deny, ingress: deny}
  network:
    egress:
      - {cidrs: [127.0.0.1/32], ports: [7001], protocol: tcp, action: deny}
      - {cidrs: [10.99.0.0/16], ports: ["8000-8100"], protocol: tcp, action: allow}
YAML

# nc_says CT HOST PORT: what busybox nc in the container says on connect.
nc_says() {
	ct_run "$1" nc -w 1 "$2" "$3"
	case "$CT_ERR$CT_OUT" in
	*"not permitted"*) echo EPERM ;;
	*"refused"*) echo REFUSED ;;
	*"unreachable"*) echo UNREACHABLE ;;
	*) echo "OTHER:$CT_RC:$CT_ERR" ;;
	esac
}
nc_is() { [ "$(nc_says "$2" "$3" "$4")" = "$1" ]; }

agent_start net --policy "$POL" --attach-cgroup "$TOP" --pin-dir "$PIN" \
	--state-root "$(ct_root)" --detach-on-exit 2>/dev/null ||
	t_wait_for 90 grep -q 'agent: ready' "$T_WORK/net.log" || {
	t_fail net_agent_loads "agent not ready; its log:"
	sed 's/^/    /' "$T_WORK/net.log" | tail -n 30 >&2
	exit 1
}
if grep -q 'network enforcement under' "$T_WORK/net.log"; then t_pass net_agent_loads
else t_fail net_agent_loads "no network enforcement in the log: $(grep -i 'net\|policy' "$T_WORK/net.log" | tail -5)"; fi
n=$(ls "$PIN/links" 2>/dev/null | grep -c '^bh_net_')
if [ "$n" -eq 9 ]; then t_pass net_links_pinned; else t_fail net_links_pinned "expected 9 links under $PIN/links, got $n"; fi

if ct_start netc "" pod-netc guest netc; then
	t_wait_for 20 nc_is EPERM netc 10.98.0.1 80
	got=$(nc_says netc 10.98.0.1 80)
	[ "$got" = EPERM ] && t_pass net_denied_eperm || t_fail net_denied_eperm "got $got"
	got=$(nc_says netc 10.99.0.1 8050)
	[ "$got" = UNREACHABLE ] && t_pass net_allowed_reaches_routing || t_fail net_allowed_reaches_routing "got $got"
	got=$(nc_says netc 127.0.0.1 7001)
	[ "$got" = EPERM ] && t_pass net_loopback_rule_applies || t_fail net_loopback_rule_applies "got $got"
	got=$(nc_says netc 127.0.0.1 7002)
	[ "$got" = REFUSED ] && t_pass net_loopback_not_policed || t_fail net_loopback_not_policed "got $got"
else
	t_fail net_container "crun container: $(ct_log netc)"
fi

agent_stop net
if [ ! -e "$PIN" ]; then t_pass net_detach_on_exit; else t_fail net_detach_on_exit "$PIN left: $(ls "$PIN")"; fi
t_finish
