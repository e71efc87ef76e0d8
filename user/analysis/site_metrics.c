// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/site_metrics.h"
#include "lib/grow.h"
#include "memvigil/events.h"
#include "model/query.h"
#include "model/sampling.h"

/* The ages of one stack, when its verdict needs them (verdict__needs_ages). */
struct site_ages {
	bool need;
	struct verdict_ages a;
};

static void site_release(struct site_metrics *sm)
{
	series__free(sm->outstanding);
	memset(sm, 0, sizeof(*sm));
}

void site_metrics__drop(struct proc_metrics *pm)
{
	uint32_t i;

	for (i = 0; i < pm->site_cnt; i++)
		series__free(pm->sites[i].outstanding);
	for (i = 0; i < pm->map_site_cnt; i++)
		series__free(pm->map_sites[i].m.outstanding);
	free(pm->sites);
	free(pm->map_sites);
	pm->sites = NULL;
	pm->map_sites = NULL;
	pm->site_cnt = pm->map_site_cnt = pm->map_site_cap = 0;
}

/*
 * Add bytes at c->now_ms to sm's series, creating it on first use. Returns
 * 1 when sm has a series after it, 0 when it has none (it never held
 * anything, or held nothing for a whole window and is forgotten, so memory
 * stays bounded), -ENOMEM.
 */
static int site_add(struct site_metrics *sm, double bytes, const struct site_clock *c,
		    struct site_ages *ages)
{
	if (!sm->outstanding) {
		if (!bytes)
			return 0;
		sm->outstanding = series__new(c->window_ms, c->sample_ms);
		if (!sm->outstanding)
			return -ENOMEM;
	}
	series__add(sm->outstanding, c->now_ms, bytes);
	series__stats(sm->outstanding, &sm->st);
	if (!bytes && sm->st.mean == 0 && sm->st.span_ms + c->sample_ms >= c->window_ms) {
		site_release(sm);
		return 0;
	}
	ages->need = verdict__needs_ages(&sm->st);
	if (ages->need)
		verdict_ages__init(&ages->a, &sm->st);
	return 1;
}

static void site_judge(struct site_metrics *sm, const struct site_ages *ages)
{
	static const struct verdict_ages none;

	sm->verdict = verdict__of(&sm->st, ages->need ? &ages->a : &none, &sm->score);
}

static int grow_sites(struct proc_metrics *pm, uint32_t cnt)
{
	struct site_metrics *sites;

	if (cnt <= pm->site_cnt)
		return 0;
	sites = realloc(pm->sites, cnt * sizeof(*sites));
	if (!sites)
		return -ENOMEM;
	memset(sites + pm->site_cnt, 0, (cnt - pm->site_cnt) * sizeof(*sites));
	pm->sites = sites;
	pm->site_cnt = cnt;
	return 0;
}

/*
 * Outstanding bytes per heap site, indexed like p->sites: exact counts, or
 * in sampled mode the estimates from the live samples' weights. NULL on
 * ENOMEM.
 */
static double *heap_bytes(const struct proc *p, uint64_t t_ms)
{
	double *bytes = calloc(p->site_cnt ? p->site_cnt : 1, sizeof(*bytes));
	struct proc_report r;
	size_t i;

	if (!bytes)
		return NULL;
	if (!p->sample_period) {
		for (i = 0; i < p->site_cnt; i++)
			bytes[i] = p->sites[i].outstanding_bytes;
		return bytes;
	}
	if (query__build(p, t_ms, 0, &r)) {
		free(bytes);
		return NULL;
	}
	for (i = 0; i < r.cnt; i++)
		bytes[r.sites[i].site - p->sites] = r.sites[i].est_bytes;
	query__release(&r);
	return bytes;
}

/* The ages of the live blocks of the heap stacks that need them: one pass. */
static void heap_ages(const struct proc *p, struct site_ages *ages, bool any)
{
	const struct live_alloc *a;
	size_t pos = 0;

	if (!any)
		return;
	while ((a = liveset__next(p->live, &pos))) {
		if (a->site < p->site_cnt && ages[a->site].need)
			verdict_ages__add(&ages[a->site].a, a->t_ms,
					  sampling__weight(a->size, p->sample_period).bytes);
	}
}

int site_metrics__sample_heap(struct proc_metrics *pm, const struct proc *p,
			      const struct site_clock *c)
{
	struct site_ages *ages = NULL;
	double *bytes = NULL;
	bool any = false;
	uint32_t i;
	int ret;

	ret = grow_sites(pm, p->site_cnt);
	if (ret)
		return ret;
	bytes = heap_bytes(p, c->now_ms);
	ages = calloc(p->site_cnt ? p->site_cnt : 1, sizeof(*ages));
	if (!bytes || !ages) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < p->site_cnt; i++) {
		ret = site_add(&pm->sites[i], bytes[i], c, &ages[i]);
		if (ret < 0)
			goto out;
		any |= ages[i].need;
	}
	ret = 0;
	heap_ages(p, ages, any);
	for (i = 0; i < p->site_cnt; i++)
		if (pm->sites[i].outstanding)
			site_judge(&pm->sites[i], &ages[i]);
