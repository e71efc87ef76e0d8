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
#include "symbolize/symbolizer.h"

/* Resolves a return address of pid (symbolizer__resolve's contract). */
typedef int (*resolve_fn)(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out);

struct text_report_opts {
	uint32_t now_ms;		/* ms since tracing began */
	uint32_t elapsed_ms;		/* since the previous report (for rates) */
	uint32_t min_age_ms;
	unsigned int top;
	unsigned int frames;		/* frames printed per stack (--frames), 0 = all */
	bool mappings_off;		/* the mmap-family hooks are not attached */
	uint64_t lost_events;
	bool final;
	resolve_fn resolve;
	void *resolve_ctx;
	const struct metrics *metrics;	/* growth, trends, verdicts; NULL: not shown */
};

/*
 * The verdict column of a stack line, in buf: "leak    0.97  ", "-" and
 * blanks when the stack was never sampled, nothing without metrics (pm NULL).
 */
const char *report_text__verdict_column(const struct proc_metrics *pm,
					const struct site_metrics *sm, char *buf, size_t len);
/* Print the frames of stack_id, one per line, indented for a report. */
void report_text__frames(FILE *out, const struct model *m, pid_t pid, uint32_t stack_id,
			 const struct text_report_opts *o);
/* The kernel's view of p (report_kernel_text.c): RSS, faults, mappings, cgroup. */
int report_text__kernel(FILE *out, const struct model *m, const struct proc *p,
			const struct text_report_opts *o);
/* System-wide lines: memory PSI and the OOM kills seen. */
void report_text__system(FILE *out, const struct model *m, const struct text_report_opts *o);
/* One OOM kill as it happens, with the victim's top stacks when it was traced. */
void report_text__oom(FILE *out, const struct model *m, const struct oom_kill *k,
		      const struct text_report_opts *o);

/* Print one report of every process in m. Returns 0 or -ENOMEM. */
int report_text__print(FILE *out, const struct model *m, const struct text_report_opts *o);

#endif
