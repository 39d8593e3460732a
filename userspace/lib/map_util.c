// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

void kv_init(struct kv_list *l, uint32_t ksz, uint32_t vsz)
{
	memset(l, 0, sizeof(*l));
	l->ksz = ksz;
	l->vsz = vsz;
}

void kv_free(struct kv_list *l)
{
	free(l->keys);
	free(l->vals);
	l->keys = l->vals = NULL;
	l->n = l->cap = 0;
}

int kv_add(struct kv_list *l, const void *key, const void *val)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 64;
		uint8_t *k = realloc(l->keys, (size_t)cap * l->ksz), *v;

		if (!k)
			return -ENOMEM;
		l->keys = k;
		v = realloc(l->vals, (size_t)cap * l->vsz);
		if (!v)
			return -ENOMEM;
		l->vals = v;
		l->cap = cap;
	}
	memcpy(kv_key(l, l->n), key, l->ksz);
	memcpy(kv_val(l, l->n), val, l->vsz);
	l->n++;
	return 0;
}

void kv_shrink(struct kv_list *l)
{
	uint8_t *k, *v;

	if (!l->n || l->n == l->cap) {
		if (!l->n)
			kv_free(l);
		return;
	}
	k = realloc(l->keys, (size_t)l->n * l->ksz);
	if (k)
		l->keys = k;
	v = realloc(l->vals, (size_t)l->n * l->vsz);
	if (v)
		l->vals = v;
	l->cap = l->n;
}

#define BATCH_CHUNK	4096

/* -1: this kernel has no batch operation for the map type (fall back), else -errno / 0. */
static int batch_unsupported(int err)
{
	return err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */;
}

int map_update_many(int fd, const void *keys, const void *vals, uint32_t ksz, uint32_t vsz,
		    uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
	const uint8_t *k = keys, *v = vals;
	uint32_t done = 0;

	while (done < n) {
		uint32_t cnt = n - done > BATCH_CHUNK ? BATCH_CHUNK : n - done;
		int r = bpf_map_update_batch(fd, k + (size_t)done * ksz, v + (size_t)done * vsz,
					     &cnt, &bo) ? -errno : 0;

		if (!r) {
			done += cnt;
			continue;
		}
		if (!batch_unsupported(r) || cnt)
			return r;	/* a real error (cnt entries were written before it) */
		for (; done < n; done++)
			if (bpf_map_update_elem(fd, k + (size_t)done * ksz, v + (size_t)done * vsz,
						BPF_ANY))
				return -errno;
	}
	return 0;
}

int map_delete_many(int fd, const void *keys, uint32_t ksz, uint32_t n)
{
	const uint8_t *k = keys;
	uint32_t done = 0;

	while (done < n) {
		uint32_t cnt = n - done > BATCH_CHUNK ? BATCH_CHUNK : n - done;
		int r = bpf_map_delete_batch(fd, k + (size_t)done * ksz, &cnt, NULL) ? -errno : 0;

		if (!r) {
			done += cnt;
			continue;
		}
		/* A missing key stops a batch: go on one by one from there. */
		if (!batch_unsupported(r) && r != -ENOENT)
			return r;
		done += cnt;
		for (uint32_t end = done + (n - done > BATCH_CHUNK ? BATCH_CHUNK : n - done);
		     done < end; done++)
			if (bpf_map_delete_elem(fd, k + (size_t)done * ksz) && errno != ENOENT)
				return -errno;
	}
	return 0;
}

int map_each_named(const char *name, int (*fn)(int fd, const struct bpf_map_info *info, void *ctx),
		   void *ctx)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name) &&
		    !fn(fd, &info, ctx))
			n++;
		close(fd);
	}
	return n;
}
