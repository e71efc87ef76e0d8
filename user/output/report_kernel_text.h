/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_kernel_text: the kernel half of the text report: a process's RSS,
 * faults, reclaim, mappings and memory cgroup, the system's memory PSI, and
 * OOM kills. report_text calls it for each process and at the end.
 */
#ifndef MV_REPORT_KERNEL_TEXT_H
#define MV_REPORT_KERNEL_TEXT_H

#include <stdio.h>
#include "model/model.h"
#include "output/report_context.h"

/* The kernel's view of p: RSS, faults, mappings, cgroup. 0 or -ENOMEM. */
int report_text__kernel(FILE *out, const struct report_ctx *ctx, const struct proc *p);
/* System-wide lines: memory PSI and the OOM kills seen. */
void report_text__system(FILE *out, const struct report_ctx *ctx);
/* One OOM kill as it happens, with the victim's top stacks when it was traced. */
void report_text__oom_kill(FILE *out, const struct report_ctx *ctx, const struct oom_kill *k);

#endif
