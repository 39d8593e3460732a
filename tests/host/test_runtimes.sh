#!/bin/bash
# Real runtimes, as Debian ships them: containerd (ctr, in the default and the k8s.io
# namespace), Docker (an image made with docker import) and podman (podman import),
# each started here with this run's own configuration (tests/lib/runtimes.sh). One
# agent watches them all. For each container:
#   - an exec inside it gives an event carrying the runtime, the container id, and the
#     name and image where the runtime records them (Docker: config.v2.json; podman:
#     containers/storage; containerd under CRI: the annotations CRI writes; a plain ctr
#     task has neither);
#   - a network policy selected by its cgroup path (containerd default) or by its name
#     (the others) is enforced in the kernel: inside the container's own network
#     namespace, a connect to 127.0.0.1:DENY (a listener of the same container) gets
#     EPERM while 127.0.0.1:ALLOW connects, and the deny event names the container.
# Nothing is enforced outside this run's cgroup; everything is removed at exit.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/runtimes.sh"
t_mount_kernel_fs

AG=rt-$$
PIN=/sys/fs/bpf/bulkhead-test-rt-$$
POL=$RT_DIR/policies
ALLOW=8080
DENY=8081
H64=$(printf '%08x' $$)bbbbbbbbccccccccddddddddeeeeeeeeffffffff0000000011111111
POD_UID=5f0c1e2d-3b4a-4c5d-8e6f-$(printf '%012x' $$)

have_ctd=0; have_docker=0; have_podman=0
rt_have containerd && have_ctd=1
rt_have docker && have_docker=1
rt_have podman && have_podman=1
[ $have_ctd = 1 ] || t_skip containerd "containerd, ctr or containerd-shim-runc-v2 not installed (scripts/deps.sh test)"
[ $have_docker = 1 ] || t_skip docker "$RT_DOCKER or $RT_DOCKERD not installed (scripts/deps.sh test)"
[ $have_podman = 1 ] || t_skip podman "podman or conmon not installed (scripts/deps.sh test)"
[ $have_ctd$have_docker$have_podman = 000 ] && exit 0

if ! rt_init; then t_fail setup "cannot make $RT_DIR, the cgroup $RT_CG or the busybox root"; exit 1; fi
t_defer "'$T_BIN' unload --pin-dir '$PIN'"

# The daemons, once for the file (dockerd uses this containerd, as Debian's unit does).
if [ $have_ctd = 1 ]; then
	if rt_containerd_start; then t_pass containerd_starts
	else t_fail containerd_starts "see $RT_DIR/containerd.log"; have_ctd=0; have_docker=0; fi
fi
if [ $have_docker = 1 ]; then
	if rt_dockerd_start; then t_pass dockerd_starts_and_imports
	else t_fail dockerd_starts_and_imports "$(tail -3 "$RT_DIR/dockerd.log" 2>/dev/null)"; have_docker=0; fi
fi
if [ $have_podman = 1 ]; then
	if rt_podman_init; then t_pass podman_imports
	else t_fail podman_imports "podman import of the busybox root failed"; have_podman=0; fi
fi
# No runtime of ours touched the host's network.
if ip link show docker0 >/dev/null 2>&1 && ! _rt_pre docker0; then t_fail no_host_network "docker0 exists"
else t_pass no_host_network; fi

# One policy per container: tcp to 127.0.0.1:DENY refused, the rest allowed.
mkdir -p "$POL"
pol() {	# NAME SELECTOR
	cat > "$POL/$1.yaml" <<EOF
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: $1}
spec:
  selector: $2
  mode: enforce
  defaults: {egress: allow, ingress: allow}
  network:
    egress:
      - {cidrs: [127.0.0.1/32], ports: [$DENY], protocol: tcp, action: deny}
EOF
}
pol rt-ctd-default "{cgroups: [\"$RT_CG/default/**\"]}"
pol rt-ctd-k8s "{namespaces: [bh-rt], containers: [ctd-app]}"
pol rt-docker "{containers: [bh-dweb-$$]}"
pol rt-podman "{containers: [bh-pweb-$$]}"

