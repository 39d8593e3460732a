// SPDX-License-Identifier: GPL-2.0
/*
 * The file decision memo's control (bh_memo_ctl, bpf/abi/enforce.h), written
 * from userspace with atomic instructions on the mapped value, as the kernel
 * side bumps it: no write undoes another. Alone in its file (no skeleton, no
 * libbpf object): the core, the file feature and the static test helpers use it.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>

#include "enforce/enforce.h"

int enforce_memo_write(int fd, int64_t mode)
{
	long page = sysconf(_SC_PAGESIZE);
	struct bh_memo_ctl *c;

	if (page <= 0)
		return -EINVAL;
	c = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED)
		return -errno;
	if (mode >= 0)
		__atomic_store_n(&c->mode, (uint32_t)mode, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->epoch, BH_MEMO_EPOCH_JUMP, __ATOMIC_SEQ_CST);
	munmap(c, (size_t)page);
	return 0;
}
