# The attack-scenario kit: container escape and abuse techniques performed for
# real (tests/attacks/attack.c), and benign workloads, each run in a real
# container (tests/lib/container.sh) of the flavour it needs.
#
#   . tests/lib/common.sh; . tests/lib/container.sh; . tests/lib/attacks.sh
#   atk_build                   build $ATK_BIN (static) unless it is up to date
#   atk_rootfs FLAVOUR          prepare what FLAVOUR needs: the kit root file system
#                               $ATK_ROOTFS (busybox + /attack + the setuid-root /suid,
#                               built once, rebuilt when attack changes), and for
#                               "sock" the fake runtime sockets served on the host
#                               (one listener per test, in the test's own shell)
#   atk_run NAME                run scenario (or benign workload) NAME: start a
#                               container of its flavour running "sleep 3600", then
#                               ct_exec "sh -c COMMAND" in it (after the entrypoint's
#                               exec, as an attacker with a shell would), wait for it
#                               (at most $ATK_TIMEOUT s, default 20), print what it
#                               printed, stop the container (unless ATK_KEEP=1) and
#                               return the command's status (124 after a timeout).
#                               The container: pod "atk-NAME", namespace "atk",
#                               container name NAME (Kubernetes annotations).
#                               Sets ATK_CT (the container), ATK_OUT (a file holding
#                               the output), ATK_STATUS. Call it in the test's own
#                               shell, not in $(...) or a pipe: the cleanup it
#                               registers with t_defer must reach that shell
#                               (atk_run refuses, status 2, when it cannot).
#   atk_names FILE              the names in FILE: "scenarios", "benign" or a path
#   atk_field NAME FIELD        FIELD (name, category, flavour, command or 1-4) of
#                               NAME, from scenarios.tsv or benign.tsv
#
# Files: tests/attacks/scenarios.tsv and benign.tsv, tab-separated, a header line
# "name category flavour command" first, "#" lines are comments.
#
# Flavours:
#   plain     ct_start's default container (read-only root, default capabilities)
#   priv      CT_PRIVILEGED=1
#   privhost  CT_PRIVILEGED=1 CT_HOST_PID=1 (no cgroup namespace, like every flavour)
#   nonroot   CT_USER=1000:1000 CT_NEW_PRIVS=1 (so /suid, setuid root, works)
#   rw        CT_RW_ROOT=1 (a private writable copy of the kit root)
#   rwbuild   rw plus the host's /usr, /lib, /lib64 bound read-only (a compiler)
#   sock      plain plus the runtime socket paths below bound to host listeners:
#             /run/containerd/containerd.sock /var/run/docker.sock /run/crio/crio.sock
#             /run/podman/podman.sock /var/lib/kubelet/pod-resources/kubelet.sock
#   churn     (benign) 5 containers started with COMMAND as their entrypoint, waited
#             for and stopped; the output is their logs
#
# Inside the container COMMAND sees ATK_ROOT_DEV (MAJOR:MINOR of the host's root
# file system's device), ATK_ROOT_FSTYPE (its type) and, in privhost,
# ATK_HOST_PID (a "sleep" this started on the host for the run, killed after).
# Settings: ATK_TIMEOUT (20), ATK_KEEP (1: atk_run leaves the container running;
# ct_stop "$ATK_CT" or the exit cleanup stops it), ATK_DIR, ATK_BIN, ATK_ROOTFS.
# Everything is removed at exit (t_defer): containers, rw root copies, the listener
# and its sockets, the outputs, host sleeps, and a cgroup v1 hierarchy a killed
# release-agent run would leave.
# Works in bash and busybox ash.

if ! command -v ct_start >/dev/null 2>&1; then
	. "$(dirname "$0")/../lib/container.sh"
fi

