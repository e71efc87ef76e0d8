/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Byte sampling, shared by the BPF programs (which decide) and user space
 * (which tests the same integer math). Allocations are sampled as a Poisson
 * process over the bytes a thread allocates: the gap between two sample
 * points is exponential with mean P bytes (the sampling period), and an
 * allocation is sampled when a point falls inside its bytes, which happens
 * with probability 1 - exp(-size / P). Each thread keeps the bytes left to
 * its next point; an allocation consumes its size from it.
 *
 * The exponential gap is ceil(-P * ln U) for a uniform U = (r + 1) / 2^32,
 * r a random 32-bit number, with -ln U = ln 2 * (32 - log2(r + 1)) in
 * integer math: the integer part of log2 from the highest set bit, the
 * fraction by linear interpolation in a table of log2(1 + i / 1024) (Q31,
 * filled by user space before load; absolute error below 2e-7), times ln 2
 * in Q24. No loops, no floating point.
 */
#ifndef MEMVIGIL_SAMPLING_H
#define MEMVIGIL_SAMPLING_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Largest sampling period, in bytes (keeps the gap arithmetic within 64 bits). */
#define MV_SAMPLE_BYTES_MAX (1ull << 30)

/* Live sampled blocks the kernel tracks by default (--sample-max-live). */
#define MV_SAMPLE_MAX_LIVE_DEFAULT 262144u
#define MV_SAMPLE_MAX_LIVE_MAX (1u << 24)

#define MV_LOG2_TABLE_BITS 10
/* Entries of the log2 table: log2(1 + i / 1024) * 2^31 for i = 0..1024. */
#define MV_LOG2_TABLE_LEN ((1u << MV_LOG2_TABLE_BITS) + 1)
#define MV_LN2_Q24 11629080ull		/* ln 2 * 2^24, rounded */

/* log2(x) in Q32 for 1 <= x <= 2^32. */
static __always_inline __u64 mv_log2_q32(__u64 x, const volatile __u32 *log2_tab)
{
	__u64 y = x, frac, lo, hi, r;
	__u32 k = 0, i;

	if (y >> 32) { k += 32; y >>= 32; }
	if (y >> 16) { k += 16; y >>= 16; }
	if (y >> 8) { k += 8; y >>= 8; }
	if (y >> 4) { k += 4; y >>= 4; }
	if (y >> 2) { k += 2; y >>= 2; }
	if (y >> 1) { k += 1; }
	/* the bits below the highest one, as a Q32 fraction */
	frac = (x << (32 - k)) & 0xffffffffull;
	i = (__u32)(frac >> (32 - MV_LOG2_TABLE_BITS)) & ((1u << MV_LOG2_TABLE_BITS) - 1);
	r = frac & ((1ull << (32 - MV_LOG2_TABLE_BITS)) - 1);
	lo = log2_tab[i];
	hi = log2_tab[i + 1];
	return ((__u64)k << 32) + ((lo + (((hi - lo) * r) >> (32 - MV_LOG2_TABLE_BITS))) << 1);
}

/*
 * Bytes from here to the next sample point: an exponential draw of mean
 * period bytes (1 <= period <= MV_SAMPLE_BYTES_MAX) from the random number
 * rnd, rounded up, at least 1.
 */
static __always_inline __u64 mv_sample_gap(__u32 rnd, __u64 period,
					   const volatile __u32 *log2_tab)
{
	__u64 neg_log2 = (32ull << 32) - mv_log2_q32((__u64)rnd + 1, log2_tab);
	__u64 e = (neg_log2 * MV_LN2_Q24) >> 24;	/* -ln U, Q32 */
	__u64 gap = period * (e >> 32) + ((period * (e & 0xffffffffull) + 0xffffffffull) >> 32);

	return gap ? gap : 1;
}

/*
 * An allocation of size bytes against a thread's bytes-to-next-sample *left,
 * which the caller has drawn (mv_sample_gap) when it was 0. Returns 1 when
 * the allocation is sampled, and then sets *left to 0: the next allocation
 * draws a fresh gap (the exponential is memoryless, so drawing it later is
 * the same as drawing it now).
 */
static __always_inline int mv_sample_consume(__u64 *left, __u64 size)
{
	if (size < *left) {
		*left -= size;
		return 0;
	}
	*left = 0;
	return 1;
}

#endif /* MEMVIGIL_SAMPLING_H */
