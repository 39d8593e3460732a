#!/bin/sh
# Prints no verdict and exits 0: the harness must count a failure.
exit 0
