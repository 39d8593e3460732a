# A first run that shows the product (README "Set up"): a throwaway container under a
# demo policy, a denied file read, connect and exec, an escape attempt, the events as
# `--format text` lines; everything removed at the end (scripts/demo.sh).
#
#   make demo

demo:
	$(Q)sh scripts/deps.sh demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/demo.sh

.PHONY: demo
