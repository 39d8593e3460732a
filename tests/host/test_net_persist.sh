#!/bin/bash
# Enforcement outlives the agent: kill -9 leaves it in force, a restarted agent re-adopts
# the pinned links (programs replaced in place, never a gap), SIGHUP reloads the policy,
# a clean SIGTERM keeps enforcement by default, --detach-on-exit and `bulkhead unload`
# leave nothing behind (bpftool prog/link show, pins).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-persist-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/netns.sh"
t_mount_kernel_fs

P=$T_BUILD/tests/helpers/netprobe
PIN=/sys/fs/bpf/bulkhead-test-persist-$$
POL=$T_WORK/persist-policies-$$
[ -x "$P" ] || { t_fail setup "$P is not built (make test-bins)"; exit 1; }
TOP=$(t_cgroup_create persist) || { t_fail setup "cannot make the test cgroup"; exit 1; }
mkdir -p "$POL"
t_defer "rm -rf '$POL'"
t_defer "'$T_BIN' unload --pin-dir '$PIN'"

in_ct() { net_in_ct "$(ct_cgroup_dir ct)" "$(ct_pid ct)" "$@"; }
# Our links: bh_net_* programs attached to this test's cgroup (other tests may run too).
TOPID=$(t_cgroup_id "$TOP")
our_links() {	# prints "LINK:PROG" pairs
	local id out
	for id in $(bpftool link show 2>/dev/null | sed -n 's/^\([0-9]*\): cgroup .*/\1/p'); do
		out=$(bpftool link show id "$id" 2>/dev/null)
		echo "$out" | grep -q "cgroup_id $TOPID " || continue
		pid=$(echo "$out" | sed -n 's/.*prog \([0-9]*\).*/\1/p')
		bpftool prog show id "$pid" 2>/dev/null | grep -q ' name bh_net_' && echo "$id:$pid"
	done
}
count_links() { our_links | grep -c .; }
link_ids() { our_links | cut -d: -f1 | sort | tr '\n' ' '; }
prog_ids() { our_links | cut -d: -f2 | sort | tr '\n' ' '; }
progs_gone() { local id; for id in $1; do bpftool prog show id "$id" >/dev/null 2>&1 && return 1; done; return 0; }

policy() {	# policy DENIED_PORT
	cat > "$POL/p.yaml" <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: persist}
spec:
  selector: {namespaces: [bh-persist], containers: [ct]}
  defaults: {egress: allow, ingress: allow}
  network:
    egress:
      - {cidrs: [$(net_host4 1)/32], ports: [$1], protocol: tcp, action: deny}
EOF
}
ARGS="--policy $POL --attach-cgroup $TOP --pin-dir $PIN --state-root"
TA=$(net_port 80); TD=$(net_port 81)	# this run's host ports: A, then D denied

for port in $TA $TD; do net_bg_host "$P" serve tcp :: "$port" || t_fail setup "server $port"; done
policy "$TD"
ct_start ct "" pod-ct bh-persist ct && net_link_ct ct "$(ct_pid ct)" 1 || { t_fail setup "container"; exit 1; }

agent_start persist-a-$$ $ARGS "$(ct_root)" || { t_fail agent_starts "first agent"; exit 1; }
t_wait_for 10 first_word_is EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
expect enforced EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
links_before=$(link_ids)
progs_before=$(prog_ids)

# kill -9: still enforced, links and programs stay.
agent_kill persist-a-$$
expect killed_still_denies EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
expect killed_still_allows OK in_ct "$P" connect tcp "$(net_host4 1)" "$TA"
if [ "$(count_links)" -eq 9 ] && [ -e "$PIN/links/bh_net_egress" ]; then t_pass killed_links_pinned
else t_fail killed_links_pinned "expected 9 bh_net links pinned under $PIN, got $(count_links)"; fi