# Every container runs two persistent listeners on loopback, in its own network namespace.
LISTEN="/bin/nc -ll -p $ALLOW -e /bin/true & /bin/nc -ll -p $DENY -e /bin/true & exec /bin/sleep 3600"

# The containers. CT_IDS[label]=id, CT_EXEC[label]="command prefix to exec in it".
# The containerd default-namespace task starts before the agent (found by its start-up
# walk: a path with no runtime layout, named by its task bundle), the others after it
# (found as their cgroups appear).
declare -A CT_IDS CT_EXEC CT_NAME CT_IMAGE CT_RUNTIME
if [ $have_ctd = 1 ]; then
	id=bh-ctd-$$
	if rt_ctr_run default "$id" -- /bin/sh -c "$LISTEN"; then
		CT_IDS[ctd]=$id; CT_EXEC[ctd]="rt_ctr default task exec --exec-id"
		CT_NAME[ctd]=""; CT_IMAGE[ctd]=""; CT_RUNTIME[ctd]=containerd
	else t_fail ctd_default_starts "ctr run in the default namespace failed"; fi
fi

if ! agent_start "$AG" --policy "$POL" --attach-cgroup "$RT_CG2$RT_CG" --pin-dir "$PIN" \
	$(rt_state_roots); then
	t_fail agent_starts "the agent did not start"
	exit 1
fi
t_pass agent_starts

if [ $have_ctd = 1 ]; then
	# What CRI makes of a pod's container: a 64-hex id, the kubepods cgroupfs layout,
	# and its annotations.
	if RT_CTR_CGROUP="kubepods/besteffort/pod$POD_UID/$H64" rt_ctr_run k8s.io "$H64" \
		--annotation io.kubernetes.cri.container-type=container \
		--annotation io.kubernetes.cri.container-name=ctd-app \
		--annotation io.kubernetes.cri.sandbox-name=bh-pod \
		--annotation io.kubernetes.cri.sandbox-namespace=bh-rt \
		--annotation io.kubernetes.cri.sandbox-uid="$POD_UID" \
		--annotation io.kubernetes.cri.image-name=registry.invalid/bh-test/busybox:1 \
		-- /bin/sh -c "$LISTEN"; then
		CT_IDS[k8s]=$H64; CT_EXEC[k8s]="rt_ctr k8s.io task exec --exec-id"
		CT_NAME[k8s]=ctd-app; CT_IMAGE[k8s]=registry.invalid/bh-test/busybox:1; CT_RUNTIME[k8s]=containerd
	else t_fail ctd_k8s_starts "ctr run in the k8s.io namespace failed"; fi
fi
if [ $have_docker = 1 ]; then
	if id=$(rt_docker run -d --name "bh-dweb-$$" --network none "$RT_IMAGE" /bin/sh -c "$LISTEN"); then
		CT_IDS[docker]=$id; CT_EXEC[docker]="rt_docker exec"
		CT_NAME[docker]=bh-dweb-$$; CT_IMAGE[docker]=$RT_IMAGE; CT_RUNTIME[docker]=docker
	else t_fail docker_starts "docker run failed"; fi
fi
if [ $have_podman = 1 ]; then
	if id=$(rt_podman_run --name "bh-pweb-$$" --network none "localhost/$RT_IMAGE" /bin/sh -c "$LISTEN"); then
		CT_IDS[podman]=$id; CT_EXEC[podman]="rt_podman exec"
		CT_NAME[podman]=bh-pweb-$$; CT_IMAGE[podman]=localhost/$RT_IMAGE; CT_RUNTIME[podman]=podman
	else t_fail podman_starts "podman run failed"; fi
fi

