/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unwind_rows: the checks that cfi_table's rows (unwind/cfi_table.h) are
 * the rows the BPF walker reads (memvigil/unwind.h), byte for byte and flag
 * for flag. Included by whoever hands the one to the other.
 */
#ifndef MV_UNWIND_ROWS_H
#define MV_UNWIND_ROWS_H

#include "memvigil/unwind.h"
#include "unwind/cfi_table.h"

_Static_assert(sizeof(struct cfi_row) == sizeof(struct unwind_row), "row layouts differ");
_Static_assert(__builtin_offsetof(struct cfi_row, cfa_off) ==
	       __builtin_offsetof(struct unwind_row, cfa_off) &&
	       __builtin_offsetof(struct cfi_row, flags) ==
	       __builtin_offsetof(struct unwind_row, flags) &&
	       __builtin_offsetof(struct cfi_row, rbp_off) ==
	       __builtin_offsetof(struct unwind_row, rbp_off), "row layouts differ");
_Static_assert((int)CFI_CFA_RSP == (int)UNWIND_CFA_RSP && (int)CFI_CFA_RBP == (int)UNWIND_CFA_RBP &&
	       (int)CFI_CFA_PLT == (int)UNWIND_CFA_PLT && (int)CFI_CFA_END == (int)UNWIND_CFA_END &&
	       (int)CFI_CFA_NONE == (int)UNWIND_CFA_NONE &&
	       (int)CFI_CFA_UNSUPPORTED == (int)UNWIND_CFA_UNSUPPORTED, "CFA kinds differ");
_Static_assert(CFI_ROW_RBP_SAVED == UNWIND_ROW_RBP_SAVED && CFI_ROW_CFA_X8 == UNWIND_ROW_CFA_X8 &&
	       CFI_ROW_RBP_LOST == UNWIND_ROW_RBP_LOST && CFI_ROW_KIND_MASK == UNWIND_ROW_KIND_MASK &&
	       CFI_TABLE_MAX_ROWS == UNWIND_MAX_OBJECT_ROWS, "row flags differ");

#endif
