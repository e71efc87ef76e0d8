// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/metrics.h"
#include "analysis/site_metrics.h"
#include "lib/grow.h"
#include "memvigil/events.h"

struct metrics {
	uint64_t window_ms, sample_ms;
	bool heap_untraced;
	struct proc_metrics **procs;
	size_t cnt, cap;
};

struct metrics *metrics__new(uint64_t window_ms, uint64_t sample_ms)
{
	struct metrics *mt;

	if (!window_ms || !sample_ms) {
		errno = EINVAL;
		return NULL;
	}
	mt = calloc(1, sizeof(*mt));
	if (!mt)
		return NULL;
	mt->window_ms = window_ms;
	mt->sample_ms = sample_ms;
	return mt;
}

static void proc_metrics_free(struct proc_metrics *pm)
{
	if (!pm)
		return;
	site_metrics__drop(pm);
	series__free(pm->heap.series);
	series__free(pm->rss.series);
	series__free(pm->mapped.series);
	free(pm->timeline);
	free(pm);
}

void metrics__free(struct metrics *mt)
{
	size_t i;

	if (!mt)
		return;
	for (i = 0; i < mt->cnt; i++)
		proc_metrics_free(mt->procs[i]);
	free(mt->procs);
	free(mt);
}

void metrics__set_heap_traced(struct metrics *mt, bool traced)
{
	mt->heap_untraced = !traced;
}

uint64_t metrics__window_ms(const struct metrics *mt)
{
	return mt->window_ms;
}

void kernel_sample__unknown(struct kernel_sample *ks)
{
	ks->rss_bytes = ks->rss_t_ms = ks->mapped_bytes = NAN;
	ks->major_faults_per_s = ks->minor_faults_per_s = NAN;
	ks->oom_kills = NAN;
	pressure__unknown_input(&ks->pressure);
}

const struct proc_metrics *metrics__find(const struct metrics *mt, pid_t pid)
{
	size_t i;

	for (i = 0; i < mt->cnt; i++)
		if (mt->procs[i]->pid == pid)
			return mt->procs[i];
	return NULL;
}

void metrics__rekey(struct metrics *mt, pid_t pid, pid_t key)
{
	struct proc_metrics *pm = (struct proc_metrics *)metrics__find(mt, pid);

	if (pm)
		pm->pid = key;
}

void metrics__forget(struct metrics *mt, pid_t key)
{
	size_t i;

	for (i = 0; i < mt->cnt; i++) {
		if (mt->procs[i]->pid != key)
			continue;
		proc_metrics_free(mt->procs[i]);
		memmove(&mt->procs[i], &mt->procs[i + 1], (mt->cnt - i - 1) * sizeof(*mt->procs));
		mt->cnt--;
		return;
	}
}

const struct site_metrics *metrics__site(const struct proc_metrics *pm, uint32_t i)
{
	if (!pm || i >= pm->site_cnt || !pm->sites[i].outstanding)
		return NULL;
	return &pm->sites[i];
}

const struct site_metrics *metrics__map_site(const struct proc_metrics *pm, uint32_t stack_id,
					      uint32_t flags)
{
	const struct map_site_metrics *ms;

	if (!pm || (flags & MV_MAP_ALLOCATOR))
		return NULL;
	ms = site_metrics__find_map(pm, stack_id, flags & MV_MAP_FILE);
	return ms ? &ms->m : NULL;
}

static struct proc_metrics *proc_of(struct metrics *mt, pid_t pid)
{
	struct proc_metrics *pm = (struct proc_metrics *)metrics__find(mt, pid), **procs;

	if (pm)
		return pm;
	procs = grow__array(mt->procs, &mt->cap, mt->cnt + 1, sizeof(*procs), 4);
	if (!procs)
		return NULL;
	mt->procs = procs;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->pid = pid;
	kernel_sample__unknown(&pm->kernel);
	/* A quantity never sampled (no heap under --kernel-only) has no trend, not a flat one. */
	pm->heap.trend = pm->rss.trend = pm->mapped.trend = TREND_UNKNOWN;
	mt->procs[mt->cnt++] = pm;
	return pm;
}

uint32_t *metrics__oom_seen(struct metrics *mt, pid_t pid)
{
	struct proc_metrics *pm = proc_of(mt, pid);

	return pm ? &pm->oom_seen : NULL;
}

/*
 * Add a known value to q, creating its series on first use; a quantity that
 * was 0 when tracing of the process began (origin_ms, else NaN) starts from
 * there, so that its baseline is what the process had then.
 */
static int add_value(struct metrics *mt, struct quantity *q, uint64_t t_ms, double v,
		     double origin_ms)
{
	if (isnan(v))
		return 0;
	if (!q->series) {
		q->series = series__new(mt->window_ms, mt->sample_ms);
		if (!q->series)
			return -ENOMEM;
		if (origin_ms < t_ms)
			series__add(q->series, origin_ms, 0);
	}
	series__add(q->series, t_ms, v);
	series__stats(q->series, &q->st);
	q->trend = trend__of(&q->st);
	return 0;
}

