/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unwind_maps: the BPF side of table-driven unwinding (--unwind). Sizes the
 * unwind maps and sets the walker's knob before load; afterwards keeps
 * unwind_procs[pid] current for every traced process, with the tables of
 * the objects it maps (unwind/unwind_tables.h) in unwind_rows and
 * unwind_objects.
 *
 * When a process's entry is written: when it is first traced
 * (probes__trace_pid), and whenever the BPF side marks it stale in
 * unwind_stale: its exec (the exec handler drops its entry at once, so its
 * new image walks by frame pointers until then) and a walk that met a pc in
 * none of its mappings (a library loaded since: dlopen, or the C library
 * after an exec). The stale marks are read when the ring buffer is drained,
 * at most every UNWIND_MAPS_STALE_MS, a process at most once per
 * UNWIND_MAPS_REFRESH_MS. The entry goes when the process is no longer
 * traced.
 */
#ifndef MV_UNWIND_MAPS_H
#define MV_UNWIND_MAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "memvigil/unwind.h"
#include "unwind/unwind_tables.h"

#define UNWIND_MAPS_STALE_MS	100
#define UNWIND_MAPS_REFRESH_MS	1000

/* --unwind: how user stacks are walked. */
enum mv_unwind {
	MV_UNWIND_AUTO,		/* tables where they can be built, frame pointers elsewhere */
	MV_UNWIND_FP,		/* frame pointers only */
	MV_UNWIND_DWARF,	/* tables; each object without one is warned about */
};

/* What the reports say about unwinding. */
struct unwind_health {
	bool tables;				/* walks use tables (not --unwind=fp) */
	struct unwind_tables_stats objects;
	uint64_t walks[UNWIND_STOP_CNT];	/* walks by why they ended */
	uint64_t frames_table;			/* frames stepped through a table */
	uint64_t frames_fp;			/* frames stepped through %rbp */
	uint64_t procs_updated;			/* mapping lists written */
	uint64_t procs_failed;			/* mapping lists that could not be written */
};

struct probes;
struct unwind_maps;

/*
 * Before load: size the maps (rows of unwind tables; 0: UNWIND_ROWS_DEFAULT)
 * and set the knob for mode. 0 or a negative errno.
 */
int unwind_maps__configure(struct probes *pr, enum mv_unwind mode, uint32_t rows);
/* After load: the state that fills the maps (NULL for --unwind=fp). 0 or -ENOMEM. */
int unwind_maps__start(struct probes *pr, enum mv_unwind mode);
void unwind_maps__free(struct unwind_maps *um);

/* Write pid's mapping list (building tables first); failures are counted. */
void unwind_maps__update(struct probes *pr, pid_t pid);
/* pid is no longer traced: drop its entry. */
void unwind_maps__forget(struct probes *pr, pid_t pid);
/* Rewrite the lists of the processes the BPF side marked stale (rate-limited). */
void unwind_maps__refresh_stale(struct probes *pr);

void unwind_maps__health(struct probes *pr, struct unwind_health *out);

/* "auto", "fp", "dwarf". */
const char *unwind_maps__mode_name(enum mv_unwind mode);
/* Name of a stop reason in reports ("end", "depth", ...). */
const char *unwind_maps__stop_name(enum unwind_stop stop);

#endif
