# The runtime's setup is never policed: shared by tests/host/test_setup_unpoliced.sh (runc,
# the syscall-tracepoint fallback) and tests/guest/cases/runtime_setup.sh (crun, BPF LSM).
# Not a test itself. The caller has sourced tests/lib/common.sh, tests/lib/agent.sh and
# its container helper, and defines:
#   rs_agent NAME POLICY_DIR     start the agent on the policies (ready when it returns 0)
#   RS_DENIED                    what a denied action of the container's own gives in
#                                rs_try: EPERM (BPF LSM) or KILLED (the fallback)
#
# A restrictive policy in enforce mode (file, exec and network defaults deny; allow rules for
# /bin only) is in force on the containers' cgroups BEFORE their runtime starts them: the
# cgroup directories are made first and the agent classifies them by path (a cgroup glob
# selector) when their runtime state does not come. Then:
#   rs_start_no_events       start-up (the runtime's mounts, opens, pivot_root) gives no event
#   rs_own_read_denied       the container's own read of /etc/passwd is denied, with its event
#   rs_exec_entering_denied  a command started by `exec` into the container is checked at its
#                            own exec (a copy of busybox in /tmp: not allowed)
#   rs_exec_entering_policed a shell entering by exec is policed like the entrypoint
#   rs_net_denied            a connect out of the container is refused (egress default deny)
#   rs_entrypoint_exec_denied a container whose entrypoint is denied (/bin/ping) does not run
#                            it: its entrypoint's own exec is checked; no other event for it
#   rs_teardown_no_events    stopping and deleting the containers gives no event
#   rs_no_runtime_events     no event in the whole run names a runtime process, but the exec
#                            checks of commands started by `exec` (the runtime's process
#                            execs them: the check runs under its name)
# busybox's sh runs its applets through /proc/self/exe: the fallback, which reads the path from
# the caller's memory, sees that name (BPF LSM sees /bin/busybox): the policy allows it.

RS_POL=$T_WORK/rs-policies-$$
RS_CG2=$(t_cgroup2_root)
RS_UID=$(_ct_uuid)
RS_REL=kubepods/pod$RS_UID

# rs_try CT 'shell command': OK, EPERM, KILLED or ERR:<status>:<stderr>.
rs_try() {
	local ct="$1" out rc
	shift
	out=$(ct_exec "$ct" sh -c "$*" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then echo OK
	elif [ $rc -eq 137 ]; then echo KILLED
	else
		case "$out" in
		*"not permitted"*) echo EPERM ;;
		*) echo "ERR:$rc:$(echo "$out" | head -n 2 | tr '\n' ' ')" ;;
		esac
	fi
}

rs_expect() {
	local name="$1" want="$2" ct="$3" got
	shift 3
	got=$(rs_try "$ct" "$@")
	if [ "$got" = "$want" ]; then t_pass "$name"; else t_fail "$name" "in $ct: '$*': expected $want, got $got"; fi
}

# Events that decide or alert (file, exec, net, escape), one a line.
rs_events() {
	jq -c -R 'fromjson? // empty' "$T_WORK/$RS_AG.json" 2>/dev/null |
		jq -c 'select(.action == "deny" or .action == "alert" or .action == "audit" or .kind == "escape")'
}
rs_count() { rs_events | wc -l | tr -d ' '; }
_rs_has() { [ -n "$(rs_events | jq -c "select($1)" | head -n 1)" ]; }

rs_main() {
	local n0 n1 n2 cgdir d out rc sel
	mkdir -p "$RS_POL" || { t_fail rs_setup "policy directory"; return 1; }
	t_defer "rm -rf '$RS_POL'"
	cat > "$RS_POL/rs.yaml" <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: rtsetup}
spec:
  selector: {cgroups: ["/$CT_TOP/kubepods/**"]}
  mode: enforce
  defaults: {file: deny, exec: deny, egress: deny, ingress: deny}
  file:
    - {paths: [/bin/], ops: [read, exec], action: allow}
    - {paths: [/tmp/], action: allow}
    - {paths: [/dev/null], ops: [read, write], action: allow}
    - {paths: [/proc/self/exe], ops: [read, exec], action: allow}
  exec:
    allow: [/bin/, /proc/self/exe]
    deny: [/bin/ping]
