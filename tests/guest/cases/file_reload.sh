#!/bin/sh
# A policy change takes effect for a running container (SIGHUP reloads the policy set);
# a broken policy file keeps the one in force. Events are rate limited per container in
# the kernel, and what was suppressed is counted and reported with the next event.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
fl_policy web <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: web}
spec:
  selector: {containers: [web]}
  file:
    - {paths: [/etc/group], action: deny}
EOF2
ct_start web "" pod-web shop web || { t_fail file_setup "container web: $(ct_log web)"; exit 1; }
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
fl_wait web EPERM 'cat /etc/group' || t_log "web's policy not in force after 10 s"
fl_expect reload_before_passwd_allowed OK web 'cat /etc/passwd'

fl_policy web <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: web}
spec:
  selector: {containers: [web]}
  file:
    - {paths: [/etc/passwd], action: deny}
EOF2
kill -HUP "$(cat "$T_WORK/file.pid")"
if fl_wait web EPERM 'cat /etc/passwd'; then t_pass reload_new_rule_in_force
else t_fail reload_new_rule_in_force "/etc/passwd still readable 10 s after SIGHUP"; fi
fl_expect reload_old_rule_gone OK web 'cat /etc/group'

# A broken file: the agent says so and keeps the policy in force.
printf 'apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: web}\nspec:\n  selector: {containers: [web]}\n  file:\n    - {paths: [etc/passwd], action: maybe}\n' > "$FL_POL/web.yaml"
kill -HUP "$(cat "$T_WORK/file.pid")"
if t_wait_for 10 grep -q "not reloading" "$T_WORK/file.log"; then t_pass reload_bad_file_rejected
else t_fail reload_bad_file_rejected "no 'not reloading' in the agent log"; fi
fl_expect reload_bad_file_keeps_policy EPERM web 'cat /etc/passwd'

# Rate limit: a burst of 1000 denials (opens by the shell itself: no fork) gives about
# the bucket's depth in events (200, refilled at 100/s)...
before=$(fl_events file '.container.name == "web" and .file.path == "/etc/passwd"' | wc -l)
ct_run web sh -c 'i=0; while [ $i -lt 1000 ]; do true < /etc/passwd; i=$((i+1)); done 2>/dev/null; true'
sleep 1
n=$(($(fl_events file '.container.name == "web" and .file.path == "/etc/passwd"' | wc -l) - before))
if [ "$n" -lt 600 ] && [ "$n" -ge 100 ]; then t_pass ratelimit_burst_limited
else t_fail ratelimit_burst_limited "$n events for 1000 denials (bucket 200, 100/s)"; fi
# ... and the next event, after the bucket refilled, says how many were suppressed.
ct_run web cat /etc/passwd
sel='.container.name == "web" and .file.suppressed_before > 0'
if fl_wait_events file "$sel" 1; then t_pass ratelimit_suppressed_counted
else t_fail ratelimit_suppressed_counted "no event carries suppressed_before"; fi
t_finish
