// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/kernel_sampler.h"

struct sample_set {
	struct model *m;
	struct cgroup_mounts mounts;	/* read once per sample */
	bool has_mounts;
	struct kernel_reading *samples;	/* indexed like m->procs */
};

static void add_task(void *ctx, const struct mv_task_sample *t)
{
	struct sample_set *set = ctx;
	struct kernel_reading *s = NULL;
	size_t i;
	int r;

	for (i = 0; i < set->m->proc_cnt; i++)
		if (set->m->procs[i]->key == (pid_t)t->pid)
			s = &set->samples[i];
	if (!s)
		return;
	if (!s->has_task) {	/* process-wide fields: the same in every thread's record */
		s->has_task = true;
		s->min_flt = t->sig_min_flt;
		s->maj_flt = t->sig_maj_flt;
	}
	s->min_flt += t->min_flt;
	s->maj_flt += t->maj_flt;
	if (t->has_mm && !s->has_mm) {
		s->has_mm = true;
		for (r = 0; r < MV_RSS_CNT; r++)
			s->rss_pages[r] = t->rss_pages[r];
		s->vm_pages = t->total_vm_pages;
		s->start_brk = t->start_brk;
		s->brk = t->brk;
		s->memcg = t->memcg;
	}
}

static void read_proc_files(struct probes *pr, const struct sample_set *set, pid_t pid,
			    struct kernel_reading *s)
{
	s->has_kstat = !probes__kstat(pr, pid, &s->kstat);
	s->has_smaps = !procmem__read_smaps_rollup(pid, &s->smaps);
	s->has_cgroup = set->has_mounts && !cgroup_mem__of(pid, &set->mounts, &s->cgroup);
	if (s->has_cgroup && s->cgroup.pressure_path[0])
		s->has_cgroup_psi = !procmem__read_psi(s->cgroup.pressure_path, &s->cgroup_psi);
}

static void read_system_psi(struct model *m, struct recorder *rec)
{
	const char *path = getenv("MEMVIGIL_PSI_PATH");
	int ret = procmem__read_psi(path ? path : MV_SYSTEM_PSI_PATH, &m->psi.psi);

	m->psi.state = ret ? -ENOENT : 1;
	recorder__psi(rec, &m->psi);
}

int kernel_sampler__run(struct probes *pr, struct model *m, struct recorder *rec, uint64_t ts_ns)
{
	struct sample_set set = { .m = m };
	size_t i;
	int ret;

	recorder__sync(rec, m);
	read_system_psi(m, rec);
	if (!m->proc_cnt)
		return 0;
	set.samples = calloc(m->proc_cnt, sizeof(*set.samples));
	if (!set.samples)
		return -ENOMEM;
	set.has_mounts = !cgroup_mem__read_mounts(&set.mounts);
	ret = probes__sample_tasks(pr, add_task, &set);
	for (i = 0; i < m->proc_cnt; i++) {
		if (set.samples[i].has_task && !m->procs[i]->exited)
			read_proc_files(pr, &set, m->procs[i]->key, &set.samples[i]);
		else if (m->procs[i]->key > 0)	/* a retired key names no process */
			set.samples[i].has_kstat = !probes__kstat(pr, m->procs[i]->key,
								  &set.samples[i].kstat);
		recorder__ksample(rec, m->procs[i]->key, &set.samples[i], ts_ns);
		model__kernel_sample(m, m->procs[i]->key, &set.samples[i], ts_ns);
	}
	free(set.samples);
	return ret == -ENOTSUP ? 0 : ret;
}

void kernel_sampler__exited(struct probes *pr, struct model *m, struct recorder *rec, pid_t pid,
			    uint64_t ts_ns)
{
	struct kernel_reading r = { 0 };

	r.has_kstat = !probes__kstat(pr, pid, &r.kstat);
	if (!r.has_kstat)
		return;
	recorder__ksample(rec, pid, &r, ts_ns);
	model__kernel_sample(m, pid, &r, ts_ns);
}
