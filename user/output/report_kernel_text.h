/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_kernel_text: the kernel half of the text report: a process's
 * mappings and mapping stacks, its RSS, faults, reclaim and memory cgroup
 * (compact, or in full with -v), the system's memory PSI, and OOM kills.
 * report_text calls it for each process and at the end.
 */
#ifndef MV_REPORT_KERNEL_TEXT_H
#define MV_REPORT_KERNEL_TEXT_H

#include <stdio.h>
#include "model/model.h"
#include "output/report_context.h"

/*
 * What p mapped while traced and its top mapping stacks, as heap stacks are
 * shown; or why its mappings are not followed. 0 or -ENOMEM.
 */
int report_text__mappings(FILE *out, const struct report_ctx *ctx, const struct proc *p);
/*
 * The kernel's view of p: RSS, faults, reclaim, pressure and cgroup in three
 * lines, or every figure in full with ctx->opts.detail (-v). pm (NULL: no
 * metrics) gives RSS's change and trend and the pressure level. Returns 0.
 */
int report_text__kernel(FILE *out, const struct report_ctx *ctx, const struct proc *p,
			const struct proc_metrics *pm);
/* System-wide lines: memory PSI and the OOM kills seen. */
void report_text__system(FILE *out, const struct report_ctx *ctx);
/* One OOM kill as it happens, with the victim's top stacks when it was traced. */
void report_text__oom_kill(FILE *out, const struct report_ctx *ctx, const struct oom_kill *k);

#endif
