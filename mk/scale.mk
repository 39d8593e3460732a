# Scale and footprint benchmarks (issue 14), both part of `make bench`:
#
#   make policy-swap-bench   policy swap time at 1k, 10k (10,000 network + 8,000 file rules) and
#                            the largest set the limits allow, as the agent logs it per swap
#                            (bench/policy_swap.sh; REPS, SIZES)
#   make footprint-bench     the agent's RSS and idle CPU: shipped policies and no containers;
#                            10k rules and 200 containers (bench/agent_footprint.sh; CONTAINERS, IDLE_S)

policy-swap-bench: $(BUILD)/bulkhead
	$(Q)bash bench/policy_swap.sh $(BUILD)

footprint-bench: $(BUILD)/bulkhead
	$(Q)bash bench/agent_footprint.sh $(BUILD)

bench: policy-swap-bench footprint-bench

.PHONY: policy-swap-bench footprint-bench
