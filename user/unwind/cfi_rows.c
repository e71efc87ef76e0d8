// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cfi_rows: frame states encoded as unwind rows and appended to a build. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "unwind/cfi_rows.h"

static bool fits(int64_t v, int64_t lo, int64_t hi)
{
	return v >= lo && v <= hi;
}

static void encode_unsupported(struct unwind_row *r)
{
	memset(r, 0, sizeof(*r));
	r->flags = UNWIND_CFA_UNSUPPORTED;
}

/* The CFA part of a row; false when it cannot be encoded. */
static bool encode_cfa(const struct cfi_frame_state *st, struct unwind_row *r)
{
	if (st->cfa_kind == CFA_PLT) {
		if (!fits(st->cfa_off, INT16_MIN, INT16_MAX))
			return false;
		r->flags = UNWIND_CFA_PLT;
		r->cfa_off = (int16_t)st->cfa_off;
		r->rbp_off = (int8_t)st->plt_threshold;
		return true;
	}
	if (st->cfa_kind != CFA_REG || (st->cfa_reg != DW_REG_RSP && st->cfa_reg != DW_REG_RBP))
		return false;
	r->flags = st->cfa_reg == DW_REG_RSP ? UNWIND_CFA_RSP : UNWIND_CFA_RBP;
	if (fits(st->cfa_off, INT16_MIN, INT16_MAX)) {
		r->cfa_off = (int16_t)st->cfa_off;
	} else if (st->cfa_off % 8 == 0 && fits(st->cfa_off / 8, INT16_MIN, INT16_MAX)) {
		r->cfa_off = (int16_t)(st->cfa_off / 8);
		r->flags |= UNWIND_ROW_CFA_X8;
	} else {
		return false;
	}
	return true;
}

void cfi_row__encode(const struct cfi_frame_state *st, const struct cfi_cie *cie,
		     struct unwind_row *r)
{
	memset(r, 0, sizeof(*r));
	if (cie->signal || cie->ra_reg != DW_REG_RA)
		return encode_unsupported(r);
	if (st->ra.kind == RULE_UNDEF) {
		r->flags = UNWIND_CFA_END;
		return;
	}
	if (st->ra.kind != RULE_OFFSET || st->ra.off != -8 || !encode_cfa(st, r))
		return encode_unsupported(r);
	if (st->cfa_kind == CFA_PLT)
		return;
	switch (st->rbp.kind) {
	case RULE_SAME:
		break;
	case RULE_OFFSET:
		if (st->rbp.off % 8 || !fits(st->rbp.off / 8, INT8_MIN, INT8_MAX))
			return encode_unsupported(r);
		r->flags |= UNWIND_ROW_RBP_SAVED;
		r->rbp_off = (int8_t)(st->rbp.off / 8);
		break;
	default:
		r->flags |= UNWIND_ROW_RBP_LOST;
		break;
	}
}

int cfi_build__push_row(struct cfi_build *b, uint64_t pc, const struct unwind_row *row,
			uint8_t prio)
{
	struct cfi_raw_row *r;

	if (b->row_cnt >= CFI_TABLE_MAX_ROWS)
		return -E2BIG;
	r = grow__array(b->rows, &b->row_cap, b->row_cnt + 1, sizeof(*r), 1024);
	if (!r)
		return -ENOMEM;
	b->rows = r;
	r = &b->rows[b->row_cnt];
	memset(r, 0, sizeof(*r));
	r->pc = pc;
	r->seq = (uint32_t)b->row_cnt;
	r->prio = prio;
	r->row = *row;
	b->row_cnt++;
	return 0;
}

int cfi_build__fde_end(struct cfi_build *b, uint64_t end)
{
	struct unwind_row row = { .flags = UNWIND_CFA_NONE };

	return cfi_build__push_row(b, end, &row, 1);
}

int cfi_build__unsupported_fde(struct cfi_build *b, uint64_t pc, uint64_t end)
{
	struct unwind_row row;
	int err;

	encode_unsupported(&row);
	b->stats.fde_unsupported_cnt++;
	err = cfi_build__push_row(b, pc, &row, 0);
	return err ? err : cfi_build__fde_end(b, end);
}
