/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wl_rand.h: the workloads' pseudo-random numbers, seeded by the caller so
 * that a workload's truth is the same on every run: a 64-bit linear
 * congruential generator, 31 bits out per call.
 */
#ifndef MEMVIGIL_WORKLOAD_RAND_H
#define MEMVIGIL_WORKLOAD_RAND_H

#include <stdint.h>

static inline uint64_t wl_rand_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

#endif
