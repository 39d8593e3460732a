# Escape detection: its benchmark (make bench).
#   make bench-escape     a benign container workload with the detector on, off, and no agent
bench-escape: $(BUILD)/bulkhead
	$(Q)sh scripts/deps.sh test
	$(Q)bash bench/escape.sh $(BUILD)

bench: bench-escape

.PHONY: bench-escape
