// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "binary/elf_file.h"
#include "binary/x86_insn.h"
#include "lib/log.h"
#include "procfs/mapped_file.h"
#include "procfs/proc_info.h"
#include "procfs/procmaps.h"
#include "sites/map_wrappers.h"
#include "sites/syscall_site.h"

#define MAX_WRAPPER_BYTES 1024	/* longer functions are not searched for their syscall */
#define REG_RDX 2
#define REG_RSI 6
#define REG_RDI 7
#define REG_R10 10

/* What each call's record is built from, and the names its wrappers go by. */
static const struct {
	uint32_t nr;
	uint32_t regs;			/* SYSCALL_REG bits besides %rax */
	const char *names[4];
} calls[] = {
	{ SYS_mmap, SYSCALL_REG(REG_RSI) | SYSCALL_REG(REG_RDX) | SYSCALL_REG(REG_R10),
	  { "mmap64", "mmap", "__mmap", NULL } },
	{ SYS_munmap, SYSCALL_REG(REG_RDI) | SYSCALL_REG(REG_RSI), { "munmap", "__munmap", NULL } },
	{ SYS_mremap, SYSCALL_REG(REG_RDI) | SYSCALL_REG(REG_RSI) | SYSCALL_REG(REG_RDX),
	  { "mremap", "__mremap", NULL } },
	{ SYS_brk, 0, { "brk", "__brk", NULL } },
};

#define CACHE_MAX_OBJECTS 16

struct cached_object {
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	size_t cnt;
	struct map_wrapper funcs[MAP_WRAPPERS_MAX_FUNCS];
};

struct map_wrappers_cache {
	size_t cnt;
	struct cached_object objects[CACHE_MAX_OBJECTS];
};

struct map_wrappers_cache *map_wrappers_cache__new(void)
{
	return calloc(1, sizeof(struct map_wrappers_cache));
}

void map_wrappers_cache__free(struct map_wrappers_cache *c)
{
	free(c);
}

static struct cached_object *cache_find(struct map_wrappers_cache *c, const struct mv_mapping *m)
{
	size_t i;

	for (i = 0; c && i < c->cnt; i++)
		if (c->objects[i].inode == m->inode && c->objects[i].dev_major == m->dev_major &&
		    c->objects[i].dev_minor == m->dev_minor)
			return &c->objects[i];
	return NULL;
}

/* Copy object obj's wrappers (from w->funcs[first..]) into the cache. */
static void cache_add(struct map_wrappers_cache *c, const struct mv_mapping *m,
		      const struct map_wrappers *w, size_t first)
{
	struct cached_object *o;

	if (!c || c->cnt == CACHE_MAX_OBJECTS || !m->inode)
		return;
	o = &c->objects[c->cnt++];
	o->inode = m->inode;
	o->dev_major = m->dev_major;
	o->dev_minor = m->dev_minor;
	o->cnt = w->func_cnt - first;
	memcpy(o->funcs, &w->funcs[first], o->cnt * sizeof(o->funcs[0]));
}

/* Object obj's wrappers from the cache; false when it has none for that file. */
static bool from_cache(struct map_wrappers_cache *c, const struct mv_mapping *m,
		       struct map_wrappers *w, uint32_t obj)
{
	const struct cached_object *o = cache_find(c, m);
	size_t i;

	if (!o || w->func_cnt + o->cnt > MAP_WRAPPERS_MAX_FUNCS)
		return false;
	for (i = 0; i < o->cnt; i++) {
		w->funcs[w->func_cnt] = o->funcs[i];
		w->funcs[w->func_cnt++].object = obj;
	}
	return true;
}

uint64_t map_wrappers__cookie(const struct map_wrapper *f)
{
	return f->nr | (f->after_syscall ? (uint64_t)f->sp_offset << MAP_COOKIE_SP_SHIFT : 0);
}

static bool seen(const struct map_wrappers *w, uint32_t obj, uint64_t entry)
{
	size_t i;

	for (i = 0; i < w->func_cnt; i++)
		if (w->funcs[i].object == obj && w->funcs[i].entry == entry)
			return true;
	return false;
}

/* Choose f's site from the function's bytes at file offset f->entry. */
static void choose_site(int fd, uint64_t vaddr, uint64_t size, uint32_t regs,
			struct map_wrapper *f)
{
	uint8_t code[MAX_WRAPPER_BYTES];
	struct syscall_site site;
	ssize_t got;

	f->offset = f->entry;
	f->after_syscall = false;
	if (!size || size > sizeof(code)) {
		snprintf(f->why, sizeof(f->why), "entry and return: function size %llu not searched",
			 (unsigned long long)size);
		return;
	}
	got = pread(fd, code, size, f->entry);
	if (got != (ssize_t)size) {
		snprintf(f->why, sizeof(f->why), "entry and return: code not readable");
		return;
	}
	syscall_site__find(code, size, vaddr, f->nr, regs, &site);
	/* mmap's record carries a stack, which needs the return address */
	if (site.found && f->nr == SYS_mmap && site.sp_offset == SYSCALL_SITE_SP_UNKNOWN)
		snprintf(site.why, sizeof(site.why), "return address not found from the site");
	else if (site.found) {
		f->after_syscall = true;
		f->offset = f->entry + site.offset;
		f->sp_offset = site.sp_offset == SYSCALL_SITE_SP_UNKNOWN ? 0 : site.sp_offset;
		snprintf(f->why, sizeof(f->why), "%s", site.why);
		return;
	}
	snprintf(f->why, sizeof(f->why), "entry and return: %s", site.why);
}

