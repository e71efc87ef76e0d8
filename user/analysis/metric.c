// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "analysis/metric.h"
#include "analysis/pressure.h"
#include "lib/format.h"

static const struct {
	const char *name;
	const char *alias;
	enum metric_kind kind;
} metrics[METRIC_CNT] = {
	[METRIC_HEAP] = { "heap", NULL, MKIND_BYTES },
	[METRIC_HEAP_GROWTH] = { "heap_growth", NULL, MKIND_BYTE_RATE },
	[METRIC_RSS] = { "rss", NULL, MKIND_BYTES },
	[METRIC_RSS_GROWTH] = { "rss_growth", NULL, MKIND_BYTE_RATE },
	[METRIC_MAPPED] = { "mapped", NULL, MKIND_BYTES },
	[METRIC_MAPPED_GROWTH] = { "mapped_growth", NULL, MKIND_BYTE_RATE },
	[METRIC_LEAK_SCORE] = { "leak_score", NULL, MKIND_SCORE },
	[METRIC_LEAKS] = { "leaks", NULL, MKIND_COUNT },
	[METRIC_PRESSURE] = { "pressure", NULL, MKIND_LEVEL },
	[METRIC_MAJOR_FAULTS] = { "major_faults", "major_faults/s", MKIND_EVENT_RATE },
	[METRIC_MINOR_FAULTS] = { "minor_faults", "minor_faults/s", MKIND_EVENT_RATE },
	[METRIC_RECLAIM_STALL] = { "reclaim_stall", NULL, MKIND_STALL_RATE },
	[METRIC_PSI_SOME] = { "psi_some", NULL, MKIND_PERCENT },
	[METRIC_PSI_FULL] = { "psi_full", NULL, MKIND_PERCENT },
	[METRIC_OOM] = { "oom", NULL, MKIND_COUNT },
};

int metric__by_name(const char *name)
{
	int i;

	for (i = 0; i < METRIC_CNT; i++)
		if (!strcmp(name, metrics[i].name) ||
		    (metrics[i].alias && !strcmp(name, metrics[i].alias)))
			return i;
	return -1;
}

const char *metric__name(enum metric_id id)
{
	return id < METRIC_CNT ? metrics[id].name : "?";
}

enum metric_kind metric__kind(enum metric_id id)
{
	return metrics[id].kind;
}

const char *metric__names(void)
{
	static char buf[256];
	size_t len = 0;
	int i;

	if (buf[0])
		return buf;
	for (i = 0; i < METRIC_CNT && len < sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "",
				metrics[i].name);
	return buf;
}

void metric__clear(struct metric_values *mv)
{
	int i;

	for (i = 0; i < METRIC_CNT; i++)
		mv->v[i] = NAN;
}

const char *metric__format(enum metric_id id, double value, char *buf, size_t len)
{
	char b[32];

	if (isnan(value)) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	switch (metric__kind(id)) {
	case MKIND_BYTES:
		snprintf(buf, len, "%s", format_bytes(value > 0 ? value : 0, b, sizeof(b)));
		break;
	case MKIND_BYTE_RATE:
		snprintf(buf, len, "%s%s/s (%.2f MiB/min)", value < 0 ? "-" : "+",
			 format_bytes(fabs(value), b, sizeof(b)), value * 60 / 1048576.0);
		break;
	case MKIND_LEVEL:
		snprintf(buf, len, "%s", pressure__level_name((int)value));
		break;
	case MKIND_EVENT_RATE:
		snprintf(buf, len, "%.1f/s", value);
		break;
	case MKIND_STALL_RATE:
		snprintf(buf, len, "%.1f ms/s", value);
		break;
	case MKIND_PERCENT:
		snprintf(buf, len, "%.2f%%", value);
		break;
	case MKIND_SCORE:
		snprintf(buf, len, "%.2f", value);
		break;
	default:
		snprintf(buf, len, "%.0f", value);
		break;
	}
	return buf;
}
