// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memvigil/sampling.h"
#include "lib/json_writer.h"
#include "session/options.h"
#include "session/options_table.h"

static char err[256];

static int parse(struct options *o, int argc, char **argv)
{
	return options__parse(argc, argv, o, err, sizeof(err));
}

#define ARGV(...) ((char *[]){ "memvigil", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "memvigil", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) parse(o, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

Test(options, pid_and_defaults)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "123"), 0);
	cr_assert_eq(o.pid, 123);
	cr_assert_eq(o.interval_s, 5);
	cr_assert_eq(o.top, 10);
	cr_assert_eq(o.duration_s, 0);
	cr_assert_null(o.command);
	cr_assert_null(o.json_path);
}

Test(options, command_after_double_dash_keeps_its_own_options)
{
	char *argv[] = { "memvigil", "-i", "0", "--", "ls", "-l", "/tmp", NULL };
	struct options o;

	cr_assert_eq(parse(&o, 7, argv), 0);
	cr_assert_eq(o.command_argc, 3);
	cr_assert_str_eq(o.command[0], "ls");
	cr_assert_str_eq(o.command[1], "-l");
	cr_assert_eq(o.interval_s, 0);
}

Test(options, long_options_are_parsed)
{
	char *argv[] = { "memvigil", "--pid=7", "--duration=2.5", "--top=3", "--min-age=1",
			 "--json=-", "-vv", NULL };
	struct options o;

	cr_assert_eq(parse(&o, 7, argv), 0);
	cr_assert_eq(o.duration_s, 2.5);
	cr_assert_eq(o.top, 3);
	cr_assert_eq(o.min_age_s, 1);
	cr_assert_str_eq(o.json_path, "-");
	cr_assert_eq(o.verbose, 2);
}

Test(options, no_target_is_a_usage_error)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-i", "1"), -EINVAL);
	cr_assert(strstr(err, "no target"), "%s", err);
}

Test(options, follow_without_a_target_is_a_usage_error)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-f"), -EINVAL);
	cr_assert(strstr(err, "--follow"), "%s", err);
}

Test(options, follow_with_a_pid_or_a_command_is_accepted)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-f", "-p", "7"), 0, "%s", err);
	cr_assert(o.follow);
	cr_assert_eq(PARSE(&o, "--follow", "--", "true"), 0, "%s", err);
	cr_assert(o.follow);
}

Test(options, cgroup_is_a_target_of_its_own)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "--cgroup=/sys/fs/cgroup/unified/x"), 0, "%s", err);
	cr_assert_str_eq(o.cgroup, "/sys/fs/cgroup/unified/x");
	cr_assert_eq(PARSE(&o, "--cgroup", "/c", "-f"), 0, "%s", err);
}

Test(options, a_cgroup_trace_gets_the_same_checks_of_outputs_and_window)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "--cgroup=/c", "-j", "-", "--jsonl", "-"), -EINVAL);
	cr_assert(strstr(err, "stdout"), "%s", err);
	cr_assert_eq(PARSE(&o, "--cgroup=/c", "-i", "10", "--window", "5"), -EINVAL);
	cr_assert(strstr(err, "--window=5"), "%s", err);
}

Test(options, cgroup_with_a_pid_or_a_command_is_a_usage_error)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "--cgroup=/c", "-p", "1"), -EINVAL);
	cr_assert(strstr(err, "--cgroup"), "%s", err);
	cr_assert_eq(PARSE(&o, "--cgroup=/c", "--", "true"), -EINVAL);
	cr_assert(strstr(err, "--cgroup"), "%s", err);
}

Test(options, pid_and_command_together_are_rejected)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--", "true"), -EINVAL);
	cr_assert(strstr(err, "both -p and a command"), "%s", err);
}

Test(options, malformed_numbers_are_rejected_with_the_value_named)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "-d", "-1"), -EINVAL);
	cr_assert(strstr(err, "duration '-1'"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "-d", "abc"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "-d", "0"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "-i", "x"), -EINVAL);
	cr_assert(strstr(err, "interval 'x'"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "-i", "nan"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "abc"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "0"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "-5"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "99999999999"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "-n", "0"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--min-age=-3"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--json="), -EINVAL);
}

