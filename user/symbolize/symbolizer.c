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
#include "binary/elf_file.h"
#include "lib/grow.h"
#include "procfs/mapped_file.h"
#include "procfs/procmaps.h"
#include "symbolize/demangle.h"
#include "symbolize/symbolizer.h"

#define DEBUG_DIR "/usr/lib/debug/.build-id"

/* A sorted array of pointers, searched with a key. */
struct vec {
	void **items;
	size_t cnt, cap;
};

typedef int (*vec_cmp)(const void *key, const void *item);

/* One file-backed binary, shared by every process that maps it. */
struct binary {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	int fd;			/* open until the ELF is read (then ef owns it); -1: none */
	unsigned int users;	/* mappings of captured processes that refer to it */
	bool loaded;		/* fd handed to ef (ef NULL if that failed) */
	struct elf_file *ef;
	struct elf_file *dbg;	/* separate debug file found by build-id, or NULL */
};

/* What a capture kept of one process: its mappings and their binaries. */
struct captured_proc {
	pid_t pid;
	bool gone;		/* a capture found it gone: do not re-read it on a miss */
	struct procmaps *pm;
	struct binary **bins;	/* per mapping of pm; NULL: no file behind it */
};

/* A symbol name and its demangled form (NULL: not a C++ name). */
struct cxx_name {
	char *mangled;
	char *plain;
};

struct symbolizer {
	struct vec procs;	/* struct captured_proc *, by pid */
	struct vec bins;	/* struct binary *, by device and inode */
	struct vec names;	/* char *, module names handed out, by string */
	struct vec cxx;		/* struct cxx_name *, symbol names seen, by name */
};

struct bin_key {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
};

/* Index of the first item not below key; *found tells if it equals key. */
static size_t vec_search(const struct vec *v, const void *key, vec_cmp cmp, bool *found)
{
	size_t lo = 0, hi = v->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, v->items[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < v->cnt && !cmp(key, v->items[lo]);
	return lo;
}

static int vec_insert(struct vec *v, size_t idx, void *item)
{
	void **grown;

	grown = grow__array(v->items, &v->cap, v->cnt + 1, sizeof(*grown), 16);
	if (!grown)
		return -ENOMEM;
	v->items = grown;
	memmove(&v->items[idx + 1], &v->items[idx], (v->cnt - idx) * sizeof(*v->items));
	v->items[idx] = item;
	v->cnt++;
	return 0;
}

static void vec_remove(struct vec *v, size_t idx)
{
	memmove(&v->items[idx], &v->items[idx + 1], (v->cnt - idx - 1) * sizeof(*v->items));
	v->cnt--;
}

static int cmp_pid(const void *key, const void *item)
{
	pid_t a = *(const pid_t *)key, b = ((const struct captured_proc *)item)->pid;

	return a < b ? -1 : a > b;
}

static int cmp_bin(const void *key, const void *item)
{
	const struct bin_key *k = key;
	const struct binary *b = item;

	if (k->dev_major != b->dev_major)
		return k->dev_major < b->dev_major ? -1 : 1;
	if (k->dev_minor != b->dev_minor)
		return k->dev_minor < b->dev_minor ? -1 : 1;
	return k->ino < b->ino ? -1 : k->ino > b->ino;
}

static int cmp_name(const void *key, const void *item)
{
	return strcmp(key, item);
}

static int cmp_cxx(const void *key, const void *item)
{
	return strcmp(key, ((const struct cxx_name *)item)->mangled);
}

struct symbolizer *symbolizer__new(void)
{
	return calloc(1, sizeof(struct symbolizer));
}

/* A copy of name that lives as long as sym, or NULL. */
static const char *intern(struct symbolizer *sym, const char *name)
{
	bool found;
	size_t idx = vec_search(&sym->names, name, cmp_name, &found);
	char *copy;

	if (found)
		return sym->names.items[idx];
	copy = strdup(name);
	if (!copy || vec_insert(&sym->names, idx, copy)) {
		free(copy);
		return NULL;
	}
	return copy;
}

/*
 * The demangled form of a symbol name, demangled on first sight and kept
 * as long as sym; NULL when name is not a mangled C++ name (or on ENOMEM:
 * the name is then shown as it is).
 */
static const char *demangled(struct symbolizer *sym, const char *name)
{
	struct cxx_name *c;
	bool found;
	size_t idx;

	if (strncmp(name, "_Z", 2))
		return NULL;
	idx = vec_search(&sym->cxx, name, cmp_cxx, &found);
	if (found)
		return ((struct cxx_name *)sym->cxx.items[idx])->plain;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->mangled = strdup(name)))
		goto nomem;
	c->plain = demangle__cxx(name);
	if (!c->plain && errno == ENOMEM)
		goto nomem;
	if (vec_insert(&sym->cxx, idx, c))
		goto nomem;
	return c->plain;

