/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cfi_table: one ELF object's call frame information (.eh_frame and
 * .debug_frame), reduced to the compact, sorted unwind rows that a BPF
 * program can binary-search and apply at an event (x86-64 only).
 *
 * A row says, from its address up to the next row's, where the canonical
 * frame address (CFA, the caller's %rsp) is, where the caller's %rbp was
 * saved, and whether the frame can be unwound at all. The return address is
 * always at CFA-8: rows whose return address is elsewhere are unsupported.
 *
 * Row encoding, 8 bytes: struct unwind_row of memvigil/unwind.h, the rows
 * the BPF walker reads, so a table is handed to the kernel as it is:
 *   pc       u32  first address the row covers, as an ELF virtual address
 *                 minus the table's base vaddr (cfi_table__base_vaddr: the
 *                 lowest address any row covers). An object whose covered
 *                 addresses span 4 GiB or more is refused (-E2BIG).
 *   cfa_off  s16  CFA = register + cfa_off, or + 8 * cfa_off when
 *                 UNWIND_ROW_CFA_X8 is set. An offset that fits neither way
 *                 (beyond +-32 KiB unscaled, +-256 KiB scaled, or not a
 *                 multiple of 8 beyond 32 KiB) makes the row unsupported.
 *   flags    u8   bits 0-2: enum unwind_cfa_kind; UNWIND_ROW_* bits above them.
 *   rbp_off  s8   with UNWIND_ROW_RBP_SAVED, the caller's %rbp is at CFA + 8 *
 *                 rbp_off (-1024..1016 bytes; a save outside that range or
 *                 not 8-aligned makes the row unsupported). For UNWIND_CFA_PLT
 *                 rows it holds the threshold T of the PLT rule (below).
 *
 * CFA kinds: RSP / RBP: register + offset. PLT: the lazy-binding PLT rule
 * CFA = %rsp + cfa_off + ((%rip & 15) >= T ? 8 : 0), the one
 * DW_CFA_def_cfa_expression that linkers emit for .plt. END: the outermost
 * frame (the return address column is undefined, as in _start). NONE: no
 * FDE covers the address (the row after a function's last byte, when
 * nothing follows it). UNSUPPORTED: the frame cannot be unwound from the
 * row: a CFA in a register other than %rsp/%rbp, any other CFA expression,
 * a return address rule other than "at CFA-8", a signal frame, an offset
 * out of range, or an FDE whose instructions could not be followed.
 * UNWIND_ROW_RBP_LOST: the caller's %rbp is not recoverable from the row
 * (undefined, in another register or given by an expression); a walker
 * must not use %rbp above this frame.
 *
 * Consecutive rows with identical rules are merged. Where .eh_frame and a
 * .debug_frame both describe an address, .eh_frame wins; FDEs of the
 * object's .debug_frame win over those of a separate debug file.
 *
 * Bounds: sections over CFI_TABLE_MAX_SECTION_BYTES and objects producing
 * more than CFI_TABLE_MAX_ROWS rows before merging are refused with
 * -E2BIG; malformed entries (lengths or pointers outside the section, a
 * truncated CIE or FDE, an augmentation string without its NUL, an
 * instruction that advances past the FDE's end) with -EINVAL. A build never
 * reads outside its input and every loop advances through it, so a build
 * ends in time linear in the input (plus the sort of its rows).
 */
#ifndef MV_CFI_TABLE_H
#define MV_CFI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memvigil/unwind.h"

/* Rows one object may produce: all of them fit one BPF object's search. */
#define CFI_TABLE_MAX_ROWS		UNWIND_MAX_OBJECT_ROWS
#define CFI_TABLE_MAX_SECTION_BYTES	(256u << 20)

/* A row's rule in plain numbers (cfi_row__decode). */
struct cfi_rule {
	enum unwind_cfa_kind kind;
	int32_t cfa_off;	/* bytes */
	int32_t rbp_off;	/* bytes from the CFA, when rbp_saved */
	bool rbp_saved;
	bool rbp_lost;
	uint8_t plt_threshold;	/* UNWIND_CFA_PLT only */
};

/* What a build found, for reports and tests. */
struct cfi_table_stats {
	uint64_t cie_cnt;
	uint64_t fde_cnt;		/* FDEs read, in all sections */
	uint64_t fde_shadowed_cnt;	/* skipped: a preferred section covers them */
	uint64_t fde_empty_cnt;		/* skipped: empty range or address 0 */
	uint64_t fde_unsupported_cnt;	/* instructions not followed: one unsupported row */
	uint64_t rows_raw_cnt;		/* rows before merging */
	uint64_t rows_cnt;		/* rows in the table */
	uint64_t rows_unsupported_cnt;
	uint64_t rows_plt_cnt;
	uint64_t rows_end_cnt;
};

/* One section of call frame information in memory, for cfi_table__build_sections. */
struct cfi_section {
	const void *data;
	size_t size;
	uint64_t vaddr;		/* the section's address in the object (pcrel base) */
	uint64_t data_base;	/* DW_EH_PE_datarel base (.got), 0 if none */
	uint64_t text_base;	/* DW_EH_PE_textrel base (.text), 0 if none */
	bool debug_frame;	/* .debug_frame format: CIE id ~0, absolute addresses */
};

struct cfi_table;

/*
 * Build the table of the ELF object open at fd from its .eh_frame (found
 * through its section headers, else through PT_GNU_EH_FRAME and
 * .eh_frame_hdr) and its .debug_frame; debug_fd, unless -1, is a separate
 * debug file whose .debug_frame fills addresses the object leaves
 * uncovered. Neither fd is closed or moved. Returns 0 and *out, or a
 * negative errno: -ENOENT no call frame information, -ENOTSUP not an
 * x86-64 ELF, -EINVAL malformed, -E2BIG over the bounds, -ENOMEM.
 */
int cfi_table__build_fd(int fd, int debug_fd, struct cfi_table **out);

/*
 * Build a table from sections already in memory, in order of preference.
 * Same returns as cfi_table__build_fd; -ENOENT when no section holds an FDE.
 */
int cfi_table__build_sections(const struct cfi_section *secs, size_t sec_cnt,
			      struct cfi_table **out);

void cfi_table__free(struct cfi_table *t);

/*
 * The row covering the ELF virtual address vaddr. Returns 0, or -ENOENT
 * when no FDE covers it (before the first row, or in a UNWIND_CFA_NONE row).
 */
int cfi_table__lookup(const struct cfi_table *t, uint64_t vaddr, struct unwind_row *row);

/* The rows, sorted by pc, and their count. */
const struct unwind_row *cfi_table__rows(const struct cfi_table *t, size_t *cnt);
size_t cfi_table__row_cnt(const struct cfi_table *t);
/* Bytes of the rows (what a BPF map holds for this object). */
size_t cfi_table__bytes(const struct cfi_table *t);
/* The ELF virtual address that row pc 0 stands for. */
uint64_t cfi_table__base_vaddr(const struct cfi_table *t);
const struct cfi_table_stats *cfi_table__stats(const struct cfi_table *t);

void cfi_row__decode(const struct unwind_row *row, struct cfi_rule *rule);

#endif /* MV_CFI_TABLE_H */