# Restart while connections run: never a gap, never a success on the denied port.
a=$(mktemp); d=$(mktemp); t_defer "rm -f '$a' '$d'"
in_ct "$P" loop tcp "$(net_host4 1)" "$TA" 4000 > "$a" & pa=$!
in_ct "$P" loop tcp "$(net_host4 1)" "$TD" 4000 > "$d" & pd=$!
sleep 0.5
if agent_start persist-b-$$ $ARGS "$(ct_root)"; then t_pass restart_starts; else t_fail restart_starts "second agent"; fi
wait "$pa" "$pd"
if grep -q 're-adopted 9 pinned links' "$T_WORK/persist-b-$$.log"; then t_pass restart_readopts
else t_fail restart_readopts "no re-adoption in the log: $(grep net: "$T_WORK/persist-b-$$.log")"; fi
if [ "$(link_ids)" = "$links_before" ] && [ "$(prog_ids)" != "$progs_before" ]; then
	t_pass restart_same_links_updated_in_place
else
	t_fail restart_same_links_updated_in_place "links $links_before -> $(link_ids), programs $progs_before -> $(prog_ids)"
fi
t_wait_for 5 progs_gone "$progs_before"
if progs_gone "$progs_before"; then t_pass restart_old_programs_released
else t_fail restart_old_programs_released "old programs $progs_before still loaded"; fi
progs_before=$(prog_ids)
if grep -q ' EPERM=0 ETIMEDOUT=0 ECONNREFUSED=0 EOTHER=0' "$a" && ! grep -q '^ok=0 ' "$a"; then
	t_pass restart_allowed_never_fails
else t_fail restart_allowed_never_fails "$(cat "$a")"; fi
if grep -q '^ok=0 EPERM=[1-9]' "$d"; then t_pass restart_denied_never_succeeds
else t_fail restart_denied_never_succeeds "$(cat "$d")"; fi

# SIGHUP: the new policy file goes in force; a broken one keeps the old.
policy "$TA"
kill -HUP "$(cat "$T_WORK/persist-b-$$.pid")"
t_wait_for 5 first_word_is EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TA"
expect reload_new_policy_denies EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TA"
expect reload_new_policy_allows OK in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
echo "spec: [this is not a policy" > "$POL/p.yaml"
kill -HUP "$(cat "$T_WORK/persist-b-$$.pid")"
t_wait_for 5 grep -q 'not reloading' "$T_WORK/persist-b-$$.log"
expect reload_bad_file_keeps_policy EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TA"
policy "$TD"

# SIGTERM: kept in force by default.
if agent_stop persist-b-$$; then t_pass sigterm_exit_0; else t_fail sigterm_exit_0 "non-zero exit"; fi
expect sigterm_keeps_enforcement EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TA"

# bulkhead unload: nothing left.
out=$("$T_BIN" unload --pin-dir "$PIN")
case "$out" in *"9 links detached"*) t_pass unload_detaches ;; *) t_fail unload_detaches "unload said: $out" ;; esac
if [ ! -e "$PIN" ] && [ "$(count_links)" -eq 0 ]; then t_pass unload_leaves_nothing
else t_fail unload_leaves_nothing "pins: $(ls -R "$PIN" 2>&1 | head -3); links: $(our_links)"; fi
t_wait_for 5 progs_gone "$progs_before"
if progs_gone "$progs_before"; then t_pass unload_programs_freed; else t_fail unload_programs_freed "programs $progs_before left"; fi
expect unloaded_not_enforced OK in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
out=$("$T_BIN" unload --pin-dir "$PIN")
case "$out" in *"nothing pinned"*) t_pass unload_twice_is_fine ;; *) t_fail unload_twice_is_fine "$out" ;; esac

# --detach-on-exit: SIGTERM removes everything.
if agent_start persist-c-$$ $ARGS "$(ct_root)" --detach-on-exit; then
	t_wait_for 10 first_word_is EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
	expect detach_on_exit_enforces EPERM in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
	progs_before=$(prog_ids)
	agent_stop persist-c-$$
	t_wait_for 5 progs_gone "$progs_before"
	if [ ! -e "$PIN" ] && [ "$(count_links)" -eq 0 ] && progs_gone "$progs_before"; then
		t_pass detach_on_exit_leaves_nothing
	else
		t_fail detach_on_exit_leaves_nothing "pins $(ls "$PIN" 2>&1 | head -2), links $(our_links), programs $progs_before"
	fi
	expect detached_not_enforced OK in_ct "$P" connect tcp "$(net_host4 1)" "$TD"
else
	t_fail detach_on_exit_starts "third agent"
fi
t_finish
