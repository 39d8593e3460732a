# Network enforcement: test helpers (built by test-bins) and benchmarks (make bench).
#   make net-bench            BPF_PROG_TEST_RUN ns/packet (10, 1000, 10000 rules vs empty) and a
#                             loopback TCP request/response loop: none, bulkhead, iptables, nftables
NET_HELPERS := $(BUILD)/tests/helpers/netprobe $(BUILD)/tests/helpers/netswap

$(BUILD)/tests/helpers/netprobe: tests/helpers/netprobe.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -static $< -o $@

$(BUILD)/tests/helpers/netswap: tests/helpers/netswap.c $(BUILD)/libbulkhead.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/libbulkhead.a -o $@ $(LDLIBS) $(LDLIBS_MHD)

$(BUILD)/bench/net_bench: bench/net_bench.c $(BUILD)/libbulkhead.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/libbulkhead.a -o $@ $(LDLIBS) $(LDLIBS_MHD)

test-bins: $(NET_HELPERS)

net-bench: $(BUILD)/bench/net_bench $(BUILD)/tests/helpers/netprobe $(BUILD)/bulkhead
	$(Q)BUILD=$(BUILD) sh bench/net_bench.sh

bench: net-bench

.PHONY: net-bench
