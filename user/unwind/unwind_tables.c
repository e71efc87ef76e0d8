// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/grow.h"
#include "lib/log.h"
#include "procfs/mapped_file.h"
#include "unwind/object_facts.h"
#include "unwind/row_ranges.h"
#include "unwind/unwind_tables.h"

/* An object: the facts its files share, and its table. */
struct object {
	struct object_facts facts;	/* of the first file; each other file's are the same */
	uint32_t id;			/* 0: refused */
	enum unwind_refusal refusal;
	uint32_t first_row, row_cnt;
	uint64_t base_vaddr;		/* the ELF vaddr of row pc 0 */
	uint32_t refs;			/* processes mapping it, through any of its files */
	uint32_t files;			/* file keys naming it */
};

/*
 * A file (device and inode) known to hold an object. Several files hold
 * one object when they carry its build id: the same library in several
 * containers' image layers.
 */
struct file_key {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	uint32_t refs;			/* processes mapping the object through this file */
	struct object *obj;
};

struct proc_refs {
	pid_t pid;
	struct file_key **keys;
	size_t cnt;
};

struct unwind_tables {
	struct unwind_sink sink;
	struct row_ranges *rows;
	struct object **objs;
	size_t obj_cnt, obj_cap;
	struct file_key **keys;
	size_t key_cnt, key_cap;
	struct object *by_id[UNWIND_MAX_OBJECTS];	/* [0] unused */
	struct proc_refs *procs;
	size_t proc_cnt, proc_cap;
	struct unwind_tables_stats stats;
	bool loud;
};

const char *unwind_tables__refusal_name(enum unwind_refusal r)
{
	static const char *const names[] = {
		[UNWIND_REFUSED_OPEN] = "open",
		[UNWIND_REFUSED_NO_CFI] = "no_cfi",
		[UNWIND_REFUSED_BAD] = "bad",
		[UNWIND_REFUSED_FULL] = "full",
	};

	return r < UNWIND_REFUSED_CNT ? names[r] : "?";
}

struct unwind_tables *unwind_tables__new(uint32_t row_cap, const struct unwind_sink *sink)
{
	struct unwind_tables *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sink = *sink;
	t->rows = row_ranges__new(row_cap);
	if (!t->rows) {
		free(t);
		return NULL;
	}
	return t;
}

void unwind_tables__free(struct unwind_tables *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->obj_cnt; i++)
		free(t->objs[i]);
	for (i = 0; i < t->key_cnt; i++)
		free(t->keys[i]);
	for (i = 0; i < t->proc_cnt; i++)
		free(t->procs[i].keys);
	free(t->objs);
	free(t->keys);
	free(t->procs);
	row_ranges__free(t->rows);
	free(t);
}

void unwind_tables__set_loud(struct unwind_tables *t, bool loud)
{
	t->loud = loud;
}

static void object_refuse(struct unwind_tables *t, struct object *o, enum unwind_refusal why,
			  const struct mv_mapping *m, int err)
{
	o->id = 0;
	o->refusal = why;
	t->stats.refused[why]++;
	if (why == UNWIND_REFUSED_OPEN)
		return;	/* a file refused to be opened is said once, where it was refused */
	if (t->loud)
		log_warn("unwind: no table for %s (%s: %s): its frames are walked by frame pointers",
			 m->path, unwind_tables__refusal_name(why), strerror(err < 0 ? -err : err));
	else
		log_info("unwind: no table for %s (%s)", m->path, unwind_tables__refusal_name(why));
}

/* Free o, its id and its rows (the sink told first, so no walk reads them). */
static void object_destroy(struct unwind_tables *t, struct object *o)
{
	if (o->id) {
		t->sink.put_object(t->sink.ctx, o->id, o->first_row, NULL, 0);
		row_ranges__release(t->rows, o->first_row, o->row_cnt);
		t->by_id[o->id] = NULL;
		t->stats.objects--;
	}
	free(o);
}

