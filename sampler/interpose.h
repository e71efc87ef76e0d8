/* SPDX-License-Identifier: GPL-2.0 */
/*
 * interpose: what every interposed entry point does around its forwarded
 * call when not dormant. Always inlined into the entry point's traced half,
 * which the entry point reaches by a tail call: the probe functions are
 * called from the only frame of the library on the stack
 * (include/memvigil/sampler.h: 8(%rbp) at the probe is the allocation site).
 */
#ifndef MVS_INTERPOSE_H
#define MVS_INTERPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include "memvigil/events.h"
#include "probes.h"
#include "trace.h"

#define MVS_INLINE inline __attribute__((always_inline))

/* Whether this call is the thread's outermost one in a non-dormant mode. */
static MVS_INLINE bool interpose__traced(uint32_t mode)
{
	return unlikely(mode != MV_SAMPLER_DORMANT) && !mvs_depth;
}

/* Around the forwarded call of a traced entry point. */
static MVS_INLINE void interpose__enter(void)
{
	mvs_depth++;
}

static MVS_INLINE void interpose__leave(void)
{
	mvs_depth--;
}

/* p (maybe NULL) was allocated with size bytes by a traced call: report it if it matters. */
static MVS_INLINE void *interpose__allocated(void *p, size_t size, uint32_t kind, uint32_t mode)
{
	struct trace_alloc r;

	if (p && !trace__alloc_unsampled(size, mode) && trace__alloc(p, size, mode, &r))
		mvs_probe_alloc(p, size, r.weight_bytes, kind, r.generation);
	return p;
}

/* p (non-NULL) is about to be freed by a traced call: whether its free was reported. */
static MVS_INLINE bool interpose__freeing(void *p, uint32_t kind, uint32_t mode)
{
	uint64_t generation;

	if (trace__free_unsampled(p, mode) || !trace__free(p, mode, &generation))
		return false;
	mvs_probe_free(p, kind, generation);
	return true;
}

/* Whether the C entry points resolve to another definition than this library's. */
bool interpose__shadowed(void) MVS_HIDDEN;

/* Resolve the C++ operators that are defined at start-up. */
void interpose__resolve_cxx(void) MVS_HIDDEN;

#endif
