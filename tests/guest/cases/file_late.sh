#!/bin/sh
# Containers started after the agent: the runtime still starts them (its own setup in
# the container's cgroup is not broken by the policy), the policy is in force as soon as
# the agent has classified the new cgroup, and a second container of another pod with the
# same name pattern but another namespace gets no policy. Exec through an interpreter
# (#!) is checked on the interpreter too.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
fl_policy late <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: late}
spec:
  selector: {namespaces: [shop], containers: [late]}
  file:
    - {paths: [/etc/passwd], action: deny}
    - {paths: [/tmp/secret/], action: deny}
  exec:
    deny: [/tmp/evil/]
EOF2
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
for spec in "late shop" "other dev"; do
	set -- $spec
	if ! ct_start "$1" "" "pod-$1" "$2" late; then
		t_fail late_container_starts "container $1 ($2) did not start under the agent: $(ct_log "$1")"
		exit 1
	fi
	r=$(fl_root "$1")
	mkdir -p "$r/tmp/secret" "$r/tmp/evil"; echo s > "$r/tmp/secret/x"; cp "$r/bin/busybox" "$r/tmp/evil/true"
	printf '#!/tmp/evil/true\n' > "$r/tmp/script"; chmod 755 "$r/tmp/script"
done
t_pass late_container_starts
if fl_wait late EPERM 'cat /etc/passwd'; then t_pass late_container_policy_in_force
else t_fail late_container_policy_in_force "/etc/passwd still readable 10 s after the start"; fi
fl_expect late_container_prefix_denied EPERM late 'cat /tmp/secret/x'
fl_expect late_container_exec_denied EPERM late '/tmp/evil/true'
fl_expect late_container_interpreter_denied EPERM late '/tmp/script'
fl_expect late_container_allowed_read OK late 'cat /etc/group'
fl_expect late_other_namespace_untouched OK other 'cat /etc/passwd && cat /tmp/secret/x && /tmp/evil/true'
t_finish
