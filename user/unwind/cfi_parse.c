// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cfi_parse: DWARF call frame information, one section at a time, into raw
 * unwind rows (the encoding is described in cfi_table.h).
 *
 * The walk over the section's entries lives here: cfi_reader reads each
 * CIE and FDE, cfi_interp runs an FDE's instructions, cfi_rows encodes and
 * appends the rows. Each FDE's end emits a UNWIND_CFA_NONE row that a
 * following FDE at the same address replaces, and an FDE whose range an
 * earlier section covered is skipped (counted).
 *
 * Structural damage (a length, pointer or operand outside its entry) fails
 * the section with -EINVAL. An FDE whose instructions are well-formed but
 * cannot be followed (an unknown opcode, restore_state without
 * remember_state, more than CFI_STATE_STACK_DEPTH remembered states, an
 * augmentation this reader does not know) becomes one unsupported row over
 * its range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "unwind/cfi_interp.h"
#include "unwind/cfi_parse.h"
#include "unwind/cfi_reader.h"
#include "unwind/cfi_rows.h"

static bool covered_before(const struct cfi_build *b, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = b->prior_cnt;

	/* The last prior range starting before end; ranges do not nest in practice. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->prior[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && b->prior[lo - 1].end > start;
}

static int range_add(struct cfi_build *b, uint64_t start, uint64_t end)
{
	struct cfi_range *r = grow__array(b->ranges, &b->range_cap, b->range_cnt + 1, sizeof(*r),
					  256);

	if (!r)
		return -ENOMEM;
	b->ranges = r;
	b->ranges[b->range_cnt++] = (struct cfi_range){ start, end };
	return 0;
}

static int fde_process(struct cfi_build *b, const struct cfi_section *sec,
		       const struct cfi_entry *e)
{
	struct cfi_ptr_ctx px = { sec->data, sec->vaddr, sec->data_base, sec->text_base, 8 };
	struct cfi_fde fde;
	struct cfi_cie cie;
	uint64_t end;
	int err;

	b->stats.fde_cnt++;
	if (cfi_fde__cie(sec, e, &px, &cie) || cfi_fde__parse(e, &cie, &px, &fde))
		return -EINVAL;
	if (!fde.pc || !fde.range) {
		b->stats.fde_empty_cnt++;
		return 0;
	}
	if (__builtin_add_overflow(fde.pc, fde.range, &end))
		return -EINVAL;
	if (covered_before(b, fde.pc, end)) {
		b->stats.fde_shadowed_cnt++;
		return 0;
	}
	err = range_add(b, fde.pc, end);
	if (err)
		return err;
	if (cie.unknown_aug)
		return cfi_build__unsupported_fde(b, fde.pc, end);
	return cfi_interp__run_fde(b, &cie, &px, fde.pc, end, fde.insns);
}

int cfi_parse__section(struct cfi_build *b, const struct cfi_section *sec)
{
	size_t off = 0;
	struct cfi_entry e;
	int err;

	if (sec->size > CFI_TABLE_MAX_SECTION_BYTES)
		return -E2BIG;
	b->range_cnt = 0;
	while (off < sec->size) {
		/* Fewer than 4 bytes left: only zero padding may follow the last entry. */
		if (sec->size - off < 4) {
			for (; off < sec->size; off++)
				if (((const uint8_t *)sec->data)[off])
					return -EINVAL;
			break;
		}
		err = cfi_entry__read(sec, off, &e);
		if (err)
			return err;
		if (e.terminator && !sec->debug_frame)
			break;
		if (!e.terminator && e.is_cie)
			b->stats.cie_cnt++;
		else if (!e.terminator && (err = fde_process(b, sec, &e)))
			return err;
		off = e.next;
	}
	return 0;
}
