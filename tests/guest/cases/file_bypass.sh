#!/bin/sh
# Ways around a deny rule, each of which must fail: a symlink, a hard link, "..", a
# relative path, /proc/self/root and /proc/PID/root, renaming a protected file or one of
# its parent directories, moving a file into a protected tree, a bind mount by a
# privileged process of the container, and an over-long path (the stated safe default:
# denied for a policy that restricts that op; allowed for one that does not).
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
    - {paths: [/tmp/d1/d2/key.txt], ops: [read], action: deny}
    - {paths: ["/tmp/conf/*.key"], ops: [read], action: deny}
    - {paths: [/tmp/ro/], ops: [write, create, delete, rename, link, setattr], action: deny}
EOF
fl_policy lax <<'EOF'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: lax}
spec:
  selector: {containers: [lax]}
  file:
    - {paths: [/tmp/nothing-here/], ops: [write], action: deny}
EOF

long=/tmp/l
i=0
while [ $i -lt 14 ]; do long="$long/aaaaaaaaaaaaaaaaaaaa"; i=$((i + 1)); done	# > 252 bytes
for c in web lax; do
	ct_start "$c" "" "pod-$c" shop "$c" || { t_fail file_setup "container $c: $(ct_log "$c")"; exit 1; }
	r=$(fl_root "$c")
	mkdir -p "$r/tmp/secret" "$r/tmp/d1/d2" "$r/tmp/conf/sub" "$r/tmp/ro" "$r$long"
	echo s > "$r/tmp/secret/x"; echo k > "$r/tmp/d1/d2/key.txt"; echo k > "$r/tmp/conf/a.key"
	echo deep > "$r$long/f"; echo r > "$r/tmp/ro/f"
	# a hard link made before the policy (by the host): a second name for the secret
	ln "$r/tmp/secret/x" "$r/tmp/prelinked"
done
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
fl_wait web EPERM 'cat /etc/passwd' || t_log "web's policy not in force after 10 s"

fl_expect bypass_symlink EPERM web 'ln -s /etc/passwd /tmp/p && cat /tmp/p'
fl_expect bypass_symlink_dir EPERM web 'ln -s /tmp/secret /tmp/sd && cat /tmp/sd/x'
fl_expect bypass_hardlink_create EPERM web 'ln /tmp/secret/x /tmp/hl'
fl_expect bypass_dotdot EPERM web 'cat /tmp/../etc/passwd'
fl_expect bypass_dotdot_relative EPERM web 'cd /tmp/conf/sub && cat ../a.key'
fl_expect bypass_proc_self_root EPERM web 'cat /proc/self/root/etc/passwd'
fl_expect bypass_proc_pid_root EPERM web 'cat /proc/1/root/tmp/secret/x'
fl_expect bypass_rename_file_out EPERM web 'mv /tmp/d1/d2/key.txt /tmp/k'
fl_expect bypass_rename_parent EPERM web 'mv /tmp/d1 /tmp/e1'
fl_expect bypass_rename_grandparent_dir EPERM web 'mv /tmp/d1/d2 /tmp/e2'
fl_expect bypass_rename_glob_dir EPERM web 'mv /tmp/conf /tmp/conf2'
fl_expect bypass_rename_secret_dir EPERM web 'mv /tmp/secret /tmp/open'
fl_expect bypass_move_into_ro EPERM web 'echo y > /tmp/y && mv /tmp/y /tmp/ro/y'
fl_expect rename_unrelated_allowed OK web 'mkdir /tmp/u && mv /tmp/u /tmp/u2 && rmdir /tmp/u2'
fl_expect bypass_fd_reopen EPERM web 'cat /proc/self/fd/3 3</etc/group >/dev/null && cat /proc/self/root/../etc/passwd'

# A hard link that exists before the policy is a second name nobody checked: the rule
# names a path, so the other name is not covered. Stated as a known limit, checked here.
got=$(fl_try web 'cat /tmp/prelinked')
if [ "$got" = OK ]; then
	t_pass bypass_prelinked_is_known_limit
else
	t_fail bypass_prelinked_is_known_limit "expected the documented limit (OK), got $got"
fi

# A bind mount by a process of the container with CAP_SYS_ADMIN (nsenter into its mount
# namespace and root, moved into its cgroup first): refused.
pid=$(ct_pid web)
out=$(sh -c "echo \$\$ > '$(ct_cgroup_dir web)/cgroup.procs' &&
	exec nsenter -t $pid -m -r sh -c 'touch /tmp/pw && mount --bind /etc/passwd /tmp/pw'" 2>&1)
rc=$?
# busybox mount says "permission denied (are you root?)" for EPERM: the event says who refused.
sel='.kind == "file" and .action == "deny" and .file.operation == "mount" and .file.path == "/etc/passwd"'
if [ "$rc" -ne 0 ] && fl_wait_events file "$sel" 1; then
	t_pass bypass_bind_mount
else
	t_fail bypass_bind_mount "mount --bind /etc/passwd /tmp/pw in the container: status $rc, '$out', no mount deny event"
fi

# A bind mount whose source is a symlink to a denied file: the mount hook sees the source
# as written, so the mount is made; but a file of the root's tree reached through another
# mount is matched by its name in that tree too: reading it through the new mount is refused.
out=$(sh -c "echo \$\$ > '$(ct_cgroup_dir web)/cgroup.procs' &&
	exec nsenter -t $pid -m -r sh -c 'ln -s /etc/passwd /tmp/pl && touch /tmp/pw2 &&
		mount --bind /tmp/pl /tmp/pw2 && echo MOUNTED && cat /tmp/pw2 >/dev/null && echo READ'" 2>&1)
sel='.kind == "file" and .action == "deny" and .file.operation == "read" and .file.path == "/etc/passwd" and .process.comm == "cat"'
case "$out" in
*MOUNTED*READ*) t_fail bypass_bind_symlink "read /etc/passwd through a bind mount made from a symlink: $out" ;;
*MOUNTED*) if fl_wait_events file "$sel" 1; then t_pass bypass_bind_symlink
	else t_fail bypass_bind_symlink "refused, but no read deny event naming /etc/passwd"; fi ;;
*) t_fail bypass_bind_symlink "the bind mount itself failed: $out" ;;
esac

# The new mount API: open_tree() + move_mount() bind /etc/passwd (no mount hook sees it
# resolved), then a read through the new mount: refused the same way.
if cp "$T_BUILD/tests/helpers/bindtree" "$(fl_root web)/tmp/bindtree"; then
	out=$(sh -c "echo \$\$ > '$(ct_cgroup_dir web)/cgroup.procs' &&
		exec nsenter -t $pid -m -r sh -c 'touch /tmp/pw3 && /tmp/bindtree /etc/passwd /tmp/pw3'" 2>&1)
	if [ "$out" = EPERM ]; then t_pass bypass_open_tree_move_mount
	else t_fail bypass_open_tree_move_mount "bindtree /etc/passwd /tmp/pw3 in the container: $out"; fi
else
	t_fail bypass_open_tree_move_mount "cannot copy the bindtree helper into the container"
fi

# Over-long: the walk cannot resolve it within the key size: denied where the policy
# restricts the op (web: reads), allowed where it does not (lax), and reported.
fl_expect overlong_path_denied_safe_default EPERM web "cat $long/f"
fl_expect overlong_path_unrestricted_op_allowed OK lax "cat $long/f"
sel='.kind == "file" and .file.path_unresolved == true and .container.name == "web"'
if fl_wait_events file "$sel" 1; then t_pass overlong_reported
else t_fail overlong_reported "no event marked path_unresolved"; fi
t_finish
