#!/bin/sh
# Exits non-zero without a FAIL line (after a PASS): the harness must count a failure.
. "$T_ROOT/tests/lib/common.sh"
t_pass st_exit_partial
exit 3
