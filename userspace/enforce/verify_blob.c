// SPDX-License-Identifier: GPL-2.0
/* bulkhead verify's technique runner (userspace/verify/helper.c, static), built into the agent. */
#include <stddef.h>

#ifndef BH_VERIFY_HELPER
#error "BH_VERIFY_HELPER: the path of the static runner (mk/guard.mk)"
#endif

__asm__(".section .rodata\n"
	".balign 16\n"
	".global bh_verify_helper_start\n"
	"bh_verify_helper_start:\n"
	".incbin \"" BH_VERIFY_HELPER "\"\n"
	".global bh_verify_helper_end\n"
	"bh_verify_helper_end:\n"
	".previous\n");