Test(options, seconds_accept_fractions_and_zero)
{
	double v;

	cr_assert_eq(options__parse_seconds("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(options__parse_seconds("0.25", &v), 0);
	cr_assert_eq(v, 0.25);
	cr_assert_eq(options__parse_seconds("", &v), -EINVAL);
	cr_assert_eq(options__parse_seconds("1s", &v), -EINVAL);
	cr_assert_eq(options__parse_seconds("inf", &v), -EINVAL);
}

Test(options, sample_bytes_defaults_to_exact_and_accepts_binary_units)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1"), 0);
	cr_assert_eq(o.sample_bytes, 0);
	cr_assert_eq(o.sample_max_live, MV_SAMPLE_MAX_LIVE_DEFAULT);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-bytes=65536"), 0);
	cr_assert_eq(o.sample_bytes, 65536);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-bytes=512K"), 0);
	cr_assert_eq(o.sample_bytes, 512 << 10);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-bytes", "1MiB"), 0);
	cr_assert_eq(o.sample_bytes, 1 << 20);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-bytes=1g"), 0);
	cr_assert_eq(o.sample_bytes, 1 << 30);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-bytes=0"), 0);
	cr_assert_eq(o.sample_bytes, 0);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-max-live=1000"), 0);
	cr_assert_eq(o.sample_max_live, 1000);
}

Test(options, malformed_sample_bytes_are_rejected_with_the_value_named)
{
	static const char *const bad[] = { "abc", "-1", "-64K", "", "1.5M", "64KB", "64 K",
					   "2G", "1T", "0x100", "99999999999999999999999" };
	char arg[64];
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(arg, sizeof(arg), "--sample-bytes=%s", bad[i]);
		cr_assert_eq(PARSE(&o, "-p", "1", arg), -EINVAL, "%s accepted", arg);
		cr_assert(strstr(err, "--sample-bytes"), "%s", err);
	}
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-max-live=0"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-max-live=x"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--sample-max-live=99999999"), -EINVAL);
}

Test(options, byte_counts_parse_units_and_report_overflow)
{
	uint64_t v;

	cr_assert_eq(options__parse_bytes("4k", 1 << 20, &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(options__parse_bytes("2M", 1 << 20, &v), -ERANGE);
	cr_assert_eq(options__parse_bytes("1M", 1 << 20, &v), 0);
	cr_assert_eq(options__parse_bytes("Kib", 1 << 20, &v), -EINVAL);
	cr_assert_eq(options__parse_bytes("3x", 1 << 20, &v), -EINVAL);
}

Test(options, allocator_names_an_object_and_must_not_be_empty)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "--allocator=jemalloc", "-p", "1"), 0);
	cr_assert_str_eq(o.allocator, "jemalloc");
	cr_assert_eq(PARSE(&o, "-p", "1"), 0);
	cr_assert_null(o.allocator);
	cr_assert_eq(PARSE(&o, "--allocator=", "-p", "1"), -EINVAL);
	cr_assert(strstr(err, "--allocator"), "%s", err);
}

static void clear_env(void)
{
	unsetenv("MEMVIGIL_MODE");
	unsetenv("MEMVIGIL_WINDOW");
	unsetenv("MEMVIGIL_INTERVAL");
	unsetenv("MEMVIGIL_ALERT");
	unsetenv("MEMVIGIL_PID");
	unsetenv("MEMVIGIL_ENTRY_PROBES");
	unsetenv("MEMVIGIL_VERBOSE");
	unsetenv("MEMVIGIL_STACK_DEPTH");
	unsetenv("MEMVIGIL_FRAMES");
	unsetenv("MEMVIGIL_NO_SYSCALL_HOOKS");
}

Test(options, metrics_defaults_are_the_standard_preset, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1"), 0);
	cr_assert_eq(o.mode, MV_MODE_STANDARD);
	cr_assert_eq(o.window_s, 60);
	cr_assert_eq(o.alert_cnt, 0);
	cr_assert_null(o.on_alert);
	cr_assert_null(o.jsonl_path);
}

