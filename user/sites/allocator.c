// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "memvigil/events.h"
#include "binary/elf_file.h"
#include "lib/log.h"
#include "procfs/mapped_file.h"
#include "procfs/proc_info.h"
#include "sites/alloc_family.h"
#include "sites/allocator.h"
#include "sites/linkmap.h"
#include "sites/probe_site.h"

_Static_assert(MV_KIND_CNT <= 32, "struct proc keeps probed kinds in a 32-bit mask");
_Static_assert(MV_KIND_CNT <= MV_COOKIE_KIND_MASK, "kinds must fit the cookie");

#define MAX_CANDIDATES 1024
#define LOOKED_FOR "malloc (exported from a library, or defined in the executable's symbol tables)"

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
	[MV_KIND_OPERATOR_NEW] = "operator new",
	[MV_KIND_OPERATOR_NEW_ARRAY] = "operator new[]",
	[MV_KIND_OPERATOR_DELETE] = "operator delete",
	[MV_KIND_OPERATOR_DELETE_ARRAY] = "operator delete[]",
	[MV_KIND_MALLOCX] = "mallocx",
	[MV_KIND_RALLOCX] = "rallocx",
	[MV_KIND_DALLOCX] = "dallocx",
	[MV_KIND_SDALLOCX] = "sdallocx",
	[MV_KIND_FREE_SIZED] = "free_sized",
	[MV_KIND_ZALLOC] = "zalloc",
	[MV_KIND_MALLOC_ALIGNED] = "malloc_aligned",
	[MV_KIND_REALLOCF] = "reallocf",
};

const char *allocator__kind_name(uint32_t kind)
{
	return kind < MV_KIND_CNT ? kind_names[kind] : "?";
}

const char *allocator__kind_call(uint32_t kind)
{
	if (kind == MV_KIND_ZALLOC)
		return "mi_zalloc";
	if (kind == MV_KIND_MALLOC_ALIGNED)
		return "mi_malloc_aligned";
	return allocator__kind_name(kind);
}

static const char *base_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return base ? base + 1 : path;
}

bool allocator__is_libc(const char *path)
{
	const char *base = base_name(path);

	return !strncmp(base, "libc.so", 7) ||
	       (!strncmp(base, "libc-", 5) && strstr(base, ".so"));
}

const struct mv_mapping *allocator__find_libc(const struct procmaps *pm)
{
	size_t i;

	for (i = 0; i < pm->cnt; i++)
		if (pm->maps[i].path && pm->maps[i].path[0] == '/' &&
		    allocator__is_libc(pm->maps[i].path))
			return &pm->maps[i];
	return NULL;
}

bool allocator__matches(const char *path, const char *want)
{
	return want && *want && strstr(path, want);
}

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Insertion sort: stable, and n is small. */
void allocator__order(struct alloc_candidate *c, size_t n, uint64_t interp_addr)
{
	/* without an interpreter, "distance from the top" */
	uint64_t from = interp_addr ? interp_addr : UINT64_MAX;
	struct alloc_candidate t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = c[i];
		for (j = i; j > 0; j--) {
			const struct alloc_candidate *p = &c[j - 1];
			bool before;

			if (t.is_exe || p->is_exe)
				before = t.is_exe && !p->is_exe;
			else if (t.link_rank != p->link_rank)
				before = t.link_rank < p->link_rank;
			else
				before = distance(t.lowest_addr, from) <
					 distance(p->lowest_addr, from);

			if (!before)
				break;
			c[j] = c[j - 1];
		}
		c[j] = t;
	}
}

