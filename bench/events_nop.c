// SPDX-License-Identifier: GPL-2.0
/* The program the events benchmark spawns: static (no loader), one open. */
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return 0;
}
