#!/bin/sh
# guest-timeout: 300
# `bulkhead unload` returns only once enforcement is gone: a container's write that the
# policy denied (agent killed, its links pinned and still enforcing) succeeds at once
# after unload returns. On 6.12 the kernel releases an unpinned LSM link in a work item,
# and without the wait a denied write stayed refused for about 3 s after unload returned.
# The write is made by a process already waiting inside the container, released the
# moment unload returns (no runtime exec in between).
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail unload_setup "policy directory / cgroup"; exit 1; }
fl_policy un <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: un}
spec:
  selector: {containers: [un]}
  file:
    - {paths: [/tmp/denied], ops: [write], action: deny}
EOF2
ct_start un "" pod-un shop un || { t_fail unload_setup "container un: $(ct_log un)"; exit 1; }
r=$(fl_root un)
mkfifo "$r/tmp/go" || { t_fail unload_setup "mkfifo in the container"; exit 1; }
FL_DETACH=
fl_agent un || { t_fail unload_agent_starts "$FL_WHY"; exit 1; }
fl_wait un EPERM 'echo x > /tmp/denied' || t_log "the policy not in force after 10 s"
fl_expect unload_denied_before EPERM un 'echo x > /tmp/denied'
agent_kill un
fl_expect unload_agent_killed_still_denies EPERM un 'echo x > /tmp/denied'

# A writer waiting in the container: it writes the moment the fifo opens.
ct_exec_bg un sh -c 'read l < /tmp/go; echo x > /tmp/denied 2>/tmp/err; echo $? > /tmp/rc' > /dev/null ||
	{ t_fail unload_setup "exec of the waiting writer"; exit 1; }
sleep 1
read -r t0 _ < /proc/uptime
out=$("$T_BIN" unload --pin-dir "$FL_PIN" 2>&1)
rc=$?
echo go > "$r/tmp/go"
read -r t1 _ < /proc/uptime
t_log "unload (rc $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s): $(echo "$out" | tr '\n' ' ')"
if [ $rc -eq 0 ] && echo "$out" | grep -q 'links\? detached' && echo "$out" | grep -q 'freed after'; then
	t_pass unload_returns_freed
else
	t_fail unload_returns_freed "rc $rc: $out"
fi
t_wait_for 10 test -s "$r/tmp/rc"
if [ "$(cat "$r/tmp/rc" 2>/dev/null)" = 0 ]; then
	t_pass unload_write_succeeds_at_once
else
	t_fail unload_write_succeeds_at_once "the write right after unload: status '$(cat "$r/tmp/rc" 2>/dev/null)' $(cat "$r/tmp/err" 2>/dev/null)"
fi
fl_expect unload_write_succeeds_after OK un 'echo x > /tmp/denied'
if [ ! -e "$FL_PIN" ]; then t_pass unload_pins_gone; else t_fail unload_pins_gone "$(ls -R "$FL_PIN" | head -5)"; fi

# run --detach-on-exit: the agent's exit, like unload, waits until its programs are freed,
# so the write made the moment the agent has exited succeeds.
unset FL_DETACH
rm -f "$r/tmp/rc" "$r/tmp/err" "$r/tmp/denied"
fl_agent un2 || { t_fail unload_detach_agent_starts "$FL_WHY"; t_finish; exit 1; }
fl_wait un EPERM 'echo x > /tmp/denied' || t_log "the policy not in force after 10 s"
fl_expect unload_detach_denied_before EPERM un 'echo x > /tmp/denied'
ct_exec_bg un sh -c 'read l < /tmp/go; echo x > /tmp/denied 2>/tmp/err; echo $? > /tmp/rc' > /dev/null ||
	{ t_fail unload_setup "exec of the second waiting writer"; t_finish; exit 1; }
sleep 1
agent_stop un2
rc=$?
echo go > "$r/tmp/go"
t_log "agent un2 (--detach-on-exit) exited $rc: $(grep -m1 'enforcement detached\|still loaded' "$T_WORK/un2.log")"
t_wait_for 10 test -s "$r/tmp/rc"
if [ "$(cat "$r/tmp/rc" 2>/dev/null)" = 0 ] && grep -q 'programs freed after' "$T_WORK/un2.log"; then
	t_pass unload_detach_on_exit_write_succeeds_at_once
else
	t_fail unload_detach_on_exit_write_succeeds_at_once "the write right after the agent's exit: status '$(cat "$r/tmp/rc" 2>/dev/null)' $(cat "$r/tmp/err" 2>/dev/null); $(grep -m1 'enforcement detached\|still loaded' "$T_WORK/un2.log")"
fi
t_finish
