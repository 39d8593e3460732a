// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "lib/map_util.h"

int map_percpu_sum(int fd, const void *key, int ncpus, uint64_t *sum)
{
	uint64_t vals[ncpus > 0 ? ncpus : 1];

	*sum = 0;
	if (ncpus <= 0)
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, key, vals))
		return -errno;
	for (int c = 0; c < ncpus; c++)
		*sum += vals[c];
	return 0;
}

int map_delete_matching(int fd, size_t key_size, map_key_pred pred, uint32_t arg,
			uint32_t *count, bool dry)
{
	uint8_t *key, *next, *keys = NULL;
	size_t n = 0, cap = 0;
	int first = 1, err = 0;

	key = malloc(key_size);
	next = malloc(key_size);
	if (!key || !next) {
		err = -ENOMEM;
		goto out;
	}
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		first = 0;
		memcpy(key, next, key_size);
		if (!pred(next, arg))
			continue;
		if (count)
			(*count)++;
		if (dry)
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 256;
			uint8_t *k = realloc(keys, c * key_size);

			if (!k) {
				err = -ENOMEM;
				goto out;
			}
			keys = k;
			cap = c;
		}
		memcpy(keys + n * key_size, next, key_size);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT && !err)
			err = -errno;
out:
	free(keys);
	free(key);
	free(next);
	return err;
}
