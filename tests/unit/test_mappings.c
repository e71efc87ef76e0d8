// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdlib.h>
#include "memvigil/events.h"
#include "model/mappings.h"

#define PG 4096ull

static struct mapping_totals totals(const struct mappings *ms)
{
	struct mapping_totals t;

	mappings__totals(ms, &t);
	return t;
}

Test(mappings, map_then_unmap_leaves_nothing)
{
	struct mappings ms;

	mappings__init(&ms);
	cr_assert_eq(mappings__map(&ms, 0x10000, 4 * PG, 0, 1, 0), 0);
	cr_assert_eq(totals(&ms).anon_bytes, 4 * PG);
	cr_assert_eq(mappings__unmap(&ms, 0x10000, 4 * PG), 0);
	cr_assert_eq(totals(&ms).ranges, 0);
	mappings__release(&ms);
}

Test(mappings, unmapping_the_middle_splits_a_range_keeping_its_stack)
{
	struct mappings ms;

	mappings__init(&ms);
	mappings__map(&ms, 0x10000, 10 * PG, MV_MAP_FILE, 7, 5);
	cr_assert_eq(mappings__unmap(&ms, 0x10000 + 2 * PG, 3 * PG), 0);
	cr_assert_eq(ms.cnt, 2);
	cr_assert_eq(ms.ranges[0].end, 0x10000 + 2 * PG);
	cr_assert_eq(ms.ranges[1].start, 0x10000 + 5 * PG);
	cr_assert_eq(ms.ranges[1].stack_id, 7);
	cr_assert_eq(totals(&ms).file_bytes, 7 * PG);
	mappings__release(&ms);
}

Test(mappings, one_munmap_across_several_ranges_trims_and_removes)
{
	struct mappings ms;

	mappings__init(&ms);
	mappings__map(&ms, 0x10000, 2 * PG, 0, 1, 0);
	mappings__map(&ms, 0x10000 + 2 * PG, 2 * PG, 0, 2, 0);
	mappings__map(&ms, 0x10000 + 4 * PG, 2 * PG, 0, 3, 0);
	mappings__unmap(&ms, 0x10000 + PG, 4 * PG);
	cr_assert_eq(ms.cnt, 2);
	cr_assert_eq(totals(&ms).anon_bytes, 2 * PG);
	mappings__release(&ms);
}

Test(mappings, unmap_of_a_range_mapped_before_tracing_changes_nothing)
{
	struct mappings ms;

	mappings__init(&ms);
	mappings__map(&ms, 0x10000, PG, 0, 1, 0);
	cr_assert_eq(mappings__unmap(&ms, 0x90000, 8 * PG), 0);
	cr_assert_eq(totals(&ms).anon_bytes, PG);
	mappings__release(&ms);
}

Test(mappings, map_fixed_over_an_existing_range_replaces_it)
{
	struct mappings ms;

	mappings__init(&ms);
	mappings__map(&ms, 0x10000, 4 * PG, 0, 1, 0);
	mappings__map(&ms, 0x10000 + PG, PG, MV_MAP_FILE, 2, 0);
	cr_assert_eq(totals(&ms).anon_bytes, 3 * PG);
	cr_assert_eq(totals(&ms).file_bytes, PG);
	cr_assert_eq(ms.cnt, 3);
	mappings__release(&ms);
}

Test(mappings, mremap_moves_and_grows_keeping_the_original_stack)
{
	struct mappings ms;

	mappings__init(&ms);
	mappings__map(&ms, 0x10000, 2 * PG, 0, 9, 0);
	cr_assert_eq(mappings__remap(&ms, 0x10000, 2 * PG, 0x80000, 6 * PG, 10), 0);
	cr_assert_eq(ms.cnt, 1);
	cr_assert_eq(ms.ranges[0].start, 0x80000);
	cr_assert_eq(ms.ranges[0].stack_id, 9);
	cr_assert_eq(totals(&ms).anon_bytes, 6 * PG);
	mappings__release(&ms);
}

Test(mappings, allocator_mappings_are_counted_apart)
{
	struct mappings ms;

	mappings__init(&ms);
	mappings__map(&ms, 0x10000, 33 * PG, MV_MAP_ALLOCATOR, 1, 0);
	mappings__map(&ms, 0x80000, PG, 0, 2, 0);
	cr_assert_eq(totals(&ms).allocator_bytes, 33 * PG);
	cr_assert_eq(totals(&ms).anon_bytes, PG);
	mappings__release(&ms);
}

Test(mappings, by_stack_groups_ranges_and_sorts_by_bytes)
{
	struct mappings ms;
	struct map_site *s;
	long n;

	mappings__init(&ms);
	mappings__map(&ms, 0x10000, PG, 0, 1, 30);
	mappings__map(&ms, 0x20000, PG, 0, 2, 10);
	mappings__map(&ms, 0x30000, PG, 0, 2, 20);
	n = mappings__by_stack(&ms, &s);
	cr_assert_eq(n, 2);
	cr_assert_eq(s[0].stack_id, 2);
	cr_assert_eq(s[0].bytes, 2 * PG);
	cr_assert_eq(s[0].ranges, 2);
	cr_assert_eq(s[0].oldest_ms, 10);
	free(s);
	mappings__release(&ms);
}
