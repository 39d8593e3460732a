#!/bin/bash
# The agent reloads its policies when they change on disk, without a SIGHUP: an edit of a
# policy file, a Kubernetes ConfigMap update (a new "..data" symlink renamed into the
# directory, files reached through it), a set with an error (the policy in force stays)
# and a fix after it. --no-policy-watch turns it off. A real container (runc) and a real
# connect() that gets EPERM, or not.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-pwatch-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/netns.sh"
t_mount_kernel_fs

P=$T_BUILD/tests/helpers/netprobe
PIN=/sys/fs/bpf/bulkhead-test-pwatch-$$
CM=$T_WORK/pwatch-cm-$$		# laid out like a ConfigMap volume
[ -x "$P" ] || { t_fail setup "$P is not built (make test-bins)"; exit 1; }
TOP=$(t_cgroup2_root)/$CT_TOP
mkdir -p "$TOP" "$CM" || { t_fail setup "cannot make the test cgroup or policy directory"; exit 1; }
t_defer "rm -rf '$CM'"
t_defer "'$T_BIN' unload --pin-dir '$PIN' >/dev/null"
TD=$(net_port 91)
net_bg_host "$P" serve tcp :: "$TD" || { t_fail setup "server on port $TD"; exit 1; }

# policy ACTION [MARK]: the policy text, egress to the test host denied or allowed.
policy() {
	cat <<PEOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: pwatch}
spec:
  selector: {namespaces: [bh-pwatch]}
  defaults: {egress: allow, ingress: allow}
  network:
    egress:
      - {cidrs: [$(net_host4 1)/32], ports: [$TD], protocol: tcp, action: $1}
PEOF
}
# cm_update VERSION < text: what the kubelet does on a ConfigMap change (a new dated
# directory, a temporary link to it renamed over ..data; p.yaml points through ..data).
cm_update() {
	mkdir "$CM/..v$1" && cat > "$CM/..v$1/p.yaml" &&
		ln -s "..v$1" "$CM/..data_tmp" && mv -T "$CM/..data_tmp" "$CM/..data"
	[ -e "$CM/p.yaml" ] || ln -s ..data/p.yaml "$CM/p.yaml"
}
policy deny | cm_update 1

ARGS="--policy $CM --pin-dir $PIN --attach-cgroup $TOP --state-root $(ct_root) --detach-on-exit"
LOG=$T_WORK/pwatch-$$.log
agent_start pwatch-$$ $ARGS || { t_fail agent_starts "see the log above"; exit 1; }
ct_start web "" pod-web bh-pwatch web && net_link_ct web "$(ct_pid web)" 1 || { t_fail setup "container web"; exit 1; }
in_web() { net_in_ct "$(ct_cgroup_dir web)" "$(ct_pid web)" "$@"; }
t_wait_for 10 first_word_is EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"
expect configmap_policy_enforced EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"

# A ConfigMap update: allowed, with no signal.
policy allow | cm_update 2
t_wait_for 10 first_word_is OK in_web "$P" connect tcp "$(net_host4 1)" "$TD"
expect configmap_update_applied OK in_web "$P" connect tcp "$(net_host4 1)" "$TD"

# A broken set: the policy in force stays, and the log says why.
echo "spec: [unclosed" | cm_update 3
sleep 1.5
expect broken_update_keeps_policy OK in_web "$P" connect tcp "$(net_host4 1)" "$TD"
if grep -q 'not reloading, the policy in force stays' "$LOG"; then t_pass broken_update_said
else t_fail broken_update_said "$(grep 'policy' "$LOG" | tail -3)"; fi

# Fixed: applied.
policy deny | cm_update 4
t_wait_for 10 first_word_is EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"
expect fixed_update_applied EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"
n=$(grep -c 'policy: .*changed on disk' "$LOG")
if [ "$n" -ge 3 ]; then t_pass reloads_logged; else t_fail reloads_logged "$n reloads logged"; fi
agent_stop pwatch-$$ || t_fail agent_stops "non-zero exit"

# --no-policy-watch: a change waits for SIGHUP.
agent_start pwatch2-$$ $ARGS --no-policy-watch || { t_fail agent_starts "--no-policy-watch"; exit 1; }
t_wait_for 10 first_word_is EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"
policy allow | cm_update 5
sleep 1.5
expect no_watch_keeps_policy EPERM in_web "$P" connect tcp "$(net_host4 1)" "$TD"
kill -HUP "$(cat "$T_WORK/pwatch2-$$.pid")"
t_wait_for 10 first_word_is OK in_web "$P" connect tcp "$(net_host4 1)" "$TD"
expect no_watch_sighup_applies OK in_web "$P" connect tcp "$(net_host4 1)" "$TD"
# One reload per change: a second SIGHUP with nothing changed puts nothing new in force.
n0=$(grep -c 'policies in force' "$T_WORK/pwatch2-$$.log")
kill -HUP "$(cat "$T_WORK/pwatch2-$$.pid")"
t_wait_for 5 grep -q 'unchanged since the set in force was loaded' "$T_WORK/pwatch2-$$.log"
n1=$(grep -c 'policies in force' "$T_WORK/pwatch2-$$.log")
if [ "$n1" -eq "$n0" ] && grep -q 'unchanged since the set in force' "$T_WORK/pwatch2-$$.log"; then
	t_pass one_reload_per_change
else
	t_fail one_reload_per_change "a SIGHUP with nothing changed reloaded the set ($n0 -> $n1 'in force' lines)"
fi
agent_stop pwatch2-$$ || t_fail agent_stops "non-zero exit (--no-policy-watch)"
t_finish
