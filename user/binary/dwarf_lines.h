/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dwarf_lines: source file, line and inlined calls of an address, from the
 * DWARF of one ELF file (libdw). The file may be the object itself or its
 * separate debug file; addresses are the object's virtual addresses.
 */
#ifndef MV_DWARF_LINES_H
#define MV_DWARF_LINES_H

#include <stddef.h>
#include <stdint.h>
#include "binary/elf_file.h"

struct dwarf_lines;

/* One function of the chain an address runs in. */
struct src_frame {
	const char *func;	/* linkage name if it has one (mangled C++), else its name;
				 * NULL if unnamed */
	const char *file;	/* source file as DWARF names it, or NULL */
	unsigned int line;	/* 0 if unknown */
};

/* The most functions inlined into one another that are reported at one address. */
#define DWARF_LINES_MAX_FRAMES 16

/*
 * DWARF reader over ef (which must outlive it), with alt the file ef's
 * .gnu_debugaltlink names (dwz; NULL: none found). libdw never looks for
 * files itself: it would open the paths a debug file names (its alt file,
 * split DWARF's .dwo files) outside the traced process's root, through any
 * link. Without alt, what ef keeps in it is unnamed; ef with split DWARF
 * units is refused. NULL with errno ENOENT when ef holds no DWARF, EINVAL
 * when a string section of it is not terminated (libdw would read past it),
 * EOPNOTSUPP for split DWARF, or another errno.
 */
struct dwarf_lines *dwarf_lines__new(struct elf_file *ef, struct elf_file *alt);
void dwarf_lines__free(struct dwarf_lines *dl);

/*
 * The functions vaddr runs in, innermost first, into out[0..max): each one
 * but the last was inlined into the next, at the file and line given for
 * it; the last is the out-of-line function (the frame's own). Strings live
 * as long as dl. Returns how many (>= 1), or -ENOENT when no compile unit
 * covers vaddr.
 */
int dwarf_lines__find(struct dwarf_lines *dl, uint64_t vaddr, struct src_frame *out, size_t max);

#endif
