#!/bin/bash
# One cgroup tracer (bpf/cgroup.bpf.c) feeds attribution and enforcement alike: an
# agent with nothing to enforce runs it without pinning anything; the SIGHUP that
# brings the first policy with network rules starts enforcement; a container started
# after that gets its policy and its identity from the tracer's record, also when its
# cgroup path is too long for the record (the agent looks it up by id).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
# Deep enough that every container's cgroup path is longer than a record's 256 bytes.
SEG=$(printf 'd%.0s' $(seq 1 80))
CT_TOP=bulkhead-test-cgev-$$/${SEG}1/${SEG}2/${SEG}3
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/netns.sh"
t_mount_kernel_fs

P=$T_BUILD/tests/helpers/netprobe
PIN=/sys/fs/bpf/bulkhead-test-cgev-$$
POL=$T_WORK/cgev-policies-$$
[ -x "$P" ] || { t_fail setup "$P is not built (make test-bins)"; exit 1; }
TOP=$(t_cgroup2_root)/bulkhead-test-cgev-$$
mkdir -p "$TOP" || { t_fail setup "cannot make the test cgroup"; exit 1; }
t_defer "rm -rf '$POL'"		# made by write_policy: at start there are no policies
t_defer "'$T_BIN' unload --pin-dir '$PIN' >/dev/null"
TD=$(net_port 90)
net_bg_host "$P" serve tcp :: "$TD" || { t_fail setup "server on port $TD"; exit 1; }
write_policy() {
	mkdir -p "$POL"
	cat > "$POL/p.yaml" <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: cgev}
spec:
  selector: {namespaces: [bh-cgev], containers: [early, late]}
  defaults: {egress: allow, ingress: allow}
  network:
    egress:
      - {cidrs: [$(net_host4 1)/32, $(net_host4 2)/32], ports: [$TD], protocol: tcp, action: deny}
EOF
}
ARGS="--policy $POL --pin-dir $PIN --attach-cgroup $TOP --state-root $(ct_root) --detach-on-exit"
LOG=$T_WORK/cgev-$$.log

# No policy yet: the tracer runs, nothing is pinned.
agent_start cgev-$$ $ARGS || { t_fail agent_starts "no policy"; exit 1; }
pid=$(cat "$T_WORK/cgev-$$.pid")
prog_names() {
	for id in $(agent_prog_ids "$pid"); do
		bpftool prog show id "$id" 2>/dev/null | sed -n 's/.* name \([^ ]*\) .*/\1/p'
	done | sort | tr '\n' ' '
}
case "$(prog_names)" in
*bh_cgroup_mkdir*bh_cgroup_rmdir*) t_pass tracer_without_policy ;;
*) t_fail tracer_without_policy "agent programs: $(prog_names)" ;;
esac
if [ -e "$PIN" ]; then t_fail nothing_pinned_without_policy "$(ls "$PIN")"; else t_pass nothing_pinned_without_policy; fi

# The first policy with network rules arrives: SIGHUP starts enforcement.
ct_start early "" pod-early bh-cgev early && net_link_ct early "$(ct_pid early)" 1 ||
	{ t_fail setup "container early"; exit 1; }
in_early() { net_in_ct "$(ct_cgroup_dir early)" "$(ct_pid early)" "$@"; }
expect no_policy_not_enforced OK in_early "$P" connect tcp "$(net_host4 1)" "$TD"
write_policy
kill -HUP "$pid"
t_wait_for 10 first_word_is EPERM in_early "$P" connect tcp "$(net_host4 1)" "$TD"
expect sighup_starts_enforcement EPERM in_early "$P" connect tcp "$(net_host4 1)" "$TD"
if grep -q 'agent: enforcement started' "$LOG"; then t_pass sighup_says_so
else t_fail sighup_says_so "$(grep -i 'sighup\|policy' "$LOG" | tail -3)"; fi
n=$(prog_names | tr ' ' '\n' | grep -c 'mkdir')
if [ "$n" -eq 1 ]; then t_pass one_mkdir_tracer; else t_fail one_mkdir_tracer "$n cgroup_mkdir programs: $(prog_names)"; fi

# Started after that, its cgroup path longer than the record holds.
ct_start late "" pod-late bh-cgev late && net_link_ct late "$(ct_pid late)" 2 || { t_fail setup "container late"; exit 1; }
cgp=$(ct_cgroup_path late)
t_log "cgroup path: ${#cgp} bytes"
[ "${#cgp}" -gt 256 ] || t_fail setup "the cgroup path is only ${#cgp} bytes"
in_late() { net_in_ct "$(ct_cgroup_dir late)" "$(ct_pid late)" "$@"; }
t_wait_for 10 first_word_is EPERM in_late "$P" connect tcp "$(net_host4 2)" "$TD"
expect long_path_gets_policy EPERM in_late "$P" connect tcp "$(net_host4 2)" "$TD"
if grep -q 'not classified' "$LOG"; then t_fail long_path_resolved "$(grep 'not classified' "$LOG" | head -2)"
else t_pass long_path_resolved; fi
ct_exec late /bin/true bh-cgev-marker
has_exec() { grep '"kind":"exec"' "$T_WORK/cgev-$$.json" | grep bh-cgev-marker | grep -q '"name":"late"'; }
if t_wait_for 5 has_exec; then t_pass long_path_attributed
else t_fail long_path_attributed "no exec event attributed to late: $(grep bh-cgev-marker "$T_WORK/cgev-$$.json" | grep -v '"host":true' | head -1)"; fi

# Removed: the policy entry goes with it; the agent stays healthy.
ct_stop late
sleep 0.3
if kill -0 "$pid" 2>/dev/null; then t_pass agent_survives_rmdir; else t_fail agent_survives_rmdir "agent exited"; fi
if agent_stop cgev-$$; then t_pass agent_stops; else t_fail agent_stops "non-zero exit"; fi
if [ -e "$PIN" ]; then t_fail detached "$(ls "$PIN")"; else t_pass detached; fi

# A bad hold prefix is refused before anything loads.
if "$T_BIN" run --hold-new-cgroups kubepods --lock-file "$T_WORK/cgev-c.lock" 2> "$T_WORK/cgev-c.err"; then
	t_fail bad_hold_prefix "accepted"
elif grep -q 'hold-new-cgroups .kubepods.: expected' "$T_WORK/cgev-c.err"; then
	t_pass bad_hold_prefix
else
	t_fail bad_hold_prefix "$(cat "$T_WORK/cgev-c.err")"
fi
t_finish
