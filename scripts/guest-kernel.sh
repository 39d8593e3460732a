#!/bin/sh
# Fetch a Debian cloud kernel the QEMU guest tests boot, cached under build/.
#
#   sh scripts/guest-kernel.sh [BUILD_DIR [SERIES]]     (default: build 6.1)
#
# SERIES (the kernel matrix, tests/guest/run.sh's GUEST_KERNEL):
#   6.1    Debian 12 (bookworm), linux-image-6.1.0-N-cloud-amd64, from the machine's own
#          apt lists; cached in BUILD/guest/kernel
#   6.12   Debian 13 (trixie), linux-image-6.12.N+deb13-cloud-amd64, through a PRIVATE
#          apt configuration under BUILD/guest/apt-trixie (its own sources list, lists,
#          cache and an empty dpkg status): the machine's apt configuration and lists are
#          never touched; cached in BUILD/guest/kernel-6.12
# Picks the newest signed package (not -dbg, not -unsigned) that apt-cache lists with a
# candidate version, `apt-get download`s it and `dpkg -x`es it into a scratch directory,
# then keeps only what the guest needs:
#   DIR/vmlinuz          the kernel
#   DIR/config           its config (to check what is built in)
#   DIR/modules/*.ko     veth, overlay and what they depend on, in load order
#                        (.ko.xz / .ko.zst modules, as 6.12 ships them, are decompressed)
#   DIR/VERSION          the package name and version (the cache key)
# A second run finds VERSION and does nothing: no network, no apt.
# Set GUEST_KERNEL_PKG to pin a package name instead of the newest.
set -eu

BUILD=${1:-build}
SERIES=${2:-6.1}
MODULES="veth overlay"
APT_OPTS=""
case "$SERIES" in
6.1)
	DIR="$BUILD/guest/kernel"
	PATTERN='^linux-image-6\.1\.0-[0-9]+-cloud-amd64$'
	;;
6.12)
	DIR="$BUILD/guest/kernel-6.12"
	PATTERN='^linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64$'
	;;
*)
	echo "guest-kernel: unknown kernel series '$SERIES' (6.1 or 6.12)" >&2
	exit 2
	;;
esac

if [ -s "$DIR/VERSION" ] && [ -s "$DIR/vmlinuz" ] && [ -s "$DIR/modules/order" ]; then
	exit 0
fi

say() { echo "guest-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian machine"
command -v dpkg >/dev/null || die "dpkg not found: this needs a Debian machine"

if [ "$SERIES" = 6.12 ]; then
	# A private apt for trixie: sources list, lists, caches and dpkg status all under
	# BUILD/guest/apt-trixie. The archive is the one this machine already uses.
	A=$(mkdir -p "$BUILD/guest/apt-trixie" && cd "$BUILD/guest/apt-trixie" && pwd)
	mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/state"
	[ -e "$A/state/status" ] || : > "$A/state/status"
	mirror=$(grep -h -o -E 'https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 |
		sed 's/ *$//; s:/$::')
	echo "deb ${mirror:-http://deb.debian.org/debian} trixie main" > "$A/sources.list"
	APT_OPTS="-o Dir::Etc::sourcelist=$A/sources.list -o Dir::Etc::sourceparts=/dev/null
		-o Dir::State=$A/state -o Dir::State::Lists=$A/lists -o Dir::State::status=$A/state/status
		-o Dir::Cache=$A/cache -o APT::Sandbox::User=root"
	[ -n "$(ls "$A/lists" 2>/dev/null | grep -v -x -e partial -e lock)" ] || {
		say "private apt lists for trixie in $A: apt-get update"
		apt-get $APT_OPTS update -q >/dev/null || die "apt-get update (private trixie lists in $A) failed"
	}
fi
aget() { apt-get $APT_OPTS "$@"; }
acache() { apt-cache $APT_OPTS "$@"; }

newest() {
	acache search --names-only "$PATTERN" 2>/dev/null |
		cut -d' ' -f1 | sort -V -r | while read -r p; do
			# A name can be listed without a version to fetch (Candidate: (none)).
			c=$(acache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
			if [ -n "$c" ] && [ "$c" != "(none)" ]; then
				echo "$p"
				break
			fi
		done
}

pkg=${GUEST_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(newest)
	if [ -z "$pkg" ]; then
		# An empty package list means apt-get update never ran on this machine.
		say "no $PATTERN in apt's lists; running apt-get update"
		aget update -q >/dev/null || die "apt-get update failed"
		pkg=$(newest)
	fi
	[ -n "$pkg" ] || die "no $PATTERN package in Debian's archive lists"
fi
ver=$(acache policy "$pkg" | sed -n 's/^ *Candidate: *//p')
say "fetching $pkg $ver"

mkdir -p "$BUILD/guest"
tmp=$(mktemp -d "$BUILD/guest/kernel-$SERIES.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# apt-get download writes into the current directory, as the _apt user when it can;
# that user cannot reach a private build tree, so download as the caller.
mkdir "$tmp/dl"
download() { (cd "$tmp/dl" && aget download -q -o APT::Sandbox::User=root "$1" >/dev/null); }
if ! download "$pkg"; then
	# Stale lists name a version the archive no longer has: refresh once and retry.
	say "apt-get download $pkg failed; running apt-get update and retrying"
	aget update -q >/dev/null || die "apt-get update failed"
	[ -n "${GUEST_KERNEL_PKG:-}" ] || pkg=$(newest)
	ver=$(acache policy "$pkg" | sed -n 's/^ *Candidate: *//p')
	download "$pkg" || die "apt-get download $pkg failed"
fi
deb=$(ls "$tmp/dl"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
dpkg -x "$deb" "$tmp/x" || die "dpkg -x $deb failed"

out="$tmp/out"
mkdir -p "$out/modules"
vmlinuz=$(ls "$tmp/x/boot"/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] || die "$pkg holds no boot/vmlinuz-*"
cp "$vmlinuz" "$out/vmlinuz"
cp "$tmp/x/boot"/config-* "$out/config" 2>/dev/null || true
kver=${vmlinuz##*/vmlinuz-}
mdir="$tmp/x/lib/modules/$kver"
[ -d "$mdir" ] || mdir=$(ls -d "$tmp/x/usr/lib/modules/$kver" 2>/dev/null || true)
[ -d "$mdir" ] || die "$pkg holds no lib/modules/$kver"

# modules.dep is not in the package (depmod makes it at install time): ask modinfo
# for each module's dependencies and load them first.
order=""
add_module() {
	case " $order " in *" $1 "*) return 0 ;; esac
	f=$(find "$mdir/kernel" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -n 1)
	if [ -z "$f" ]; then
		# Built into the kernel: nothing to load.
		grep -q "/$1.ko" "$mdir/modules.builtin" 2>/dev/null && return 0
		die "module $1 is neither in $pkg nor built in"
	fi
	deps=$(modinfo -F depends "$f" 2>/dev/null | tr ',' ' ')
	for d in $deps; do add_module "$d"; done
	case "$f" in
	*.ko.xz) xz -dc "$f" > "$out/modules/$1.ko" ;;
	*.ko.zst) zstd -qdc "$f" > "$out/modules/$1.ko" ;;
	*) cp "$f" "$out/modules/$1.ko" ;;
	esac
	order="$order $1"
}
for m in $MODULES; do add_module "$m"; done
echo $order | tr ' ' '\n' > "$out/modules/order"
echo "$pkg $ver $kver" > "$out/VERSION"

rm -rf "$DIR"
mv "$out" "$DIR"
say "kernel $kver in $DIR (modules:$order)"
