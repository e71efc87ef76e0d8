// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include "procfs/cgroup_mem.h"

/* This machine's layout: memory controller on v1, cgroup2 without it. */
static const char mounts_hybrid[] =
	"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
	"tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\n"
	"cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
	"cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0\n"
	"cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
	"cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0\n"
	"cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";

static const char mounts_v2[] =
	"sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
	"cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n";

static const char proc_cgroup_hybrid[] =
	"9:name=systemd:/\n"
	"4:memory:/process_api/372789f1a41c08b7a67f22535f349013\n"
	"3:cpuset:/\n"
	"0::/\n";

Test(cgroup_mem, hybrid_mounts_give_the_v1_memory_and_cgroup2_mount_points)
{
	struct cgroup_mounts m;

	cgroup_mem__parse_mounts(mounts_hybrid, &m);
	cr_assert_str_eq(m.v1_memory, "/sys/fs/cgroup/memory");
	cr_assert_str_eq(m.v2, "/sys/fs/cgroup/unified");
}

Test(cgroup_mem, memory_option_is_matched_whole_not_as_a_substring)
{
	struct cgroup_mounts m;

	cgroup_mem__parse_mounts("cgroup /x cgroup rw,nomemory_here 0 0\n", &m);
	cr_assert_str_eq(m.v1_memory, "");
}

Test(cgroup_mem, pure_v2_host_has_no_v1_memory_mount)
{
	struct cgroup_mounts m;

	cgroup_mem__parse_mounts(mounts_v2, &m);
	cr_assert_str_eq(m.v2, "/sys/fs/cgroup");
	cr_assert_str_eq(m.v1_memory, "");
}

Test(cgroup_mem, proc_cgroup_gives_the_v1_memory_path_and_the_v2_path)
{
	struct cgroup_paths p;

	cgroup_mem__parse_proc_cgroup(proc_cgroup_hybrid, &p);
	cr_assert_str_eq(p.v1_memory, "/process_api/372789f1a41c08b7a67f22535f349013");
	cr_assert_str_eq(p.v2, "/");
}

Test(cgroup_mem, v1_memory_listed_with_other_controllers_is_found)
{
	struct cgroup_paths p;

	cgroup_mem__parse_proc_cgroup("5:cpu,memory:/grp\n0::/a/b\n", &p);
	cr_assert_str_eq(p.v1_memory, "/grp");
	cr_assert_str_eq(p.v2, "/a/b");
}

Test(cgroup_mem, limits_are_numbers_or_max)
{
	uint64_t v;

	cr_assert_eq(cgroup_mem__parse_limit("33554432\n", &v), 0);
	cr_assert_eq(v, 33554432);
	cr_assert_eq(cgroup_mem__parse_limit("max\n", &v), 0);
	cr_assert_eq(v, CGROUP_NO_LIMIT);
	cr_assert_eq(cgroup_mem__parse_limit("lots\n", &v), -EINVAL);
	cr_assert_eq(cgroup_mem__parse_limit("12abc", &v), -EINVAL);
}
