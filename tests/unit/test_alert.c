// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "analysis/alert.h"
#include "analysis/pressure.h"

static char err[256];

static struct alert parse_ok(const char *text)
{
	struct alert a;
	int ret = alert__parse(text, &a, err, sizeof(err));

	cr_assert_eq(ret, 0, "'%s' refused: %s", text, err);
	return a;
}

static void parse_bad(const char *text, const char *expect)
{
	struct alert a;

	err[0] = '\0';
	cr_assert_neq(alert__parse(text, &a, err, sizeof(err)), 0, "'%s' accepted", text);
	cr_assert(strstr(err, expect), "'%s': message '%s' lacks '%s'", text, err, expect);
	cr_assert_null(strchr(err, '\n'), "message is not one line: %s", err);
}

Test(alert, control_bytes_of_the_expression_are_escaped_in_the_message)
{
	parse_bad("rss>1G\nB", "'G\\x0aB'");
	parse_bad("rss>\x1b[2J", "found '\\x1b[2J'");
}

Test(alert, rss_greater_than_1g_is_in_bytes_of_1024_cubed)
{
	struct alert a = parse_ok("rss>1G");

	cr_assert_eq(a.metric, METRIC_RSS);
	cr_assert_eq(a.op, ALERT_GT);
	cr_assert_eq(a.threshold, 1073741824.0);
	cr_assert_str_eq(a.expr, "rss>1G");
}

Test(alert, heap_growth_in_mb_per_minute_becomes_bytes_per_second)
{
	struct alert a = parse_ok("heap_growth>50MB/min");

	cr_assert_eq(a.metric, METRIC_HEAP_GROWTH);
	cr_assert_float_eq(a.threshold, 50e6 / 60, 1e-6);
	cr_assert_float_eq(parse_ok("heap_growth >= 1 KiB/s").threshold, 1024, 1e-9);
	cr_assert_float_eq(parse_ok("heap_growth>2MiB/h").threshold, 2 * 1048576.0 / 3600, 1e-9);
	cr_assert_eq(parse_ok("heap_growth>100").threshold, 100);
	cr_assert_eq(parse_ok("heap_growth<-1K/s").threshold, -1024);
}

Test(alert, size_units_binary_and_decimal_any_case)
{
	cr_assert_eq(parse_ok("heap>=512KiB").threshold, 512 * 1024.0);
	cr_assert_eq(parse_ok("heap>=512k").threshold, 512 * 1024.0);
	cr_assert_eq(parse_ok("heap>=512KB").threshold, 512000);
	cr_assert_eq(parse_ok("mapped>1.5gib").threshold, 1.5 * 1073741824.0);
	cr_assert_eq(parse_ok("heap>100B").threshold, 100);
	cr_assert_eq(parse_ok("heap>100").threshold, 100);
	cr_assert_eq(parse_ok("rss>2T").threshold, 2 * 1099511627776.0);
}

Test(alert, pressure_is_compared_with_a_level)
{
	struct alert a = parse_ok("pressure>=high");

	cr_assert_eq(a.metric, METRIC_PRESSURE);
	cr_assert_eq(a.op, ALERT_GE);
	cr_assert_eq(a.threshold, PRESSURE_HIGH);
	cr_assert_eq(parse_ok("pressure == Critical").threshold, PRESSURE_CRITICAL);
}

Test(alert, leak_score_oom_faults_and_percentages)
{
	struct alert a = parse_ok("leak_score>0.8");

	cr_assert_eq(a.metric, METRIC_LEAK_SCORE);
	cr_assert_float_eq(a.threshold, 0.8, 1e-12);
	a = parse_ok("oom");
	cr_assert_eq(a.metric, METRIC_OOM);
	cr_assert_eq(a.op, ALERT_GT);
	cr_assert_eq(a.threshold, 0);
	a = parse_ok("major_faults/s>100");
	cr_assert_eq(a.metric, METRIC_MAJOR_FAULTS);
	cr_assert_eq(a.threshold, 100);
	cr_assert_float_eq(parse_ok("minor_faults>6000/min").threshold, 100, 1e-9);
	cr_assert_eq(parse_ok("psi_some>=10%").threshold, 10);
	cr_assert_eq(parse_ok("reclaim_stall>50ms/s").threshold, 50);
	cr_assert_eq(parse_ok("leaks!=0").op, ALERT_NE);
}

Test(alert, unknown_metric_names_the_known_ones)
{
	parse_bad("rsss>1G", "unknown metric 'rsss'");
	parse_bad("rsss>1G", "heap_growth");
	parse_bad(">1G", "expected a metric name");
	parse_bad("", "expected a metric name");
}

Test(alert, malformed_units)
{
	parse_bad("rss>1Q", "unknown size unit 'Q'");
	parse_bad("rss>1G extra", "unknown size unit 'G extra'");
	parse_bad("heap_growth>50MB", "is a rate");
	parse_bad("heap_growth>50MB/fortnight", "unknown time unit 'fortnight'");
	parse_bad("heap_growth>50XB/min", "unknown size unit 'XB'");
	parse_bad("leak_score>0.5MB", "takes a plain number");
	parse_bad("major_faults>10/day", "unknown rate unit '/day'");
	parse_bad("psi_full>5GB", "for a percentage");
}

Test(alert, malformed_comparisons_and_numbers)
{
	parse_bad("rss", "needs a comparison");
	parse_bad("rss=1G", "use ==");
	parse_bad("rss~1G", "expected a comparison");
	parse_bad("rss>", "expected a number");
	parse_bad("rss>G", "expected a number");
	parse_bad("rss>1.2.3G", "malformed number");
	parse_bad("rss>0x10", "unknown size unit 'x10'");
	parse_bad("rss>inf", "expected a number");
	parse_bad("pressure>=severe", "unknown pressure level 'severe'");
	parse_bad("pressure>=3", "compared with a level");
}

