/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics: per-process and per-stack figures over the sliding window, fed
 * one sample about once a second from the model (heap, each heap stack's
 * and each mapping stack's outstanding bytes; estimates when the heap is
 * sampled) and from the kernel's signals when known (RSS, mappings,
 * faults, reclaim, PSI, limit, OOM kills). Gives the series statistics,
 * trends, per-stack verdicts, the pressure level and the values alerts
 * test. Pure.
 */
#ifndef MV_METRICS_H
#define MV_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "analysis/metric.h"
#include "analysis/pressure.h"
#include "analysis/series.h"
#include "analysis/timeline.h"
#include "analysis/trend.h"
#include "analysis/verdict.h"
#include "model/model.h"

/* What the kernel says of one process at one sample; NaN = not known. */
struct kernel_sample {
	double rss_bytes;
	double rss_t_ms;		/* when rss_bytes was read (ms since tracing began) */
	double mapped_bytes;
	double major_faults_per_s;
	double minor_faults_per_s;
	double oom_kills;		/* OOM kills seen since the previous sample */
	struct pressure_input pressure;	/* includes reclaim stalls and the limit */
};

struct site_metrics {
	struct series *outstanding;	/* NULL: never seen outstanding at a sample */
	struct series_stats st;
	enum verdict verdict;
	double score;
};

/* A mapping stack: the mappings one stack made of one kind, anonymous or file. */
struct map_site_metrics {
	uint32_t stack_id;
	uint32_t kind;			/* MV_MAP_FILE or 0 (anonymous) */
	double bytes;			/* mapped at the last sample */
	struct site_metrics m;
};

/* One quantity of a process: its series, statistics and trend. */
struct quantity {
	struct series *series;		/* NULL until the first known value */
	struct series_stats st;
	enum trend trend;
};

struct proc_metrics {
	pid_t pid;
	uint32_t execs;			/* p->execs the sites belong to */
	uint64_t t_ms;			/* time of the last sample */
	uint32_t samples;
	bool exited;			/* the last sample was taken after the exit */
	uint32_t oom_seen;		/* OOM kills concerning it already counted */
	struct quantity heap, rss, mapped;
	struct site_metrics *sites;	/* heap stacks, indexed like p->sites */
	uint32_t site_cnt;
	struct map_site_metrics *map_sites;	/* mapping stacks, made outside the allocator */
	uint32_t map_site_cnt;
	size_t map_site_cap;
	double leak_score;		/* highest over the heap and mapping stacks */
	uint32_t verdicts[VERDICT_CNT];	/* heap and mapping stacks per verdict */
	struct kernel_sample kernel;
	struct pressure pressure;
	struct metric_values values;
	struct timeline *timeline;	/* the whole trace, bounded; NULL until sampled */
};

struct metrics;

/* Metrics over window_ms, sampled every sample_ms (both > 0). */
struct metrics *metrics__new(uint64_t window_ms, uint64_t sample_ms);
void metrics__free(struct metrics *mt);
uint64_t metrics__window_ms(const struct metrics *mt);
/* Whether the heap is traced (default true); if not, heap metrics stay unknown. */
void metrics__set_heap_traced(struct metrics *mt, bool traced);

/* Every kernel signal unknown. */
void kernel_sample__unknown(struct kernel_sample *ks);

/*
 * Take one sample of p at now_ms (ms since tracing began); ks carries the
 * kernel's view, NULL if none. Returns 0 or -ENOMEM.
 */
int metrics__sample(struct metrics *mt, const struct proc *p, uint64_t now_ms,
		    const struct kernel_sample *ks);
/*
 * The count of OOM kills concerning pid that earlier samples passed on (see
 * kernel_metrics__input), creating pid's metrics; NULL on ENOMEM.
 */
uint32_t *metrics__oom_seen(struct metrics *mt, pid_t pid);
/* The metrics of pid move to key (a retired process's, see model__retire). */
void metrics__rekey(struct metrics *mt, pid_t pid, pid_t key);
/* The metrics of key are freed (a process dropped from the model, see model__drop). */
void metrics__forget(struct metrics *mt, pid_t key);
/* The metrics of pid, NULL if never sampled. */
const struct proc_metrics *metrics__find(const struct metrics *mt, pid_t pid);
/* Site i of pm (index into proc->sites), NULL if it was never sampled. */
const struct site_metrics *metrics__site(const struct proc_metrics *pm, uint32_t i);
/*
 * The mapping stack stack_id of pm with the MV_MAP_* flags of its ranges;
 * NULL if it was never sampled or the allocator made it (the heap stacks
 * count those bytes).
 */
const struct site_metrics *metrics__map_site(const struct proc_metrics *pm, uint32_t stack_id,
					      uint32_t flags);

#endif