ATK_DIR=${ATK_DIR:-$T_ROOT/tests/attacks}
ATK_BIN=${ATK_BIN:-$T_BUILD/tests/helpers/attack}
ATK_ROOTFS=${ATK_ROOTFS:-$T_BUILD/tests/attack-rootfs}
ATK_BASE_ROOTFS=$CT_ROOTFS
ATK_TIMEOUT=${ATK_TIMEOUT:-20}
ATK_SOCKDIR=$T_BUILD/tests/atk-sockets-$$
ATK_SOCKETS="containerd:/run/containerd/containerd.sock docker:/var/run/docker.sock
crio:/run/crio/crio.sock podman:/run/podman/podman.sock
kubelet:/var/lib/kubelet/pod-resources/kubelet.sock"
ATK_LISTENER=""
ATK_N=0
ATK_CT=""
ATK_OUT=""
ATK_STATUS=""

atk_build() {
	[ -x "$ATK_BIN" ] && [ ! "$ATK_DIR/attack.c" -nt "$ATK_BIN" ] && return 0
	mkdir -p "$(dirname "$ATK_BIN")" || return 1
	${CC:-gcc} -O2 -g -std=gnu11 -Wall -Wextra -Werror -static "$ATK_DIR/attack.c" \
		-o "$ATK_BIN.tmp.$$" && mv "$ATK_BIN.tmp.$$" "$ATK_BIN"
}

# The kit root: a copy of ct_rootfs's busybox root plus /attack, /suid (setuid
# root), a user 1000, and the directories and files the flavours bind onto (so
# the runtime never has to create a mount point in this shared, read-only root).
# Rebuilt when attack changes.
_atk_kit_rootfs() {
	local want tmp d s
	want="kit-2 $(cksum < "$ATK_BIN")"
	[ -f "$ATK_ROOTFS/etc/bh-kit" ] && [ "$(cat "$ATK_ROOTFS/etc/bh-kit")" = "$want" ] && return 0
	CT_ROOTFS=$ATK_BASE_ROOTFS ct_rootfs || return 1
	tmp=$ATK_ROOTFS.tmp.$$
	rm -rf "$tmp"
	cp -a "$ATK_BASE_ROOTFS" "$tmp" || return 1
	cp "$ATK_BIN" "$tmp/attack" && chmod 0755 "$tmp/attack" &&
		cp "$ATK_BIN" "$tmp/suid" && chown 0:0 "$tmp/suid" && chmod 4755 "$tmp/suid" || { rm -rf "$tmp"; return 1; }
	for d in run/containerd run/crio run/podman var/run var/lib/kubelet/pod-resources usr lib lib64; do
		mkdir -p "$tmp/$d" || { rm -rf "$tmp"; return 1; }
	done
	for s in $ATK_SOCKETS; do : > "$tmp${s#*:}"; done
	# runc gives the /tmp tmpfs the mode of the mount point: writable for user 1000 too.
	chmod 1777 "$tmp/tmp"
	echo 'user:x:1000:1000:user:/tmp:/bin/sh' >> "$tmp/etc/passwd"
	echo 'user:x:1000:' >> "$tmp/etc/group"
	echo "$want" > "$tmp/etc/bh-kit"
	rm -rf "$ATK_ROOTFS"
	mv "$tmp" "$ATK_ROOTFS"
}

_atk_sockets_up() {
	local s
	for s in $ATK_SOCKETS; do [ -S "$ATK_SOCKDIR/${s%%:*}.sock" ] || return 1; done
}

