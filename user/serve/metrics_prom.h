/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics_prom: /metrics, the Prometheus text exposition format (0.0.4).
 * Every name starts with memvigil_, is in base units (bytes, seconds) and
 * counters end in _total. Per-process series carry the labels pid, comm
 * and, when tracing a cgroup, cgroup; nothing else (no stack ever is a
 * label). At most PROM_PROCS_MAX processes get series (those with the most
 * outstanding heap bytes; memvigil_series_processes_dropped counts the
 * rest), and a process that exited is dropped PROM_EXITED_GRACE_MS after
 * it was last seen alive. Label values are escaped (\\, \", \n) and any
 * other control byte or invalid UTF-8 becomes '?'.
 */
#ifndef MV_METRICS_PROM_H
#define MV_METRICS_PROM_H

#include <stdio.h>
#include "output/report_context.h"
#include "serve/server.h"

#define PROM_PROCS_MAX 500
#define PROM_EXITED_GRACE_MS 60000

/* What /metrics shows besides the report context: the server's own counters. */
struct prom_extra {
	const struct server_stats *http;	/* NULL: not shown */
	double self_cpu_s;			/* memvigil's CPU time */
	double self_rss_bytes;			/* memvigil's resident memory, NaN unknown */
};

/* Write the exposition; 0 or a negative errno. */
int metrics_prom__write(FILE *out, const struct report_ctx *ctx, const struct prom_extra *x);

/* Write s as a label value's text (without the quotes). */
void metrics_prom__label_value(FILE *out, const char *s);

#endif
