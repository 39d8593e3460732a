# Guest-side environment for cases (busybox ash). Source it after tests/lib/common.sh.
#
# busybox-static's ash runs its own applets before anything in PATH, so `ip` would be
# busybox's (which cannot name a veth peer or manage network namespaces). The initramfs
# carries the real iproute2 ip at /usr/sbin/ip: route the name to it.
if [ -x /usr/sbin/ip ]; then
	ip() { /usr/sbin/ip "$@"; }
fi
