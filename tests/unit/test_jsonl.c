// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output/jsonl.h"
#include "report_fixture.h"
#include "temp_path.h"

#define PID 31

/* The file's lines, read while the writer still has it open. */
static int read_lines(char lines[][4096], int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	cr_assert_not_null(f);
	while (n < max && fgets(lines[n], 4096, f))
		n++;
	fclose(f);
	return n;
}

Test(jsonl, each_sample_and_alert_is_one_flushed_line, .init = make_path, .fini = remove_path)
{
	static const uint64_t frames[] = { 0x401000 };
	static char lines[4][4096];
	struct model *m = model__new(0);
	struct metrics *mt = metrics__new(60000, 1000);
	char open_err[256];
	struct jsonl *j = jsonl__open(path, open_err, sizeof(open_err));
	struct alert_event ev = { .t_s = 1.5, .time = "2026-01-01T00:00:00Z", .pid = PID,
				  .comm = "x\"y", .value = 2048 };
	struct report_ctx ctx = { .m = m, .metrics = mt, .time = "2026-01-01T00:00:00Z",
				  .opts.top = 10 };
	char err[128];
	const struct proc *p;
	int n;

	cr_assert_not_null(j);
	model__alloc(m, PID, 0, 0x10, 100, 0, 0, frames, 1);
	p = model__find(m, PID);
	cr_assert_eq(metrics__sample(mt, p, 0, NULL), 0);
	cr_assert_eq(jsonl__proc_sample(j, &ctx, p), 0);
	cr_assert_eq(alert__parse("heap>1K", &ev.alert, err, sizeof(err)), 0);
	cr_assert_eq(jsonl__alert(j, &ev), 0);
	n = read_lines(lines, 4);
	cr_assert_eq(n, 2, "%d lines before close", n);
	cr_assert(!strncmp(lines[0], "{\"type\":\"sample\",", 17), "%s", lines[0]);
	cr_assert(strstr(lines[0], "\"pid\":31") && strstr(lines[0], "\"heap\":100"), "%s", lines[0]);
	cr_assert(strstr(lines[0], "\"stacks\":[{\"outstanding_bytes\":100,"), "%s", lines[0]);
	cr_assert(!strncmp(lines[1], "{\"type\":\"alert\",", 16), "%s", lines[1]);
	cr_assert(strstr(lines[1], "\"comm\":\"x\\\"y\"") && strstr(lines[1], "\"alert\":\"heap>1K\""),
		  "%s", lines[1]);
	cr_assert_eq(lines[1][strlen(lines[1]) - 1], '\n');
	jsonl__close(j);
	metrics__free(mt);
	model__free(m);
}

Test(jsonl, open_appends_and_reports_errno_for_a_bad_path, .init = make_path, .fini = remove_path)
{
	static char lines[4][4096];
	char err[256];
	struct jsonl *j;
	FILE *f = fopen(path, "w");

	fputs("{\"type\":\"earlier\"}\n", f);
	fclose(f);
	j = jsonl__open(path, err, sizeof(err));
	cr_assert_not_null(j, "%s", err);
	jsonl__close(j);
	cr_assert_eq(read_lines(lines, 4), 1, "opening must not truncate");
	cr_assert_null(jsonl__open("/nonexistent-dir/x.jsonl", err, sizeof(err)));
	cr_assert_eq(errno, ENOENT);
	cr_assert(strstr(err, "/nonexistent-dir/x.jsonl"), "%s", err);
	jsonl__close(NULL);
}

/* Every line kind, from both fixture sessions (report_fixture.h says how to regenerate). */
Test(jsonl, lines_of_the_fixture_sessions_match_their_golden_file, .init = make_path,
     .fini = remove_path)
{
	char err[256], *text;
	struct fixture f;
	struct report_ctx ctx;
	struct jsonl *j = jsonl__open(path, err, sizeof(err));
	size_t i, len;

	cr_assert_not_null(j, "%s", err);
	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	for (i = 0; i < f.m->proc_cnt; i++)
		cr_assert_eq(jsonl__proc_sample(j, &ctx, f.m->procs[i]), 0);
	for (i = 0; i < f.alert_cnt; i++)
		cr_assert_eq(jsonl__alert(j, &f.alerts[i]), 0);
	for (i = 0; i < f.m->oom_cnt; i++) {
		ctx.now_ms = f.m->ooms[i].ms;
		cr_assert_eq(jsonl__oom_kill(j, &ctx, &f.m->ooms[i]), 0);
	}
	fixture__free(&f);
	fixture__sampled(&f);
	fixture__ctx(&f, &ctx);
	for (i = 0; i < f.m->proc_cnt; i++)
		cr_assert_eq(jsonl__proc_sample(j, &ctx, f.m->procs[i]), 0);
	fixture__free(&f);
	jsonl__close(j);
	text = fx_read_file(path, &len);
	cr_assert_not_null(text);
	golden__check("lines.jsonl", text);
	free(text);
}
