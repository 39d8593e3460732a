# Real containers for tests: runc (host) or crun (guest: CT_RUNTIME=crun) running
# a busybox root filesystem built once into build/tests/rootfs.
#
#   . tests/lib/common.sh; . tests/lib/container.sh
#   ct_start NAME CGROUPS_PATH POD NAMESPACE CONTAINER_NAME [CMD...]
#       Start container NAME (detached, no terminal, a new network namespace,
#       read-only busybox root, tmpfs /tmp) with the Kubernetes annotations
#       io.kubernetes.pod.name, io.kubernetes.pod.namespace,
#       io.kubernetes.cri.container-name, io.kubernetes.container.name,
#       io.kubernetes.pod.uid (plus $CT_ANNOTATIONS, a JSON object, if set).
#       CMD defaults to "sleep 3600". Stopped and deleted at exit (t_defer).
#       CGROUPS_PATH "" (the usual choice): /bulkhead-test-ct-$$/kubepods/pod<uid>/NAME,
#       a kubepods layout below a directory this test run owns; containers
#       started with the same POD share the pod uid. A relative CGROUPS_PATH
#       goes below /bulkhead-test-ct-$$/; an absolute one is used as it is.
#   ct_exec NAME CMD...         run CMD in the container (stdin from /dev/null)
#   ct_pid NAME                 host pid of the container's init
#   ct_cgroup_path NAME         its cgroup path relative to the cgroup2 mount
#   ct_cgroup_dir NAME          the cgroup2 directory
#   ct_cgroup_id NAME           the cgroup id (inode of that directory)
#   ct_pod_uid NAME             the pod uid of its default cgroup path
#   ct_log NAME                 what the container and the runtime printed
#   ct_root                     the private runtime --root (the agent's --state-root)
#   ct_stop NAME                stop and delete now (also done at exit)
#
# Cleanup never removes what existed before: every cgroup directory that
# ct_start's runtime is about to create (in the v2 tree and in every v1
# hierarchy, since the runtime mkdirs the whole path and "delete" removes only
# the leaf) is recorded, and only those are removed, with rmdir, deepest first.
# Works in bash and busybox ash. Needs jq and runc (or crun).

if ! command -v t_defer >/dev/null 2>&1; then
	. "$(dirname "$0")/../lib/common.sh"
fi

CT_RUNTIME=${CT_RUNTIME:-runc}
CT_ROOTFS=${CT_ROOTFS:-$T_BUILD/tests/rootfs}
CT_TOP=${CT_TOP:-bulkhead-test-ct-$$}
CT_RUN_ROOT=${CT_RUN_ROOT:-/run/bulkhead-test-$CT_RUNTIME-$$}
CT_WORK=${CT_WORK:-$T_BUILD/tests/containers-$$}
CT_STARTED=""

ct_root() { echo "$CT_RUN_ROOT"; }

_ct_rt() { "$CT_RUNTIME" --root "$CT_RUN_ROOT" "$@"; }

# Build the busybox root once (about a second); shared read-only by all containers.
ct_rootfs() {
	local bb tmp d
	[ -x "$CT_ROOTFS/bin/busybox" ] && [ -e "$CT_ROOTFS/bin/sh" ] && return 0
	bb=$(command -v busybox) || { t_log "ct: busybox not found (busybox-static)"; return 1; }
	tmp="$CT_ROOTFS.tmp.$$"
	rm -rf "$tmp"
	for d in bin proc sys dev tmp etc root; do mkdir -p "$tmp/$d" || return 1; done
	cp "$bb" "$tmp/bin/busybox" || return 1
	chroot "$tmp" /bin/busybox --install -s /bin || { rm -rf "$tmp"; return 1; }
	echo 'root:x:0:0:root:/root:/bin/sh' > "$tmp/etc/passwd"
	echo 'root:x:0:' > "$tmp/etc/group"
	# Another test may have built it meanwhile: keep theirs.
	if [ -e "$CT_ROOTFS" ]; then rm -rf "$tmp"; else mv "$tmp" "$CT_ROOTFS"; fi
	[ -x "$CT_ROOTFS/bin/busybox" ]
}

# Every cgroup hierarchy mounted here: the v2 tree and each v1 controller.
_ct_hierarchies() {
	awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts
}

# Record the directories of cgroup path $1 that do not exist yet, in every hierarchy.
_ct_record_new_dirs() {
	local path="$1" h p rest comp
	for h in $(_ct_hierarchies); do
		p="$h"
		rest="${path#/}"
		while [ -n "$rest" ]; do
			comp="${rest%%/*}"
			if [ "$comp" = "$rest" ]; then rest=""; else rest="${rest#*/}"; fi
			[ -n "$comp" ] || continue
			p="$p/$comp"
			[ -d "$p" ] || echo "$p" >> "$CT_WORK/created-dirs"
		done
	done
}

