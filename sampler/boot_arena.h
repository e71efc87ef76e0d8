/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot_arena: memory for the allocations made while the library looks up
 * the next allocator (dlsym may allocate, and the next malloc is not known
 * yet). A static bump arena: blocks are never reused, frees of them are
 * ignored, and entry points recognise its addresses by range.
 */
#ifndef MVS_BOOT_ARENA_H
#define MVS_BOOT_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace.h"

#define BOOT_ARENA_BYTES (64u << 10)

extern char mvs_boot_arena[BOOT_ARENA_BYTES] MVS_HIDDEN;

static inline bool boot_arena__owns(const void *p)
{
	return (uintptr_t)p - (uintptr_t)mvs_boot_arena < BOOT_ARENA_BYTES;
}

/* size zeroed bytes aligned to align (a power of two); NULL and ENOMEM when full. */
void *boot_arena__alloc(size_t size, size_t align) MVS_HIDDEN;

/* The size a block of the arena was allocated with. */
size_t boot_arena__size(const void *p) MVS_HIDDEN;

#endif
