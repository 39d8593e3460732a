#!/bin/sh
# The file/exec decision memo (bpf/lib/file_memo.bpf.h) never reuses a decision made under
# an older state. In a real crun container, with the memo on: a file read (or run) twice is
# allowed and memoized; then one change (a rename of the file, of a directory above it, of a
# directory above a binary invoked by the same name; a new hard link; a bind mount; a mount
# moved; a policy swap; the container's policy changed; another container with another
# policy on the same inode; a task moved into another container's cgroup; a name unlinked
# while open; another root) must give EPERM at once where it gave success, and success where
# it gave EPERM. Then the reference test: with the memo in verify mode (every hit is also
# decided in full), a container reads and runs random names while the host renames, links,
# unlinks, binds and moves mounts, frees unused dentries and swaps policies under it; no hit
# may differ from the full decision (bh_fmemo_stats mismatch counter 0), and hits must have
# happened.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

FM=$T_BUILD/tests/helpers/fmemo
fl_setup || { t_fail file_setup "policy directory / cgroup"; exit 1; }
pol_web() {	# $1: extra file rules (yaml lines)
	fl_policy web <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: web}
spec:
  selector: {containers: [web]}
  file:
    - {paths: [/tmp/deny/], action: deny}
    - {paths: ["/tmp/r/*/*.key"], ops: [read], action: deny}
    - {paths: [/tmp/r/deny/], action: deny}
    - {paths: ["/tmp/ok/z (deleted)", /x/], action: deny}
$1
  exec:
    deny: [/tmp/xdeny/, /tmp/r/deny/]
EOF
}
pol_db() {	# $1: the container it selects
	fl_policy db <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: db}
spec:
  selector: {containers: [$1]}
  file:
    - {paths: [/tmp/ok/c, /etc/group], action: deny}
EOF
}
pol_free() {	# $1: the spec's rules (yaml lines) of the container "free" (none at first)
	fl_policy free <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: free}
spec:
  selector: {containers: [free]}
$1
EOF
}
pol_web ""
pol_db db
for c in web db free; do
	ct_start "$c" "" "pod-$c" shop "$c" || { t_fail file_setup "container $c: $(ct_log "$c")"; exit 1; }
done
R=$(fl_root web)
mkdir -p "$R/tmp/ok/d1/d2" "$R/tmp/deny" "$R/tmp/xdeny" "$R/tmp/bin" "$R/tmp/ok/mnt" "$R/tmp/deny/mnt" \
	"$R/tmp/deny/bm" "$R/tmp/ok/bd" || { t_fail file_setup "directories"; exit 1; }
for f in f1 f2 h p c; do echo "$f" > "$R/tmp/ok/$f"; done
echo deep > "$R/tmp/ok/d1/d2/f"
echo v > "$R/tmp/deny/v"; echo l > "$R/tmp/deny/l"; echo bv > "$R/tmp/deny/bv"
cp "$R/bin/busybox" "$R/tmp/bin/true" && ln -s /tmp/bin "$R/tmp/run" || { t_fail file_setup "binaries"; exit 1; }
[ -x "$FM" ] || { t_fail file_setup "no $FM"; exit 1; }

if ! fl_agent file; then t_fail file_agent_starts "$FL_WHY"; exit 1; fi
fl_wait web EPERM 'cat /tmp/deny/v' || t_log "web's policy not in force after 10 s"
pid=$(ct_pid web)
# As root in the container's mount namespace and root, outside its cgroup (never policed).
in_ns() { nsenter -t "$pid" -m -r sh -c "$1"; }
hits() { "$FM" stats | awk -v h="$1" '{ for (i = 1; i <= NF; i++) if ($i == h) print $(i + 1) }'; }
twice() {	# name, then a command run twice in one exec: the second is a memo hit
	fl_expect "$1" OK web "$2 >/dev/null && $2"
}
hits_in_free() {	# NAME CMD WHAT: CMD (execs) succeeds in free ($1_runs) and hits twice ($1_hit)
	local x0 x1
	x0=$(hits exec)
	fl_expect "$1_runs" OK free "$2"
	x1=$(hits exec)
	if [ "${x1:-0}" -ge "$((${x0:-0} + 2))" ]; then t_pass "$1_hit"
	else t_fail "$1_hit" "exec hits $x0 -> $x1 after $3"; fi
}

