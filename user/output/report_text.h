/* SPDX-License-Identifier: GPL-2.0 */
/* report_text: the human-readable report printed every interval and at the end. */
#ifndef MV_REPORT_TEXT_H
#define MV_REPORT_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "analysis/metrics.h"
#include "model/model.h"
#include "output/report_context.h"
#include "symbolize/symbolizer.h"

/* Print the frames of stack_id, one per line, indented for a report. */
void report_text__frames(FILE *out, const struct report_ctx *ctx, pid_t pid, uint32_t stack_id);
/* The kernel's view of p (report_kernel_text.c): RSS, faults, mappings, cgroup. */
int report_text__kernel(FILE *out, const struct report_ctx *ctx, const struct proc *p);
/* System-wide lines: memory PSI and the OOM kills seen. */
void report_text__system(FILE *out, const struct report_ctx *ctx);
/* One OOM kill as it happens, with the victim's top stacks when it was traced. */
void report_text__oom_kill(FILE *out, const struct report_ctx *ctx, const struct oom_kill *k);

/* Print one report of every process in ctx->m. Returns 0 or -ENOMEM. */
int report_text__write(FILE *out, const struct report_ctx *ctx);

#endif
