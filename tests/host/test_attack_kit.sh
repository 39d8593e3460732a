#!/bin/bash
# The attack-scenario kit (tests/lib/attacks.sh, tests/attacks/) proven without
# the agent: every scenario and every benign workload runs in a real runc
# container of its flavour, and each one is checked to have really run its
# technique (exit status, the "attack <technique>:" line with the result this
# kernel gives, the payload's markers), and the machine is checked to be as
# before (core_pattern, cgroup v1 hierarchies, containers, host processes, files).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/attacks.sh"

for tool in runc jq busybox gcc unshare; do
	if ! command -v "$tool" >/dev/null; then
		t_skip attack_kit "$tool missing (scripts/deps.sh test installs runc, jq, busybox-static)"
		exit 0
	fi
done

CATEGORIES="escape cgroup-escape namespace-change kernel-module ptrace runtime-socket fileless-exec"
CATEGORIES="$CATEGORIES drift sensitive-file privilege-escalation reverse-shell recon"
FLAVOURS=" plain priv privhost nonroot rw rwbuild sock churn "

# 1. the tables: names, categories and flavours known, at least one scenario per category
bad=""
for n in $(atk_names scenarios); do
	c=$(atk_field "$n" category); f=$(atk_field "$n" flavour)
	case " $CATEGORIES " in *" $c "*) ;; *) bad="$bad $n:category=$c" ;; esac
	case "$FLAVOURS" in *" $f "*) ;; *) bad="$bad $n:flavour=$f" ;; esac
done
for n in $(atk_names benign); do
	[ "$(atk_field "$n" category)" = - ] || bad="$bad $n:category"
	case "$FLAVOURS" in *" $(atk_field "$n" flavour) "*) ;; *) bad="$bad $n:flavour" ;; esac
done
for c in $CATEGORIES; do
	awk -F'\t' -v c="$c" '$2 == c { found = 1 } END { exit !found }' "$ATK_DIR/scenarios.tsv" || bad="$bad no-$c"
done
dups=$( (atk_names scenarios; atk_names benign) | sort | uniq -d)
[ -z "$dups" ] || bad="$bad duplicates:$dups"
if [ -z "$bad" ] && [ "$(atk_names scenarios | wc -l)" -ge 40 ] && [ "$(atk_names benign | wc -l)" -ge 8 ]; then
	t_pass atk_tables
else
	t_fail atk_tables "problems:$bad; $(atk_names scenarios | wc -l) scenarios, $(atk_names benign | wc -l) benign"
fi

if atk_build && atk_rootfs plain; then t_pass atk_build_rootfs
else t_fail atk_build_rootfs "could not build $ATK_BIN or $ATK_ROOTFS"; exit 1; fi

# 2. atk_run refuses to run where its cleanup would be lost
out=$(atk_run ns-unshare-user 2>&1)
if [ $? -eq 2 ] && echo "$out" | grep -q 'not in \$(...)'; then t_pass atk_run_refuses_subshell
else t_fail atk_run_refuses_subshell "atk_run in \$(...) printed: $out"; fi

# What this kernel gives each technique: an extended regex the output must match.
# Kernel-configuration dependent results are decided from the host.
exists_or() { if [ -e "$1" ]; then echo "$2"; else echo "$3"; fi; }
HOSTNAME_NOW=$(cat /proc/sys/kernel/hostname)
# a name in the host's / that the kit root does not have: shocker must list it
HOST_ONLY=$(for n in $(ls /); do [ -e "$ATK_ROOTFS/$n" ] || { echo "$n"; break; }; done)
expect() {
	case "$1" in
	escape-mount-cgroup1) echo '"net_cls"\) entries=[1-9][0-9]* rc=0 errno=0' ;;
	escape-mount-proc|escape-mount-sysfs) echo 'entries=[1-9][0-9]* rc=0 errno=0' ;;
	# / is mounted read-write: a read-only mount of its device is EBUSY
	escape-mount-rootdev) echo 'MS_RDONLY\) entries=(-1 rc=-1 errno=EBUSY|[0-9]+ rc=0 errno=0)' ;;
	escape-fsmount-tmpfs) echo 'fsopen\("tmpfs"\).* rc=0 errno=0' ;;
	escape-fsmount-proc) echo 'fsopen\("proc"\).* entries=[1-9][0-9]* rc=0 errno=0' ;;
	escape-pivot-root) echo 'rc=-1 errno=EINVAL' ;;
	escape-core-pattern) echo 'unchanged=yes rc=[1-9][0-9]* errno=0' ;;
	escape-modprobe-path) exists_or /proc/sys/kernel/modprobe 'unchanged=yes rc=[1-9][0-9]* errno=0' 'rc=-1 errno=ENOENT' ;;
	escape-uevent-helper) exists_or /sys/kernel/uevent_helper 'unchanged=yes rc=[0-9]+ errno=0' 'rc=-1 errno=ENOENT' ;;
	escape-sysrq-trigger) exists_or /proc/sysrq-trigger 'nothing written rc=[0-9]+ errno=0' 'rc=-1 errno=ENOENT' ;;
	escape-shocker) echo "host root entries=\[([^]]*,)?$HOST_ONLY(,[^]]*)?\] rc=[0-9]+ errno=0" ;;
	escape-setns-host) echo "5 of 5 joined.* rc=0 errno=0
