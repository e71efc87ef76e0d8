/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verdict: is one call stack leaking? A leak score 0..1 and a verdict from
 * the series of the stack's outstanding bytes over the window. Pure.
 *
 * What separates a leak from a cache is not the age of the blocks (a cache's
 * blocks are old too) nor the free rate (a leaking stack may also free most
 * of what it allocates), but whether the outstanding bytes keep rising, in a
 * line, until now. With the window's statistics (see series.h):
 *
 *   fit          = R^2 of the least-squares line         (0 if slope <= 0)
 *   significance = clamp((t - 2) / 2, 0, 1), t = sqrt(R^2 (n - 2) / (1 - R^2)),
 *                  the slope's t statistic: not a chance line through noise?
 *   persistence  = clamp(recent_slope / slope, 0, 1)     newer half still rising?
 *   coverage     = clamp(span / (window / 2), 0, 1)       enough time observed?
 *   steps        = clamp(rises / VERDICT_MIN_RISES, 0, 1) rose more than once or twice?
 *
 *   score = fit x significance x persistence x coverage x steps
 *           (0 with fewer than 3 samples)
 *
 * Verdict, in order: `freed` when nothing is outstanding now; `leak` when
 * score >= VERDICT_LEAK_SCORE; `growing` when score >= VERDICT_GROWING_SCORE
 * or, whatever the coverage, fit x significance x persistence x steps >=
 * VERDICT_RISING_GROWING (rising, but not yet for long enough or not
 * steadily enough: a stack seen rising for a few seconds is not called
 * stable); else `stable`.
 *
 * So a cache that fills and then holds steady turns `stable` once the newer
 * half of the window is flat, and a steady leak, however much other
 * allocation churn surrounds it, scores near 1 as soon as half a window has
 * been observed (30 s with the default 60 s window).
 */
#ifndef MV_VERDICT_H
#define MV_VERDICT_H

#include <stdint.h>
#include "analysis/series.h"

#define VERDICT_LEAK_SCORE 0.7
#define VERDICT_GROWING_SCORE 0.2
#define VERDICT_RISING_GROWING 0.5	/* the score without coverage */
#define VERDICT_MIN_RISES 4
#define VERDICT_MIN_SAMPLES 3
#define VERDICT_T_NONE 2.0	/* slope t statistic below which growth is noise */
#define VERDICT_T_FULL 4.0	/* ... and from which it counts fully */

enum verdict {
	VERDICT_STABLE,
	VERDICT_GROWING,
	VERDICT_LEAK,
	VERDICT_FREED,
	VERDICT_CNT,
};

/* The leak score 0..1 of a stack's outstanding-bytes series over window_ms. */
double verdict__score(const struct series_stats *st, uint64_t window_ms);
/* The verdict, and its score in *score (NULL ok). */
enum verdict verdict__of(const struct series_stats *st, uint64_t window_ms, double *score);
/* "stable", "growing", "leak", "freed". */
const char *verdict__name(enum verdict v);

#endif
