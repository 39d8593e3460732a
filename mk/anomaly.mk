# Anomaly detection (userspace/anomaly/, bpf/anomaly.bpf.c): libm for its statistics,
# and its benchmark (make bench runs it: make anomaly-bench alone).
#   make anomaly-bench   detection latency per anomaly, the engine's CPU with 200 containers,
#                        false alerts of a benign load (bench/anomaly_bench.sh)
LDLIBS += -lm

anomaly-bench: $(BUILD)/bulkhead
	$(Q)BUILD=$(BUILD) bash bench/anomaly_bench.sh

bench: anomaly-bench

.PHONY: anomaly-bench
