// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "targets.h"

Test(targets, ns_pid_is_the_innermost_of_nested_namespaces)
{
	cr_assert_eq(targets__parse_ns_pid("Name:\tx\nPid:\t4242\nNSpid:\t4242\t17\t1\nNSgid:\t1\n"),
		     1);
	cr_assert_eq(targets__parse_ns_pid("\nNSpid:\t900\t7\n"), 7);
}

Test(targets, ns_pid_is_0_in_the_host_namespace)
{
	cr_assert_eq(targets__parse_ns_pid("Name:\tx\nNSpid:\t4242\nNSgid:\t1\n"), 0);
}

Test(targets, ns_pid_is_0_without_an_nspid_line)
{
	cr_assert_eq(targets__parse_ns_pid("Name:\tx\nPid:\t4242\n"), 0);
	cr_assert_eq(targets__parse_ns_pid(""), 0);
}
