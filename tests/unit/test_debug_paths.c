// SPDX-License-Identifier: GPL-2.0
/*
 * debug_paths and the .gnu_debuglink CRC: where a separate debug file is
 * looked for (by build-id, and in the three places a debuglink name may be),
 * what names are refused, and the CRC-32 that tells the right file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "binary/elf_debug.h"
#include "symbolize/debug_paths.h"

Test(debug_paths, a_build_id_names_its_file_by_first_byte_and_rest)
{
	const uint8_t id[] = { 0xab, 0xcd, 0xef, 0x01, 0x00 };
	char buf[128];

	cr_assert_eq(debug_paths__build_id(id, sizeof(id), buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/usr/lib/debug/.build-id/ab/cdef0100.debug");
}

Test(debug_paths, a_build_id_too_short_too_long_or_too_big_for_the_buffer_is_refused)
{
	uint8_t id[65] = { 0 };
	char buf[128], small[40];

	cr_assert_eq(debug_paths__build_id(id, 1, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(debug_paths__build_id(id, 65, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(debug_paths__build_id(id, 20, small, sizeof(small)), -ENAMETOOLONG);
	cr_assert_eq(debug_paths__build_id(id, 2, small, sizeof(small)), 0);
}

Test(debug_paths, a_dwz_file_is_its_absolute_name_or_its_name_beside_the_debug_file)
{
	char buf[128], small[16];

	cr_assert_eq(debug_paths__alt("/usr/lib/debug/.build-id/ab/cd.debug",
				      "/usr/lib/debug/.dwz/x86_64-linux-gnu/pkg.debug", buf,
				      sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/usr/lib/debug/.dwz/x86_64-linux-gnu/pkg.debug");
	cr_assert_eq(debug_paths__alt("/usr/lib/debug/.build-id/ab/cd.debug",
				      "../../.dwz/pkg.debug", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/usr/lib/debug/.build-id/ab/../../.dwz/pkg.debug");
	cr_assert_eq(debug_paths__alt("/d/x.debug", "", buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(debug_paths__alt("rel/x.debug", "y", buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(debug_paths__alt("/d/x.debug", "/a/rather/long/name.debug", small,
				      sizeof(small)), -ENAMETOOLONG);
}

Test(debug_paths, a_debuglink_is_looked_for_in_three_places_in_order)
{
	static const char *const want[DEBUG_PATHS_LINK_CNT] = {
		"/usr/bin/app.debug", "/usr/bin/.debug/app.debug",
		"/usr/lib/debug/usr/bin/app.debug",
	};
	char buf[128];
	unsigned int i;

	for (i = 0; i < DEBUG_PATHS_LINK_CNT; i++) {
		cr_assert_eq(debug_paths__link("/usr/bin/app", "app.debug", i, buf, sizeof(buf)), 0);
		cr_assert_str_eq(buf, want[i]);
	}
	cr_assert_eq(debug_paths__link("/usr/bin/app", "app.debug", i, buf, sizeof(buf)), -ENOENT);
}

Test(debug_paths, a_deleted_object_s_suffix_is_not_part_of_its_folder)
{
	char buf[128];

	cr_assert_eq(debug_paths__link("/opt/x (deleted)", "x.dbg", 2, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/usr/lib/debug/opt/x.dbg");
	cr_assert_eq(debug_paths__link("/app", "app.debug", 1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/.debug/app.debug");
}

Test(debug_paths, a_debuglink_name_with_a_slash_or_a_dot_name_is_refused)
{
	static const char *const bad[] = { "", ".", "..", "../etc/shadow", "a/b.debug" };
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(debug_paths__link("/usr/bin/app", bad[i], 0, buf, sizeof(buf)),
			     -EINVAL, "%s", bad[i]);
	cr_assert_eq(debug_paths__link("usr/bin/app", "app.debug", 0, buf, sizeof(buf)), -EINVAL);
}

Test(debug_paths, a_debuglink_naming_the_object_itself_is_not_looked_for_next_to_it)
{
	char buf[128];

	cr_assert_eq(debug_paths__link("/usr/bin/app", "app", 0, buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(debug_paths__link("/usr/bin/app", "app", 1, buf, sizeof(buf)), 0);
	cr_assert_eq(debug_paths__link("/usr/bin/app", "app.debug", 0, buf, 10), -ENAMETOOLONG);
}

/* The CRC-32 of a temporary file holding data. */
static uint32_t crc_of(const char *data, size_t len)
{
	char path[] = "/tmp/mv-crc-XXXXXX";
	uint32_t crc = 0;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	unlink(path);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	cr_assert_eq(elf_debug__file_crc(fd, &crc), 0);
	close(fd);
	return crc;
}

Test(debug_paths, the_debuglink_crc_is_the_standard_crc32_of_the_whole_file)
{
	static char big[200000];
	uint32_t whole;
	size_t i;

	/* the CRC-32 check value */
	cr_assert_eq(crc_of("123456789", 9), 0xcbf43926u);
	cr_assert_eq(crc_of("", 0), 0);
	/* a file longer than one read: every byte counts */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 31);
	whole = crc_of(big, sizeof(big));
	big[sizeof(big) - 1] ^= 1;
	cr_assert_neq(crc_of(big, sizeof(big)), whole);
}
