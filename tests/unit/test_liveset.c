// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include "model/liveset.h"

static struct live_alloc blk(uint64_t addr, uint64_t size)
{
	return (struct live_alloc){ .addr = addr, .size = size, .t_ms = 7, .site = 3 };
}

Test(liveset, inserted_block_is_found_and_removed_once)
{
	struct liveset *ls = liveset__new();
	struct live_alloc a = blk(0x1000, 24), out;

	cr_assert_eq(liveset__insert(ls, &a, NULL), 0);
	cr_assert_eq(liveset__count(ls), 1);
	cr_assert(liveset__remove(ls, 0x1000, &out));
	cr_assert_eq(out.size, 24);
	cr_assert_eq(out.site, 3);
	cr_assert_not(liveset__remove(ls, 0x1000, &out));
	cr_assert_eq(liveset__count(ls), 0);
	liveset__free(ls);
}

Test(liveset, reinserting_a_live_address_replaces_and_returns_the_old_block)
{
	struct liveset *ls = liveset__new();
	struct live_alloc a = blk(0x2000, 10), b = blk(0x2000, 99), old;

	cr_assert_eq(liveset__insert(ls, &a, NULL), 0);
	cr_assert_eq(liveset__insert(ls, &b, &old), 1);
	cr_assert_eq(old.size, 10);
	cr_assert_eq(liveset__count(ls), 1);
	liveset__free(ls);
}

Test(liveset, address_zero_is_rejected)
{
	struct liveset *ls = liveset__new();
	struct live_alloc a = blk(0, 10);

	cr_assert_eq(liveset__insert(ls, &a, NULL), -EINVAL);
	cr_assert_not(liveset__remove(ls, 0, NULL));
	liveset__free(ls);
}

/* Many colliding, growing and shrinking operations against a shadow array. */
Test(liveset, survives_growth_and_deletion_churn_without_losing_entries)
{
	enum { N = 200000 };
	struct liveset *ls = liveset__new();
	static uint8_t live[N];
	struct live_alloc a, out;
	uint64_t seed = 12345, cnt = 0;
	int i;

	for (i = 0; i < 3 * N; i++) {
		uint32_t k;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		k = (seed >> 33) % N;
		if (live[k]) {
			cr_assert(liveset__remove(ls, 0x10000 + k * 16ull, &out));
			cr_assert_eq(out.size, k);
			live[k] = 0;
			cnt--;
		} else {
			a = blk(0x10000 + k * 16ull, k);
			cr_assert_eq(liveset__insert(ls, &a, NULL), 0);
			live[k] = 1;
			cnt++;
		}
	}
	cr_assert_eq(liveset__count(ls), cnt);
	for (i = 0; i < N; i++)
		cr_assert_eq(liveset__remove(ls, 0x10000 + i * 16ull, NULL), live[i] != 0,
			     "key %d", i);
	cr_assert_eq(liveset__count(ls), 0);
	liveset__free(ls);
}

/* Random addresses make runs that wrap around the table's end across growths. */
Test(liveset, in_place_growth_keeps_every_random_address_findable)
{
	enum { N = 150000 };
	static uint64_t addrs[N];
	struct liveset *ls = liveset__new();
	struct live_alloc a, out;
	uint64_t seed = 987654321;
	int i;

	for (i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		/* unique: i in bits 4..21, random bits above */
		addrs[i] = (seed >> 17 & ~0x3fffffull) | (uint64_t)(i + 1) << 4;
		a = blk(addrs[i], i);
		cr_assert_eq(liveset__insert(ls, &a, NULL), 0);
	}
	for (i = N - 1; i >= 0; i--) {
		cr_assert(liveset__remove(ls, addrs[i], &out), "block %d lost", i);
		cr_assert_eq(out.size, (uint64_t)i);
	}
	cr_assert_eq(liveset__count(ls), 0);
	cr_assert_geq(liveset__memory_bytes(ls), (size_t)N * 4 / 3 * sizeof(struct live_alloc));
	liveset__free(ls);
}

Test(liveset, iteration_visits_every_live_block_once)
{
	struct liveset *ls = liveset__new();
	const struct live_alloc *p;
	struct live_alloc a;
	uint64_t sum = 0, n = 0;
	size_t pos = 0;
	int i;

	for (i = 1; i <= 5000; i++) {
		a = blk(i * 32ull, i);
		liveset__insert(ls, &a, NULL);
	}
	for (i = 1; i <= 5000; i += 2)
		liveset__remove(ls, i * 32ull, NULL);
	while ((p = liveset__next(ls, &pos))) {
		sum += p->size;
		n++;
	}
	cr_assert_eq(n, 2500);
	cr_assert_eq(sum, 2500ull * 2501);	/* 2 + 4 + ... + 5000 */
	liveset__clear(ls);
	pos = 0;
	cr_assert_null(liveset__next(ls, &pos));
	liveset__free(ls);
}

Test(liveset, slot_costs_24_bytes)
{
	cr_assert_eq(sizeof(struct live_alloc), 24);
}
