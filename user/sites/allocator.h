/* SPDX-License-Identifier: GPL-2.0 */
/*
 * allocator: which object serves a process's heap (glibc, jemalloc,
 * tcmalloc, mimalloc, or the executable itself when it is statically
 * linked) and where its allocator functions are, as file offsets to attach
 * probes to.
 *
 * The allocator is the object the dynamic linker binds malloc to: the first
 * object in symbol search order that defines it. That order (the executable,
 * LD_PRELOAD, then DT_NEEDED breadth-first) is the loader's link map, read
 * from the process (linkmap.h). Objects the link map does not list (or all,
 * when it cannot be read) follow in an approximation from /proc/PID/maps:
 * the kernel maps the interpreter (ld.so, AT_BASE) first and later mmaps
 * tend to land further from it, so they sort by distance from it; the holes
 * large aligned mappings leave make that only an approximation. The
 * executable always comes first. It counts with any non-local malloc (a
 * static program has it only in .symtab); a library only with an exported
 * (.dynsym) one. C++ operator new and delete are taken from the first object
 * that exports them and is not another allocator: the allocator itself, or
 * the C++ runtime (libstdc++), whose operators call malloc and free.
 */
#ifndef MV_ALLOCATOR_H
#define MV_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "procfs/mapped_file.h"
#include "procfs/procmaps.h"

#define MV_ALLOCATOR_MAX_FUNCS 128
#define MV_ALLOCATOR_MAX_OBJECTS 2	/* the allocator and the C++ runtime */

struct alloc_func {
	const char *name;	/* symbol name */
	uint32_t kind;		/* enum mv_alloc_kind */
	uint32_t layout;	/* enum mv_arg_layout */
	uint32_t object;	/* index into allocator.objects */
	bool leaf_free;		/* the allocator's own free: entry probe only */
	uint64_t entry;		/* file offset of the function's entry */
	uint64_t offset;	/* file offset of the probe site (see probe_site.h) */
	const char *alias_of;	/* earlier function at the same address, or NULL */
	char site_why[96];	/* why the site was chosen, for -v */
};

struct alloc_object {
	char path[4096];	/* as the process maps it */
	int fd;			/* the file, opened by mapped_file__open; owned */
	char open_path[32];	/* "/proc/self/fd/N" of fd: what uprobes attach by */
};

struct allocator {
	struct alloc_object objects[MV_ALLOCATOR_MAX_OBJECTS];	/* [0]: the allocator */
	size_t object_cnt;
	struct alloc_func funcs[MV_ALLOCATOR_MAX_FUNCS];
	size_t func_cnt;
	char why[512];		/* how the allocator was chosen, for -v */
	struct skipped_file skipped[MAPPED_FILE_MAX_SKIPPED];	/* files refused */
	size_t skipped_cnt;
};

/* One mapped object as the chooser sees it. */
struct alloc_candidate {
	const char *path;
	size_t id;		/* the caller's, kept through allocator__order */
	uint64_t lowest_addr;	/* start of its lowest mapping */
	bool is_exe;
	bool defines_malloc;	/* exported (or, in the executable, non-local) malloc */
	bool defines_any;	/* any allocator function of the known families */
	bool defines_cxx;	/* exported C++ operator new */
	bool matches_override;	/* named by --allocator */
	uint32_t link_rank;	/* position in the loader's link map, UINT32_MAX if not in it */
};

/* Name of an allocator kind ("malloc", ..., "operator new", ...), as JSON gives it. */
const char *allocator__kind_name(uint32_t kind);
/*
 * The function a text report names after "via": the kind's name, except for
 * kinds only mimalloc defines, which are named as mimalloc spells them
 * ("mi_zalloc", "mi_malloc_aligned"): no allocator has a "zalloc".
 */
const char *allocator__kind_call(uint32_t kind);

/* The mapping of the C library in pm, or NULL. Pure. */
const struct mv_mapping *allocator__find_libc(const struct procmaps *pm);

/* Whether path's file name is the C library's (libc.so.6, libc-2.31.so). Pure. */
bool allocator__is_libc(const char *path);

/* Whether --allocator=want names path: a substring of it. Pure. */
bool allocator__matches(const char *path, const char *want);

/*
 * Sort candidates into symbol search order (see above): the executable, then
 * by link_rank, then those without one by distance from interp_addr (the
 * interpreter's base), or from the highest address down if interp_addr is 0
 * (no interpreter). Pure.
 */
void allocator__order(struct alloc_candidate *c, size_t n, uint64_t interp_addr);

/*
 * Choose among ordered candidates: *alloc_idx gets the allocator, *cxx_idx
 * the object whose C++ operators to probe (or SIZE_MAX). With use_override
 * only candidates matching the override can be the allocator. Returns 0,
 * -ENOENT (no candidate defines malloc), -ENXIO (the override matches no
 * candidate) or -ENOEXEC (what it matches defines no allocator function). Pure.
 */
int allocator__choose(const struct alloc_candidate *c, size_t n, bool use_override,
		      size_t *alloc_idx, size_t *cxx_idx);

/*
 * Find pid's allocator (or the object named by override, if not NULL) and
 * resolve its functions. Probe sites are chosen by probe_site__choose unless
 * at_entry asks for every function's entry. Returns 0, or a negative errno
 * with a one-line reason in err (-ENOENT: no allocator found; -ENXIO: the
 * override names nothing pid maps).
 */
int allocator__resolve(pid_t pid, const char *override, struct allocator *a, bool at_entry,
		       char *err, size_t err_len);

/*
 * Close a's object files (whatever allocator__resolve left, on success or
 * not). The probes attached through them stay.
 */
void allocator__release(struct allocator *a);

/* Say on -v which objects and probe sites a gives pid, and why. */
void allocator__log_sites(pid_t pid, const struct allocator *a);

/* Identity (device, inode) of a's first two objects, 0 where there is none. */
void allocator__identity(const struct allocator *a, uint64_t dev[2], uint64_t ino[2]);

/* The allocator kinds (1 << enum mv_alloc_kind) a probes. Pure. */
uint32_t allocator__kinds(const struct allocator *a);

/* Give a's objects descriptors of their own, duplicates of src's. 0 or -errno. */
int allocator__copy(struct allocator *a, const struct allocator *src);

#endif