nomem:
	if (c) {
		free(c->mangled);
		free(c->plain);
	}
	free(c);
	return NULL;
}

static struct binary *binary__new(const struct bin_key *k)
{
	struct binary *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->ino = k->ino;
	b->dev_major = k->dev_major;
	b->dev_minor = k->dev_minor;
	b->fd = -1;
	return b;
}

static void binary__free(struct binary *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	elf_file__free(b->ef);
	elf_file__free(b->dbg);
	free(b);
}

/* The binary behind m with one more user, opened if need be; NULL if none. */
static struct binary *binary_get(struct symbolizer *sym, pid_t pid,
				 const struct mv_mapping *m)
{
	struct bin_key k = { m->inode, m->dev_major, m->dev_minor };
	struct binary *b;
	bool found;
	size_t idx;

	if (!m->inode || m->path[0] != '/')
		return NULL;
	idx = vec_search(&sym->bins, &k, cmp_bin, &found);
	if (found) {
		b = sym->bins.items[idx];
	} else {
		b = binary__new(&k);
		if (!b || vec_insert(&sym->bins, idx, b)) {
			free(b);
			return NULL;
		}
	}
	if (!b->loaded && b->fd < 0)
		b->fd = mapped_file__open(pid, m);
	if (b->fd < 0)
		b->fd = -1;
	b->users++;
	return b;
}

/* Once no captured process maps it, an unread binary's file is closed. */
static void binary_put(struct binary *b)
{
	if (!b || --b->users || b->loaded || b->fd < 0)
		return;
	close(b->fd);
	b->fd = -1;
}

/* The separate debug file of ef by its build-id, or NULL. */
static struct elf_file *open_debug_file(struct elf_file *ef)
{
	char path[sizeof(DEBUG_DIR) + 256], *p;
	const uint8_t *id;
	size_t len, i;

	if (elf_file__build_id(ef, &id, &len) || len < 2 || len > 64)
		return NULL;
	p = path + snprintf(path, sizeof(path), "%s/%02x/", DEBUG_DIR, id[0]);
	for (i = 1; i < len; i++)
		p += sprintf(p, "%02x", id[i]);
	strcpy(p, ".debug");
	return elf_file__open(path);
}

/* Read b's ELF headers (not yet its symbols) on first use. */
static int binary_load(struct binary *b)
{
	if (b->loaded)
		return b->ef ? 0 : -ENOENT;
	if (b->fd < 0)
		return -ENOENT;
	b->loaded = true;
	b->ef = elf_file__open_fd(b->fd);
	b->fd = -1;
	if (!b->ef)
		return -errno;
	b->dbg = open_debug_file(b->ef);
	return 0;
}

static int binary_find_addr(struct binary *b, uint64_t vaddr, struct elf_sym *out)
{
	if (b->dbg && !elf_file__find_addr(b->dbg, vaddr, out))
		return 0;
	return elf_file__find_addr(b->ef, vaddr, out);
}

/* Drop p's capture and its references to binaries. */
static void proc_release(struct captured_proc *p)
{
	size_t i;

	if (p->pm)
		for (i = 0; i < p->pm->cnt; i++)
			binary_put(p->bins[i]);
	procmaps__free(p->pm);
	free(p->bins);
	p->pm = NULL;
	p->bins = NULL;
}

static struct captured_proc *proc_find(struct symbolizer *sym, pid_t pid)
{
	bool found;
	size_t idx = vec_search(&sym->procs, &pid, cmp_pid, &found);

	return found ? sym->procs.items[idx] : NULL;
}

static struct captured_proc *proc_get(struct symbolizer *sym, pid_t pid)
{
	struct captured_proc *p;
	bool found;
	size_t idx = vec_search(&sym->procs, &pid, cmp_pid, &found);

