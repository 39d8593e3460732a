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
#   ct_exec NAME CMD...         run CMD in the container (stdin from /dev/null;
#                               $CT_EXEC_ENV: see the knobs below)
#   ct_pid NAME                 host pid of the container's init
#   ct_cgroup_path NAME         its cgroup path relative to the cgroup2 mount
#   ct_cgroup_dir NAME          the cgroup2 directory
#   ct_cgroup_id NAME           the cgroup id (inode of that directory)
#   ct_pod_uid NAME             the pod uid of its default cgroup path
#   ct_log NAME                 what the container and the runtime printed
#   ct_root                     the private runtime --root (the agent's --state-root)
#   ct_stop NAME                stop and delete now (also done at exit)
#
# Opt-in knobs read by ct_start (unset: the container is exactly as above):
#   CT_PRIVILEGED=1   like `docker run --privileged`: every capability this shell
#                     holds in its bounding set, in every set (a capability the caller
#                     lacks cannot be granted: this machine lacks CAP_SYS_RESOURCE),
#                     noNewPrivileges off, no masked or read-only paths, /sys and the
#                     cgroup mount read-write, every device allowed by the device
#                     cgroup (a single "allow all rwm" rule; nodes are made with mknod).
#   CT_HOST_PID=1     no pid namespace: the container sees the host's processes.
#   CT_USER=UID:GID   the process (and every ct_exec) runs as UID:GID. runc gives the
#                     /tmp tmpfs the mode of its mount point, 0755 in ct_rootfs's
#                     root: such a user needs a root whose /tmp is 1777.
#   CT_NEW_PRIVS=1    noNewPrivileges off: a setuid binary in the root raises privileges.
#   CT_BINDS="SRC:DST[:ro] ..."  extra bind mounts (after /tmp, so DST may be below
#                     /tmp). A missing DST is created by the runtime in the root file
#                     system: use a DST that exists, one below /tmp, or CT_RW_ROOT.
#   CT_RW_ROOT=1      a private writable copy of $CT_ROOTFS for this container, removed
#                     by ct_stop (and at exit).
#   CT_EXEC_ENV="K=V ..."  (read by ct_exec) environment variables set in the exec'd
#                     process (no spaces inside a value).
# No cgroup namespace is made with or without knobs (runc's default spec has none),
# so a cgroup mount inside a container shows the real hierarchy.
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
	# CT_RW_ROOT's private copy: only once the container is gone.
	if [ -f "$CT_WORK/$name.rwroot" ] && ! _ct_rt state "$name" >/dev/null 2>&1; then
		rm -rf "$CT_WORK/$name/rootfs" "$CT_WORK/$name.rwroot"
	fi
	! _ct_rt state "$name" >/dev/null 2>&1
}

# Capability names by number (0..40); ct_start's CT_PRIVILEGED keeps those in
# this shell's bounding set.
_CT_CAP_NAMES="CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE"

_ct_bounding_caps() {
	local bnd i=0 c out=""
	bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
	for c in $_CT_CAP_NAMES; do
		[ $(( (0x$bnd >> i) & 1 )) -eq 1 ] && out="$out CAP_$c"
		i=$((i + 1))
	done
	jq -cn '$ARGS.positional' --args -- $out
}

# The jq filter and arguments for the opt-in knobs (see the header); prints
# nothing when none is set. $1 is the bundle (CT_RW_ROOT's copy goes there).
_ct_knobs() {
	local bundle="$1" f="" b src dst ro
	if [ "${CT_PRIVILEGED:-}" = 1 ]; then
		f="$f | .process.capabilities = { bounding: \$caps, effective: \$caps, permitted: \$caps,
				inheritable: \$caps, ambient: \$caps }
			| .process.noNewPrivileges = false
			| .linux.maskedPaths = [] | .linux.readonlyPaths = []
			| .linux.resources.devices = [{ allow: true, access: \"rwm\" }]
			| .mounts |= map(if .type == \"sysfs\" or .type == \"cgroup\"
				then .options |= map(select(. != \"ro\")) else . end)"
	fi
	[ "${CT_HOST_PID:-}" = 1 ] && f="$f | .linux.namespaces |= map(select(.type != \"pid\"))"
	[ "${CT_NEW_PRIVS:-}" = 1 ] && f="$f | .process.noNewPrivileges = false"
	if [ -n "${CT_USER:-}" ]; then
		f="$f | .process.user = { uid: ${CT_USER%%:*}, gid: ${CT_USER#*:} }"
	fi
	[ "${CT_RW_ROOT:-}" = 1 ] && f="$f | .root = { path: \"$bundle/rootfs\", readonly: false }"
	for b in ${CT_BINDS:-}; do
		src=${b%%:*}; dst=${b#*:}; ro=""
		case "$dst" in *:ro) dst=${dst%:ro}; ro=', "ro"' ;; esac
		f="$f | .mounts += [{ destination: \"$dst\", type: \"bind\", source: \"$src\",
			options: [\"rbind\"$ro] }]"
	done
	[ -n "$f" ] && echo "${f# | }"
}

ct_start() {
	local name="$1" cgpath="$2" pod="$3" ns="$4" cname="$5" uid bundle args extra knobs
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
	knobs=$(_ct_knobs "$bundle")
	if [ -n "$knobs" ]; then
		if [ "${CT_RW_ROOT:-}" = 1 ]; then
			: > "$CT_WORK/$name.rwroot"
			rm -rf "$bundle/rootfs"
			cp -a "$CT_ROOTFS" "$bundle/rootfs" || return 1
		fi
		jq --argjson caps "$(_ct_bounding_caps)" "$knobs" "$bundle/config.json" > "$bundle/config.json.new" &&
			mv "$bundle/config.json.new" "$bundle/config.json" || return 1
	fi

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
	local name="$1" kv; shift
	if [ -z "${CT_EXEC_ENV:-}" ]; then
		_ct_rt exec "$name" "$@" </dev/null
		return
	fi
	set -- "$name" "$@"
	for kv in $CT_EXEC_ENV; do set -- --env "$kv" "$@"; done
	_ct_rt exec "$@" </dev/null
}

ct_pid() {
	_ct_rt state "$1" 2>/dev/null | sed -n 's/^ *"pid": *\([0-9]*\).*/\1/p'
}

ct_cgroup_path() { cat "$CT_WORK/$1.cgpath" 2>/dev/null; }
ct_cgroup_dir() { echo "$(t_cgroup2_root)$(ct_cgroup_path "$1")"; }
ct_cgroup_id() { stat -c %i "$(ct_cgroup_dir "$1")"; }
ct_pod_uid() { cat "$CT_WORK/$1.uid" 2>/dev/null; }
ct_log() { cat "$CT_WORK/$1.log" 2>/dev/null; }
