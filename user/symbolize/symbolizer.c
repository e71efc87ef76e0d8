// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "binary/elf_debug.h"
#include "binary/elf_file.h"
#include "lib/grow.h"
#include "procfs/mapped_file.h"
#include "procfs/procmaps.h"
#include "symbolize/debug_files.h"
#include "symbolize/dwarf_cache.h"
#include "symbolize/name_store.h"
#include "symbolize/sorted_vec.h"
#include "symbolize/symbolizer.h"
#include "symbolize/symbolizer_impl.h"

static int cmp_pid(const void *key, const void *item)
{
	pid_t a = *(const pid_t *)key, b = ((const struct captured_proc *)item)->pid;

	return a < b ? -1 : a > b;
}

int symbolizer__cmp_bin(const void *key, const void *item)
{
	const struct bin_key *k = key;
	const struct binary *b = item;

	if (k->dev_major != b->dev_major)
		return k->dev_major < b->dev_major ? -1 : 1;
	if (k->dev_minor != b->dev_minor)
		return k->dev_minor < b->dev_minor ? -1 : 1;
	return k->ino < b->ino ? -1 : k->ino > b->ino;
}

struct symbolizer *symbolizer__new(void)
{
	struct symbolizer *sym = calloc(1, sizeof(*sym));

	if (!sym)
		return NULL;
	sym->names = name_store__new();
	sym->debug = debug_files__new();
	sym->dwarf = dwarf_cache__new();
	if (!sym->names || !sym->debug || !sym->dwarf) {
		symbolizer__free(sym);
		return NULL;
	}
	return sym;
}


struct binary *binary__new(const struct bin_key *k)
{
	struct binary *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->ino = k->ino;
	b->dev_major = k->dev_major;
	b->dev_minor = k->dev_minor;
	b->fd = -1;
	b->root_fd = -1;
	return b;
}

/* The root b's debug files are looked up in, no longer needed once it is loaded. */
static void binary_drop_root(struct binary *b)
{
	if (b->root_fd >= 0)
		close(b->root_fd);
	b->root_fd = -1;
	free(b->root_path);
	free(b->path);
	b->root_path = b->path = NULL;
}

static void binary__free(struct binary *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	binary_drop_root(b);
	elf_file__free(b->ef);
	elf_file__free(b->dbg);
	elf_file__free(b->alt);
	free(b);
}

/* Keep pid's root and b's path there for its debug files (none on failure). */
static void binary_keep_root(struct binary *b, pid_t pid, const char *path)
{
	char root[PATH_MAX];

	binary_drop_root(b);
	b->root_fd = mapped_file__open_root(pid);
	if (b->root_fd < 0 || mapped_file__root_path(pid, root, sizeof(root)))
		goto fail;
	b->root_path = strdup(root);
	b->path = strdup(path);
	if (b->root_path && b->path)
		return;
fail:
	binary_drop_root(b);
}

struct binary *binary__of(struct symbolizer *sym, const struct mv_mapping *m, bool *found)
{
	struct bin_key k = { m->inode, m->dev_major, m->dev_minor };
	struct binary *b;
	size_t idx;

	*found = false;
	if (!m->inode || m->path[0] != '/')
		return NULL;
	idx = sorted_vec__search(&sym->bins, &k, symbolizer__cmp_bin, found);
	if (*found)
		return sym->bins.items[idx];
	b = binary__new(&k);
	if (!b || sorted_vec__insert(&sym->bins, idx, b)) {
		free(b);
		return NULL;
	}
	return b;
}

/* The binary behind m with one more user, opened if need be; NULL if none. */
static struct binary *binary_get(struct symbolizer *sym, pid_t pid,
				 const struct mv_mapping *m)
{
	struct binary *b;
	bool found;

	b = binary__of(sym, m, &found);
	if (!b)
		return NULL;
	if (!b->loaded && b->fd < 0) {
		b->fd = mapped_file__open(pid, m);
		if (b->fd >= 0)
			binary_keep_root(b, pid, m->path);
	}
	if (b->fd < 0)
		b->fd = -1;
	b->users++;
	return b;
}

