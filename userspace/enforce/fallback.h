/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The syscall-tracepoint fallback (bpf/fallback.bpf.c) for kernels without
 * BPF LSM: loaded by file.c when the LSM programs do not load. This header
 * says what it cannot do, in one place, for the agent's start-up line.
 */
#ifndef BULKHEAD_FALLBACK_H
#define BULKHEAD_FALLBACK_H

/* One line: what the fallback enforces and what it cannot. */
const char *fallback_limits(void);

#endif
