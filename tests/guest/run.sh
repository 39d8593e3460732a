#!/bin/sh
# Run the guest tests: boot a Debian cloud kernel (BPF LSM on) in QEMU (TCG) with an
# initramfs holding the static agent, busybox, crun and the cases in tests/guest/cases,
# and bring each case's PASS/FAIL/SKIP lines back to stdout.
#
#   sh tests/guest/run.sh [CASE...]          all cases, or only those named (guest_boot ...)
#   GUEST_KERNEL=6.1|6.12  which kernel of the matrix (default 6.1: Debian 12's; 6.12 is
#                        Debian 13's, fetched through a private apt configuration, see
#                        scripts/guest-kernel.sh); 6.12's initramfs and console go to
#                        build/guest/6.12/
#   BULKHEAD_CASES=guest_boot,guest_probe sh tests/guest/run.sh     the same, by environment
#   GUEST_TIMEOUT=1200   hard limit in seconds for the whole boot (default 1200; each case
#                        also has its own limit, BULKHEAD_CASE_TIMEOUT)
#   GUEST_KEEP_LOG=1     also copy the full console to stderr
#   AGENT=path           the static agent to test (default build/bulkhead-static)
#   GUEST_CASES_DIR=dir  where the cases come from (default tests/guest/cases)
#   GUEST_APPEND="..."   extra kernel command line (debugging the harness itself)
#   GUEST_SMP=N          vCPUs (default 2)
#   GUEST_OUT=dir        where the initramfs and console.log go (default build/guest)
#
# Needs build/bulkhead-static (make build/bulkhead-static, or make guest-test), and the
# packages qemu-system-x86, busybox-static, cpio, crun, jq, iproute2, kmod
# (scripts/deps.sh test).
# Caches under build/guest/: the kernel (scripts/guest-kernel.sh), the initramfs (rebuilt
# only when an input changes). The serial console is saved to build/guest/console.log.
#
# Exit status 0 only if the guest booted, ran every case, printed the end marker and no
# case failed. Anything else (no boot, panic, hang, missing tools) prints a
# `FAIL guest_harness: why` line and exits 1: the guest never passes silently.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
G=$BUILD/guest
GUEST_KERNEL=${GUEST_KERNEL:-6.1}
case "$GUEST_KERNEL" in
6.1) K=$G/kernel; O=${GUEST_OUT:-$G} ;;
6.12) K=$G/kernel-6.12; O=${GUEST_OUT:-$G/6.12} ;;
*) echo "FAIL guest_harness: GUEST_KERNEL=$GUEST_KERNEL: the matrix has 6.1 and 6.12"; exit 1 ;;
esac
TIMEOUT=${GUEST_TIMEOUT:-1200}
END_MARKER=BULKHEAD-GUEST-END
CASES_DIR=${GUEST_CASES_DIR:-tests/guest/cases}
CASES=$(echo "${*:-${BULKHEAD_CASES:-}}" | tr ' ' ',' | sed 's/,,*/,/g; s/^,//; s/,$//')

qpid=""
stage=""
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null
		i=0
		while kill -0 "$qpid" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	[ -n "$stage" ] && rm -rf "$stage"
	qpid=""
	stage=""
}
trap cleanup EXIT
trap 'cleanup; echo "FAIL guest_harness: interrupted"; exit 130' INT TERM HUP

