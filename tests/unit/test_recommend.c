// SPDX-License-Identifier: GPL-2.0
/* Recommendations from hand-set verdicts, trends and pressure (docs/recommendations.md). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "analysis/recommend.h"

#define NOW_MS 600000u
#define MIB (1024.0 * 1024.0)

static const uint64_t stack_a[] = { 0x401000, 0x402000 };
static const uint64_t stack_b[] = { 0x401100, 0x402000 };

struct fx {
	struct model *m;
	struct proc *p;
	struct proc_metrics pm;
	struct site_metrics sites[2];
	struct series *series;
	struct recommendation recs[RECOMMEND_MAX];
};

static const char *name_site(void *ctx, pid_t key, uint32_t stack_id, char *buf, size_t len)
{
	(void)ctx;
	(void)key;
	snprintf(buf, len, stack_id == 0 ? "parse_request (src/req.c:88)" : "cache_put");
	return buf;
}

/* pid 7 with cnt blocks of size bytes on stack a from time 0, and one on stack b. */
static void fx_init(struct fx *f, uint64_t sample_period, uint32_t cnt, uint64_t size)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->m = model__new(0);
	cr_assert_not_null(f->m);
	model__set_sampling(f->m, sample_period);
	for (i = 0; i < cnt; i++)
		cr_assert_eq(model__alloc(f->m, 7, (uint64_t)i * 1000, 0x10000 + 0x100ull * i, size,
					  0, 0, stack_a, 2), 0);
	cr_assert_eq(model__alloc(f->m, 7, 5000000, 0x9000000, 4096, 0, 0, stack_b, 2), 0);
	f->p = model__find(f->m, 7);
	cr_assert_not_null(f->p);
	cr_assert_eq(f->p->site_cnt, 2);
	f->series = series__new(60000, 1000);
	f->sites[0] = (struct site_metrics){ .outstanding = f->series, .verdict = VERDICT_STABLE };
	f->sites[1] = f->sites[0];
	f->pm.sites = f->sites;
	f->pm.site_cnt = 2;
	f->pm.pressure.level = PRESSURE_LOW;
	f->pm.kernel.pressure.usage_bytes = NAN;
}

static size_t fx_run(struct fx *f)
{
	struct recommend_input in = { .p = f->p, .pm = &f->pm, .now_ms = NOW_MS,
				      .name = name_site };

	return recommend__process(&in, f->recs, RECOMMEND_MAX);
}

/* Recommendation i of f's last run is rule with severity and text. */
static void check_rec(const struct fx *f, size_t i, const char *rule,
		      enum recommend_severity severity, const char *text)
{
	cr_assert_str_eq(f->recs[i].rule, rule);
	cr_assert_eq(f->recs[i].severity, severity, "%s is %s", rule,
		     recommend__severity_name(f->recs[i].severity));
	cr_assert_str_eq(f->recs[i].text, text);
}

static void fx_free(struct fx *f)
{
	series__free(f->series);
	model__free(f->m);
}

/* site 0 (stack a) is a leak growing by bytes_per_s. */
static void fx_leak(struct fx *f, double bytes_per_s)
{
	f->sites[0].verdict = VERDICT_LEAK;
	f->sites[0].score = 0.95;
	f->sites[0].st.slope_per_s = bytes_per_s;
	f->pm.verdicts[VERDICT_LEAK] = 1;
	f->pm.heap.trend = TREND_INCREASING;
	f->pm.heap.st.slope_per_s = bytes_per_s;
}

Test(recommend, a_leak_is_named_with_its_rate_age_and_blocks_never_freed)
{
	struct fx f;

	fx_init(&f, 0, 41000, 80);
	fx_leak(&f, 3.2 * MIB / 60);
	cr_assert_eq(fx_run(&f), 1);
	check_rec(&f, 0, "leak", RECOMMEND_WARNING,
		  "leak at parse_request (src/req.c:88): +3.2 MiB/min for 10m00s, 41,000 blocks "
		  "never freed (3.1 MiB held)");
	fx_free(&f);
}

