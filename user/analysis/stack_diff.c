// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/stack_diff.h"

static int cmp_sum(const void *a, const void *b)
{
	return strcmp(((const struct stack_sum *)a)->key, ((const struct stack_sum *)b)->key);
}

/* |delta| largest first, then by key: the order a reader looks for. */
static int cmp_change(const void *a, const void *b)
{
	const struct stack_change *x = a, *y = b;
	uint64_t dx = x->bytes_delta < 0 ? -(uint64_t)x->bytes_delta : (uint64_t)x->bytes_delta;
	uint64_t dy = y->bytes_delta < 0 ? -(uint64_t)y->bytes_delta : (uint64_t)y->bytes_delta;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The sum of the run of s[*i..) with one key; *i moves past it. */
static struct stack_sum take_run(const struct stack_sum *s, size_t cnt, size_t *i)
{
	struct stack_sum sum = s[*i];

	while (++*i < cnt && !strcmp(s[*i].key, sum.key)) {
		sum.bytes += s[*i].bytes;
		sum.blocks += s[*i].blocks;
	}
	return sum;
}

/* The change from o to n (either may be absent: NULL). */
static struct stack_change change_of(const struct stack_sum *o, const struct stack_sum *n)
{
	struct stack_change c = {
		.key = o ? o->key : n->key,
		.old_bytes = o ? o->bytes : 0, .old_blocks = o ? o->blocks : 0,
		.new_bytes = n ? n->bytes : 0, .new_blocks = n ? n->blocks : 0,
	};

	c.bytes_delta = (int64_t)(c.new_bytes - c.old_bytes);
	c.blocks_delta = (int64_t)(c.new_blocks - c.old_blocks);
	if (!o)
		c.kind = STACK_APPEARED;
	else if (!n)
		c.kind = STACK_DISAPPEARED;
	else if (c.bytes_delta > 0 || (!c.bytes_delta && c.blocks_delta > 0))
		c.kind = STACK_GREW;
	else if (c.bytes_delta < 0 || c.blocks_delta < 0)
		c.kind = STACK_SHRANK;
	else
		c.kind = STACK_SAME;
	return c;
}

int stack_diff__compute(struct stack_sum *old, size_t old_cnt, struct stack_sum *new,
			size_t new_cnt, struct stack_change **out, size_t *cnt)
{
	struct stack_change *c = malloc((old_cnt + new_cnt + 1) * sizeof(*c));
	struct stack_sum o, n;
	size_t i = 0, j = 0, k = 0;
	int order;

	if (!c)
		return -ENOMEM;
	if (old_cnt)
		qsort(old, old_cnt, sizeof(*old), cmp_sum);
	if (new_cnt)
		qsort(new, new_cnt, sizeof(*new), cmp_sum);
	while (i < old_cnt || j < new_cnt) {
		order = i == old_cnt ? 1 : j == new_cnt ? -1 : strcmp(old[i].key, new[j].key);
		if (order < 0) {
			o = take_run(old, old_cnt, &i);
			c[k++] = change_of(&o, NULL);
		} else if (order > 0) {
			n = take_run(new, new_cnt, &j);
			c[k++] = change_of(NULL, &n);
		} else {
			o = take_run(old, old_cnt, &i);
			n = take_run(new, new_cnt, &j);
			c[k++] = change_of(&o, &n);
		}
	}
	if (k)
		qsort(c, k, sizeof(*c), cmp_change);
	*out = c;
	*cnt = k;
	return 0;
}

const char *stack_diff__kind_name(enum stack_change_kind kind)
{
	static const char *const names[STACK_CHANGE_CNT] = {
		"appeared", "grew", "shrank", "disappeared", "same",
	};

	return kind < STACK_CHANGE_CNT ? names[kind] : "?";
}
