// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "model/proc_kernel.h"

void proc_kernel__init(struct proc_kernel *pk)
{
	memset(pk, 0, sizeof(*pk));
	pk->memcg.limit_pages = ~0ull;
	mappings__init(&pk->maps);
}

void proc_kernel__release(struct proc_kernel *pk)
{
	mappings__release(&pk->maps);
}

static double per_s(uint64_t now, uint64_t prev, uint32_t ms)
{
	if (!ms || now < prev)
		return 0;
	return (now - prev) * 1000.0 / ms;
}

static void sample_task(struct proc_kernel *pk, const struct kernel_reading *s,
			uint32_t period_ms, uint64_t page_bytes)
{
	uint64_t rss;
	int i;

	pk->min_flt = s->min_flt;
	pk->maj_flt = s->maj_flt;
	if (!pk->samples) {
		pk->min_flt_first = s->min_flt;
		pk->maj_flt_first = s->maj_flt;
	}
	pk->min_flt_rate = pk->samples ? per_s(s->min_flt, pk->prev_min_flt, period_ms) : 0;
	pk->maj_flt_rate = pk->samples ? per_s(s->maj_flt, pk->prev_maj_flt, period_ms) : 0;
	pk->prev_min_flt = s->min_flt;
	pk->prev_maj_flt = s->maj_flt;
	if (!s->has_mm)
		return;
	for (i = 0; i < MV_RSS_CNT; i++)
		pk->rss_bytes[i] = s->rss_pages[i] * page_bytes;
	rss = pk->rss_bytes[MV_RSS_ANON] + pk->rss_bytes[MV_RSS_FILE] + pk->rss_bytes[MV_RSS_SHMEM];
	if (!pk->samples)
		pk->rss_first_bytes = rss;
	pk->rss_rate_bytes_per_s = pk->samples ? ((double)rss - (double)pk->prev_rss) * 1000.0 /
						 (period_ms ? period_ms : 1) : 0;
	pk->prev_rss = rss;
	pk->rss_total_bytes = rss;
	if (rss > pk->rss_peak_bytes)
		pk->rss_peak_bytes = rss;
	pk->vm_bytes = s->vm_pages * page_bytes;
	pk->brk_bytes = s->brk > s->start_brk ? s->brk - s->start_brk : 0;
	pk->memcg = s->memcg;
}

static void sample_kstat(struct proc_kernel *pk, const struct mv_kstat *k, uint32_t period_ms,
			 bool first)
{
	uint64_t faults = k->faults_user + k->faults_kernel;

	if (faults == pk->prev_faults && k->reclaim_ns == pk->prev_reclaim_ns && k->exited)
		first = true;	/* nothing new since it exited: keep the last rates */

	pk->faults_user = k->faults_user;
	pk->faults_kernel = k->faults_kernel;
	pk->reclaim_ns = k->reclaim_ns;
	pk->reclaim_cnt = k->reclaim_cnt;
	if (!first) {
		pk->fault_rate = per_s(faults, pk->prev_faults, period_ms);
		pk->reclaim_ns_per_s = per_s(k->reclaim_ns, pk->prev_reclaim_ns, period_ms);
	}
	pk->prev_faults = faults;
	pk->prev_reclaim_ns = k->reclaim_ns;
	if (k->exited) {	/* the counters at its exit are the last word */
		pk->min_flt = k->exit_min_flt;
		pk->maj_flt = k->exit_maj_flt;
	}
}

void proc_kernel__sample(struct proc_kernel *pk, const struct kernel_reading *s,
			 uint32_t now_ms, uint64_t page_bytes)
{
	uint32_t period_ms = pk->samples ? now_ms - pk->sample_ms : 0;

	if (s->has_smaps) {
		pk->has_smaps = true;
		pk->uss_bytes = s->smaps.uss_bytes;
		pk->pss_bytes = s->smaps.pss_bytes;
	}
	if (s->has_cgroup) {
		pk->has_cgroup = true;
		pk->cgroup = s->cgroup;
	}
	if (s->has_cgroup_psi) {
		pk->has_cgroup_psi = true;
		pk->cgroup_psi = s->cgroup_psi;
	}
	if (s->has_task)
		sample_task(pk, s, period_ms, page_bytes);
	if (s->has_kstat)
		sample_kstat(pk, &s->kstat, period_ms, !pk->samples);
	if (!s->has_task)
		return;		/* gone: keep the last figures */
	if (!pk->samples)
		pk->first_ms = now_ms;
	pk->samples++;
	pk->sample_ms = now_ms;
}

bool proc_kernel__limit_headroom(const struct proc_kernel *pk, uint64_t *limit,
				 uint64_t *usage, uint64_t *headroom)
{
	if (!pk->has_cgroup || pk->cgroup.limit_bytes == CGROUP_NO_LIMIT)
		return false;
	*limit = pk->cgroup.limit_bytes;
	*usage = pk->cgroup.usage_bytes;
	*headroom = *usage < *limit ? *limit - *usage : 0;
	return true;
}