Test(recommend, sampled_figures_are_marked_as_estimates)
{
	struct fx f;

	fx_init(&f, 1, 100, 4096);
	fx_leak(&f, 4096);
	cr_assert_eq(fx_run(&f), 1);
	cr_assert(strstr(f.recs[0].text, ", ~100 blocks never freed (~400.0 KiB held)"), "%s",
		  f.recs[0].text);
	fx_free(&f);
}

Test(recommend, a_stable_cache_gets_no_recommendation)
{
	struct fx f;

	fx_init(&f, 0, 48, 4096);
	f.pm.verdicts[VERDICT_STABLE] = 2;
	cr_assert_eq(fx_run(&f), 0);
	fx_free(&f);
}

/* f with a heap rising 1 KiB/s over the last 30 s and no stack called anything yet. */
static void fx_heap_rising(struct fx *f)
{
	fx_init(f, 0, 10, 100);
	f->pm.heap.trend = TREND_INCREASING;
	f->pm.heap.st.slope_per_s = 1024;
	f->pm.heap.st.span_ms = 30000;
}

/* With no growing stack (all still early or stable), no "growing stacks" to watch. */
Test(recommend, a_growing_heap_without_a_leak_verdict_is_said_as_info)
{
	struct fx f;

	fx_heap_rising(&f);
	f.sites[0].verdict = VERDICT_GROWING;
	f.pm.verdicts[VERDICT_GROWING] = 1;
	cr_assert_eq(fx_run(&f), 1);
	check_rec(&f, 0, "heap_growing", RECOMMEND_INFO,
		  "heap growing +60.0 KiB/min over the last 30.0s, no stack called a leak yet "
		  "(1 growing): watch the growing stacks");
	f.sites[0].verdict = VERDICT_EARLY;
	f.pm.verdicts[VERDICT_GROWING] = 0;
	f.pm.verdicts[VERDICT_EARLY] = 2;
	cr_assert_eq(fx_run(&f), 1);
	check_rec(&f, 0, "heap_growing", RECOMMEND_INFO,
		  "heap growing +60.0 KiB/min over the last 30.0s, no stack growing or called a "
		  "leak yet: watch the top stacks");
	fx_free(&f);
}

/* RSS at used_pct of a 1 GiB limit, growing mib_per_min. */
static void fx_limit(struct fx *f, double used_pct, double mib_per_min)
{
	f->pm.kernel.pressure.limit_bytes = 1024 * MIB;
	f->pm.kernel.pressure.usage_bytes = used_pct / 100 * 1024 * MIB;
	f->pm.rss.trend = TREND_INCREASING;
	f->pm.rss.st.slope_per_s = mib_per_min * MIB / 60;
}

Test(recommend, a_limit_reached_within_the_hour_is_an_oom_warning)
{
	struct fx f;

	fx_init(&f, 0, 1, 100);
	fx_limit(&f, 92, 5);
	cr_assert_eq(fx_run(&f), 2);
	check_rec(&f, 0, "oom_soon", RECOMMEND_WARNING,
		  "memory at 92% of its limit (1.0 GiB), RSS growing +5.0 MiB/min: OOM in about "
		  "16 min");
	/* and the heap does not explain it */
	check_rec(&f, 1, "rss_not_heap", RECOMMEND_INFO,
		  "heap flat while RSS grows +5.0 MiB/min: fragmentation or mappings, see mapped");
	fx_free(&f);
}

Test(recommend, a_limit_reached_within_ten_minutes_is_critical)
{
	struct fx f;

	fx_init(&f, 0, 1, 100);
	fx_limit(&f, 99, 50);
	fx_run(&f);
	cr_assert_str_eq(f.recs[0].rule, "oom_soon");
	cr_assert_eq(f.recs[0].severity, RECOMMEND_CRITICAL);
	cr_assert(strstr(f.recs[0].text, "OOM in under a minute"), "%s", f.recs[0].text);
	fx_free(&f);
}

