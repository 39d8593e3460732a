# Start and stop the agent from a test (bash on the host, ash in the guest).
# Requires tests/lib/common.sh.
#
#   agent_start NAME [run options...]   starts `bulkhead run` in the background,
#                                       JSON to $T_WORK/NAME.json, log to $T_WORK/NAME.log;
#                                       returns when the agent says it is ready (or fails)
#   agent_stop NAME                     SIGTERM, wait; returns the agent's exit status
#   agent_events NAME                   the JSON lines written so far

T_WORK=${T_WORK:-$T_BUILD/tests/work}
mkdir -p "$T_WORK"

agent_start() {
	local name="$1" pid
	shift
	# Emptied here, not by the agent's own redirection: that runs in the background
	# child, and a wait that looked before it would find the last agent's "ready".
	: > "$T_WORK/$name.json"
	: > "$T_WORK/$name.log"
	"$T_BIN" run --json-file "$T_WORK/$name.json" --lock-file "$T_WORK/$name.lock" --drain-ms 20 "$@" \
		2> "$T_WORK/$name.log" &
	pid=$!
	echo "$pid" > "$T_WORK/$name.pid"
	t_defer "agent_kill $name"
	if ! t_wait_for 30 grep -q 'agent: ready' "$T_WORK/$name.log"; then
		t_log "agent $name did not become ready; its log:"
		sed 's/^/    /' "$T_WORK/$name.log" >&2
		return 1
	fi
	return 0
}

agent_stop() {
	local pid rc
	pid=$(cat "$T_WORK/$1.pid" 2>/dev/null) || return 1
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	rm -f "$T_WORK/$1.pid"
	return $rc
}

agent_kill() {
	local pid
	pid=$(cat "$T_WORK/$1.pid" 2>/dev/null) || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$T_WORK/$1.pid"
}

agent_events() { cat "$T_WORK/$1.json"; }

# Programs and links of ours (bh_*) in the kernel right now.
bh_prog_count() { bpftool prog show 2>/dev/null | grep -c ' name bh_'; }

# agent_prog_ids PID: ids of the BPF programs that process holds (from its fdinfo).
agent_prog_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -un | tr '\n' ' '
}
