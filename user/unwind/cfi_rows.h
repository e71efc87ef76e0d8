/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cfi_rows: the row emitter. The interpreter's frame state (the CFA rule and
 * the rules of %rbp and the return address) is encoded as a cfi_row
 * (cfi_table.h) when a walker can follow it, as an unsupported row when it
 * cannot, and appended to a build with what orders rows at one address.
 * Internal to cfi_table.
 */
#ifndef MV_CFI_ROWS_H
#define MV_CFI_ROWS_H

#include <stdint.h>
#include "unwind/cfi_parse.h"
#include "unwind/cfi_reader.h"

/* DWARF register numbers on x86-64. */
#define DW_REG_RBP	6
#define DW_REG_RSP	7
#define DW_REG_RA	16

/* What the interpreter tracks of one column. */
enum rule_kind { RULE_SAME, RULE_UNDEF, RULE_OFFSET, RULE_OTHER };

struct cfi_reg_rule {
	int64_t off;
	uint8_t kind;
};

enum cfa_rule_kind { CFA_UNSET, CFA_REG, CFA_PLT, CFA_EXPR };

struct cfi_frame_state {
	int64_t cfa_off;
	uint64_t cfa_reg;
	struct cfi_reg_rule rbp;
	struct cfi_reg_rule ra;
	uint8_t cfa_kind;
	uint8_t plt_threshold;
};

/* st as a row of an FDE of cie (row.pc left 0). */
void cfi_row__encode(const struct cfi_frame_state *st, const struct cfi_cie *cie,
		     struct unwind_row *r);
/*
 * Append row at pc; prio 0 for a row of an FDE, 1 for the end of one.
 * Returns 0, -E2BIG past CFI_TABLE_MAX_ROWS or -ENOMEM.
 */
int cfi_build__push_row(struct cfi_build *b, uint64_t pc, const struct unwind_row *row,
			uint8_t prio);
/* The end of an FDE at end: a UNWIND_CFA_NONE row a following FDE replaces. */
int cfi_build__fde_end(struct cfi_build *b, uint64_t end);
/* An FDE that cannot be followed: one unsupported row over [pc, end), counted. */
int cfi_build__unsupported_fde(struct cfi_build *b, uint64_t pc, uint64_t end);

#endif /* MV_CFI_ROWS_H */
