// SPDX-License-Identifier: GPL-2.0
/* The text report against golden files (report_fixture.h says how to regenerate them). */
#include "report_fixture.h"
#include "output/report_text.h"

/* The exact session's final report, with 7 events lost; detail as -v gives. */
static void check_final_exact(const char *golden, bool detail)
{
	struct fixture f;
	struct report_ctx ctx;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	ctx.final = true;
	ctx.opts.detail = detail;
	memset(ctx.health.lost, 0, sizeof(ctx.health.lost));
	ctx.health.lost[MV_LOSS_RINGBUF] = 7;
	golden__check_writer(golden, report_text__write, &ctx);
	fixture__free(&f);
}

Test(report_text, final_report_of_a_traced_cgroup_matches_its_golden_file)
{
	check_final_exact("report_exact.txt", false);
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

Test(report_text, with_v_the_kernel_detail_is_in_full_after_the_stacks)
{
	check_final_exact("report_exact_detail.txt", true);
}

/* The text of pid's section of a report (its lines up to the next process or cgroup). */
static char *proc_section(const char *text, const char *pid_line_start)
{
	const char *start = strstr(text, pid_line_start), *end;

	cr_assert_not_null(start, "no %s in %s", pid_line_start, text);
	for (end = strchr(start, '\n'); end && end[1] == ' '; end = strchr(end + 1, '\n'))
		;
	return strndup(start, end ? (size_t)(end - start + 1) : strlen(start));
}

/* The exact session's periodic report, without -v; the caller frees it. */
static char *exact_report(void)
{
	struct fixture f;
	struct report_ctx ctx;
	struct fx_buf b;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	cr_assert_eq(report_text__write(fx_buf_open(&b), &ctx), 0);
	fx_buf_text(&b);
	fixture__free(&f);
	return b.text;
}

Test(report_text, stacks_come_before_the_kernel_figures_which_take_three_lines)
{
	char *text = exact_report(), *app;

	app = proc_section(text, "PID 100 (app)");
	cr_assert(strstr(app, "\n  verdict leak, score 1.00;") ==
		  strchr(app, '\n'), "the verdict is not the second line: %s", app);
	cr_assert_lt(strstr(app, "leak_one+0x1a"), strstr(app, "  rss "), "%s", app);
	cr_assert_lt(strstr(app, "  rss "), strstr(app, "  faults "), "%s", app);
	cr_assert_lt(strstr(app, "  faults "), strstr(app, "  cgroup v2 "), "%s", app);
	cr_assert_null(strstr(app, "RSS peak"), "kernel detail without -v: %s", app);
	cr_assert_null(strstr(app, "fault hooks"), "kernel detail without -v: %s", app);
	free(app);
	free(text);
}

Test(report_text, a_count_of_one_is_singular)
{
	static const char *const plurals[] = { " 1 allocs,", " 1 allocs\n", "~1 allocs",
					       " 1 ranges", " 1 processes", " 1 stacks",
					       " 1 stalls" };
	char *text = exact_report();
	size_t i;

	cr_assert_not_null(strstr(text, " in 1 alloc,"));
	for (i = 0; i < sizeof(plurals) / sizeof(plurals[0]); i++)
		cr_assert_null(strstr(text, plurals[i]), "\"%s\" in %s", plurals[i], text);
	free(text);
}

Test(report_text, a_process_without_heap_probes_has_no_heap_lines_nor_leak_score)
{
	char *text = exact_report(), *helper;

	helper = proc_section(text, "PID 102 (helper)");
	cr_assert_str_eq(helper, "PID 102 (helper) [left the cgroup]: heap not traced\n");
	free(helper);
	free(text);
}

Test(report_text, a_growth_fitted_through_two_samples_is_unknown_not_r2_1)
{
	struct model *m = model__new(FX_T0);
	struct metrics *mt = metrics__new(60000, 1000);
	struct report_ctx ctx = { .m = m, .metrics = mt, .now_ms = 1000, .opts.top = 1 };
	struct fx_buf b;
	const char *text;
	uint32_t t;

	cr_assert(m && mt);
	fx_proc(m, 300, "two", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 0, NULL);
	for (t = 0; t < 2; t++) {
		struct kernel_sample ks;

		fx_alloc(m, 300, t * 1000, 0x10000 + t * 0x100, 1000, MV_KIND_MALLOC,
			 fx_leak_stack, 3);
		kernel_sample__unknown(&ks);
		cr_assert_eq(metrics__sample(mt, model__proc(m, 300), t * 1000, &ks), 0);
	}
	cr_assert_eq(report_text__write(fx_buf_open(&b), &ctx), 0);
	text = fx_buf_text(&b);
	cr_assert_not_null(strstr(text, "\n  heap growth unknown: 2 samples in the window, "
				  "a trend needs 3\n"), "%s", text);
	cr_assert_null(strstr(text, "R2"), "%s", text);
	free(b.text);
	metrics__free(mt);
	model__free(m);
}

/* Whether every figure of line after each of the words is marked "~". */
static void assert_marked(const char *line, const char *const *words, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++) {
		const char *w = strstr(line, words[i]);

		cr_assert_not_null(w, "no \"%s\" in: %s", words[i], line);
		cr_assert_eq(w[strlen(words[i])], '~', "\"%s\" not followed by ~ in: %s",
			     words[i], line);
	}
}

