# The escape guard's technique runner (userspace/verify/helper.c): static, it runs inside
# bulkhead verify's throwaway containers (built into the agent, userspace/enforce/verify_blob.c)
# and in the guest's escape cases.
$(BUILD)/verify/bh-verify: userspace/verify/helper.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -static $< -o $@
	$(Q)strip $@

test-bins guest-files: $(BUILD)/verify/bh-verify

# bulkhead verify carries the runner inside the agent binary (.incbin): no image to pull.
$(BUILD)/obj/enforce/verify_blob.o: $(BUILD)/verify/bh-verify
$(BUILD)/obj/enforce/verify_blob.o: CFLAGS += -DBH_VERIFY_HELPER='"$(abspath $(BUILD)/verify/bh-verify)"'

# The guard's benchmark (make bench runs it; make guard-bench alone): in one QEMU guest run,
# open, exec and connect loops in a crun container with the guard's protections on and off,
# interleaved; medians, spread and the on/off ratio (bench/guard_bench.sh).
$(BUILD)/bench/guard_bench: bench/guard_bench.c $(BUILD)/libbulkhead.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -static $< $(BUILD)/libbulkhead.a -o $@ $(LDLIBS)

guard-bench: $(BUILD)/bench/guard_bench guest-files
	$(Q)BUILD=$(BUILD) sh bench/guard_bench.sh

bench: guard-bench

.PHONY: guard-bench
