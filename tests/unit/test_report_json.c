// SPDX-License-Identifier: GPL-2.0
/* The JSON report against golden files (report_fixture.h says how to regenerate them). */
#include "report_fixture.h"
#include "output/report_json.h"

Test(report_json, report_of_a_traced_cgroup_matches_its_golden_file)
{
	struct fixture f;
	struct fx_buf b;
	struct json_report_info info = {
		.kernel = "6.1.0-test", .started_at = FX_STARTED, .duration_s = 10,
		.cgroup = "/workload.slice", .follow = false, .attached = 3, .attach_failed = 1,
		.fork_attach_cnt = 1, .fork_attach_max_ms = 2.5, .fork_attach_median_ms = 2.5,
		.interval_s = 5, .duration_opt_s = 0, .top = 2, .stack_depth = 127, .frames = 2,
		.mappings = "syscalls", .mappings_followed = true, .min_age_s = 1.5,
		.now_ms = FX_NOW_MS, .lost = { 1, 2, 3, 4, 5, 6 }, .malformed = 0,
		.kernel_features = 0xb, .kernel_feature_names = fx_feature_names,
		.kernel_feature_cnt = 4, .sample_bytes = 0, .return_probe = "session",
		.resolve = fixture_resolve, .mode = "standard", .window_s = 60,
		.on_alert = "/usr/local/bin/notify", .alerts_not_kept = 1, .on_alert_skipped = 2,
		.files_skipped = 3,
	};

	fixture__exact(&f);
	info.alert_defs = f.alert_defs;
	info.alert_def_cnt = f.alert_def_cnt;
	info.metrics = f.mt;
	info.alerts = f.alerts;
	info.alert_cnt = f.alert_cnt;
	cr_assert_eq(report_json__write(fx_buf_open(&b), f.m, &info), 0);
	golden__check("report_exact.json", fx_buf_text(&b));
	free(b.text);
	fixture__free(&f);
}

Test(report_json, report_of_a_sampled_command_matches_its_golden_file)
{
	static char *const command[] = { "./app", "--flag", "x\"y" };
	struct fixture f;
	struct fx_buf b;
	struct json_report_info info = {
		.kernel = "6.1.0-test", .started_at = FX_STARTED, .duration_s = 5,
		.command = command, .command_argc = 3, .attached = 2,
		.interval_s = 10, .duration_opt_s = 30, .top = 10, .stack_depth = 64,
		.mappings = "off", .now_ms = 5000, .kernel_feature_names = fx_feature_names,
		.kernel_feature_cnt = 4, .sample_bytes = 65536, .resolve = fixture_resolve,
		.mode = "production", .window_s = 300,
	};

	fixture__sampled(&f);
	cr_assert_eq(report_json__write(fx_buf_open(&b), f.m, &info), 0);
	golden__check("report_sampled.json", fx_buf_text(&b));
	free(b.text);
	fixture__free(&f);
}
