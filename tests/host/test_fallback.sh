#!/bin/bash
# The file/exec fallback on this machine's kernel (no BPF LSM): syscall tracepoints
# match open/exec paths against the same tables and SIGKILL an enforce-mode offender
# before the syscall runs. Real runc containers; the agent enforces under a cgroup this
# test made, with its own pin directory; everything is removed at exit.
#
#   web     deny read /tmp/secret (and /tmp/dir/), write /tmp/ro/, exec /tmp/evil/true
#   aud     the same rules in audit mode
#   other   no policy
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-fb-$$
. "$(dirname "$0")/../lib/container.sh"
t_mount_kernel_fs

if ! command -v runc >/dev/null 2>&1; then t_skip fallback "runc is not installed"; exit 0; fi
PIN=/sys/fs/bpf/bulkhead-test-fb-$$
POL=$T_WORK/fb-policies-$$
AG=fb-$$
TOP=$(t_cgroup_create fb) || { t_fail setup "cannot make the test cgroup"; exit 1; }
mkdir -p "$POL"
t_defer "rm -rf '$POL'"
t_defer "'$T_BIN' unload --pin-dir '$PIN'"

for c in web aud; do
	mode=enforce
	[ "$c" = aud ] && mode=audit
	cat > "$POL/$c.yaml" <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: $c}
spec:
  selector: {namespaces: [bh-fb], containers: [$c]}
  mode: $mode
  file:
    - {paths: [/tmp/secret], ops: [read], action: deny}
    - {paths: [/tmp/dir/], ops: [read], action: deny}
    - {paths: [/tmp/ro/], ops: [write], action: deny}
  exec:
    deny: [/tmp/evil/true]
EOF
done

for c in web aud other; do
	if ! ct_start "$c" "" "pod-$c" bh-fb "$c"; then
		t_fail setup "container $c: $(ct_log "$c")"
		exit 1
	fi
	r=/proc/$(ct_pid "$c")/root
	mkdir -p "$r/tmp/dir" "$r/tmp/ro" "$r/tmp/evil"
	echo secret > "$r/tmp/secret"; echo public > "$r/tmp/public"; echo d > "$r/tmp/dir/x"
	echo keep > "$r/tmp/ro/f"; cp "$r/bin/busybox" "$r/tmp/evil/true"
done

if ! agent_start "$AG" --policy "$POL" --attach-cgroup "$TOP" --pin-dir "$PIN" \
	--state-root "$(ct_root)" --detach-on-exit; then
	t_fail fallback_agent_starts "the agent did not start"
	exit 1
fi
t_pass fallback_agent_starts
if grep -q "FALLBACK" "$T_WORK/$AG.log" && grep -q "KILLED" "$T_WORK/$AG.log" &&
   grep -q "NOT enforced" "$T_WORK/$AG.log"; then
	t_pass fallback_announced_loudly
else
	t_fail fallback_announced_loudly "the agent log does not say FALLBACK/KILLED/what is NOT enforced: $(grep -i file "$T_WORK/$AG.log" | head -3)"
fi
if "$T_BIN" probe 2>&1 | grep -q "tracepoint-fallback" && "$T_BIN" probe 2>&1 | grep -q "KILLED"; then
	t_pass fallback_probe_says_mode
else
	t_fail fallback_probe_says_mode "bulkhead probe does not name the fallback mode"
fi
# The probe's mode is the one the agent loaded: its "enforcement mode" line, and the file
# and exec programs it attached (the fallback's, here).
pmode=$("$T_BIN" probe --json 2>/dev/null | jq -r .mode)
amode=$(sed -n 's/.*agent: .*enforcement mode \([a-z-]*\):.*/\1/p' "$T_WORK/$AG.log" | head -n 1)
if [ "$pmode" = tracepoint-fallback ] && [ "$amode" = "$pmode" ] &&
   grep -q "file and exec rules by the syscall-tracepoint FALLBACK" "$T_WORK/$AG.log"; then
	t_pass fallback_probe_matches_agent
else
	t_fail fallback_probe_matches_agent "probe says '$pmode', the agent '$amode': $(grep -m2 -E 'enforcement mode|file and exec rules' "$T_WORK/$AG.log")"
