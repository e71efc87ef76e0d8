// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memvigil/events.h"
#include "binary/elf_file.h"
#include "sites/alloc_family.h"
#include "sites/allocator.h"
#include "sites/probe_site.h"

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
	uint32_t k;

	cr_assert_str_eq(allocator__kind_name(MV_KIND_MALLOC), "malloc");
	cr_assert_str_eq(allocator__kind_name(MV_KIND_ALIGNED_ALLOC), "aligned_alloc");
	cr_assert_str_eq(allocator__kind_name(MV_KIND_FREE), "free");
	cr_assert_str_eq(allocator__kind_name(MV_KIND_OPERATOR_NEW_ARRAY), "operator new[]");
	cr_assert_str_eq(allocator__kind_name(MV_KIND_CNT), "?");
	for (k = 0; k < MV_KIND_CNT; k++)
		cr_assert_not_null(allocator__kind_name(k), "kind %u has no name", k);
}

/* "via mi_zalloc", never "via zalloc": text names a function the allocator defines. */
Test(allocator, text_names_of_kinds_are_functions_an_allocator_defines)
{
	uint32_t k;

	cr_assert_str_eq(allocator__kind_call(MV_KIND_ZALLOC), "mi_zalloc");
	cr_assert_str_eq(allocator__kind_call(MV_KIND_MALLOC_ALIGNED), "mi_malloc_aligned");
	cr_assert_str_eq(allocator__kind_call(MV_KIND_CALLOC), "calloc");
	for (k = 0; k < MV_KIND_CNT; k++) {
		const char *name = allocator__kind_call(k);

		cr_assert(!strncmp(name, "operator ", 9) || alloc_family__find(name) >= 0,
			  "kind %u is named %s, which no allocator defines", k, name);
	}
}

#define CAND(p, ...) { .path = p, __VA_ARGS__ }
#define NORANK .link_rank = UINT32_MAX

/* Executable first, then libraries in the order the loader mapped them. */
Test(allocator, candidates_are_ordered_executable_then_load_order_top_down)
{
	struct alloc_candidate c[] = {
		CAND("/lib/libc.so.6", .lowest_addr = 0x7f0000100000, NORANK),
		CAND("/lib/ld-linux-x86-64.so.2", .lowest_addr = 0x7f0000500000, NORANK),
		CAND("/lib/libm.so.6", .lowest_addr = 0x7f0000200000, NORANK),
		CAND("/lib/libjemalloc.so.2", .lowest_addr = 0x7f0000300000, NORANK),
		CAND("/usr/bin/prog", .lowest_addr = 0x555500000000, .is_exe = true, NORANK),
	};

	allocator__order(c, 5, 0x7f0000500000);
	cr_assert_str_eq(c[0].path, "/usr/bin/prog");
	cr_assert_str_eq(c[1].path, "/lib/ld-linux-x86-64.so.2");
	cr_assert_str_eq(c[2].path, "/lib/libjemalloc.so.2");
	cr_assert_str_eq(c[3].path, "/lib/libm.so.6");
	cr_assert_str_eq(c[4].path, "/lib/libc.so.6");
}

/* The loader's link map wins over addresses; objects not in it follow. */
Test(allocator, link_map_order_wins_over_mapping_addresses)
{
	struct alloc_candidate c[] = {
		CAND("/lib/libgcc_s.so.1", .lowest_addr = 0x7f00004a0000, .link_rank = 5),
		CAND("/lib/libc.so.6", .lowest_addr = 0x7f000011e000, .link_rank = 2),
		CAND("/lib/plugin.so", .lowest_addr = 0x7f00004c0000, NORANK),
		CAND("/lib/libjemalloc.so.2", .lowest_addr = 0x7f0000300000, .link_rank = 1),
		CAND("/usr/bin/prog", .lowest_addr = 0x555500000000, .is_exe = true, .link_rank = 0),
	};

	allocator__order(c, 5, 0x7f00005b6000);
	cr_assert_str_eq(c[0].path, "/usr/bin/prog");
	cr_assert_str_eq(c[1].path, "/lib/libjemalloc.so.2");
	cr_assert_str_eq(c[2].path, "/lib/libc.so.6");
	cr_assert_str_eq(c[3].path, "/lib/libgcc_s.so.1");
	cr_assert_str_eq(c[4].path, "/lib/plugin.so");
}

