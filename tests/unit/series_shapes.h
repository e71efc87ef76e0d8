/* SPDX-License-Identifier: GPL-2.0 */
/*
 * series_shapes: the outstanding bytes at time t (seconds) of the shapes
 * that trends and leak verdicts are tested on, as test_series.c and
 * test_trend.c sample them.
 */
#ifndef MV_TEST_SERIES_SHAPES_H
#define MV_TEST_SERIES_SHAPES_H

#include <math.h>

/* 8 KiB every 125 ms. */
static inline double steady_leak(double t)
{
	return 8192 * floor(t * 8);
}

/* 128 bytes every 125 ms: 1 KiB/s. */
static inline double slow_leak(double t)
{
	return 128 * floor(t * 8);
}

/* A cache of entries 4 KiB blocks, one per 125 ms: full after entries / 8 s, then flat. */
static inline double filled_cache(double t, int entries)
{
	return 4096 * fmin(floor(t * 8), entries);
}

/* 2 MiB held for 2 s out of 4. */
static inline double sawtooth(double t)
{
	return fmod(t, 4) >= 2 ? 2 << 20 : 0;
}

/* 256 KiB mapped every 100 ms. */
static inline double mapping_leak(double t)
{
	return 262144 * floor(t * 10);
}

#endif
