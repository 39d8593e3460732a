# bulkhead - eBPF container isolation enforcer and anomaly monitor.
#
#   make            build build/bulkhead (dynamic) and build/bulkhead-static
#   make run        install missing packages, build, run the agent on policies/
#   make demo       a throwaway container, denied and escape attempts, events as text
#   make test       install missing packages, build, run the whole test suite
#   make bench      benchmarks (ratios against baselines and peer tools)
#   make fuzz       long fuzzing run of the policy parser
#   make vmlinux    regenerate bpf/vmlinux.h from this machine's kernel BTF
#   V=1             show commands

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

BUILD   ?= build
# SAN=1: AddressSanitizer + UBSan build in build/san (dynamic only), used by the test suite.
ifeq ($(SAN),1)
BUILD   := build/san
BH_SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH    ?= x86

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Ibpf
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation \
	-Iuserspace -Ibpf -I$(BUILD)/skel $(BH_SAN_FLAGS)
DEPFLAGS = -MMD -MP
LDLIBS  := -lbpf -lelf -lz -lyaml -ljson-c
LDLIBS_MHD := -lmicrohttpd

# BPF programs: bpf/<feature>.bpf.c; shared kernel/user records in bpf/abi/,
# BPF-only helpers in bpf/lib/. User space: one folder per subsystem
# (docs/ARCHITECTURE.md), sources found per folder.
BPF_SRCS  := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))
US_DIRS   := lib policy pipeline attrib telemetry enforce detect anomaly output metrics agent cli
# EXCLUDE: sources left out (patterns), e.g. while a subsystem is being written.
US_SRCS   := $(filter-out $(EXCLUDE),$(sort $(foreach d,$(US_DIRS),$(wildcard userspace/$(d)/*.c))))
US_OBJS   := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(US_SRCS))
# The policy language: its own library (no libbpf), linked by the fuzzer and its tests.
POLICY_SRCS := $(sort $(wildcard userspace/policy/*.c))
POLICY_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(POLICY_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/obj/cli/main.o $(POLICY_OBJS),$(US_OBJS))

ifeq ($(SAN),1)
all: $(BUILD)/bulkhead
else
all: $(BUILD)/bulkhead $(BUILD)/bulkhead-static
endif

deps:
	$(Q)sh scripts/deps.sh build

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -MF $(@:.o=.d) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@	# DWARF is for no one here (BTF and line info stay): a smaller agent

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(BUILD)/skel
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# Skeletons are generated before any object is compiled (order only); -MMD
# then records which object really includes which skeleton and header.
$(BUILD)/obj/%.o: userspace/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libbhpolicy.a: $(POLICY_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libbulkhead.a: $(LIB_OBJS) $(POLICY_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bulkhead: $(BUILD)/obj/cli/main.o $(BUILD)/libbulkhead.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(LDLIBS_MHD)

# One self-contained binary for the QEMU guest and for scratch container images.
$(BUILD)/bulkhead-static: $(BUILD)/obj/cli/main.o $(BUILD)/libbulkhead.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -static $(LDFLAGS) $^ -o $@ $(LDLIBS) $(LDLIBS_MHD_STATIC)

$(BUILD)/bpf $(BUILD)/skel:
	$(Q)mkdir -p $@

-include $(US_OBJS:.o=.d) $(BPF_OBJS:.o=.d)

vmlinux:
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(BUILD)/vmlinux.h.tmp
	$(Q)cmp -s $(BUILD)/vmlinux.h.tmp bpf/vmlinux.h || mv $(BUILD)/vmlinux.h.tmp bpf/vmlinux.h
	$(Q)rm -f $(BUILD)/vmlinux.h.tmp

run: deps all
	./$(BUILD)/bulkhead run --policy policies/ --detach-on-exit

test:
	$(Q)sh scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory -j2 all test-bins
	$(Q)$(MAKE) --no-print-directory -j2 SAN=1 all test-bins
	$(Q)sh tests/run.sh

# Benchmarks: each feature's mk fragment adds its target as a prerequisite.
bench: bench-deps
bench-deps:
	$(Q)sh scripts/deps.sh bench

clean:
	rm -rf $(BUILD)/bpf $(BUILD)/skel $(BUILD)/obj $(BUILD)/bulkhead* $(BUILD)/*.a $(BUILD)/tests

.PHONY: all deps run test test-bins bench bench-deps fuzz vmlinux clean

# Feature fragments (unit tests, guest harness, fuzzing, benchmarks) add their own targets.
include $(sort $(wildcard mk/*.mk))
