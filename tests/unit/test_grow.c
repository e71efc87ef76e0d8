// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include "lib/grow.h"

Test(grow, an_array_with_room_is_returned_as_it_is)
{
	size_t cap = 8;
	int *a = malloc(cap * sizeof(*a));

	cr_assert_eq(grow__array(a, &cap, 8, sizeof(*a), 4), a);
	cr_assert_eq(cap, 8);
	free(a);
}

Test(grow, an_empty_array_starts_at_first_cap_and_then_doubles)
{
	size_t cap = 0, i;
	int *a = NULL, *g;

	for (i = 0; i < 100; i++) {
		g = grow__array(a, &cap, i + 1, sizeof(*a), 4);
		cr_assert_not_null(g);
		a = g;
		a[i] = (int)i;
		cr_assert(cap == 4 || cap == 8 || cap == 16 || cap == 32 || cap == 64 || cap == 128,
			  "cap %zu", cap);
	}
	for (i = 0; i < 100; i++)
		cr_assert_eq(a[i], (int)i);
	free(a);
}

Test(grow, a_need_beyond_double_is_met_at_once)
{
	size_t cap = 4;
	char *a = malloc(cap), *g;

	g = grow__array(a, &cap, 100, 1, 4);
	cr_assert_not_null(g);
	cr_assert_geq(cap, 100);
	free(g);
}

Test(grow, a_size_that_overflows_fails_and_leaves_the_array_and_cap)
{
	size_t cap = 4;
	char *a = malloc(cap * 16);

	cr_assert_null(grow__array(a, &cap, SIZE_MAX / 8, 16, 4));
	cr_assert_eq(cap, 4);
	free(a);
}
