// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "model/stacks.h"

Test(stacks, identical_stacks_share_one_id)
{
	struct stacks *st = stacks__new();
	uint64_t a[] = { 1, 2, 3 }, b[] = { 1, 2, 3 };

	cr_assert_eq(stacks__intern(st, a, 3), stacks__intern(st, b, 3));
	cr_assert_eq(stacks__count(st), 1);
	stacks__free(st);
}

Test(stacks, prefix_and_different_stacks_get_different_ids)
{
	struct stacks *st = stacks__new();
	uint64_t a[] = { 1, 2, 3 }, c[] = { 3, 2, 1 };
	int64_t ida = stacks__intern(st, a, 3), idp = stacks__intern(st, a, 2);
	int64_t idc = stacks__intern(st, c, 3), ide = stacks__intern(st, a, 0);
	const uint64_t *f;
	uint32_t depth;

	cr_assert_neq(ida, idp);
	cr_assert_neq(ida, idc);
	cr_assert_neq(idp, ide);
	f = stacks__frames(st, idp, &depth);
	cr_assert_eq(depth, 2);
	cr_assert_eq(f[1], 2);
	stacks__frames(st, ide, &depth);
	cr_assert_eq(depth, 0);
	cr_assert_null(stacks__frames(st, 99, &depth));
	stacks__free(st);
}

Test(stacks, many_stacks_keep_their_frames_across_growth)
{
	struct stacks *st = stacks__new();
	uint64_t fr[4];
	uint32_t depth, i;

	for (i = 0; i < 10000; i++) {
		fr[0] = i; fr[1] = i * 7; fr[2] = 42; fr[3] = i ^ 0x5555;
		cr_assert_eq(stacks__intern(st, fr, 4), i);
	}
	for (i = 0; i < 10000; i += 999) {
		const uint64_t *f = stacks__frames(st, i, &depth);

		cr_assert_eq(depth, 4);
		cr_assert_eq(f[1], i * 7ull);
		fr[0] = i; fr[1] = i * 7; fr[2] = 42; fr[3] = i ^ 0x5555;
		cr_assert_eq(stacks__intern(st, fr, 4), i);
	}
	stacks__free(st);
}
