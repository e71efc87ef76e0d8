/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbolizer_impl: the symbolizer's own state, shared by symbolizer.c and
 * symbolizer_saved.c (mappings written to and read back from a recording).
 * Only symbolize/ includes it.
 */
#ifndef MV_SYMBOLIZER_IMPL_H
#define MV_SYMBOLIZER_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "symbolize/debug_files.h"
#include "symbolize/dwarf_cache.h"
#include "symbolize/name_store.h"
#include "symbolize/sorted_vec.h"
#include "symbolize/symbolizer.h"

/* One file-backed binary, shared by every process that maps it. */
struct binary {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	int fd;			/* open until the ELF is read (then ef owns it); -1: none */
	unsigned int users;	/* mappings of captured processes that refer to it */
	bool loaded;		/* fd handed to ef (ef NULL if that failed) */
	int root_fd;		/* the first mapper's root (O_PATH) until loaded; -1: none */
	char *root_path;	/* that root's path, and the maps path of the file, */
	char *path;		/* both to find debug files (NULL: unknown) */
	struct elf_file *ef;
	struct elf_file *dbg;	/* separate debug file (debug_files.h), or NULL */
	struct elf_file *alt;	/* the dwz file dbg's DWARF refers to, or NULL */
	enum debug_source src;	/* where dbg came from */
	bool fetched;		/* debuginfod answered for it (or is off) */
};

/* What a capture kept of one process: its mappings and their binaries. */
struct captured_proc {
	pid_t pid;
	bool gone;		/* a capture found it gone: do not re-read it on a miss */
	struct procmaps *pm;
	struct binary **bins;	/* per mapping of pm; NULL: no file behind it */
};

struct symbolizer {
	struct sorted_vec procs;	/* struct captured_proc *, by pid */
	struct sorted_vec bins;	/* struct binary *, by device and inode */
	struct name_store *names;	/* every string handed out */
	struct debug_files *debug;
	struct dwarf_cache *dwarf;
	bool settled;		/* the trace has stopped: wait for debuginfod's answers */
	struct mv_inlined inlined[DWARF_LINES_MAX_FRAMES];	/* the last resolve's */
	bool offline;		/* replay: never read a process's mappings from /proc */
};

struct bin_key {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
};

/* Order of binaries by device and inode (key: struct bin_key). */
int symbolizer__cmp_bin(const void *key, const void *item);
/* A binary for k, with no file yet; NULL without memory. */
struct binary *binary__new(const struct bin_key *k);
/*
 * The binary of m's file (by device and inode), new (no file yet, *found
 * false) if none is known; NULL for a mapping without a file, or without
 * memory. No user is added.
 */
struct binary *binary__of(struct symbolizer *sym, const struct mv_mapping *m, bool *found);
/* One user less; once none, an unread binary's file is closed. */
void binary__put(struct binary *b);
/* Read b's ELF headers on first use and find its debug file: 0 or a negative errno. */
int binary__load(struct symbolizer *sym, struct binary *b);
/* Drop p's capture and its references to binaries. */
void captured__release(struct captured_proc *p);
/* The capture of pid, created empty if none; NULL without memory. */
struct captured_proc *captured__get(struct symbolizer *sym, pid_t pid);
/* The build-id of b (loaded) in hex, kept as long as sym; NULL if it has none. */
const char *binary__build_id_hex(struct symbolizer *sym, struct binary *b);

#endif