EOF
	# The containers' cgroups first (removed last, after the containers).
	for d in "$CT_TOP" "$CT_TOP/kubepods" "$CT_TOP/$RS_REL" "$CT_TOP/$RS_REL/rs" "$CT_TOP/$RS_REL/rsbad"; do
		[ -d "$RS_CG2/$d" ] && continue
		mkdir "$RS_CG2/$d" || { t_fail rs_setup "mkdir $RS_CG2/$d"; return 1; }
		t_defer "rmdir '$RS_CG2/$d' 2>/dev/null"
	done
	RS_AG=rs-$$
	rs_agent "$RS_AG" "$RS_POL" || { t_fail rs_agent_starts "the agent did not start"; return 1; }
	# Classified by path once no runtime state comes (5 s): the policy is in force before
	# the runtime touches the cgroups.
	for d in rs rsbad; do
		cgdir=$RS_CG2/$CT_TOP/$RS_REL/$d
		if ! t_wait_for 20 grep -q "($(echo "/$CT_TOP/$RS_REL/$d" | sed 's/[.]/\\./g'),.*: rtsetup" "$T_WORK/$RS_AG.log"; then
			t_fail rs_setup "the agent did not assign rtsetup to $cgdir: $(grep 'policy: container' "$T_WORK/$RS_AG.log" | tail -n 3)"
			return 1
		fi
	done
	t_pass rs_policy_before_start

	ct_start rs "$RS_REL/rs" pod-rs rs-ns rs || { sleep 1; t_fail rs_start "container rs: $(ct_log rs); events: $(rs_events | head -n 3 | cut -c1-600)"; return 1; }
	sleep 2
	n0=$(rs_count)
	if [ "$n0" -eq 0 ]; then t_pass rs_start_no_events
	else t_fail rs_start_no_events "$n0 events from the start-up: $(rs_events | head -n 3 | cut -c1-400)"; fi

	rs_expect rs_own_read_denied "$RS_DENIED" rs 'cat /etc/passwd'
	if t_wait_for 5 _rs_has '.action == "deny" and .process.comm == "cat" and .file.path == "/etc/passwd"'; then
		t_pass rs_own_read_event
	else t_fail rs_own_read_event "no deny event for cat /etc/passwd: $(rs_events | tail -n 2 | cut -c1-400)"; fi
	rs_expect rs_allowed_ok OK rs 'ls /bin >/dev/null'
	cp "$CT_ROOTFS/bin/busybox" "/proc/$(ct_pid rs)/root/tmp/evil" || t_log "cannot copy busybox to rs's /tmp"
	out=$(ct_exec rs /tmp/evil true 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && t_wait_for 5 _rs_has '.kind == "exec" and .action == "deny" and .file.path == "/tmp/evil"'; then
		t_pass rs_exec_entering_denied
	else t_fail rs_exec_entering_denied "exec of /tmp/evil into rs: status $rc ($out); events: $(rs_events | tail -n 2 | cut -c1-400)"; fi
	rs_expect rs_exec_entering_policed "$RS_DENIED" rs '/tmp/evil true'
	rs_expect rs_net_denied EPERM rs 'nc -w 2 10.9.9.9 80 </dev/null'

	# A denied entrypoint: its own exec is checked; its start-up gives no other event.
	n1=$(rs_count)
	ct_start rsbad "$RS_REL/rsbad" pod-rs rs-ns rsbad ping -c 1 127.0.0.1 >/dev/null 2>&1
	sleep 2
	if _rs_has '.kind == "exec" and .action == "deny" and .file.path == "/bin/ping"'; then
		t_pass rs_entrypoint_exec_denied
	else t_fail rs_entrypoint_exec_denied "no exec deny event for the entrypoint /bin/ping: $(ct_log rsbad | head -n 3); events: $(rs_events | tail -n 3 | cut -c1-400)"; fi
	n2=$(rs_count)
	if [ $((n2 - n1)) -eq 1 ]; then t_pass rs_denied_entrypoint_only_event
	else t_fail rs_denied_entrypoint_only_event "$((n2 - n1)) events for rsbad, expected 1: $(rs_events | tail -n $((n2 - n1)) | cut -c1-600)"; fi

	# Teardown: kill, delete, the cgroups removed.
	sleep 1
	n1=$(rs_count)
	ct_stop rs
	ct_stop rsbad
	sleep 2
	n2=$(rs_count)
	if [ "$n2" -eq "$n1" ]; then t_pass rs_teardown_no_events
	else t_fail rs_teardown_no_events "$((n2 - n1)) events from the teardown: $(rs_events | tail -n $((n2 - n1)) | head -n 3 | cut -c1-400)"; fi
	sel='.kind != "exec" and (.process.comm | test("^(runc|crun|memfd:|conmon|containerd)"))'
	if rs_events | jq -e -s "map(select($sel)) | length == 0" >/dev/null; then
		t_pass rs_no_runtime_events
	else t_fail rs_no_runtime_events "$(rs_events | jq -c "select($sel)" | head -n 3 | cut -c1-400)"; fi
}
