#!/bin/sh
. "$T_ROOT/tests/lib/common.sh"
t_pass st_ok
