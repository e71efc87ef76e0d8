/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sampling: user space's side of byte sampling (include/memvigil/sampling.h):
 * the table the BPF sampler interpolates in, and the weights that turn
 * samples into unbiased estimates. Pure.
 *
 * A block of size bytes is sampled with probability p = 1 - exp(-size / P)
 * for the sampling period P. Weighting each sampled block by 1/p (count) and
 * size/p (bytes) makes the sums unbiased estimates of the true count and
 * bytes, whatever the mix of sizes (Horvitz-Thompson). The variance of the
 * bytes estimate is estimated by the sum of (size/p)^2 * (1 - p).
 */
#ifndef MV_SAMPLING_H
#define MV_SAMPLING_H

#include <stdint.h>
#include "memvigil/sampling.h"

struct sample_weight {
	double count;		/* 1/p: blocks this sample stands for */
	double bytes;		/* size/p */
	double bytes_var;	/* (size/p)^2 * (1 - p): its share of the variance */
};

/* Fill the table of log2(1 + i / 1024) * 2^31 the BPF sampler reads. */
void sampling__fill_log2_table(uint32_t table[MV_LOG2_TABLE_LEN]);

/* Probability that a block of size bytes is sampled at period bytes (1 when period is 0). */
double sampling__probability(uint64_t size, uint64_t period);

/* Weight of one sampled block; period 0 (exact) gives count 1, bytes size, no variance. */
struct sample_weight sampling__weight(uint64_t size, uint64_t period);

#endif
