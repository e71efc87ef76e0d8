/* SPDX-License-Identifier: GPL-2.0 */
/*
 * liveset: one process's outstanding allocations, keyed by address.
 * Open addressing with linear probing and backward-shift deletion; 24 bytes
 * per slot, at most 3/4 full, grown by doubling in place (no second table).
 */
#ifndef MV_LIVESET_H
#define MV_LIVESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct live_alloc {
	uint64_t addr;		/* 0 marks an empty slot */
	uint64_t size;
	uint32_t t_ms;		/* allocation time, ms since tracing began */
	uint32_t site;		/* index of the (stack, allocator) site */
};

struct liveset;

struct liveset *liveset__new(void);
void liveset__free(struct liveset *ls);

/*
 * Add a live block. If addr is already live (its free was missed), the old
 * entry is replaced and copied to *replaced, and 1 is returned; otherwise 0.
 * -ENOMEM if the table cannot grow; -EINVAL for addr 0.
 */
int liveset__insert(struct liveset *ls, const struct live_alloc *a,
		    struct live_alloc *replaced);

/* Remove addr; true and a copy in *out if it was live. */
bool liveset__remove(struct liveset *ls, uint64_t addr, struct live_alloc *out);

size_t liveset__count(const struct liveset *ls);
/* Bytes the table itself uses. */
size_t liveset__memory_bytes(const struct liveset *ls);
void liveset__clear(struct liveset *ls);

/* Iterate: start with *pos = 0; returns NULL at the end. */
const struct live_alloc *liveset__next(const struct liveset *ls, size_t *pos);

#endif