Test(options, alerts_are_repeatable_and_parsed, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--alert=rss>1G", "--alert", "oom",
			   "--on-alert=/bin/true x", "--jsonl=-"), 0, "%s", err);
	cr_assert_eq(o.alert_cnt, 2);
	cr_assert_eq(o.alerts[0].metric, METRIC_RSS);
	cr_assert_eq(o.alerts[1].metric, METRIC_OOM);
	cr_assert_str_eq(o.on_alert, "/bin/true x");
	cr_assert_str_eq(o.jsonl_path, "-");
}

Test(options, malformed_alert_is_a_usage_error_naming_the_expression, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--alert=rss>1Q"), -EINVAL);
	cr_assert(strstr(err, "--alert 'rss>1Q'") && strstr(err, "unknown size unit"), "%s", err);
}

Test(options, window_shorter_than_the_interval_is_a_usage_error, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "-i", "10", "--window=5"), -EINVAL);
	cr_assert(strstr(err, "shorter than --interval"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "-i", "0", "--window=5"), 0, "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "--window=0.5"), -EINVAL);
}

Test(options, unknown_mode_is_a_usage_error, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=fast"), -EINVAL);
	cr_assert(strstr(err, "production, standard or debug"), "%s", err);
}

Test(options, mode_presets_fill_what_is_not_given, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=production"), 0, "%s", err);
	cr_assert_eq(o.interval_s, 10);
	cr_assert_eq(o.window_s, 300);
	cr_assert_eq(o.top, 5);
	cr_assert_eq(o.sample_bytes, 512 << 10, "production samples the heap");
	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=production", "--sample-bytes=0"), 0, "%s", err);
	cr_assert_eq(o.sample_bytes, 0, "an explicit --sample-bytes wins");
	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=debug", "-n", "7"), 0, "%s", err);
	cr_assert_eq(o.interval_s, 1);
	cr_assert_eq(o.top, 7);
	cr_assert_eq(o.verbose, 1);
}

Test(options, stack_depth_and_frames_follow_the_mode_unless_given, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1"), 0, "%s", err);
	cr_assert_eq(o.stack_depth, 64);
	cr_assert_eq(o.frames, 12);
	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=debug"), 0, "%s", err);
	cr_assert_eq(o.stack_depth, 128, "debug records the deepest stacks");
	cr_assert_eq(o.frames, 0, "debug prints every frame");
	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=debug", "--stack-depth=8", "--frames=3"), 0,
		     "%s", err);
	cr_assert_eq(o.stack_depth, 8);
	cr_assert_eq(o.frames, 3);
	setenv("MEMVIGIL_STACK_DEPTH", "32", 1);
	cr_assert_eq(PARSE(&o, "-p", "1"), 0, "%s", err);
	cr_assert_eq(o.stack_depth, 32);
}

Test(options, mappings_follow_the_wrappers_unless_told_otherwise, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1"), 0, "%s", err);
	cr_assert_eq(o.mappings, MV_MAPPINGS_WRAPPERS, "the default costs other processes nothing");
	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=production"), 0, "%s", err);
	cr_assert_eq(o.mappings, MV_MAPPINGS_WRAPPERS);
	cr_assert_eq(PARSE(&o, "-p", "1", "--mappings=syscalls"), 0, "%s", err);
	cr_assert_eq(o.mappings, MV_MAPPINGS_SYSCALLS);
	cr_assert_str_eq(options__mappings_name(o.mappings), "syscalls");
	cr_assert_eq(PARSE(&o, "-p", "1", "--mappings", "off"), 0, "%s", err);
	cr_assert_eq(o.mappings, MV_MAPPINGS_OFF);
	cr_assert_eq(PARSE(&o, "-p", "1", "--mappings=raw"), -EINVAL);
	cr_assert(strstr(err, "--mappings") && strstr(err, "wrappers, syscalls or off"), "%s", err);
	setenv("MEMVIGIL_MAPPINGS", "off", 1);
	cr_assert_eq(PARSE(&o, "-p", "1"), 0, "%s", err);
	cr_assert_eq(o.mappings, MV_MAPPINGS_OFF);
	cr_assert_eq(PARSE(&o, "-p", "1", "--mappings=wrappers"), 0, "%s", err);
	cr_assert_eq(o.mappings, MV_MAPPINGS_WRAPPERS, "the command line wins over the environment");
	setenv("MEMVIGIL_MAPPINGS", "maybe", 1);
	cr_assert_eq(PARSE(&o, "-p", "1"), -EINVAL);
	cr_assert(strstr(err, "MEMVIGIL_MAPPINGS"), "%s", err);
}

