#!/bin/sh
# The modules the initramfs loads from the kernel package work: a veth pair (iproute2's
# ip) moved into a network namespace, and overlayfs registered.
. "$T_ROOT/tests/lib/common.sh"
. "$T_ROOT/tests/guest/lib/guest.sh"

ns=bhmod$$
a=bhm$$a
b=bhm$$b
t_defer "ip link del $a"
t_defer "ip netns del $ns"
if ! grep -q -w overlay /proc/filesystems; then
	t_fail guest_modules "overlay not in /proc/filesystems (modules loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' '))"
	exit 1
fi
if ! ip netns add "$ns" || ! ip link add "$a" type veth peer name "$b" ||
	! ip link set "$b" netns "$ns" || ! ip addr add 169.254.251.1/30 dev "$a" ||
	! ip link set "$a" up || ! ip -n "$ns" addr add 169.254.251.2/30 dev "$b" ||
	! ip -n "$ns" link set "$b" up; then
	t_fail guest_modules "could not set up a veth pair into netns $ns"
	exit 1
fi
if ! ping -c 1 -W 2 169.254.251.2 >/dev/null 2>&1; then
	t_fail guest_modules "no ping reply across the veth pair into netns $ns"
	exit 1
fi
t_pass guest_modules
t_finish