attack-marker setns-host hostname=$HOSTNAME_NOW" ;;
	escape-nsenter-host) echo '^attack-marker nsenter-host$' ;;
	cgroup-release-agent) echo 'notify_on_release=1 \(wrote 1\), release_agent read [1-9][0-9]* bytes and wrote the same [1-9][0-9]* back rc=0 errno=0' ;;
	cgroup-notify-on-release) echo 'then restored "0" rc=1 errno=0' ;;
	cgroup-root-procs) echo 'cgroup then: /\), moved back to /.* rc=0 errno=0' ;;
	ns-clone-newpid-newnet) echo 'child_was_pid1=yes rc=[1-9][0-9]* errno=0' ;;
	ns-setns-peer) echo 'hostname now "bh-peer" rc=0 errno=0' ;;
	ns-*) echo 'rc=0 errno=0' ;;
	kmod-init-module|kmod-finit-module) exists_or /proc/modules 'rc=-1 errno=E[A-Z]+' 'rc=-1 errno=ENOSYS' ;;
	kmod-bpf-map) echo 'rc=[0-9]+ errno=0' ;;
	kmod-request) echo 'rc=(-1 errno=EAFNOSUPPORT|[0-9]+ errno=0)' ;;
	ptrace-attach-peer) echo 'stopped=yes, detached rc=0 errno=0' ;;
	ptrace-attach-host) echo '\[sleep\]\) stopped=yes, detached rc=0 errno=0' ;;
	ptrace-vm-writev|ptrace-proc-mem) echo 'child saw the write=yes rc=8 errno=0' ;;
	socket-*) echo 'reply="ok" rc=0 errno=0' ;;
	fileless-memfd) echo 'AT_EMPTY_PATH\) rc=[0-9]+ errno=0
^attack-marker memfd-exec$' ;;
	drift-cp) echo '^attack-marker drift-cp$' ;;
	drift-write) echo 'execve\(/tmp/busybox\) rc=0 errno=0
^attack-marker drift-write$' ;;
	drift-rw-root) echo '^attack-marker drift-rw-root$' ;;
	sensitive-kcore) exists_or /proc/kcore 'read 16 of 16 bytes rc=16 errno=0' 'rc=-1 errno=ENOENT' ;;
	# CONFIG_DEVMEM off: ENXIO; on, a read or a refusal (STRICT_DEVMEM, lockdown)
	sensitive-dev-mem) exists_or /dev/mem 'open\(/dev/bh-mem\) .* rc=' 'rc=-1 errno=ENXIO' ;;
	# this VM refuses its root block device to everyone (EPERM); elsewhere a read
	sensitive-rootdev-read) echo 'open\(/dev/bh-rootblk\) read (512 of 512 bytes rc=512 errno=0|-1 of 512 bytes rc=-1 errno=EPERM)' ;;
	sensitive-ld-so-preload) echo 'removed again rc=[0-9]+ errno=0' ;;
	privesc-suid-exec) echo 'setuid\(0\) as uid=1000 euid=0, now uid=1000 euid=0 rc=0 errno=0
 0 +1000 .*/tmp/bh-setuid0$' ;;
	privesc-setuid0) echo 'setuid\(0\) as uid=1000 euid=1000, .* rc=-1 errno=EPERM' ;;
	privesc-capset) echo 'rc=-1 errno=EPERM' ;;
	privesc-userfaultfd) echo 'UFFDIO_API=0, closed rc=[0-9]+ errno=0' ;;
	privesc-keyctl) echo 'revoked=yes, unlinked rc=[0-9]+ errno=0' ;;
	privesc-io-uring|recon-*) echo 'rc=[0-9]+ errno=0' ;;
	revshell-dup2) echo 'dup2 onto 0, 1, 2, .* rc=0 errno=0
^attack-marker reverse-shell$' ;;
	revshell-dup3) echo 'dup3 onto 0, 1, 2, .* rc=0 errno=0
^attack-marker reverse-shell-dup3$' ;;
	*) echo NO-EXPECTATION-FOR-THIS-SCENARIO ;;
	esac
}

