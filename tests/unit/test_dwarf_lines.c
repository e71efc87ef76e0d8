// SPDX-License-Identifier: GPL-2.0
/*
 * dwarf_lines: the file, line and inlined chain of an address, read from the
 * data binary inlined_lines (inner() inlined into outer(), -O0 -g), and the
 * bounded DWARF cache in front of it.
 */
#include <criterion/criterion.h>
#include <gelf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "binary/dwarf_lines.h"
#include "binary/elf_debug.h"
#include "binary/elf_file.h"
#include "symbolize/dwarf_cache.h"

#define INNER_LINE 8	/* inner()'s body in inlined_lines.c */
#define OUTER_LINE 13	/* outer()'s call of inner() */

static char data_bin[512];

static void find_data_bin(void)
{
	const char *dir = getenv("MV_BUILD_DIR");

	snprintf(data_bin, sizeof(data_bin), "%s/tests/unit/data/inlined_lines",
		 dir && *dir ? dir : "build");
	cr_assert_eq(access(data_bin, R_OK), 0, "%s is missing: build it first", data_bin);
}

TestSuite(dwarf_lines, .init = find_data_bin);

/* The first address of outer() whose chain has two functions, into out; its count. */
static int inlined_chain(struct dwarf_lines *dl, struct elf_file *ef, struct src_frame *out,
			 size_t max)
{
	uint64_t start, size, a;
	int n;

	cr_assert_eq(elf_file__find_symbol(ef, "outer", &start, &size), 0);
	for (a = start; a < start + size; a++) {
		n = dwarf_lines__find(dl, a, out, max);
		if (n == 2)
			return n;
	}
	return 0;
}

Test(dwarf_lines, an_inlined_call_is_its_own_frame_innermost_first_with_both_lines)
{
	struct elf_file *ef = elf_file__open(data_bin);
	struct src_frame f[DWARF_LINES_MAX_FRAMES];
	struct dwarf_lines *dl;

	cr_assert_not_null(ef);
	cr_assert(elf_debug__has_dwarf(ef));
	dl = dwarf_lines__new(ef, NULL);
	cr_assert_not_null(dl);
	cr_assert_eq(inlined_chain(dl, ef, f, DWARF_LINES_MAX_FRAMES), 2,
		     "no address of outer() runs inlined code of inner()");
	cr_assert_str_eq(f[0].func, "inner");
	cr_assert_eq(f[0].line, INNER_LINE);
	cr_assert_str_eq(f[1].func, "outer");
	cr_assert_eq(f[1].line, OUTER_LINE);
	cr_assert(strstr(f[1].file, "inlined_lines.c"), "%s", f[1].file);
	dwarf_lines__free(dl);
	elf_file__free(ef);
}

Test(dwarf_lines, with_one_slot_the_out_of_line_function_is_kept)
{
	struct elf_file *ef = elf_file__open(data_bin);
	struct src_frame f[DWARF_LINES_MAX_FRAMES], one;
	struct dwarf_lines *dl = dwarf_lines__new(ef, NULL);
	uint64_t start, size, a;

	cr_assert_not_null(dl);
	cr_assert_eq(elf_file__find_symbol(ef, "outer", &start, &size), 0);
	for (a = start; a < start + size; a++)
		if (dwarf_lines__find(dl, a, f, DWARF_LINES_MAX_FRAMES) == 2)
			break;
	cr_assert_lt(a, start + size);
	cr_assert_eq(dwarf_lines__find(dl, a, &one, 1), 1);
	cr_assert_str_eq(one.func, "outer");
	cr_assert_eq(dwarf_lines__find(dl, 0x10, &one, 1), -ENOENT);
	dwarf_lines__free(dl);
	elf_file__free(ef);
}

Test(dwarf_lines, the_cache_keeps_a_bounded_number_of_readers_and_reopens_evicted_ones)
{
	struct elf_file *ef = elf_file__open(data_bin);
	struct dwarf_cache *c = dwarf_cache__new();
	static char owners[DWARF_CACHE_MAX + 1];
	struct dwarf_lines *first, *again;
	struct src_frame f;
	size_t i;

	cr_assert_not_null(ef);
	first = dwarf_cache__get(c, &owners[0], ef, NULL);
	cr_assert_not_null(first);
	cr_assert_eq(dwarf_cache__get(c, &owners[0], ef, NULL), first, "a hit must not reopen");
	for (i = 1; i <= DWARF_CACHE_MAX; i++)	/* one more owner than slots: owners[0] goes */
		cr_assert_not_null(dwarf_cache__get(c, &owners[i], ef, NULL));
	again = dwarf_cache__get(c, &owners[0], ef, NULL);
	cr_assert_not_null(again);
	cr_assert_eq(dwarf_lines__find(again, 0x10, &f, 1), -ENOENT);
	dwarf_cache__drop(c, &owners[0]);
	dwarf_cache__free(c);
	elf_file__free(ef);
}

/* data_bin in a malloc'd buffer whose .debug_line_str has lost its last NUL; its size in *len. */
static void *line_str_unterminated(size_t *len)
{
	struct elf_file *ef = elf_file__open(data_bin);
	Elf *elf = elf_file__elf(ef);
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	uint64_t end = 0;
	uint8_t *buf;
	FILE *f;

	cr_assert_eq(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) &&
		    !strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".debug_line_str"))
			end = sh.sh_offset + sh.sh_size;
	elf_file__free(ef);
	cr_assert_gt(end, 0, "%s has no .debug_line_str", data_bin);
	f = fopen(data_bin, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	buf = malloc(*len);
	cr_assert_eq(fread(buf, 1, *len, f), *len);
	fclose(f);
	cr_assert_eq(buf[end - 1], 0);
	buf[end - 1] = 'x';
	return buf;
}

Test(dwarf_lines, a_string_section_without_its_last_nul_is_refused)
{
	size_t len;
	void *buf = line_str_unterminated(&len);
	struct elf_file *ef = elf_file__open_mem(buf, len);
	struct dwarf_cache *c = dwarf_cache__new();

	cr_assert_not_null(ef);
	cr_assert(elf_debug__has_dwarf(ef));
	errno = 0;
	cr_assert_null(dwarf_lines__new(ef, NULL), "libdw would read past .debug_line_str");
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(dwarf_cache__get(c, ef, ef, NULL));
	dwarf_cache__free(c);
	elf_file__free(ef);
}

Test(dwarf_lines, split_dwarf_is_refused_rather_than_its_dwo_file_opened_by_name)
{
	char split[sizeof(data_bin) + 8];
	struct elf_file *ef;

	snprintf(split, sizeof(split), "%s_split", data_bin);
	ef = elf_file__open(split);
	cr_assert_not_null(ef, "%s is missing: build it first", split);
	cr_assert(elf_debug__has_dwarf(ef), "the skeleton unit is DWARF");
	errno = 0;
	cr_assert_null(dwarf_lines__new(ef, NULL), "libdw would open the .dwo file it names");
	cr_assert_eq(errno, EOPNOTSUPP);
	elf_file__free(ef);
}