/* Once no captured process maps it, an unread binary's file is closed. */
void binary__put(struct binary *b)
{
	if (!b || --b->users || b->loaded || b->fd < 0)
		return;
	close(b->fd);
	b->fd = -1;
	binary_drop_root(b);
}

/* Read b's ELF headers (not yet its symbols) on first use, and find its debug file. */
int binary__load(struct symbolizer *sym, struct binary *b)
{
	struct debug_object obj = { NULL, NULL, -1, NULL };

	if (b->loaded)
		return b->ef ? 0 : -ENOENT;
	if (b->fd < 0)
		return -ENOENT;
	b->loaded = true;
	b->ef = elf_file__open_fd(b->fd);
	b->fd = -1;
	if (!b->ef) {
		binary_drop_root(b);
		return -errno;
	}
	obj.ef = b->ef;
	if (b->path) {
		obj.path = b->path;
		obj.root_fd = b->root_fd;
		obj.root_path = b->root_path;
	}
	b->dbg = debug_files__find(sym->debug, &obj, &b->src, &b->alt);
	binary_drop_root(b);
	return 0;
}

/*
 * A loaded b with no debug information of its own or found locally: from
 * debuginfod, asked once; until the answer comes (or, once settled, waited
 * for) b is named by what it has.
 */
static void binary_fetch(struct symbolizer *sym, struct binary *b)
{
	struct debug_object obj = { b->ef, NULL, -1, NULL };
	bool pending;

	if (b->fetched || b->dbg || elf_debug__has_dwarf(b->ef))
		return;
	b->dbg = debug_files__fetch(sym->debug, &obj, sym->settled, &pending);
	b->fetched = !pending;
	if (b->dbg)
		b->src = DEBUG_SOURCE_DEBUGINFOD;
}

static int binary_find_addr(struct binary *b, uint64_t vaddr, struct elf_sym *out)
{
	if (b->dbg && !elf_file__find_addr(b->dbg, vaddr, out))
		return 0;
	return elf_file__find_addr(b->ef, vaddr, out);
}

/* Drop p's capture and its references to binaries. */
void captured__release(struct captured_proc *p)
{
	size_t i;

	if (p->pm)
		for (i = 0; i < p->pm->cnt; i++)
			binary__put(p->bins[i]);
	procmaps__free(p->pm);
	free(p->bins);
	p->pm = NULL;
	p->bins = NULL;
}

static struct captured_proc *proc_find(struct symbolizer *sym, pid_t pid)
{
	bool found;
	size_t idx = sorted_vec__search(&sym->procs, &pid, cmp_pid, &found);

	return found ? sym->procs.items[idx] : NULL;
}

struct captured_proc *captured__get(struct symbolizer *sym, pid_t pid)
{
	struct captured_proc *p;
	bool found;
	size_t idx = sorted_vec__search(&sym->procs, &pid, cmp_pid, &found);

	if (found)
		return sym->procs.items[idx];
	p = calloc(1, sizeof(*p));
	if (!p || sorted_vec__insert(&sym->procs, idx, p)) {
		free(p);
		return NULL;
	}
	p->pid = pid;
	return p;
}

int symbolizer__capture(struct symbolizer *sym, pid_t pid)
{
	struct binary **bins;
	struct procmaps *pm;
	struct captured_proc *p;
	size_t i;

	pm = procmaps__read(pid);
	if (!pm)
		return -errno;
	/* A zombie lists no mappings: keep what an earlier capture saw. */
	if (!pm->cnt) {
		procmaps__free(pm);
		return -ESRCH;
	}
	p = captured__get(sym, pid);
	bins = calloc(pm->cnt, sizeof(*bins));
	if (!p || !bins) {
		free(bins);
		procmaps__free(pm);
		return -ENOMEM;
	}
	/* Take the new references first so shared files stay open. */
	for (i = 0; i < pm->cnt; i++)
		bins[i] = binary_get(sym, pid, &pm->maps[i]);
	captured__release(p);
	p->pm = pm;
	p->bins = bins;
	p->gone = false;
	return 0;
}

