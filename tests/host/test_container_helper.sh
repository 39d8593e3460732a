#!/bin/bash
# The container helper (tests/lib/container.sh) on the host with runc: a real
# container with Kubernetes annotations, exec into it, its cgroup, and a
# cleanup that leaves nothing behind and removes nothing that was there before.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/container.sh"

if ! command -v runc >/dev/null || ! command -v jq >/dev/null; then
	t_skip container_helper "runc or jq missing (scripts/deps.sh test installs them)"
	exit 0
fi
CG2=$(t_cgroup2_root)

# 1. start, annotations in `runc state` and in state.json
if ct_start c1 "" web-1 shop app sleep 600; then t_pass ct_start
else t_fail ct_start "runc run failed: $(ct_log c1)"; exit 1; fi

state=$(runc --root "$(ct_root)" state c1)
ann() { echo "$state" | jq -r --arg k "$1" '.annotations[$k] // empty'; }
if [ "$(ann io.kubernetes.pod.name)" = web-1 ] && [ "$(ann io.kubernetes.pod.namespace)" = shop ] &&
   [ "$(ann io.kubernetes.cri.container-name)" = app ] &&
   [ "$(ann io.kubernetes.pod.uid)" = "$(ct_pod_uid c1)" ]; then
	t_pass ct_state_annotations
else
	t_fail ct_state_annotations "runc state: $state"
fi
labels=$(jq -r '.config.labels[]' "$(ct_root)/c1/state.json" 2>/dev/null)
if echo "$labels" | grep -qx 'io.kubernetes.pod.name=web-1'; then t_pass ct_state_json_labels
else t_fail ct_state_json_labels "state.json config.labels: $labels"; fi

# 2. cgroup: the kubepods layout below our own top directory
cgpath=$(ct_cgroup_path c1)
case "$cgpath" in
"/$CT_TOP/kubepods/pod$(ct_pod_uid c1)/c1") t_pass ct_cgroup_layout ;;
*) t_fail ct_cgroup_layout "cgroup path $cgpath" ;;
esac
pid=$(ct_pid c1)
if [ -n "$pid" ] && grep -qx "0::$cgpath" /proc/"$pid"/cgroup; then t_pass ct_pid_in_cgroup
else t_fail ct_pid_in_cgroup "pid '$pid' cgroup: $(cat /proc/"$pid"/cgroup 2>/dev/null)"; fi
if [ "$(ct_cgroup_id c1)" = "$(stat -c %i "$CG2$cgpath")" ] && [ "$(ct_cgroup_id c1)" -gt 1 ]; then
	t_pass ct_cgroup_id
else
	t_fail ct_cgroup_id "ct_cgroup_id $(ct_cgroup_id c1)"
fi
if [ "$(readlink /proc/"$pid"/ns/net)" != "$(readlink /proc/self/ns/net)" ]; then t_pass ct_own_netns
else t_fail ct_own_netns "container shares the host network namespace"; fi

# 3. exec: runs inside the container, in its cgroup
out=$(ct_exec c1 sh -c 'hostname; cat /proc/self/cgroup')
if echo "$out" | grep -qx c1 && echo "$out" | grep -qx "0::$cgpath"; then t_pass ct_exec_in_cgroup
else t_fail ct_exec_in_cgroup "exec printed: $out"; fi
# a long-running exec'd process, seen from the host: in the container's cgroup
ct_exec c1 sleep 300 &
execpid=$!
found=""
for i in $(seq 1 50); do
	for p in $(cat "$CG2$cgpath/cgroup.procs"); do
		[ "$p" != "$pid" ] && [ "$(cat /proc/"$p"/comm 2>/dev/null)" = sleep ] &&
			grep -q '300' /proc/"$p"/cmdline 2>/dev/null && found=$p
	done
	[ -n "$found" ] && break
	sleep 0.1
done
if [ -n "$found" ]; then t_pass ct_exec_process_in_cgroup
else t_fail ct_exec_process_in_cgroup "no exec'd sleep in $CG2$cgpath/cgroup.procs: $(cat "$CG2$cgpath/cgroup.procs")"; fi
[ -n "$found" ] && kill "$found"
wait "$execpid" 2>/dev/null

# 4. a second container of the same pod shares the pod directory
if ct_start c2 "" web-1 shop sidecar && [ "$(dirname "$(ct_cgroup_path c2)")" = "$(dirname "$cgpath")" ]; then
	t_pass ct_same_pod
else
	t_fail ct_same_pod "c2 at $(ct_cgroup_path c2), c1 at $cgpath"
fi
# stopping c1 keeps the pod directory c2 still lives in
ct_stop c1
if [ ! -d "$CG2$cgpath" ] && [ -d "$CG2$(dirname "$cgpath")" ] && [ -d "$(ct_cgroup_dir c2)" ]; then
	t_pass ct_stop_keeps_shared_parent
else
	t_fail ct_stop_keeps_shared_parent "c1 dir gone? pod dir kept? c2 kept?"
fi

# 5. a container below a directory that existed before: that directory stays
# (not $(t_cgroup_create): its t_defer would run in the command substitution's subshell)
pre="$CG2/bulkhead-test-pre-$$"
mkdir "$pre" && t_defer "t_cgroup_remove '$pre'"
prerel=${pre#"$CG2"}
if ct_start c3 "$prerel/kubepods/burstable/pod-x/c3" other ns2 c3; then
	ct_stop c3
	v1left=$(ls -d /sys/fs/cgroup/*"$prerel" 2>/dev/null | grep -v "^$CG2")
	if [ -d "$pre" ] && [ ! -d "$pre/kubepods" ] && [ -z "$v1left" ]; then t_pass ct_preexisting_kept
	else t_fail ct_preexisting_kept "pre-existing $pre kept? kubepods below gone? v1 left: $v1left"; fi
else
	t_fail ct_preexisting_kept "ct_start below $prerel failed: $(ct_log c3)"
fi

# 6. full cleanup: no containers, no cgroup directories, no files
root=$(ct_root)
work=$CT_WORK
ct_cleanup_all
left=""
[ -d "$root" ] && left="$left runc-root:$(runc --root "$root" list -q 2>/dev/null | tr '\n' ' ')"
for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
	[ -e "$h/$CT_TOP" ] && left="$left $h/$CT_TOP"
done
[ -d "$work" ] && left="$left $work"
pgrep -f 'sleep 600' >/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = sleep ] && left="$left pid:$pid"
if [ -z "$left" ]; then t_pass ct_cleanup_complete; else t_fail ct_cleanup_complete "left behind:$left"; fi

t_finish