int allocator__choose(const struct alloc_candidate *c, size_t n, bool use_override,
		      size_t *alloc_idx, size_t *cxx_idx)
{
	bool matched = false;
	size_t i;

	*alloc_idx = *cxx_idx = SIZE_MAX;
	for (i = 0; i < n && *alloc_idx == SIZE_MAX; i++) {
		if (use_override && !c[i].matches_override)
			continue;
		matched = true;
		if (c[i].defines_malloc || (use_override && c[i].defines_any))
			*alloc_idx = i;
	}
	if (*alloc_idx == SIZE_MAX)
		return !use_override ? -ENOENT : matched ? -ENOEXEC : -ENXIO;
	/* Operators of another allocator would not serve this one's heap. */
	for (i = 0; i < n; i++) {
		if (!c[i].defines_cxx || (i != *alloc_idx && c[i].defines_malloc))
			continue;
		*cxx_idx = i;
		break;
	}
	return 0;
}

/* What one object defines of the family: vaddr per alloc_family entry, 0 if none. */
struct object_syms {
	bool is_exe;
	uint64_t *vaddr;
	bool any;
};

static int note_symbol(const struct elf_sym *sym, void *ctx)
{
	struct object_syms *os = ctx;
	int i;

	/* A library's callers bind only to what it exports; a static
	 * executable's own calls reach any non-local definition. */
	if (sym->bind == STB_LOCAL || sym->hidden_version || (!sym->dynsym && !os->is_exe))
		return 0;
	i = alloc_family__find(sym->name);
	if (i < 0 || os->vaddr[i])
		return 0;
	os->vaddr[i] = sym->vaddr;
	os->any = true;
	return 0;
}

struct candidate_info {
	const struct mv_mapping *map;	/* its first mapping */
	int fd;				/* its file, or -1 (refused: see allocator.skipped) */
	uint64_t *vaddr;		/* alloc_family_cnt entries */
};

/* An ELF reader of its own on a duplicate of fd, or NULL. */
static struct elf_file *elf_of(int fd)
{
	int dup_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);

	return dup_fd < 0 ? NULL : elf_file__open_fd(dup_fd);
}

static int read_candidate(pid_t pid, struct candidate_info *ci, struct alloc_candidate *c,
			  struct allocator *a)
{
	struct object_syms os = { .is_exe = c->is_exe };
	struct elf_file *ef;
	int ret;

	ci->vaddr = calloc(alloc_family_cnt, sizeof(*ci->vaddr));
	if (!ci->vaddr)
		return -ENOMEM;
	ci->fd = mapped_file__open(pid, ci->map);
	if (ci->fd < 0) {
		if (ci->fd != -ESRCH)
			mapped_file__note_skipped(a->skipped, &a->skipped_cnt, ci->map, ci->fd);
		ci->fd = -1;
		return 0;	/* refused or gone: defines nothing */
	}
	os.vaddr = ci->vaddr;
	ef = elf_of(ci->fd);
	if (!ef)
		return 0;	/* not ELF or unreadable: defines nothing */
	ret = elf_file__for_each_func(ef, note_symbol, &os);
	elf_file__free(ef);
	c->defines_any = os.any;
	c->defines_malloc = ci->vaddr[alloc_family__find("malloc")] != 0;
	c->defines_cxx = ci->vaddr[alloc_family__find("_Znwm")] != 0;
	return ret < 0 ? ret : 0;
}

struct candidates {
	struct alloc_candidate c[MAX_CANDIDATES];
	struct candidate_info info[MAX_CANDIDATES];
	size_t n;
	bool from_link_map;	/* order read from the loader, not guessed */
};

static void candidates_free(struct candidates *cs)
{
	size_t i;

	if (!cs)
		return;
	for (i = 0; i < cs->n; i++) {
		free(cs->info[i].vaddr);
		if (cs->info[i].fd >= 0)
			close(cs->info[i].fd);
	}
	free(cs);
}

static bool same_file(const struct mv_mapping *m, const struct stat *st)
{
	return st && m->inode == st->st_ino && m->dev_major == major(st->st_dev) &&
	       m->dev_minor == minor(st->st_dev);
}