/* The binary with m's device and inode if one is open, with one more user. */
static struct binary *binary_known(struct symbolizer *sym, const struct mv_mapping *m)
{
	struct bin_key k = { m->inode, m->dev_major, m->dev_minor };
	struct binary *b;
	bool found;
	size_t idx = sorted_vec__search(&sym->bins, &k, symbolizer__cmp_bin, &found);

	if (!found)
		return NULL;
	b = sym->bins.items[idx];
	if (!b->loaded && b->fd < 0)
		return NULL;
	b->users++;
	return b;
}

int symbolizer__capture_mapping(struct symbolizer *sym, pid_t pid, const struct mv_mapping *m)
{
	struct procmaps *pm = calloc(1, sizeof(*pm));
	struct binary *b;
	struct captured_proc *p;

	if (!pm || !(pm->maps = calloc(1, sizeof(*pm->maps))))
		goto nomem;
	pm->maps[0] = *m;
	pm->maps[0].path = strdup(m->path ? m->path : "");
	pm->cnt = 1;
	p = captured__get(sym, pid);
	if (!pm->maps[0].path || !p)
		goto nomem;
	b = binary_known(sym, m);
	if (!b)
		b = binary_get(sym, pid, &pm->maps[0]);
	if (!b) {
		procmaps__free(pm);
		return -ENOENT;
	}
	captured__release(p);
	p->bins = calloc(1, sizeof(*p->bins));
	if (!p->bins) {
		binary__put(b);
		procmaps__free(pm);
		return -ENOMEM;
	}
	p->bins[0] = b;
	p->pm = pm;
	p->gone = true;		/* nothing more to read of it */
	return 0;

nomem:
	procmaps__free(pm);
	return -ENOMEM;
}

int symbolizer__rekey(struct symbolizer *sym, pid_t pid, pid_t key)
{
	struct captured_proc *p;
	bool found;
	size_t idx;

	if (proc_find(sym, key))
		return -EEXIST;
	idx = sorted_vec__search(&sym->procs, &pid, cmp_pid, &found);
	if (!found)
		return -ENOENT;
	p = sym->procs.items[idx];
	sorted_vec__remove(&sym->procs, idx);
	p->pid = key;
	p->gone = true;
	idx = sorted_vec__search(&sym->procs, &key, cmp_pid, &found);
	return sorted_vec__insert(&sym->procs, idx, p);	/* room: one was just removed */
}

void symbolizer__forget(struct symbolizer *sym, pid_t pid)
{
	bool found;
	size_t idx = sorted_vec__search(&sym->procs, &pid, cmp_pid, &found);

	if (!found)
		return;
	captured__release(sym->procs.items[idx]);
	free(sym->procs.items[idx]);
	sorted_vec__remove(&sym->procs, idx);
}

/* The mapping of pid holding addr, re-capturing once on a miss; or NULL. */
static const struct mv_mapping *find_mapping(struct symbolizer *sym, pid_t pid,
					     uint64_t addr, struct captured_proc **pp)
{
	struct captured_proc *p = proc_find(sym, pid);
	const struct mv_mapping *m = p ? procmaps__find(p->pm, addr) : NULL;
	int err;

	if (!m && !(p && p->gone) && !sym->offline) {
		err = symbolizer__capture(sym, pid);
		p = proc_find(sym, pid);
		if (err == -ESRCH && p)
			p->gone = true;
		m = p ? procmaps__find(p->pm, addr) : NULL;
	}
	*pp = p;
	return m;
}

/*
 * File and line of vaddr in b, and the functions inlined there, from the
 * DWARF of its debug file or of the object itself.
 */
static void add_lines(struct symbolizer *sym, struct binary *b, uint64_t vaddr,
		      struct mv_symbol *out)
{
	struct src_frame f[DWARF_LINES_MAX_FRAMES];
	struct dwarf_lines *dl;
	struct mv_inlined *in;
	int n, i;

