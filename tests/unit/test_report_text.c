// SPDX-License-Identifier: GPL-2.0
/* The text report against golden files (report_fixture.h says how to regenerate them). */
#include "report_fixture.h"
#include "output/report_text.h"

Test(report_text, final_report_of_a_traced_cgroup_matches_its_golden_file)
{
	struct fixture f;
	struct fx_buf b;
	struct text_report_opts o = {
		.now_ms = FX_NOW_MS, .elapsed_ms = 5000, .min_age_ms = 1500, .top = 2, .frames = 2,
		.lost_events = 7, .final = true, .resolve = fixture_resolve,
	};

	fixture__exact(&f);
	o.metrics = f.mt;
	cr_assert_eq(report_text__print(fx_buf_open(&b), f.m, &o), 0);
	golden__check("report_exact.txt", fx_buf_text(&b));
	free(b.text);
	fixture__free(&f);
}

Test(report_text, periodic_report_of_a_sampled_command_matches_its_golden_file)
{
	struct fixture f;
	struct fx_buf b;
	struct text_report_opts o = {
		.now_ms = 5000, .elapsed_ms = 5000, .min_age_ms = 500, .top = 10,
		.mappings_off = true, .resolve = fixture_resolve,
	};

	fixture__sampled(&f);
	cr_assert_eq(report_text__print(fx_buf_open(&b), f.m, &o), 0);
	golden__check("report_sampled.txt", fx_buf_text(&b));
	free(b.text);
	fixture__free(&f);
}

Test(report_text, oom_kill_lines_as_they_happen_match_their_golden_file)
{
	struct fixture f;
	struct fx_buf b;
	struct text_report_opts o = { .now_ms = 9000, .frames = 1, .resolve = fixture_resolve };
	FILE *out;
	size_t i;

	fixture__exact(&f);
	out = fx_buf_open(&b);
	for (i = 0; i < f.m->oom_cnt; i++)
		report_text__oom(out, f.m, &f.m->ooms[i], &o);
	golden__check("oom.txt", fx_buf_text(&b));
	free(b.text);
	fixture__free(&f);
}

Test(report_text, report_before_any_allocation_says_so)
{
	struct model *m = model__new(FX_T0);
	struct text_report_opts o = { .now_ms = 250, .top = 10 };
	struct fx_buf b;

	cr_assert_eq(report_text__print(fx_buf_open(&b), m, &o), 0);
	cr_assert_str_eq(fx_buf_text(&b), "--- report at +250ms\nno allocations seen yet\n");
	free(b.text);
	model__free(m);
}
