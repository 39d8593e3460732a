// SPDX-License-Identifier: GPL-2.0
/* What the syscall-tracepoint fallback cannot do. See fallback.h and bpf/fallback.bpf.c. */
#include "enforce/fallback.h"

const char *fallback_limits(void)
{
	return "open (read/write) and exec deny rules only; the offender is KILLED (SIGKILL), not "
	       "refused, when the call returns (the call itself runs: a denied read's data never "
	       "reaches it, a denied exec never starts, but a denied O_TRUNC open truncates); the path "
	       "is read from user memory at syscall entry (another thread can change it after the "
	       "check) and matched as written (symlinks, '..', bind mounts and directory-fd-relative "
	       "paths are not resolved); create, delete, rename, link, truncate, chmod/chown are NOT "
	       "enforced";
}
