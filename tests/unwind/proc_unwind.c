// SPDX-License-Identifier: GPL-2.0
/*
 * proc_unwind: one process's unwind maps, from /proc/PID/maps and the
 * cfi_table of each executable object (objects are keyed by path here;
 * memvigil keys them by device, inode and build id).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "unwind/cfi_table.h"
#include "proc_unwind.h"

#define MAX_OBJECTS 64

struct object {
	char path[256];
	struct cfi_table *table;	/* NULL: no table (frame pointers) */
	uint32_t first_row;
	uint64_t build_ns;
};

struct proc_unwind {
	int pid;
	struct object objs[MAX_OBJECTS];
	uint32_t obj_cnt;
	uint32_t row_cnt;
	struct proc_mapping maps[UNWIND_MAX_MAPPINGS];
	uint32_t obj_of_map[UNWIND_MAX_MAPPINGS];
	uint32_t map_cnt;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The load bias of a mapping of fd at file offset pgoff. */
static int mapping_bias(int fd, uint64_t start, uint64_t pgoff, uint64_t *bias)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t phnum = 0;
	GElf_Phdr ph;
	int err = -ENOENT;

	if (elf && !elf_getphdrnum(elf, &phnum)) {
		for (size_t i = 0; i < phnum; i++) {
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
			    (ph.p_offset & ~0xfffull) != pgoff)
				continue;
			*bias = start - (ph.p_vaddr - (ph.p_offset & 0xfff));
			err = 0;
			break;
		}
	}
	if (elf)
		elf_end(elf);
	return err;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = suffix ? strlen(suffix) : 0;

	return suffix && a >= b && !strcmp(s + a - b, suffix);
}

static int object_id(struct proc_unwind *p, const char *path, int fd, const char *no_table)
{
	struct object *o;
	uint64_t t0;
	int err;

	for (uint32_t i = 0; i < p->obj_cnt; i++)
		if (!strcmp(p->objs[i].path, path))
			return (int)i + 1;
	if (p->obj_cnt == MAX_OBJECTS)
		return -E2BIG;
	o = &p->objs[p->obj_cnt];
	snprintf(o->path, sizeof(o->path), "%s", path);
	if (!has_suffix(path, no_table)) {
		t0 = now_ns();
		err = cfi_table__build_fd(fd, -1, &o->table);
		o->build_ns = now_ns() - t0;
		if (err && err != -ENOENT)
			fprintf(stderr, "unwind_test: no table for %s: %s\n", path, strerror(-err));
	}
	o->first_row = p->row_cnt;
	if (o->table)
		p->row_cnt += (uint32_t)cfi_table__row_cnt(o->table);
	return (int)++p->obj_cnt;
}

static int add_mapping(struct proc_unwind *p, uint64_t start, uint64_t end, uint64_t pgoff,
		       const char *path, const char *no_table)
{
	struct proc_mapping *m = &p->maps[p->map_cnt];
	char file[64];
	int fd, id, err;

	if (p->map_cnt == UNWIND_MAX_MAPPINGS)
		return -E2BIG;
	snprintf(file, sizeof(file), "/proc/%d/map_files/%llx-%llx", p->pid,
		 (unsigned long long)start, (unsigned long long)end);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = mapping_bias(fd, start, pgoff, &m->bias);
	id = err ? err : object_id(p, path, fd, no_table);
	close(fd);
	if (id < 0)
		return id;
	m->start = start;
	m->end = end;
	snprintf(m->path, sizeof(m->path), "%s", path);
	p->obj_of_map[p->map_cnt++] = (uint32_t)id;
	return 0;
}

int proc_unwind__new(int pid, const char *no_table_suffix, struct proc_unwind **out)
{
	char file[64], line[512], perms[8], path[256];
	unsigned long long start, end, pgoff;
	struct proc_unwind *p;
	FILE *f;
	int err = 0;

	elf_version(EV_CURRENT);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	snprintf(file, sizeof(file), "/proc/%d/maps", pid);
	f = fopen(file, "re");
	if (!f) {
		err = -errno;
		goto fail;
	}
	/* /proc/PID/maps is sorted by address: the mapping list comes out sorted. */
	while (!err && fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %255s", &start, &end, perms, &pgoff,
			   path) < 4 || perms[2] != 'x' || path[0] != '/')
			continue;
		err = add_mapping(p, start, end, pgoff, path, no_table_suffix);
	}
	fclose(f);
	if (err)
		goto fail;
	*out = p;
	return 0;
fail:
	proc_unwind__free(p);
	return err;
}

void proc_unwind__free(struct proc_unwind *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->obj_cnt; i++)
		cfi_table__free(p->objs[i].table);
	free(p);
}

uint32_t proc_unwind__row_cnt(const struct proc_unwind *p)
{
	return p->row_cnt;
}

static int fill_rows(const struct object *o, int rows_fd)
{
	size_t cnt;
	const struct unwind_row *rows = cfi_table__rows(o->table, &cnt);
	uint32_t *keys = malloc(cnt * sizeof(*keys));
	__u32 n = (__u32)cnt;
	int err;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++)
		keys[i] = o->first_row + (uint32_t)i;
	err = bpf_map_update_batch(rows_fd, keys, rows, &n, NULL);
	free(keys);
	return err;
}

int proc_unwind__fill(const struct proc_unwind *p, int rows_fd, int objects_fd, int procs_fd)
{
	struct unwind_proc *proc = calloc(1, sizeof(*proc));
	__u32 key = (__u32)p->pid;
	int err = 0;

	if (!proc)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->obj_cnt && !err; i++) {
		const struct object *o = &p->objs[i];
		struct unwind_object uo = { o->first_row, 0 };
		__u32 id = i + 1;

		if (o->table) {
			uo.row_cnt = (__u32)cfi_table__row_cnt(o->table);
			err = fill_rows(o, rows_fd);
		}
		if (!err)
			err = bpf_map_update_elem(objects_fd, &id, &uo, BPF_ANY);
	}
	for (uint32_t i = 0; i < p->map_cnt && !err; i++) {
		const struct object *o = &p->objs[p->obj_of_map[i] - 1];
		struct unwind_mapping *m = &proc->mappings[i];

		m->start = p->maps[i].start;
		m->end = p->maps[i].end;
		m->obj_id = o->table ? p->obj_of_map[i] : 0;
		m->row_base = p->maps[i].bias + (o->table ? cfi_table__base_vaddr(o->table) : 0);
	}
	proc->mapping_cnt = p->map_cnt;
	if (!err)
		err = bpf_map_update_elem(procs_fd, &key, proc, BPF_ANY);
	free(proc);
	return err;
}

const struct proc_mapping *proc_unwind__mapping(const struct proc_unwind *p, uint64_t addr)
{
	for (uint32_t i = 0; i < p->map_cnt; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

const char *proc_unwind__path(const struct proc_unwind *p, const char *suffix)
{
	for (uint32_t i = 0; i < p->map_cnt; i++)
		if (has_suffix(p->maps[i].path, suffix))
			return p->maps[i].path;
	return NULL;
}

void proc_unwind__print(const struct proc_unwind *p)
{
	for (uint32_t i = 0; i < p->obj_cnt; i++) {
		const struct object *o = &p->objs[i];

		if (!o->table) {
			printf("  table %-48s none (frame pointers)\n", o->path);
			continue;
		}
		printf("  table %-48s %7zu rows %8zu bytes %7.2f ms\n", o->path,
		       cfi_table__row_cnt(o->table), cfi_table__bytes(o->table), o->build_ns / 1e6);
	}
}