# --- the memo is used -----------------------------------------------------------------------
"$FM" mode on count || t_fail memo_hit_counted "cannot set the memo's mode"
h0=$(hits open)
twice memo_read_twice 'cat /tmp/ok/f1'
h1=$(hits open)
if [ "${h1:-0}" -gt "${h0:-0}" ]; then t_pass memo_hit_counted
else t_fail memo_hit_counted "open hits $h0 -> $h1 after reading /tmp/ok/f1 twice"; fi

# --- a rename of the file, and of a directory above it ---------------------------------------
twice memo_rename_before 'cat /tmp/ok/f2'
mv "$R/tmp/ok/f2" "$R/tmp/deny/f2"
fl_expect memo_rename_file_denied EPERM web 'cat /tmp/deny/f2'
twice memo_rename_dir_before 'cat /tmp/ok/d1/d2/f'
mv "$R/tmp/ok/d1" "$R/tmp/deny/d1"
fl_expect memo_rename_dir_denied EPERM web 'cat /tmp/deny/d1/d2/f'
fl_expect memo_rename_back_before EPERM web 'cat /tmp/deny/v'
mv "$R/tmp/deny/v" "$R/tmp/ok/v"
fl_expect memo_rename_allowed_after OK web 'cat /tmp/ok/v'

# --- exec: the same invoked name, its directory renamed under the symlink --------------------
twice memo_exec_before '/tmp/run/true'
mv "$R/tmp/bin" "$R/tmp/xdeny/bin" && ln -sfn /tmp/xdeny/bin "$R/tmp/run"
fl_expect memo_exec_dir_renamed_denied EPERM web '/tmp/run/true'
mv "$R/tmp/xdeny/bin" "$R/tmp/bin" && ln -sfn /tmp/bin "$R/tmp/run"
fl_expect memo_exec_renamed_back_allowed OK web '/tmp/run/true'

# --- exec: the same binary under another invoked name, which a rule denies -----------------
ln -s /tmp/bin/true "$R/tmp/xdeny/true"
fl_expect memo_exec_other_name_denied EPERM web '/tmp/bin/true && /tmp/bin/true && /tmp/xdeny/true'

# --- a new hard link -------------------------------------------------------------------------
twice memo_link_before 'cat /tmp/ok/h'
ln "$R/tmp/ok/h" "$R/tmp/deny/h" && rm "$R/tmp/ok/h"	# its only name is now a denied one
fl_expect memo_link_denied EPERM web 'cat /tmp/deny/h'
ln "$R/tmp/deny/l" "$R/tmp/ok/l"
fl_expect memo_link_allowed_after OK web 'cat /tmp/ok/l'
fl_expect memo_link_old_name_denied EPERM web 'cat /tmp/deny/l'

# --- a name unlinked while open: its path now ends in " (deleted)" ---------------------------
echo z > "$R/tmp/ok/z"
twice memo_unlinked_before 'cat /tmp/ok/z'
fl_expect memo_unlinked_open_denied EPERM web \
	'exec 3</tmp/ok/z; cat /tmp/ok/z >/dev/null && cat /tmp/ok/z >/dev/null && rm /tmp/ok/z && cat /proc/self/fd/3'

# --- another root (chroot): the same file under another name ---------------------------------
# A task of web chrooted into /tmp/ok waits; web then reads /tmp/ok/x/s twice (memoized under
# the container's root); the chrooted task's read of the same file, /x/s in its root, is
# decided for that name (crun exec --cap: the container has no CAP_SYS_CHROOT of its own).
mkdir -p "$R/tmp/ok/x" "$R/tmp/ok/bin" && echo s > "$R/tmp/ok/x/s" && cp "$R/bin/busybox" "$R/tmp/ok/bin/busybox"
rm -f "$R/tmp/ok/ready" "$R/tmp/ok/go" "$T_WORK/chroot.out"
_ct_rt exec --cap CAP_SYS_CHROOT web chroot /tmp/ok /bin/busybox sh -c \
	"echo > /ready; while [ ! -e /go ]; do /bin/busybox sleep 0.1; done; /bin/busybox cat /x/s" \
	</dev/null > "$T_WORK/chroot.out" 2>&1 &
