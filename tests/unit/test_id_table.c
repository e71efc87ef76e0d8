// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "lib/id_table.h"

Test(id_table, ids_count_from_one_in_the_order_keys_are_first_seen)
{
	struct id_table *t = id_table__new();
	bool added;

	cr_assert_not_null(t);
	cr_assert_eq(id_table__get(t, "", 0, &added), 1);
	cr_assert(added);
	cr_assert_eq(id_table__get(t, "b", 1, &added), 2);
	cr_assert_eq(id_table__get(t, "a", 1, &added), 3);
	cr_assert_eq(id_table__get(t, "b", 1, &added), 2);
	cr_assert_not(added);
	cr_assert_eq(id_table__get(t, "", 0, &added), 1);
	cr_assert_eq(id_table__cnt(t), 3);
	id_table__free(t);
}

Test(id_table, keys_differing_only_in_length_are_different)
{
	struct id_table *t = id_table__new();
	bool added;

	cr_assert_eq(id_table__get(t, "ab", 1, &added), 1);
	cr_assert_eq(id_table__get(t, "ab", 2, &added), 2);
	cr_assert_eq(id_table__get(t, "ab\0", 3, &added), 3);
	id_table__free(t);
}

Test(id_table, many_keys_keep_their_ids_and_read_back)
{
	struct id_table *t = id_table__new();
	char key[32];
	const char *k;
	bool added;
	size_t len;
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		cr_assert_eq(id_table__get(t, key, strlen(key), &added), (uint64_t)i + 1);
	}
	for (i = 4999; i >= 0; i--) {
		snprintf(key, sizeof(key), "key-%d", i);
		cr_assert_eq(id_table__get(t, key, strlen(key), &added), (uint64_t)i + 1);
		cr_assert_not(added);
		k = id_table__key(t, i + 1, &len);
		cr_assert_eq(len, strlen(key));
		cr_assert_eq(memcmp(k, key, len), 0);
	}
	cr_assert_eq(id_table__cnt(t), 5000);
	id_table__free(t);
}

Test(id_table, free_accepts_null)
{
	id_table__free(NULL);
}
