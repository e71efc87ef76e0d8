// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "analysis/trend.h"

enum trend trend__of(const struct series_stats *st)
{
	double change = fabs(st->slope_per_s) * st->span_ms / 1000.0;
	double recent = st->recent_slope_per_s * st->span_ms / 1000.0;
	double floor = fmax(TREND_MIN_CHANGE_BYTES, TREND_MIN_CHANGE_FRAC * fabs(st->mean));

	if (st->n < TREND_MIN_SAMPLES)
		return TREND_UNKNOWN;
	if (st->r2 < TREND_MIN_R2 || change < floor)
		return TREND_STABLE;
	/* The newer half still moves the same way, as fast as the floor asks. */
	if ((st->slope_per_s > 0 ? recent : -recent) < floor)
		return TREND_STABLE;
	return st->slope_per_s > 0 ? TREND_INCREASING : TREND_DECREASING;
}

const char *trend__name(enum trend t)
{
	switch (t) {
	case TREND_INCREASING:
		return "increasing";
	case TREND_DECREASING:
		return "decreasing";
	case TREND_UNKNOWN:
		return "unknown";
	default:
		return "stable";
	}
}
