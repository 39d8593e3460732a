#!/bin/sh
# Install what bulkhead needs from Debian's archive, idempotently.
#   scripts/deps.sh build   - compiler, BPF toolchain, static libraries
#   scripts/deps.sh demo    - build + what `make demo` uses (runc, a busybox root, jq)
#   scripts/deps.sh test    - build + what the test suite uses (qemu, runc, crun, rsyslog, ...)
#   scripts/deps.sh bench   - test + the peer tools the benchmarks measure against
#   scripts/deps.sh bench   - test + the peers the benchmarks compare with (bpftrace, libbpf-tools)
# Only packages that are missing are installed; `apt-get update` runs at most once.
set -eu

BUILD_PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev \
libjson-c-dev libmicrohttpd-dev pkg-config libclang-rt-14-dev"
TEST_PKGS="qemu-system-x86 busybox-static cpio runc crun iproute2 rsyslog prometheus \
jq procps util-linux kmod curl"
BENCH_PKGS="bpftrace libbpf-tools iptables nftables"
# The 6.12 guest kernel's modules are .ko.xz (scripts/guest-kernel.sh decompresses them).
TEST_PKGS="$TEST_PKGS xz-utils"
DEMO_PKGS="busybox-static runc jq iproute2"

want="$BUILD_PKGS"
case "${1:-build}" in
build) ;;
demo) want="$want $DEMO_PKGS" ;;
test) want="$want $TEST_PKGS" ;;
bench) want="$want $TEST_PKGS $BENCH_PKGS" ;;
*) echo "deps: usage: scripts/deps.sh [build|demo|test|bench]" >&2; exit 2 ;;
esac
[ "${1:-build}" = bench ] && want="$want $TEST_PKGS $BENCH_PKGS"

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing; run as root or: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# An empty package list means apt-get update never ran on this machine.
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