if t_wait_for 10 test -e "$R/tmp/ok/ready"; then
	twice memo_root_before 'cat /tmp/ok/x/s'
	touch "$R/tmp/ok/go"
	wait $!
	case $(cat "$T_WORK/chroot.out") in
	*"not permitted"*) t_pass memo_root_chroot_denied ;;
	*) t_fail memo_root_chroot_denied "/x/s in the chrooted task: $(cat "$T_WORK/chroot.out")" ;;
	esac
else
	t_fail memo_root_chroot_denied "the chrooted task did not start: $(cat "$T_WORK/chroot.out")"
	kill $! 2>/dev/null
fi

# --- a bind mount, and a mount moved ---------------------------------------------------------
twice memo_bind_before 'cat /tmp/ok/p'
in_ns 'mount -o rprivate / 2>/dev/null; mount --bind /tmp/ok /tmp/deny/bm' ||
	t_log "bind mount in the container's namespace failed"
fl_expect memo_bind_denied EPERM web 'cat /tmp/deny/bm/p'
fl_expect memo_bind_old_name_allowed OK web 'cat /tmp/ok/p'
in_ns 'mount --bind /tmp/deny /tmp/ok/bd'
# /tmp is the container's own tmpfs (a volume): the name through the new mount decides
fl_expect memo_bind_allowed_after OK web 'cat /tmp/ok/bd/bv'
if in_ns 'mount -t tmpfs fm /tmp/ok/mnt && echo m > /tmp/ok/mnt/m'; then
	twice memo_move_before 'cat /tmp/ok/mnt/m'
	in_ns 'mount -o move /tmp/ok/mnt /tmp/deny/mnt' || t_log "mount -o move failed"
	fl_expect memo_mount_moved_denied EPERM web 'cat /tmp/deny/mnt/m'
	in_ns 'mount -o move /tmp/deny/mnt /tmp/ok/mnt'
	fl_expect memo_mount_moved_back_allowed OK web 'cat /tmp/ok/mnt/m'
else
	t_fail memo_mount_moved_denied "cannot mount a tmpfs in the container's namespace"
fi

# --- another container, another policy, the same inode (the shared root file system) --------
twice memo_shared_inode_web 'cat /etc/group'
fl_expect memo_shared_inode_db_denied EPERM db 'cat /etc/group'
fl_expect memo_shared_inode_web_again OK web 'cat /etc/group'