Test(options, stack_depth_and_frames_out_of_range_are_usage_errors, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--stack-depth=0"), -EINVAL);
	cr_assert(strstr(err, "--stack-depth '0'") && strstr(err, "1 to 128"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "--stack-depth=129"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--stack-depth=-1"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--frames=129"), -EINVAL);
	cr_assert(strstr(err, "--frames '129'"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "--frames=two"), -EINVAL);
	setenv("MEMVIGIL_FRAMES", "x", 1);
	cr_assert_eq(PARSE(&o, "-p", "1"), -EINVAL);
	cr_assert(strstr(err, "MEMVIGIL_FRAMES"), "%s", err);
}

Test(options, environment_mirrors_long_options_and_the_command_line_wins, .init = clear_env)
{
	struct options o;

	setenv("MEMVIGIL_MODE", "production", 1);
	setenv("MEMVIGIL_WINDOW", "120", 1);
	setenv("MEMVIGIL_INTERVAL", "7", 1);
	setenv("MEMVIGIL_ALERT", "heap>1G;oom", 1);
	setenv("MEMVIGIL_ENTRY_PROBES", "1", 1);
	cr_assert_eq(PARSE(&o, "-p", "1", "-i", "2"), 0, "%s", err);
	cr_assert_eq(o.mode, MV_MODE_PRODUCTION);
	cr_assert_eq(o.window_s, 120);
	cr_assert_eq(o.interval_s, 2);
	cr_assert_eq(o.top, 5);
	cr_assert_eq(o.alert_cnt, 2);
	cr_assert(o.entry_probes);
	cr_assert_eq(PARSE(&o, "-p", "1", "--alert=rss>1G"), 0, "%s", err);
	cr_assert_eq(o.alert_cnt, 1, "command-line alerts replace the environment's");
	clear_env();
}

Test(options, bad_environment_value_names_the_variable, .init = clear_env)
{
	struct options o;

	setenv("MEMVIGIL_WINDOW", "abc", 1);
	cr_assert_eq(PARSE(&o, "-p", "1"), -EINVAL);
	cr_assert(strstr(err, "MEMVIGIL_WINDOW"), "%s", err);
	clear_env();
}

Test(options, environment_pid_yields_to_a_command_line_command, .init = clear_env)
{
	char *argv[] = { "memvigil", "--", "ls", NULL };
	struct options o;

	setenv("MEMVIGIL_PID", "123", 1);
	cr_assert_eq(parse(&o, 3, argv), 0, "%s", err);
	cr_assert_eq(o.pid, 0);
	cr_assert_eq(PARSE(&o, "-i", "1"), 0, "%s", err);
	cr_assert_eq(o.pid, 123);
	clear_env();
}

Test(options, json_and_jsonl_cannot_both_take_stdout, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--json=-", "--jsonl=-"), -EINVAL);
}

Test(options, pprof_and_folded_take_a_file_or_stdout, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--pprof=heap.pb.gz", "--folded", "heap.folded"), 0);
	cr_assert_str_eq(o.pprof_path, "heap.pb.gz");
	cr_assert_str_eq(o.folded_path, "heap.folded");
	cr_assert_eq(PARSE(&o, "-p", "1", "--pprof=-"), 0);
	cr_assert_eq(options__stdout_outputs(&o), 1);
	cr_assert_eq(PARSE(&o, "-p", "1", "--folded=-", "-j", "x.json"), 0);
	cr_assert_eq(PARSE(&o, "-p", "1", "--folded="), -EINVAL);
	cr_assert_str_eq(err, "invalid --folded '': expected a file name");
}