out:
	free(ages);
	free(bytes);
	return ret;
}

struct map_site_metrics *site_metrics__find_map(const struct proc_metrics *pm,
						uint32_t stack_id, uint32_t kind)
{
	uint32_t i;

	for (i = 0; i < pm->map_site_cnt; i++)
		if (pm->map_sites[i].stack_id == stack_id && pm->map_sites[i].kind == kind)
			return &pm->map_sites[i];
	return NULL;
}

static struct map_site_metrics *add_map(struct proc_metrics *pm, uint32_t stack_id,
					uint32_t kind)
{
	struct map_site_metrics *ms;

	ms = grow__array(pm->map_sites, &pm->map_site_cap, pm->map_site_cnt + 1, sizeof(*ms), 8);
	if (!ms)
		return NULL;
	pm->map_sites = ms;
	ms = &pm->map_sites[pm->map_site_cnt++];
	*ms = (struct map_site_metrics){ .stack_id = stack_id, .kind = kind };
	return ms;
}

/* The mapping stack a range counts towards; NULL for the allocator's own. */
static struct map_site_metrics *map_of(const struct proc_metrics *pm, const struct map_range *r)
{
	if (r->flags & MV_MAP_ALLOCATOR)
		return NULL;
	return site_metrics__find_map(pm, r->stack_id, r->flags & MV_MAP_FILE);
}

/* Bytes mapped per mapping stack now, adding the stacks seen for the first time. */
static int map_bytes(struct proc_metrics *pm, const struct mappings *maps)
{
	struct map_site_metrics *ms;
	size_t i;

	for (i = 0; i < pm->map_site_cnt; i++)
		pm->map_sites[i].bytes = 0;
	for (i = 0; i < maps->cnt; i++) {
		const struct map_range *r = &maps->ranges[i];

		if (r->flags & MV_MAP_ALLOCATOR)
			continue;
		ms = site_metrics__find_map(pm, r->stack_id, r->flags & MV_MAP_FILE);
		if (!ms)
			ms = add_map(pm, r->stack_id, r->flags & MV_MAP_FILE);
		if (!ms)
			return -ENOMEM;
		ms->bytes += r->end - r->start;
	}
	return 0;
}

/* Add this sample to every mapping stack; those forgotten leave the array. */
static int map_add(struct proc_metrics *pm, const struct site_clock *c, struct site_ages *ages,
		   bool *any)
{
	uint32_t i = 0;
	int ret;

	while (i < pm->map_site_cnt) {
		struct map_site_metrics *ms = &pm->map_sites[i];

		ret = site_add(&ms->m, ms->bytes, c, &ages[i]);
		if (ret < 0)
			return ret;
		if (ret) {
			*any |= ages[i++].need;
			continue;
		}
		*ms = pm->map_sites[--pm->map_site_cnt];
	}
	return 0;
}

int site_metrics__sample_maps(struct proc_metrics *pm, const struct proc *p,
			      const struct site_clock *c)
{
	const struct mappings *maps = &p->kernel.maps;
	struct site_ages *ages;
	bool any = false;
	uint32_t i;
	int ret;

	ret = map_bytes(pm, maps);
	if (ret)
		return ret;
	ages = calloc(pm->map_site_cnt ? pm->map_site_cnt : 1, sizeof(*ages));
	if (!ages)
		return -ENOMEM;
	ret = map_add(pm, c, ages, &any);
	for (i = 0; !ret && any && i < maps->cnt; i++) {
		const struct map_range *r = &maps->ranges[i];
		struct map_site_metrics *ms = map_of(pm, r);

		if (ms && ages[ms - pm->map_sites].need)
			verdict_ages__add(&ages[ms - pm->map_sites].a, r->mapped_ms,
					  r->end - r->start);
	}
	for (i = 0; !ret && i < pm->map_site_cnt; i++)
		site_judge(&pm->map_sites[i].m, &ages[i]);
	free(ages);
	return ret;
}

static void tally_one(struct proc_metrics *pm, const struct site_metrics *sm)
{
	if (!sm->outstanding)
		return;
	pm->verdicts[sm->verdict]++;
	if (sm->score > pm->leak_score)
		pm->leak_score = sm->score;
}

void site_metrics__tally(struct proc_metrics *pm)
{
	uint32_t i;

	pm->leak_score = 0;
	memset(pm->verdicts, 0, sizeof(pm->verdicts));
	for (i = 0; i < pm->site_cnt; i++)
		tally_one(pm, &pm->sites[i]);
	for (i = 0; i < pm->map_site_cnt; i++)
		tally_one(pm, &pm->map_sites[i].m);
}