# rmdir every recorded directory that is still there, deepest first. A
# directory with a child cgroup stays (another container of the pod still
# runs); one that is only busy (a dying process) is retried for a second.
_ct_rmdirs() {
	local d i left
	[ -f "$CT_WORK/created-dirs" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		left=0
		for d in $(awk '{ print length($0), $0 }' "$CT_WORK/created-dirs" | sort -rn | cut -d' ' -f2-); do
			[ -d "$d" ] || continue
			rmdir "$d" 2>/dev/null && continue
			find "$d" -mindepth 1 -maxdepth 1 -type d | grep -q . || left=1
		done
		[ "$left" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

_ct_uuid() {
	cat /proc/sys/kernel/random/uuid 2>/dev/null ||
		od -An -N16 -tx1 /dev/urandom | tr -d ' \n' |
		sed 's/^\(........\)\(....\)\(....\)\(....\)\(............\)$/\1-\2-\3-\4-\5/'
}

# Everything this test run started: stop, delete, rmdir, remove our files.
ct_cleanup_all() {
	local n
	if [ -d "$CT_RUN_ROOT" ]; then
		for n in $(ls "$CT_RUN_ROOT" 2>/dev/null); do
			_ct_rt kill "$n" KILL >/dev/null 2>&1
			_ct_rt delete --force "$n" >/dev/null 2>&1
		done
	fi
	_ct_rmdirs
	case "$CT_RUN_ROOT" in /run/bulkhead-test-*) rm -rf "$CT_RUN_ROOT" ;; esac
	case "$CT_WORK" in */containers-*) rm -rf "$CT_WORK" ;; esac
	return 0
}

ct_stop() {
	local name="$1" i
	_ct_rt kill "$name" KILL >/dev/null 2>&1
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		_ct_rt state "$name" 2>/dev/null | grep -q '"status": *"running"' || break
		sleep 0.1
	done
	_ct_rt delete --force "$name" >/dev/null 2>&1
	_ct_rmdirs
	! _ct_rt state "$name" >/dev/null 2>&1
}

ct_start() {
	local name="$1" cgpath="$2" pod="$3" ns="$4" cname="$5" uid bundle args extra
	if [ $# -lt 5 ]; then
		t_log "ct_start NAME CGROUPS_PATH POD NAMESPACE CONTAINER_NAME [CMD...]"
		return 1
	fi
	shift 5
	[ $# -gt 0 ] || set -- sleep 3600
	command -v jq >/dev/null || { t_log "ct: jq is needed"; return 1; }
	command -v "$CT_RUNTIME" >/dev/null || { t_log "ct: $CT_RUNTIME is not installed"; return 1; }
	ct_rootfs || { t_log "ct: could not build $CT_ROOTFS"; return 1; }

	if [ -z "$CT_STARTED" ]; then
		mkdir -p "$CT_WORK" "$CT_RUN_ROOT" || return 1
		t_defer "ct_cleanup_all"
		CT_STARTED=1
	fi

	# One uid per pod name in this run.
	if [ -f "$CT_WORK/pod.$pod.uid" ]; then uid=$(cat "$CT_WORK/pod.$pod.uid")
	else uid=$(_ct_uuid); echo "$uid" > "$CT_WORK/pod.$pod.uid"; fi
	case "$cgpath" in
	"") cgpath="/$CT_TOP/kubepods/pod$uid/$name" ;;
	/*) ;;
	*) cgpath="/$CT_TOP/$cgpath" ;;
	esac

	bundle="$CT_WORK/$name"
	mkdir -p "$bundle" || return 1
	(cd "$bundle" && rm -f config.json && "$CT_RUNTIME" spec) || return 1
	args=$(jq -cn '$ARGS.positional' --args -- "$@") || return 1
	extra=${CT_ANNOTATIONS:-"{}"}
	jq --argjson args "$args" --argjson extra "$extra" --arg rootfs "$CT_ROOTFS" \
	   --arg cg "$cgpath" --arg pod "$pod" --arg ns "$ns" --arg cname "$cname" \
	   --arg uid "$uid" --arg host "$name" '
		.process.terminal = false
		| .process.args = $args
		| .root = { path: $rootfs, readonly: true }
		| .hostname = $host
		| .linux.cgroupsPath = $cg
		| .mounts += [{ destination: "/tmp", type: "tmpfs", source: "tmpfs",
				options: ["nosuid", "nodev", "mode=1777", "size=16m"] }]
		| .annotations = ({
			"io.kubernetes.pod.name": $pod,
			"io.kubernetes.pod.namespace": $ns,
			"io.kubernetes.pod.uid": $uid,
			"io.kubernetes.cri.container-name": $cname,
			"io.kubernetes.container.name": $cname
		  } + $extra)' "$bundle/config.json" > "$bundle/config.json.new" &&
		mv "$bundle/config.json.new" "$bundle/config.json" || return 1

	echo "$cgpath" > "$CT_WORK/$name.cgpath"
	echo "$uid" > "$CT_WORK/$name.uid"
	_ct_record_new_dirs "$cgpath"
	t_defer "ct_stop '$name'"
	# Detached, stdio to a log: the container must not hold the caller's pipes.
	if ! _ct_rt run -d --bundle "$bundle" "$name" </dev/null >"$CT_WORK/$name.log" 2>&1; then
		t_log "ct: $CT_RUNTIME run $name failed: $(cat "$CT_WORK/$name.log")"
		_ct_rmdirs
		return 1
	fi
	return 0
}

ct_exec() {
	local name="$1"; shift
	_ct_rt exec "$name" "$@" </dev/null
}

ct_pid() {
	_ct_rt state "$1" 2>/dev/null | sed -n 's/^ *"pid": *\([0-9]*\).*/\1/p'
}

ct_cgroup_path() { cat "$CT_WORK/$1.cgpath" 2>/dev/null; }
ct_cgroup_dir() { echo "$(t_cgroup2_root)$(ct_cgroup_path "$1")"; }
ct_cgroup_id() { stat -c %i "$(ct_cgroup_dir "$1")"; }
ct_pod_uid() { cat "$CT_WORK/$1.uid" 2>/dev/null; }
ct_log() { cat "$CT_WORK/$1.log" 2>/dev/null; }
