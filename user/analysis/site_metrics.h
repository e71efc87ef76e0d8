/* SPDX-License-Identifier: GPL-2.0 */
/*
 * site_metrics: the per-stack part of a process's metrics (metrics.c calls
 * it once a sample): the series of every heap stack's and every mapping
 * stack's outstanding bytes, the ages of their live blocks and mapped
 * ranges, and their verdicts (verdict.h). A stack that held nothing for a
 * whole window is forgotten, so memory follows the stacks in use. Pure.
 */
#ifndef MV_SITE_METRICS_H
#define MV_SITE_METRICS_H

#include <stdint.h>
#include "analysis/metrics.h"
#include "model/model.h"

struct site_clock {
	uint64_t now_ms;		/* the sample's time */
	uint64_t window_ms;
	uint64_t sample_ms;		/* time between samples */
};

/* Sample p's heap stacks (exact, or estimated when sampled). 0 or -ENOMEM. */
int site_metrics__sample_heap(struct proc_metrics *pm, const struct proc *p,
			      const struct site_clock *c);
/* Sample p's mapping stacks, those the allocator made left out. 0 or -ENOMEM. */
int site_metrics__sample_maps(struct proc_metrics *pm, const struct proc *p,
			      const struct site_clock *c);
/* The mapping stack (stack_id, kind: MV_MAP_FILE or 0) of pm, NULL if none. */
struct map_site_metrics *site_metrics__find_map(const struct proc_metrics *pm,
						uint32_t stack_id, uint32_t kind);
/* p replaced its image: its heap and mapping stacks are gone. */
void site_metrics__drop(struct proc_metrics *pm);
/* Count pm's stacks per verdict and take the highest leak score. */
void site_metrics__tally(struct proc_metrics *pm);

#endif