Test(recommend, a_limit_hours_away_or_a_flat_rss_is_not_an_oom_warning)
{
	struct fx f;

	fx_init(&f, 0, 1, 100);
	fx_limit(&f, 50, 1);	/* 512 MiB to go at 1 MiB/min */
	cr_assert_str_neq(fx_run(&f) ? f.recs[0].rule : "", "oom_soon");
	fx_limit(&f, 99, 50);
	f.pm.rss.trend = TREND_STABLE;
	cr_assert_eq(fx_run(&f), 0);
	fx_free(&f);
}

Test(recommend, high_and_critical_pressure_are_said_with_their_cause)
{
	struct fx f;

	fx_init(&f, 0, 1, 100);
	f.pm.pressure = (struct pressure){ .level = PRESSURE_MEDIUM, .cause = PSIG_PSI_SOME };
	cr_assert_eq(fx_run(&f), 0);
	f.pm.pressure = (struct pressure){ .level = PRESSURE_CRITICAL, .cause = PSIG_RECLAIM };
	cr_assert_eq(fx_run(&f), 1);
	check_rec(&f, 0, "pressure", RECOMMEND_CRITICAL,
		  "memory pressure critical (from reclaim_stall): its allocations stall in direct "
		  "reclaim");
	fx_free(&f);
}

Test(recommend, growing_mappings_with_a_flat_heap_point_at_the_mapping_stacks)
{
	struct fx f;

	fx_init(&f, 0, 1, 100);
	f.pm.mapped.trend = TREND_INCREASING;
	f.pm.mapped.st.slope_per_s = 2 * MIB / 60;
	f.pm.rss.trend = TREND_INCREASING;
	cr_assert_eq(fx_run(&f), 1);
	check_rec(&f, 0, "mapped_growing", RECOMMEND_INFO,
		  "mapped memory growing +2.0 MiB/min while the heap is flat: see the mapping "
		  "stacks");
	fx_free(&f);
}

/* --kernel-only: the heap's trend is unknown, so nothing says it is flat. */
Test(recommend, an_untraced_heap_is_never_said_to_be_flat)
{
	struct fx f;

	fx_init(&f, 0, 1, 100);
	f.pm.heap.trend = TREND_UNKNOWN;
	f.pm.mapped.trend = TREND_INCREASING;
	f.pm.mapped.st.slope_per_s = 2 * MIB / 60;
	cr_assert_eq(fx_run(&f), 1);
	check_rec(&f, 0, "mapped_growing", RECOMMEND_INFO,
		  "mapped memory growing +2.0 MiB/min: see the mapping stacks");
	f.pm.mapped.trend = TREND_STABLE;
	f.pm.rss.trend = TREND_INCREASING;
	f.pm.rss.st.slope_per_s = 5 * MIB / 60;
	cr_assert_eq(fx_run(&f), 0, "rss_not_heap without a heap: %s", f.recs[0].text);
	fx_free(&f);
}

Test(recommend, no_metrics_no_recommendations_and_out_is_never_overrun)
{
	struct fx f;
	struct recommend_input in = { 0 };

	fx_init(&f, 0, 3, 100);
	in.p = f.p;
	cr_assert_eq(recommend__process(&in, f.recs, RECOMMEND_MAX), 0);
	fx_leak(&f, 100);
	fx_limit(&f, 99, 50);
	f.pm.pressure = (struct pressure){ .level = PRESSURE_HIGH, .cause = PSIG_LIMIT };
	in.pm = &f.pm;
	in.now_ms = NOW_MS;
	cr_assert_eq(recommend__process(&in, f.recs, 2), 2);
	cr_assert_str_eq(f.recs[0].rule, "oom_soon");
	cr_assert_str_eq(f.recs[1].rule, "pressure");
	cr_assert_eq(recommend__process(&in, f.recs, RECOMMEND_MAX), 3);
	cr_assert_str_eq(f.recs[2].text, "leak at stack 0: +5.9 KiB/min for 10m00s, 3 blocks "
			 "never freed (300 B held)");
	fx_free(&f);
}
