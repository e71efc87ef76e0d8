// SPDX-License-Identifier: GPL-2.0
/* The live server's memo of resolved frames: each (pid, address) resolved once, the same answer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "serve/resolve_memo.h"

struct counting {
	unsigned int calls;
	struct mv_inlined inlined[2];	/* overwritten by each call, as the symbolizer's */
};

static int counting_resolve(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out)
{
	struct counting *c = ctx;

	c->calls++;
	memset(out, 0, sizeof(*out));
	if (addr == 0xdead)
		return -ENOENT;
	out->symbol = pid == 1 ? "one" : "other";
	out->offset = addr & 0xff;
	c->inlined[0] = (struct mv_inlined){ .symbol = "inner", .line = (unsigned int)addr };
	out->inlined = c->inlined;
	out->inlined_cnt = 1;
	return 0;
}

Test(resolve_memo, each_pid_and_address_is_resolved_once)
{
	struct counting c = { 0 };
	struct resolve_memo *memo = resolve_memo__new(counting_resolve, &c);
	struct mv_symbol s;

	cr_assert_not_null(memo);
	for (int round = 0; round < 3; round++) {
		cr_assert_eq(resolve_memo__resolve(memo, 1, 0x1234, &s), 0);
		cr_assert_str_eq(s.symbol, "one");
		cr_assert_eq(s.offset, 0x34);
		cr_assert_eq(resolve_memo__resolve(memo, 2, 0x1234, &s), 0);
		cr_assert_str_eq(s.symbol, "other");
		cr_assert_eq(resolve_memo__resolve(memo, 1, 0xdead, &s), -ENOENT);
	}
	cr_assert_eq(c.calls, 3, "three keys, %u calls", c.calls);
	resolve_memo__free(memo);
}

Test(resolve_memo, inlined_frames_are_copied_not_borrowed)
{
	struct counting c = { 0 };
	struct resolve_memo *memo = resolve_memo__new(counting_resolve, &c);
	struct mv_symbol a, b;

	resolve_memo__resolve(memo, 1, 0x10, &a);
	resolve_memo__resolve(memo, 1, 0x20, &b);	/* the inner function's array is reused */
	resolve_memo__resolve(memo, 1, 0x10, &a);
	cr_assert_eq(a.inlined_cnt, 1);
	cr_assert_eq(a.inlined[0].line, 0x10);
	cr_assert_eq(b.inlined[0].line, 0x20);
	resolve_memo__free(memo);
}

Test(resolve_memo, many_addresses_grow_the_table_and_stay_right)
{
	struct counting c = { 0 };
	struct resolve_memo *memo = resolve_memo__new(counting_resolve, &c);
	struct mv_symbol s;
	uint64_t a;

	for (a = 0; a < 20000; a++)
		resolve_memo__resolve(memo, 7, 0x100000 + a * 16, &s);
	for (a = 0; a < 20000; a++) {
		resolve_memo__resolve(memo, 7, 0x100000 + a * 16, &s);
		cr_assert_eq(s.offset, (0x100000 + a * 16) & 0xff);
	}
	cr_assert_eq(c.calls, 20000);
	resolve_memo__free(memo);
	resolve_memo__free(NULL);
}
