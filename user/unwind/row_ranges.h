/* SPDX-License-Identifier: GPL-2.0 */
/*
 * row_ranges: which rows of the BPF unwind_rows array are free. Hands out
 * contiguous ranges, first fit, and takes them back, merging neighbours.
 * Pure: no BPF, no I/O.
 */
#ifndef MV_ROW_RANGES_H
#define MV_ROW_RANGES_H

#include <stdint.h>

struct row_ranges;

/* Rows 0..cap-1, all free. NULL with errno set. */
struct row_ranges *row_ranges__new(uint32_t cap);
void row_ranges__free(struct row_ranges *r);

/* cnt (> 0) contiguous rows: 0 and *first, -ENOSPC when no free range is long enough, -ENOMEM. */
int row_ranges__alloc(struct row_ranges *r, uint32_t cnt, uint32_t *first);
/* Give back a range row_ranges__alloc handed out. 0, or -ENOMEM (the rows stay used). */
int row_ranges__release(struct row_ranges *r, uint32_t first, uint32_t cnt);

uint32_t row_ranges__used(const struct row_ranges *r);
uint32_t row_ranges__cap(const struct row_ranges *r);

#endif
