/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verdict: is one call stack leaking? A leak score 0..1 and a verdict from
 * the series of the stack's outstanding bytes over the window (sampled about
 * once a second) and the ages of its live blocks, or of its mappings, at the
 * newest sample. Pure.
 *
 * A leak keeps what it allocates: its outstanding bytes rise in a line, the
 * blocks it allocated early on are all still live, and their ages span the
 * whole time it has been watched. A cache that fills and then churns rises
 * the same way while it fills, but then frees its oldest blocks: its level
 * goes flat and its live blocks are all younger than its lifetime. A stack
 * that frees most of what it allocates may still leak the rest; what tells
 * is whether what it allocated long ago is still there. With the window's
 * statistics (see series.h) and the live blocks' ages:
 *
 *   fit          = R^2 of the least-squares line         (0 if slope <= 0)
 *   significance = clamp((t - 2) / 2, 0, 1), t = sqrt(R^2 (n - 2) / (1 - R^2)),
 *                  the slope's t statistic: not a chance line through noise?
 *   persistence  = clamp(recent_slope / slope, 0, 1)     newer half still rising?
 *   steps        = clamp(rises / min(n - 1, VERDICT_MIN_RISES), 0, 1)
 *                  rose at most steps, and more than once or twice?
 *   rising       = fit x significance x persistence x steps
 *   retention    = clamp(R / (slope x span / 2), 0, 1), R = the live bytes the
 *                  stack allocated in the older half of the series' span:
 *                  of what it added then, how much it still holds (1 for a
 *                  stack that never frees; 0 once a cache has churned
 *                  through everything it held then)
 *   held         = 1 once its oldest live block is VERDICT_HELD_MS old, else
 *                  age / (2 x VERDICT_HELD_MS): at most one half before then
 *
 *   score = rising x retention x held
 *
 * Verdict, in order: `freed` when nothing is outstanding now; `early` with
 * fewer than VERDICT_MIN_SAMPLES samples in the window (two samples always
 * fit a line: no evidence either way); `leak` when score >=
 * VERDICT_LEAK_SCORE, which needs the oldest live block to be
 * VERDICT_HELD_MS old; `growing` when score >= VERDICT_GROWING_SCORE or
 * rising >= VERDICT_RISING_GROWING (rising, but not yet for long enough, or
 * by blocks it frees again); else `stable`.
 *
 * So a steady leak is called a leak at the first sample after its oldest
 * block is VERDICT_HELD_MS old: within 9.5 s of its first allocation at one
 * sample a second, whatever churn surrounds it and whatever the report
 * interval. A cache that fills for less than VERDICT_HELD_MS never is, since
 * it frees its blocks younger than that, and it turns `stable` once the
 * newer half of the window is flat. A cache still filling after
 * VERDICT_HELD_MS looks like a leak until it frees its first blocks.
 */
#ifndef MV_VERDICT_H
#define MV_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include "analysis/series.h"

#define VERDICT_LEAK_SCORE 0.7
#define VERDICT_GROWING_SCORE 0.2
#define VERDICT_RISING_GROWING 0.5	/* rising alone */
#define VERDICT_MIN_RISES 4
#define VERDICT_MIN_SAMPLES 3
#define VERDICT_HELD_MS 8500		/* age of the oldest live block a leak needs */
#define VERDICT_T_NONE 2.0	/* slope t statistic below which growth is noise */
#define VERDICT_T_FULL 4.0	/* ... and from which it counts fully */

enum verdict {
	VERDICT_STABLE,
	VERDICT_GROWING,
	VERDICT_LEAK,
	VERDICT_FREED,
	VERDICT_EARLY,
	VERDICT_CNT,
};

/*
 * The ages of a stack's live blocks at the newest sample of its series.
 * verdict_ages__init sets the bounds from the series; then every live
 * block (or mapped range) of the stack is added.
 */
struct verdict_ages {
	uint64_t now_ms;		/* the newest sample's time */
	uint64_t from_ms, to_ms;	/* the older half of the series' span */
	uint64_t oldest_ms;		/* allocation time of the oldest block added */
	double retained_bytes;		/* bytes of the blocks allocated in [from, to) */
	uint64_t blocks;
};

/* Whether the score of a stack with these statistics depends on its ages (it rises). */
bool verdict__needs_ages(const struct series_stats *st);
void verdict_ages__init(struct verdict_ages *a, const struct series_stats *st);
/* A live block of bytes allocated at t_ms (on the samples' clock). */
void verdict_ages__add(struct verdict_ages *a, uint64_t t_ms, double bytes);

/* The leak score 0..1 of a stack from its series and its live blocks' ages. */
double verdict__score(const struct series_stats *st, const struct verdict_ages *a);
/* The verdict, and its score in *score (NULL ok). */
enum verdict verdict__of(const struct series_stats *st, const struct verdict_ages *a,
			 double *score);
/* "stable", "growing", "leak", "freed", "early": the text reports' names. */
const char *verdict__name(enum verdict v);
/* The JSON names: the same but "too_early". */
const char *verdict__json_name(enum verdict v);

#endif