/* Forget the file keys that name o (no process maps o through them). */
static void keys_drop_of(struct unwind_tables *t, const struct object *o)
{
	size_t i, kept = 0;

	for (i = 0; i < t->key_cnt; i++) {
		if (t->keys[i]->obj == o)
			free(t->keys[i]);
		else
			t->keys[kept++] = t->keys[i];
	}
	t->key_cnt = kept;
}

/*
 * Drop what no process maps (but keep), so its rows can serve another
 * object; refusals other than for room stay known.
 */
static void evict_unmapped(struct unwind_tables *t, const struct object *keep)
{
	size_t i, kept = 0;

	for (i = 0; i < t->obj_cnt; i++) {
		struct object *o = t->objs[i];

		if (o == keep || o->refs || (o->id == 0 && o->refusal != UNWIND_REFUSED_FULL)) {
			t->objs[kept++] = o;
			continue;
		}
		keys_drop_of(t, o);
		object_destroy(t, o);
	}
	t->obj_cnt = kept;
}

static uint32_t free_id(const struct unwind_tables *t)
{
	uint32_t id;

	for (id = 1; id < UNWIND_MAX_OBJECTS; id++)
		if (!t->by_id[id])
			return id;
	return 0;
}

/* Room and an id for table, its rows handed to the sink. */
static int object_place(struct unwind_tables *t, struct object *o, const struct cfi_table *table)
{
	size_t cnt;
	const struct unwind_row *rows = cfi_table__rows(table, &cnt);
	uint32_t id = free_id(t);
	int err;

	err = id ? row_ranges__alloc(t->rows, (uint32_t)cnt, &o->first_row) : -ENOSPC;
	if (err == -ENOSPC) {
		evict_unmapped(t, o);
		id = free_id(t);
		err = id ? row_ranges__alloc(t->rows, (uint32_t)cnt, &o->first_row) : -ENOSPC;
	}
	if (err)
		return err;
	err = t->sink.put_object(t->sink.ctx, id, o->first_row, rows, (uint32_t)cnt);
	if (err) {
		row_ranges__release(t->rows, o->first_row, (uint32_t)cnt);
		return err;
	}
	o->id = id;
	o->row_cnt = (uint32_t)cnt;
	o->base_vaddr = cfi_table__base_vaddr(table);
	t->by_id[id] = o;
	t->stats.objects++;
	return 0;
}

/* Build o's table from fd and place it, or refuse o. */
static void object_build(struct unwind_tables *t, struct object *o, int fd,
			 const struct mv_mapping *m)
{
	struct cfi_table *table = NULL;
	uint64_t t0 = clock__mono_ns();
	int err;

	err = cfi_table__build_fd(fd, -1, &table);
	t->stats.build_ns += clock__mono_ns() - t0;
	if (err) {
		object_refuse(t, o, err == -ENOENT ? UNWIND_REFUSED_NO_CFI : UNWIND_REFUSED_BAD, m,
			      err);
		return;
	}
	t->stats.tables_built++;
	err = object_place(t, o, table);
	if (err)
		object_refuse(t, o, err == -ENOSPC ? UNWIND_REFUSED_FULL : UNWIND_REFUSED_BAD, m, err);
	else
		log_debug("unwind: %s: %zu rows at %u (object %u)", m->path,
			  cfi_table__row_cnt(table), o->first_row, o->id);
	cfi_table__free(table);
}

/*
 * A known object the facts name by build id: one with a table, or refused
 * for what its content is (not for room, which may be found later).
 */
static struct object *object_by_build_id(const struct unwind_tables *t,
					 const struct object_facts *facts)
{
	size_t i;

	if (!facts->build_id_len)
		return NULL;
	for (i = 0; i < t->obj_cnt; i++)
		if (object_facts__same(&t->objs[i]->facts, facts) && (t->objs[i]->id ||
		    t->objs[i]->refusal == UNWIND_REFUSED_NO_CFI ||
		    t->objs[i]->refusal == UNWIND_REFUSED_BAD))
			return t->objs[i];
	return NULL;
}