# --- a task moved into another container's cgroup: that container's policy, at once ---------
# (a hit compares the task's css_set; a move bumps the memo's epoch, put_css_set_locked).
# Two reading loops in web, one moved to db's cgroup: the one left in web keeps memoizing its
# allows, under the same root and mount, which the moved one must not reuse.
cgl="$R/tmp/cg-log"
cg_loop() { ct_exec_bg web sh -c "while [ ! -e /tmp/cg-stop ]; do
	if cat /etc/group >/dev/null 2>&1; then echo OK; else echo EPERM; fi; sleep 0.05; done > $1"; }
stay=$(cg_loop /tmp/cg-stay)
bg=$(cg_loop /tmp/cg-log)
moved() {	# $1: the word every line after the first $2 lines must say, from some line on
	tail -n +"$(($2 + 1))" "$cgl" | grep -q "$1" &&
		[ -z "$(tail -n +"$(($2 + 1))" "$cgl" | sed -n "/$1/,\$p" | grep -v "^$1\$")" ]
}
if [ -n "$bg" ] && t_wait_for 10 grep -q OK "$cgl"; then
	n0=$(wc -l < "$cgl")
	echo "$bg" > "$(ct_cgroup_dir db)/cgroup.procs" || t_log "cannot move $bg into db's cgroup"
	if t_wait_for 10 moved EPERM "$n0"; then t_pass memo_cgroup_move_denied
	else t_fail memo_cgroup_move_denied "after the move into db's cgroup: $(tail -n +"$((n0 + 1))" "$cgl" | sort | uniq -c | tr '\n' ' ')"; fi
	n1=$(wc -l < "$cgl")
	echo "$bg" > "$(ct_cgroup_dir web)/cgroup.procs" || t_log "cannot move $bg back into web's cgroup"
	if t_wait_for 10 moved OK "$n1"; then t_pass memo_cgroup_move_back_allowed
	else t_fail memo_cgroup_move_back_allowed "after the move back: $(tail -n +"$((n1 + 1))" "$cgl" | sort | uniq -c | tr '\n' ' ')"; fi
else
	t_fail memo_cgroup_move_denied "the reading loop in web did not start"
fi
grep -q EPERM "$R/tmp/cg-stay" && t_fail memo_cgroup_move_denied "web's own loop was refused"
touch "$R/tmp/cg-stop"
kill $bg $stay 2>/dev/null

# --- a policy swap ---------------------------------------------------------------------------
agent_pid=$(cat "$T_WORK/file.pid")
twice memo_swap_before 'cat /tmp/ok/f1'
pol_web '    - {paths: [/tmp/ok/f1], action: deny}'
kill -HUP "$agent_pid"
if fl_wait web EPERM 'cat /tmp/ok/f1'; then t_pass memo_swap_denied
else t_fail memo_swap_denied "/tmp/ok/f1 still readable 10 s after the swap"; fi
pol_web ""
kill -HUP "$agent_pid"
if fl_wait web OK 'cat /tmp/ok/f1'; then t_pass memo_swap_allowed_after
else t_fail memo_swap_allowed_after "/tmp/ok/f1 still refused 10 s after the swap back"; fi

# --- the container's policy changed (web now selected by db's policy) ------------------------
twice memo_policy_change_before 'cat /tmp/ok/c'
rm -f "$FL_POL/web.yaml"
pol_db web
kill -HUP "$agent_pid"
if fl_wait web EPERM 'cat /tmp/ok/c'; then t_pass memo_policy_change_denied
else t_fail memo_policy_change_denied "/tmp/ok/c still readable 10 s after web's policy changed"; fi
pol_db db
pol_web ""
kill -HUP "$agent_pid"
if fl_wait web OK 'cat /tmp/ok/c'; then t_pass memo_policy_change_allowed_after
else t_fail memo_policy_change_allowed_after "/tmp/ok/c still refused 10 s after web's policy came back"; fi

# --- a container without a policy (remembered as such), then selected by one --------------
# A reading loop in free (no exec between: nothing but the policy change moves the epoch).
RF=$(fl_root free)
ct_exec_bg free sh -c "while [ ! -e /tmp/np-stop ]; do
	if cat /etc/group >/dev/null 2>&1; then echo OK; else echo EPERM; fi; sleep 0.05; done > /tmp/np-log" >/dev/null
last_is() { [ "$(tail -n 1 "$RF/tmp/np-log" 2>/dev/null)" = "$1" ]; }
if t_wait_for 10 last_is OK; then
	t_pass memo_unpoliced_before
	pol_free '  file: [{paths: [/etc/group], action: deny}]'
	kill -HUP "$agent_pid"
	if t_wait_for 10 last_is EPERM; then t_pass memo_unpoliced_then_denied
	else t_fail memo_unpoliced_then_denied "the loop in free still reads /etc/group 10 s after its policy came"; fi
	rm -f "$FL_POL/free.yaml"
	kill -HUP "$agent_pid"
	if t_wait_for 10 last_is OK; then t_pass memo_unpoliced_again_allowed
	else t_fail memo_unpoliced_again_allowed "the loop in free still refused 10 s after its policy went"; fi
else
	t_fail memo_unpoliced_before "the reading loop in free did not start"
fi
touch "$RF/tmp/np-stop"

# --- an allow-list (no rule checks the invoked name): an exec is kept for any name -----------
# A name of 80 bytes: too long for the memo to keep, so only a memo for any name can hit.
long=/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
mkdir -p "$RF$long" "$RF/tmp/other" && cp "$RF/bin/busybox" "$RF$long/true" &&
	cp "$RF/bin/busybox" "$RF/tmp/other/true" || t_fail memo_anyname_hit "setup"
pol_free "  defaults: {exec: deny}
  exec: {allow: [/bin/, \"$long/\"]}"
kill -HUP "$agent_pid"
fl_wait free EPERM /tmp/other/true || t_log "free's allow-list not in force after 10 s"
hits_in_free memo_anyname "$long/true && $long/true && $long/true" "running an 80-byte name three times"
fl_expect memo_anyname_default_denied EPERM free '/tmp/other/true'

# --- exact deny names: only a name as long as a denied one is read ----------------------------
# /tmp/nl/false (13 bytes) is denied by name; the binary runs as /tmp/nl/true (12) and
# through the symlink /tmp/n/true (11), which hit without the name read, and as the symlink
# /tmp/nl/false (13): its length's bit is set, so the name is read, and refused.
mkdir -p "$RF/tmp/nl" "$RF/tmp/n" && cp "$RF/bin/busybox" "$RF/tmp/nl/true" &&
	ln -s ../nl/true "$RF/tmp/n/true" && ln -s true "$RF/tmp/nl/false" || t_fail memo_name_len_hit "setup"
pol_free "  exec: {deny: [/tmp/nl/false, /tmp/nl/tool-of-32-bytes-exactly-xx]}"
kill -HUP "$agent_pid"
fl_wait free EPERM /tmp/nl/false || t_log "free's exec deny names not in force after 10 s"
hits_in_free memo_name_len '/tmp/nl/true && /tmp/nl/true && /tmp/n/true && /tmp/n/true' \
	"running names no rule can deny"
fl_expect memo_name_len_denied EPERM free '/tmp/nl/true && /tmp/nl/true && /tmp/nl/false'
# The length computed without reading the name (the kernel's exec bookkeeping) agreed with
# the name read on every miss and every read hit of this case: the check never tripped.
if [ "$("$FM" kflags)" = 0 ]; then t_pass memo_name_len_checked
else t_fail memo_name_len_checked "bh_memo_ctl.kflags $("$FM" kflags): a computed name length was wrong"; fi
rm -f "$FL_POL/free.yaml"
kill -HUP "$agent_pid"
fl_wait free OK '! /tmp/nl/false 2>&1 | grep -q "not permitted"' || t_log "free's policy not gone after 10 s"

# --- what does not move the epoch: a file renamed, a namespace joined -----------------------
# A file's rename changes its own d_seq (memo_rename_file_denied: refused at once); a
# directory's renames what is below it, and moves the epoch. setns() into a mount namespace
# makes no mount.
e0=$("$FM" epoch); mv "$R/tmp/ok/f1" "$R/tmp/ok/f1b"; e1=$("$FM" epoch)
nsenter -t "$pid" -m true; e2=$("$FM" epoch)
mkdir "$R/tmp/ok/dm"; mv "$R/tmp/ok/dm" "$R/tmp/ok/dm2"; e3=$("$FM" epoch)
if [ "$e0" = "$e1" ] && [ "$e1" = "$e2" ] && [ "$e3" != "$e2" ]; then t_pass memo_epoch_kept
else t_fail memo_epoch_kept "epoch $e0, after a file rename $e1, after setns $e2, after a directory rename $e3"; fi

# --- reference: random reads and execs against random changes, every hit checked in full -----
"$FM" mode verify count || t_fail memo_reference "cannot set verify mode"
st0=$("$FM" stats)
for d in a b deny; do
	mkdir -p "$R/tmp/r/$d"
	for f in f0 f1 x.key; do echo "$f" > "$R/tmp/r/$d/$f"; done
	cp "$R/bin/busybox" "$R/tmp/r/$d/true"
done
# The container: reads and runs random names, as fast as it can, for the whole phase.
cat > "$R/tmp/r-loop.sh" <<'EOF'
names="a b deny"
files="f0 f1 x.key true"
i=0
while [ ! -e /tmp/r-stop ]; do
	set -- $names; shift $((RANDOM % 3)); d=$1
	set -- $files; shift $((RANDOM % 4)); f=$1
	cat /tmp/r/$d/$f >/dev/null 2>&1; cat /tmp/r/$d/$f >/dev/null 2>&1
	[ $((i % 4)) = 0 ] && /tmp/r/$d/true 2>/dev/null
	i=$((i + 1))
done
echo $i > /tmp/r-done
EOF
ct_exec_bg web sh /tmp/r-loop.sh >/dev/null || t_fail memo_reference "cannot start the loop"
n=0
while [ $n -lt 40 ]; do
	set -- a b deny; shift $((RANDOM % 3)); d1=$1
	set -- a b deny; shift $((RANDOM % 3)); d2=$1
	set -- f0 f1 x.key true; shift $((RANDOM % 4)); f=$1
	case $((RANDOM % 9)) in
	0|1) [ -e "$R/tmp/r/$d1/$f" ] && [ ! -e "$R/tmp/r/$d2/$f" ] && mv "$R/tmp/r/$d1/$f" "$R/tmp/r/$d2/$f" ;;
	2) [ "$d1" != "$d2" ] && mv "$R/tmp/r/$d1" "$R/tmp/r/tmp.$$" && mv "$R/tmp/r/$d2" "$R/tmp/r/$d1" &&
		mv "$R/tmp/r/tmp.$$" "$R/tmp/r/$d2" ;;	# two directories swap names
	3) [ -e "$R/tmp/r/$d1/$f" ] && [ ! -e "$R/tmp/r/$d2/$f" ] && ln "$R/tmp/r/$d1/$f" "$R/tmp/r/$d2/$f" ;;
	4) [ -e "$R/tmp/r/$d1/$f" ] && rm -f "$R/tmp/r/$d1/$f" && { [ "$f" = true ] &&
		cp "$R/bin/busybox" "$R/tmp/r/$d1/$f" || echo new > "$R/tmp/r/$d1/$f"; } ;;
	5) in_ns "umount /tmp/r/$d2 2>/dev/null; mount --bind /tmp/r/$d1 /tmp/r/$d2" ;;
	6) in_ns "umount /tmp/r/$d1 2>/dev/null || umount /tmp/r/$d2 2>/dev/null; true" ;;
	8) echo 2 > /proc/sys/vm/drop_caches ;;	# unused dentries freed: their pointers reused
	7) if [ $((n % 16)) = 7 ]; then
		pol_web "    - {paths: [/tmp/r/$d1/], ops: [read], action: deny}"
		kill -HUP "$agent_pid"
	fi ;;
	esac
	sleep 0.2
	n=$((n + 1))
done
touch "$R/tmp/r-stop"
t_wait_for 20 test -e "$R/tmp/r-done" || t_log "the container's loop did not stop"
loops=$(cat "$R/tmp/r-done" 2>/dev/null)
st=$("$FM" stats)
t_log "reference: $loops container loops; memo stats (hit miss store mismatch per hook): $st"
mism=$(( $(echo "$st" | awk '{ print $5 + $10 + $15 }') - $(echo "$st0" | awk '{ print $5 + $10 + $15 }') ))
vhits=$(( $(echo "$st" | awk '{ print $2 + $7 + $12 }') - $(echo "$st0" | awk '{ print $2 + $7 + $12 }') ))
if [ "${mism:-1}" -eq 0 ] && [ "${vhits:-0}" -gt 0 ]; then t_pass memo_reference_no_mismatch
else t_fail memo_reference_no_mismatch "mismatches $mism, hits $vhits ($st)"; fi
in_ns 'for d in a b deny; do umount /tmp/r/$d 2>/dev/null; umount /tmp/r/$d 2>/dev/null; done; true'
"$FM" mode on
t_finish
