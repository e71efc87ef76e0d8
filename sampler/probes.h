/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes: the probe functions (probes.S) under names only the library
 * sees, so that calls to them are direct. Each starts with a 5-byte nop and
 * returns: all they do is be a place for memvigil's uprobes.
 */
#ifndef MVS_PROBES_H
#define MVS_PROBES_H

#include <stdint.h>
#include "trace.h"

void mvs_probe_alloc(void *ptr, uint64_t size, uint64_t weight_bytes, uint32_t kind,
		     uint64_t generation) MVS_HIDDEN;
void mvs_probe_free(void *ptr, uint32_t kind, uint64_t generation) MVS_HIDDEN;

/*
 * In a forked child (pthread_atfork, before anything else runs): give back
 * their nop to probe functions the kernel optimized into a call to a
 * trampoline the child does not have (probes_fork.c).
 */
void probes__fork_child(void) MVS_HIDDEN;

#endif