static struct file_key *key_find(const struct unwind_tables *t, const struct mv_mapping *m,
				 size_t *idx)
{
	size_t i;

	for (i = 0; i < t->key_cnt; i++) {
		struct file_key *k = t->keys[i];

		if (k->ino == m->inode && k->dev_major == m->dev_major &&
		    k->dev_minor == m->dev_minor) {
			*idx = i;
			return k;
		}
	}
	return NULL;
}

/* Forget key idx (nobody maps through it); its object goes with its last key. */
static void key_drop(struct unwind_tables *t, size_t idx)
{
	struct file_key *k = t->keys[idx];
	struct object *o = k->obj;
	size_t i;

	t->keys[idx] = t->keys[--t->key_cnt];
	free(k);
	if (--o->files || o->refs)
		return;
	for (i = 0; i < t->obj_cnt && t->objs[i] != o; i++)
		;
	t->objs[i] = t->objs[--t->obj_cnt];
	object_destroy(t, o);
}

/* A key naming o for m's file; NULL without memory. */
static struct file_key *key_add(struct unwind_tables *t, const struct mv_mapping *m,
				struct object *o)
{
	struct file_key **keys = grow__array(t->keys, &t->key_cap, t->key_cnt + 1,
					     sizeof(*keys), 16);
	struct file_key *k = malloc(sizeof(*k));

	if (!keys || !k) {
		free(k);
		if (keys)
			t->keys = keys;
		return NULL;
	}
	t->keys = keys;
	*k = (struct file_key){ .ino = m->inode, .dev_major = m->dev_major,
				.dev_minor = m->dev_minor, .obj = o };
	t->keys[t->key_cnt++] = k;
	o->files++;
	return k;
}

/* A new object of facts, its table built from fd (or refused: fd < 0). */
static struct object *object_add(struct unwind_tables *t, const struct object_facts *facts,
				 int fd, const struct mv_mapping *m)
{
	struct object **objs = grow__array(t->objs, &t->obj_cap, t->obj_cnt + 1,
					   sizeof(*objs), 16);
	struct object *o = malloc(sizeof(*o));

	if (!objs || !o) {
		free(o);
		if (objs)
			t->objs = objs;
		return NULL;
	}
	t->objs = objs;
	*o = (struct object){ .facts = *facts };
	t->objs[t->obj_cnt++] = o;
	if (fd < 0)
		object_refuse(t, o, UNWIND_REFUSED_OPEN, m, fd);
	else
		object_build(t, o, fd, m);
	return o;
}