fail() {
	echo "FAIL guest_harness: $*"
	exit 1
}
note() { echo "  # guest: $*" >&2; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

t_start=$(now_ms)

# --- tools --------------------------------------------------------------------------
# Dynamically linked programs the guest needs, copied with the libraries ldd lists:
# the container runtime, jq for tests/lib/container.sh, iproute2's ip (veth pairs and
# network namespaces; busybox's ip cannot name a veth peer).
GUEST_DYN_BINS="crun jq ip"
for tool in qemu-system-x86_64 timeout cpio gzip ldd sha256sum $GUEST_DYN_BINS; do
	command -v "$tool" >/dev/null 2>&1 ||
		fail "$tool not found; install the test packages: sh scripts/deps.sh test"
done
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || fail "$BUSYBOX not found; apt-get install busybox-static"
# Debian's busybox (dynamic) and busybox-static both install /bin/busybox: want the static one.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	fail "$BUSYBOX is dynamically linked; apt-get install busybox-static"
fi
DYN_BINS=""
for b in $GUEST_DYN_BINS; do DYN_BINS="$DYN_BINS $(command -v "$b")"; done
AGENT=${AGENT:-$BUILD/bulkhead-static}
# Static test helpers the cases use (copied to /bulkhead/build/tests/helpers/).
# bh-verify: bulkhead verify's technique runner (the escape cases run it in containers).
HELPERS="$BUILD/tests/helpers/bindtree $BUILD/tests/helpers/fmemo $BUILD/tests/helpers/mapexec $BUILD/verify/bh-verify"
for h in $HELPERS; do
	[ -x "$h" ] || fail "$h not built (make test-bins, or make guest-test)"
done
[ -x "$AGENT" ] || fail "$AGENT not built; run make build/bulkhead-static (or make guest-test)"

# --- kernel -------------------------------------------------------------------------
t0=$(now_ms)
kernel_cached=fetched
[ -s "$K/VERSION" ] && kernel_cached=cached
sh scripts/guest-kernel.sh "$BUILD" "$GUEST_KERNEL" ||
	fail "could not fetch the guest kernel $GUEST_KERNEL (scripts/guest-kernel.sh)"
[ -s "$K/vmlinuz" ] || fail "$K/vmlinuz missing after scripts/guest-kernel.sh"
t_kernel=$(($(now_ms) - t0))

# --- initramfs ----------------------------------------------------------------------
# Every input, by content: a changed case, helper, binary, library or module rebuilds it.
dyn_libs() {
	for b in $DYN_BINS; do
		ldd "$b" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }'
	done | LC_ALL=C sort -u
}
inputs() {
	echo "$BUSYBOX"
	echo "$AGENT"
	for b in $DYN_BINS; do echo "$b"; done
	dyn_libs
	echo tests/guest/init
	echo tests/guest/run.sh
	for h in $HELPERS; do echo "$h"; done
	find tests/lib -name '*.sh' | LC_ALL=C sort
	find "$CASES_DIR" tests/guest/lib policies -type f 2>/dev/null | LC_ALL=C sort
	echo "$K/VERSION"
	find "$K/modules" -type f | LC_ALL=C sort
}
t0=$(now_ms)
key=$(inputs | while read -r f; do
	sha256sum "$f" 2>/dev/null || echo "missing $f"
done | sha256sum | cut -d' ' -f1)
mkdir -p "$O" || fail "cannot make $O"
INITRD=$O/initrd.cpio.gz
if [ -s "$INITRD" ] && [ "$(cat "$O/initrd.key" 2>/dev/null)" = "$key" ]; then
	built=cached
