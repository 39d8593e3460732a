# Shared helpers for host and guest test scripts (bash and busybox ash).
#
# A test script sources this file, then reports each subtest with
#   t_pass NAME | t_fail NAME "what was expected, what happened" | t_skip NAME "reason"
# and registers every resource it creates with t_defer "command", which runs
# (last registered first) when the script exits, also on failure or signal.
# The suite runner counts the PASS/FAIL/SKIP lines.

T_ROOT=${T_ROOT:-$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)}
T_BUILD=${T_BUILD:-$T_ROOT/build}
T_BIN=${T_BIN:-$T_BUILD/bulkhead}
T_CGROUP2=${T_CGROUP2:-}
T_DEFERRED=""
T_FAILED=0

t_pass() { echo "PASS $1"; }
t_fail() { echo "FAIL $1: $2"; T_FAILED=$((T_FAILED + 1)); }
t_skip() { echo "SKIP $1: $2"; }
t_log()  { echo "  # $*" >&2; }

# t_check NAME CONDITION-COMMAND... : pass if the command succeeds.
t_check() {
	local name="$1"; shift
	if "$@"; then t_pass "$name"; else t_fail "$name" "expected success of: $*"; fi
}

t_defer() { T_DEFERRED="$1
$T_DEFERRED"; }

t_run_deferred() {
	local IFS='
'
	local cmd
	for cmd in $T_DEFERRED; do
		[ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1
	done
	T_DEFERRED=""
}
trap 't_run_deferred' EXIT
trap 't_run_deferred; exit 130' INT TERM

# The cgroup v2 mount: the machine's hybrid layout puts it at /sys/fs/cgroup/unified,
# a pure cgroup2 system (the guest) at /sys/fs/cgroup.
t_cgroup2_root() {
	if [ -n "$T_CGROUP2" ]; then echo "$T_CGROUP2"; return; fi
	if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts; then
		echo /sys/fs/cgroup/unified
	else
		echo /sys/fs/cgroup
	fi
}

# t_cgroup_create NAME: make a test cgroup (never the root) and print its path.
# Every cgroup made this way is removed when the script exits (processes still
# inside are killed first). Callers use cg=$(t_cgroup_create x): a subshell
# cannot register a cleanup, so the names carry the script's pid ($$ is the
# same in subshells) and one cleanup, registered below, finds them all.
t_cgroup_create() {
	local path
	path="$(t_cgroup2_root)/bulkhead-test-$1-$$"
	mkdir "$path" || return 1
	echo "$path"
}

t_cgroup_remove_ours() {
	local d
	for d in "$(t_cgroup2_root)"/bulkhead-test-*-"$$"; do
		[ -d "$d" ] && t_cgroup_remove "$d"
	done
}
t_defer t_cgroup_remove_ours

t_cgroup_remove() {
	local path="$1" i pid
	[ -d "$path" ] || return 0
	# Children first (depth-first), then the cgroup itself.
	for i in $(find "$path" -mindepth 1 -type d -depth 2>/dev/null); do
		t_cgroup_remove "$i"
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for pid in $(cat "$path/cgroup.procs" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		rmdir "$path" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# t_cgroup_id PATH: the cgroup id BPF sees (the directory's inode number).
t_cgroup_id() { stat -c %i "$1"; }

# t_in_cgroup PATH CMD...: run CMD inside the cgroup.
t_in_cgroup() {
	local path="$1"; shift
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$path" "$@"
}

# t_wait_for SECONDS CMD...: poll until CMD succeeds (10 times a second).
t_wait_for() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# t_mount_kernel_fs: what the agent and tests need mounted (no-op when present).
t_mount_kernel_fs() {
	grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	grep -q ' /sys/kernel/security securityfs ' /proc/mounts || mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	return 0
}

t_finish() { [ "$T_FAILED" -eq 0 ]; }
