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

/* The options of callers that do not build a report context yet. */
struct text_report_opts {
	uint32_t now_ms;		/* ms since tracing began */
	uint32_t elapsed_ms;		/* since the previous report (for rates) */
	uint32_t min_age_ms;
	unsigned int top;
	unsigned int frames;		/* frames printed per stack (--frames), 0 = all */
	bool mappings_off;		/* the mmap-family hooks are not attached */
	uint64_t lost_events;
	bool final;
	symbol_resolve_fn resolve;
	void *resolve_ctx;
	const struct metrics *metrics;	/* growth, trends, verdicts; NULL: not shown */
};

/* report_text__oom_kill and report_text__write with those options. */
void report_text__oom(FILE *out, const struct model *m, const struct oom_kill *k,
		      const struct text_report_opts *o);
int report_text__print(FILE *out, const struct model *m, const struct text_report_opts *o);

#endif
