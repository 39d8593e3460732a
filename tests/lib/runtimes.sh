# Real container runtimes for tests: containerd (ctr), Docker and podman, as Debian 12
# ships them (containerd 1.6, docker.io 20.10, podman 4.3), each started here with this
# run's own configuration, never the machine's: data roots, state directories, sockets
# and pid files under $RT_DIR (/run/bh-test-rt-<pid>), cgroups below $RT_CG (a cgroup
# this run makes: /bulkhead-test-rt-<pid>, in the v2 tree and every v1 hierarchy), the
# cgroupfs driver (this machine's hybrid layout), no network: dockerd without bridge,
# iptables, forwarding or masquerading, every container with --network none (podman,
# docker) or a fresh empty network namespace (ctr without CNI). Images come from the
# busybox root of tests/lib/container.sh (ct_rootfs), imported: no registry.
# Requires tests/lib/common.sh and tests/lib/container.sh. bash.
#
#   rt_init                      make $RT_DIR and $RT_CG, register the cleanup (all of it,
#                                also on failure: containers, daemons, mounts, cgroups,
#                                files the runtimes write outside $RT_DIR)
#   rt_have containerd|docker|podman   the binaries are installed
#   rt_containerd_start          containerd on $RT_DIR/ctd.sock; ctr ARGS... talks to it
#   rt_ctr NS ARGS...            ctr in containerd namespace NS
#   rt_ctr_run NS ID [ctr run options...] -- CMD...   a detached task from the busybox root,
#                                cgroup $RT_CG/NS/ID (containerd's /<namespace>/<id> layout
#                                below this run's cgroup; $RT_CTR_CGROUP, if set, below
#                                $RT_CG instead); runc state under $RT_DIR/runc
#   rt_ctr_pid NS ID             the task's host pid
#   rt_dockerd_start             dockerd on $RT_DIR/docker.sock, using that containerd,
#                                containers in $RT_CG/docker/<id>; imports bh-test/busybox:1
#   rt_docker ARGS...            /usr/bin/docker against it (/usr/local/bin/docker may be
#                                another client)
#   rt_podman_init               podman's configuration; imports localhost/bh-test/busybox:1
#   rt_podman ARGS...            podman with this run's root, runroot, runc root, cgroupfs
#   rt_podman_run ARGS...        podman run -d, in $RT_CG/libpod_parent/libpod-<id>
#   rt_state_roots               --state-root options for the agent: every state
#                                directory of the runtimes above
#   rt_cg_dir SUFFIX             the cgroup2 directory $RT_CG/SUFFIX

RT_DIR=${RT_DIR:-/run/bh-test-rt-$$}
RT_CG=${RT_CG:-/bulkhead-test-rt-$$}
RT_CG2=$(t_cgroup2_root)
RT_DOCKER=/usr/bin/docker
RT_DOCKERD=/usr/sbin/dockerd
RT_IMAGE=bh-test/busybox:1
RT_CTD_STARTED=""
RT_DOCKERD_STARTED=""
RT_PODMAN_INIT=""

rt_have() {
	case "$1" in
	containerd) command -v containerd >/dev/null && command -v ctr >/dev/null &&
		command -v containerd-shim-runc-v2 >/dev/null && command -v runc >/dev/null ;;
	docker) [ -x "$RT_DOCKER" ] && [ -x "$RT_DOCKERD" ] && rt_have containerd ;;
	podman) command -v podman >/dev/null && command -v conmon >/dev/null && command -v runc >/dev/null ;;
	*) return 1 ;;
	esac
}

rt_cg_dir() { echo "$RT_CG2$RT_CG/$1"; }

# What exists on the machine before the runtimes write outside $RT_DIR: containerd's
# shims put their sockets in /run/containerd/s, dockerd its plugin directory in
# /run/docker and a key in /etc/docker/key.json, podman its blob cache in
# /var/lib/containers/cache. Only what was not there is removed.
rt_init() {
	local p
	mkdir -p "$RT_DIR" || return 1
	RT_PRE=""
	for p in /run/containerd /run/containerd/s /run/docker /run/docker/plugins \
		/etc/docker /etc/docker/key.json /var/lib/containers /var/lib/containers/cache /run/runc; do
		[ -e "$p" ] && RT_PRE="$RT_PRE $p "
	done
	ip link show docker0 >/dev/null 2>&1 && RT_PRE="$RT_PRE docker0 "
	mkdir "$RT_CG2$RT_CG" || return 1
	t_defer rt_cleanup
	rt_rootfs_tar
}