# Kill PID if it still is this shell's child named COMM (never a recycled pid).
# (Parameter expansion, not word splitting: t_run_deferred runs this with IFS=newline.)
_atk_kill_ours() {
	local stat comm ppid
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	comm=${stat#* (}; comm=${comm%%) *}
	ppid=${stat#*) ? }; ppid=${ppid%% *}
	if [ "$comm" = "$2" ] && [ "$ppid" = "$$" ]; then
		kill -9 "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
	return 0
}

# The fake runtime sockets: one host listener ("attack listen") answering "ok".
_atk_sockets() {
	local s paths=""
	[ -n "$ATK_LISTENER" ] && kill -0 "$ATK_LISTENER" 2>/dev/null && return 0
	if ! _atk_main_shell; then
		echo "atk_rootfs sock: call it in the test's own shell (its listener goes to t_defer)" >&2
		return 2
	fi
	mkdir -p "$ATK_SOCKDIR" || return 1
	t_defer "rm -rf '$ATK_SOCKDIR'"
	for s in $ATK_SOCKETS; do paths="$paths $ATK_SOCKDIR/${s%%:*}.sock"; done
	"$ATK_BIN" listen $paths > "$ATK_SOCKDIR/listen.log" 2>&1 &
	ATK_LISTENER=$!
	t_defer "_atk_kill_ours $ATK_LISTENER attack"
	t_wait_for 5 _atk_sockets_up || { t_log "atk: listener: $(cat "$ATK_SOCKDIR/listen.log")"; return 1; }
}

atk_rootfs() {
	atk_build || { t_log "atk: could not build $ATK_BIN"; return 1; }
	_atk_kit_rootfs || { t_log "atk: could not build $ATK_ROOTFS"; return 1; }
	case "${1:-plain}" in
	plain|priv|privhost|nonroot|rw|churn) ;;
	rwbuild) [ -x /usr/bin/gcc ] || { t_log "atk: rwbuild needs the host's /usr/bin/gcc"; return 1; } ;;
	sock) _atk_sockets || return 1 ;;
	*) t_log "atk: unknown flavour '$1'"; return 1 ;;
	esac
}

_atk_file() {
	case "$1" in
	scenarios|benign) echo "$ATK_DIR/$1.tsv" ;;
	*) echo "$1" ;;
	esac
}

atk_names() {
	awk -F'\t' '/^#/ || NF < 4 { next } !h { h = 1; next } { print $1 }' "$(_atk_file "${1:-scenarios}")"
}

atk_field() {
	local f
	case "$2" in name) f=1 ;; category) f=2 ;; flavour) f=3 ;; command) f=4 ;; [1-4]) f=$2 ;;
	*) t_log "atk_field NAME name|category|flavour|command"; return 2 ;;
	esac
	awk -F'\t' -v n="$1" -v f="$f" '/^#/ || NF < 4 { next } $1 == n { print $f; found = 1; exit }
		END { exit !found }' "$ATK_DIR/scenarios.tsv" "$ATK_DIR/benign.tsv"
}

