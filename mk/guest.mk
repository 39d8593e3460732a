# QEMU guest tests: the LSM tests run in Debian's 6.1 cloud kernel (BPF LSM on) under TCG.
#   make guest-test                 all guest cases
#   make guest-test CASES=guest_boot,guest_probe
#   make guest-kernel               fetch and cache the guest kernel only
# See tests/guest/run.sh for the knobs (GUEST_TIMEOUT, GUEST_KEEP_LOG).

guest-kernel:
	$(Q)sh scripts/guest-kernel.sh $(BUILD)

guest-test: $(BUILD)/bulkhead-static
	$(Q)BUILD=$(BUILD) BULKHEAD_CASES=$(CASES) sh tests/guest/run.sh

.PHONY: guest-kernel guest-test

# The harness's own test: hangs, panics, silent and failing cases must all fail loudly.
guest-selftest: $(BUILD)/bulkhead-static
	$(Q)BUILD=$(BUILD) sh tests/guest/selftest.sh

.PHONY: guest-selftest
