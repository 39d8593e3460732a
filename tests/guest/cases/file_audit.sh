#!/bin/sh
# Audit mode: everything the policy would deny goes through, and each would-be denial
# is reported exactly once, with action audit, the rule, path and operation. A policy
# with file in audit and exec in enforce keeps enforcing exec.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
fl_policy aud <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: aud}
spec:
  selector: {containers: [aud]}
  mode: audit
  file:
    - {paths: [/etc/passwd], action: deny}
    - {paths: [/tmp/ro/], ops: [write, create, delete], action: deny}
  exec:
    deny: [/tmp/evil/true]
EOF2
fl_policy mixed <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: mixed}
spec:
  selector: {containers: [mixed]}
  mode: {file: audit, exec: enforce}
  file:
    - {paths: [/etc/passwd], action: deny}
  exec:
    deny: [/tmp/evil/true]
EOF2
for c in aud mixed; do
	ct_start "$c" "" "pod-$c" shop "$c" || { t_fail file_setup "container $c: $(ct_log "$c")"; exit 1; }
	r=$(fl_root "$c")
	mkdir -p "$r/tmp/ro" "$r/tmp/evil"; echo r > "$r/tmp/ro/f"; cp "$r/bin/busybox" "$r/tmp/evil/true"
done
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
# In force once the mixed container's exec is refused.
fl_wait mixed EPERM '/tmp/evil/true' || t_log "mixed's policy not in force after 10 s"
# Let crun's own reads of /etc/passwd (its user lookup) be reported before counting.
sleep 0.5

count() { fl_events file "$1" | wc -l; }
sel_read='.action == "audit" and .file.path == "/etc/passwd" and .process.comm == "cat" and .container.name == "aud"'
sel_write='.action == "audit" and .file.path == "/tmp/ro/f" and .file.operation == "write" and .container.name == "aud"'
sel_exec='.kind == "exec" and .action == "audit" and .file.path == "/tmp/evil/true" and .container.name == "aud"'

fl_expect audit_read_allowed OK aud 'cat /etc/passwd'
fl_expect audit_write_allowed OK aud 'echo x >> /tmp/ro/f'
fl_expect audit_exec_allowed OK aud '/tmp/evil/true'
fl_wait_events file "$sel_exec" 1
sleep 0.3
n=$(count "$sel_read"); [ "$n" -eq 1 ] && t_pass audit_read_reported_once || t_fail audit_read_reported_once "$n audit events for one read"
n=$(count "$sel_write"); [ "$n" -eq 1 ] && t_pass audit_write_reported_once || t_fail audit_write_reported_once "$n audit events for one write"
n=$(count "$sel_exec"); [ "$n" -eq 1 ] && t_pass audit_exec_reported_once || t_fail audit_exec_reported_once "$n audit events for one exec"
ev=$(fl_events file "$sel_read" | head -n 1)
if echo "$ev" | jq -e '.kind == "file" and .file.operation == "read" and .file.policy == "aud" and .file.rule == "spec.file[0]"' >/dev/null; then
	t_pass audit_event_names_rule
else
	t_fail audit_event_names_rule "$ev"
fi
n=$(count '.action == "deny" and .container.name == "aud"')
[ "$n" -eq 0 ] && t_pass audit_no_deny_events || t_fail audit_no_deny_events "$n deny events in audit mode"

fl_expect audit_file_exec_enforce_read_allowed OK mixed 'cat /etc/passwd'
fl_expect audit_file_exec_enforce_exec_denied EPERM mixed '/tmp/evil/true'
t_finish
