#!/bin/sh
# A read-only tree (write, create, delete, rename, link, setattr denied under /tmp/ro/),
# enforced by the LSM path hooks with the bounded dentry walk: write, create (O_CREAT
# and mknod), delete, mkdir, rmdir, chmod, chown, truncate, symlink, a rename into the
# tree; reads and everything outside the tree allowed; a container without a policy
# untouched.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
fl_policy web <<'EOF2'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: web}
spec:
  selector: {containers: [web]}
  file:
    - {paths: [/tmp/ro/], ops: [write, create, delete, rename, link, setattr], action: deny}
EOF2
for c in web free; do
	ct_start "$c" "" "pod-$c" shop "$c" || { t_fail file_setup "container $c: $(ct_log "$c")"; exit 1; }
	r=$(fl_root "$c")
	mkdir -p "$r/tmp/ro/sub"; echo data > "$r/tmp/ro/f"
done
if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
fl_wait web EPERM 'echo x >> /tmp/ro/f' || t_log "web's policy not in force after 10 s"

# --- a read-only tree ---
fl_expect file_ro_read_allowed OK web 'cat /tmp/ro/f'
fl_expect file_ro_write_denied EPERM web 'echo x >> /tmp/ro/f'
fl_expect file_ro_create_denied EPERM web 'touch /tmp/ro/new'
fl_expect file_ro_delete_denied EPERM web 'rm /tmp/ro/f'
fl_expect file_ro_mkdir_denied EPERM web 'mkdir /tmp/ro/d'
fl_expect file_ro_rmdir_denied EPERM web 'rmdir /tmp/ro/sub'
fl_expect file_ro_chmod_denied EPERM web 'chmod 600 /tmp/ro/f'
fl_expect file_ro_chown_denied EPERM web 'chown 1:1 /tmp/ro/f'
fl_expect file_ro_truncate_denied EPERM web 'truncate -s 0 /tmp/ro/f'
fl_expect file_ro_symlink_denied EPERM web 'ln -s /x /tmp/ro/l'
fl_expect file_ro_rename_in_denied EPERM web 'echo y > /tmp/y && mv /tmp/y /tmp/ro/f'
fl_expect file_write_outside_allowed OK web 'echo y > /tmp/w && mv /tmp/w /tmp/w2 && rm /tmp/w2'
fl_expect file_ro_no_policy_writes OK free 'echo x >> /tmp/ro/f && touch /tmp/ro/n && rm /tmp/ro/n'

t_finish