fi
# Escape protections without BPF LSM: no guard (its probe load is not even tried), killed
# where the tracepoints can, alerted where they cannot.
pj=$("$T_BIN" probe --json 2>/dev/null)
esc() { echo "$pj" | jq -r ".escape.protections.$1.enforcement"; }
why=""
[ "$(echo "$pj" | jq -r .escape.guard)" = false ] || why="$why guard=true"
for p in mount kernelModules bpf hostPaths devices cgroups runtimeSockets filelessExec drift userNamespaces selfProtection; do
	[ "$(esc $p)" = kills ] || why="$why $p=$(esc $p)"
done
for p in ptrace recon; do [ "$(esc $p)" = alerts ] || why="$why $p=$(esc $p)"; done
if [ -z "$why" ]; then t_pass fallback_probe_escape_kills; else t_fail fallback_probe_escape_kills "$why"; fi

# run CT CMD: status of CMD run by sh in the container (137 = killed by SIGKILL)
run() { local c="$1"; shift; ct_exec "$c" sh -c "$*" >/dev/null 2>&1; echo $?; }
# The agent classifies the containers as soon as their runtime state is read.
killed() { [ "$(run "$1" "$2")" = 137 ]; }
t_wait_for 10 killed web 'cat /tmp/secret' || t_log "web's policy not in force after 10 s"

expect_rc() {
	local name="$1" want="$2" c="$3" got
	shift 3
	got=$(run "$c" "$*")
	if [ "$got" = "$want" ]; then t_pass "$name"; else t_fail "$name" "in $c: '$*': expected status $want, got $got"; fi
}
expect_rc fallback_denied_read_killed 137 web 'cat /tmp/secret'
expect_rc fallback_allowed_read_ok 0 web 'cat /tmp/public'
expect_rc fallback_prefix_read_killed 137 web 'cat /tmp/dir/x'
expect_rc fallback_relative_path_killed 137 web 'cd /tmp && cat secret'
expect_rc fallback_exec_denied_killed 137 web '/tmp/evil/true'
expect_rc fallback_write_killed 137 web 'sh -c "echo x > /tmp/ro/f"'
# SIGKILL lands when the open returns: the process never writes (the O_TRUNC itself ran:
# a documented limit of the fallback).
if ! grep -q x "/proc/$(ct_pid web)/root/tmp/ro/f"; then
	t_pass fallback_killed_before_write
else
	t_fail fallback_killed_before_write "/tmp/ro/f got the denied write"
fi
out=$(ct_exec web sh -c 'cat /tmp/secret' 2>/dev/null)
if [ -z "$out" ]; then t_pass fallback_read_data_never_seen
else t_fail fallback_read_data_never_seen "the killed reader printed '$out'"; fi
expect_rc fallback_other_container_unaffected 0 other 'cat /tmp/secret && /tmp/evil/true && echo x >> /tmp/ro/f'
if cat "/proc/$(ct_pid web)/root/tmp/secret" >/dev/null; then t_pass fallback_host_unaffected
else t_fail fallback_host_unaffected "the host could not read the file"; fi
expect_rc fallback_audit_allows 0 aud 'cat /tmp/secret && /tmp/evil/true'

ev() { jq -c -R 'fromjson? // empty' "$T_WORK/$AG.json" 2>/dev/null | jq -c "select($1)"; }
has() { [ -n "$(ev "$1" | head -n 1)" ]; }
sel='.kind == "file" and .action == "deny" and .container.name == "web" and .file.path == "/tmp/secret" and .file.enforcement == "killed" and .file.rule == "spec.file[0]" and .file.policy == "web"'
if t_wait_for 5 has "$sel"; then t_pass fallback_event_deny_killed
else t_fail fallback_event_deny_killed "no deny event with enforcement killed: $(ev '.kind == "file"' | head -n 2)"; fi
sel='.kind == "exec" and .action == "deny" and .container.name == "web" and .file.path == "/tmp/evil/true"'
if has "$sel"; then t_pass fallback_event_exec; else t_fail fallback_event_exec "no exec deny event"; fi
sel='.action == "audit" and .container.name == "aud" and .file.path == "/tmp/secret" and (.file.enforcement | not)'
if t_wait_for 5 has "$sel"; then t_pass fallback_event_audit; else t_fail fallback_event_audit "no audit event"; fi
if has '.container.name == "other" and (.kind == "file" or .action == "deny")'; then
	t_fail fallback_no_events_without_policy "events for the container without a policy"
else
	t_pass fallback_no_events_without_policy
fi
agent_stop "$AG"
t_finish
