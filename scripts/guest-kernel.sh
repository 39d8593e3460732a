#!/bin/sh
# Fetch the Debian 6.1 cloud kernel the QEMU guest tests boot, cached under build/.
#
#   sh scripts/guest-kernel.sh [BUILD_DIR]     (default: build)
#
# Picks the newest linux-image-6.1.0-N-cloud-amd64 (signed; not -dbg, not -unsigned)
# that apt-cache lists with a candidate version, `apt-get download`s it and `dpkg -x`es
# it into a scratch directory, then keeps only what the guest needs:
#   BUILD/guest/kernel/vmlinuz          the kernel
#   BUILD/guest/kernel/config           its config (to check what is built in)
#   BUILD/guest/kernel/modules/*.ko     veth, overlay and what they depend on, in load order
#   BUILD/guest/kernel/VERSION          the package name and version (the cache key)
# A second run finds VERSION and does nothing: no network, no apt.
# Set GUEST_KERNEL_PKG to pin a package name instead of the newest.
set -eu

BUILD=${1:-build}
DIR="$BUILD/guest/kernel"
MODULES="veth overlay"

if [ -s "$DIR/VERSION" ] && [ -s "$DIR/vmlinuz" ] && [ -s "$DIR/modules/order" ]; then
	exit 0
fi

say() { echo "guest-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian machine"
command -v dpkg >/dev/null || die "dpkg not found: this needs a Debian machine"

newest() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null |
		cut -d' ' -f1 | sort -V -r | while read -r p; do
			# A name can be listed without a version to fetch (Candidate: (none)).
			c=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
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
		say "no linux-image-6.1.0-*-cloud-amd64 in apt's lists; running apt-get update"
		apt-get update -q >/dev/null || die "apt-get update failed"
		pkg=$(newest)
	fi
	[ -n "$pkg" ] || die "no linux-image-6.1.0-*-cloud-amd64 package in Debian's archive lists"
fi
ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: *//p')
say "fetching $pkg $ver"

mkdir -p "$BUILD/guest"
tmp=$(mktemp -d "$BUILD/guest/kernel.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# apt-get download writes into the current directory, as the _apt user when it can;
# that user cannot reach a private build tree, so download as the caller.
mkdir "$tmp/dl"
download() { (cd "$tmp/dl" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null); }
if ! download "$pkg"; then
	# Stale lists name a version the archive no longer has: refresh once and retry.
	say "apt-get download $pkg failed; running apt-get update and retrying"
	apt-get update -q >/dev/null || die "apt-get update failed"
	[ -n "${GUEST_KERNEL_PKG:-}" ] || pkg=$(newest)
	ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: *//p')
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
