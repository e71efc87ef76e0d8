// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memvigil/events.h"
#include "allocator.h"
#include "elf_file.h"
#include "probe_site.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

Test(allocator, libc_is_found_among_mappings_by_name)
{
	struct mv_mapping maps[] = {
		{ .start = 0x1000, .end = 0x2000, .path = "/usr/bin/prog" },
		{ .start = 0x3000, .end = 0x4000, .path = "" },
		{ .start = 0x5000, .end = 0x6000, .path = "/usr/lib/x86_64-linux-gnu/libcrypt.so.1" },
		{ .start = 0x7000, .end = 0x8000, .path = "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	};
	struct procmaps pm = { .maps = maps, .cnt = 4 };

	cr_assert_eq(allocator__find_libc(&pm), &maps[3]);
	pm.cnt = 3;
	cr_assert_null(allocator__find_libc(&pm));
	maps[2].path = "/lib/libc-2.31.so";
	cr_assert_eq(allocator__find_libc(&pm), &maps[2]);
}

Test(allocator, kind_names_cover_the_family)
{
	cr_assert_str_eq(allocator__kind_name(MV_KIND_MALLOC), "malloc");
	cr_assert_str_eq(allocator__kind_name(MV_KIND_ALIGNED_ALLOC), "aligned_alloc");
	cr_assert_str_eq(allocator__kind_name(MV_KIND_FREE), "free");
	cr_assert_str_eq(allocator__kind_name(MV_KIND_CNT), "?");
}

/* The site chosen for name in this machine's libc, as an offset from its entry. */
static uint64_t libc_site(const char *name, bool *emulated)
{
	uint64_t vaddr, off;
	struct elf_file *ef = elf_file__open(LIBC);
	struct probe_site site;
	uint8_t code[PROBE_SITE_CODE_BYTES];
	int fd;

	cr_assert_not_null(ef);
	cr_assert_eq(elf_file__find_symbol(ef, name, &vaddr, NULL), 0, "%s", name);
	cr_assert_eq(elf_file__vaddr_to_offset(ef, vaddr, &off), 0);
	elf_file__free(ef);
	fd = open(LIBC, O_RDONLY);
	cr_assert_eq(pread(fd, code, sizeof(code), off), (ssize_t)sizeof(code));
	close(fd);
	probe_site__choose(code, sizeof(code), &site);
	*emulated = site.emulated;
	return site.offset;
}

/*
 * glibc 2.36 as Debian builds it: push prologues stay at the entry, free
 * moves to the je after its NULL test, functions opening with a flag-only
 * compare move past it, reallocarray (mov, mul) stays at its entry.
 */
Test(allocator, sites_on_this_machines_libc)
{
	static const struct { const char *name; uint64_t offset; bool emulated; } want[] = {
		{ "malloc", 0, true }, { "calloc", 0, true }, { "realloc", 0, true },
		{ "free", 3, true }, { "posix_memalign", 7, true }, { "memalign", 7, true },
		{ "valloc", 7, true }, { "pvalloc", 7, true }, { "reallocarray", 0, false },
	};
	bool emulated;
	size_t i;

	if (access("/usr/share/doc/libc6", F_OK) || system("dpkg-query -W -f='${Version}' libc6 "
							"| grep -q '^2.36'"))
		cr_skip_test("libc6 is not Debian's 2.36: expected sites do not apply");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(libc_site(want[i].name, &emulated), want[i].offset, "%s", want[i].name);
		cr_assert_eq(emulated, want[i].emulated, "%s", want[i].name);
	}
}

/* Every chosen site must be reached only through its function's entry. */
Test(allocator, no_branch_in_libc_lands_on_a_chosen_site)
{
	static const char *const names[] = { "free", "posix_memalign", "memalign", "valloc",
					     "pvalloc" };
	struct elf_file *ef = elf_file__open(LIBC);
	uint64_t vaddr, off, site;
	struct stat_buf { uint8_t *p; long n; } text;
	bool emulated;
	size_t i;
	int fd;

	cr_assert_not_null(ef);
	fd = open(LIBC, O_RDONLY);
	text.n = lseek(fd, 0, SEEK_END);
	text.p = malloc(text.n);
	cr_assert_eq(pread(fd, text.p, text.n, 0), text.n);
	close(fd);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		site = libc_site(names[i], &emulated);
		cr_assert_eq(elf_file__find_symbol(ef, names[i], &vaddr, NULL), 0);
		cr_assert_eq(elf_file__vaddr_to_offset(ef, vaddr, &off), 0);
		/* whole file in offset space: code offsets and vaddrs differ by a constant */
		cr_assert_not(probe_site__is_branch_target(text.p, text.n, 0, off + site),
			      "%s+%llu", names[i], (unsigned long long)site);
	}
	free(text.p);
	elf_file__free(ef);
}
