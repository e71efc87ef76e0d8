// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "analysis/timeline.h"

static const char *const column_names[TL_COLUMN_CNT] = {
	[TL_HEAP_BYTES] = "heap_bytes",
	[TL_RSS_BYTES] = "rss_bytes",
	[TL_MAPPED_BYTES] = "mapped_bytes",
	[TL_MINOR_FAULTS_PER_S] = "minor_faults_per_s",
	[TL_MAJOR_FAULTS_PER_S] = "major_faults_per_s",
	[TL_PSI_SOME_AVG10] = "psi_some_avg10",
	[TL_LIMIT_BYTES] = "limit_bytes",
	[TL_PRESSURE] = "pressure",
};

void timeline__init(struct timeline *tl)
{
	tl->cnt = 0;
	tl->stride = 1;
	tl->last_samples = 0;
}

const char *timeline__column_name(enum timeline_column c)
{
	return c < TL_COLUMN_CNT ? column_names[c] : "?";
}

/* The higher of two values, a known one over NaN. */
static double peak_of(double a, double b)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return a > b ? a : b;
}

/* Fold the values v at t_ms into the point pt. */
static void point__merge(struct timeline_point *pt, uint64_t t_ms, const double *v)
{
	int c;

	pt->t_ms = t_ms;
	for (c = 0; c < TL_COLUMN_CNT; c++)
		pt->v[c] = peak_of(pt->v[c], v[c]);
}

/* Full: merge neighbours pairwise, each point then covers twice the samples. */
static void timeline__halve(struct timeline *tl)
{
	uint32_t i;

	for (i = 0; 2 * i + 1 < tl->cnt; i++) {
		tl->points[i] = tl->points[2 * i];
		point__merge(&tl->points[i], tl->points[2 * i + 1].t_ms, tl->points[2 * i + 1].v);
	}
	tl->cnt = i;
	tl->stride *= 2;
}

void timeline__add(struct timeline *tl, uint64_t t_ms, const double *v)
{
	struct timeline_point *pt;
	int c;

	if (tl->cnt && tl->last_samples < tl->stride) {
		point__merge(&tl->points[tl->cnt - 1], t_ms, v);
		tl->last_samples++;
		return;
	}
	if (tl->cnt == TIMELINE_MAX_POINTS)
		timeline__halve(tl);
	pt = &tl->points[tl->cnt++];
	pt->t_ms = t_ms;
	for (c = 0; c < TL_COLUMN_CNT; c++)
		pt->v[c] = v[c];
	tl->last_samples = 1;
}
