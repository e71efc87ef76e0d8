// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include "boot_arena.h"

#define HEADER_BYTES 16		/* the block's size, just below it */

char mvs_boot_arena[BOOT_ARENA_BYTES] __attribute__((aligned(64)));
static size_t used;

void *boot_arena__alloc(size_t size, size_t align)
{
	size_t need, start, at;
	char *p;

	if (align < HEADER_BYTES)
		align = HEADER_BYTES;
	if (size > BOOT_ARENA_BYTES || align > BOOT_ARENA_BYTES / 4)
		goto full;
	need = HEADER_BYTES + align + ((size + 15) & ~(size_t)15);
	start = __atomic_fetch_add(&used, need, __ATOMIC_RELAXED);
	if (start > BOOT_ARENA_BYTES - need)
		goto full;
	at = (start + HEADER_BYTES + align - 1) & ~(align - 1);
	p = mvs_boot_arena + at;
	*(size_t *)(p - HEADER_BYTES) = size;
	__atomic_fetch_add(&mvs_ctl.arena_bytes, need, __ATOMIC_RELAXED);
	return p;	/* zero: the arena is static and never reused */
full:
	errno = ENOMEM;
	return NULL;
}

size_t boot_arena__size(const void *p)
{
	return *(const size_t *)((const char *)p - HEADER_BYTES);
}
