// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procfs/procmaps.h"
#include "target/alloc_cache.h"

struct alloc_cache_entry {
	uint64_t *files;	/* sorted (device, inode) pairs of the mapped files */
	size_t file_cnt;
	struct allocator a;	/* its objects' files held open */
};

struct alloc_cache {
	struct alloc_cache_entry **entries;
	size_t cnt;
};

struct alloc_cache *alloc_cache__new(void)
{
	return calloc(1, sizeof(struct alloc_cache));
}

void alloc_cache__free(struct alloc_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->cnt; i++) {
		allocator__release(&c->entries[i]->a);
		free(c->entries[i]->files);
		free(c->entries[i]);
	}
	free(c->entries);
	free(c);
}

static int cmp_file(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* The sorted, distinct (device, inode) pairs of pid's mapped files; NULL on failure. */
static uint64_t *mapped_files(pid_t pid, size_t *cnt)
{
	struct procmaps *pm = procmaps__read(pid);
	uint64_t *files;
	size_t i, n = 0;

	if (!pm)
		return NULL;
	files = calloc(2 * (pm->cnt + 1), sizeof(*files));
	for (i = 0; files && i < pm->cnt; i++) {
		const struct mv_mapping *m = &pm->maps[i];

		if (!m->inode)
			continue;
		files[2 * n] = ((uint64_t)m->dev_major << 32) | m->dev_minor;
		files[2 * n + 1] = m->inode;
		n++;
	}
	procmaps__free(pm);
	if (!files || !n) {
		free(files);
		return NULL;
	}
	qsort(files, n, 2 * sizeof(*files), cmp_file);
	for (i = 1, *cnt = 1; i < n; i++)
		if (cmp_file(&files[2 * i], &files[2 * (*cnt - 1)]))
			memmove(&files[2 * (*cnt)++], &files[2 * i], 2 * sizeof(*files));
	return files;
}

static struct alloc_cache_entry *cache_find(const struct alloc_cache *c, const uint64_t *files,
					    size_t cnt)
{
	size_t i;

	for (i = 0; i < c->cnt; i++)
		if (c->entries[i]->file_cnt == cnt &&
		    !memcmp(c->entries[i]->files, files, 2 * cnt * sizeof(*files)))
			return c->entries[i];
	return NULL;
}

/* Keep a for processes mapping files; takes files. Failure only costs speed. */
static void cache_add(struct alloc_cache *c, uint64_t *files, size_t cnt, const struct allocator *a)
{
	struct alloc_cache_entry **grown, *e = malloc(sizeof(*e));

	grown = e ? realloc(c->entries, (c->cnt + 1) * sizeof(*grown)) : NULL;
	if (grown)
		c->entries = grown;
	if (!grown || allocator__copy(&e->a, a)) {
		free(e);
		free(files);
		return;
	}
	e->a.skipped_cnt = 0;	/* said when they were found */
	e->files = files;
	e->file_cnt = cnt;
	c->entries[c->cnt++] = e;
}

int alloc_cache__resolve(struct alloc_cache *c, pid_t pid, const char *override, bool at_entry,
			 struct allocator *a, char *err, size_t err_len)
{
	struct alloc_cache_entry *e;
	size_t cnt = 0;
	uint64_t *files = mapped_files(pid, &cnt);
	int ret;

	e = files ? cache_find(c, files, cnt) : NULL;
	if (e) {
		free(files);
		ret = allocator__copy(a, &e->a);
		if (ret)
			snprintf(err, err_len, "cannot hold the allocator's file open: %s",
				 strerror(-ret));
		return ret;
	}
	ret = allocator__resolve(pid, override, a, at_entry, err, err_len);
	if (!ret && files)
		cache_add(c, files, cnt, a);
	else
		free(files);
	return ret;
}
