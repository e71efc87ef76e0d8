// SPDX-License-Identifier: GPL-2.0
/*
 * unwind_tables: this test's own process as the traced one. Its executable
 * mappings become a sorted list; its C library gets one table, shared by a
 * second process and built once; rows that no longer fit are refused and
 * counted; what no process maps makes room for what does.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unwind/unwind_tables.h"

struct fake_bpf {
	uint32_t puts, clears, rows;
	uint32_t obj_rows[UNWIND_MAX_OBJECTS];
};

static int fake_put(void *ctx, uint32_t id, uint32_t first, const struct unwind_row *rows,
		    uint32_t cnt)
{
	struct fake_bpf *f = ctx;

	(void)first;
	(void)rows;
	if (cnt) {
		f->puts++;
		f->rows += cnt;
	} else {
		f->clears++;
	}
	f->obj_rows[id] = cnt;
	return 0;
}

static struct procmaps *self_maps(void)
{
	struct procmaps *pm = procmaps__read(getpid());

	cr_assert_not_null(pm);
	return pm;
}

/* The list's mapping holding addr, or NULL. */
static const struct unwind_mapping *find(const struct unwind_proc *p, uint64_t addr)
{
	for (uint32_t i = 0; i < p->mapping_cnt; i++)
		if (addr >= p->mappings[i].start && addr < p->mappings[i].end)
			return &p->mappings[i];
	return NULL;
}

Test(unwind_tables, own_process_gets_sorted_mappings_and_a_libc_table)
{
	struct fake_bpf f = {};
	struct unwind_sink sink = { fake_put, &f };
	struct unwind_tables *t = unwind_tables__new(UNWIND_ROWS_DEFAULT, &sink);
	struct unwind_proc *p = calloc(1, sizeof(*p));
	struct procmaps *pm = self_maps();
	const struct unwind_mapping *m;
	struct unwind_tables_stats st;

	cr_assert_eq(unwind_tables__proc(t, getpid(), pm, p), 0);
	cr_assert_gt(p->mapping_cnt, 1);
	for (uint32_t i = 1; i < p->mapping_cnt; i++)
		cr_expect_lt(p->mappings[i - 1].start, p->mappings[i].start);
	m = find(p, (uint64_t)(uintptr_t)&malloc);
	cr_assert_not_null(m, "malloc is in no executable mapping");
	cr_expect_neq(m->obj_id, 0, "the C library has no table");
	cr_expect_gt(f.obj_rows[m->obj_id], 1000);
	/* a second process mapping the same files builds nothing new */
	unwind_tables__stats(t, &st);
	cr_assert_eq(unwind_tables__proc(t, getpid() + 100000, pm, p), 0);
	cr_expect_eq(find(p, (uint64_t)(uintptr_t)&malloc)->obj_id, m->obj_id);
	cr_expect_eq(f.puts, st.tables_built);
	unwind_tables__stats(t, &st);
	cr_expect_eq(st.rows_used, f.rows);
	cr_expect_eq(st.objects, f.puts);
	procmaps__free(pm);
	free(p);
	unwind_tables__free(t);
}

Test(unwind_tables, objects_that_do_not_fit_get_id_0_and_are_counted)
{
	struct fake_bpf f = {};
	struct unwind_sink sink = { fake_put, &f };
	struct unwind_tables *t = unwind_tables__new(100, &sink);
	struct unwind_proc *p = calloc(1, sizeof(*p));
	struct procmaps *pm = self_maps();
	struct unwind_tables_stats st;

	cr_assert_eq(unwind_tables__proc(t, getpid(), pm, p), 0);
	cr_expect_eq(find(p, (uint64_t)(uintptr_t)&malloc)->obj_id, 0);
	unwind_tables__stats(t, &st);
	cr_expect_gt(st.refused[UNWIND_REFUSED_FULL], 0);
	cr_expect_leq(st.rows_used, 100);
	procmaps__free(pm);
	free(p);
	unwind_tables__free(t);
}

/* pm's mappings whose path does (libc) or does not hold "libc.so", in place. */
static void keep_libc(struct procmaps *pm, bool libc)
{
	size_t i, n = 0;

	for (i = 0; i < pm->cnt; i++) {
		if ((strstr(pm->maps[i].path, "/libc.so") != NULL) == libc)
			pm->maps[n++] = pm->maps[i];
		else
			free(pm->maps[i].path);
	}
	pm->cnt = n;
}

/* Rows the tables of pm's objects take. */
static uint32_t rows_of(const struct procmaps *pm, struct unwind_proc *p)
{
	struct fake_bpf f = {};
	struct unwind_sink sink = { fake_put, &f };
	struct unwind_tables *t = unwind_tables__new(UNWIND_ROWS_DEFAULT, &sink);

	cr_assert_eq(unwind_tables__proc(t, getpid(), pm, p), 0);
	unwind_tables__free(t);
	return f.rows;
}

