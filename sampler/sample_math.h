/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sample_math: the sampler's arithmetic. A per-thread random number
 * generator, the exponential gap between sample points (the integer draw of
 * include/memvigil/sampling.h that memvigil's BPF sampler makes, on the
 * same table), and the weight of a sampled block (the Horvitz-Thompson
 * weight user/model/sampling.c gives memvigil's reports). Pure: no libm, no
 * system calls, no allocation.
 */
#ifndef MVS_SAMPLE_MATH_H
#define MVS_SAMPLE_MATH_H

#include <stdbool.h>
#include <stdint.h>
#include "memvigil/sampling.h"

/* Seed a generator state from any 64-bit value (0 included). */
uint64_t sample_rng__seed(uint64_t seed);

/* The next 32 random bits of state (xorshift64*). */
uint32_t sample_rng__next32(uint64_t *state);

/*
 * Bytes to the next sample point: exponential with mean period bytes
 * (1 <= period <= MV_SAMPLE_BYTES_MAX), at least 1, from 32 random bits.
 */
uint64_t sample_math__gap(uint32_t rnd, uint64_t period);

/*
 * One allocation of size bytes through a thread's sampler: *left is the
 * bytes to its next sample point (0: draw one first from *rng, a seeded
 * state). Whether the allocation is sampled; the same steps as memvigil's
 * BPF sampler (bpf/heap.bpf.c, sample_take).
 */
static inline bool sample_math__take(__u64 *left, uint64_t *rng, uint64_t size, uint64_t period)
{
	if (!*left)
		*left = sample_math__gap(sample_rng__next32(rng), period);
	return mv_sample_consume(left, size);
}

/* 1 - exp(-x) for x >= 0, to about 1e-15 relative, without libm. */
double sample_math__one_minus_exp_neg(double x);

/*
 * The bytes a sampled block of size bytes stands for at period bytes:
 * size / (1 - exp(-size / period)), rounded; size itself when period is 0.
 */
uint64_t sample_math__weight_bytes(uint64_t size, uint64_t period);

/* The log2 table the gap draw interpolates in (MV_LOG2_TABLE_LEN entries). */
const uint32_t *sample_math__log2_table(void);

#endif