# The busybox root as a tarball (docker import, podman import).
rt_rootfs_tar() {
	ct_rootfs || return 1
	[ -s "$RT_DIR/rootfs.tar" ] || tar -C "$CT_ROOTFS" -cf "$RT_DIR/rootfs.tar" .
}

_rt_pre() { case "$RT_PRE" in *" $1 "*) return 0 ;; esac; return 1; }

# Kill process $1 (one we started) and wait up to 5 s for it to go.
_rt_stop_pid() {
	local pid="$1" i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.1
}

rt_cleanup() {
	local id ns pid m h d
	if [ -n "$RT_PODMAN_INIT" ]; then
		rt_podman rm -f -a -t 0 >/dev/null 2>&1
	fi
	if [ -n "$RT_DOCKERD_STARTED" ]; then
		ids=$(rt_docker ps -aq 2>/dev/null)
		[ -n "$ids" ] && rt_docker rm -f $ids >/dev/null 2>&1
		_rt_stop_pid "$(cat "$RT_DIR/dockerd.pid" 2>/dev/null)"
	fi
	if [ -n "$RT_CTD_STARTED" ]; then
		for ns in $(ctr -a "$RT_DIR/ctd.sock" ns ls -q 2>/dev/null); do
			for id in $(rt_ctr "$ns" task ls -q 2>/dev/null); do
				rt_ctr "$ns" task kill -s KILL "$id" >/dev/null 2>&1
			done
			for id in $(rt_ctr "$ns" task ls -q 2>/dev/null); do
				for _ in 1 2 3 4 5 6 7 8 9 10; do
					rt_ctr "$ns" task rm -f "$id" >/dev/null 2>&1 && break
					sleep 0.1
				done
			done
			for id in $(rt_ctr "$ns" c ls -q 2>/dev/null); do
				rt_ctr "$ns" c rm "$id" >/dev/null 2>&1
			done
		done
		_rt_stop_pid "$(cat "$RT_DIR/ctd.pid" 2>/dev/null)"
	fi
	# Shims and monitors of ours that outlived their daemon: found by our paths.
	for pid in $(pgrep -f "$RT_DIR" 2>/dev/null); do
		[ "$pid" != "$$" ] && kill -KILL "$pid" 2>/dev/null
	done
	# Mounts the runtimes left under our directory (shm, netns), deepest first.
	for m in $(awk -v d="$RT_DIR/" 'index($2, d) == 1 { print length($2), $2 }' /proc/mounts |
		   sort -rn | cut -d' ' -f2); do
		umount -l "$m" 2>/dev/null
	done
	# Our cgroups in every hierarchy, deepest first (the v2 tree: processes killed first).
	for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
		[ -d "$h$RT_CG" ] || continue
		for d in $(find "$h$RT_CG" -depth -type d 2>/dev/null); do
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
				rmdir "$d" 2>/dev/null && break
				sleep 0.1
			done
		done
	done
	rm -rf "$RT_DIR"
	_rt_pre /run/containerd/s || rmdir /run/containerd/s 2>/dev/null
	_rt_pre /run/containerd || rmdir /run/containerd 2>/dev/null
	_rt_pre /run/docker/plugins || rmdir /run/docker/plugins 2>/dev/null
	_rt_pre /run/docker || rmdir /run/docker 2>/dev/null
	_rt_pre /run/runc || rmdir /run/runc 2>/dev/null
	_rt_pre /etc/docker/key.json || rm -f /etc/docker/key.json
	_rt_pre /etc/docker || rmdir /etc/docker 2>/dev/null
	_rt_pre /var/lib/containers/cache || rm -rf /var/lib/containers/cache
	_rt_pre /var/lib/containers || rmdir /var/lib/containers 2>/dev/null
	return 0
}

# ---- containerd ------------------------------------------------------------------

rt_containerd_start() {
	cat > "$RT_DIR/containerd.toml" <<EOF
version = 2
root = "$RT_DIR/containerd/root"
state = "$RT_DIR/containerd/state"
# no CRI (it would want CNI), no snapshotters this machine cannot use
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$RT_DIR/ctd.sock"
[ttrpc]
  address = "$RT_DIR/ctd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
	containerd --config "$RT_DIR/containerd.toml" > "$RT_DIR/containerd.log" 2>&1 &
	echo $! > "$RT_DIR/ctd.pid"
	RT_CTD_STARTED=1
	t_wait_for 20 ctr -a "$RT_DIR/ctd.sock" version >/dev/null 2>&1 || {
		t_log "containerd did not start: $(tail -5 "$RT_DIR/containerd.log")"
		return 1
	}
}

