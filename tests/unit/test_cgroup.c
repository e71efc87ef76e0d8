// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "target/cgroup.h"

/* /proc/self/mountinfo: id parent dev root mount-point options [tags] - type source super-options */
static const char mounts[] =
	"22 28 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
	"31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:12 master:3 - cgroup cgroup rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	"50 28 0:38 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n"
	/* a bind mount of the memory hierarchy's /box, and one of a cgroup2 directory */
	"60 28 0:32 /box /srv/box rw,relatime - cgroup cgroup rw,memory\n"
	"61 28 0:38 /unified/a\\040b /srv/ab rw - cgroup2 cgroup2 rw\n"
	/* seen from another cgroup namespace: its root is outside ours */
	"70 28 0:32 /../other /srv/other rw - cgroup cgroup rw,memory\n"
	/* a dash in a path is not the separator */
	"71 28 0:32 /x-y /srv/x-y rw - cgroup cgroup rw,memory\n";

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

Test(cgroup, dash_at_the_start_of_the_text_is_no_separator)
{
	/* exactly the text's bytes: nothing before the first line to read */
	static const char text[] = "- 1 0:1 / /srv/cg rw - cgroup2 cgroup2 rw\n";
	char *copy = malloc(sizeof(text));
	struct cgroup_root cg;

	cr_assert_not_null(copy);
	memcpy(copy, text, sizeof(text));
	cr_assert_eq(cgroup__find_mount(copy, "/srv/cg/a", &cg), 0);
	cr_assert_str_eq(cg.rel, "/a");
	cr_assert_eq(cgroup__find_mount("- - - - - -\n", "/srv/cg", &cg), -ENOENT);
	free(copy);
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

Test(cgroup, bind_mount_of_a_cgroup_directory_maps_paths_through_its_root)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/srv/box", &cg), 0);
	cr_assert_str_eq(cg.mount, "/srv/box");
	cr_assert_str_eq(cg.root, "/box");
	cr_assert_str_eq(cg.rel, "/box", "the mount point itself is the hierarchy's /box");
	cr_assert_not(cg.v2);
	cr_assert_str_eq(cg.options, "rw,memory");
	cr_assert_str_eq(cgroup__relative(&cg, "/box/web"), "/web");
	cr_assert_null(cgroup__relative(&cg, "/"), "outside the bind-mounted directory");
	cr_assert_eq(cgroup__find_mount(mounts, "/srv/box/web/x", &cg), 0);
	cr_assert_str_eq(cg.rel, "/box/web/x");
}

Test(cgroup, escaped_mount_root_is_unescaped)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/srv/ab/c", &cg), 0);
	cr_assert(cg.v2);
	cr_assert_str_eq(cg.rel, "/unified/a b/c");
}

Test(cgroup, mount_root_outside_our_cgroup_namespace_is_exdev)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/srv/other", &cg), -EXDEV);
	cr_assert_str_eq(cg.root, "/../other");
}

Test(cgroup, dash_in_a_mount_root_is_not_the_separator)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount(mounts, "/srv/x-y/z", &cg), 0);
	cr_assert_str_eq(cg.rel, "/x-y/z");
}

Test(cgroup, line_without_separator_is_skipped)
{
	struct cgroup_root cg;

	cr_assert_eq(cgroup__find_mount("35 31 0:32 / /sys/fs/cgroup/memory rw cgroup rw,memory\n",
					"/sys/fs/cgroup/memory/a", &cg), -ENOENT);
	cr_assert_eq(cgroup__find_mount("", "/sys/fs/cgroup/memory/a", &cg), -ENOENT);
}
