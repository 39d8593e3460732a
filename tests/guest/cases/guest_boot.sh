#!/bin/sh
# The guest kernel runs the BPF LSM: /sys/kernel/security/lsm lists bpf.
. "$T_ROOT/tests/lib/common.sh"

lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)
case ",$lsm," in
*,bpf,*) t_pass guest_boot ;;
*) t_fail guest_boot "expected bpf in /sys/kernel/security/lsm, got '$lsm' (kernel $(uname -r))" ;;
esac
t_finish
