/* SPDX-License-Identifier: GPL-2.0 */
/*
 * id_table: keys (short byte strings) numbered 1, 2, 3... in the order they
 * are first seen, as formats that refer to things by id want them (pprof's
 * strings, mappings, locations and functions). A hash table with open
 * addressing; keys are copied (malloc'd, so aligned for any type) and read
 * back by id. model/stacks.c keeps its own table, tuned for the per-event
 * path: the same intern over this one measured slower there.
 */
#ifndef MV_ID_TABLE_H
#define MV_ID_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct id_table;

struct id_table *id_table__new(void);
void id_table__free(struct id_table *t);

/*
 * The id of the len bytes at key: an earlier one's (*added false) or the
 * next (*added true). 0 without memory.
 */
uint64_t id_table__get(struct id_table *t, const void *key, size_t len, bool *added);

/* How many ids were handed out. */
uint64_t id_table__cnt(const struct id_table *t);

/* The key of id (1 to cnt) and its length. */
const void *id_table__key(const struct id_table *t, uint64_t id, size_t *len);

#endif
