#!/bin/bash
# bulkhead events: the agent's JSON lines (a file or stdin) as aligned text lines, the
# same as run --format text; --decisions drops telemetry; colours only when asked or on
# a terminal; hostile lines (not JSON, escape sequences, over 256 KiB) never reach the
# terminal raw; --follow reads a growing, truncated and rotated file. No kernel needed.
. "$(dirname "$0")/../lib/common.sh"

D=$T_BUILD/tests/work/events-cmd-$$
mkdir -p "$D"
t_defer "rm -rf '$D'"
F=$D/events.json
ESC=$(printf '\033')

exec_ev='{"time":"2026-12-07T08:29:40.315000000Z","kind":"exec","action":"observe","container":{"cgroup_id":7,"host":false,"id":"c1","name":"app","pod":"web-0","namespace":"shop","runtime":"docker","image":"bh/busybox:1"},"process":{"pid":10,"ppid":1,"uid":0,"gid":0,"comm":"echo","exe":"/bin/echo","args":["/bin/echo","hi"]}}'
net_ev='{"time":"2026-12-07T08:29:41.311000000Z","kind":"net","action":"deny","container":{"cgroup_id":8,"host":false,"id":"c2","name":"ctd-app","pod":"bh-pod","namespace":"bh-rt","runtime":"containerd"},"process":{"pid":11,"ppid":1,"uid":0,"gid":0,"comm":"nc"},"net":{"direction":"egress","hook":"connect","protocol":"tcp","family":"ipv4","remote":"127.0.0.1","remote_port":8081,"count":1,"policy":"rt","rule":"spec.network.egress[0]"}}'
evil_ev='{"time":"2026-12-07T08:29:42.000000000Z","kind":"exec","action":"observe","container":{"cgroup_id":9,"host":false,"id":"c3","name":"x\u001b[2Jy"},"process":{"pid":12,"ppid":1,"uid":0,"gid":0,"comm":"sh","exe":"/bin/sh","args":["/bin/sh","\u001b]0;pwned\u0007"]}}'
{
	echo "$exec_ev"
	echo "$net_ev"
	echo "not json at all"
	echo "$evil_ev"
	printf '{"kind":"exec","pad":"%0300000d"}\n' 0
	printf '%s' "$net_ev"	# the last line, without its newline
} > "$F"

out=$("$T_BIN" events --color never "$F" 2>"$D/err")
n=$(echo "$out" | grep -c .)
if [ "$n" -eq 5 ]; then t_pass events_one_line_each
else t_fail events_one_line_each "expected 5 lines (the long one skipped), got $n: $out"; fi
if grep -q '1 line over' "$D/err"; then t_pass events_overlong_said
else t_fail events_overlong_said "no word of the skipped line on stderr: $(cat "$D/err")"; fi
if echo "$out" | head -1 | grep -q '^08:29:40.315  exec/observe .*shop/web-0/app'; then t_pass events_exec_line
else t_fail events_exec_line "first line: $(echo "$out" | head -1)"; fi
if echo "$out" | grep -q 'net/deny .*bh-rt/bh-pod/ctd-app .*127.0.0.1:8081'; then t_pass events_deny_line
else t_fail events_deny_line "no deny line naming the container and the flow in: $out"; fi
if ! echo "$out" | grep -q "$ESC"; then t_pass events_hostile_escaped
else t_fail events_hostile_escaped "an escape character reached the output: $(echo "$out" | cat -v)"; fi
if [ "$(cat "$F" | "$T_BIN" events --color never - | grep -c .)" -eq 5 ]; then t_pass events_stdin
else t_fail events_stdin "stdin gave other lines than the file"; fi

d=$("$T_BIN" events --color never -d "$F" 2>/dev/null)
if [ "$(echo "$d" | grep -c .)" -eq 3 ] && ! echo "$d" | grep -q observe; then t_pass events_decisions_only
else t_fail events_decisions_only "expected the 2 deny lines and the one that is not JSON, got: $d"; fi

# Colours: always, never, auto (a pipe: none, unless CLICOLOR_FORCE; NO_COLOR wins).
if "$T_BIN" events --color always -d "$F" 2>/dev/null | grep -q "$ESC\["; then t_pass events_color_always
else t_fail events_color_always "no ANSI colour with --color always"; fi
if ! "$T_BIN" events "$F" 2>/dev/null | grep -q "$ESC"; then t_pass events_color_auto_pipe
else t_fail events_color_auto_pipe "colours on a pipe"; fi
if CLICOLOR_FORCE=1 "$T_BIN" events -d "$F" 2>/dev/null | grep -q "$ESC\[" &&
   ! NO_COLOR=1 CLICOLOR_FORCE=1 "$T_BIN" events -d "$F" 2>/dev/null | grep -q "$ESC"; then
	t_pass events_color_env
else t_fail events_color_env "CLICOLOR_FORCE=1 should colour, NO_COLOR=1 should not"; fi
# On a terminal (script(1) gives it one): coloured without being asked.
if command -v script >/dev/null; then
	if script -qc "'$T_BIN' events -d '$F'" /dev/null 2>/dev/null | grep -q "$ESC\[1;31mnet/deny"; then
		t_pass events_color_on_tty
	else t_fail events_color_on_tty "no colour on a terminal"; fi
else
	t_skip events_color_on_tty "script(1) not installed (util-linux)"
fi
if "$T_BIN" events --color sometimes "$F" >/dev/null 2>&1; then t_fail events_bad_option "--color sometimes accepted"
elif "$T_BIN" events -f >/dev/null 2>&1; then t_fail events_bad_option "--follow on stdin accepted"
elif "$T_BIN" events "$D/missing.json" >/dev/null 2>&1; then t_fail events_bad_option "a missing file accepted"
else t_pass events_bad_option; fi

# --follow: appended lines, then a truncated file, then a rotated one.
G=$D/follow.json
echo "$exec_ev" > "$G"
"$T_BIN" events --color never -f "$G" > "$D/follow.out" 2>&1 &
fpid=$!
t_defer "kill $fpid"
t_wait_for 5 grep -q exec/observe "$D/follow.out"
echo "$net_ev" >> "$G"
if t_wait_for 5 grep -q net/deny "$D/follow.out"; then t_pass events_follow_appended
else t_fail events_follow_appended "an appended line was not shown: $(cat "$D/follow.out")"; fi
: > "$G"; sleep 0.5
echo "${evil_ev/08:29:42/09:00:01}" >> "$G"
if t_wait_for 5 grep -q '^09:00:01' "$D/follow.out"; then t_pass events_follow_truncated
else t_fail events_follow_truncated "nothing after truncation: $(cat "$D/follow.out")"; fi
mv "$G" "$G.1"
echo "${net_ev/08:29:41/09:00:02}" > "$G"
if t_wait_for 5 grep -q '^09:00:02' "$D/follow.out"; then t_pass events_follow_rotated
else t_fail events_follow_rotated "nothing from the new file: $(cat "$D/follow.out")"; fi
kill -INT "$fpid"
if wait "$fpid"; then t_pass events_follow_stops_clean
else t_fail events_follow_stops_clean "exit status $? after SIGINT"; fi
t_finish
