/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbolizer: user-space addresses of traced processes to module, symbol
 * and offset. Mappings are captured per process while it is alive; the
 * binaries are opened then (through /proc/PID/map_files or /proc/PID/root)
 * and kept open, so a process that has exited still symbolizes. ELF symbol
 * tables are read only when an address in that binary is first resolved,
 * and cached per binary (dev + inode). C++ names are demangled once each.
 *
 * Names come from the object's .symtab and .dynsym and from its separate
 * debug file (debug_files.h: build-id, .gnu_debuglink, MiniDebugInfo,
 * debuginfod); source file, line and inlined calls from the DWARF of the
 * object or of that debug file (dwarf_cache.h bounds what is kept open).
 */
#ifndef MV_SYMBOLIZER_H
#define MV_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "procfs/procmaps.h"

struct symbolizer;

/* A function inlined at an address (DWARF): its name and where it runs. */
struct mv_inlined {
	const char *symbol;	/* demangled as mv_symbol's, NULL if DWARF names none */
	const char *mangled;	/* as mv_symbol's */
	const char *file;	/* source file, NULL if unknown */
	unsigned int line;	/* 0 if unknown */
};

struct mv_symbol {
	const char *module;	/* path of the mapped file as the process maps it
				 * (" (deleted)" kept), the kernel's name of a
				 * special mapping ("[vdso]", "[heap]"), or NULL
				 * for anonymous memory */
	const char *symbol;	/* function name, NULL if unknown; C++ names
				 * demangled, with their parameter lists */
	const char *mangled;	/* the symbol table's name when it differs from
				 * symbol (a mangled C++ name), else NULL */
	uint64_t offset;	/* addr - symbol start (or file offset if no symbol) */
	const char *file;	/* source file of the call in symbol (DWARF), or NULL */
	unsigned int line;	/* its line, 0 if unknown */
	/*
	 * The functions inlined into symbol at addr, innermost first: each ran
	 * at its own file and line, called from the next one (the last from
	 * symbol at file:line). Valid until the next resolve; NULL when none.
	 */
	const struct mv_inlined *inlined;
	size_t inlined_cnt;
	/* The mapping holding addr (zero when none does), as profile formats describe it. */
	uint64_t map_start;	/* its first address */
	uint64_t map_end;	/* one past its last address */
	uint64_t map_offset;	/* the file offset of map_start */
	const char *build_id;	/* the file's GNU build-id in hex, NULL if unknown */
	bool executable;	/* addr lies in an executable mapping */
};

struct symbolizer *symbolizer__new(void);
void symbolizer__free(struct symbolizer *sym);

/*
 * Debug files skipped (wrong build-id or CRC, unreadable), for
 * health.debug_files_skipped: every binary seen is loaded first, so the
 * count covers the files a report's frames will be named from.
 */
uint64_t symbolizer__debug_files_skipped(struct symbolizer *sym);

/*
 * The trace has stopped: from now on a frame whose debug file debuginfod is
 * fetching waits for it (up to DEBUGINFOD_TIMEOUT) rather than being named
 * without it, so the final reports are whole.
 */
void symbolizer__settle(struct symbolizer *sym);

/*
 * Capture pid's mappings now (replacing any earlier capture) and open the
 * files they map. Returns 0 or a negative errno (-ESRCH: pid is gone, or
 * a zombie whose mappings are gone; an earlier capture is then kept).
 */
int symbolizer__capture(struct symbolizer *sym, pid_t pid);

/*
 * Record m (a mapping as the kernel reported it, e.g. at exec) as pid's only
 * mapping, for a pid that is already gone: its binary is found among those
 * already open (same device and inode) or opened by m->path, checked by
 * inode. Returns 0 or a negative errno (-ENOENT: the binary cannot be found).
 */
int symbolizer__capture_mapping(struct symbolizer *sym, pid_t pid, const struct mv_mapping *m);

/* One mapping of a process as sym keeps it, with its file's build-id in hex (NULL: none known). */
typedef void (*symbolizer_mapping_fn)(void *ctx, pid_t pid, const struct mv_mapping *m,
				      const char *build_id);

/* Call fn for every mapping of every process sym keeps (what a recording saves). */
void symbolizer__each_mapping(struct symbolizer *sym, symbolizer_mapping_fn fn, void *ctx);

/* Replay: from now on no process's mappings are read from /proc (they are restored). */
void symbolizer__set_offline(struct symbolizer *sym);

/*
 * Replay: pid's mappings as a recording saved them (maps sorted by start,
 * build_ids[i] NULL or "" when the object had none). Each file is opened by
 * its path in memvigil's own root and used only if it is still the recorded
 * object: its build-id, or without one its device and inode. Frames in a
 * file that is gone or changed stay module+offset; changed (if given) is
 * called once per such file. Returns 0 or -ENOMEM.
 */
int symbolizer__restore(struct symbolizer *sym, pid_t pid, const struct mv_mapping *maps,
			const char *const *build_ids, size_t cnt, symbolizer_mapping_fn changed,
			void *ctx);

/*
 * What is known of pid moves to key (a retired process's own key, see
 * model__retire), never to be read again; pid is then unknown. Returns 0,
 * -ENOENT if nothing is known of pid, -EEXIST if key is taken.
 */
int symbolizer__rekey(struct symbolizer *sym, pid_t pid, pid_t key);

/* Drop what is known of pid (after exec, its old image is gone). */
void symbolizer__forget(struct symbolizer *sym, pid_t pid);

/*
 * Resolve a return address of pid. The symbol is the one containing
 * addr - 1 (the call instruction), offset is addr - symbol start. An
 * address outside the captured mappings triggers one re-capture while pid
 * is alive. Strings in *out live as long as sym. Returns 0, or -ENOENT when
 * no mapping covers addr (out->module and out->symbol are then NULL).
 */
int symbolizer__resolve(struct symbolizer *sym, pid_t pid, uint64_t addr,
			struct mv_symbol *out);

/*
 * How code above this module asks for symbols: symbolizer__resolve's
 * contract, with ctx whatever the caller passes along (a struct symbolizer,
 * or a test's fixed table), so the writers need no symbolizer of their own.
 */
typedef int (*symbol_resolve_fn)(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out);

#endif
