/* SPDX-License-Identifier: GPL-2.0 */
/*
 * series: one quantity sampled over time (a process's heap, a stack's
 * outstanding bytes), kept over a sliding window in a bounded ring.
 * Gives the baseline (first sample ever), current and peak values, and the
 * least-squares slope over the window with its fit quality (R^2). Pure.
 */
#ifndef MV_SERIES_H
#define MV_SERIES_H

#include <stdbool.h>
#include <stdint.h>

/* Samples a series keeps at most; beyond window/interval it thins out. */
#define SERIES_MAX_SAMPLES 256

struct series_stats {
	double baseline;	/* first sample ever added */
	double current;		/* last sample added */
	double peak;		/* largest sample ever added */
	double delta;		/* current - baseline */
	double mean;		/* mean of the samples in the window */
	double slope_per_s;	/* least-squares slope over the window, units/s */
	double r2;		/* fit quality 0..1 (1 when all samples are equal) */
	double recent_slope_per_s; /* slope over the newer half of the window */
	uint32_t n;		/* samples in the window */
	uint32_t rises;		/* sample-to-sample increases in the window */
	uint64_t span_ms;	/* newest - oldest sample time in the window */
	uint64_t first_ms;	/* time of the oldest sample in the window */
	uint64_t last_ms;	/* time of the newest sample in the window */
};

struct series;

/*
 * A series over the last window_ms milliseconds, expecting a sample every
 * interval_ms (> 0). Memory is bounded by SERIES_MAX_SAMPLES whatever the
 * ratio. NULL on ENOMEM or a zero window/interval (errno set).
 */
struct series *series__new(uint64_t window_ms, uint64_t interval_ms);
void series__free(struct series *s);

/*
 * Add the value at t_ms (non-decreasing). Samples older than
 * t_ms - window_ms leave the window; a sample closer than the ring's
 * resolution to the previous one updates current and peak only, and one
 * less than half an interval after it replaces it.
 */
void series__add(struct series *s, uint64_t t_ms, double value);
bool series__empty(const struct series *s);
void series__stats(const struct series *s, struct series_stats *out);

/* Least-squares fit of n points (x in seconds); slope and R^2 (NULLs ok). */
void series__fit(const double *x, const double *y, uint32_t n, double *slope, double *r2);

#endif
