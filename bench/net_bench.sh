#!/bin/sh
# Network enforcement benchmarks (make net-bench, part of make bench).
#
# 1. BPF_PROG_TEST_RUN ns per packet of the cgroup_skb egress program with 10, 1000
#    and 10000 CIDR rules against an empty program (bench/net_bench.c): a flow's
#    packets after its first (memoized decision), its first packet (full decision),
#    a denied packet (full decision, counted and reported every time).
# 2. A loopback TCP request/response loop (64 bytes, one connection) from a process in
#    a test cgroup, in the same run, interleaved:
#      none      nothing attached
#      bulkhead  NRULES egress CIDR rules for the client's cgroup + an allow rule for
#                127.0.0.1 tcp PORT (loopback is policed when a rule names it)
#      iptables  the same NRULES rules: -m cgroup --path CLIENT -d CIDR -j DROP in OUTPUT
#      nftables  the same: socket cgroupv2 level 2 CLIENT ip daddr CIDR drop in an output chain
#    Median ns per round trip over ROUNDS rounds, and the ratio to "none".
#
# Knobs: NET_BENCH_ROUNDS (5), NET_BENCH_RR (20000 round trips), NET_BENCH_RULES (1000),
# NET_BENCH_MODES=x (none and bulkhead only), NET_BENCH_TESTRUN_ROUNDS (11).
# Needs root, cgroup v2, bpffs; iptables and nftables (Debian packages) for their rows.
set -u
BUILD=${BUILD:-build}
NB=$BUILD/bench/net_bench
P=$BUILD/tests/helpers/netprobe
ROUNDS=${NET_BENCH_ROUNDS:-5}
RR=${NET_BENCH_RR:-20000}
RULES=${NET_BENCH_RULES:-1000}
PORT=$((30000 + $$ % 10000))

if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts; then
	CG2=/sys/fs/cgroup/unified; NFT_PREFIX=unified/
else
	CG2=/sys/fs/cgroup; NFT_PREFIX=
fi
NAME=bulkhead-test-bench-$$
TOP=$CG2/$NAME
CLIENT=$TOP/client
PIN=/sys/fs/bpf/$NAME
WORK=$(mktemp -d)
SERVER=""

cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
	iptables -D OUTPUT -j BH-BENCH 2>/dev/null
	iptables -F BH-BENCH 2>/dev/null
	iptables -X BH-BENCH 2>/dev/null
	nft delete table inet bhbench 2>/dev/null
	[ -e "$PIN" ] && "$BUILD/bulkhead" unload --pin-dir "$PIN" >/dev/null 2>&1
	rmdir "$CLIENT" "$TOP" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

for b in "$NB" "$P"; do
	[ -x "$b" ] || { echo "net-bench: $b is not built" >&2; exit 1; }
done

echo "== net: BPF_PROG_TEST_RUN (kernel $(uname -r), $(nproc) CPUs)"
"$NB" testrun "${NET_BENCH_TESTRUN_ROUNDS:-11}" || exit 1

mkdir "$TOP" "$CLIENT" || exit 1
"$P" serve tcp 127.0.0.1 "$PORT" > "$WORK/server" 2>&1 &
SERVER=$!
sleep 0.3

# The rule sets for iptables and nftables, made once.
i=0
{
	echo "*filter"
	echo ":BH-BENCH - [0:0]"
	while [ $i -lt "$RULES" ]; do
		echo "-A BH-BENCH -d 11.$((i / 256)).$((i % 256)).0/24 -m cgroup --path $NAME/client -j DROP"
		i=$((i + 1))
	done
	echo "COMMIT"
} > "$WORK/ipt"
i=0
{
	echo "table inet bhbench {"
	echo "  chain out {"
	echo "    type filter hook output priority 0; policy accept;"
	while [ $i -lt "$RULES" ]; do
		echo "    socket cgroupv2 level 2 \"${NFT_PREFIX}$NAME/client\" ip daddr 11.$((i / 256)).$((i % 256)).0/24 drop"
		i=$((i + 1))
	done
	echo "  }"
	echo "}"
} > "$WORK/nft"

