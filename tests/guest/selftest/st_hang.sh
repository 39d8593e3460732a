#!/bin/sh
# Never finishes: the case timeout (or the host's hard timeout) must catch it.
sleep 100000