Test(options, at_most_one_output_takes_stdout, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--pprof=-", "--folded=-"), -EINVAL);
	cr_assert_str_eq(err, "only one of -j, --jsonl, --pprof and --folded can write to stdout "
			 "('-'): give the others a file");
	cr_assert_eq(PARSE(&o, "-p", "1", "--folded=-", "-j", "-"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--pprof=-", "--jsonl=-"), -EINVAL);
}

Test(options, pprof_and_folded_need_the_heap_kernel_only_drops, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "-p", "1", "--kernel-only", "--pprof=x"), -EINVAL);
	cr_assert_str_eq(err, "--pprof needs heap stacks, which --kernel-only does not trace: "
			 "drop one of them");
	cr_assert_eq(PARSE(&o, "--cgroup=/sys/fs/cgroup/x", "--kernel-only", "--folded=x"),
		     -EINVAL);
	cr_assert(strstr(err, "--folded needs heap stacks"), "%s", err);
}

Test(options, seconds_options_are_bounded_with_the_range_named, .init = clear_env)
{
	struct options o;

	setenv("MEMVIGIL_WINDOW", "99999999999999999999", 1);
	cr_assert_eq(PARSE(&o, "-p", "1"), -EINVAL);
	cr_assert(strstr(err, "MEMVIGIL_WINDOW") && strstr(err, "from 1 to 2592000 (30 days)"),
		  "%s", err);
	clear_env();
	cr_assert_eq(PARSE(&o, "-p", "1", "--window=2592001"), -EINVAL);
	cr_assert_eq(PARSE(&o, "-p", "1", "--window=2592000"), 0, "%s", err);
	cr_assert_eq(o.window_s, MV_SECONDS_MAX);
	cr_assert_eq(PARSE(&o, "-p", "1", "-d", "1e9"), -EINVAL);
	cr_assert(strstr(err, "duration '1e9'") && strstr(err, "at most 2592000"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "-i", "2592001"), -EINVAL);
	cr_assert(strstr(err, "from 0 to 2592000"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "--min-age=1e20"), -EINVAL);
	cr_assert(strstr(err, "--min-age") && strstr(err, "from 0 to 2592000"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "-d", "2592000", "-i", "2592000", "--window=2592000",
			   "--min-age=2592000"), 0, "%s", err);
}

Test(options, alert_value_separates_expressions_by_semicolons_on_the_command_line_too,
     .init = clear_env)
{
	struct options o;

	/* The example of --help and the man page, both ways. */
	cr_assert_eq(PARSE(&o, "-p", "1", "--alert=rss>1G;oom"), 0, "%s", err);
	cr_assert_eq(o.alert_cnt, 2);
	cr_assert_eq(o.alerts[0].metric, METRIC_RSS);
	cr_assert_eq(o.alerts[1].metric, METRIC_OOM);
	setenv("MEMVIGIL_ALERT", "rss>1G;oom", 1);
	cr_assert_eq(PARSE(&o, "-p", "1"), 0, "%s", err);
	cr_assert_eq(o.alert_cnt, 2);
	clear_env();
	cr_assert_eq(PARSE(&o, "-p", "1", "--alert", "heap>1M; oom;", "--alert", "rss>2G"), 0,
		     "%s", err);
	cr_assert_eq(o.alert_cnt, 3);
	cr_assert_eq(PARSE(&o, "-p", "1", "--alert=;"), -EINVAL);
	cr_assert(strstr(err, "expected an expression"), "%s", err);
	cr_assert_eq(PARSE(&o, "-p", "1", "--alert=heap>1M;rss>1Q"), -EINVAL);
	cr_assert(strstr(err, "--alert 'rss>1Q'"), "%s", err);
}

