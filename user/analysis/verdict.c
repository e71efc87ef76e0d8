// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "analysis/verdict.h"

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* How far the slope stands out of the noise: its t statistic mapped to 0..1. */
static double significance(const struct series_stats *st)
{
	double t;

	if (st->r2 >= 1)
		return 1;
	t = sqrt(st->r2 * (st->n - 2) / (1 - st->r2));
	return clamp01((t - VERDICT_T_NONE) / (VERDICT_T_FULL - VERDICT_T_NONE));
}

/* The score without coverage: how clearly the samples so far rise, up to now. */
static double rising(const struct series_stats *st)
{
	double fit, persistence, steps;

	if (st->n < VERDICT_MIN_SAMPLES || st->slope_per_s <= 0)
		return 0;
	fit = clamp01(st->r2) * significance(st);
	persistence = clamp01(st->recent_slope_per_s / st->slope_per_s);
	steps = clamp01((double)st->rises / VERDICT_MIN_RISES);
	return fit * persistence * steps;
}

double verdict__score(const struct series_stats *st, uint64_t window_ms)
{
	if (!window_ms)
		return 0;
	return rising(st) * clamp01((double)st->span_ms / (window_ms / 2.0));
}

enum verdict verdict__of(const struct series_stats *st, uint64_t window_ms, double *score)
{
	double s = verdict__score(st, window_ms);

	if (score)
		*score = st->n && st->current <= 0 ? 0 : s;
	if (st->n && st->current <= 0)
		return VERDICT_FREED;
	if (s >= VERDICT_LEAK_SCORE)
		return VERDICT_LEAK;
	if (s >= VERDICT_GROWING_SCORE || rising(st) >= VERDICT_RISING_GROWING)
		return VERDICT_GROWING;
	return VERDICT_STABLE;
}

const char *verdict__name(enum verdict v)
{
	switch (v) {
	case VERDICT_GROWING:
		return "growing";
	case VERDICT_LEAK:
		return "leak";
	case VERDICT_FREED:
		return "freed";
	default:
		return "stable";
	}
}
