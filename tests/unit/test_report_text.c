// SPDX-License-Identifier: GPL-2.0
/* The text report against golden files (report_fixture.h says how to regenerate them). */
#include "report_fixture.h"
#include "output/report_text.h"

Test(report_text, final_report_of_a_traced_cgroup_matches_its_golden_file)
{
	struct fixture f;
	struct report_ctx ctx;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	ctx.final = true;
	memset(ctx.health.lost, 0, sizeof(ctx.health.lost));
	ctx.health.lost[MV_LOSS_RINGBUF] = 7;
	golden__check_writer("report_exact.txt", report_text__write, &ctx);
	fixture__free(&f);
}

Test(report_text, periodic_report_of_a_sampled_command_matches_its_golden_file)
{
	struct fixture f;
	struct report_ctx ctx;

	fixture__sampled(&f);
	fixture__ctx(&f, &ctx);
	ctx.opts.min_age_s = 0.5;
	golden__check_writer("report_sampled.txt", report_text__write, &ctx);
	fixture__free(&f);
}

Test(report_text, oom_kill_lines_as_they_happen_match_their_golden_file)
{
	struct fixture f;
	struct fx_buf b;
	struct report_ctx ctx = { .resolve = fixture_resolve, .now_ms = 9000, .opts.frames = 1 };
	FILE *out;
	size_t i;

	fixture__exact(&f);
	ctx.m = f.m;
	out = fx_buf_open(&b);
	for (i = 0; i < f.m->oom_cnt; i++)
		report_text__oom_kill(out, &ctx, &f.m->ooms[i]);
	golden__check("oom.txt", fx_buf_text(&b));
	free(b.text);
	fixture__free(&f);
}

Test(report_text, report_before_any_allocation_says_so)
{
	struct model *m = model__new(FX_T0);
	struct report_ctx ctx = { .m = m, .now_ms = 250, .opts.top = 10 };
	struct fx_buf b;

	cr_assert_eq(report_text__write(fx_buf_open(&b), &ctx), 0);
	cr_assert_str_eq(fx_buf_text(&b), "--- report at +250ms\nno allocations seen yet\n");
	free(b.text);
	model__free(m);
}
