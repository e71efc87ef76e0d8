/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_recommend: a process's recommendations (analysis/recommend.h) in
 * the writers' forms: lines of the text report, right after its verdicts,
 * and the JSON report's "recommendations" array. Stacks are named by their
 * allocation site through the report's resolver.
 */
#ifndef MV_REPORT_RECOMMEND_H
#define MV_REPORT_RECOMMEND_H

#include <stdio.h>
#include "analysis/metrics.h"
#include "lib/json_writer.h"
#include "output/report_context.h"

/* "  advice: [warning] leak at ..." lines, escaped; nothing when there are none. */
void report_recommend__text(FILE *out, const struct report_ctx *ctx, const struct proc *p,
			    const struct proc_metrics *pm);

/* The array of {rule, severity, text} (empty without metrics). */
void report_recommend__json(struct json_writer *w, const struct report_ctx *ctx,
			    const struct proc *p, const struct proc_metrics *pm);

#endif
