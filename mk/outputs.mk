# Outputs, metrics, attribution: the static binary without libmicrohttpd,
# unit tests under sanitizers, the events benchmark.
#
#   make bench-events       the events benchmark (bench/events.sh), also run by `make bench`

# The static binary: Debian ships no static p11-kit (nor libunistring.a by
# default), which libmicrohttpd's static GnuTLS needs, so `-static
# -lmicrohttpd` cannot link. The static agent is built without the metrics
# endpoint: metrics_http.c compiled with BH_NO_MHD is linked before the
# library, so the library's copy (which calls libmicrohttpd) is never pulled
# in; --metrics-addr then fails with a clear message. The guest only needs
# the static binary for the LSM tests.
METRICS_NOMHD_OBJ := $(BUILD)/obj/static/metrics_http.o
LDLIBS_MHD_STATIC :=

$(METRICS_NOMHD_OBJ): userspace/metrics/metrics_http.c userspace/metrics/metrics_http.h userspace/lib/log.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -DBH_NO_MHD -c $< -o $@

$(BUILD)/bulkhead-static: LDFLAGS += $(METRICS_NOMHD_OBJ)
$(BUILD)/bulkhead-static: | $(METRICS_NOMHD_OBJ)

# The events benchmark: bulkhead next to libbpf-tools execsnoop/opensnoop and
# bpftrace on one fork/exec workload (bench/events.sh; SPAWNS, REPS, WORKERS).
$(BUILD)/bench/events_load: bench/events_load.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror $< -o $@

$(BUILD)/bench/bhbench_nop: bench/events_nop.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -static $< -o $@

$(BUILD)/bench/events_watch: bench/events_watch.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror $< -o $@

# The event path replayed without the kernel (formatting cost, warm; for profiles).
$(BUILD)/bench/events_replay: bench/events_replay.c $(BUILD)/libbulkhead.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/libbulkhead.a -o $@ $(LDLIBS) $(LDLIBS_MHD)

bench-events: $(BUILD)/bulkhead $(BUILD)/bench/events_load $(BUILD)/bench/events_watch $(BUILD)/bench/bhbench_nop
	$(Q)sh scripts/deps.sh bench
	$(Q)bash bench/events.sh $(BUILD)

bench: bench-events

.PHONY: bench-events
