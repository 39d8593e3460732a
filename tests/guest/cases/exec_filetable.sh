#!/bin/sh
# Exec through the file table (ops: [exec]), which also covers executable mappings
# (lsm/mmap_file): an allow-list of where programs may run from (a file default of
# deny for exec), and "nothing under /tmp/noexec/ may run" in another container.
# Programs still start where allowed: the kernel's own PROT_EXEC mapping of the binary
# passes the mmap hook.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
fl_policy allowlist <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: allowlist}
spec:
  selector: {containers: [allowlist]}
  defaults: {file: {all: allow, exec: deny}}
  file:
    - {paths: [/bin/], ops: [exec], action: allow}
EOF2
fl_policy noexec <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: noexec}
spec:
  selector: {containers: [noexec]}
  file:
    - {paths: [/tmp/noexec/], ops: [exec], action: deny}
EOF2
for c in allowlist noexec; do
	ct_start "$c" "" "pod-$c" shop "$c" || { t_fail file_setup "container $c: $(ct_log "$c")"; exit 1; }
	r=$(fl_root "$c")
	for d in ok noexec; do mkdir -p "$r/tmp/$d" && cp "$r/bin/busybox" "$r/tmp/$d/true"; done
done
cp "$T_BUILD/tests/helpers/mapexec" "$(fl_root noexec)/tmp/ok/mapexec" || { t_fail file_setup "no mapexec"; exit 1; }
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
fl_wait allowlist EPERM '/tmp/ok/true' || t_log "allowlist's policy not in force after 10 s"
fl_expect exec_filetable_allowlist_inside_runs OK allowlist '/bin/true && ls / >/dev/null'
fl_expect exec_filetable_allowlist_outside_denied EPERM allowlist '/tmp/ok/true'
fl_expect exec_filetable_prefix_denied EPERM noexec '/tmp/noexec/true'
fl_expect exec_filetable_elsewhere_runs OK noexec '/tmp/ok/true && /bin/true'
# An executable mapping of a file (lsm/mmap_file): what "ld.so FILE" does with a program it
# runs (twice: the second allow is a memo hit).
fl_expect exec_filetable_mmap_prefix_denied EPERM noexec '/tmp/ok/mapexec /tmp/noexec/true'
fl_expect exec_filetable_mmap_elsewhere_allowed OK noexec \
	'/tmp/ok/mapexec /tmp/ok/true && /tmp/ok/mapexec /tmp/ok/true'
sel='.kind == "exec" and .action == "deny" and .file.path == "/tmp/ok/true" and .file.rule == "spec.defaults.file"'
if fl_wait_events file "$sel" 1; then t_pass exec_filetable_event_names_default
else t_fail exec_filetable_event_names_default "$(fl_events file '.kind == "exec"' | head -n 2)"; fi
t_finish
