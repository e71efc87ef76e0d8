// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include "lib/grow.h"
#include "lib/log.h"
#include "target/file_refusals.h"

/* (device, inode) pairs of the files said so far. */
struct file_refusals {
	uint64_t *ids;
	size_t cnt, cap;
};

struct file_refusals *file_refusals__new(void)
{
	return calloc(1, sizeof(struct file_refusals));
}

void file_refusals__free(struct file_refusals *r)
{
	if (!r)
		return;
	free(r->ids);
	free(r);
}

/* Whether (dev, ino) was new to set (then added); false also without memory. */
static bool add_once(struct file_refusals *set, uint64_t dev, uint64_t ino)
{
	uint64_t *grown;
	size_t i;

	for (i = 0; i < set->cnt; i += 2)
		if (set->ids[i] == dev && set->ids[i + 1] == ino)
			return false;
	grown = grow__array(set->ids, &set->cap, set->cnt + 2, sizeof(*grown), 16);
	if (!grown)
		return false;
	set->ids = grown;
	set->ids[set->cnt++] = dev;
	set->ids[set->cnt++] = ino;
	return true;
}

void file_refusals__note(struct file_refusals *r, pid_t pid, const struct skipped_file *s,
			 size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		if (add_once(r, makedev(s[i].dev_major, s[i].dev_minor),
				     s[i].inode))
			log_warn("PID %d: not reading %s: %s; nothing in it is probed or "
				 "symbolized", pid, s[i].path, mapped_file__strerror(s[i].err));
}

size_t file_refusals__cnt(const struct file_refusals *r)
{
	return r ? r->cnt / 2 : 0;
}
