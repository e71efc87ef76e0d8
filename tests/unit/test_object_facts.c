// SPDX-License-Identifier: GPL-2.0
/*
 * object_facts: this test's own executable gives its build id and PT_LOAD
 * headers; a file is the same object as itself; without a build id, size
 * and mtime tell files apart; what is not ELF has no facts.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "unwind/object_facts.h"

static void read_self(struct object_facts *f)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(object_facts__read(fd, f), 0);
	close(fd);
}

Test(object_facts, own_executable_has_a_build_id_and_loads)
{
	struct object_facts f, g;
	uint64_t vaddr = 1;

	read_self(&f);
	cr_expect_eq(f.build_id_len, 20, "gcc's default build id is 20 bytes");
	cr_expect_geq(f.load_cnt, 2);
	cr_expect_gt(f.size, 0);
	read_self(&g);
	cr_expect(object_facts__same(&f, &g));
	cr_assert_eq(object_facts__vaddr(&f, f.loads[0].offset & ~0xfffull, &vaddr), 0);
	cr_expect_eq(vaddr, f.loads[0].vaddr - (f.loads[0].offset & 0xfff));
	cr_expect_eq(object_facts__vaddr(&f, f.size + 0x100000, &vaddr), -ENOENT);
}

Test(object_facts, another_build_id_or_layout_is_another_object)
{
	struct object_facts f, g;

	read_self(&f);
	g = f;
	g.build_id[0] ^= 1;
	cr_expect_not(object_facts__same(&f, &g));
	g = f;
	g.loads[0].vaddr += 0x1000;
	cr_expect_not(object_facts__same(&f, &g));
	g = f;
	g.mtime_ns++;
	cr_expect(object_facts__same(&f, &g), "with a build id, mtime does not matter");
}

Test(object_facts, without_a_build_id_size_and_mtime_tell_files_apart)
{
	struct object_facts f, g;

	read_self(&f);
	f.build_id_len = 0;
	g = f;
	cr_expect(object_facts__same(&f, &g));
	g.mtime_ns++;
	cr_expect_not(object_facts__same(&f, &g));
	g = f;
	g.size++;
	cr_expect_not(object_facts__same(&f, &g));
}

Test(object_facts, what_is_not_elf_has_none)
{
	struct object_facts f;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_expect_eq(object_facts__read(fd, &f), -EINVAL);
	close(fd);
}