/* The heap and mapping stacks of p, with their verdicts. */
static int sample_stacks(struct metrics *mt, struct proc_metrics *pm, const struct proc *p,
			 uint64_t t_ms)
{
	struct site_clock c = { .now_ms = t_ms, .window_ms = mt->window_ms,
				.sample_ms = mt->sample_ms };
	int ret = 0;

	if (p->execs != pm->execs) {
		site_metrics__drop(pm);
		pm->execs = p->execs;
	}
	if (!mt->heap_untraced)
		ret = site_metrics__sample_heap(pm, p, &c);
	if (!ret)
		ret = site_metrics__sample_maps(pm, p, &c);
	site_metrics__tally(pm);
	return ret;
}

static double growth_of(const struct quantity *q)
{
	return q->series && q->st.n >= 2 ? q->st.slope_per_s : NAN;
}

static double current_of(const struct quantity *q)
{
	return q->series ? q->st.current : NAN;
}

static void fill_values(struct proc_metrics *pm, bool heap_traced)
{
	bool stacks_known = heap_traced || pm->map_site_cnt;
	double *v = pm->values.v;

	metric__clear(&pm->values);
	v[METRIC_HEAP] = current_of(&pm->heap);
	v[METRIC_HEAP_GROWTH] = growth_of(&pm->heap);
	v[METRIC_RSS] = current_of(&pm->rss);
	v[METRIC_RSS_GROWTH] = growth_of(&pm->rss);
	v[METRIC_MAPPED] = current_of(&pm->mapped);
	v[METRIC_MAPPED_GROWTH] = growth_of(&pm->mapped);
	v[METRIC_LEAK_SCORE] = stacks_known ? pm->leak_score : NAN;
	v[METRIC_LEAKS] = stacks_known ? pm->verdicts[VERDICT_LEAK] : NAN;
	v[METRIC_PRESSURE] = pm->pressure.level == PRESSURE_UNKNOWN ? NAN : pm->pressure.level;
	v[METRIC_MAJOR_FAULTS] = pm->kernel.major_faults_per_s;
	v[METRIC_MINOR_FAULTS] = pm->kernel.minor_faults_per_s;
	v[METRIC_RECLAIM_STALL] = pm->kernel.pressure.reclaim_stall_ms_per_s;
	v[METRIC_PSI_SOME] = pm->kernel.pressure.psi_some_avg10;
	v[METRIC_PSI_FULL] = pm->kernel.pressure.psi_full_avg10;
	v[METRIC_OOM] = pm->kernel.oom_kills;
}

/* This sample's point of the timeline, created on first use. */
static int add_timeline(struct proc_metrics *pm, uint64_t t_ms, double heap_bytes)
{
	const struct kernel_sample *k = &pm->kernel;
	double v[TL_COLUMN_CNT];

	if (!pm->timeline) {
		pm->timeline = malloc(sizeof(*pm->timeline));
		if (!pm->timeline)
			return -ENOMEM;
		timeline__init(pm->timeline);
	}
	v[TL_HEAP_BYTES] = heap_bytes;
	v[TL_RSS_BYTES] = k->rss_bytes;
	v[TL_MAPPED_BYTES] = k->mapped_bytes;
	v[TL_MINOR_FAULTS_PER_S] = k->minor_faults_per_s;
	v[TL_MAJOR_FAULTS_PER_S] = k->major_faults_per_s;
	v[TL_PSI_SOME_AVG10] = k->pressure.psi_some_avg10;
	v[TL_LIMIT_BYTES] = k->pressure.limit_bytes > 0 ? k->pressure.limit_bytes : NAN;
	v[TL_PRESSURE] = pm->pressure.level == PRESSURE_UNKNOWN ? NAN : pm->pressure.level;
	timeline__add(pm->timeline, t_ms, v);
	return 0;
}

int metrics__sample(struct metrics *mt, const struct proc *p, uint64_t now_ms,
		    const struct kernel_sample *ks)
{
	struct proc_metrics *pm = proc_of(mt, p->key);
	int ret;

	if (!pm)
		return -ENOMEM;
	if (ks)
		pm->kernel = *ks;
	else
		kernel_sample__unknown(&pm->kernel);
	/* The fault rate counts towards pressure unless given separately. */
	if (isnan(pm->kernel.pressure.major_faults_per_s))
		pm->kernel.pressure.major_faults_per_s = pm->kernel.major_faults_per_s;
	pm->t_ms = now_ms;
	pm->samples++;
	pm->exited = p->exited;
	/* Heap and mappings count only what was seen while traced: 0 at first. */
	ret = add_value(mt, &pm->heap, now_ms,
			mt->heap_untraced ? NAN : p->heap.est_outstanding_bytes, p->traced_ms);
	/* RSS is read on the kernel side's own clock: fit it at its reading times. */
	if (!ret)
		ret = add_value(mt, &pm->rss, isnan(pm->kernel.rss_t_ms) ||
				pm->kernel.rss_t_ms > now_ms ? now_ms : pm->kernel.rss_t_ms,
				pm->kernel.rss_bytes, NAN);
	if (!ret)
		ret = add_value(mt, &pm->mapped, now_ms, pm->kernel.mapped_bytes, p->traced_ms);
	if (!ret)
		ret = sample_stacks(mt, pm, p, now_ms);
	pressure__eval(&pm->kernel.pressure, &pm->pressure);
	fill_values(pm, !mt->heap_untraced);
	if (!ret)
		ret = add_timeline(pm, now_ms, pm->values.v[METRIC_HEAP]);
	return ret;
}
