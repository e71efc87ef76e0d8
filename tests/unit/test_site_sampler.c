// SPDX-License-Identifier: GPL-2.0
/* Finding libmemvigil-sampler.so in a process, its control object, and --preload's checks. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procfs/procmaps.h"
#include "sites/sampler_ctl.h"
#include "sites/sampler_site.h"
#include "target/preload.h"

static const char maps_text[] =
	"55d4c5a00000-55d4c5a01000 r--p 00000000 fd:01 1048602    /usr/bin/app\n"
	"7f0a1c000000-7f0a1c001000 r--p 00000000 fd:01 77         /opt/not-libmemvigil-sampler.so\n"
	"7f0a1d000000-7f0a1d002000 r--p 00000000 fd:01 78         /usr/lib/memvigil/libmemvigil-sampler.so\n"
	"7f0a1d002000-7f0a1d006000 r-xp 00002000 fd:01 78         /usr/lib/memvigil/libmemvigil-sampler.so\n";

static struct memvigil_sampler_ctl usable_ctl(void)
{
	struct memvigil_sampler_ctl c = {
		.magic = MV_SAMPLER_MAGIC, .abi_version = MV_SAMPLER_ABI_VERSION,
		.ctl_bytes = sizeof(c), .flags = MV_SAMPLER_F_READY,
	};

	return c;
}

Test(sampler_site, library_is_found_by_its_file_name_only)
{
	struct procmaps *pm = NULL;
	const struct mv_mapping *m;

	cr_assert_eq(procmaps__parse(maps_text, &pm), 0);
	m = sampler_site__mapping(pm);
	cr_assert_not_null(m);
	cr_assert_eq(m->inode, 78);
	cr_assert_eq(m->start, 0x7f0a1d000000ull);
	procmaps__free(pm);
	cr_assert_eq(procmaps__parse(maps_text, &pm), 0);
	pm->cnt = 2;	/* only the app and a library whose name merely ends alike */
	cr_assert_null(sampler_site__mapping(pm));
	procmaps__free(pm);
}

Test(sampler_site, a_ready_unshadowed_library_of_this_abi_is_usable)
{
	struct memvigil_sampler_ctl c = usable_ctl();
	char why[256] = "";

	cr_assert_eq(sampler_site__check_ctl(&c, why, sizeof(why)), 0);
}

Test(sampler_site, each_unusable_control_object_says_why)
{
	struct memvigil_sampler_ctl c = usable_ctl();
	char why[256];

	c.magic = 0;
	cr_assert_eq(sampler_site__check_ctl(&c, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "magic"));
	c = usable_ctl();
	c.abi_version = MV_SAMPLER_ABI_VERSION + 1;
	cr_assert_eq(sampler_site__check_ctl(&c, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "ABI version"), "%s", why);
	c = usable_ctl();
	c.ctl_bytes = 64;
	cr_assert_eq(sampler_site__check_ctl(&c, why, sizeof(why)), -EPROTO);
	c = usable_ctl();
	c.flags = 0;
	cr_assert_eq(sampler_site__check_ctl(&c, why, sizeof(why)), -EAGAIN);
	c.flags = MV_SAMPLER_F_READY | MV_SAMPLER_F_SHADOWED;
	cr_assert_eq(sampler_site__check_ctl(&c, why, sizeof(why)), -EBUSY);
	cr_assert(strstr(why, "malloc"), "%s", why);
}

Test(sampler_ctl, generations_are_never_zero_nor_repeated)
{
	cr_assert_eq(sampler_ctl__next_generation(0), 1);
	cr_assert_eq(sampler_ctl__next_generation(41), 42);
	cr_assert_eq(sampler_ctl__next_generation(UINT64_MAX), 1);
}

Test(sampler_ctl, time_namespace_offset_of_the_monotonic_clock)
{
	cr_assert_eq(sampler_ctl__parse_timens("monotonic 0 0\nboottime 0 0\n"), 0);
	cr_assert_eq(sampler_ctl__parse_timens("boottime 7 0\nmonotonic -2 500\n"),
		     -2000000000LL + 500);
	cr_assert_eq(sampler_ctl__parse_timens(""), 0);
}

Test(preload, sampler_goes_first_and_what_was_preloaded_stays)
{
	char out[64];

	cr_assert_eq(preload__value("/l/s.so", NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/l/s.so");
	cr_assert_eq(preload__value("/l/s.so", "", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/l/s.so");
	cr_assert_eq(preload__value("/l/s.so", "/x/je.so /y/z.so", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/l/s.so /x/je.so /y/z.so");
	cr_assert_eq(preload__value("/l/s.so", "/a/very/long/preload/list/that/does/not/fit.so",
				    out, 40), -ENAMETOOLONG);
}

Test(preload, static_and_dynamic_executables_are_told_apart)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[2];
	} img = { 0 };

	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_phoff = sizeof(img.eh);
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = 2;
	img.ph[0].p_type = PT_LOAD;
	img.ph[1].p_type = PT_LOAD;
	cr_assert_eq(preload__elf_is_dynamic(&img, sizeof(img)), 0);
	img.ph[1].p_type = PT_INTERP;
	cr_assert_eq(preload__elf_is_dynamic(&img, sizeof(img)), 1);
	cr_assert_eq(preload__elf_is_dynamic(&img, sizeof(img) - 8), -ENOEXEC);
	cr_assert_eq(preload__elf_is_dynamic("#!/bin/sh\n", 10), -ENOEXEC);
}

Test(preload, library_is_found_in_the_build_tree_beside_memvigil)
{
	static const char *const subdirs[] = { "bin", "lib", "lib/memvigil" };
	char dir[] = "/tmp/mv_preload_XXXXXX", path[PATH_MAX], exe[PATH_MAX], out[PATH_MAX];
	FILE *f;
	int i;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(exe, sizeof(exe), "%s/bin/memvigil", dir);
	cr_assert_eq(preload__find_library(exe, out, sizeof(out)), -ENOENT);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		cr_assert_eq(mkdir(path, 0700), 0);
	}
	snprintf(path, sizeof(path), "%s/lib/memvigil/" MV_SAMPLER_LIB_NAME, dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	/* installed: bin/memvigil finds ../lib/memvigil/ */
	cr_assert_eq(preload__find_library(exe, out, sizeof(out)), 0);
	cr_assert(strstr(out, "/bin/../lib/memvigil/" MV_SAMPLER_LIB_NAME), "%s", out);
	/* build tree: build/memvigil finds build/lib/memvigil/ */
	snprintf(exe, sizeof(exe), "%s/memvigil", dir);
	cr_assert_eq(preload__find_library(exe, out, sizeof(out)), 0);
	cr_assert_str_eq(out, path);
	unlink(path);
	for (i = 3; i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		rmdir(path);
	}
	rmdir(dir);
}