/* With the legacy layout (e.g. ulimit -s unlimited) the loader maps upwards. */
Test(allocator, candidates_are_ordered_bottom_up_from_the_interpreter_too)
{
	struct alloc_candidate c[] = {
		CAND("/lib/libc.so.6", .lowest_addr = 0x2aaaab300000, NORANK),
		CAND("/lib/libjemalloc.so.2", .lowest_addr = 0x2aaaab100000, NORANK),
		CAND("/usr/bin/prog", .lowest_addr = 0x555500000000, .is_exe = true, NORANK),
		CAND("/lib/ld-linux-x86-64.so.2", .lowest_addr = 0x2aaaaa000000, NORANK),
	};

	allocator__order(c, 4, 0x2aaaaa000000);
	cr_assert_str_eq(c[0].path, "/usr/bin/prog");
	cr_assert_str_eq(c[2].path, "/lib/libjemalloc.so.2");
	cr_assert_str_eq(c[3].path, "/lib/libc.so.6");
}

/* A static program has no interpreter: the highest mapping comes first. */
Test(allocator, without_an_interpreter_higher_mappings_come_first)
{
	struct alloc_candidate c[] = {
		CAND("/lib/b.so", .lowest_addr = 0x7f0000100000, NORANK),
		CAND("/lib/a.so", .lowest_addr = 0x7f0000200000, NORANK),
	};

	allocator__order(c, 2, 0);
	cr_assert_str_eq(c[0].path, "/lib/a.so");
}

Test(allocator, first_object_defining_malloc_is_the_allocator)
{
	struct alloc_candidate c[] = {
		CAND("/usr/bin/prog", .is_exe = true),
		CAND("/usr/lib/libm.so.6"),
		CAND("/usr/lib/libjemalloc.so.2", .defines_malloc = true, .defines_any = true,
		     .defines_cxx = true),
		CAND("/usr/lib/libstdc++.so.6", .defines_any = true, .defines_cxx = true),
		CAND("/usr/lib/libc.so.6", .defines_malloc = true, .defines_any = true),
	};
	size_t ai, xi;

	cr_assert_eq(allocator__choose(c, 5, false, &ai, &xi), 0);
	cr_assert_eq(ai, 2);
	cr_assert_eq(xi, 2, "the allocator's own operator new serves its heap");
}

Test(allocator, cxx_operators_come_from_the_runtime_when_the_allocator_has_none)
{
	struct alloc_candidate c[] = {
		CAND("/usr/bin/prog", .is_exe = true),
		CAND("/usr/lib/libtcmalloc.so.4", .defines_malloc = true, .defines_any = true),
		CAND("/usr/lib/libstdc++.so.6", .defines_any = true, .defines_cxx = true),
		CAND("/usr/lib/libc.so.6", .defines_malloc = true, .defines_any = true),
	};
	size_t ai, xi;

	cr_assert_eq(allocator__choose(c, 4, false, &ai, &xi), 0);
	cr_assert_eq(ai, 1);
	cr_assert_eq(xi, 2);
	c[2].defines_cxx = false;
	cr_assert_eq(allocator__choose(c, 4, false, &ai, &xi), 0);
	cr_assert_eq(xi, SIZE_MAX, "a C program probes no C++ operators");
}

Test(allocator, operators_of_another_allocator_are_never_chosen)
{
	struct alloc_candidate c[] = {
		CAND("/usr/lib/libjemalloc.so.2", .defines_malloc = true, .defines_any = true,
		     .defines_cxx = true, .matches_override = false),
		CAND("/usr/lib/libstdc++.so.6", .defines_any = true, .defines_cxx = true),
		CAND("/usr/lib/libc.so.6", .defines_malloc = true, .defines_any = true,
		     .matches_override = true),
	};
	size_t ai, xi;

	cr_assert_eq(allocator__choose(c, 3, true, &ai, &xi), 0);
	cr_assert_eq(ai, 2, "the override wins over search order");
	cr_assert_eq(xi, 1, "libstdc++'s operators call libc's malloc; jemalloc's do not");
}

