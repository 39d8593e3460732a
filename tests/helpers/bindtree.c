// SPDX-License-Identifier: GPL-2.0
/*
 * bindtree SRC DST: bind SRC at DST with the new mount API (open_tree() with
 * OPEN_TREE_CLONE, then move_mount()), which no mount hook sees with a
 * resolved source, and read DST. Prints one word: OK (read), EPERM (the read
 * was refused), or ERR:<step>:<errno text>. Exit status 0 for OK and EPERM.
 * Static, for the guest's busybox containers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif

static int fail(const char *step)
{
	printf("ERR:%s:%s\n", step, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char buf[64];
	int tree, fd;

	if (argc != 3) {
		fprintf(stderr, "usage: bindtree SRC DST\n");
		return 2;
	}
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, argv[1], OPEN_TREE_CLONE | O_CLOEXEC);
	if (tree < 0)
		return fail("open_tree");
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, argv[2], MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail("move_mount");
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EPERM) {
			printf("EPERM\n");
			return 0;
		}
		return fail("open");
	}
	if (read(fd, buf, sizeof(buf)) < 0)
		return fail("read");
	printf("OK\n");
	return 0;
}
