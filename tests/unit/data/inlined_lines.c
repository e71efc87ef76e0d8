// SPDX-License-Identifier: GPL-2.0
/* inlined_lines: inner() inlined into outer(). test_dwarf_lines.c asserts lines 8 and 13. */
static volatile int sink;

static inline __attribute__((always_inline)) int inner(int x)
{
	/* line 8 below */
	return x * 3 + sink;
}

__attribute__((noinline)) int outer(int x)
{
	return inner(x) + 1;	/* line 13 */
}

int main(void)
{
	return outer(2) == 7;
}
