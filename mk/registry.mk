# Container registry: a host-test helper that asks the registry about cgroup ids.
# Linked from the registry's own objects so that it builds even while other
# parts of the library are being worked on.
REGISTRY_OBJS := $(BUILD)/obj/attrib/registry.o $(BUILD)/obj/lib/cgroup_path.o \
	$(BUILD)/obj/attrib/oci_state.o $(BUILD)/obj/lib/log.o

$(BUILD)/tests/registry-lookup: tests/host/registry_lookup.c $(REGISTRY_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(REGISTRY_OBJS) -o $@ $(LDLIBS)

test-bins: $(BUILD)/tests/registry-lookup

# The registry's unit tests again under ASan + UBSan (they feed it hostile files).
# (With SAN=1 the whole build is sanitized already: nothing extra to do.)
ifneq ($(SAN),1)
REGISTRY_SRCS := userspace/attrib/registry.c userspace/lib/cgroup_path.c userspace/attrib/oci_state.c userspace/lib/log.c
REGISTRY_HDRS := userspace/attrib/registry.h userspace/lib/cgroup_path.h userspace/attrib/oci_state.h userspace/lib/log.h
REGISTRY_SAN_BINS := $(BUILD)/san/tests/unit/test_registry $(BUILD)/san/tests/unit/test_cgroup_path
REGISTRY_SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(REGISTRY_SAN_BINS): $(BUILD)/san/tests/unit/%: tests/unit/%.c tests/unit/test.h $(REGISTRY_SRCS) $(REGISTRY_HDRS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(REGISTRY_SAN_FLAGS) -Itests/unit $< $(REGISTRY_SRCS) -o $@ $(LDLIBS)

test-bins: $(REGISTRY_SAN_BINS)
endif