Test(alert, out_of_range_thresholds)
{
	parse_bad("leak_score>1.5", "from 0 to 1");
	parse_bad("psi_some>200", "from 0 to 100");
	parse_bad("oom>0.5", "whole number");
	parse_bad("rss>-1G", "never negative");
	parse_bad("rss>1000000000000000000000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000", "longer than");
}

static int fired_cnt;
static double fired_value;

static void on_fire(void *ctx, pid_t pid, const struct alert *a, double v)
{
	(void)ctx;
	(void)pid;
	(void)a;
	fired_cnt++;
	fired_value = v;
}

static int eval_one(struct alert_set *set, pid_t pid, enum metric_id id, double v)
{
	struct metric_values mv;

	metric__clear(&mv);
	mv.v[id] = v;
	return alert_set__eval(set, pid, &mv, on_fire, NULL);
}

Test(alert, fires_once_per_crossing_and_again_only_after_clearing)
{
	struct alert a = parse_ok("heap>1K");
	struct alert_set *set = alert_set__new(&a, 1);
	const double series[] = { 0, 2048, 4096, 8192, 100, 5000, 6000, NAN, 7000, 0 };
	const int want[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0 };
	size_t i;

	fired_cnt = 0;
	for (i = 0; i < sizeof(series) / sizeof(series[0]); i++)
		cr_assert_eq(eval_one(set, 42, METRIC_HEAP, series[i]), want[i], "sample %zu", i);
	cr_assert_eq(fired_cnt, 2);
	cr_assert_eq(fired_value, 5000);
	alert_set__free(set);
}

Test(alert, an_unknown_value_neither_fires_nor_clears)
{
	struct alert a = parse_ok("rss<1G");
	struct alert_set *set = alert_set__new(&a, 1);

	cr_assert_eq(eval_one(set, 1, METRIC_RSS, NAN), 0);
	cr_assert_eq(eval_one(set, 1, METRIC_RSS, 10), 1);
	cr_assert_eq(eval_one(set, 1, METRIC_RSS, NAN), 0);
	cr_assert_eq(eval_one(set, 1, METRIC_RSS, 10), 0);
	alert_set__free(set);
}

Test(alert, each_process_has_its_own_state)
{
	struct alert a = parse_ok("oom");
	struct alert_set *set = alert_set__new(&a, 1);

	cr_assert_eq(eval_one(set, 1, METRIC_OOM, 1), 1);
	cr_assert_eq(eval_one(set, 2, METRIC_OOM, 1), 1);
	cr_assert_eq(eval_one(set, 1, METRIC_OOM, 2), 0);
	cr_assert_eq(eval_one(set, 1, METRIC_OOM, 0), 0);
	cr_assert_eq(eval_one(set, 1, METRIC_OOM, 1), 1);
	alert_set__free(set);
}

Test(alert, several_alerts_fire_independently)
{
	struct alert a[2] = { parse_ok("heap>10"), parse_ok("leak_score>0.8") };
	struct alert_set *set = alert_set__new(a, 2);
	struct metric_values mv;

	metric__clear(&mv);
	mv.v[METRIC_HEAP] = 100;
	mv.v[METRIC_LEAK_SCORE] = 0.5;
	cr_assert_eq(alert_set__eval(set, 1, &mv, NULL, NULL), 1);
	mv.v[METRIC_LEAK_SCORE] = 0.9;
	cr_assert_eq(alert_set__eval(set, 1, &mv, NULL, NULL), 1);
	cr_assert_eq(alert_set__eval(set, 1, &mv, NULL, NULL), 0);
	alert_set__free(set);
}

Test(alert, forgotten_state_is_gone_and_other_processes_keep_theirs)
{
	struct alert a = parse_ok("heap>10");
	struct alert_set *set = alert_set__new(&a, 1);

	cr_assert_eq(eval_one(set, 42, METRIC_HEAP, 100), 1);
	cr_assert_eq(eval_one(set, 43, METRIC_HEAP, 100), 1);
	alert_set__forget(set, 42);
	alert_set__forget(set, 7);	/* none: nothing happens */
	cr_assert_eq(eval_one(set, 43, METRIC_HEAP, 100), 0, "43 was firing already");
	cr_assert_eq(eval_one(set, 42, METRIC_HEAP, 100), 1, "42 starts afresh");
	alert_set__free(set);
}

Test(alert, more_than_alert_max_alerts_are_refused)
{
	struct alert a[ALERT_MAX + 1];

	memset(a, 0, sizeof(a));
	cr_assert_null(alert_set__new(a, ALERT_MAX + 1));
	alert_set__free(NULL);
}

Test(alert, rekeyed_state_stays_with_the_old_process_and_the_pid_starts_afresh)
{
	struct alert a = parse_ok("heap>10");
	struct alert_set *set = alert_set__new(&a, 1);

	cr_assert_eq(eval_one(set, 42, METRIC_HEAP, 100), 1);
	cr_assert_eq(eval_one(set, 42, METRIC_HEAP, 100), 0, "still firing: no new event");
	alert_set__rekey(set, 42, -1);
	cr_assert_eq(eval_one(set, -1, METRIC_HEAP, 100), 0, "the old process was firing already");
	cr_assert_eq(eval_one(set, 42, METRIC_HEAP, 100), 1, "a new process by that PID fires anew");
	alert_set__free(set);
}
