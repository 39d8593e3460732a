#!/bin/sh
# bulkhead verify on the node (the 6.1 guest, BPF LSM): with the agent running the shipped
# NodeDefault, every enabled technique it tries in its throwaway privileged crun containers
# is refused (or killed), none is NOT PROTECTED, and it exits 0; the agent stays alive.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail verify_setup "policy directory / cgroup"; exit 1; }
cp "$T_ROOT/policies/00-node-default.yaml" "$FL_POL/" || { t_fail verify_setup "NodeDefault"; exit 1; }
# The guard on (the file cases run without it: FL_QUIET), detection too, as on a node.
if ! FL_AGENT_ARGS=--no-anomaly fl_agent ver; then t_fail verify_agent_starts "$FL_WHY"; exit 1; fi
APID=$(cat "$T_WORK/ver.pid")
grep -E 'guard|escape' "$T_WORK/ver.log" | head -n 8 | sed 's/^/  # agent: /' >&2
out=$T_WORK/verify.out
"$T_BIN" verify --pin-dir "$FL_PIN" > "$out" 2>&1
rc=$?
sed 's/^/  # verify: /' "$out" >&2
if [ "$rc" -eq 0 ]; then t_pass verify_exit_0; else t_fail verify_exit_0 "exit $rc: $(grep 'NOT PROTECTED' "$out" | head -n 3 | tr '\n' ' ')"; fi
n=$(grep -c -E ' (refused|killed) ' "$out")
if [ "$n" -ge 20 ]; then t_pass verify_refused_many; else t_fail verify_refused_many "only $n refused or killed"; fi
if grep 'NOT PROTECTED ' "$out" | grep -v 'techniques tried' | grep -q .; then t_fail verify_none_unprotected "$(grep 'NOT PROTECTED ' "$out" | head -n 2)"; else t_pass verify_none_unprotected; fi
if kill -0 "$APID" 2>/dev/null; then t_pass verify_agent_alive; else t_fail verify_agent_alive "the agent died"; fi
if [ -z "$(ls -d /run/bulkhead-verify.* 2>/dev/null)" ]; then t_pass verify_cleaned_up; else t_fail verify_cleaned_up "$(ls -d /run/bulkhead-verify.*)"; fi
t_finish
