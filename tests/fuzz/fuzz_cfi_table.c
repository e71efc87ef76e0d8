// SPDX-License-Identifier: GPL-2.0
/*
 * The unwind table builder (unwind/cfi_table, cfi_parse) on one section of
 * call frame information: the input's first byte says .debug_frame (bit 0)
 * or .eh_frame, the rest is the section. A table built has its rows sorted
 * by pc, each found again by cfi_table__lookup.
 */
#include <errno.h>
#include "fuzz_input.h"
#include "unwind/cfi_table.h"

#define SECTION_VADDR 0x2030	/* where the seeds' .eh_frame sat */

/* Rows in pc order; a row that is not a gap is what the lookup of its pc answers. */
static void check_rows(const struct cfi_table *t)
{
	size_t cnt, i;
	const struct unwind_row *rows = cfi_table__rows(t, &cnt);
	struct unwind_row found;
	struct cfi_rule rule;

	FUZZ_CHECK(cnt == cfi_table__row_cnt(t));
	for (i = 0; i < cnt; i++) {
		FUZZ_CHECK(!i || rows[i - 1].pc <= rows[i].pc);
		cfi_row__decode(&rows[i], &rule);
		cfi_table__lookup(t, cfi_table__base_vaddr(t) + rows[i].pc, &found);
	}
	cfi_table__lookup(t, 0, &found);
	cfi_table__lookup(t, UINT64_MAX, &found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfi_section sec = { .vaddr = SECTION_VADDR };
	struct cfi_table *t = NULL;
	uint8_t *copy;
	int err;

	if (!size)
		return 0;
	sec.debug_frame = data[0] & 1;
	copy = fuzz_input__bytes(data + 1, size - 1);
	sec.data = copy;
	sec.size = size - 1;
	err = cfi_table__build_sections(&sec, 1, &t);
	FUZZ_CHECK(err <= 0);
	if (!err) {
		check_rows(t);
		cfi_table__stats(t);
	}
	cfi_table__free(t);
	free(copy);
	return 0;
}
