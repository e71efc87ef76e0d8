/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dwarf_cache: the DWARF readers of the objects being symbolized, at most
 * DWARF_CACHE_MAX open at once (a reader holds the object's line tables and
 * DIE indexes once used: megabytes for a large library); the least recently
 * used one is closed to make room and reopened if asked for again. An
 * object without DWARF takes no reader.
 */
#ifndef MV_DWARF_CACHE_H
#define MV_DWARF_CACHE_H

#include "binary/dwarf_lines.h"
#include "binary/elf_file.h"

#define DWARF_CACHE_MAX 32

struct dwarf_cache;

struct dwarf_cache *dwarf_cache__new(void);
void dwarf_cache__free(struct dwarf_cache *c);

/*
 * The DWARF reader of ef (with alt, the dwz file its DWARF refers to, or
 * NULL), for owner (the object it stands for; one ef per owner). NULL when
 * ef holds no DWARF. Valid until the next call.
 */
struct dwarf_lines *dwarf_cache__get(struct dwarf_cache *c, const void *owner,
				     struct elf_file *ef, struct elf_file *alt);

/* Forget owner (its ef is about to be freed). */
void dwarf_cache__drop(struct dwarf_cache *c, const void *owner);

#endif
