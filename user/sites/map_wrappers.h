/* SPDX-License-Identifier: GPL-2.0 */
/*
 * map_wrappers: where memvigil sees one process's mmap, munmap, mremap and
 * brk without the system-wide syscall tracepoints: in the functions that
 * make those syscalls. They are the C library's wrappers (the executable's
 * own in a static program), and those an allocator interposes (tcmalloc
 * exports its own mmap, munmap and mremap). Each wrapper is probed after its
 * syscall when syscall_site finds an equivalent site there (one emulated
 * uprobe, the raw result and arguments in registers), otherwise at its
 * entry with a return probe. A raw syscall made outside these functions (Go,
 * syscall(2)) is not seen.
 */
#ifndef MV_MAP_WRAPPERS_H
#define MV_MAP_WRAPPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "sites/allocator.h"

#define MAP_WRAPPERS_MAX_OBJECTS 2
#define MAP_WRAPPERS_MAX_FUNCS 8

/* The attach cookie: syscall number, and the return address offset for after-syscall sites. */
#define MAP_COOKIE_SP_SHIFT 32

struct map_wrapper {
	const char *name;	/* symbol probed */
	uint32_t nr;		/* x86-64 syscall number it makes */
	uint32_t object;	/* index into map_wrappers.objects */
	bool after_syscall;	/* one probe after the syscall; else entry + return */
	uint64_t entry;		/* file offset of the function */
	uint64_t offset;	/* file offset of the probe */
	uint32_t sp_offset;	/* after_syscall: %rsp + this holds the return address */
	char why[128];		/* for -v */
};

struct map_wrappers {
	struct alloc_object objects[MAP_WRAPPERS_MAX_OBJECTS];
	size_t object_cnt;
	struct map_wrapper funcs[MAP_WRAPPERS_MAX_FUNCS];
	size_t func_cnt;
	struct skipped_file skipped[MAPPED_FILE_MAX_SKIPPED];	/* files refused */
	size_t skipped_cnt;
};

/*
 * What was found in each object file, by its identity (device, inode):
 * every process of a host maps the same C library, whose symbols and code
 * take about a millisecond to read.
 */
struct map_wrappers_cache;

struct map_wrappers_cache *map_wrappers_cache__new(void);
void map_wrappers_cache__free(struct map_wrappers_cache *c);

/*
 * Find pid's wrappers: in its C library (or, without one, its executable),
 * and in interposer (a path pid maps, may be NULL) when that exports them
 * too, through cache when not NULL. Returns 0, or a negative errno with a
 * one-line reason in err (-ENOENT: no wrapper found).
 */
int map_wrappers__resolve(pid_t pid, const char *interposer, struct map_wrappers_cache *cache,
			  struct map_wrappers *w, char *err, size_t err_len);

/* Close w's object files (whatever map_wrappers__resolve left, on success or not). */
void map_wrappers__release(struct map_wrappers *w);

/* Say on -v which wrappers w probes in pid, and how. */
void map_wrappers__log_sites(pid_t pid, const struct map_wrappers *w);

/* Attach cookie of f's probe. Pure. */
uint64_t map_wrappers__cookie(const struct map_wrapper *f);

#endif
