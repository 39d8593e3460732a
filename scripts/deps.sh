#!/bin/sh
# Install what bulkhead needs from Debian's archive, idempotently.
#   scripts/deps.sh build   - compiler, BPF toolchain, static libraries
#   scripts/deps.sh demo    - build + what `make demo` uses (runc, a busybox root, jq)
#   scripts/deps.sh test    - build + what the test suite uses (qemu, runc, crun, rsyslog, ...)
#   scripts/deps.sh bench   - test + the peers the benchmarks compare with (bpftrace, libbpf-tools)
# Only packages that are missing are installed; `apt-get update` runs at most once.
# The container runtimes of the test set (containerd, docker.io, podman) are
# installed without letting their packages start system services: the tests
# start their own daemons with their own configuration (tests/lib/runtimes.sh).
set -eu

BUILD_PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev \
libjson-c-dev libmicrohttpd-dev pkg-config libclang-rt-14-dev"
TEST_PKGS="qemu-system-x86 busybox-static cpio runc crun iproute2 rsyslog prometheus \
jq procps util-linux kmod curl containerd docker.io podman"
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
# Keep the packages' maintainer scripts from starting services (dockerd and
# containerd with the machine's default configuration would make docker0 and
# iptables rules): a policy-rc.d that refuses, only if the machine has none,
# removed afterwards whatever happens.
prc=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$prc" ]; then
	printf '#!/bin/sh\n# bulkhead deps.sh: no service starts during install\nexit 101\n' >"$prc"
	chmod 755 "$prc"
	ours=1
	trap 'rm -f "$prc"' EXIT INT TERM
fi
apt_install() {
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "$@"
}
# An empty package list means apt-get update never ran on this machine.
if ! apt_install $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null
	apt_install $missing >/dev/null
fi
[ -n "$ours" ] && rm -f "$prc"
exit 0
