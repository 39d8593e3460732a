// SPDX-License-Identifier: GPL-2.0
/*
 * mapexec FILE: map FILE's first page executable (PROT_READ | PROT_EXEC), as
 * a dynamic loader does with a program it is asked to run ("ld.so FILE"),
 * without running it. Exit status 0 if mapped; else 1 and the reason on
 * stderr ("mapexec: mmap FILE: Operation not permitted" for a refusal).
 * Static, for the guest's busybox containers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	void *p;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: mapexec FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mapexec: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mapexec: mmap %s: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	munmap(p, 4096);
	close(fd);
	return 0;
}
