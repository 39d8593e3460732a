# Container registry: a host-test helper that asks the registry about cgroup ids.
# Linked from the registry's own objects so that it builds even while other
# parts of the library are being worked on.
REGISTRY_OBJS := $(BUILD)/obj/registry.o $(BUILD)/obj/cgroup_path.o \
	$(BUILD)/obj/oci_state.o $(BUILD)/obj/log.o

$(BUILD)/tests/registry-lookup: tests/host/registry_lookup.c $(REGISTRY_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(REGISTRY_OBJS) -o $@ $(LDLIBS)

test-bins: $(BUILD)/tests/registry-lookup
