// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "binary/x86_insn.h"
#include "sites/probe_site.h"

#define CHOOSE(out, ...) do { \
	static const uint8_t code_[] = { __VA_ARGS__ }; \
	probe_site__choose(code_, sizeof(code_), out); \
} while (0)

Test(x86_insn, decodes_lengths_of_prologue_instructions)
{
	static const struct { uint8_t code[12]; size_t n; int len, cls; } cases[] = {
		{ { 0x41, 0x54 }, 2, 2, INSN_PUSH },				/* push %r12 */
		{ { 0x55 }, 1, 1, INSN_PUSH },					/* push %rbp */
		{ { 0x48, 0x85, 0xff }, 3, 3, INSN_FLAGS_ONLY },		/* test %rdi,%rdi */
		{ { 0x80, 0x3d, 1, 2, 3, 4, 0 }, 7, 7, INSN_FLAGS_ONLY },	/* cmpb $0,x(%rip) */
		{ { 0x0f, 0x84, 0xbf, 0, 0, 0 }, 6, 6, INSN_BRANCH },		/* je rel32 */
		{ { 0x74, 0x07 }, 2, 2, INSN_BRANCH },				/* je rel8 */
		{ { 0xe9, 0x40, 0xb8, 0xf8, 0xff }, 5, 5, INSN_BRANCH },	/* jmp rel32 */
		{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4, 4, INSN_ENDBR },
		{ { 0x48, 0x89, 0xf0 }, 3, 3, INSN_OTHER },			/* mov %rsi,%rax */
		{ { 0x48, 0x8d, 0x74, 0x24, 0x08 }, 5, 5, INSN_OTHER },	/* lea 8(%rsp),%rsi */
		{ { 0x48, 0x83, 0xec, 0x18 }, 4, 4, INSN_OTHER },		/* sub $0x18,%rsp */
		{ { 0x48, 0x83, 0xff, 0x10 }, 4, 4, INSN_FLAGS_ONLY },	/* cmp $0x10,%rdi */
		{ { 0x0f, 0x1f, 0x44, 0, 0 }, 5, 5, INSN_NOP },		/* nopl 0(%rax,%rax) */
		{ { 0xc3 }, 1, 1, INSN_RET },
		/* operand-size prefix: 16-bit immediates, unless REX.W */
		{ { 0x66, 0xb8, 0x01, 0x00 }, 4, 4, INSN_OTHER },		/* mov $1,%ax */
		{ { 0x66, 0x81, 0xff, 0x00, 0x01 }, 5, 5, INSN_FLAGS_ONLY },	/* cmp $0x100,%di */
		{ { 0x66, 0x3d, 0x00, 0x01 }, 4, 4, INSN_FLAGS_ONLY },		/* cmp $0x100,%ax */
		{ { 0x66, 0xf7, 0xc7, 0x01, 0x00 }, 5, 5, INSN_FLAGS_ONLY },	/* test $1,%di */
		{ { 0x66, 0x48, 0x81, 0xc4, 0, 1, 0, 0 }, 8, 8, INSN_OTHER },	/* add $0x100,%rsp */
	};
	struct x86_insn insn;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(x86_insn__decode(cases[i].code, cases[i].n, &insn), 0, "case %zu", i);
		cr_assert_eq(insn.len, cases[i].len, "case %zu", i);
		cr_assert_eq(insn.cls, cases[i].cls, "case %zu", i);
	}
}

Test(x86_insn, truncated_or_unknown_bytes_are_refused)
{
	static const uint8_t trunc[] = { 0x0f, 0x84, 0x01 }, sse[] = { 0x0f, 0x10, 0xc1 };
	/* nopw 0x0(%rax,%rax,1): 9 bytes, refused when its disp32 is cut */
	static const uint8_t nopw[] = { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct x86_insn insn;

	cr_assert_eq(x86_insn__decode(nopw, sizeof(nopw), &insn), 0);
	cr_assert_eq(insn.len, sizeof(nopw));
	cr_assert_neq(x86_insn__decode(nopw, sizeof(nopw) - 2, &insn), 0);

	cr_assert_neq(x86_insn__decode(trunc, sizeof(trunc), &insn), 0);
	cr_assert_neq(x86_insn__decode(sse, sizeof(sse), &insn), 0);
	cr_assert_neq(x86_insn__decode(trunc, 0, &insn), 0);
}

Test(x86_insn, only_unprefixed_push_and_branches_are_emulated)
{
	static const uint8_t push16[] = { 0x66, 0x55 }, push_r12[] = { 0x41, 0x54 };
	struct x86_insn insn;

	x86_insn__decode(push16, sizeof(push16), &insn);
	cr_assert_not(x86_insn__uprobe_emulated(&insn));
	x86_insn__decode(push_r12, sizeof(push_r12), &insn);
	cr_assert(x86_insn__uprobe_emulated(&insn));
}

Test(probe_site, push_prologue_is_probed_at_entry)
{
	struct probe_site s;

	CHOOSE(&s, 0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb);	/* glibc malloc */
	cr_assert_eq(s.offset, 0);
	cr_assert(s.emulated);
}

Test(probe_site, null_check_moves_the_site_to_the_emulated_branch)
{
	struct probe_site s;

	/* glibc free: test %rdi,%rdi; je +0xbf; push %rbp */
	CHOOSE(&s, 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0, 0, 0, 0x55);
	cr_assert_eq(s.offset, 3);
	cr_assert(s.emulated);
}

Test(probe_site, flags_only_compare_is_skipped_to_the_push)
{
	struct probe_site s;

	/* glibc posix_memalign: cmpb $0,x(%rip); push %r12 */
	CHOOSE(&s, 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x41, 0x54, 0x49, 0x89, 0xd4);
	cr_assert_eq(s.offset, 7);
}

Test(probe_site, endbr64_prologue_is_skipped)
{
	struct probe_site s;

	CHOOSE(&s, 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5);
	cr_assert_eq(s.offset, 4);
	cr_assert(s.emulated);
}

Test(probe_site, register_write_before_any_emulated_insn_keeps_the_entry)
{
	struct probe_site s;

	/* glibc reallocarray: mov %rsi,%rax; mul %rdx; ... */
	CHOOSE(&s, 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2, 0x48, 0x89, 0xc6);
	cr_assert_eq(s.offset, 0);
	cr_assert_not(s.emulated);
	/* a stack adjustment moves %rsp: the return address is no longer at (%rsp) */
	CHOOSE(&s, 0x48, 0x83, 0xec, 0x18, 0x55);
	cr_assert_eq(s.offset, 0);
}

Test(probe_site, undecodable_entry_keeps_the_entry)
{
	struct probe_site s;

	CHOOSE(&s, 0x0f, 0x10, 0xc1, 0x55);
	cr_assert_eq(s.offset, 0);
	cr_assert_not(s.emulated);
}

Test(probe_site, branch_scan_finds_rel8_and_rel32_targets)
{
	/* at 0x1000: jmp rel32 to 0x1100; at 0x1005: jne rel8 to 0x1010 */
	static const uint8_t text[] = { 0xe9, 0xfb, 0x00, 0x00, 0x00, 0x75, 0x09 };

	cr_assert(probe_site__is_branch_target(text, sizeof(text), 0x1000, 0x1100));
	cr_assert(probe_site__is_branch_target(text, sizeof(text), 0x1000, 0x1010));
	cr_assert_not(probe_site__is_branch_target(text, sizeof(text), 0x1000, 0x1011));
}
