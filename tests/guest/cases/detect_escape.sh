#!/bin/sh
# Escape detection (bpf/escape.bpf.c, the tracepoint sensor) on Debian's 6.1 kernel, in real
# crun containers: the same CO-RE object as on the 6.18 host loads here, arms containers at
# their entrypoint (crun's own setup, before it, raises nothing), and a few techniques
# each raise one alert of their category for their container. Protections are set to
# alert here (the LSM guard's refusals have their own cases).
. "$T_ROOT/tests/guest/cases/file_lib.inc"

fl_setup || { t_fail detect_setup "policy directory / cgroup"; exit 1; }
fl_policy alert <<'EOF'
apiVersion: bulkhead/v1
kind: NodeDefault
metadata: {name: alert-only}
spec:
  mode: {all: audit, escape: audit}
  file:
    - {paths: [/etc/shadow], action: deny}
EOF
ct_start quiet "" pod-quiet shop quiet || { t_fail detect_setup "container quiet: $(ct_log quiet)"; exit 1; }
FL_AGENT_ARGS="--no-anomaly" fl_agent esc || { t_fail detect_agent "$FL_WHY"; exit 1; }
if grep -q 'escape detection on' "$T_WORK/esc.log"; then t_pass detect_loaded_on_61
else
	t_fail detect_loaded_on_61 "$(grep -m2 'escape' "$T_WORK/esc.log" | tr '\n' ' ' | cut -c1-400)"
	exit 1
fi

# One technique a container: one category's alerts within 30 s are one incident.
n=0
for t in "core-pattern-write|echo x > /proc/sys/kernel/core_pattern" \
	"user-namespace|unshare -U true" \
	"mount-host-filesystem|mkdir -p /tmp/p; mount -t proc proc /tmp/p" \
	"drift-exec|cp /bin/busybox /tmp/bb && /tmp/bb true"; do
	n=$((n + 1))
	ct_start "e$n" "" "pod-e$n" shop "e$n" || { t_fail detect_setup "container e$n: $(ct_log "e$n")"; exit 1; }
	ct_run "e$n" sh -c 'echo benign; ls / > /dev/null'
	ct_run "e$n" sh -c "${t#*|}"
done
ct_run quiet sh -c 'cat /proc/self/status > /dev/null; date > /dev/null'

alerts() { agent_events esc | jq -r 'select(.kind == "alert") | "\(.container.name) \(.alert.rule)"' 2>/dev/null; }
_n() { [ "$(alerts | grep -c '^e[0-9] ')" -ge 4 ]; }
t_wait_for 5 _n
n=0
for want in core-pattern-write user-namespace mount-host-filesystem drift-exec; do
	n=$((n + 1))
	got=$(alerts | grep -c "^e$n ")
	if [ "$got" -eq 1 ] && alerts | grep -q "^e$n $want\$"; then t_pass "detect_61_$(echo "$want" | tr - _)"
	else t_fail "detect_61_$(echo "$want" | tr - _)" "expected one $want alert for e$n, got $got; all: $(alerts | tr '\n' ';')"; fi
done
if alerts | grep -q '^quiet '; then t_fail detect_61_quiet "alerts for a container that did nothing: $(alerts | grep '^quiet ')"
else t_pass detect_61_quiet; fi
for c in e1 e2 e3 e4 quiet; do ct_stop "$c"; done
agent_stop esc
t_finish
