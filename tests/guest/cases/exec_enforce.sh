#!/bin/sh
# spec.exec enforced by BPF LSM (bprm_check_security) in real crun containers: a deny
# list (exact, glob, and a symlink name: /bin/wget is busybox under another name), an
# allow-list with a deny default, a container without a policy untouched, and the exec
# event naming the rule.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

t_defer "rm -rf '$CT_ROOTFS/opt'"	# first in, last out: after the containers and the agent
fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
fl_policy web <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: web}
spec:
  selector: {containers: [web]}
  exec:
    deny: [/tmp/evil/true, "/tmp/bad*/true", /bin/wget, /opt/evil/true]
EOF2
fl_policy db <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: db}
spec:
  selector: {containers: [db]}
  defaults: {exec: deny}
  exec:
    allow: [/bin/]
EOF2
for c in web db free; do
	ct_start "$c" "" "pod-$c" shop "$c" || { t_fail file_setup "container $c: $(ct_log "$c")"; exit 1; }
	r=$(fl_root "$c")
	# busybox copies named after an applet (busybox runs the applet its name says)
	for d in evil bad1 ok; do mkdir -p "$r/tmp/$d" && cp "$r/bin/busybox" "$r/tmp/$d/true"; done
done
# On the root file system (the shared read-only busybox root; /tmp is each container's
# tmpfs): a denied binary, and an empty directory to bind its directory onto.
mkdir -p "$CT_ROOTFS/opt/evil" "$CT_ROOTFS/opt/alias" && cp "$CT_ROOTFS/bin/busybox" "$CT_ROOTFS/opt/evil/true" ||
	{ t_fail file_setup "cannot write $CT_ROOTFS/opt"; exit 1; }
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
fl_wait web EPERM '/tmp/evil/true' || t_log "web's policy not in force after 10 s"
fl_wait db EPERM '/tmp/ok/true' || t_log "db's policy not in force after 10 s"

fl_expect exec_denied_binary EPERM web '/tmp/evil/true'
fl_expect exec_glob_denied EPERM web '/tmp/bad1/true'
fl_expect exec_other_allowed OK web '/tmp/ok/true'
fl_expect exec_denied_by_symlink_name EPERM web '/bin/wget --help'
fl_expect exec_allowlist_outside_denied EPERM db '/tmp/ok/true'
fl_expect exec_allowlist_inside_allowed OK db '/bin/true'
fl_expect exec_no_policy_untouched OK free '/tmp/evil/true && /tmp/bad1/true'

# A second name through a bind mount (made by a process of the container with
# CAP_SYS_ADMIN): the binary's name in the root's tree still decides.
fl_expect exec_root_fs_denied EPERM web '/opt/evil/true'
pid=$(ct_pid web)
out=$(sh -c "echo \$\$ > '$(ct_cgroup_dir web)/cgroup.procs' &&
	exec nsenter -t $pid -m -r sh -c 'mount --bind /opt/evil /opt/alias && echo MOUNTED &&
		/opt/alias/true && echo RAN'" 2>&1)
case "$out" in
*MOUNTED*RAN*) t_fail exec_bind_mount_alias_denied "ran /opt/evil/true as /opt/alias/true: $out" ;;
*MOUNTED*) t_pass exec_bind_mount_alias_denied ;;
*) t_fail exec_bind_mount_alias_denied "the bind mount itself failed: $out" ;;
esac

sel='.kind == "exec" and .action == "deny" and .file.path == "/tmp/evil/true" and .file.operation == "exec" and .file.policy == "web" and .container.name == "web"'
if fl_wait_events file "$sel" 1; then t_pass exec_event
else t_fail exec_event "no exec deny event for /tmp/evil/true: $(fl_events file '.action == "deny"' | head -n 2)"; fi
t_finish
