#!/bin/sh
# File rules enforced by BPF LSM in real crun containers: reads, globs, precedence, a second
# container with another policy, a container with no policy and the host untouched, and
# the events that name policy, rule, path and op. (A read-only tree: file_tree.sh;
# exec: exec_enforce.sh.)
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
fl_policy web <<'EOF'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: web}
spec:
  selector: {containers: [web]}
  file:
    - {paths: [/etc/passwd], action: deny}
    - {paths: [/tmp/secret/], action: deny}
    - {paths: [/tmp/secret/public], ops: [read], action: allow}
    - {paths: ["/tmp/*.key"], ops: [read], action: deny}
EOF
fl_policy db <<'EOF'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: db}
spec:
  selector: {containers: [db]}
  file:
    - {paths: [/etc/group], ops: [read], action: deny}
EOF

for c in web db free; do
	ct_start "$c" "" "pod-$c" shop "$c" || { t_fail file_setup "container $c: $(ct_log "$c")"; exit 1; }
	r=$(fl_root "$c")
	mkdir -p "$r/tmp/ro/sub" "$r/tmp/secret" "$r/tmp/sub"
	echo data > "$r/tmp/ro/f"; echo s > "$r/tmp/secret/x"; echo p > "$r/tmp/secret/public"
	echo k > "$r/tmp/a.key"; echo k > "$r/tmp/sub/a.key"
done
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
t_pass file_agent_starts
if grep -q "file and exec rules by BPF LSM" "$T_WORK/file.log"; then t_pass file_mode_is_lsm
else
	t_fail file_mode_is_lsm "the agent did not load the BPF LSM programs; its log follows"
	sed 's/^/    /' "$T_WORK/file.log" | head -c 6000 >&2
	exit 1
fi
fl_wait web EPERM 'cat /etc/passwd' || t_log "web's policy not in force after 10 s"
fl_wait db EPERM 'cat /etc/group' || t_log "db's policy not in force after 10 s"

# --- reads ---
fl_expect file_read_denied_eperm EPERM web 'cat /etc/passwd'
fl_expect file_read_allowed OK web 'cat /etc/group'
fl_expect file_same_file_other_policy OK db 'cat /etc/passwd'
fl_expect file_no_policy_untouched OK free 'cat /etc/passwd && cat /etc/group'
if cat "$(fl_root web)/etc/passwd" >/dev/null 2>&1 && cat /etc/passwd >/dev/null; then
	t_pass file_host_untouched
else
	t_fail file_host_untouched "the host could not read the container's /etc/passwd"
fi
fl_expect file_relative_path_denied EPERM web 'cd /etc && cat passwd'

# --- precedence and globs ---
fl_expect file_prefix_denies_all EPERM web 'cat /tmp/secret/x'
fl_expect file_exact_allow_beats_prefix OK web 'cat /tmp/secret/public'
fl_expect file_exact_allow_read_only EPERM web 'echo x >> /tmp/secret/public'
fl_expect file_glob_denied EPERM web 'cat /tmp/a.key'
fl_expect file_glob_not_across_slash OK web 'cat /tmp/sub/a.key'

# --- events ---
sel='.kind == "file" and .action == "deny" and .file.path == "/etc/passwd" and .file.operation == "read" and .process.comm == "cat"'
if fl_wait_events file "$sel" 1; then
	ev=$(fl_events file "$sel" | head -n 1)
	if echo "$ev" | jq -e '.file.policy == "web" and .file.rule == "spec.file[0]" and
	   .container.name == "web" and .container.namespace == "shop" and .process.comm == "cat" and
	   .process.pid > 0' >/dev/null; then
		t_pass file_event_names_rule
	else
		t_fail file_event_names_rule "event: $ev"
	fi
else
	t_fail file_event_names_rule "no deny event for /etc/passwd: $(agent_events file | tail -n 3)"
fi
if [ -z "$(fl_events file '.kind == "file" and .container.name == "free"')" ]; then
	t_pass file_no_events_without_policy
else
	t_fail file_no_events_without_policy "$(fl_events file '.container.name == "free"' | head -n 1)"
fi
t_finish
