/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cfi_parse: reads one section of DWARF call frame information (CIEs, FDEs
 * and their instructions) and appends the unwind rows it describes to a
 * build, unsorted and unmerged. Internal to cfi_table.
 */
#ifndef MV_CFI_PARSE_H
#define MV_CFI_PARSE_H

#include "unwind/cfi_table.h"

/* A row before sorting: full address, and what decides between rows at one address. */
struct cfi_raw_row {
	uint64_t pc;
	uint32_t seq;		/* order of emission */
	uint8_t prio;		/* 0: a row of an FDE, 1: the end of an FDE */
	uint8_t pad[3];
	struct unwind_row row;	/* row.pc unused */
};

/* An address range [start, end) that some FDE covers. */
struct cfi_range {
	uint64_t start;
	uint64_t end;
};

struct cfi_build {
	struct cfi_raw_row *rows;
	size_t row_cnt;
	size_t row_cap;
	/* FDE ranges of the sections read before, sorted by start: they win. */
	const struct cfi_range *prior;
	size_t prior_cnt;
	/* FDE ranges of the section being read, in section order. */
	struct cfi_range *ranges;
	size_t range_cnt;
	size_t range_cap;
	struct cfi_table_stats stats;
};

/*
 * Append the rows of every FDE in sec that no prior range overlaps.
 * Returns 0, -EINVAL (malformed), -E2BIG (bounds) or -ENOMEM.
 */
int cfi_parse__section(struct cfi_build *b, const struct cfi_section *sec);

#endif /* MV_CFI_PARSE_H */
