// SPDX-License-Identifier: GPL-2.0
/* The model's kernel half: mmap-family records, periodic samples, OOM kills. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "model/model.h"
#include "model/query.h"

int model__map_event(struct model *m, const struct mv_map_event *e, const uint64_t *frames)
{
	struct proc *p = model__proc(m, e->pid);
	struct proc_kernel *pk;
	uint32_t now = model__ms(m, e->ts_ns);
	int64_t id;

	m->events++;
	if (!p)
		return -ENOMEM;
	pk = &p->kernel;
	switch (e->type) {
	case MV_EV_MMAP:
		pk->mmaps++;
		id = stacks__intern(m->stacks, frames, e->stack_depth);
		if (id < 0)
			return (int)id;
		return mappings__map(&pk->maps, e->addr, e->len, e->flags, (uint32_t)id, now);
	case MV_EV_MUNMAP:
		pk->munmaps++;
		return mappings__unmap(&pk->maps, e->addr, e->len);
	case MV_EV_MREMAP:
		pk->mremaps++;
		return mappings__remap(&pk->maps, e->old_addr, e->old_len, e->addr, e->len, now);
	case MV_EV_BRK:
		pk->brks++;
		pk->brk_bytes = e->addr > e->old_addr ? e->addr - e->old_addr : 0;
		return 0;
	default:
		return -EINVAL;
	}
}

void model__kernel_sample(struct model *m, pid_t pid, const struct kernel_reading *s,
			  uint64_t ts_ns)
{
	struct proc *p = model__find(m, pid);

	if (p)
		proc_kernel__sample(&p->kernel, s, model__ms(m, ts_ns), m->page_bytes);
}

static void snapshot_stacks(const struct proc *p, uint32_t now_ms, struct oom_kill *k)
{
	struct proc_report r;
	size_t i;

	/* estimates in sampled mode (query's are the counts themselves when exact) */
	k->heap_outstanding_bytes = p->sample_period
		? (uint64_t)llround(p->heap.est_outstanding_bytes) : p->heap.outstanding_bytes;
	if (query__build(p, now_ms, 0, &r))
		return;
	for (i = 0; i < r.cnt && i < MV_OOM_TOP_STACKS; i++) {
		k->stacks[i] = (struct oom_stack){ .stack_id = r.sites[i].site->stack_id,
						   .kind = r.sites[i].site->kind,
						   .bytes = llround(r.sites[i].est_bytes),
						   .allocs = llround(r.sites[i].est_allocs) };
	}
	k->stack_cnt = i;
	query__release(&r);
}

/* A traced process whose memory cgroup is the victim's, or 0. */
static pid_t cgroup_peer(const struct model *m, uint64_t memcg_id)
{
	size_t i;

	if (!memcg_id)
		return 0;
	for (i = 0; i < m->proc_cnt; i++) {
		const struct proc_kernel *pk = &m->procs[i]->kernel;

		if (pk->memcg.id == memcg_id || (pk->has_cgroup && pk->cgroup.ino == memcg_id))
			return m->procs[i]->pid;
	}
	return 0;
}

const struct oom_kill *model__oom(struct model *m, const struct mv_oom_event *e)
{
	struct proc *victim = model__find(m, e->pid);
	pid_t peer = victim ? 0 : cgroup_peer(m, e->memcg.id);
	struct oom_kill *k;

	m->events++;
	if (!victim && !peer)
		return NULL;
	k = grow__array(m->ooms, &m->ooms_cap, m->oom_cnt + 1, sizeof(*k), 4);
	if (!k)
		return NULL;
	m->ooms = k;
	k = &m->ooms[m->oom_cnt++];
	memset(k, 0, sizeof(*k));
	k->ev = *e;
	k->ms = model__ms(m, e->ts_ns);
	k->victim_traced = victim != NULL;
	k->cgroup_peer = peer;
	if (victim) {
		victim->kernel.oom_kills++;
		if (!k->ev.comm[0])
			memcpy(k->ev.comm, victim->comm, sizeof(k->ev.comm));
		snapshot_stacks(victim, k->ms, k);
	}
	return k;
}
