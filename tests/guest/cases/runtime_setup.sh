#!/bin/sh
# guest-timeout: 240
# The runtime's setup is never policed (crun, BPF LSM): a restrictive policy in force on the
# containers' cgroups before crun starts them gives no event from start-up or teardown, while
# the container's own denied actions, a process entering by `crun exec` and the entrypoint's
# own exec are still refused with EPERM. (The host twin, runc and the fallback:
# tests/host/test_setup_unpoliced.sh; the checks: tests/lib/runtime_setup.sh.)
. "$T_ROOT/tests/guest/cases/file_lib.inc"
. "$T_ROOT/tests/lib/runtime_setup.sh"

RS_DENIED=EPERM
rs_agent() {
	FL_POL=$2
	FL_AGENT_ARGS="$FL_QUIET -v"
	fl_agent "$1"
}
t_defer "'$T_BIN' unload --pin-dir '$FL_PIN' >/dev/null 2>&1"
rs_main
t_finish
