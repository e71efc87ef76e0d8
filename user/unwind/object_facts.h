/* SPDX-License-Identifier: GPL-2.0 */
/*
 * object_facts: what an executable file says of the object it holds, read
 * once from a descriptor: its GNU build id (from PT_NOTE), its PT_LOAD
 * headers (for the load bias of a mapping) and, for a file without a build
 * id, its size and mtime. Two files hold one object when their facts are
 * the same (unwind_tables.h shares one table between them).
 */
#ifndef MV_OBJECT_FACTS_H
#define MV_OBJECT_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#define OBJECT_MAX_LOADS 16
#define OBJECT_BUILD_ID_MAX 64

/* A PT_LOAD header: file [offset, offset + filesz) is at [vaddr, ...). */
struct object_load {
	uint64_t offset;
	uint64_t vaddr;
	uint64_t filesz;
};

struct object_facts {
	uint8_t build_id[OBJECT_BUILD_ID_MAX];
	uint32_t build_id_len;		/* 0: none */
	struct object_load loads[OBJECT_MAX_LOADS];
	uint32_t load_cnt;
	uint64_t size;
	int64_t mtime_ns;
};

/* The facts of the ELF file open at fd into *f (zeroed first): 0 or -EINVAL. */
int object_facts__read(int fd, struct object_facts *f);

/*
 * Whether a and b are one object: the same build id and load layout, or,
 * without a build id, the same size and mtime too.
 */
bool object_facts__same(const struct object_facts *a, const struct object_facts *b);

/* The ELF vaddr that file offset pgoff (a mapping's start) stands for: 0 or -ENOENT. */
int object_facts__vaddr(const struct object_facts *f, uint64_t pgoff, uint64_t *vaddr);

#endif
