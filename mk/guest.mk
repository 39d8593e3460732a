# QEMU guest tests: the LSM tests run in Debian's cloud kernels (BPF LSM on) under TCG:
# 6.1 (Debian 12) and 6.12 (Debian 13), the kernel matrix.
#   make guest-test                 all guest cases on 6.1
#   make guest-test CASES=guest_boot,guest_probe
#   make guest-test KERNEL=6.12     on Debian 13's 6.12 (tests/run.sh runs a subset there)
#   make guest-kernel               fetch and cache both guest kernels only
# See tests/guest/run.sh for the knobs (GUEST_TIMEOUT, GUEST_KEEP_LOG).

KERNEL ?= 6.1

# Everything tests/guest/run.sh copies into the guest: each fragment adds its helpers
# (guest-files: ...), and every target that boots the guest depends on guest-files.
guest-files: $(BUILD)/bulkhead-static

guest-kernel:
	$(Q)sh scripts/guest-kernel.sh $(BUILD) 6.1
	$(Q)sh scripts/guest-kernel.sh $(BUILD) 6.12

guest-test: guest-files
	$(Q)BUILD=$(BUILD) GUEST_KERNEL=$(KERNEL) BULKHEAD_CASES=$(CASES) sh tests/guest/run.sh

.PHONY: guest-files guest-kernel guest-test

# The harness's own test: hangs, panics, silent and failing cases must all fail loudly.
guest-selftest: guest-files
	$(Q)BUILD=$(BUILD) sh tests/guest/selftest.sh

.PHONY: guest-selftest
