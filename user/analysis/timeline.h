/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timeline: a process's figures over the whole trace (heap, RSS, mapped
 * bytes, fault rates, PSI, the memory limit, the pressure level), for the
 * HTML report's charts. Bounded: at most TIMELINE_MAX_POINTS points
 * whatever the length of the trace. Each point covers `stride` samples in
 * a row and holds the highest value of each column among them (a chart of
 * peaks, so a spike is never averaged away) and the time of its last
 * sample. When the points are full, neighbours merge pairwise and the
 * stride doubles, so every point covers the same number of samples
 * (the newest may cover fewer). NaN = not known. Pure.
 */
#ifndef MV_TIMELINE_H
#define MV_TIMELINE_H

#include <stdint.h>

#define TIMELINE_MAX_POINTS 240

enum timeline_column {
	TL_HEAP_BYTES,
	TL_RSS_BYTES,
	TL_MAPPED_BYTES,
	TL_MINOR_FAULTS_PER_S,
	TL_MAJOR_FAULTS_PER_S,
	TL_PSI_SOME_AVG10,
	TL_LIMIT_BYTES,
	TL_PRESSURE,		/* enum pressure_level */
	TL_COLUMN_CNT,
};

struct timeline_point {
	uint64_t t_ms;			/* the last sample it covers */
	double v[TL_COLUMN_CNT];
};

struct timeline {
	struct timeline_point points[TIMELINE_MAX_POINTS];
	uint32_t cnt;
	uint32_t stride;		/* samples per point (1, 2, 4, ...) */
	uint32_t last_samples;		/* samples in the newest point so far */
};

/* An empty timeline. */
void timeline__init(struct timeline *tl);
/* Add one sample at t_ms (non-decreasing); v[] holds TL_COLUMN_CNT values. */
void timeline__add(struct timeline *tl, uint64_t t_ms, const double *v);
/* "heap_bytes", "rss_bytes", ...: the column's JSON key. */
const char *timeline__column_name(enum timeline_column c);

#endif
