# Unit tests: tests/unit/test_*.c, each linked against the agent's library objects.
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/test.h $(BUILD)/libbulkhead.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(BUILD)/libbulkhead.a -o $@ $(LDLIBS) $(LDLIBS_MHD)

test-bins: $(UNIT_BINS)
