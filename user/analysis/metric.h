/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metric: the named per-process metrics that alerts test and --jsonl
 * writes, their kinds (what unit a threshold takes) and one sample of their
 * values. Pure.
 */
#ifndef MV_METRIC_H
#define MV_METRIC_H

#include <stddef.h>

enum metric_id {
	METRIC_HEAP,		/* outstanding heap bytes */
	METRIC_HEAP_GROWTH,	/* heap slope over the window, bytes/s */
	METRIC_RSS,		/* resident set size, bytes */
	METRIC_RSS_GROWTH,	/* RSS slope, bytes/s */
	METRIC_MAPPED,		/* outstanding mmap'd bytes */
	METRIC_MAPPED_GROWTH,	/* mapped slope, bytes/s */
	METRIC_LEAK_SCORE,	/* highest leak score of the process's stacks */
	METRIC_LEAKS,		/* stacks whose verdict is leak */
	METRIC_PRESSURE,	/* pressure level 0 low .. 3 critical */
	METRIC_MAJOR_FAULTS,	/* major page faults per second */
	METRIC_MINOR_FAULTS,	/* minor page faults per second */
	METRIC_RECLAIM_STALL,	/* direct reclaim stall, ms per second */
	METRIC_PSI_SOME,	/* memory PSI some avg10, percent */
	METRIC_PSI_FULL,	/* memory PSI full avg10, percent */
	METRIC_OOM,		/* OOM kills seen since the previous sample */
	METRIC_CNT,
};

enum metric_kind {
	MKIND_BYTES,		/* 1G, 512MiB, 4096 */
	MKIND_BYTE_RATE,	/* 50MB/min, 1KiB/s (bare number: bytes/s) */
	MKIND_SCORE,		/* 0..1, no unit */
	MKIND_COUNT,		/* whole number, no unit */
	MKIND_LEVEL,		/* low, medium, high, critical */
	MKIND_EVENT_RATE,	/* 100, 100/s, 6000/min */
	MKIND_STALL_RATE,	/* 100, 100ms/s */
	MKIND_PERCENT,		/* 10, 10% */
};

/* One sample of every metric of one process; NaN = not known. */
struct metric_values {
	double v[METRIC_CNT];
};

/* The metric named name (also "major_faults/s"-style aliases), or -1. */
int metric__by_name(const char *name);
const char *metric__name(enum metric_id id);
enum metric_kind metric__kind(enum metric_id id);
/* Every metric name, comma-separated, for error messages and help. */
const char *metric__names(void);
/* value of metric id for people: "1.2 GiB", "3.0 KiB/s", "high", "0.93"; returns buf. */
const char *metric__format(enum metric_id id, double value, char *buf, size_t len);
/* Set every value to NaN (unknown). */
void metric__clear(struct metric_values *mv);

#endif
