// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "lib/grow.h"
#include "symbolize/sorted_vec.h"

size_t sorted_vec__search(const struct sorted_vec *v, const void *key, sorted_vec_cmp cmp, bool *found)
{
	size_t lo = 0, hi = v->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, v->items[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < v->cnt && !cmp(key, v->items[lo]);
	return lo;
}

int sorted_vec__insert(struct sorted_vec *v, size_t idx, void *item)
{
	void **grown;

	grown = grow__array(v->items, &v->cap, v->cnt + 1, sizeof(*grown), 16);
	if (!grown)
		return -ENOMEM;
	v->items = grown;
	memmove(&v->items[idx + 1], &v->items[idx], (v->cnt - idx) * sizeof(*v->items));
	v->items[idx] = item;
	v->cnt++;
	return 0;
}

void sorted_vec__remove(struct sorted_vec *v, size_t idx)
{
	memmove(&v->items[idx], &v->items[idx + 1], (v->cnt - idx - 1) * sizeof(*v->items));
	v->cnt--;
}