Test(report_text, sampled_every_estimate_of_heap_growth_and_stacks_is_marked)
{
	static const char *const heap[] = { "heap ", "baseline ", "peak ", "delta " };
	static const char *const growth[] = { "growth ", "= " };
	struct fixture f;
	struct report_ctx ctx;
	struct fx_buf b;
	char *line, *save = NULL;
	unsigned int heaps = 0, growths = 0, stacks = 0;
	uint32_t t;

	fixture__sampled(&f);
	f.mt = metrics__new(60000, 1000);
	cr_assert_not_null(f.mt);
	for (t = 1; t <= 5; t++) {
		fx_alloc(f.m, 200, t * 1000, 0x60000 + t * 0x100, 20000 * t, MV_KIND_MALLOC,
			 fx_leak_stack, 3);
		fx_sample_metrics(&f, t * 1000);
	}
	fixture__ctx(&f, &ctx);
	cr_assert_eq(report_text__write(fx_buf_open(&b), &ctx), 0);
	fx_buf_text(&b);
	for (line = strtok_r(b.text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "  heap growth ", 14)) {
			assert_marked(line, growth, 2);
			growths++;
		} else if (!strncmp(line, "  heap ", 7)) {
			assert_marked(line, heap, 4);
			heaps++;
		} else if (strstr(line, " bytes")) {
			cr_assert_not_null(strstr(line, "  ~"), "an unmarked stack: %s", line);
			cr_assert_not_null(strstr(line, "(~"), "unmarked bytes: %s", line);
			cr_assert_not_null(strstr(line, "in ~"), "unmarked allocs: %s", line);
			stacks++;
		}
	}
	cr_assert_eq(heaps, 2, "a heap line per process");
	cr_assert_eq(growths, 2, "a growth line per process");
	cr_assert_eq(stacks, 3, "three stacks");
	free(b.text);
	fixture__free(&f);
}

Test(report_text, every_line_but_frames_fits_100_columns)
{
	char *text = exact_report(), *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "        ", 8))
			cr_assert_leq(strlen(line), 100, "%zu columns: %s", strlen(line), line);
	free(text);
}

Test(report_text, without_heap_probes_the_verdict_is_its_mapping_stacks)
{
	struct model *m = model__new(FX_T0);
	struct metrics *mt = metrics__new(60000, 1000);
	struct report_ctx ctx = { .m = m, .metrics = mt, .now_ms = 7000, .opts.top = 5,
				  .health.mappings_followed = true };
	struct fx_buf b;
	const char *text;
	uint32_t t;

	cr_assert(m && mt);
	metrics__set_heap_traced(mt, false);
	fx_proc(m, 100, "konly", NULL, 0, 0, NULL);
	for (t = 0; t <= 7; t++) {
		struct kernel_sample ks;

		if (t == 2)
			fx_mappings(m);
		kernel_sample__unknown(&ks);
		cr_assert_eq(metrics__sample(mt, model__proc(m, 100), t * 1000, &ks), 0);
	}
	cr_assert_eq(report_text__write(fx_buf_open(&b), &ctx), 0);
	text = fx_buf_text(&b);
	cr_assert_not_null(strstr(text, "PID 100 (konly): heap not traced\n"
				  "  verdict stable, score 0.00; mapping stacks over 1m00s: 0 leak, "
				  "0 growing, 4 stable, 0 early\n"
				  "  mapped while traced: "), "%s", text);
	cr_assert_null(strstr(text, "  heap "), "%s", text);
	cr_assert_null(strstr(text, "  rss "), "an RSS never read: %s", text);
	free(b.text);
	metrics__free(mt);
	model__free(m);
}
