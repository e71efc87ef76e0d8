// SPDX-License-Identifier: GPL-2.0
/*
 * evict: which exited process the model drops first when it keeps too many
 * (--keep-exited). Pure: the choice only; model__drop forgets.
 */
#include "model/model.h"

size_t model__exited_cnt(const struct model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->proc_cnt; i++)
		n += m->procs[i]->exited;
	return n;
}

/* How much p is worth keeping: 0 held nothing at its exit, 1 held heap, 2 OOM-killed. */
static int evict_worth(const struct proc *p)
{
	if (p->kernel.oom_kills)
		return 2;
	return p->heap.outstanding_allocs || p->heap.est_outstanding_bytes > 0;
}

/* Whether exited a is to go before exited b. */
static bool evict_before(const struct proc *a, const struct proc *b)
{
	int wa = evict_worth(a), wb = evict_worth(b);

	if (wa != wb)
		return wa < wb;
	return a->exit_seq < b->exit_seq;
}

ssize_t model__evict_pick(const struct model *m, uint32_t keep)
{
	ssize_t pick = -1;
	size_t i;

	if (model__exited_cnt(m) <= keep)
		return -1;
	for (i = 0; i < m->proc_cnt; i++) {
		if (!m->procs[i]->exited)
			continue;
		if (pick < 0 || evict_before(m->procs[i], m->procs[pick]))
			pick = (ssize_t)i;
	}
	return pick;
}