/* Rank candidates by the loader's link map; false if it could not be read. */
static bool rank_by_link_map(pid_t pid, const struct procmaps *pm, struct candidates *cs)
{
	uint64_t *dyn = calloc(LINKMAP_MAX_OBJECTS, sizeof(*dyn));
	size_t cnt = 0, k, j;
	bool ok;

	ok = dyn && linkmap__read(pid, dyn, LINKMAP_MAX_OBJECTS, &cnt) == 0;
	for (k = 0; ok && k < cnt; k++) {
		const struct mv_mapping *m = procmaps__find(pm, dyn[k]);

		for (j = 0; m && m->path && j < cs->n; j++)
			if (cs->c[j].link_rank == UINT32_MAX && !strcmp(cs->c[j].path, m->path))
				cs->c[j].link_rank = k;
	}
	free(dyn);
	return ok;
}


/* Every file mapped executable, once, read for its allocator symbols. */
static int collect_candidates(pid_t pid, const struct procmaps *pm, const char *override,
			      struct candidates *cs, struct allocator *a)
{
	char exe[PATH_MAX];
	struct stat st, *ost = NULL;
	size_t i, j;
	int ret;

	proc_info__exe(pid, exe, sizeof(exe));
	if (override && strchr(override, '/') && stat(override, &st) == 0)
		ost = &st;
	for (i = 0; i < pm->cnt && cs->n < MAX_CANDIDATES; i++) {
		const struct mv_mapping *m = &pm->maps[i];
		struct alloc_candidate *c;

		if (!m->path || m->path[0] != '/' || m->perms[2] != 'x')
			continue;
		for (j = 0; j < cs->n && strcmp(cs->c[j].path, m->path); j++)
			;
		if (j < cs->n)
			continue;
		c = &cs->c[cs->n];
		memset(c, 0, sizeof(*c));
		c->path = m->path;
		c->id = cs->n;
		c->link_rank = UINT32_MAX;
		c->is_exe = !strcmp(m->path, exe);
		c->matches_override = allocator__matches(m->path, override) || same_file(m, ost);
		cs->info[cs->n].map = m;
		cs->info[cs->n].fd = -1;
		for (j = 0; j < pm->cnt; j++)
			if (pm->maps[j].path && !strcmp(pm->maps[j].path, m->path)) {
				cs->info[cs->n].map = &pm->maps[j];
				break;
			}
		c->lowest_addr = cs->info[cs->n].map->start;
		ret = read_candidate(pid, &cs->info[cs->n], c, a);
		cs->n++;
		if (ret)
			return ret;
	}
	return 0;
}

/* Add the family functions object obj defines and the filter admits. */
static int add_funcs(struct allocator *a, uint32_t obj, const struct candidate_info *ci,
		     bool alloc_obj, bool cxx_obj)
{
	struct elf_file *ef = elf_of(ci->fd);
	uint64_t off;
	size_t i, j;

	if (!ef)
		return -errno;
	for (i = 0; i < alloc_family_cnt; i++) {
		const struct alloc_family_func *ff = &alloc_family[i];
		struct alloc_func *f;
		bool cxx = ff->flags & FAM_CXX;

		if (!ci->vaddr[i] || (cxx ? !cxx_obj : !alloc_obj) ||
		    ((ff->flags & FAM_CXX_DELETE) && !alloc_obj))
			continue;
		if (elf_file__vaddr_to_offset(ef, ci->vaddr[i], &off) ||
		    a->func_cnt == MV_ALLOCATOR_MAX_FUNCS)
			continue;
		f = &a->funcs[a->func_cnt++];
		memset(f, 0, sizeof(*f));
		f->name = ff->name;
		f->kind = ff->kind;
		f->layout = ff->layout;
		f->object = obj;
		f->leaf_free = ff->flags & FAM_LEAF_FREE;
		f->entry = f->offset = off;
		snprintf(f->site_why, sizeof(f->site_why), "entry");
		for (j = 0; j + 1 < a->func_cnt; j++) {
			const struct alloc_func *g = &a->funcs[j];

			if (g->object == obj && g->entry == off && !g->alias_of) {
				f->alias_of = g->name;
				break;
			}
		}
	}
	elf_file__free(ef);
	return 0;
}

