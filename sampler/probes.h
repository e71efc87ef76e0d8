/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes: the probe functions (probes.S) under names only the library
 * sees, so that calls to them are direct. Each starts with a 5-byte nop and
 * returns: all they do is be a place for memvigil's uprobes.
 */
#ifndef MVS_PROBES_H
#define MVS_PROBES_H

#include <stdbool.h>
#include <stdint.h>
#include "trace.h"

void mvs_probe_alloc(void *ptr, uint64_t size, uint64_t weight_bytes, uint32_t kind,
		     uint64_t generation) MVS_HIDDEN;
void mvs_probe_free(void *ptr, uint32_t kind, uint64_t generation) MVS_HIDDEN;

/*
 * In a forked child (pthread_atfork, before anything else runs, or at the
 * first probes__fork_check of a child made without fork handlers): give
 * back their nop to probe functions the kernel optimized into a call to a
 * trampoline the child does not have, reseed the threads' generators
 * (trace__fork_child) and mark the process as repaired (probes_fork.c).
 */
void probes__fork_child(void) MVS_HIDDEN;

/*
 * Map the page whose mark every forked child finds zeroed (MADV_WIPEONFORK).
 * False when the kernel has no such pages: then only children made by
 * glibc's fork() are repaired (its fork handler).
 */
bool probes__fork_guard_init(void) MVS_HIDDEN;

/* Nonzero in a process whose probe functions are its own; zero in an unrepaired child. */
extern uint32_t *mvs_fork_mark MVS_HIDDEN;

/* Before any probe call: repair a child made by _Fork() or a raw clone/fork system call. */
static inline void probes__fork_check(void)
{
	if (unlikely(!__atomic_load_n(__atomic_load_n(&mvs_fork_mark, __ATOMIC_ACQUIRE),
				      __ATOMIC_RELAXED)))
		probes__fork_child();
}

#endif