have_ipt=0; have_nft=0
command -v iptables-restore >/dev/null && have_ipt=1
command -v nft >/dev/null && have_nft=1

rr() {
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" rr 127.0.0.1 "$3" "$4"' sh "$CLIENT" "$P" "$PORT" "$RR" |
		awk '$1 == "OK" { print $2 }'
}

run_mode() {
	case "$1" in
	none) rr ;;
	bulkhead)
		mkfifo "$WORK/fifo"
		"$NB" install "$PIN" "$TOP" "$(stat -c %i "$CLIENT")" "$RULES" "$PORT" < "$WORK/fifo" > "$WORK/inst" 2>&1 &
		inst=$!
		exec 9> "$WORK/fifo"
		n=0
		while ! grep -qs READY "$WORK/inst" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
		stats=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
		echo 1 > /proc/sys/kernel/bpf_stats_enabled 2>/dev/null
		if grep -q READY "$WORK/inst"; then rr; else echo "net-bench: $(cat "$WORK/inst")" >&2; fi
		exec 9>&-
		wait "$inst"
		echo "$stats" > /proc/sys/kernel/bpf_stats_enabled 2>/dev/null
		grep '^STATS' "$WORK/inst" >> "$WORK/hookstats"
		rm -f "$WORK/fifo"
		;;
	iptables)
		iptables-restore --noflush < "$WORK/ipt" && iptables -I OUTPUT -j BH-BENCH && rr
		iptables -D OUTPUT -j BH-BENCH; iptables -F BH-BENCH; iptables -X BH-BENCH
		;;
	nftables)
		nft -f "$WORK/nft" && rr
		nft delete table inet bhbench
		;;
	esac
}

modes="none bulkhead"
[ "${NET_BENCH_MODES:-}" = "" ] && [ $have_ipt = 1 ] && modes="$modes iptables"
[ "${NET_BENCH_MODES:-}" = "" ] && [ $have_nft = 1 ] && modes="$modes nftables"
for m in $modes; do : > "$WORK/r.$m"; done
r=0
while [ $r -lt "$ROUNDS" ]; do
	for m in $modes; do
		v=$(run_mode "$m")
		[ -n "$v" ] && echo "$v" >> "$WORK/r.$m"
	done
	r=$((r + 1))
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(median "$WORK/r.none")
echo
echo "== net: loopback TCP request/response, 64 bytes, $RR round trips, $RULES CIDR rules, median of $ROUNDS"
printf '%-10s %12s %10s\n' mode "ns/round" "vs none"
for m in $modes; do
	v=$(median "$WORK/r.$m")
	printf '%-10s %12s %10s\n' "$m" "$v" "$(awk -v a="$v" -v b="$base" 'BEGIN { if (b > 0 && a + 0 > 0) printf "%.3fx", a / b; else print "n/a" }')"
done
if [ -s "$WORK/hookstats" ]; then
	echo
	echo "== net: bulkhead hooks in that loop (kernel.bpf_stats_enabled), median ns per run"
	for prog in bh_net_egress bh_net_ingress; do
		grep " $prog " "$WORK/hookstats" | sed 's/.*ns_per_run=//' > "$WORK/h.$prog"
		printf '%-16s %8s ns  (%s runs per round)\n' "$prog" "$(median "$WORK/h.$prog")" \
			"$(grep " $prog " "$WORK/hookstats" | head -n 1 | sed 's/.*runs=\([0-9]*\).*/\1/')"
	done
fi
[ $have_ipt = 1 ] || echo "(iptables not installed: apt-get install iptables)"
[ $have_nft = 1 ] || echo "(nftables not installed: apt-get install nftables)"
exit 0
