/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unwind_tables: the unwind tables of every executable object the traced
 * processes map, built once per host, and each process's mapping list that
 * points into them (memvigil/unwind.h, bpf/unwind.bpf.h).
 *
 * An object is known by its GNU build id and load layout: every file that
 * carries them (the same library in several containers' image layers, each
 * its own inode) shares one table, built once. A file is found again by
 * device and inode, and checked against its object whenever no traced
 * process maps it at the moment (the inode may have been reused then);
 * without a build id a file is its own object, told by size and mtime. Its
 * table (cfi_table.h) is built from the file opened
 * through procfs/mapped_file.h, never by its path; its rows get a range of
 * the row array (row_ranges.h) and an object id, and are handed to the
 * sink, which writes them where the walker reads them. The built table is
 * not kept: what stays is the object's range and its PT_LOAD headers (for
 * the load bias of later mappings).
 *
 * Objects that cannot be read, have no call frame information, or do not
 * fit get object id 0 (the walker steps through them by frame pointers)
 * and are counted by reason. Objects no traced process maps stay until
 * their rows are needed for another object.
 *
 * Knows nothing of BPF: the sink is the caller's.
 */
#ifndef MV_UNWIND_TABLES_H
#define MV_UNWIND_TABLES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "memvigil/unwind.h"
#include "procfs/procmaps.h"
#include "unwind/cfi_table.h"

struct unwind_sink {
	/*
	 * Store rows (row_cnt of them) at first_row, then make object obj_id
	 * name them; row_cnt 0 (rows NULL): obj_id names nothing any more.
	 * 0 or a negative errno.
	 */
	int (*put_object)(void *ctx, uint32_t obj_id, uint32_t first_row,
			  const struct unwind_row *rows, uint32_t row_cnt);
	void *ctx;
};

/* Why an object walks by frame pointers (object id 0). */
enum unwind_refusal {
	UNWIND_REFUSED_OPEN,	/* the file could not be opened safely or read as ELF */
	UNWIND_REFUSED_NO_CFI,	/* no call frame information */
	UNWIND_REFUSED_BAD,	/* malformed or over the table bounds */
	UNWIND_REFUSED_FULL,	/* the row array had no room left */
	UNWIND_REFUSED_CNT,
};

struct unwind_tables_stats {
	uint32_t objects;		/* objects with rows in the array now */
	uint32_t rows_used;
	uint32_t rows_cap;
	uint64_t tables_built;		/* tables built so far */
	uint64_t tables_shared;		/* files that found their object's table by build id */
	uint64_t build_ns;		/* their total build time */
	uint64_t refused[UNWIND_REFUSED_CNT];	/* objects refused, by reason */
	uint64_t mappings_dropped;	/* executable mappings over UNWIND_MAX_MAPPINGS */
};

struct unwind_tables;

/* Room for row_cap rows. NULL with errno set. */
struct unwind_tables *unwind_tables__new(uint32_t row_cap, const struct unwind_sink *sink);
void unwind_tables__free(struct unwind_tables *t);

/* Say each refused object on stderr as a warning (else at -v). */
void unwind_tables__set_loud(struct unwind_tables *t, bool loud);

/*
 * pid's executable mappings in pm (sorted, as procmaps gives them) into
 * *out, building the tables of objects seen for the first time. pid holds
 * the objects named in *out until its next call or unwind_tables__forget;
 * those it held before are let go. 0, or -ENOMEM.
 */
int unwind_tables__proc(struct unwind_tables *t, pid_t pid, const struct procmaps *pm,
			struct unwind_proc *out);
/* pid no longer maps anything. */
void unwind_tables__forget(struct unwind_tables *t, pid_t pid);

void unwind_tables__stats(const struct unwind_tables *t, struct unwind_tables_stats *out);

/* "open", "no_cfi", "bad", "full". */
const char *unwind_tables__refusal_name(enum unwind_refusal r);

#endif
