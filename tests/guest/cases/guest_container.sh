#!/bin/sh
# A real crun container with Kubernetes annotations in the guest: it starts in the cgroup
# its cgroupsPath names, runs an exec'd command there, passes back exit status and stderr,
# and leaves no cgroup behind when deleted.
. "$T_ROOT/tests/lib/common.sh"
. "$T_ROOT/tests/guest/lib/container.sh"

name=web-$$
cgpath=/kubepods/pod0b1c2d3e-$$/$name
cgdir=$T_CGROUP2$cgpath
pre_kubepods=0
[ -d "$T_CGROUP2/kubepods" ] && pre_kubepods=1

if ! ct_start "$name" "$cgpath" web-0 shop web; then
	t_fail guest_container "crun could not start container $name in $cgpath: $(ct_log "$name")"
	exit 1
fi
if [ "$(ct_cgroup_dir "$name")" != "$cgdir" ]; then
	t_fail guest_container "ct_cgroup_dir says '$(ct_cgroup_dir "$name")', expected $cgdir"
	exit 1
fi

# The container's init and an exec'd process both sit in the cgroupsPath directory.
init=$(ct_pid "$name")
if [ "$(cat "/proc/$init/cgroup" 2>/dev/null)" != "0::$cgpath" ]; then
	t_fail guest_container "init pid '$init' in cgroup '$(cat "/proc/$init/cgroup" 2>/dev/null)', expected 0::$cgpath"
	exit 1
fi
pid=$(ct_exec_bg "$name" sleep 30)
cg=$(cat "/proc/$pid/cgroup" 2>/dev/null)
comm=$(cat "/proc/$pid/comm" 2>/dev/null)
if [ "$cg" != "0::$cgpath" ] || [ "$comm" != sleep ]; then
	t_fail guest_container "exec'd pid '$pid' ($comm) in cgroup '$cg', expected sleep in 0::$cgpath"
	exit 1
fi
kill "$pid" 2>/dev/null

# exec: exit status and stderr come back; the command runs in the container's namespaces.
ct_run "$name" sh -c 'echo "$(hostname) $$"; echo denied-here >&2; exit 7'
if [ "$CT_RC" -ne 7 ] || [ "$CT_ERR" != denied-here ] || [ "${CT_OUT%% *}" != "$name" ]; then
	t_fail guest_container "exec: expected status 7, stderr 'denied-here', hostname $name; got $CT_RC, '$CT_ERR', '$CT_OUT'"
	exit 1
fi
ct_exec "$name" true || { t_fail guest_container "ct_exec true exited $?"; exit 1; }

# The annotations are in the runtime's state, where the agent's registry reads them.
st=$(ct_state "$name" | tr -d ' \n\t')
for kv in '"io.kubernetes.pod.name":"web-0"' '"io.kubernetes.pod.namespace":"shop"' \
	'"io.kubernetes.cri.container-name":"web"' "\"io.kubernetes.pod.uid\":\"$(ct_pod_uid "$name")\""; do
	case "$st" in *"$kv"*) ;; *)
		t_fail guest_container "crun state lacks $kv: $(echo "$st" | cut -c1-300)"
		exit 1 ;;
	esac
done

# Delete: the container's cgroup, and the parents the runtime made for it, are gone.
ct_stop "$name"
if [ -d "$cgdir" ] || [ -d "${cgdir%/*}" ]; then
	t_fail guest_container "cgroup $cgdir (or its pod parent) still there after delete"
	exit 1
fi
if [ $pre_kubepods -eq 0 ] && [ -d "$T_CGROUP2/kubepods" ]; then
	t_fail guest_container "$T_CGROUP2/kubepods, made for the container, still there after delete"
	exit 1
fi
if ct_state "$name" >/dev/null 2>&1; then
	t_fail guest_container "crun still knows container $name after delete"
	exit 1
fi
t_pass guest_container
t_finish
