// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "model/proc_kernel.h"

static struct kernel_reading sample(uint64_t min_flt, uint64_t maj_flt, uint64_t anon_pages)
{
	struct kernel_reading s = { .has_task = true, .has_mm = true, .min_flt = min_flt,
				   .maj_flt = maj_flt, .has_kstat = true };

	s.rss_pages[MV_RSS_ANON] = anon_pages;
	s.rss_pages[MV_RSS_FILE] = 10;
	s.kstat.faults_user = min_flt;
	return s;
}

Test(proc_kernel, rates_are_per_second_over_the_last_period)
{
	struct proc_kernel pk;
	struct kernel_reading s0 = sample(100, 1, 50), s1 = sample(600, 3, 250);

	proc_kernel__init(&pk);
	proc_kernel__sample(&pk, &s0, 1000, 4096);
	proc_kernel__sample(&pk, &s1, 1500, 4096);
	cr_assert_float_eq(pk.min_flt_rate, 1000.0, 1e-6);
	cr_assert_float_eq(pk.maj_flt_rate, 4.0, 1e-6);
	cr_assert_float_eq(pk.fault_rate, 1000.0, 1e-6);
	cr_assert_float_eq(pk.rss_rate_bytes_per_s, 200.0 * 4096 * 2, 1e-6);
	cr_assert_eq(pk.min_flt - pk.min_flt_first, 500);
	cr_assert_eq(pk.rss_first_bytes, 60 * 4096);
	cr_assert_eq(pk.rss_peak_bytes, 260 * 4096);
	proc_kernel__release(&pk);
}

Test(proc_kernel, a_gone_process_keeps_its_last_figures_and_takes_its_exit_counters)
{
	struct proc_kernel pk;
	struct kernel_reading s0 = sample(100, 0, 50), gone = { .has_kstat = true };

	proc_kernel__init(&pk);
	proc_kernel__sample(&pk, &s0, 1000, 4096);
	gone.kstat.faults_user = 180;
	gone.kstat.exited = 1;
	gone.kstat.exit_min_flt = 190;
	proc_kernel__sample(&pk, &gone, 2000, 4096);
	cr_assert_eq(pk.rss_total_bytes, 60 * 4096);
	cr_assert_eq(pk.min_flt, 190);
	cr_assert_eq(pk.samples, 1);
	proc_kernel__release(&pk);
}

Test(proc_kernel, headroom_is_limit_minus_usage_and_absent_without_a_limit)
{
	struct proc_kernel pk;
	uint64_t limit, usage, room;

	proc_kernel__init(&pk);
	cr_assert_not(proc_kernel__limit_headroom(&pk, &limit, &usage, &room));
	pk.has_cgroup = true;
	pk.cgroup.limit_bytes = 1000;
	pk.cgroup.usage_bytes = 900;
	cr_assert(proc_kernel__limit_headroom(&pk, &limit, &usage, &room));
	cr_assert_eq(room, 100);
	pk.cgroup.limit_bytes = CGROUP_NO_LIMIT;
	cr_assert_not(proc_kernel__limit_headroom(&pk, &limit, &usage, &room));
	proc_kernel__release(&pk);
}
