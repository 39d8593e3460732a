# File and exec enforcement: the benchmark helper and `make bench` (file-bench).
#   make file-bench       in one QEMU guest run: open and exec loops in a crun container with
#                         0/10/100/1,000 path rules vs no programs, and per-program cost
#                         (kernel.bpf_stats_enabled) vs empty LSM programs on the same hooks
$(BUILD)/bench/file_bench: bench/file_bench.c $(BUILD)/libbulkhead.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -static $< $(BUILD)/libbulkhead.a -o $@ $(LDLIBS)

$(BUILD)/bench/file_bench_noop: bench/file_bench_noop.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -static -nostdlib -fno-stack-protector -Wall -Werror $< -o $@

file-bench: $(BUILD)/bench/file_bench $(BUILD)/bench/file_bench_noop guest-files
	$(Q)BUILD=$(BUILD) sh bench/file_bench.sh

bench: file-bench

.PHONY: file-bench

# The guest's one-file static helpers (they run inside busybox containers): bindtree SRC DST
# (a bind mount by open_tree() + move_mount()), mapexec FILE (what ld.so FILE does first).
GUEST_HELPERS := $(BUILD)/tests/helpers/bindtree $(BUILD)/tests/helpers/mapexec
$(GUEST_HELPERS): $(BUILD)/tests/helpers/%: tests/helpers/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -static $< -o $@

test-bins guest-files: $(GUEST_HELPERS)

# The decision memo's test helper (static: the guest cases run it; maps found by name).
$(BUILD)/tests/helpers/fmemo: tests/helpers/fmemo.c userspace/lib/map_util.c userspace/lib/map_util.h \
		userspace/enforce/memo_ctl.c userspace/enforce/enforce.h bpf/abi/file.h bpf/abi/enforce.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Ibpf -Iuserspace -static \
		tests/helpers/fmemo.c userspace/lib/map_util.c userspace/enforce/memo_ctl.c -o $@ $(LDLIBS)

test-bins guest-files: $(BUILD)/tests/helpers/fmemo
