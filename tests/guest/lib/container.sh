# Real OCI containers for guest tests (busybox ash), run by crun on the guest's pure
# cgroup v2 hierarchy. Source tests/lib/common.sh first: every container is registered
# with t_defer and deleted when the test script exits, also on failure.
#
#   ct_start ID CGROUPS_PATH [POD [NAMESPACE [NAME]]]
#       start a container running `sleep` as its init, detached, in the cgroup
#       CGROUPS_PATH (e.g. /kubepods/pod-<uid>/<id>, relative to /sys/fs/cgroup), with the
#       Kubernetes annotations io.kubernetes.pod.name=POD (default pod-ID),
#       io.kubernetes.pod.namespace=NAMESPACE (default default),
#       io.kubernetes.cri.container-name=NAME (default ID). Its own busybox root file
#       system, pid/ipc/uts/mount/cgroup/network namespaces (CT_HOSTNET=1: share the guest's
#       network instead). Returns non-zero and prints crun's error on failure.
#   ct_exec ID CMD...        run CMD in the container; its stdout/stderr, its exit status
#   ct_run ID CMD...         the same, captured: sets CT_RC, CT_OUT, CT_ERR
#   ct_exec_bg ID CMD...     start CMD in the container in the background; prints its pid
#                            as the guest sees it (for /proc/PID/...)
#   ct_pid ID                the guest pid of the container's init
#   ct_cgroup ID             the container's cgroup directory (/sys/fs/cgroup/...)
#   ct_state ID              crun's state JSON (annotations, status, pid)
#   ct_delete ID             kill and delete the container, its cgroup, the empty parent
#                            cgroups ct_start created, and its bundle (idempotent)
#   ct_rootfs DIR            make a busybox root file system in DIR
#
# Settings: CT_RUNTIME (crun), CT_STATE (crun --root, private to the test run),
# CT_BASE (bundles), CT_CGROUP2 (the cgroup2 mount).

CT_RUNTIME=${CT_RUNTIME:-crun}
CT_STATE=${CT_STATE:-/run/bulkhead-test/$CT_RUNTIME}
CT_BASE=${CT_BASE:-/tmp/bulkhead-ct}
CT_CGROUP2=${CT_CGROUP2:-/sys/fs/cgroup}

ct_rt() { "$CT_RUNTIME" --root "$CT_STATE" "$@"; }

ct_rootfs() {
	local dir="$1" applet
	mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/etc" "$dir/tmp" \
		"$dir/proc" "$dir/sys" "$dir/dev" "$dir/root" "$dir/var/tmp" || return 1
	chmod 1777 "$dir/tmp" "$dir/var/tmp"
	cp /bin/busybox "$dir/bin/busybox" || return 1
	for applet in $(/bin/busybox --list-full); do
		[ -e "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$dir/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
}

# ct_json_str S: S as a JSON string body (escapes \ and ").
ct_json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

ct_config() {
	local cgpath="$1" pod="$2" ns="$3" name="$4" id="$5" netns=''
	[ "${CT_HOSTNET:-0}" = 1 ] || netns='{ "type": "network" },'
	local caps='"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
			"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
			"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"'
	cat <<EOF
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "sleep", "1000000" ],
		"env": [ "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=$(ct_json_str "$name")" ],
		"cwd": "/",
		"capabilities": {
			"bounding": [ $caps ],
			"effective": [ $caps ],
			"permitted": [ $caps ]
		},
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": false },
	"hostname": "$(ct_json_str "$name")",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
		  "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		  "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
		{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
		  "options": [ "nosuid", "noexec", "nodev", "ro" ] },
		{ "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		  "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] },
		{ "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "nodev", "mode=1777" ] }
	],
	"annotations": {
		"io.kubernetes.pod.name": "$(ct_json_str "$pod")",
		"io.kubernetes.pod.namespace": "$(ct_json_str "$ns")",
		"io.kubernetes.cri.container-name": "$(ct_json_str "$name")",
		"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.sandbox-name": "$(ct_json_str "$pod")",
		"io.kubernetes.cri.sandbox-namespace": "$(ct_json_str "$ns")"
	},
	"linux": {
		"cgroupsPath": "$(ct_json_str "$cgpath")",
		"resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
		"namespaces": [
			{ "type": "pid" }, $netns { "type": "ipc" }, { "type": "uts" },
			{ "type": "mount" }, { "type": "cgroup" }
		],
		"maskedPaths": [ "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware" ],
		"readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
	}
}
EOF
}

