// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "model/model.h"
#include "procfs/proc_info.h"
#include "symbolize/symbolizer.h"
#include "target/targets.h"

Test(targets, ns_pid_is_the_innermost_of_nested_namespaces)
{
	cr_assert_eq(proc_info__parse_ns_pid("Name:\tx\nPid:\t4242\nNSpid:\t4242\t17\t1\nNSgid:\t1\n"),
		     1);
	cr_assert_eq(proc_info__parse_ns_pid("\nNSpid:\t900\t7\n"), 7);
}

Test(targets, ns_pid_is_0_in_the_host_namespace)
{
	cr_assert_eq(proc_info__parse_ns_pid("Name:\tx\nNSpid:\t4242\nNSgid:\t1\n"), 0);
}

Test(targets, stat_cut_after_the_comm_has_no_fields)
{
	/* exactly the text's bytes: a read past its NUL is caught under ASan */
	static const char text[] = "42 (sleep)";
	char *stat = malloc(sizeof(text));

	cr_assert_not_null(stat);
	memcpy(stat, text, sizeof(text));
	cr_assert_eq(proc_info__parse_start_ticks(stat), 0);
	cr_assert_not(proc_info__parse_exiting(stat));
	free(stat);
}

Test(targets, flags_are_field_9_even_with_spaces_and_parens_in_comm)
{
	unsigned long long flags = 0;

	cr_assert(proc_info__parse_flags("4242 (a) b (c)) S 1 4242 4242 0 -1 4194564 96", &flags));
	cr_assert_eq(flags, 4194564);
	cr_assert(proc_info__parse_exiting("4242 (a) b (c)) S 1 4242 4242 0 -1 4194564 96"));
	cr_assert(proc_info__parse_flags("2 (kthreadd) S 0 0 0 0 -1 2129984 0", &flags));
	cr_assert_eq(flags & 0x00200000, 0x00200000, "PF_KTHREAD");
	cr_assert_not(proc_info__parse_flags("4242 (x) S 1 4242 4242 0", &flags));
	cr_assert_not(proc_info__parse_flags("no parenthesis here", &flags));
}

Test(targets, exe_is_the_link_of_the_process_and_empty_for_none)
{
	char want[PATH_MAX], got[PATH_MAX], small[4];
	ssize_t n = readlink("/proc/self/exe", want, sizeof(want) - 1);

	cr_assert_gt(n, 0);
	want[n] = '\0';
	proc_info__exe(getpid(), got, sizeof(got));
	cr_assert_str_eq(got, want);
	proc_info__exe(getpid(), small, sizeof(small));
	cr_assert_eq(strlen(small), 3, "cut to the buffer: '%s'", small);
	proc_info__exe(INT_MAX, got, sizeof(got));
	cr_assert_str_eq(got, "");
}

Test(targets, read_of_a_missing_process_says_why_in_errno)
{
	char buf[64];

	errno = 0;
	cr_assert_not(proc_info__read(INT_MAX, "stat", buf, sizeof(buf)));
	cr_assert_eq(errno, ENOENT);
	cr_assert(proc_info__read(getpid(), "stat", buf, sizeof(buf)));
}

Test(targets, ns_pid_beyond_pid_t_is_0)
{
	cr_assert_eq(proc_info__parse_ns_pid("\nNSpid:\t900\t4294967297\n"), 0);
	cr_assert_eq(proc_info__parse_ns_pid("\nNSpid:\t900\t99999999999999999999\n"), 0);
}

Test(targets, ns_pid_is_0_without_an_nspid_line)
{
	cr_assert_eq(proc_info__parse_ns_pid("Name:\tx\nPid:\t4242\n"), 0);
	cr_assert_eq(proc_info__parse_ns_pid(""), 0);
}

Test(targets, start_ticks_is_field_22_even_with_spaces_and_parens_in_comm)
{
	const char *stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 96 0 0 0 0 0 0 0 20 0 1 0 "
			   "987654 2252800 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1\n";

	cr_assert_eq(proc_info__parse_start_ticks(stat), 987654);
	cr_assert_eq(proc_info__parse_start_ticks("7 (x) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55"),
		     55);
}