	if (elf_debug__has_dwarf(b->ef) || !b->dbg)
		dl = dwarf_cache__get(sym->dwarf, b, b->ef, NULL);
	else
		dl = dwarf_cache__get(sym->dwarf, b, b->dbg, b->alt);
	n = dl ? dwarf_lines__find(dl, vaddr, f, DWARF_LINES_MAX_FRAMES) : -ENOENT;
	if (n <= 0)
		return;
	out->file = f[n - 1].file ? name_store__intern(sym->names, f[n - 1].file) : NULL;
	out->line = f[n - 1].line;
	out->start_line = f[n - 1].decl_line;
	for (i = 0; i < n - 1; i++) {
		in = &sym->inlined[i];
		name_store__forms(sym->names, f[i].func, &in->symbol, &in->mangled);
		in->file = f[i].file ? name_store__intern(sym->names, f[i].file) : NULL;
		in->line = f[i].line;
		in->start_line = f[i].decl_line;
	}
	out->inlined = sym->inlined;
	out->inlined_cnt = n - 1;
}

/* The build-id of b (loaded) in hex, kept as long as sym; NULL if it has none. */
const char *binary__build_id_hex(struct symbolizer *sym, struct binary *b)
{
	char hex[2 * 64 + 1];
	const uint8_t *id;
	size_t len, i;

	if (elf_file__build_id(b->ef, &id, &len) || !len || len > 64)
		return NULL;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	return name_store__intern(sym->names, hex);
}

int symbolizer__resolve(struct symbolizer *sym, pid_t pid, uint64_t addr,
			struct mv_symbol *out)
{
	const struct mv_mapping *m;
	uint64_t pc, vaddr;
	struct elf_sym es;
	struct binary *b;
	struct captured_proc *p;

	memset(out, 0, sizeof(*out));
	m = find_mapping(sym, pid, addr, &p);
	if (!m)
		return -ENOENT;
	out->module = m->path[0] ? name_store__intern(sym->names, m->path) : NULL;
	out->offset = addr - m->start + m->file_offset;
	out->map_start = m->start;
	out->map_end = m->end;
	out->map_offset = m->file_offset;
	out->executable = m->perms[2] == 'x';
	/* A return address: the call is the instruction before it. */
	pc = addr > m->start ? addr - 1 : addr;
	b = p->bins[m - p->pm->maps];
	if (!b || binary__load(sym, b))
		return 0;
	out->build_id = binary__build_id_hex(sym, b);
	binary_fetch(sym, b);
	if (elf_file__offset_to_vaddr(b->ef, pc - m->start + m->file_offset, &vaddr) ||
	    binary_find_addr(b, vaddr, &es))
		return 0;
	out->symbol = name_store__demangled(sym->names, es.name);
	if (out->symbol)
		out->mangled = es.name;
	else
		out->symbol = es.name;
	out->offset = vaddr + (addr - pc) - es.vaddr;
	add_lines(sym, b, vaddr, out);
	return 0;
}

void symbolizer__settle(struct symbolizer *sym)
{
	if (sym)
		sym->settled = true;
}

uint64_t symbolizer__debug_files_skipped(struct symbolizer *sym)
{
	size_t i;

	if (!sym)
		return 0;
	for (i = 0; i < sym->bins.cnt; i++)
		binary__load(sym, sym->bins.items[i]);
	return debug_files__skipped(sym->debug);
}

void symbolizer__free(struct symbolizer *sym)
{
	size_t i;

	if (!sym)
		return;
	for (i = 0; i < sym->procs.cnt; i++) {
		captured__release(sym->procs.items[i]);
		free(sym->procs.items[i]);
	}
	dwarf_cache__free(sym->dwarf);
	debug_files__free(sym->debug);
	for (i = 0; i < sym->bins.cnt; i++)
		binary__free(sym->bins.items[i]);
	name_store__free(sym->names);
	free(sym->procs.items);
	free(sym->bins.items);
	free(sym);
}
