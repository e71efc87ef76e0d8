/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debug_files: the separate file that names an object's functions and holds
 * its DWARF, found, in this order of preference, by GNU build-id under
 * /usr/lib/debug/.build-id/, by .gnu_debuglink (next to the object, in its
 * .debug/ folder, under /usr/lib/debug/; the CRC checked), as the object's
 * own MiniDebugInfo (.gnu_debugdata), and, only when DEBUGINFOD_URLS is set,
 * from debuginfod servers.
 *
 * Files are looked up inside the traced process's root and opened only
 * through procfs/mapped_file (openat2 with RESOLVE_IN_ROOT, O_PATH, fstat
 * checks, a size bound): a container controls those files. A file whose
 * build-id is not the object's, whose CRC is wrong, or that is no readable
 * ELF file is skipped and counted (health.debug_files_skipped); the first of
 * each kind is said with -v.
 *
 * debuginfod (symbolize/debuginfod_fetch): asked only for objects with
 * nothing local, when a frame in them is first named, on a thread of its own:
 * a report while the trace runs names those frames by what it has, and a
 * later one by the debug file once it has come; the final report waits for
 * the answers (each bounded by DEBUGINFOD_TIMEOUT).
 */
#ifndef MV_DEBUG_FILES_H
#define MV_DEBUG_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include "binary/elf_file.h"

enum debug_source {
	DEBUG_SOURCE_NONE,
	DEBUG_SOURCE_BUILD_ID,
	DEBUG_SOURCE_LINK,
	DEBUG_SOURCE_MINI,
	DEBUG_SOURCE_DEBUGINFOD,
};

/* The object whose debug file is wanted, as a traced process maps it. */
struct debug_object {
	struct elf_file *ef;	/* the object itself */
	const char *path;	/* its path in the maps line (may end " (deleted)") */
	int root_fd;		/* the process's root (O_PATH), -1: not known */
	const char *root_path;	/* that root's path seen from memvigil's ("/" or a chroot) */
};

struct debug_files;

/* NULL on ENOMEM. debuginfod is used when DEBUGINFOD_URLS is set and not empty. */
struct debug_files *debug_files__new(void);
void debug_files__free(struct debug_files *df);

/*
 * obj's debug file from local files, by the order above (build-id,
 * debuglink, MiniDebugInfo): an elf_file the caller frees, with *src saying
 * where it came from; NULL (and DEBUG_SOURCE_NONE) when none is found. When
 * the debug file's DWARF is shared with others through dwz, *alt is the file
 * its .gnu_debugaltlink names, found inside the root like the debug file (by
 * its build-id under /usr/lib/debug/.build-id/, else by the name), its
 * build-id checked; else NULL. The caller frees it too.
 */
struct elf_file *debug_files__find(struct debug_files *df, const struct debug_object *obj,
				   enum debug_source *src, struct elf_file **alt);

/*
 * obj's debug file from debuginfod (DEBUG_SOURCE_DEBUGINFOD), for an object
 * debug_files__find found nothing for, when a frame in it is to be named:
 * an elf_file the caller frees, or NULL (debuginfod off, not found, failed,
 * or *pending: asked for, no answer yet; ask again later). With wait, blocks
 * for the answer (up to DEBUGINFOD_TIMEOUT): once the trace has stopped.
 */
struct elf_file *debug_files__fetch(struct debug_files *df, const struct debug_object *obj,
				    bool wait, bool *pending);

/* Files skipped so far: wrong build-id or CRC, or no readable ELF file. */
uint64_t debug_files__skipped(const struct debug_files *df);

/* "build-id", "debuglink", "minidebuginfo", "debuginfod" or "none". */
const char *debug_source__name(enum debug_source src);

#endif