/* The executable mapping of object path (its code), or NULL. */
static const struct mv_mapping *code_mapping(const struct procmaps *pm, const char *path)
{
	size_t i;

	for (i = 0; i < pm->cnt; i++)
		if (pm->maps[i].perms[2] == 'x' && pm->maps[i].path &&
		    !strcmp(pm->maps[i].path, path))
			return &pm->maps[i];
	return NULL;
}

/* Move each probe of object obj to its cheapest equivalent site inside its code mapping. */
static void choose_sites(struct allocator *a, uint32_t obj, const struct mv_mapping *code)
{
	uint64_t len = code->end - code->start, start = code->file_offset;
	struct probe_site site;
	uint8_t *text;
	size_t i;

	if (len > MAPPED_FILE_MAX_BYTES)
		return;
	text = malloc(len);
	if (!text || pread(a->objects[obj].fd, text, len, start) != (ssize_t)len)
		goto out;
	for (i = 0; i < a->func_cnt; i++) {
		struct alloc_func *f = &a->funcs[i];

		if (f->object != obj || f->entry < start || f->entry >= start + len)
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
	free(text);
}

static void describe_choice(struct allocator *a, const struct alloc_candidate *c, size_t n,
			    size_t ai, const char *override, bool from_link_map)
{
	size_t i, len;

	if (override)
		len = snprintf(a->why, sizeof(a->why), "--allocator=%s names %s; ", override,
			       c[ai].path);
	else if (c[ai].is_exe)
		len = snprintf(a->why, sizeof(a->why), "the executable defines malloc itself; ");
	else
		len = snprintf(a->why, sizeof(a->why), "first object in search order exporting "
			       "malloc; ");
	len += snprintf(a->why + len, sizeof(a->why) - len, "order (%s):",
			from_link_map ? "link map" : "mapping addresses");
	for (i = 0; i < n && len < sizeof(a->why); i++)
		len += snprintf(a->why + len, sizeof(a->why) - len, " %s%s", base_name(c[i].path),
				c[i].defines_malloc ? "(malloc)" : "");
}

static void describe_failure(pid_t pid, int ret, const struct alloc_candidate *c, size_t n,
			     const char *override, char *err, size_t err_len)
{
	size_t i;

	if (ret == -ENXIO) {
		snprintf(err, err_len, "PID %d maps no object matching --allocator=%s; "
			 "give a path or part of a library name that it maps (see /proc/%d/maps)",
			 pid, override, pid);
	} else if (ret == -ENOEXEC) {
		for (i = 0; i < n && !c[i].matches_override; i++)
			;
		snprintf(err, err_len, "%s (named by --allocator=%s) exports no allocator "
			 "function: looked for malloc, free, calloc, realloc, mallocx, tc_malloc, "
			 "mi_malloc, operator new, ... in its dynamic symbols",
			 i < n ? c[i].path : "?", override);
	} else if (n == 1 && c[0].is_exe) {
		snprintf(err, err_len, "PID %d is a static executable (%s) with no malloc in its "
			 "symbol tables (stripped?): looked for " LOOKED_FOR "; rebuild it "
			 "unstripped to trace it", pid, c[0].path);
	} else {
		snprintf(err, err_len, "PID %d has no allocator: no object it maps defines "
			 "malloc (looked for " LOOKED_FOR " in %zu objects)", pid, n);
	}
}

static int fill_allocator(pid_t pid, const struct procmaps *pm, struct candidates *cs,
			  size_t ai, size_t xi, struct allocator *a, bool at_entry)
{
	size_t idx[MV_ALLOCATOR_MAX_OBJECTS] = { ai, xi };
	const struct mv_mapping *code;
	uint32_t obj, cnt;
	int ret;

	(void)pid;
	cnt = xi == SIZE_MAX || xi == ai ? 1 : 2;
	for (obj = 0; obj < cnt; obj++) {
		const struct alloc_candidate *c = &cs->c[idx[obj]];
		const struct candidate_info *ci = &cs->info[c->id];
		struct alloc_object *o = &a->objects[obj];

		snprintf(o->path, sizeof(o->path), "%s", c->path);
		o->fd = ci->fd < 0 ? -1 : fcntl(ci->fd, F_DUPFD_CLOEXEC, 0);
		if (o->fd < 0)
			return ci->fd < 0 ? -ENOENT : -errno;
		mapped_file__fd_path(o->fd, o->open_path, sizeof(o->open_path));
		a->object_cnt = obj + 1;
		ret = add_funcs(a, obj, ci, obj == 0, obj == 0 ? xi == ai : true);
		if (ret)
			return ret;
		code = code_mapping(pm, c->path);
		if (!at_entry && code)
			choose_sites(a, obj, code);
	}
	return 0;
}

int allocator__resolve(pid_t pid, const char *override, struct allocator *a, bool at_entry,
		       char *err, size_t err_len)
{
	struct candidates *cs = NULL;
	struct procmaps *pm;
	size_t ai, xi;
	int ret;

	memset(a, 0, sizeof(*a));
	pm = procmaps__read(pid);
	if (!pm) {
		ret = -errno;
		snprintf(err, err_len, "cannot read the mappings of PID %d: %s", pid, strerror(errno));
		return ret;
	}
	cs = calloc(1, sizeof(*cs));
	if (!cs) {
		ret = -ENOMEM;
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	ret = collect_candidates(pid, pm, override, cs, a);
	if (ret) {
		snprintf(err, err_len, "cannot read the objects PID %d maps: %s", pid, strerror(-ret));
		goto out;
	}
	cs->from_link_map = rank_by_link_map(pid, pm, cs);
	/* AT_BASE: where the kernel mapped the program interpreter, 0 if none */
	allocator__order(cs->c, cs->n, proc_info__auxv(pid, AT_BASE));
	ret = allocator__choose(cs->c, cs->n, override != NULL, &ai, &xi);
	if (ret) {
		describe_failure(pid, ret, cs->c, cs->n, override, err, err_len);
		goto out;
	}
	describe_choice(a, cs->c, cs->n, ai, override, cs->from_link_map);
	ret = fill_allocator(pid, pm, cs, ai, xi, a, at_entry);
	if (ret)
		snprintf(err, err_len, "cannot read %s: %s", cs->c[ai].path, strerror(-ret));
	else if (!a->func_cnt)
		ret = -ENOENT;
	if (ret == -ENOENT)
		snprintf(err, err_len, "%s exports none of malloc, calloc, realloc, free, ...",
			 cs->c[ai].path);
out:
	candidates_free(cs);
	procmaps__free(pm);
	return ret;
}

void allocator__release(struct allocator *a)
{
	size_t i;

	for (i = 0; a && i < a->object_cnt; i++) {
		if (a->objects[i].fd >= 0)
			close(a->objects[i].fd);
		a->objects[i].fd = -1;
	}
}

int allocator__copy(struct allocator *a, const struct allocator *src)
{
	size_t i;
	int err;

	*a = *src;
	for (i = 0; i < src->object_cnt; i++) {
		a->objects[i].fd = fcntl(src->objects[i].fd, F_DUPFD_CLOEXEC, 0);
		if (a->objects[i].fd < 0) {
			err = -errno;
			a->object_cnt = i;
			allocator__release(a);
			return err;
		}
		mapped_file__fd_path(a->objects[i].fd, a->objects[i].open_path,
				     sizeof(a->objects[i].open_path));
	}
	return 0;
}

void allocator__identity(const struct allocator *a, uint64_t dev[2], uint64_t ino[2])
{
	struct stat st;
	size_t i;

	for (i = 0; i < 2; i++) {
		dev[i] = ino[i] = 0;
		if (i < a->object_cnt && fstat(a->objects[i].fd, &st) == 0) {
			dev[i] = st.st_dev;
			ino[i] = st.st_ino;
		}
	}
}

uint32_t allocator__kinds(const struct allocator *a)
{
	uint32_t kinds = 0;
	size_t i;

	for (i = 0; i < a->func_cnt; i++)
		kinds |= 1u << a->funcs[i].kind;
	return kinds;
}
