# Policy language: sanitizer builds of its unit tests, and the libFuzzer target.
#
#   make fuzz                 long fuzzing run (FUZZ_SECONDS, default 600; FUZZ_JOBS)
#   make fuzz-smoke           20 s run, as the test suite does
#   build/san/tests/unit/test_policy*   unit tests under ASan + UBSan (in test-bins)
#   build/fuzz/fuzz_policy    the fuzzer (clang -fsanitize=fuzzer,address,undefined)

# The language itself (no libbpf, no logger): userspace/policy/ (the Makefile's
# POLICY_SRCS), which the fuzzer and these tests compile on their own.
POLICY_HDRS := $(wildcard userspace/policy/*.h)
# (test_policy_watch is the agent's file watch, not the language: unit.mk builds it.)
POLICY_TESTS := $(filter-out tests/unit/test_policy_watch.c,$(sort $(wildcard tests/unit/test_policy*.c)))
POLICY_SAN_BINS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/unit/%,$(POLICY_TESTS))
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(POLICY_SAN_BINS): $(BUILD)/san/tests/unit/%: tests/unit/%.c tests/unit/test.h $(POLICY_SRCS) $(POLICY_HDRS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(POLICY_SRCS) -o $@ -lyaml

FUZZ_BIN     := $(BUILD)/fuzz/fuzz_policy
FUZZ_CORPUS  := $(BUILD)/fuzz/corpus
FUZZ_SECONDS ?= 600
FUZZ_JOBS    ?= 1
FUZZ_FLAGS   := -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iuserspace -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(FUZZ_BIN): tests/fuzz/fuzz_policy.c $(POLICY_SRCS) $(POLICY_HDRS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $< $(POLICY_SRCS) -o $@ -lyaml

# Seeds: the shipped policies, the test inputs (good and bad), tests/fuzz/seeds.
fuzz-corpus: $(FUZZ_BIN)
	$(Q)mkdir -p $(FUZZ_CORPUS)
	$(Q)for f in policies/*.yaml tests/unit/policies/*/*.yaml tests/fuzz/seeds/*; do \
		[ -f "$$f" ] && cp "$$f" "$(FUZZ_CORPUS)/seed-$$(echo $$f | tr / _)"; done; true

# -jobs writes fuzz-N.log files: keep them in build/fuzz
fuzz: fuzz-corpus
	cd $(BUILD)/fuzz && ./fuzz_policy -max_total_time=$(FUZZ_SECONDS) \
		$(if $(filter-out 1,$(FUZZ_JOBS)),-jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS)) \
		-max_len=16384 -timeout=5 -rss_limit_mb=1024 -dict=$(CURDIR)/tests/fuzz/policy.dict \
		-print_final_stats=1 -artifact_prefix=./ corpus

fuzz-smoke: fuzz-corpus
	$(Q)sh tests/fuzz/smoke.sh $(FUZZ_BIN) $(FUZZ_CORPUS) 20

# The fuzzer needs libFuzzer's runtime (Debian: libclang-rt-14-dev, only a Recommends
# of clang). Without it test-bins still builds; the host test then SKIPs the fuzz smoke.
FUZZ_RT := $(wildcard $(shell $(CLANG) -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null))
test-bins: $(POLICY_SAN_BINS) $(if $(FUZZ_RT),$(FUZZ_BIN))

.PHONY: fuzz-corpus fuzz-smoke
