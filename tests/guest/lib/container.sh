# Real OCI containers for guest tests (busybox ash): the suite's container helper,
# tests/lib/container.sh, run with crun on the guest's pure cgroup v2 tree, plus a few
# guest-side extras. Source tests/lib/common.sh first; every container is deleted (and the
# cgroups its runtime made are removed) when the case exits, also on failure.
#
# The same API as on the host (see tests/lib/container.sh), so a case reads the same in
# both places:
#   ct_start NAME CGROUPS_PATH POD NAMESPACE CONTAINER_NAME [CMD...]
#       e.g. ct_start web1 /kubepods/pod-$uid/web1 web-0 shop web
#       Kubernetes annotations io.kubernetes.pod.name/.pod.namespace/.pod.uid,
#       io.kubernetes.cri.container-name; CMD defaults to sleep 3600.
#   ct_exec NAME CMD...   ct_pid NAME   ct_cgroup_path NAME   ct_cgroup_dir NAME
#   ct_cgroup_id NAME   ct_pod_uid NAME   ct_log NAME   ct_root   ct_stop NAME
# Guest extras:
#   ct_run NAME CMD...       run CMD in the container, captured: sets CT_RC, CT_OUT, CT_ERR
#   ct_exec_bg NAME CMD...   start CMD in the container in the background; prints its pid
#                            as the guest sees it (for /proc/PID/cgroup and the agent)
#   ct_state NAME            the runtime's state JSON (status, pid, annotations)
#
# The initramfs carries jq (the helper edits config.json with it) and a prebuilt busybox
# root file system at $T_BUILD/tests/rootfs, so ct_start costs only crun's own time.

CT_RUNTIME=${CT_RUNTIME:-crun}
. "$T_ROOT/tests/guest/lib/guest.sh"
. "$T_ROOT/tests/lib/container.sh"

ct_run() {
	local name="$1" f; shift
	f=$(mktemp /tmp/ct-run.XXXXXX) || return 1
	_ct_rt exec "$name" "$@" </dev/null >"$f.out" 2>"$f.err"
	CT_RC=$?
	CT_OUT=$(cat "$f.out")
	CT_ERR=$(cat "$f.err")
	rm -f "$f" "$f.out" "$f.err"
	return 0
}

ct_exec_bg() {
	local name="$1" f; shift
	f=$(mktemp /tmp/ct-exec.XXXXXX) || return 1
	rm -f "$f"
	if ! _ct_rt exec --detach --pid-file "$f" "$name" "$@" </dev/null >/dev/null 2>"$f.err"; then
		t_log "ct: exec in $name failed: $(cat "$f.err")"
		rm -f "$f" "$f.err"
		return 1
	fi
	cat "$f"
	rm -f "$f" "$f.err"
}

ct_state() { _ct_rt state "$1"; }