rt_ctr() { local ns="$1"; shift; ctr -a "$RT_DIR/ctd.sock" -n "$ns" "$@"; }

rt_ctr_run() {
	local ns="$1" id="$2" opts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	rt_ctr "$ns" run -d --null-io --rootfs --runc-root "$RT_DIR/runc" --env PATH=/bin \
		--cgroup "$RT_CG/${RT_CTR_CGROUP:-$ns/$id}" "${opts[@]}" "$CT_ROOTFS" "$id" "$@"
}

rt_ctr_pid() { rt_ctr "$1" task ls 2>/dev/null | awk -v id="$2" '$1 == id { print $2 }'; }

# ---- Docker ----------------------------------------------------------------------

rt_dockerd_start() {
	cat > "$RT_DIR/daemon.json" <<EOF
{
  "data-root": "$RT_DIR/docker/data",
  "exec-root": "$RT_DIR/docker/exec",
  "pidfile": "$RT_DIR/dockerd.pid",
  "hosts": ["unix://$RT_DIR/docker.sock"],
  "containerd": "$RT_DIR/ctd.sock",
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "userland-proxy": false,
  "storage-driver": "vfs",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": "$RT_CG/docker",
  "log-driver": "none"
}
EOF
	"$RT_DOCKERD" --config-file "$RT_DIR/daemon.json" > "$RT_DIR/dockerd.log" 2>&1 &
	RT_DOCKERD_STARTED=1
	t_wait_for 30 rt_docker version >/dev/null 2>&1 || {
		t_log "dockerd did not start: $(tail -5 "$RT_DIR/dockerd.log")"
		return 1
	}
	rt_docker import "$RT_DIR/rootfs.tar" "$RT_IMAGE" >/dev/null
}

rt_docker() { "$RT_DOCKER" -H "unix://$RT_DIR/docker.sock" "$@"; }

# ---- podman ----------------------------------------------------------------------

rt_podman_init() {
	mkdir -p "$RT_DIR/podman" || return 1
	cat > "$RT_DIR/podman/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
# this machine lacks CAP_SYS_RESOURCE: limits no higher than the caller's
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RT_DIR/podman/events.log"
runtime = "runc"
tmp_dir = "$RT_DIR/podman/tmp"
volume_path = "$RT_DIR/podman/volumes"
static_dir = "$RT_DIR/podman/root/libpod"
[network]
network_config_dir = "$RT_DIR/podman/net"
EOF
	cat > "$RT_DIR/podman/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$RT_DIR/podman/run"
graphroot = "$RT_DIR/podman/root"
EOF
	echo 'unqualified-search-registries = []' > "$RT_DIR/podman/registries.conf"
	RT_PODMAN_INIT=1
	rt_podman import "$RT_DIR/rootfs.tar" "localhost/$RT_IMAGE" >/dev/null
}

rt_podman() {
	CONTAINERS_CONF="$RT_DIR/podman/containers.conf" \
	CONTAINERS_STORAGE_CONF="$RT_DIR/podman/storage.conf" \
	CONTAINERS_REGISTRIES_CONF="$RT_DIR/podman/registries.conf" \
	podman --root "$RT_DIR/podman/root" --runroot "$RT_DIR/podman/run" \
		--storage-driver vfs --cgroup-manager cgroupfs --runtime /usr/sbin/runc \
		--runtime-flag "root=$RT_DIR/podman/runc" --tmpdir "$RT_DIR/podman/tmp" \
		--events-backend file "$@"
}

rt_podman_run() { rt_podman run -d --cgroup-parent "$RT_CG/libpod_parent" "$@"; }

# ---- the agent's view --------------------------------------------------------------

rt_state_roots() {
	echo --state-root "$RT_DIR/containerd/state/io.containerd.runtime.v2.task" \
	     --state-root "$RT_DIR/docker/data/containers" \
	     --state-root "$RT_DIR/docker/exec/runtime-runc/moby" \
	     --state-root "$RT_DIR/podman/root/vfs-containers"
}
