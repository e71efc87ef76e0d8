/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resolve: the next definition of each C allocator entry point, the one the
 * program would call without this library (dlsym RTLD_NEXT: a later preload
 * such as jemalloc, the program's own allocator library, or the C library).
 * Until resolved, each pointer holds a start-up function that resolves them
 * all first; allocations made by dlsym itself meanwhile come from the
 * boot arena.
 */
#ifndef MVS_RESOLVE_H
#define MVS_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include "trace.h"

struct next_fns {
	void *(*malloc)(size_t size);
	void (*free)(void *ptr);
	void *(*calloc)(size_t count, size_t size);
	void *(*realloc)(void *ptr, size_t size);
	void *(*reallocarray)(void *ptr, size_t count, size_t size);
	int (*posix_memalign)(void **out, size_t align, size_t size);
	void *(*aligned_alloc)(size_t align, size_t size);
	void *(*memalign)(size_t align, size_t size);
	void *(*valloc)(size_t size);
	void *(*pvalloc)(size_t size);
	size_t (*malloc_usable_size)(void *ptr);
};

extern struct next_fns mvs_next MVS_HIDDEN;

/* The next definition of fn, callable at any time (read once per call). */
#define NEXT(fn) __atomic_load_n(&mvs_next.fn, __ATOMIC_RELAXED)

/*
 * Resolve every pointer of mvs_next; exits the process if malloc or free has
 * no next. This and resolve__next_pinned raise mvs_depth while they call the
 * loader, so its allocations are never reported as the program's.
 */
void resolve__all(void) MVS_HIDDEN;

/*
 * The next definition of name, or NULL: the first after this library in
 * the global scope, else (caller non-NULL) the one the object holding the
 * code address caller sees in its own scope (a C++ library dlopened
 * RTLD_LOCAL by a C program brings libstdc++ into its local scope only).
 * The object that defines it is pinned (never unloaded), so the pointer
 * stays valid after a dlclose.
 */
void *resolve__next_pinned(const char *name, const void *caller) MVS_HIDDEN;

#endif
