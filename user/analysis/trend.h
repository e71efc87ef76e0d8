/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trend: increasing / stable / decreasing, from a series' slope and fit.
 *
 * A series is increasing (decreasing) when all of these hold:
 *   - it has at least TREND_MIN_SAMPLES samples in the window;
 *   - the fit explains the samples: R^2 >= TREND_MIN_R2;
 *   - the fitted change over the window, |slope| x span, is at least
 *     TREND_MIN_CHANGE_BYTES and at least TREND_MIN_CHANGE_FRAC of the mean;
 *   - the newer half of the window still moves that way at a rate that
 *     clears the same floor: |recent slope| x span is at least it too (a
 *     heap that rose and then held steady is not increasing any more,
 *     however well a line fits it);
 * and the slope is positive (negative). With fewer samples than that the
 * trend is unknown (two samples always fit a line); anything else is
 * stable. Pure.
 */
#ifndef MV_TREND_H
#define MV_TREND_H

#include "analysis/series.h"

#define TREND_MIN_SAMPLES 3
#define TREND_MIN_R2 0.5
#define TREND_MIN_CHANGE_BYTES 4096.0
#define TREND_MIN_CHANGE_FRAC 0.02

enum trend {
	TREND_STABLE,
	TREND_INCREASING,
	TREND_DECREASING,
	TREND_UNKNOWN,		/* fewer than TREND_MIN_SAMPLES samples yet */
};

enum trend trend__of(const struct series_stats *st);
/* "stable", "increasing", "decreasing", "unknown". */
const char *trend__name(enum trend t);

#endif