# The release-agent technique's cgroup v1 hierarchy ("name=bhatk") outlives its
# unmount while it has a child cgroup: a run killed half-way (an enforcing
# detector) would leave it. Mount it in a private mount namespace, remove the
# children, unmount: the kernel then frees it.
_atk_cgroup_sweep() {
	grep -q ':name=bhatk:' /proc/self/cgroup || return 0
	unshare -m --propagation private sh -c 'd=$(mktemp -d) || exit 1
		if mount -t cgroup -o none,name=bhatk cgroup "$d"; then
			rmdir "$d"/*/ 2>/dev/null
			sleep 0.3
			umount "$d"
		fi
		rmdir "$d"'
}

# True in the shell that sourced this (not in a subshell, $(...) or a pipe).
_atk_main_shell() { [ "$(exec sh -c 'echo $PPID')" = "$$" ]; }

# Set (or with "unset", clear) the container.sh knobs of a flavour.
_atk_flavour() {
	local b="" s
	unset CT_PRIVILEGED CT_HOST_PID CT_USER CT_NEW_PRIVS CT_RW_ROOT CT_BINDS
	case "$1" in
	priv) CT_PRIVILEGED=1 ;;
	privhost) CT_PRIVILEGED=1; CT_HOST_PID=1 ;;
	nonroot) CT_USER=1000:1000; CT_NEW_PRIVS=1 ;;
	rw) CT_RW_ROOT=1 ;;
	rwbuild) CT_RW_ROOT=1; CT_BINDS="/usr:/usr:ro /lib:/lib:ro /lib64:/lib64:ro" ;;
	sock)
		for s in $ATK_SOCKETS; do b="$b $ATK_SOCKDIR/${s%%:*}.sock:${s#*:}"; done
		CT_BINDS=${b# } ;;
	esac
	return 0
}

# The host's root file system: "MAJOR:MINOR FSTYPE" from /proc/self/mountinfo.
_atk_root_dev() {
	awk '$5 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { d = $3; t = $(i + 1) } } END { print d, t }' \
		/proc/self/mountinfo
}

# Wait for background pid $1 at most $2 seconds; kill it after that. Sets _atk_rc.
_atk_wait() {
	local pid="$1" n=$(($2 * 20))
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		sleep 1
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		_atk_rc=124
		return
	fi
	wait "$pid"
	_atk_rc=$?
}

# churn: 5 containers with COMMAND as their entrypoint, started back to back,
# waited for (stopped), their logs printed, stopped and deleted.
_atk_churn() {
	local name="$1" cmd="$2" i n rc=0
	for i in 1 2 3 4 5; do
		ct_start "$ATK_CT-$i" "" "atk-$name" atk "$name" sh -c "$cmd" || { rc=1; break; }
	done
	for i in 1 2 3 4 5; do
		n=$((ATK_TIMEOUT * 20))
		while [ "$n" -gt 0 ] && _ct_rt state "$ATK_CT-$i" 2>/dev/null | grep -q '"status": *"running"'; do
			sleep 0.05
			n=$((n - 1))
		done
		[ "$n" -gt 0 ] || rc=124
		ct_log "$ATK_CT-$i"
	done
	for i in 1 2 3 4 5; do ct_stop "$ATK_CT-$i" || rc=1; done
	return "$rc"
}

atk_run() {
	local name="$1" fl cmd dev host="" envs
	if ! _atk_main_shell; then
		echo "atk_run: call it in the test's own shell, not in \$(...) or a pipe (its cleanup goes to t_defer)" >&2
		return 2
	fi
	fl=$(atk_field "$name" flavour) && cmd=$(atk_field "$name" command) ||
		{ echo "atk_run: no scenario or benign workload '$name'" >&2; return 2; }
	atk_rootfs "$fl" || return 1
	[ "$ATK_N" -gt 0 ] || t_defer _atk_cgroup_sweep
	ATK_N=$((ATK_N + 1))
	ATK_CT=atk$ATK_N-$name
	ATK_OUT=$T_BUILD/tests/atk-out-$$.$ATK_N
	t_defer "rm -f '$ATK_OUT'"
	: > "$ATK_OUT"
	set -- $(_atk_root_dev)
	envs="ATK_ROOT_DEV=$1 ATK_ROOT_FSTYPE=$2"
	if [ "$fl" = privhost ]; then
		sleep 120 &
		host=$!
		t_defer "_atk_kill_ours $host sleep"
		envs="$envs ATK_HOST_PID=$host"
	fi

	local saved_rootfs=$CT_ROOTFS
	CT_ROOTFS=$ATK_ROOTFS
	if [ "$fl" = churn ]; then
		_atk_churn "$name" "$cmd" > "$ATK_OUT" 2>&1
		ATK_STATUS=$?
	else
		_atk_flavour "$fl"
		if ct_start "$ATK_CT" "" "atk-$name" atk "$name" sleep 3600; then
			_atk_flavour unset
			CT_EXEC_ENV=$envs ct_exec "$ATK_CT" sh -c "$cmd" > "$ATK_OUT" 2>&1 &
			_atk_wait $! "$ATK_TIMEOUT"
			ATK_STATUS=$_atk_rc
			[ "${ATK_KEEP:-}" = 1 ] || ct_stop "$ATK_CT"
		else
			_atk_flavour unset
			echo "atk_run: the $fl container did not start: $(ct_log "$ATK_CT")" > "$ATK_OUT"
			ATK_STATUS=1
		fi
	fi
	CT_ROOTFS=$saved_rootfs
	[ -z "$host" ] || _atk_kill_ours "$host" sleep
	cat "$ATK_OUT"
	return "$ATK_STATUS"
}
