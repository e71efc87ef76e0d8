/* SPDX-License-Identifier: GPL-2.0 */
/* sorted_vec: a growing array of pointers kept sorted, searched with a key. */
#ifndef MV_SORTED_VEC_H
#define MV_SORTED_VEC_H

#include <stdbool.h>
#include <stddef.h>

struct sorted_vec {
	void **items;
	size_t cnt, cap;
};

/* <0, 0, >0 as key sorts before, with, after item. */
typedef int (*sorted_vec_cmp)(const void *key, const void *item);

/* Index of the first item not below key; *found tells if it equals key. */
size_t sorted_vec__search(const struct sorted_vec *v, const void *key, sorted_vec_cmp cmp, bool *found);
/* Insert item at idx (from sorted_vec__search). 0 or -ENOMEM. */
int sorted_vec__insert(struct sorted_vec *v, size_t idx, void *item);
void sorted_vec__remove(struct sorted_vec *v, size_t idx);

#endif
