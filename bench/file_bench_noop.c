// SPDX-License-Identifier: GPL-2.0
/* The smallest static program (no libc): exits 0. make file-bench copies it to distinct
 * files, each run once, for the first-exec rows. x86-64 only, as the guest. */
void _start(void)
{
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
	__builtin_unreachable();
}
