/* SPDX-License-Identifier: GPL-2.0 */
/*
 * preload: what `memvigil --preload -- CMD` gives CMD as LD_PRELOAD: the
 * sampler library (next to memvigil in a build tree, or in the installed
 * lib/memvigil/), in front of what LD_PRELOAD already holds, never instead
 * of it. Refuses a command that cannot take a preload: a static executable
 * (no dynamic loader runs) or a set-user-ID or set-group-ID one (the loader
 * ignores LD_PRELOAD paths with slashes in secure mode).
 */
#ifndef MV_PRELOAD_H
#define MV_PRELOAD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The sampler library for the memvigil binary at exe: exe's directory
 * + lib/memvigil/ (a build tree), else exe's directory + ../lib/memvigil/
 * (an installed one). 0 with the path in out, or -ENOENT.
 */
int preload__find_library(const char *exe, char *out, size_t out_len);

/* "lib" or "lib existing": the new LD_PRELOAD. 0, or -ENAMETOOLONG. Pure. */
int preload__value(const char *lib, const char *existing, char *out, size_t out_len);

/*
 * Whether the ELF header and program headers in buf (the start of an
 * executable, len bytes) name a dynamic loader (PT_INTERP): 1, 0 (static),
 * or -ENOEXEC (not an ELF file or cut short: a script, whose interpreter
 * decides). Pure.
 */
int preload__elf_is_dynamic(const void *buf, size_t len);

/*
 * Check that command (argv[0], resolved like execvp) can take a preload and
 * put its LD_PRELOAD in out. 0, or a negative errno with a one-line reason
 * in err.
 */
int preload__prepare(const char *command, char *out, size_t out_len, char *err,
		     size_t err_len);

#endif
