// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include "cgroup.h"

static const char mounts[] =
	"sysfs /sys sysfs rw,nosuid 0 0\n"
	"tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\n"
	"cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
	"cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
	"cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0\n"
	"cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n"
	"cgroup2 /mnt/with\\040space cgroup2 rw 0 0\n";

static const char proc_cgroup[] =
	"9:name=systemd:/user.slice\n"
	"4:memory:/box/web\n"
	"1:cpu:/\n"
	"0::/unified/app\n";

Test(cgroup, v1_memory_path_is_found_under_its_mount)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/memory/box", &cg), 0);
	cr_assert_str_eq(cg.mount, "/sys/fs/cgroup/memory");
	cr_assert_str_eq(cg.rel, "/box");
	cr_assert_not(cg.v2);
}

Test(cgroup, v2_mount_root_is_relative_slash)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/unified", &cg), 0);
	cr_assert(cg.v2);
	cr_assert_str_eq(cg.rel, "/");
}

Test(cgroup, escaped_mount_points_are_unescaped)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/mnt/with space/a", &cg), 0);
	cr_assert_str_eq(cg.rel, "/a");
}

Test(cgroup, path_outside_any_cgroup_mount_is_not_a_cgroup)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/tmp/x", &cg), -ENOENT);
	/* the tmpfs holding the mounts is not a cgroup either */
	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/other", &cg), -ENOENT);
	/* a prefix of a mount name is not that mount */
	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/memoryx", &cg), -ENOENT);
}

Test(cgroup, membership_is_read_from_the_line_of_the_hierarchy)
{
	struct cgroup_root cg;
	char buf[256];

	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/memory/box", &cg), 0);
	cr_assert_eq(cgroup__parse_membership(&cg, proc_cgroup, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/box/web");
	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/unified", &cg), 0);
	cr_assert_eq(cgroup__parse_membership(&cg, proc_cgroup, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/unified/app");
	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/systemd", &cg), 0);
	cr_assert_eq(cgroup__parse_membership(&cg, proc_cgroup, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/user.slice");
}

Test(cgroup, relative_path_is_slash_for_itself_and_null_outside)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/memory/box", &cg), 0);
	cr_assert_str_eq(cgroup__relative(&cg, "/box"), "/");
	cr_assert_str_eq(cgroup__relative(&cg, "/box/web"), "/web");
	cr_assert_null(cgroup__relative(&cg, "/boxer"));
	cr_assert_null(cgroup__relative(&cg, "/"));
	cr_assert_eq(cgroup__find_mount(mounts, "/sys/fs/cgroup/memory", &cg), 0);
	cr_assert_str_eq(cgroup__relative(&cg, "/box/web"), "/box/web");
}