Test(unwind_tables, rows_of_objects_no_process_maps_are_reused)
{
	struct fake_bpf f = {};
	struct unwind_sink sink = { fake_put, &f };
	struct unwind_tables *t;
	struct unwind_proc *p = calloc(1, sizeof(*p));
	struct procmaps *libc = self_maps(), *rest = self_maps();
	struct unwind_tables_stats st;
	uint32_t a, b;

	keep_libc(libc, true);
	keep_libc(rest, false);
	a = rows_of(rest, p);
	b = rows_of(libc, p);
	cr_assert_gt(a, 0);
	cr_assert_gt(b, 0);
	/* room for either, not both */
	t = unwind_tables__new(a > b ? a : b, &sink);
	cr_assert_eq(unwind_tables__proc(t, getpid(), rest, p), 0);
	unwind_tables__forget(t, getpid());
	cr_assert_eq(unwind_tables__proc(t, getpid(), libc, p), 0);
	unwind_tables__stats(t, &st);
	cr_expect_gt(f.clears, 0, "nothing was evicted");
	cr_expect_eq(st.refused[UNWIND_REFUSED_FULL], 0);
	/* (not by &malloc: a sanitizer's build has its own) */
	cr_assert_gt(p->mapping_cnt, 0);
	for (uint32_t i = 0; i < p->mapping_cnt; i++)
		cr_expect_neq(p->mappings[i].obj_id, 0, "the C library has no table");
	procmaps__free(libc);
	procmaps__free(rest);
	free(p);
	unwind_tables__free(t);
}

/*
 * The path of the C library this process maps, into buf, and the start of
 * its code (not found by &malloc: a sanitizer's build has its own).
 */
static uint64_t libc_path(char *buf, size_t len)
{
	struct procmaps *pm = self_maps();
	uint64_t code = 0;
	size_t i;

	keep_libc(pm, true);
	cr_assert_gt(pm->cnt, 0);
	snprintf(buf, len, "%s", pm->maps[0].path);
	for (i = 0; i < pm->cnt && !code; i++)
		if (pm->maps[i].perms[2] == 'x')
			code = pm->maps[i].start;
	cr_assert_neq(code, 0, "the C library has no code mapping");
	procmaps__free(pm);
	return code;
}

/* A copy of src at dst (its own inode), mapped executable whole; the mapping. */
static void *map_copy(const char *src, const char *dst, size_t *len)
{
	char cmd[PATH_MAX * 2 + 16];
	struct stat st;
	void *p;
	int fd;

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	cr_assert_eq(system(cmd), 0);
	fd = open(dst, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	p = mmap(NULL, *len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	cr_assert_neq(p, MAP_FAILED);
	close(fd);
	return p;
}

/* The object id the list gives the mapping that starts at p. */
static uint32_t obj_id_at(const struct unwind_proc *u, const void *p)
{
	const struct unwind_mapping *m = find(u, (uint64_t)(uintptr_t)p);

	cr_assert_not_null(m, "the copy is in no executable mapping");
	return m->obj_id;
}

Test(unwind_tables, copies_of_one_library_in_other_files_share_its_table)
{
	struct fake_bpf f = {};
	struct unwind_sink sink = { fake_put, &f };
	struct unwind_tables *t = unwind_tables__new(UNWIND_ROWS_DEFAULT, &sink);
	struct unwind_proc *u = calloc(1, sizeof(*u));
	char dir[] = "/tmp/mv-unwind-copies-XXXXXX", src[PATH_MAX], a[PATH_MAX + 8],
	     b[PATH_MAX + 8];
	struct unwind_tables_stats before, after;
	struct procmaps *pm;
	size_t alen, blen;
	uint64_t libc_code;
	void *pa, *pb;

	cr_assert_not_null(mkdtemp(dir));
	libc_code = libc_path(src, sizeof(src));
	snprintf(a, sizeof(a), "%s/a.so", dir);
	snprintf(b, sizeof(b), "%s/b.so", dir);
	/* the C library alone first: its table is built once */
	pm = self_maps();
	keep_libc(pm, true);
	cr_assert_eq(unwind_tables__proc(t, getpid(), pm, u), 0);
	procmaps__free(pm);
	unwind_tables__stats(t, &before);
	cr_assert_eq(before.tables_built, 1);
	/* then two copies (other inodes, one build id), as two containers' layers give */
	pa = map_copy(src, a, &alen);
	pb = map_copy(src, b, &blen);
	pm = self_maps();
	cr_assert_eq(unwind_tables__proc(t, getpid(), pm, u), 0);
	cr_expect_neq(obj_id_at(u, pa), 0);
	cr_expect_eq(obj_id_at(u, pa), obj_id_at(u, pb), "the copies have two tables");
	cr_expect_eq(obj_id_at(u, pa), find(u, libc_code)->obj_id, "the copies have a table of "
		     "their own");
	unwind_tables__stats(t, &after);
	cr_expect_eq(after.tables_shared, 2);
	/* what this process maps besides the C library is built; the copies are not */
	cr_expect_eq(after.rows_used, f.rows);
	cr_expect_eq(f.puts, after.tables_built);
	cr_expect_eq(after.tables_built - before.tables_built + 1, after.objects);
	cr_assert_eq(munmap(pa, alen), 0);
	cr_assert_eq(munmap(pb, blen), 0);
	unlink(a);
	unlink(b);
	rmdir(dir);
	procmaps__free(pm);
	free(u);
	unwind_tables__free(t);
}
