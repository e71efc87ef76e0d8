// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "analysis/kernel_metrics.h"

static uint32_t ooms_of(const struct model *m, pid_t pid)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < m->oom_cnt; i++)
		if ((pid_t)m->ooms[i].ev.pid == pid || m->ooms[i].cgroup_peer == pid)
			n++;
	return n;
}

static void pressure_input(const struct model *m, const struct proc_kernel *k,
			   struct pressure_input *in)
{
	uint64_t limit, usage, headroom;
	const struct psi *psi = NULL;

	if (k->has_cgroup_psi)
		psi = &k->cgroup_psi;
	else if (m->psi.state == 1)
		psi = &m->psi.psi;
	if (psi) {
		in->psi_some_avg10 = psi->some.avg10;
		in->psi_full_avg10 = psi->has_full ? psi->full.avg10 : NAN;
	}
	if (proc_kernel__limit_headroom(k, &limit, &usage, &headroom)) {
		in->limit_bytes = limit;
		in->usage_bytes = usage;
	} else if (k->has_cgroup) {
		in->limit_bytes = 0;	/* no limit */
		in->usage_bytes = k->cgroup.usage_bytes;
	}
	if (k->samples >= 2) {
		in->major_faults_per_s = k->maj_flt_rate;
		in->reclaim_stall_ms_per_s = k->reclaim_ns_per_s / 1e6;
	}
}

void kernel_metrics__input(const struct model *m, const struct proc *p, uint32_t *oom_seen,
			   struct kernel_sample *ks)
{
	const struct proc_kernel *k = &p->kernel;
	struct mapping_totals t;
	uint32_t ooms = ooms_of(m, p->pid);

	kernel_sample__unknown(ks);
	ks->oom_kills = ooms > *oom_seen ? ooms - *oom_seen : 0;
	*oom_seen = ooms;
	pressure_input(m, k, &ks->pressure);
	mappings__totals(&k->maps, &t);
	if (k->mmaps)
		ks->mapped_bytes = t.anon_bytes + t.file_bytes;
	if (!k->samples)
		return;
	ks->rss_bytes = k->rss_total_bytes;
	if (k->samples >= 2) {
		ks->major_faults_per_s = k->maj_flt_rate;
		ks->minor_faults_per_s = k->min_flt_rate;
	}
}
