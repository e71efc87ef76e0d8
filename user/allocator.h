/* SPDX-License-Identifier: GPL-2.0 */
/*
 * allocator: which library serves a process's heap and where its allocator
 * functions are, as file offsets to attach probes to.
 */
#ifndef MV_ALLOCATOR_H
#define MV_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "procmaps.h"

#define MV_ALLOCATOR_MAX_FUNCS 16

struct alloc_func {
	uint32_t kind;		/* enum mv_alloc_kind */
	uint64_t entry;		/* file offset of the function's entry */
	uint64_t offset;	/* file offset of the probe site (see probe_site.h) */
	const char *alias_of;	/* earlier function at the same address, or NULL */
	char site_why[96];	/* why the site was chosen, for -v */
};

struct allocator {
	char path[4096];	/* library path as the process maps it */
	char open_path[4096];	/* path memvigil opens it by (through /proc/PID) */
	struct alloc_func funcs[MV_ALLOCATOR_MAX_FUNCS];
	size_t func_cnt;
};

/* Name of an allocator kind ("malloc", ..., "free"). */
const char *allocator__kind_name(uint32_t kind);

/* The mapping of the C library in pm, or NULL. Pure. */
const struct mv_mapping *allocator__find_libc(const struct procmaps *pm);

/*
 * Find pid's allocator and resolve its functions. Probe sites are chosen by
 * probe_site__choose unless at_entry asks for every function's entry. Returns 0, or a negative
 * errno with a one-line reason in err (-ENOENT: no allocator library mapped).
 */
int allocator__resolve(pid_t pid, struct allocator *a, bool at_entry,
		       char *err, size_t err_len);

#endif
