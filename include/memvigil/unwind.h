/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between the BPF stack walker (bpf/unwind.bpf.h) and the user
 * space that fills its maps: unwind rows, the objects that own them, each
 * process's executable mappings, and why a walk stopped.
 *
 * struct unwind_row is also the row user/unwind/cfi_table.c builds (its
 * encoding is described in cfi_table.h), so tables go to the kernel as they
 * are.
 */
#ifndef MEMVIGIL_UNWIND_H
#define MEMVIGIL_UNWIND_H

#ifndef __VMLINUX_H__	/* BPF code gets the kernel's types from vmlinux.h */
#include <linux/types.h>
#endif

/* Rows all objects together can hold (unwind_rows); user space may resize before load. */
#define UNWIND_ROWS_DEFAULT		(1u << 20)
/* The bounds of --unwind-rows. */
#define UNWIND_ROWS_MIN			(1u << 10)
#define UNWIND_ROWS_MAX			(1u << 24)
/* Rows one object can hold: a binary search over them takes UNWIND_ROW_SEARCH_STEPS. */
#define UNWIND_MAX_OBJECT_ROWS		(1u << 22)
#define UNWIND_ROW_SEARCH_STEPS		23
/* Objects with a table; id 0 means "no table: walk frame pointers". */
#define UNWIND_MAX_OBJECTS		4096
/* Processes with a mapping list at once. */
#define UNWIND_MAX_PROCS		4096
/* Executable mappings per process, searched in UNWIND_MAPPING_SEARCH_STEPS. */
#define UNWIND_MAX_MAPPINGS		256
#define UNWIND_MAPPING_SEARCH_STEPS	9
/* Deepest walk. */
#define UNWIND_MAX_DEPTH		128

struct unwind_row {
	__u32 pc;	/* address - the object's base vaddr */
	__s16 cfa_off;	/* x8 when UNWIND_ROW_CFA_X8 */
	__u8 flags;	/* enum unwind_cfa_kind in UNWIND_ROW_KIND_MASK, UNWIND_ROW_* */
	__s8 rbp_off;	/* saved %rbp at CFA + 8 * rbp_off; PLT rows: the threshold */
};

enum unwind_cfa_kind {
	UNWIND_CFA_RSP = 0,
	UNWIND_CFA_RBP = 1,
	UNWIND_CFA_PLT = 2,
	UNWIND_CFA_END = 3,
	UNWIND_CFA_NONE = 4,
	UNWIND_CFA_UNSUPPORTED = 5,
};

#define UNWIND_ROW_KIND_MASK	0x07
#define UNWIND_ROW_RBP_SAVED	0x08
#define UNWIND_ROW_CFA_X8	0x10
#define UNWIND_ROW_RBP_LOST	0x20

/* An object's rows: unwind_rows[first_row, first_row + row_cnt). */
struct unwind_object {
	__u32 first_row;
	__u32 row_cnt;
};

/*
 * One executable mapping of a process. An address pc in [start, end) is
 * row pc (pc - row_base) of object obj_id, where row_base = the mapping's
 * load bias + the table's base vaddr. obj_id 0: no table.
 */
struct unwind_mapping {
	__u64 start;
	__u64 end;
	__u64 row_base;
	__u32 obj_id;
	__u32 pad;
};

/* A process's executable mappings, sorted by start, not overlapping. */
struct unwind_proc {
	__u32 mapping_cnt;
	__u32 pad;
	struct unwind_mapping mappings[UNWIND_MAX_MAPPINGS];
};

/* Why a walk ended; counted per reason in unwind_stats. */
enum unwind_stop {
	UNWIND_STOP_END,		/* the outermost frame: the stack is whole */
	UNWIND_STOP_FP_END,		/* a frame-pointer chain ended in a zero %rbp */
	UNWIND_STOP_DEPTH,		/* depth limit: truncated */
	UNWIND_STOP_NO_RULE,		/* pc in a table's object but no FDE covers it */
	UNWIND_STOP_UNSUPPORTED,	/* the row's rule is not one the walker follows */
	UNWIND_STOP_READ,		/* the stack could not be read */
	UNWIND_STOP_BAD_FRAME,		/* CFA or frame pointer not above the stack pointer */
	UNWIND_STOP_RBP_LOST,		/* CFA from %rbp, but %rbp is not known here */
	UNWIND_STOP_SEARCH,		/* a table search did not converge (bad table) */
	UNWIND_STOP_CNT,
};

/* Counters beside the stop reasons in unwind_stats. */
enum unwind_stat {
	UNWIND_STAT_FRAMES_TABLE = UNWIND_STOP_CNT,	/* frames stepped through a table */
	UNWIND_STAT_FRAMES_FP,				/* frames stepped through %rbp */
	UNWIND_STAT_CNT,
};

#endif /* MEMVIGIL_UNWIND_H */
