/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_unwind: what the BPF walker needs for one process, built the way
 * memvigil will build it: one cfi_table per executable object it maps,
 * its rows laid out back to back with an object id each, and the process's
 * executable mappings pointing into them.
 */
#ifndef PROC_UNWIND_H
#define PROC_UNWIND_H

#include <stdbool.h>
#include <stdint.h>
#include "memvigil/unwind.h"

struct proc_unwind;

/* One executable file mapping of the process, for symbolization. */
struct proc_mapping {
	uint64_t start;
	uint64_t end;
	uint64_t bias;		/* address - ELF vaddr */
	char path[256];
};

/*
 * Read /proc/PID/maps and build the tables of every executable file
 * mapping; files whose path ends in no_table_suffix (NULL: none) get no
 * table, so the walker steps through them by frame pointers.
 */
int proc_unwind__new(int pid, const char *no_table_suffix, struct proc_unwind **out);
void proc_unwind__free(struct proc_unwind *p);

/* Rows of all objects (the size unwind_rows needs). */
uint32_t proc_unwind__row_cnt(const struct proc_unwind *p);

/* Write the rows, objects and the process entry into the three maps' fds. */
int proc_unwind__fill(const struct proc_unwind *p, int rows_fd, int objects_fd, int procs_fd);

/* The mapping holding addr, or NULL. */
const struct proc_mapping *proc_unwind__mapping(const struct proc_unwind *p, uint64_t addr);

/* The path of the first mapping whose path ends in suffix, or NULL. */
const char *proc_unwind__path(const struct proc_unwind *p, const char *suffix);

/* Print each object's table size and build time. */
void proc_unwind__print(const struct proc_unwind *p);

#endif /* PROC_UNWIND_H */
