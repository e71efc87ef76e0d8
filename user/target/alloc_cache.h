/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc_cache: allocators already resolved, per set of mapped files.
 *
 * Resolving an allocator reads its library and chooses probe sites by
 * decoding its code: milliseconds per process. Processes that map the same
 * files (every process of one program) resolve alike, so the result is kept
 * per set of (device, inode) pairs, with the library held open: probes attach
 * to it through /proc/self/fd, whichever process first showed it.
 */
#ifndef MV_ALLOC_CACHE_H
#define MV_ALLOC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "sites/allocator.h"

struct alloc_cache;

struct alloc_cache *alloc_cache__new(void);
void alloc_cache__free(struct alloc_cache *c);

/*
 * allocator__resolve(pid, override, a, at_entry, ...), answered from c when
 * pid maps the same files as a process resolved before (a's files are then
 * duplicates of the cached ones, and a->skipped is empty: those were said).
 * The caller releases a (allocator__release) either way.
 */
int alloc_cache__resolve(struct alloc_cache *c, pid_t pid, const char *override, bool at_entry,
			 struct allocator *a, char *err, size_t err_len);

#endif
