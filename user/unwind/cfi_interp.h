/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cfi_interp: the CFA-instruction interpreter. It runs an FDE's
 * instructions from the state its CIE's initial instructions leave, and
 * each advance of the location emits the state so far as a row (cfi_rows).
 * Internal to cfi_table.
 */
#ifndef MV_CFI_INTERP_H
#define MV_CFI_INTERP_H

#include <stdint.h>
#include "unwind/cfi_parse.h"
#include "unwind/cfi_reader.h"

/*
 * Append the rows of the FDE over [pc, end) with instructions insns, of CIE
 * cie, and its end row. An FDE that cannot be followed becomes one
 * unsupported row. Returns 0, -EINVAL (malformed), -E2BIG or -ENOMEM.
 */
int cfi_interp__run_fde(struct cfi_build *b, const struct cfi_cie *cie,
			const struct cfi_ptr_ctx *px, uint64_t pc, uint64_t end,
			struct cfi_cursor insns);

#endif /* MV_CFI_INTERP_H */
