/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc_family: the allocator functions memvigil knows, by symbol name: the
 * C family (glibc and every allocator that replaces it), jemalloc's,
 * tcmalloc's and mimalloc's own entry points, and C++ operator new and
 * delete. Each says which kind it reports as and how its arguments are
 * read. Pure data.
 */
#ifndef MV_ALLOC_FAMILY_H
#define MV_ALLOC_FAMILY_H

#include <stddef.h>
#include <stdint.h>

enum alloc_family_flags {
	FAM_LEAF_FREE = 1,	/* the allocator's own free: probed at entry only */
	FAM_CXX = 2,		/* C++ operator, looked up in the C++ object */
	FAM_CXX_DELETE = 4,	/* C++ delete: probed only when the allocator defines it */
};

struct alloc_family_func {
	const char *name;
	uint16_t kind;		/* enum mv_alloc_kind */
	uint8_t layout;		/* enum mv_arg_layout */
	uint8_t flags;		/* enum alloc_family_flags */
};

/*
 * The table, standard names first: of several names at one address the
 * first is probed and reported.
 */
extern const struct alloc_family_func alloc_family[];
extern const size_t alloc_family_cnt;

/* Index of name (up to a '@' version suffix) in alloc_family, or -1. */
int alloc_family__find(const char *name);

#endif