/* The facts of m's file into *facts: an open descriptor, or a negative errno. */
static int file_facts(pid_t pid, const struct mv_mapping *m, struct object_facts *facts)
{
	int fd = mapped_file__open(pid, m);

	if (fd >= 0 && object_facts__read(fd, facts)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/*
 * The key of m's file, and through it its object. A file some process maps
 * is trusted as known; one that nobody maps now is checked against its
 * object (its inode may belong to another file by now). A file not known
 * yet joins the object of its build id when there is one, so one table
 * serves every copy. NULL only without memory.
 */
static struct file_key *file_key_of(struct unwind_tables *t, pid_t pid,
				    const struct mv_mapping *m)
{
	struct object_facts facts = {};
	struct file_key *k;
	struct object *o;
	size_t idx;
	int fd;

	k = key_find(t, m, &idx);
	if (k && k->refs)
		return k;
	fd = file_facts(pid, m, &facts);
	if (k && (fd < 0 || object_facts__same(&k->obj->facts, &facts))) {
		if (fd >= 0)
			close(fd);
		return k;
	}
	if (k)
		key_drop(t, idx);
	o = fd >= 0 ? object_by_build_id(t, &facts) : NULL;
	if (o) {
		t->stats.tables_shared++;
		log_debug("unwind: %s: the table of build id %02x%02x... serves it", m->path,
			  o->facts.build_id[0], o->facts.build_id[1]);
	} else {
		o = object_add(t, &facts, fd, m);
	}
	if (fd >= 0)
		close(fd);
	return o ? key_add(t, m, o) : NULL;
}

static struct proc_refs *proc_refs_of(struct unwind_tables *t, pid_t pid, bool create)
{
	struct proc_refs *p;
	size_t i;

	for (i = 0; i < t->proc_cnt; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	if (!create)
		return NULL;
	p = grow__array(t->procs, &t->proc_cap, t->proc_cnt + 1, sizeof(*p), 16);
	if (!p)
		return NULL;
	t->procs = p;
	p = &t->procs[t->proc_cnt++];
	*p = (struct proc_refs){ .pid = pid };
	return p;
}

static void refs_release(struct file_key **keys, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++) {
		keys[i]->refs--;
		keys[i]->obj->refs--;
	}
}

/* Take a reference on k (and its object) for the list being built, once per key. */
static int refs_take(struct file_key ***keys, size_t *cnt, size_t *cap, struct file_key *k)
{
	struct file_key **a;
	size_t i;

	for (i = 0; i < *cnt; i++)
		if ((*keys)[i] == k)
			return 0;
	a = grow__array(*keys, cap, *cnt + 1, sizeof(*a), 8);
	if (!a)
		return -ENOMEM;
	*keys = a;
	a[(*cnt)++] = k;
	k->refs++;
	k->obj->refs++;
	return 0;
}

/* One executable mapping of the list; 0 or -ENOMEM. */
static int add_mapping(struct unwind_tables *t, pid_t pid, const struct mv_mapping *m,
		       struct unwind_mapping *um, struct file_key ***keys, size_t *cnt, size_t *cap)
{
	struct file_key *k;
	struct object *o;
	uint64_t vaddr;

	*um = (struct unwind_mapping){ .start = m->start, .end = m->end };
	/* anonymous code (JIT) and the vDSO: no table, frame pointers */
	if (!m->inode || m->path[0] != '/')
		return 0;
	k = file_key_of(t, pid, m);
	if (!k || refs_take(keys, cnt, cap, k))
		return -ENOMEM;
	o = k->obj;
	if (!o->id || object_facts__vaddr(&o->facts, m->file_offset, &vaddr))
		return 0;
	um->obj_id = o->id;
	um->row_base = m->start - vaddr + o->base_vaddr;
	return 0;
}

int unwind_tables__proc(struct unwind_tables *t, pid_t pid, const struct procmaps *pm,
			struct unwind_proc *out)
{
	struct file_key **keys = NULL;
	size_t cnt = 0, cap = 0, i;
	struct proc_refs *p;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < pm->cnt && !err; i++) {
		const struct mv_mapping *m = &pm->maps[i];

		if (m->perms[2] != 'x')
			continue;
		if (out->mapping_cnt == UNWIND_MAX_MAPPINGS) {
			t->stats.mappings_dropped++;
			continue;
		}
		err = add_mapping(t, pid, m, &out->mappings[out->mapping_cnt], &keys, &cnt, &cap);
		if (!err)
			out->mapping_cnt++;
	}
	p = err ? NULL : proc_refs_of(t, pid, true);
	if (!p) {
		refs_release(keys, cnt);
		free(keys);
		return -ENOMEM;
	}
	refs_release(p->keys, p->cnt);
	free(p->keys);
	p->keys = keys;
	p->cnt = cnt;
	return 0;
}

void unwind_tables__forget(struct unwind_tables *t, pid_t pid)
{
	struct proc_refs *p = proc_refs_of(t, pid, false);

	if (!p)
		return;
	refs_release(p->keys, p->cnt);
	free(p->keys);
	*p = t->procs[--t->proc_cnt];
}

void unwind_tables__stats(const struct unwind_tables *t, struct unwind_tables_stats *out)
{
	*out = t->stats;
	out->rows_used = row_ranges__used(t->rows);
	out->rows_cap = row_ranges__cap(t->rows);
}
