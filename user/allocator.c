// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memvigil/events.h"
#include "allocator.h"
#include "elf_file.h"
#include "probe_site.h"

/* The C allocator family, in the order aliases are resolved (first name wins). */
static const char *const kind_names[MV_KIND_CNT] = {
	[MV_KIND_MALLOC] = "malloc",
	[MV_KIND_CALLOC] = "calloc",
	[MV_KIND_REALLOC] = "realloc",
	[MV_KIND_REALLOCARRAY] = "reallocarray",
	[MV_KIND_POSIX_MEMALIGN] = "posix_memalign",
	[MV_KIND_MEMALIGN] = "memalign",
	[MV_KIND_ALIGNED_ALLOC] = "aligned_alloc",
	[MV_KIND_VALLOC] = "valloc",
	[MV_KIND_PVALLOC] = "pvalloc",
	[MV_KIND_FREE] = "free",
};

const char *allocator__kind_name(uint32_t kind)
{
	return kind < MV_KIND_CNT ? kind_names[kind] : "?";
}

static bool is_libc_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) ||
	       (!strncmp(base, "libc-", 5) && strstr(base, ".so"));
}

const struct mv_mapping *allocator__find_libc(const struct procmaps *pm)
{
	size_t i;

	for (i = 0; i < pm->cnt; i++)
		if (pm->maps[i].path && pm->maps[i].path[0] == '/' &&
		    is_libc_name(pm->maps[i].path))
			return &pm->maps[i];
	return NULL;
}

/* A path to the library that works from memvigil's mount namespace. */
static void choose_open_path(pid_t pid, const struct mv_mapping *m, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/root%s", pid, m->path);
	if (access(buf, R_OK) == 0)
		return;
	snprintf(buf, len, "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
}

static int resolve_funcs(struct allocator *a, struct elf_file *ef)
{
	uint64_t vaddr[MV_KIND_CNT], size, off;
	uint32_t k;
	size_t i;

	a->func_cnt = 0;
	for (k = 0; k < MV_KIND_CNT; k++) {
		struct alloc_func *f;

		if (elf_file__find_symbol(ef, kind_names[k], &vaddr[k], &size) ||
		    elf_file__vaddr_to_offset(ef, vaddr[k], &off))
			continue;
		f = &a->funcs[a->func_cnt++];
		f->kind = k;
		f->entry = off;
		f->offset = off;
		snprintf(f->site_why, sizeof(f->site_why), "entry");
		f->alias_of = NULL;
		for (i = 0; i + 1 < a->func_cnt; i++) {
			if (a->funcs[i].entry == off && !a->funcs[i].alias_of) {
				f->alias_of = kind_names[a->funcs[i].kind];
				break;
			}
		}
	}
	return a->func_cnt ? 0 : -ENOENT;
}

/* The executable mapping of the same file as m (its code), or NULL. */
static const struct mv_mapping *code_mapping(const struct procmaps *pm,
					     const struct mv_mapping *m)
{
	size_t i;

	for (i = 0; i < pm->cnt; i++)
		if (pm->maps[i].perms[2] == 'x' && pm->maps[i].inode == m->inode &&
		    pm->maps[i].path && !strcmp(pm->maps[i].path, m->path))
			return &pm->maps[i];
	return NULL;
}

/* Move each probe to its cheapest equivalent site inside the code mapping. */
static void choose_sites(struct allocator *a, const struct mv_mapping *code)
{
	uint64_t len = code->end - code->start, start = code->file_offset;
	struct probe_site site;
	uint8_t *text;
	size_t i;
	int fd;

	text = malloc(len);
	fd = open(a->open_path, O_RDONLY | O_CLOEXEC);
	if (!text || fd < 0 || pread(fd, text, len, start) != (ssize_t)len)
		goto out;
	for (i = 0; i < a->func_cnt; i++) {
		struct alloc_func *f = &a->funcs[i];

		if (f->entry < start || f->entry >= start + len)
			continue;
		probe_site__choose(text + (f->entry - start), start + len - f->entry, &site);
		if (site.offset &&
		    probe_site__is_branch_target(text, len, start, f->entry + site.offset)) {
			snprintf(f->site_why, sizeof(f->site_why),
				 "entry: +%llu is a branch target", (unsigned long long)site.offset);
			continue;
		}
		f->offset = f->entry + site.offset;
		snprintf(f->site_why, sizeof(f->site_why), "%s", site.why);
	}
out:
	if (fd >= 0)
		close(fd);
	free(text);
}

int allocator__resolve(pid_t pid, struct allocator *a, bool at_entry,
		       char *err, size_t err_len)
{
	const struct mv_mapping *code;
	const struct mv_mapping *m;
	struct procmaps *pm;
	struct elf_file *ef;
	int ret;

	memset(a, 0, sizeof(*a));
	pm = procmaps__read(pid);
	if (!pm) {
		ret = -errno;
		snprintf(err, err_len, "cannot read the mappings of PID %d: %s", pid, strerror(errno));
		return ret;
	}
	m = allocator__find_libc(pm);
	if (!m) {
		snprintf(err, err_len, "PID %d maps no C library (looked for libc.so.6 in "
			 "/proc/%d/maps); statically linked programs are not supported yet", pid, pid);
		ret = -ENOENT;
		goto out;
	}
	snprintf(a->path, sizeof(a->path), "%s", m->path);
	choose_open_path(pid, m, a->open_path, sizeof(a->open_path));
	ef = elf_file__open(a->open_path);
	if (!ef) {
		ret = -errno;
		snprintf(err, err_len, "cannot read %s: %s", a->path, strerror(errno));
		goto out;
	}
	ret = resolve_funcs(a, ef);
	elf_file__free(ef);
	if (ret) {
		snprintf(err, err_len, "%s exports none of malloc, calloc, realloc, free, ...", a->path);
		goto out;
	}
	code = code_mapping(pm, m);
	if (!at_entry && code)
		choose_sites(a, code);
out:
	procmaps__free(pm);
	return ret;
}
