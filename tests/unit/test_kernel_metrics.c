// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <math.h>
#include "analysis/kernel_metrics.h"

#define T0 1000000000ull

static struct proc *sampled_proc(struct model *m)
{
	struct proc *p = model__proc(m, 42);

	p->kernel.samples = 3;
	p->kernel.rss_total_bytes = 5 << 20;
	p->kernel.maj_flt_rate = 12;
	p->kernel.min_flt_rate = 300;
	p->kernel.reclaim_ns_per_s = 4e6;
	return p;
}

Test(kernel_metrics, a_process_never_sampled_has_every_signal_unknown)
{
	struct model *m = model__new(T0);
	struct proc *p = model__proc(m, 42);
	struct kernel_sample ks;
	uint32_t seen = 0;

	kernel_metrics__input(m, p, &seen, &ks);
	cr_assert(isnan(ks.rss_bytes));
	cr_assert(isnan(ks.mapped_bytes));
	cr_assert(isnan(ks.pressure.major_faults_per_s));
	cr_assert_eq(ks.oom_kills, 0);
	model__free(m);
}

Test(kernel_metrics, rss_fault_rates_reclaim_and_the_cgroup_limit_are_passed_on)
{
	struct model *m = model__new(T0);
	struct proc *p = sampled_proc(m);
	struct kernel_sample ks;
	uint32_t seen = 0;

	p->kernel.has_cgroup = true;
	p->kernel.cgroup.limit_bytes = 64 << 20;
	p->kernel.cgroup.usage_bytes = 60 << 20;
	kernel_metrics__input(m, p, &seen, &ks);
	cr_assert_eq(ks.rss_bytes, 5 << 20);
	cr_assert_eq(ks.major_faults_per_s, 12);
	cr_assert_eq(ks.minor_faults_per_s, 300);
	cr_assert_eq(ks.pressure.reclaim_stall_ms_per_s, 4);
	cr_assert_eq(ks.pressure.limit_bytes, 64 << 20);
	cr_assert_eq(ks.pressure.usage_bytes, 60 << 20);
	model__free(m);
}

Test(kernel_metrics, cgroup_psi_wins_over_system_psi_and_system_psi_is_the_fallback)
{
	struct model *m = model__new(T0);
	struct proc *p = sampled_proc(m);
	struct kernel_sample ks;
	uint32_t seen = 0;

	m->psi.state = 1;
	m->psi.psi.some.avg10 = 1.5;
	kernel_metrics__input(m, p, &seen, &ks);
	cr_assert_eq(ks.pressure.psi_some_avg10, 1.5);
	p->kernel.has_cgroup_psi = true;
	p->kernel.cgroup_psi.some.avg10 = 30;
	kernel_metrics__input(m, p, &seen, &ks);
	cr_assert_eq(ks.pressure.psi_some_avg10, 30);
	model__free(m);
}

Test(kernel_metrics, each_oom_kill_is_passed_on_once)
{
	struct model *m = model__new(T0);
	struct proc *p = sampled_proc(m);
	struct mv_oom_event ev = { .type = MV_EV_OOM_KILL, .pid = 42, .ts_ns = T0 };
	struct kernel_sample ks;
	uint32_t seen = 0;

	cr_assert_not_null(model__oom(m, &ev));
	kernel_metrics__input(m, p, &seen, &ks);
	cr_assert_eq(ks.oom_kills, 1);
	kernel_metrics__input(m, p, &seen, &ks);
	cr_assert_eq(ks.oom_kills, 0);
	model__free(m);
}

Test(kernel_metrics, mapped_bytes_leave_out_the_allocators_own_mappings)
{
	struct model *m = model__new(T0);
	struct proc *p = sampled_proc(m);
	struct kernel_sample ks;
	uint32_t seen = 0;

	p->kernel.mmaps = 2;
	mappings__map(&p->kernel.maps, 0x10000, 8192, 0, 1, 0);
	mappings__map(&p->kernel.maps, 0x90000, 1 << 20, MV_MAP_ALLOCATOR, 2, 0);
	kernel_metrics__input(m, p, &seen, &ks);
	cr_assert_eq(ks.mapped_bytes, 8192);
	model__free(m);
}