Test(targets, start_ticks_is_0_when_the_text_is_cut_or_not_a_stat_line)
{
	cr_assert_eq(proc_info__parse_start_ticks("4242 (x) S 1 4242"), 0);
	cr_assert_eq(proc_info__parse_start_ticks("no parenthesis here"), 0);
	cr_assert_eq(proc_info__parse_start_ticks(""), 0);
	cr_assert_eq(proc_info__parse_start_ticks("7 (x) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x"), 0);
}

Test(targets, exiting_flag_is_read_from_the_stat_flags_field)
{
	/* flags 0x40400044: PF_EXITING (0x4) set, as while do_exit runs */
	cr_assert(proc_info__parse_exiting("4242 (a) b) R 1 4242 4242 0 -1 1077936196 0 0"));
	cr_assert_not(proc_info__parse_exiting("4242 (x) S 1 4242 4242 0 -1 4194560 0 0"));
	cr_assert_not(proc_info__parse_exiting("4242 (x) S 1 4242"), "cut short");
	cr_assert_not(proc_info__parse_exiting("no parenthesis"));
}

static struct target in_state(enum target_state state, uint64_t start_ticks)
{
	struct target tg = { .pid = 4242, .state = state, .start_ticks = start_ticks };

	return tg;
}

Test(targets, pid_of_an_exited_target_names_a_new_process)
{
	struct target tg = in_state(TARGET_EXITED, 1000);

	cr_assert(targets__reused_by(&tg, 2000));
	cr_assert(targets__reused_by(&tg, 0), "start time unknown: the exited one is still gone");
	tg.start_ticks = 0;
	cr_assert(targets__reused_by(&tg, 2000));
}

Test(targets, exited_target_is_replaced_even_by_a_process_started_in_the_same_tick)
{
	struct target tg = in_state(TARGET_EXITED, 1000);

	cr_assert(targets__reused_by(&tg, 1000), "start times count 10 ms ticks: not proof");
}

Test(targets, attached_target_is_never_taken_for_a_new_process)
{
	struct target tg = in_state(TARGET_ATTACHED, 1000);

	cr_assert_not(targets__reused_by(&tg, 2000));
	cr_assert_not(targets__reused_by(&tg, 0));
}

Test(targets, detached_or_failed_target_is_replaced_only_on_another_start_time)
{
	enum target_state states[] = { TARGET_DETACHED, TARGET_FAILED };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct target tg = in_state(states[i], 1000);

		cr_assert(targets__reused_by(&tg, 2000));
		cr_assert_not(targets__reused_by(&tg, 1000), "it came back into the cgroup");
		cr_assert_not(targets__reused_by(&tg, 0));
		tg.start_ticks = 0;
		cr_assert_not(targets__reused_by(&tg, 2000));
	}
}

Test(targets, retire_of_an_unknown_pid_moves_nothing)
{
	struct model *m = model__new(0);
	struct symbolizer *sym = symbolizer__new();
	struct targets *t = targets__new(NULL, m, sym, false);

	cr_assert_not_null(t);
	cr_assert_eq(targets__retire(t, 4242), 0);
	cr_assert_null(targets__find(t, 4242));
	cr_assert_not(targets__pid_reused(t, 4242));
	targets__free(t);
	symbolizer__free(sym);
	model__free(m);
}

Test(targets, comm_with_a_newline_is_read_whole)
{
	char comm[16];

	cr_assert_eq(prctl(PR_SET_NAME, "leak\nworker"), 0);
	proc_info__comm(getpid(), comm, sizeof(comm));
	cr_expect_str_eq(comm, "leak\nworker");
	cr_assert_eq(prctl(PR_SET_NAME, "fifteen-chars-x"), 0);
	proc_info__comm(getpid(), comm, sizeof(comm));
	cr_expect_str_eq(comm, "fifteen-chars-x");
}