# in LABEL CMD...: run CMD in the container (ctr wants an exec id of its own).
n_exec=0
in_ct() {
	local l="$1"; shift
	n_exec=$((n_exec + 1))
	case "$l" in
	ctd|k8s) ${CT_EXEC[$l]} "x$n_exec" "${CT_IDS[$l]}" "$@" ;;
	*) ${CT_EXEC[$l]} "${CT_IDS[$l]}" "$@" ;;
	esac
}
# connect LABEL PORT: "OK", or what busybox nc said (e.g. "... Operation not permitted").
connect() {
	local out
	if out=$(in_ct "$1" /bin/nc -w 2 127.0.0.1 "$2" </dev/null 2>&1); then echo OK; else echo "$out"; fi
}
refused() { case "$(connect "$1" "$DENY")" in *"not permitted"*) return 0 ;; esac; return 1; }
allowed() { [ "$(connect "$1" "$ALLOW")" = OK ]; }
# first EVENT-GREP JQ-FILTER: the first event whose line has EVENT-GREP and that matches
# (grep first: the agent also reports every process of the machine).
first() { grep -F -- "$1" "$T_WORK/$AG.json" | jq -c -R 'fromjson? // empty' | jq -c "select($2)" | head -1; }
has() { [ -n "$(first "$1" "$2")" ]; }

for l in ctd k8s docker podman; do
	id=${CT_IDS[$l]:-}
	[ -n "$id" ] || continue
	# --- attribution: an exec event carries the container ---
	marker="bh-rt-$l-$$-$RANDOM"
	in_ct "$l" /bin/echo "$marker" >/dev/null 2>&1
	sel=".kind == \"exec\" and .process.args[1] == \"$marker\""
	t_wait_for 10 has "$marker" "$sel"
	e=$(first "$marker" "$sel")
	if [ -z "$e" ]; then
		t_fail "${l}_exec_event" "no exec event with $marker"
	else
		got=$(echo "$e" | jq -r '[.container.host, .container.runtime, .container.id,
			(.container.name // ""), (.container.image // "")] | map(tostring) | join("|")')
		want="false|${CT_RUNTIME[$l]}|$id|${CT_NAME[$l]}|${CT_IMAGE[$l]}"
		if [ "$got" = "$want" ]; then t_pass "${l}_exec_attributed"
		else t_fail "${l}_exec_attributed" "expected host|runtime|id|name|image = $want, got $got in $e"; fi
	fi
	if [ "$l" = k8s ]; then
		got=$(echo "$e" | jq -r '[.container.pod, .container.namespace] | join("|")')
		if [ "$got" = "bh-pod|bh-rt" ]; then t_pass k8s_pod_fields
		else t_fail k8s_pod_fields "expected pod|namespace = bh-pod|bh-rt, got $got"; fi
	fi

	# --- enforcement: the policy selected by cgroup path or name, in the kernel ---
	if t_wait_for 10 refused "$l"; then t_pass "${l}_connect_denied_eperm"
	else t_fail "${l}_connect_denied_eperm" "connect to 127.0.0.1:$DENY in the container: $(connect "$l" "$DENY")"; fi
	if allowed "$l"; then t_pass "${l}_connect_allowed"
	else t_fail "${l}_connect_allowed" "connect to 127.0.0.1:$ALLOW in the container: $(connect "$l" "$ALLOW")"; fi
	dsel=".kind == \"net\" and .action == \"deny\" and .container.id == \"$id\" and .net.remote_port == $DENY"
	if t_wait_for 5 has '"kind":"net"' "$dsel"; then
		d=$(first '"kind":"net"' "$dsel")
		got=$(echo "$d" | jq -r '[.container.runtime, (.container.name // ""), .net.policy] | join("|")')
		pname=rt-${l/ctd/ctd-default}; pname=${pname/rt-k8s/rt-ctd-k8s}
		if [ "$got" = "${CT_RUNTIME[$l]}|${CT_NAME[$l]}|$pname" ]; then t_pass "${l}_deny_event_names_container"
		else t_fail "${l}_deny_event_names_container" "expected runtime|name|policy = ${CT_RUNTIME[$l]}|${CT_NAME[$l]}|$pname, got $got in $d"; fi
	else
		t_fail "${l}_deny_event_names_container" "no deny event for container $id, port $DENY"
	fi
done

if agent_stop "$AG"; then t_pass agent_stops_clean; else t_fail agent_stops_clean "agent exited non-zero"; fi
t_finish
