// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "model/query.h"
#include "model/sampling.h"

static int by_bytes_desc(const void *a, const void *b)
{
	const struct report_site *x = a, *y = b;

	if (x->est_bytes != y->est_bytes)
		return x->est_bytes < y->est_bytes ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->allocs != y->allocs)
		return x->allocs < y->allocs ? 1 : -1;
	if (x->site->stack_id != y->site->stack_id)
		return x->site->stack_id < y->site->stack_id ? -1 : 1;
	return (int)x->site->kind - (int)y->site->kind;
}

int query__build(const struct proc *p, uint32_t now_ms, uint32_t min_age_ms,
		  struct proc_report *out)
{
	const struct live_alloc *a;
	struct report_site *all;
	size_t pos = 0, i, n = 0;

	memset(out, 0, sizeof(*out));
	out->proc = p;
	if (!p->site_cnt)
		return 0;
	all = calloc(p->site_cnt, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (i = 0; i < p->site_cnt; i++) {
		all[i].site = &p->sites[i];
		all[i].oldest_ms = UINT32_MAX;
	}
	while ((a = liveset__next(p->live, &pos))) {
		struct report_site *rs = &all[a->site];
		struct sample_weight w;

		if (min_age_ms && (a->t_ms > now_ms || now_ms - a->t_ms < min_age_ms))
			continue;
		w = sampling__weight(a->size, p->sample_period);
		rs->bytes += a->size;
		rs->allocs++;
		rs->est_bytes += w.bytes;
		rs->est_allocs += w.count;
		rs->est_bytes_var += w.bytes_var;
		if (a->t_ms < rs->oldest_ms)
			rs->oldest_ms = a->t_ms;
	}
	for (i = 0; i < p->site_cnt; i++) {
		if (!all[i].allocs)
			continue;
		out->bytes += all[i].bytes;
		out->allocs += all[i].allocs;
		out->est_bytes += all[i].est_bytes;
		out->est_allocs += all[i].est_allocs;
		all[n++] = all[i];
	}
	qsort(all, n, sizeof(*all), by_bytes_desc);
	out->sites = all;
	out->cnt = n;
	return 0;
}

void query__release(struct proc_report *r)
{
	free(r->sites);
	r->sites = NULL;
	r->cnt = 0;
}

static bool same_path(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void add_kernel(struct group_kernel *g, const struct proc *p)
{
	const struct proc_kernel *k = &p->kernel;
	struct mapping_totals maps;

	g->oom_kills += k->oom_kills;
	if (!g->memcg_from && k->has_cgroup)
		g->memcg_from = k;
	if (!k->samples)
		return;
	g->sampled++;
	if (!p->exited && !p->detached)
		g->rss_bytes += k->rss_total_bytes;
	g->rss_growth_bytes += (int64_t)k->rss_total_bytes - (int64_t)k->rss_first_bytes;
	mappings__totals(&k->maps, &maps);
	g->anon_mapped_bytes += maps.anon_bytes;
	g->file_mapped_bytes += maps.file_bytes;
	g->faults += (k->min_flt - k->min_flt_first) + (k->maj_flt - k->maj_flt_first);
	g->reclaim_stall_ns += k->reclaim_ns;
}

static void add_totals(struct proc_group *g, const struct proc *p)
{
	add_kernel(&g->kernel, p);
	g->exited += p->exited;
	g->detached += p->detached && !p->exited;
	model__heap_add(&g->heap, &p->heap);
}

int query__groups(const struct model *m, struct proc_group **out, size_t *cnt)
{
	struct proc_group *groups;
	size_t i, j, n = 0;

	*out = NULL;
	*cnt = 0;
	if (!m->proc_cnt)
		return 0;
	groups = calloc(m->proc_cnt, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	for (i = 0; i < m->proc_cnt; i++) {
		const struct proc *p = m->procs[i];

		for (j = 0; j < n && !same_path(groups[j].path, p->cgroup); j++)
			;
		if (j == n) {
			groups[n].path = p->cgroup;
			groups[n].procs = calloc(m->proc_cnt, sizeof(*groups[n].procs));
			if (!groups[n++].procs) {
				query__groups_free(groups, n);
				return -ENOMEM;
			}
		}
		groups[j].procs[groups[j].cnt++] = p;
		add_totals(&groups[j], p);
	}
	*out = groups;
	*cnt = n;
	return 0;
}

void query__groups_free(struct proc_group *groups, size_t cnt)
{
	size_t i;

	for (i = 0; groups && i < cnt; i++)
		free(groups[i].procs);
	free(groups);
}
