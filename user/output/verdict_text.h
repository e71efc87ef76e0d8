/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verdict_text: the verdict column that starts a heap or a mapping stack's
 * line in the text report (report_text.c, report_kernel_text.c), and the
 * verdict of a whole process.
 */
#ifndef MV_VERDICT_TEXT_H
#define MV_VERDICT_TEXT_H

#include <stddef.h>
#include "analysis/metrics.h"

/*
 * The column in buf: "leak    0.97  "; "-" and blanks for a stack never
 * sampled (sm NULL); nothing when the report shows no metrics (pm NULL).
 */
const char *verdict_text__column(const struct proc_metrics *pm, const struct site_metrics *sm,
				 char *buf, size_t len);
/*
 * A process's verdict, that of its most worrying heap or mapping stack:
 * "leak", then "growing", "stable", "early"; "none" when no stack holds
 * anything.
 */
const char *verdict_text__process(const struct proc_metrics *pm);

#endif
