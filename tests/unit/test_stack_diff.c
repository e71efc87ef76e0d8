// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdlib.h>
#include "analysis/stack_diff.h"

/* The change of key in c[0..cnt), or NULL. */
static const struct stack_change *find(const struct stack_change *c, size_t cnt, const char *key)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		if (!strcmp(c[i].key, key))
			return &c[i];
	return NULL;
}

Test(stack_diff, stacks_grow_shrink_appear_and_disappear_by_key)
{
	struct stack_sum old[] = { { "a\n", 100, 1 }, { "b\n", 500, 5 }, { "c\n", 70, 7 },
				   { "same\n", 9, 1 } };
	struct stack_sum new[] = { { "same\n", 9, 1 }, { "a\n", 300, 3 }, { "b\n", 200, 2 },
				   { "d\n", 40, 4 } };
	struct stack_change *c = NULL;
	const struct stack_change *x;
	size_t cnt = 0;

	cr_assert_eq(stack_diff__compute(old, 4, new, 4, &c, &cnt), 0);
	cr_assert_eq(cnt, 5);
	x = find(c, cnt, "a\n");
	cr_assert_eq(x->kind, STACK_GREW);
	cr_assert_eq(x->bytes_delta, 200);
	cr_assert_eq(x->blocks_delta, 2);
	x = find(c, cnt, "b\n");
	cr_assert_eq(x->kind, STACK_SHRANK);
	cr_assert_eq(x->bytes_delta, -300);
	cr_assert_eq(find(c, cnt, "c\n")->kind, STACK_DISAPPEARED);
	cr_assert_eq(find(c, cnt, "c\n")->bytes_delta, -70);
	cr_assert_eq(find(c, cnt, "d\n")->kind, STACK_APPEARED);
	cr_assert_eq(find(c, cnt, "d\n")->new_blocks, 4);
	cr_assert_eq(find(c, cnt, "same\n")->kind, STACK_SAME);
	/* the largest change first */
	cr_assert_str_eq(c[0].key, "b\n");
	cr_assert_str_eq(c[1].key, "a\n");
	free(c);
}

Test(stack_diff, one_key_in_several_processes_is_summed)
{
	struct stack_sum old[] = { { "k\n", 10, 1 }, { "k\n", 20, 2 } };
	struct stack_sum new[] = { { "k\n", 30, 3 } };
	struct stack_change *c = NULL;
	size_t cnt = 0;

	cr_assert_eq(stack_diff__compute(old, 2, new, 1, &c, &cnt), 0);
	cr_assert_eq(cnt, 1);
	cr_assert_eq(c[0].kind, STACK_SAME);
	cr_assert_eq(c[0].old_bytes, 30);
	cr_assert_eq(c[0].old_blocks, 3);
	free(c);
}

Test(stack_diff, same_bytes_in_more_blocks_grew_and_empty_inputs_give_nothing)
{
	struct stack_sum old[] = { { "k\n", 64, 1 } };
	struct stack_sum new[] = { { "k\n", 64, 2 } };
	struct stack_change *c = NULL;
	size_t cnt = 9;

	cr_assert_eq(stack_diff__compute(old, 1, new, 1, &c, &cnt), 0);
	cr_assert_eq(c[0].kind, STACK_GREW);
	free(c);
	cr_assert_eq(stack_diff__compute(NULL, 0, NULL, 0, &c, &cnt), 0);
	cr_assert_eq(cnt, 0);
	free(c);
	cr_assert_str_eq(stack_diff__kind_name(STACK_DISAPPEARED), "disappeared");
}