else
	built=built
	stage=$(mktemp -d "$O/initramfs.XXXXXX") || fail "mktemp in $O"
	r=$stage
	mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/lib/modules" "$r/lib64" \
		"$r/etc" "$r/root" "$r/tmp" "$r/run" "$r/proc" "$r/sys" "$r/dev" "$r/newroot" \
		"$r/var" "$r/bulkhead/tests/guest" "$r/bulkhead/tests/lib" "$r/bulkhead/build" ||
		fail "staging the initramfs in $r"
	chmod 1777 "$r/tmp"
	cp "$BUSYBOX" "$r/bin/busybox"
	# One process for the applet links (chroot: --install puts them at their full paths).
	chroot "$r" /bin/busybox --install -s 2>/dev/null ||
		"$BUSYBOX" --list-full | while read -r applet; do
			[ -e "$r/$applet" ] || ln -s /bin/busybox "$r/$applet"
		done
	cp "$AGENT" "$r/bin/bulkhead"
	for b in $DYN_BINS; do
		# The real program, where the host has it, instead of a busybox applet.
		n=${b##*/}
		rm -f "$r/bin/$n" "$r/sbin/$n" "$r/usr/bin/$n" "$r/usr/sbin/$n"
		cp "$b" "$r/usr/${b#/usr/}" 2>/dev/null || cp "$b" "$r/usr/bin/$n" || fail "copying $b"
	done
	for lib in $(dyn_libs); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib" || fail "copying $lib (a library of$DYN_BINS)"
	done
	cp tests/guest/init "$r/init"
	chmod 0755 "$r/init"
	cp tests/lib/*.sh "$r/bulkhead/tests/lib/"
	# The busybox root file system containers use (tests/lib/container.sh's ct_rootfs
	# finds it built): made here once instead of in every boot.
	ctr=$r/bulkhead/build/tests/rootfs
	mkdir -p "$ctr/bin" "$ctr/proc" "$ctr/sys" "$ctr/dev" "$ctr/tmp" "$ctr/etc" "$ctr/root"
	cp "$BUSYBOX" "$ctr/bin/busybox"
	chroot "$ctr" /bin/busybox --install -s /bin 2>/dev/null ||
		for applet in $("$BUSYBOX" --list); do
			[ -e "$ctr/bin/$applet" ] || ln -s busybox "$ctr/bin/$applet"
		done
	echo 'root:x:0:0:root:/root:/bin/sh' > "$ctr/etc/passwd"
	echo 'root:x:0:' > "$ctr/etc/group"
	mkdir "$r/bulkhead/tests/guest/cases"
	[ -d "$CASES_DIR" ] && cp -R "$CASES_DIR"/. "$r/bulkhead/tests/guest/cases/"
	[ -d tests/guest/lib ] && cp -R tests/guest/lib "$r/bulkhead/tests/guest/lib"
	[ -d policies ] && cp -R policies "$r/bulkhead/policies"
	ln -s /bin/bulkhead "$r/bulkhead/build/bulkhead"
	ln -s /bin/bulkhead "$r/bulkhead/build/bulkhead-static"
	mkdir -p "$r/bulkhead/build/tests/helpers"
	cp $HELPERS "$r/bulkhead/build/tests/helpers/"
	cp "$K/modules/order" "$K"/modules/*.ko "$r/lib/modules/" 2>/dev/null
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
	echo bulkhead-guest > "$r/etc/hostname"
	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$INITRD.tmp" ||
		fail "packing the initramfs"
	mv "$INITRD.tmp" "$INITRD"
	echo "$key" > "$O/initrd.key"
	rm -rf "$stage"
	stage=""
fi
t_initrd=$(($(now_ms) - t0))

# --- boot ---------------------------------------------------------------------------
# softlockup_panic: a CPU stuck in the kernel panics the guest at once, its stack on the
# console (a panic prints whatever "quiet" holds back), instead of a silent wait for the timeout.
# watchdog_thresh=60 (a lockup after 120 s): under TCG the verifier can run a large BPF
# program load for more than the default 20 s without rescheduling; that is no hang.
append="console=ttyS0 quiet lsm=landlock,lockdown,yama,bpf panic=-1 softlockup_panic=1 watchdog_thresh=60"
[ -n "$CASES" ] && append="$append BULKHEAD_CASES=$CASES"
[ -n "${BULKHEAD_CASE_TIMEOUT:-}" ] && append="$append BULKHEAD_CASE_TIMEOUT=$BULKHEAD_CASE_TIMEOUT"
[ -n "${GUEST_APPEND:-}" ] && append="$append $GUEST_APPEND"
LOG=$O/console.log
rm -f "$LOG"
t0=$(now_ms)
# timeout(1) is the backstop if this script itself is killed (SIGKILL runs no trap):
# qemu then still goes, a little after our own deadline.
timeout --kill-after=5 $((TIMEOUT + 15)) \
	qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp "${GUEST_SMP:-2}" -nographic -no-reboot -nic none \
	-kernel "$K/vmlinuz" -initrd "$INITRD" -append "$append" </dev/null >"$LOG" 2>&1 &
qpid=$!
deadline=$((t0 + TIMEOUT * 1000))
timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
	if [ "$(now_ms)" -ge "$deadline" ]; then
		timed_out=1
		break
	fi
	sleep 0.2
done
t_boot=$(($(now_ms) - t0))
if [ $timed_out -eq 1 ]; then
	cleanup
	qrc=timeout
else
	wait "$qpid"
	qrc=$?
	qpid=""
fi

# --- verdicts -----------------------------------------------------------------------
# Serial output: CRLF line ends, and the firmware's terminal escapes before the kernel's.
out=$(tr -d '\r' < "$LOG" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[A-Za-z]//g')
printf '%s\n' "$out" | grep -E '^(PASS|FAIL|SKIP) '
nfail=$(printf '%s\n' "$out" | grep -c -E '^FAIL ')
nverdict=$(printf '%s\n' "$out" | grep -c -E '^(PASS|FAIL|SKIP) ')
end=$(printf '%s\n' "$out" | grep "^$END_MARKER" | tail -n 1)

tail_log() {
	echo "  # guest: last lines of $LOG:" >&2
	printf '%s\n' "$out" | tail -n 25 | sed 's/^/  #   /' >&2
}
[ "${GUEST_KEEP_LOG:-0}" = 1 ] && printf '%s\n' "$out" | sed 's/^/  #   /' >&2

note "kernel $(cut -d' ' -f1,2 "$K/VERSION") ($kernel_cached $(secs "$t_kernel")s), initramfs $built $(secs "$t_initrd")s, boot to verdict $(secs "$t_boot")s, total $(secs $(($(now_ms) - t_start)))s${end:+; $end}"

harness=""
if printf '%s\n' "$out" | grep -q -E 'Kernel panic|end Kernel panic'; then
	harness="the guest kernel panicked: $(printf '%s\n' "$out" | grep -m1 'Kernel panic')"
elif [ "$qrc" = timeout ]; then
	harness="the guest hung: no poweroff within ${TIMEOUT}s (GUEST_TIMEOUT)"
elif [ -z "$end" ]; then
	harness="the guest never printed $END_MARKER (qemu exit status $qrc): it did not boot or /init died"
elif [ "$qrc" -ne 0 ]; then
	harness="qemu exited with status $qrc"
elif [ "$nverdict" -eq 0 ]; then
	harness="the guest ran no case${CASES:+ (BULKHEAD_CASES=$CASES)}"
fi
if [ -n "$harness" ]; then
	tail_log
	fail "$harness"
fi
if [ "$nfail" -ne 0 ]; then
	# The cases' own diagnostics (t_log lines, per-case timing) help read a failure in CI.
	echo "  # guest: $nfail failed; the cases' notes follow, the whole console is in $LOG" >&2
	printf '%s\n' "$out" | grep '^  # ' | sed 's/^/  #   /' >&2
	exit 1
fi
exit 0