	if (found)
		return sym->procs.items[idx];
	p = calloc(1, sizeof(*p));
	if (!p || vec_insert(&sym->procs, idx, p)) {
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
	p = proc_get(sym, pid);
	bins = calloc(pm->cnt, sizeof(*bins));
	if (!p || !bins) {
		free(bins);
		procmaps__free(pm);
		return -ENOMEM;
	}
	/* Take the new references first so shared files stay open. */
	for (i = 0; i < pm->cnt; i++)
		bins[i] = binary_get(sym, pid, &pm->maps[i]);
	proc_release(p);
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
	size_t idx = vec_search(&sym->bins, &k, cmp_bin, &found);

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
	p = proc_get(sym, pid);
	if (!pm->maps[0].path || !p)
		goto nomem;
	b = binary_known(sym, m);
	if (!b)
		b = binary_get(sym, pid, &pm->maps[0]);
	if (!b) {
		procmaps__free(pm);
		return -ENOENT;
	}
	proc_release(p);
	p->bins = calloc(1, sizeof(*p->bins));
	if (!p->bins) {
		binary_put(b);
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
	idx = vec_search(&sym->procs, &pid, cmp_pid, &found);
	if (!found)
		return -ENOENT;
	p = sym->procs.items[idx];
	vec_remove(&sym->procs, idx);
	p->pid = key;
	p->gone = true;
	idx = vec_search(&sym->procs, &key, cmp_pid, &found);
	return vec_insert(&sym->procs, idx, p);	/* room: one was just removed */
}

void symbolizer__forget(struct symbolizer *sym, pid_t pid)
{
	bool found;
	size_t idx = vec_search(&sym->procs, &pid, cmp_pid, &found);

	if (!found)
		return;
	proc_release(sym->procs.items[idx]);
	free(sym->procs.items[idx]);
	vec_remove(&sym->procs, idx);
}

/* The mapping of pid holding addr, re-capturing once on a miss; or NULL. */
static const struct mv_mapping *find_mapping(struct symbolizer *sym, pid_t pid,
					     uint64_t addr, struct captured_proc **pp)
{
	struct captured_proc *p = proc_find(sym, pid);
	const struct mv_mapping *m = p ? procmaps__find(p->pm, addr) : NULL;
	int err;

	if (!m && !(p && p->gone)) {
		err = symbolizer__capture(sym, pid);
		p = proc_find(sym, pid);
		if (err == -ESRCH && p)
			p->gone = true;
		m = p ? procmaps__find(p->pm, addr) : NULL;
	}
	*pp = p;
	return m;
}

/* The build-id of b (loaded) in hex, kept as long as sym; NULL if it has none. */
static const char *build_id_hex(struct symbolizer *sym, struct binary *b)
{
	char hex[2 * 64 + 1];
	const uint8_t *id;
	size_t len, i;

	if (elf_file__build_id(b->ef, &id, &len) || !len || len > 64)
		return NULL;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	return intern(sym, hex);
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
	out->module = m->path[0] ? intern(sym, m->path) : NULL;
	out->offset = addr - m->start + m->file_offset;
	out->map_start = m->start;
	out->map_end = m->end;
	out->map_offset = m->file_offset;
	out->executable = m->perms[2] == 'x';
	/* A return address: the call is the instruction before it. */
	pc = addr > m->start ? addr - 1 : addr;
	b = p->bins[m - p->pm->maps];
	if (!b || binary_load(b))
		return 0;
	out->build_id = build_id_hex(sym, b);
	if (elf_file__offset_to_vaddr(b->ef, pc - m->start + m->file_offset, &vaddr) ||
	    binary_find_addr(b, vaddr, &es))
		return 0;
	out->symbol = demangled(sym, es.name);
	if (out->symbol)
		out->mangled = es.name;
	else
		out->symbol = es.name;
	out->offset = vaddr + (addr - pc) - es.vaddr;
	return 0;
}

void symbolizer__free(struct symbolizer *sym)
{
	size_t i;

	if (!sym)
		return;
	for (i = 0; i < sym->procs.cnt; i++) {
		proc_release(sym->procs.items[i]);
		free(sym->procs.items[i]);
	}
	for (i = 0; i < sym->bins.cnt; i++)
		binary__free(sym->bins.items[i]);
	for (i = 0; i < sym->names.cnt; i++)
		free(sym->names.items[i]);
	for (i = 0; i < sym->cxx.cnt; i++) {
		struct cxx_name *c = sym->cxx.items[i];

		free(c->mangled);
		free(c->plain);
		free(c);
	}
	free(sym->cxx.items);
	free(sym->procs.items);
	free(sym->bins.items);
	free(sym->names.items);
	free(sym);
}