Test(allocator, static_executable_defining_malloc_is_its_own_allocator)
{
	struct alloc_candidate c[] = {
		CAND("/opt/static-prog", .is_exe = true, .defines_malloc = true,
		     .defines_any = true),
	};
	size_t ai, xi;

	cr_assert_eq(allocator__choose(c, 1, false, &ai, &xi), 0);
	cr_assert_eq(ai, 0);
	c[0].defines_malloc = c[0].defines_any = false;	/* stripped */
	cr_assert_eq(allocator__choose(c, 1, false, &ai, &xi), -ENOENT);
}

Test(allocator, override_errors_say_whether_nothing_matched_or_nothing_is_exported)
{
	struct alloc_candidate c[] = {
		CAND("/usr/lib/libm.so.6"),
		CAND("/usr/lib/libc.so.6", .defines_malloc = true, .defines_any = true),
	};
	size_t ai, xi;

	cr_assert_eq(allocator__choose(c, 2, true, &ai, &xi), -ENXIO);
	c[0].matches_override = true;
	cr_assert_eq(allocator__choose(c, 2, true, &ai, &xi), -ENOEXEC);
}

Test(allocator, override_matches_a_substring_of_the_path)
{
	cr_assert(allocator__matches("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "jemalloc"));
	cr_assert(allocator__matches("/usr/lib/x86_64-linux-gnu/libc.so.6",
				     "/usr/lib/x86_64-linux-gnu/libc.so.6"));
	cr_assert_not(allocator__matches("/usr/lib/x86_64-linux-gnu/libc.so.6", "tcmalloc"));
	cr_assert_not(allocator__matches("/usr/lib/x86_64-linux-gnu/libc.so.6", ""));
	cr_assert_not(allocator__matches("/usr/lib/x86_64-linux-gnu/libc.so.6", NULL));
}

Test(alloc_family, names_are_found_with_or_without_a_version)
{
	int i = alloc_family__find("malloc@@GLIBC_2.2.5");

	cr_assert_geq(i, 0);
	cr_assert_str_eq(alloc_family[i].name, "malloc");
	cr_assert_eq(alloc_family__find("malloc_usable_size"), -1);
	cr_assert_eq(alloc_family__find("mallo"), -1);
	i = alloc_family__find("_ZdlPvm");
	cr_assert_eq(alloc_family[i].kind, MV_KIND_OPERATOR_DELETE);
	cr_assert_eq(alloc_family[i].layout, MV_ARGS_FREE);
}

/* Standard names come first, so an alias reports as the standard kind. */
Test(alloc_family, standard_names_precede_their_aliases)
{
	cr_assert_lt(alloc_family__find("malloc"), alloc_family__find("mi_malloc"));
	cr_assert_lt(alloc_family__find("free"), alloc_family__find("tc_free"));
	cr_assert_lt(alloc_family__find("free"), alloc_family__find("_ZdlPv"));
	cr_assert_lt(alloc_family__find("tc_new"), alloc_family__find("_Znwm"));
}

/* Every free-like entry reads its block from the first argument. */
Test(alloc_family, every_entry_has_a_consistent_layout)
{
	size_t i, j;

	for (i = 0; i < alloc_family_cnt; i++) {
		const struct alloc_family_func *f = &alloc_family[i];
		bool frees = f->kind == MV_KIND_FREE || f->kind == MV_KIND_OPERATOR_DELETE ||
			     f->kind == MV_KIND_OPERATOR_DELETE_ARRAY ||
			     f->kind == MV_KIND_DALLOCX || f->kind == MV_KIND_SDALLOCX ||
			     f->kind == MV_KIND_FREE_SIZED;

		cr_assert_lt(f->kind, MV_KIND_CNT, "%s", f->name);
		cr_assert_lt(f->layout, MV_ARGS_CNT, "%s", f->name);
		cr_assert_eq(frees, f->layout == MV_ARGS_FREE, "%s", f->name);
		cr_assert_eq(!!(f->flags & FAM_LEAF_FREE), !strcmp(f->name, "free"), "%s", f->name);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(alloc_family[j].name, f->name, "%s listed twice", f->name);
	}
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
