// SPDX-License-Identifier: GPL-2.0
/* Collapsed stacks against golden files (report_fixture.h says how to regenerate them). */
#include "report_fixture.h"
#include "output/report_folded.h"

Test(report_folded, stacks_of_a_traced_cgroup_match_their_golden_file)
{
	char *text = fixture__render(fixture__exact, report_folded__write);

	golden__check("report_exact.folded", text);
	/* root first, the allocator's caller last, the outstanding bytes at the end */
	cr_assert_not_null(strstr(text, "app (100);libfoo.so.1+0x3000;main;leak_one 11000\n"));
	free(text);
}

Test(report_folded, stacks_of_a_sampled_command_match_their_golden_file)
{
	char *text = fixture__render(fixture__sampled, report_folded__write);

	golden__check("report_sampled.folded", text);
	free(text);
}

Test(report_folded, a_name_cannot_split_a_frame_or_a_line)
{
	struct fixture f;
	struct report_ctx ctx;
	struct fx_buf b;
	const char *text;
	static const uint64_t stack[] = { 0x406000 };

	fixture__sampled(&f);
	fixture__ctx(&f, &ctx);
	/* comm is the process's to choose */
	snprintf(f.m->procs[0]->comm, sizeof(f.m->procs[0]->comm), "a;b\nc 1");
	fx_alloc(f.m, 200, 100, 0x90000, 1 << 20, MV_KIND_MALLOC, stack, 1);
	text = (report_folded__write(fx_buf_open(&b), &ctx), fx_buf_text(&b));
	cr_assert_not_null(strstr(text, "a:b\\x0ac 1 (200);odd\\x09name\\x7f\\xff "), "%s", text);
	free(b.text);
	fixture__free(&f);
}