ct_start() {
	local id="$1" cgpath="$2" pod="${3:-pod-$1}" ns="${4:-default}" name="${5:-$1}"
	local b="$CT_BASE/$id" d rel
	case "$id" in ''|*/*|.*) echo "ct_start: bad container id '$id'" >&2; return 1 ;; esac
	case "$cgpath" in /*) ;; *) echo "ct_start: cgroupsPath must be absolute: '$cgpath'" >&2; return 1 ;; esac
	mkdir -p "$CT_STATE" "$CT_BASE" || return 1
	t_defer "ct_delete '$id'"
	rm -rf "$b"
	mkdir -p "$b" && ct_rootfs "$b/rootfs" || { echo "ct_start: cannot make the root fs in $b" >&2; return 1; }
	ct_config "$cgpath" "$pod" "$ns" "$name" "$id" > "$b/config.json"
	echo "$CT_CGROUP2$cgpath" > "$b/cgroup"
	# The parent cgroups that do not exist yet: ct_delete removes them again (deepest first).
	: > "$b/created-cgroups"
	rel=""
	for d in $(echo "$cgpath" | tr '/' ' '); do
		rel="$rel/$d"
		[ -d "$CT_CGROUP2$rel" ] || echo "$CT_CGROUP2$rel" >> "$b/created-cgroups"
	done
	if ! ct_rt run --detach --bundle "$b" "$id" </dev/null >"$b/crun.log" 2>&1; then
		echo "ct_start: $CT_RUNTIME run $id failed: $(cat "$b/crun.log")" >&2
		return 1
	fi
}

ct_exec() {
	local id="$1"; shift
	ct_rt exec "$id" "$@" </dev/null
}

ct_run() {
	local id="$1" f="$CT_BASE/$1/exec"; shift
	ct_rt exec "$id" "$@" </dev/null >"$f.out" 2>"$f.err"
	CT_RC=$?
	CT_OUT=$(cat "$f.out")
	CT_ERR=$(cat "$f.err")
	rm -f "$f.out" "$f.err"
	return 0
}

ct_exec_bg() {
	local id="$1" f="$CT_BASE/$1/exec.pid"; shift
	rm -f "$f"
	ct_rt exec --detach --pid-file "$f" "$id" "$@" </dev/null >/dev/null 2>"$f.err" ||
		{ cat "$f.err" >&2; rm -f "$f.err"; return 1; }
	rm -f "$f.err"
	cat "$f"
}

ct_state() { ct_rt state "$1"; }

ct_pid() { ct_rt state "$1" | sed -n 's/^[[:space:]]*"pid":[[:space:]]*\([0-9]*\).*/\1/p'; }

ct_cgroup() { cat "$CT_BASE/$1/cgroup"; }

ct_delete() {
	local id="$1" b="$CT_BASE/$1" d
	ct_rt kill "$id" KILL >/dev/null 2>&1
	ct_rt delete --force "$id" >/dev/null 2>&1
	if [ -f "$b/cgroup" ]; then
		t_cgroup_remove "$(cat "$b/cgroup")" >/dev/null 2>&1
	fi
	if [ -f "$b/created-cgroups" ]; then
		for d in $(sort -r "$b/created-cgroups"); do
			rmdir "$d" 2>/dev/null
		done
	fi
	rm -rf "$b"
	return 0
}