Test(options, every_row_of_the_table_is_complete)
{
	size_t i;

	cr_assert_leq(options_table_cnt, OPTIONS_MAX);
	for (i = 0; i < options_table_cnt; i++) {
		const struct option_row *r = &options_table[i];
		bool takes_arg = r->kind != OPTION_FLAG && r->kind != OPTION_COUNT;

		cr_assert(r->name && r->help, "row %zu", i);
		cr_assert_eq(r->arg != NULL, takes_arg, "--%s: an argument name iff it takes one",
			     r->name);
		if (r->kind == OPTION_CUSTOM) {
			cr_assert(r->parse && (!r->json || r->echo), "--%s", r->name);
			continue;
		}
		cr_assert(r->what && r->expect, "--%s: its error message", r->name);
		if (r->kind == OPTION_UINT || r->kind == OPTION_COUNT || r->kind == OPTION_NAME)
			cr_assert(r->size == 4 || r->size == 8, "--%s: %zu bytes", r->name, r->size);
		if (r->kind == OPTION_NAME)
			for (unsigned int v = 0; v <= r->max; v++)
				cr_assert_str_neq(r->value_name(v), "?", "--%s %u", r->name, v);
	}
}

/* A valid value for row r that differs from every default. */
static void row_test_value(const struct option_row *r, char *buf, size_t len)
{
	switch (r->kind) {
	case OPTION_FLAG:
		snprintf(buf, len, "1");
		break;
	case OPTION_SECONDS:
		snprintf(buf, len, "%g", r->min + 7);	/* above the default interval */
		break;
	case OPTION_BYTES:
		snprintf(buf, len, "1K");
		break;
	case OPTION_TEXT:
		snprintf(buf, len, "x");
		break;
	case OPTION_NAME:
		snprintf(buf, len, "%s", r->value_name(r->max));
		break;
	default:
		snprintf(buf, len, "%.0f", r->max);
		break;
	}
}

Test(options, every_row_is_read_from_its_environment_variable, .init = clear_env)
{
	struct options base, o;
	char name[64], value[64];
	size_t i, j;

	/* a command, not -p: --preload launches one */
	cr_assert_eq(PARSE(&base, "--", "true"), 0, "%s", err);
	for (i = 0; i < options_table_cnt; i++) {
		const struct option_row *r = &options_table[i];

		if (r->kind == OPTION_CUSTOM || r->target)
			continue;
		j = snprintf(name, sizeof(name), "MEMVIGIL_");
		for (const char *c = r->name; *c; c++)
			name[j++] = *c == '-' ? '_' : *c - 'a' + 'A';
		name[j] = '\0';
		row_test_value(r, value, sizeof(value));
		setenv(name, value, 1);
		cr_assert_eq(PARSE(&o, "--", "true"), 0, "%s=%s: %s", name, value, err);
		unsetenv(name);
		cr_assert_neq(memcmp((char *)&o + r->off, (char *)&base + r->off, r->size), 0,
			      "%s=%s changed nothing", name, value);
	}
}

Test(options, the_json_echo_follows_the_table_and_the_preset, .init = clear_env)
{
	struct json_writer *w;
	struct options o;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(PARSE(&o, "-p", "1", "--mode=production", "--alert=oom", "--unwind=fp"), 0,
		     "%s", err);
	f = open_memstream(&text, &len);
	w = json_writer__new(f, false);
	json_object_begin(w);
	options__echo_json(w, &o);
	json_object_end(w);
	cr_assert_eq(json_writer__finish(w), 0);
	json_writer__free(w);
	fclose(f);
	cr_assert_str_eq(text, "{\"interval_s\":10,\"duration_s\":null,\"top\":5,"
			 "\"stack_depth\":64,\"frames\":12,\"mappings\":\"wrappers\","
			 "\"unwind\":\"fp\",\"unwind_rows\":1048576,\"keep_exited\":256,\"min_age_s\":0,"
			 "\"mode\":\"production\","
			 "\"window_s\":300,\"alerts\":[\"oom\"],\"on_alert\":null}");
	free(text);
}

Test(options, preload_needs_a_command_to_launch, .init = clear_env)
{
	struct options o;

	cr_assert_eq(PARSE(&o, "--preload", "--", "true"), 0, "%s", err);
	cr_assert(o.preload);
	cr_assert_eq(PARSE(&o, "--preload", "-p", "1"), -EINVAL);
	cr_assert(strstr(err, "--preload") && strstr(err, "COMMAND"), "%s", err);
}
