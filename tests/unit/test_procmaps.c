// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "procfs/procmaps.h"

static const char sample[] =
	"55d4c5a00000-55d4c5a01000 r--p 00000000 fd:01 1048602                    /usr/bin/cat\n"
	"55d4c5a01000-55d4c5a06000 r-xp 00001000 fd:01 1048602                    /usr/bin/cat\n"
	"55d4c6b2e000-55d4c6b4f000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0a1c000000-7f0a1c021000 rw-p 00000000 00:00 0 \n"
	"7f0a1d228000-7f0a1d24e000 r-xp 00028000 103:02 2359821                   /opt/my app/lib foo.so (deleted)\n"
	"7ffd8e5f2000-7ffd8e5f4000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static struct procmaps *parse_ok(const char *text)
{
	struct procmaps *pm = NULL;

	cr_assert_eq(procmaps__parse(text, &pm), 0);
	cr_assert_not_null(pm);
	return pm;
}

Test(procmaps, file_backed_line_is_parsed_field_by_field)
{
	struct procmaps *pm = parse_ok(sample);
	const struct mv_mapping *m = &pm->maps[1];

	cr_assert_eq(pm->cnt, 7);
	cr_assert_eq(m->start, 0x55d4c5a01000ull);
	cr_assert_eq(m->end, 0x55d4c5a06000ull);
	cr_assert_eq(m->file_offset, 0x1000);
	cr_assert_eq(m->dev_major, 0xfd);
	cr_assert_eq(m->dev_minor, 0x01);
	cr_assert_eq(m->inode, 1048602);
	cr_assert_str_eq(m->perms, "r-xp");
	cr_assert_str_eq(m->path, "/usr/bin/cat");
	procmaps__free(pm);
}

Test(procmaps, path_with_spaces_keeps_them_and_the_deleted_marker)
{
	struct procmaps *pm = parse_ok(sample);
	const struct mv_mapping *m = &pm->maps[4];

	cr_assert_str_eq(m->path, "/opt/my app/lib foo.so (deleted)");
	cr_assert_eq(m->dev_major, 0x103);
	cr_assert_eq(m->dev_minor, 2);
	cr_assert_eq(m->file_offset, 0x28000);
	procmaps__free(pm);
}

Test(procmaps, anonymous_and_pseudo_mappings_have_no_inode)
{
	struct procmaps *pm = parse_ok(sample);

	cr_assert_str_eq(pm->maps[2].path, "[heap]");
	cr_assert_str_eq(pm->maps[3].path, "");
	cr_assert_eq(pm->maps[3].inode, 0);
	cr_assert_str_eq(pm->maps[5].path, "[vdso]");
	cr_assert_str_eq(pm->maps[6].path, "[vsyscall]");
	cr_assert_eq(pm->maps[6].end, 0xffffffffff601000ull);
	cr_assert_str_eq(pm->maps[6].perms, "--xp");
	procmaps__free(pm);
}

Test(procmaps, anonymous_line_without_trailing_blank_is_accepted)
{
	struct procmaps *pm = parse_ok("1000-2000 rw-p 00000000 00:00 0");

	cr_assert_eq(pm->cnt, 1);
	cr_assert_str_eq(pm->maps[0].path, "");
	procmaps__free(pm);
}

Test(procmaps, empty_text_gives_no_mappings)
{
	struct procmaps *pm = parse_ok("");

	cr_assert_eq(pm->cnt, 0);
	cr_assert_null(procmaps__find(pm, 0x1000));
	procmaps__free(pm);
}

Test(procmaps, lines_out_of_order_are_sorted_by_start)
{
	struct procmaps *pm = parse_ok("5000-6000 r--p 00000000 00:00 0\n"
				       "1000-2000 r--p 00000000 00:00 0\n"
				       "3000-4000 r--p 00000000 00:00 0\n");

	cr_assert_eq(pm->maps[0].start, 0x1000);
	cr_assert_eq(pm->maps[1].start, 0x3000);
	cr_assert_eq(pm->maps[2].start, 0x5000);
	procmaps__free(pm);
}

Test(procmaps, malformed_line_is_rejected)
{
	static const char *const bad[] = {
		"1000 r--p 00000000 00:00 0\n",			/* no end */
		"1000-2000 r--p 00000000 00:00\n",		/* no inode */
		"1000-2000 rwz 00000000 00:00 0\n",		/* short perms */
		"1000-2000 rwxq 00000000 00:00 0\n",		/* bad share flag */
		"1000-2000 r--p 0000g000 00:00 0\n",		/* not hex */
		"1000-2000 r--p 00000000 0000 0\n",		/* no ':' in dev */
		"2000-1000 r--p 00000000 00:00 0\n",		/* end before start */
		"1000-1000 r--p 00000000 00:00 0\n",		/* empty */
		"11111111111111111-2000 r--p 00000000 00:00 0\n", /* 17 digits */
		"1000-2000 r--p 00000000 00:00 12x /a\n",	/* junk after inode */
		"garbage\n",
	};
	struct procmaps *pm = (void *)1;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(procmaps__parse(bad[i], &pm), -EINVAL, "accepted: %s", bad[i]);
		cr_assert_null(pm);
	}
}

Test(procmaps, one_bad_line_among_good_ones_rejects_the_text)
{
	struct procmaps *pm = NULL;

	cr_assert_eq(procmaps__parse("1000-2000 r--p 00000000 00:00 0\nbad line\n", &pm),
		     -EINVAL);
	cr_assert_null(pm);
}

Test(procmaps, find_includes_start_and_excludes_end)
{
	struct procmaps *pm = parse_ok(sample);

	cr_assert_eq(procmaps__find(pm, 0x55d4c5a00000ull), &pm->maps[0]);
	cr_assert_eq(procmaps__find(pm, 0x55d4c5a00fffull), &pm->maps[0]);
	/* Adjacent mappings: the end of one is the start of the next. */
	cr_assert_eq(procmaps__find(pm, 0x55d4c5a01000ull), &pm->maps[1]);
	cr_assert_eq(procmaps__find(pm, 0x55d4c5a05fffull), &pm->maps[1]);
	cr_assert_null(procmaps__find(pm, 0x55d4c5a06000ull));
	cr_assert_null(procmaps__find(pm, 0x55d4c59fffffull));
	cr_assert_null(procmaps__find(pm, 0));
	cr_assert_eq(procmaps__find(pm, 0xffffffffff600abcull), &pm->maps[6]);
	cr_assert_null(procmaps__find(pm, UINT64_MAX));
	procmaps__free(pm);
}

static int __attribute__((noinline)) code_here(int x)
{
	return x + 1;
}

Test(procmaps, own_maps_contain_this_function)
{
	struct procmaps *pm = procmaps__read(getpid());
	const struct mv_mapping *m;
	char exe[4096];
	ssize_t n;

	cr_assert_not_null(pm, "cannot read own maps: %s", strerror(errno));
	m = procmaps__find(pm, (uint64_t)(uintptr_t)&code_here);
	cr_assert_not_null(m);
	cr_assert_eq(m->perms[2], 'x');
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	cr_assert_str_eq(m->path, exe);
	procmaps__free(pm);
}

Test(procmaps, reading_a_reaped_process_fails_with_esrch)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_null(procmaps__read(pid));
	cr_assert_eq(errno, ESRCH);
}

Test(procmaps, free_accepts_null)
{
	procmaps__free(NULL);
}
