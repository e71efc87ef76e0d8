// SPDX-License-Identifier: GPL-2.0
/* The JSON report against golden files (report_fixture.h says how to regenerate them). */
#include "report_fixture.h"
#include "output/report_json.h"

/* The document of the session build makes, as the session writes it at the end. */
static void check_document(void (*build)(struct fixture *f), const char *golden)
{
	struct fixture f;
	struct report_ctx ctx;

	build(&f);
	fixture__ctx(&f, &ctx);
	golden__check_writer(golden, report_json__document, &ctx);
	fixture__free(&f);
}

Test(report_json, report_of_a_traced_cgroup_matches_its_golden_file)
{
	check_document(fixture__exact, "report_exact.json");
}

Test(report_json, report_of_a_sampled_command_matches_its_golden_file)
{
	check_document(fixture__sampled, "report_sampled.json");
}
