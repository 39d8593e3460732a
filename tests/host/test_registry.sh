#!/bin/bash
# The container registry against real runc containers on the host: cgroup id ->
# path through kernfs file handles, kubepods layout, runc state.json annotations;
# a host cgroup; a container outside any layout that runc's state names; a
# start-up scan; a removed cgroup.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/container.sh"

LOOKUP=$T_BUILD/tests/registry-lookup
if [ ! -x "$LOOKUP" ]; then t_fail registry_helper "$LOOKUP not built (make test-bins)"; exit 1; fi
if ! command -v runc >/dev/null || ! command -v jq >/dev/null; then
	t_skip registry "runc or jq missing (scripts/deps.sh test installs them)"
	exit 0
fi
CG2=$(t_cgroup2_root)

# field NAME LINE: value of NAME=... in a registry-lookup line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
lookup() { "$LOOKUP" --cgroup2 "$CG2" --state-root "$(ct_root)" "$@"; }

CT_ANNOTATIONS='{"io.kubernetes.cri.image-name":"docker.io/library/busybox:1.35"}' \
	ct_start c1 "" web-1 shop app || { t_fail registry_container "ct_start: $(ct_log c1)"; exit 1; }
out=$(lookup --wait-resolved 2000 "$(ct_cgroup_id c1)")
line=$(echo "$out" | grep '^cgroup_id=')
[ "$(field handles "$(echo "$out" | head -1)")" = 1 ] && t_pass registry_uses_file_handles ||
	t_fail registry_uses_file_handles "open_by_handle_at did not work on $CG2: $out"
if [ "$(field host "$line")" = 0 ] && [ "$(field resolved "$line")" = 1 ] &&
   [ "$(field id "$line")" = c1 ] && [ "$(field name "$line")" = app ] &&
   [ "$(field pod "$line")" = web-1 ] && [ "$(field ns "$line")" = shop ] &&
   [ "$(field pod_uid "$line")" = "$(ct_pod_uid c1)" ] && [ "$(field runtime "$line")" = runc ] &&
   [ "$(field qos "$line")" = guaranteed ] && [ "$(field image "$line")" = docker.io/library/busybox:1.35 ] && [ "$(field path "$line")" = "$(ct_cgroup_path c1)" ]; then
	t_pass registry_container
else
	t_fail registry_container "lookup of c1 ($(ct_cgroup_path c1)): $line"
fi

# a host cgroup made by the test: host, with its path
hostcg="$CG2/bulkhead-test-reg-$$"
mkdir "$hostcg" && t_defer "t_cgroup_remove '$hostcg'"
line=$(lookup "$(stat -c %i "$hostcg")" | grep '^cgroup_id=')
if [ "$(field host "$line")" = 1 ] && [ "$(field path "$line")" = "/bulkhead-test-reg-$$" ] &&
   [ -z "$(field id "$line")" ]; then
	t_pass registry_host_cgroup
else
	t_fail registry_host_cgroup "$line"
fi

# no layout (/bulkhead-test-ct-PID/plain/c2), but runc's state names the cgroup
ct_start c2 plain/c2 web-2 shop worker || t_fail registry_state_named "ct_start: $(ct_log c2)"
line=$(lookup "$(ct_cgroup_id c2)" | grep '^cgroup_id=')
if [ "$(field host "$line")" = 0 ] && [ "$(field id "$line")" = c2 ] &&
   [ "$(field name "$line")" = worker ] && [ "$(field pod "$line")" = web-2 ]; then
	t_pass registry_state_named
else
	t_fail registry_state_named "$line"
fi

# start-up scan: finds the kubepods container without being asked for its id
out=$(lookup --scan)
if [ "$(field scan "$(echo "$out" | grep '^scan=')")" -ge 1 ] 2>/dev/null; then t_pass registry_scan
else t_fail registry_scan "$out"; fi

# a removed cgroup: final host answer, no path
id1=$(ct_cgroup_id c1)
ct_stop c1
line=$(lookup "$id1" | grep '^cgroup_id=')
if [ "$(field host "$line")" = 1 ] && [ "$(field resolved "$line")" = 1 ] && [ -z "$(field path "$line")" ]; then
	t_pass registry_removed_cgroup
else
	t_fail registry_removed_cgroup "$line"
fi

t_finish
