/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mappings: the address ranges a process mapped with mmap/mremap while
 * traced and has not unmapped, each with the stack that mapped it and its
 * MV_MAP_* flags. munmap and mremap split, shrink, move and grow ranges the
 * way the kernel does. Ranges mapped before tracing began are unknown:
 * unmapping them changes nothing. Pure, no I/O.
 */
#ifndef MV_MAPPINGS_H
#define MV_MAPPINGS_H

#include <stddef.h>
#include <stdint.h>

struct map_range {
	uint64_t start;
	uint64_t end;		/* exclusive */
	uint32_t stack_id;
	uint32_t flags;		/* MV_MAP_* */
	uint32_t mapped_ms;	/* when it was mapped */
};

struct mappings {
	struct map_range *ranges;	/* sorted by start, never overlapping */
	size_t cnt, cap;
};

/* Outstanding bytes by what made the mapping. */
struct mapping_totals {
	uint64_t anon_bytes;		/* anonymous, outside the allocator */
	uint64_t file_bytes;		/* file-backed, outside the allocator */
	uint64_t allocator_bytes;	/* made inside a traced allocator call */
	uint64_t ranges;
};

/* Outstanding mappings of one stack (and kind: anon, file or allocator). */
struct map_site {
	uint32_t stack_id;
	uint32_t flags;		/* MV_MAP_FILE / MV_MAP_ALLOCATOR of its ranges */
	uint64_t bytes;
	uint64_t ranges;
	uint32_t oldest_ms;
};

void mappings__init(struct mappings *ms);
void mappings__release(struct mappings *ms);

/* [start, start+len) is now mapped (replacing whatever overlapped). 0 or -ENOMEM. */
int mappings__map(struct mappings *ms, uint64_t start, uint64_t len, uint32_t flags,
		  uint32_t stack_id, uint32_t now_ms);
/* [start, start+len) is no longer mapped. 0 or -ENOMEM (a split needs room). */
int mappings__unmap(struct mappings *ms, uint64_t start, uint64_t len);
/*
 * mremap: [old, old+old_len) now lives at [new, new+new_len), keeping the
 * stack and flags of the range that held old. 0 or -ENOMEM.
 */
int mappings__remap(struct mappings *ms, uint64_t old, uint64_t old_len,
		    uint64_t new, uint64_t new_len, uint32_t now_ms);
void mappings__totals(const struct mappings *ms, struct mapping_totals *out);
/*
 * Outstanding mappings grouped by stack and kind, bytes descending, into a
 * new array *out (free() it). Returns the count or -ENOMEM.
 */
long mappings__by_stack(const struct mappings *ms, struct map_site **out);

#endif
