// SPDX-License-Identifier: GPL-2.0
/* symbolizer_saved: the symbolizer's mappings written to a recording, and read back at replay. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "binary/elf_file.h"
#include "procfs/mapped_file.h"
#include "procfs/procmaps.h"
#include "symbolize/symbolizer_impl.h"

void symbolizer__each_mapping(struct symbolizer *sym, symbolizer_mapping_fn fn, void *ctx)
{
	struct captured_proc *p;
	struct binary *b;
	size_t i, j;

	for (i = 0; sym && i < sym->procs.cnt; i++) {
		p = sym->procs.items[i];
		for (j = 0; p->pm && j < p->pm->cnt; j++) {
			b = p->bins[j];
			fn(ctx, p->pid, &p->pm->maps[j],
			   b && !binary__load(sym, b) ? binary__build_id_hex(sym, b) : NULL);
		}
	}
}

/* Whether b, just opened on fd by path, is the recorded object; b loaded either way. */
static bool saved_is_same(struct symbolizer *sym, struct binary *b, int fd, const char *build_id)
{
	const char *now;
	struct stat st;

	if (build_id && *build_id) {
		binary__load(sym, b);
		now = b->ef ? binary__build_id_hex(sym, b) : NULL;
		return now && !strcmp(now, build_id);
	}
	if (fstat(fd, &st) || st.st_ino != b->ino || major(st.st_dev) != b->dev_major ||
	    minor(st.st_dev) != b->dev_minor)
		return false;
	/* the same file, ELF or not (a locale or gconv cache the process mapped) */
	binary__load(sym, b);
	return true;
}

/* Open m's file by its path in memvigil's root into b (new, no file yet); whether it is the recorded one. */
static bool saved_open(struct symbolizer *sym, struct binary *b, const struct mv_mapping *m,
		       const char *build_id)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = root >= 0 ? mapped_file__open_path(root, m->path) : -1;
	bool same;

	if (fd < 0) {
		if (root >= 0)
			close(root);
		b->loaded = true;	/* no file: frames stay module+offset */
		return false;
	}
	b->fd = fd;
	b->root_fd = root;
	b->root_path = strdup("/");
	b->path = strdup(m->path);
	same = saved_is_same(sym, b, fd, build_id);
	if (!same) {
		elf_file__free(b->dbg);
		elf_file__free(b->alt);
		elf_file__free(b->ef);
		b->dbg = b->alt = b->ef = NULL;
		b->loaded = true;
	}
	return same;
}

/* The binary of recorded mapping m, found or opened; NULL if none backs it. */
static struct binary *saved_binary(struct symbolizer *sym, pid_t pid, const struct mv_mapping *m,
				   const char *build_id, symbolizer_mapping_fn changed, void *ctx)
{
	struct binary *b;
	bool found;

	b = binary__of(sym, m, &found);
	if (!b)
		return NULL;
	b->users++;
	if (found)
		return b;
	if (!saved_open(sym, b, m, build_id) && changed)
		changed(ctx, pid, m, build_id);
	return b;
}

void symbolizer__set_offline(struct symbolizer *sym)
{
	sym->offline = true;
}

int symbolizer__restore(struct symbolizer *sym, pid_t pid, const struct mv_mapping *maps,
			const char *const *build_ids, size_t cnt, symbolizer_mapping_fn changed,
			void *ctx)
{
	struct procmaps *pm = calloc(1, sizeof(*pm));
	struct captured_proc *p = captured__get(sym, pid);
	size_t i;

	if (!pm || !p || !(pm->maps = calloc(cnt ? cnt : 1, sizeof(*pm->maps))))
		goto nomem;
	for (; pm->cnt < cnt; pm->cnt++) {
		pm->maps[pm->cnt] = maps[pm->cnt];
		pm->maps[pm->cnt].path = strdup(maps[pm->cnt].path ? maps[pm->cnt].path : "");
		if (!pm->maps[pm->cnt].path)
			goto nomem;
	}
	captured__release(p);
	p->bins = calloc(cnt ? cnt : 1, sizeof(*p->bins));
	if (!p->bins)
		goto nomem;
	for (i = 0; i < cnt; i++)
		p->bins[i] = saved_binary(sym, pid, &pm->maps[i], build_ids[i], changed, ctx);
	p->pm = pm;
	p->gone = true;		/* nothing more to read of it */
	return 0;

nomem:
	procmaps__free(pm);
	return -ENOMEM;
}