/* Add the wrappers object obj defines; the count added, or a negative errno. */
static int add_object(struct map_wrappers *w, uint32_t obj)
{
	struct elf_file *ef;
	size_t c, k, added = 0;
	int fd = w->objects[obj].fd, ef_fd;

	ef_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);	/* one open for its symbols and its code */
	ef = ef_fd < 0 ? NULL : elf_file__open_fd(ef_fd);
	if (!ef)
		return -errno;
	for (c = 0; c < sizeof(calls) / sizeof(calls[0]); c++) {
		for (k = 0; calls[c].names[k]; k++) {
			uint64_t vaddr, size, off;
			struct map_wrapper *f;

			if (elf_file__find_symbol(ef, calls[c].names[k], &vaddr, &size) ||
			    elf_file__vaddr_to_offset(ef, vaddr, &off) || seen(w, obj, off) ||
			    w->func_cnt == MAP_WRAPPERS_MAX_FUNCS)
				continue;
			f = &w->funcs[w->func_cnt++];
			memset(f, 0, sizeof(*f));
			f->name = calls[c].names[k];
			f->nr = calls[c].nr;
			f->object = obj;
			f->entry = off;
			choose_site(fd, vaddr, size, calls[c].regs, f);
			added++;
		}
	}
	elf_file__free(ef);
	return (int)added;
}

/* The mapping of the file at path in pm (first one), or NULL. */
static const struct mv_mapping *mapping_of(const struct procmaps *pm, const char *path)
{
	size_t i;

	for (i = 0; i < pm->cnt; i++)
		if (pm->maps[i].path && !strcmp(pm->maps[i].path, path))
			return &pm->maps[i];
	return NULL;
}

/* Open m's file as the next object; 0, or a negative errno or refusal. */
static int set_object(struct map_wrappers *w, pid_t pid, const struct mv_mapping *m)
{
	struct alloc_object *o = &w->objects[w->object_cnt];
	int fd = mapped_file__open(pid, m);

	if (fd < 0) {
		if (fd != -ESRCH)
			mapped_file__note_skipped(w->skipped, &w->skipped_cnt, m, fd);
		return fd;
	}
	snprintf(o->path, sizeof(o->path), "%s", m->path);
	o->fd = fd;
	mapped_file__fd_path(fd, o->open_path, sizeof(o->open_path));
	w->object_cnt++;
	return 0;
}

void map_wrappers__release(struct map_wrappers *w)
{
	size_t i;

	for (i = 0; w && i < w->object_cnt; i++) {
		if (w->objects[i].fd >= 0)
			close(w->objects[i].fd);
		w->objects[i].fd = -1;
	}
}

int map_wrappers__resolve(pid_t pid, const char *interposer, struct map_wrappers_cache *cache,
			  struct map_wrappers *w, char *err, size_t err_len)
{
	const struct mv_mapping *base, *extra = NULL, *maps[MAP_WRAPPERS_MAX_OBJECTS];
	char exe[PATH_MAX];
	struct procmaps *pm;
	uint32_t obj;
	int ret = 0;

	memset(w, 0, sizeof(*w));
	pm = procmaps__read(pid);
	if (!pm) {
		ret = -errno;
		snprintf(err, err_len, "cannot read the mappings of PID %d: %s", pid, strerror(-ret));
		return ret;
	}
	base = allocator__find_libc(pm);
	if (!base) {	/* a static program, or a C library memvigil does not know */
		proc_info__exe(pid, exe, sizeof(exe));
		base = exe[0] ? mapping_of(pm, exe) : NULL;
	}
	if (interposer && (!base || strcmp(interposer, base->path)))
		extra = mapping_of(pm, interposer);
	for (obj = 0; obj < 2 && !ret; obj++) {
		const struct mv_mapping *m = obj ? extra : base;

		maps[w->object_cnt] = m;
		ret = m ? set_object(w, pid, m) : 0;
		if (ret)
			snprintf(err, err_len, "cannot read %s: %s", m->path,
				 mapped_file__strerror(ret));
	}
	if (ret)
		goto out;
	for (obj = 0; obj < w->object_cnt; obj++) {
		size_t first = w->func_cnt;

		if (from_cache(cache, maps[obj], w, obj))
			continue;
		ret = add_object(w, obj);
		if (ret >= 0)
			cache_add(cache, maps[obj], w, first);
		if (ret < 0) {
			snprintf(err, err_len, "cannot read %s: %s", w->objects[obj].path,
				 strerror(-ret));
			goto out;
		}
	}
	ret = 0;
	if (!w->func_cnt) {
		ret = -ENOENT;
		snprintf(err, err_len, "PID %d: no mmap, munmap, mremap or brk wrapper found in %s",
			 pid, base ? base->path : "its C library or executable");
	}
out:
	procmaps__free(pm);
	return ret;
}
