// SPDX-License-Identifier: GPL-2.0
/*
 * elf_debug: what a binary says of its debug information, read from the data
 * binary inlined_lines split by tests/workloads/split_debug.sh: its
 * .gnu_debuglink name and CRC, its MiniDebugInfo decompressed, and
 * MiniDebugInfo that is not xz refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "binary/elf_debug.h"
#include "binary/elf_file.h"

/* build/tests/unit/data/inlined_lines<suffix>, opened. */
static struct elf_file *open_data(const char *suffix, char *path, size_t len)
{
	const char *dir = getenv("MV_BUILD_DIR");
	struct elf_file *ef;

	snprintf(path, len, "%s/tests/unit/data/inlined_lines%s", dir && *dir ? dir : "build",
		 suffix);
	ef = elf_file__open(path);
	cr_assert_not_null(ef, "%s is missing: build it first", path);
	return ef;
}

Test(elf_debug, a_debuglink_gives_the_debug_file_s_name_and_its_crc)
{
	char path[512], dbg[600];
	struct elf_file *ef = open_data("_link", path, sizeof(path));
	const char *name;
	uint32_t crc, file_crc;
	int fd;

	cr_assert_eq(elf_debug__link(ef, &name, &crc), 0);
	cr_assert_str_eq(name, "inlined_lines_link.debug");
	snprintf(dbg, sizeof(dbg), "%s.debug", path);
	fd = open(dbg, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", dbg);
	cr_assert_eq(elf_debug__file_crc(fd, &file_crc), 0);
	cr_assert_eq(crc, file_crc, "the link's CRC %08x, the file's %08x", crc, file_crc);
	close(fd);
	elf_file__free(ef);
}

Test(elf_debug, minidebuginfo_decompresses_to_an_elf_file_with_the_local_functions)
{
	char path[512];
	struct elf_file *ef = open_data("_mini", path, sizeof(path));
	struct elf_file *mini;
	const char *name;
	uint32_t crc;
	uint64_t vaddr;

	cr_assert_eq(elf_file__find_symbol(ef, "outer", &vaddr, NULL), -ENOENT,
		     "the stripped binary still names outer");
	mini = elf_debug__mini(ef);
	cr_assert_not_null(mini, "%s", strerror(errno));
	cr_assert_eq(elf_file__find_symbol(mini, "outer", &vaddr, NULL), 0);
	cr_assert_eq(elf_debug__link(ef, &name, &crc), -ENOENT);
	elf_file__free(mini);
	elf_file__free(ef);
}

Test(elf_debug, minidebuginfo_that_is_not_xz_is_refused_and_none_is_enoent)
{
	char path[512];
	struct elf_file *bad = open_data("_badmini", path, sizeof(path));
	struct elf_file *plain = open_data("", path, sizeof(path));

	errno = 0;
	cr_assert_null(elf_debug__mini(bad));
	cr_assert_eq(errno, EINVAL, "%s", strerror(errno));
	cr_assert_null(elf_debug__mini(plain));
	cr_assert_eq(errno, ENOENT);
	cr_assert(elf_debug__has_dwarf(plain));
	elf_file__free(bad);
	elf_file__free(plain);
}
