// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "unwind/row_ranges.h"

struct extent {
	uint32_t first;
	uint32_t cnt;
};

struct row_ranges {
	struct extent *free;	/* sorted by first, never touching each other */
	size_t free_cnt, free_cap;
	uint32_t cap;
	uint32_t used;
};

struct row_ranges *row_ranges__new(uint32_t cap)
{
	struct row_ranges *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cap = cap;
	if (!cap)
		return r;
	r->free = grow__array(NULL, &r->free_cap, 1, sizeof(*r->free), 16);
	if (!r->free) {
		free(r);
		return NULL;
	}
	r->free[0] = (struct extent){ 0, cap };
	r->free_cnt = 1;
	return r;
}

void row_ranges__free(struct row_ranges *r)
{
	if (!r)
		return;
	free(r->free);
	free(r);
}

int row_ranges__alloc(struct row_ranges *r, uint32_t cnt, uint32_t *first)
{
	size_t i;

	if (!cnt)
		return -EINVAL;
	for (i = 0; i < r->free_cnt; i++) {
		struct extent *e = &r->free[i];

		if (e->cnt < cnt)
			continue;
		*first = e->first;
		e->first += cnt;
		e->cnt -= cnt;
		if (!e->cnt) {
			memmove(e, e + 1, (r->free_cnt - i - 1) * sizeof(*e));
			r->free_cnt--;
		}
		r->used += cnt;
		return 0;
	}
	return -ENOSPC;
}

int row_ranges__release(struct row_ranges *r, uint32_t first, uint32_t cnt)
{
	struct extent *ext;
	size_t i = 0;

	if (!cnt)
		return 0;
	while (i < r->free_cnt && r->free[i].first < first)
		i++;
	/* merge with the free range before it, after it, or both */
	if (i > 0 && r->free[i - 1].first + r->free[i - 1].cnt == first) {
		r->free[i - 1].cnt += cnt;
		if (i < r->free_cnt && first + cnt == r->free[i].first) {
			r->free[i - 1].cnt += r->free[i].cnt;
			memmove(&r->free[i], &r->free[i + 1], (r->free_cnt - i - 1) * sizeof(*ext));
			r->free_cnt--;
		}
		r->used -= cnt;
		return 0;
	}
	if (i < r->free_cnt && first + cnt == r->free[i].first) {
		r->free[i].first = first;
		r->free[i].cnt += cnt;
		r->used -= cnt;
		return 0;
	}
	ext = grow__array(r->free, &r->free_cap, r->free_cnt + 1, sizeof(*ext), 16);
	if (!ext)
		return -ENOMEM;
	r->free = ext;
	memmove(&ext[i + 1], &ext[i], (r->free_cnt - i) * sizeof(*ext));
	ext[i] = (struct extent){ first, cnt };
	r->free_cnt++;
	r->used -= cnt;
	return 0;
}

uint32_t row_ranges__used(const struct row_ranges *r)
{
	return r->used;
}

uint32_t row_ranges__cap(const struct row_ranges *r)
{
	return r->cap;
}
