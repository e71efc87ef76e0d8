// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

static int by_bytes_desc(const void *a, const void *b)
{
	const struct report_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->allocs != y->allocs)
		return x->allocs < y->allocs ? 1 : -1;
	if (x->site->stack_id != y->site->stack_id)
		return x->site->stack_id < y->site->stack_id ? -1 : 1;
	return (int)x->site->kind - (int)y->site->kind;
}

int report__build(const struct proc *p, uint32_t now_ms, uint32_t min_age_ms,
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

		if (min_age_ms && (a->t_ms > now_ms || now_ms - a->t_ms < min_age_ms))
			continue;
		rs->bytes += a->size;
		rs->allocs++;
		if (a->t_ms < rs->oldest_ms)
			rs->oldest_ms = a->t_ms;
	}
	for (i = 0; i < p->site_cnt; i++) {
		if (!all[i].allocs)
			continue;
		out->bytes += all[i].bytes;
		out->allocs += all[i].allocs;
		all[n++] = all[i];
	}
	qsort(all, n, sizeof(*all), by_bytes_desc);
	out->sites = all;
	out->cnt = n;
	return 0;
}

void report__release(struct proc_report *r)
{
	free(r->sites);
	r->sites = NULL;
	r->cnt = 0;
}