# check NAME OUTFILE STATUS: the status, an "attack TECH:" line (with rc and
# errno) for every /attack or /suid call in the command, and each expected line.
check() {
	local n="$1" f="$2" st="$3" cmd tech re why=""
	cmd=$(atk_field "$n" command)
	[ "$st" -eq 0 ] || why="exit status $st;"
	for tech in $(echo "$cmd" | grep -oE '/(attack|suid) [a-z0-9-]+' | cut -d' ' -f2); do
		grep -qE "^attack $tech: .* rc=-?[0-9]+ errno=[A-Z0-9]+$" "$f" || why="$why no 'attack $tech:' line;"
	done
	while IFS= read -r re; do
		[ -n "$re" ] && ! grep -qE -- "$re" "$f" && why="$why no line matching /$re/;"
	done <<EOF
$(expect "$n")
EOF
	if [ -z "$why" ]; then t_pass "atk_$n"
	else t_fail "atk_$n" "$why output: $(head -c 600 "$f" | tr '\n' '|')"; fi
}

core_before=$(cat /proc/sys/kernel/core_pattern)
netcls_before=$(awk '$1 == "net_cls" { print $2 }' /proc/cgroups)
T0=$(date +%s)

# 3. every scenario
for n in $(atk_names scenarios); do
	atk_run "$n" > /dev/null 2>&1
	st=$?
	check "$n" "$ATK_OUT" "$st"
done

# 4. every benign workload: status 0 and its marker
for n in $(atk_names benign); do
	atk_run "$n" > /dev/null 2>&1
	st=$?
	want=1
	[ "$(atk_field "$n" flavour)" = churn ] && want=5
	got=$(grep -c "^benign-marker ${n#benign-}" "$ATK_OUT")
	if [ "$st" -eq 0 ] && [ "$got" -eq "$want" ]; then t_pass "atk_$n"
	else t_fail "atk_$n" "status $st, $got of $want markers; output: $(head -c 600 "$ATK_OUT" | tr '\n' '|')"; fi
done
t_log "scenarios and benign workloads took $(( $(date +%s) - T0 ))s"

# 5. ATK_KEEP=1 keeps the container for the caller (the detector test reads its cgroup)
ATK_KEEP=1 atk_run ns-unshare-user > /dev/null 2>&1
kept=$ATK_CT
if [ -n "$(ct_pid "$kept")" ] && [ -d "$(ct_cgroup_dir "$kept")" ]; then t_pass atk_keep
else t_fail atk_keep "container $kept not running after ATK_KEEP=1 atk_run"; fi
ct_stop "$kept"

# 6. the machine as before
if [ "$(cat /proc/sys/kernel/core_pattern)" = "$core_before" ]; then t_pass atk_core_pattern_unchanged
else t_fail atk_core_pattern_unchanged "core_pattern was '$core_before', now '$(cat /proc/sys/kernel/core_pattern)'"; fi

hier_gone() {
	! grep -q ':name=bhatk:' /proc/self/cgroup &&
		[ "$(awk '$1 == "net_cls" { print $2 }' /proc/cgroups)" = "$netcls_before" ]
}
if t_wait_for 5 hier_gone; then t_pass atk_cgroup_v1_hierarchies_freed
else t_fail atk_cgroup_v1_hierarchies_freed "still there: $(grep bhatk /proc/self/cgroup) net_cls: $(grep net_cls /proc/cgroups)"; fi

left=$(runc --root "$(ct_root)" list -q 2>/dev/null | tr '\n' ' ')
rw=$(ls -d "$CT_WORK"/*/rootfs 2>/dev/null | tr '\n' ' ')
hostsleep=$(pgrep -P $$ -x sleep | tr '\n' ' ')
if [ -z "$left$rw$hostsleep" ]; then t_pass atk_runs_leave_nothing
else t_fail atk_runs_leave_nothing "containers: $left; rw roots: $rw; host sleeps: $hostsleep"; fi

# 7. the cleanup at exit removes the rest: listener, sockets, outputs, containers' files
root=$(ct_root); work=$CT_WORK; listener=$ATK_LISTENER; sockdir=$ATK_SOCKDIR; out=$ATK_OUT
t_run_deferred
left=""
[ -d "$root" ] && left="$left $root"
[ -d "$work" ] && left="$left $work"
[ -e "$sockdir" ] && left="$left $sockdir"
[ -e "$out" ] && left="$left $out"
[ -n "$listener" ] && kill -0 "$listener" 2>/dev/null && left="$left listener:$listener"
for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
	[ -e "$h/$CT_TOP" ] && left="$left $h/$CT_TOP"
done
if [ -z "$left" ]; then t_pass atk_cleanup_complete; else t_fail atk_cleanup_complete "left behind:$left"; fi

t_finish
