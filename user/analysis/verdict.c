// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "analysis/verdict.h"

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

void verdict_ages__init(struct verdict_ages *a, const struct series_stats *st)
{
	*a = (struct verdict_ages){ .now_ms = st->last_ms, .from_ms = st->first_ms,
				    .to_ms = st->first_ms + st->span_ms / 2,
				    .oldest_ms = UINT64_MAX };
}

void verdict_ages__add(struct verdict_ages *a, uint64_t t_ms, double bytes)
{
	a->blocks++;
	if (t_ms < a->oldest_ms)
		a->oldest_ms = t_ms;
	if (t_ms >= a->from_ms && t_ms < a->to_ms)
		a->retained_bytes += bytes;
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

/* How clearly the samples so far rise, up to now. */
static double rising(const struct series_stats *st)
{
	double fit, persistence, steps;

	if (st->n < VERDICT_MIN_SAMPLES || st->slope_per_s <= 0)
		return 0;
	fit = clamp01(st->r2) * significance(st);
	persistence = clamp01(st->recent_slope_per_s / st->slope_per_s);
	/* Out of the rises the samples allow, up to VERDICT_MIN_RISES. */
	steps = clamp01((double)st->rises / (st->n - 1 < VERDICT_MIN_RISES ? st->n - 1
									    : VERDICT_MIN_RISES));
	return fit * persistence * steps;
}

bool verdict__needs_ages(const struct series_stats *st)
{
	return rising(st) > 0;
}

/* Of what the stack added in the older half of the span, the part still live. */
static double retention(const struct series_stats *st, const struct verdict_ages *a)
{
	double added = st->slope_per_s * (a->to_ms - a->from_ms) / 1000.0;

	return added > 0 ? clamp01(a->retained_bytes / added) : 0;
}

/* 1 once the oldest live block is VERDICT_HELD_MS old; at most 1/2 before. */
static double held(const struct verdict_ages *a)
{
	double age_ms;

	if (!a->blocks || a->oldest_ms > a->now_ms)
		return 0;
	age_ms = a->now_ms - a->oldest_ms;
	return age_ms >= VERDICT_HELD_MS ? 1 : age_ms / (2.0 * VERDICT_HELD_MS);
}

double verdict__score(const struct series_stats *st, const struct verdict_ages *a)
{
	double r = rising(st);

	return r > 0 ? r * retention(st, a) * held(a) : 0;
}

enum verdict verdict__of(const struct series_stats *st, const struct verdict_ages *a,
			 double *score)
{
	double s = verdict__score(st, a);
	enum verdict v;

	if (st->n && st->current <= 0)
		v = VERDICT_FREED;
	else if (st->n < VERDICT_MIN_SAMPLES)
		v = VERDICT_EARLY;
	else if (s >= VERDICT_LEAK_SCORE)
		v = VERDICT_LEAK;
	else if (s >= VERDICT_GROWING_SCORE || rising(st) >= VERDICT_RISING_GROWING)
		v = VERDICT_GROWING;
	else
		v = VERDICT_STABLE;
	if (score)
		*score = v == VERDICT_FREED ? 0 : s;
	return v;
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
	case VERDICT_EARLY:
		return "early";
	default:
		return "stable";
	}
}

const char *verdict__json_name(enum verdict v)
{
	return v == VERDICT_EARLY ? "too_early" : verdict__name(v);
}
