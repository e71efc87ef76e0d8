// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "map_wrappers.h"
#include "syscall_site.h"
#include "x86_insn.h"

#define RDX SYSCALL_REG(2)
#define RSI SYSCALL_REG(6)
#define RDI SYSCALL_REG(7)
#define R10 SYSCALL_REG(10)

/* glibc 2.36 (Debian 12) wrappers, byte for byte. */
static const uint8_t glibc_mmap[] = {
	0x41, 0x89, 0xca, 0x41, 0xf7, 0xc1, 0xff, 0x0f, 0x00, 0x00, 0x75, 0x14, 0xb8, 0x09, 0x00,
	0x00, 0x00, 0x0f, 0x05, 0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff, 0x77, 0x25, 0xc3, 0x0f, 0x1f,
	0x40, 0x00, 0x48, 0x8b, 0x05, 0x19, 0x14, 0x0d, 0x00, 0x64, 0xc7, 0x00, 0x16, 0x00, 0x00,
	0x00, 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0xc3, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x48, 0x8b, 0x15, 0xf9, 0x13, 0x0d, 0x00, 0xf7, 0xd8, 0x64, 0x89,
	0x02, 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0xc3,
};
static const uint8_t glibc_munmap[] = {
	0xb8, 0x0b, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, 0x73, 0x01,
	0xc3, 0x48, 0x8b, 0x0d, 0xc9, 0x13, 0x0d, 0x00, 0xf7, 0xd8, 0x64, 0x89, 0x01, 0x48, 0x83,
	0xc8, 0xff, 0xc3,
};
static const uint8_t glibc_brk[] = {
	0xb8, 0x0c, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x8b, 0x15, 0xe2, 0x51, 0x0d, 0x00, 0x48,
	0x89, 0x02, 0x48, 0x39, 0xf8, 0x72, 0x0a, 0x31, 0xc0, 0xc3, 0x0f, 0x1f, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x48, 0x8b, 0x05, 0x79, 0x51, 0x0d, 0x00, 0x64, 0xc7, 0x00, 0x0c, 0x00, 0x00,
	0x00, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xc3,
};
static const uint8_t glibc_mremap[] = {
	0x48, 0x83, 0xec, 0x58, 0x4c, 0x89, 0x44, 0x24, 0x40, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28,
	0x00, 0x00, 0x00, 0x48, 0x89, 0x44, 0x24, 0x18, 0x31, 0xc0, 0x83, 0xf9, 0x07, 0x77, 0x5a,
	0x41, 0x89, 0xca, 0x45, 0x31, 0xc0, 0xf6, 0xc1, 0x06, 0x75, 0x27, 0xb8, 0x19, 0x00, 0x00,
	0x00, 0x0f, 0x05, 0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff, 0x77, 0x58, 0x48, 0x8b, 0x54, 0x24,
	0x18, 0x64, 0x48, 0x2b, 0x14, 0x25, 0x28, 0x00, 0x00, 0x00, 0x75, 0x5d, 0x48, 0x83, 0xc4,
	0x58, 0xc3, 0x0f, 0x1f, 0x00, 0x48, 0x8d, 0x44, 0x24, 0x60, 0xc7, 0x04, 0x24, 0x20, 0x00,
	0x00, 0x00, 0x4c, 0x8b, 0x44, 0x24, 0x40, 0x48, 0x89, 0x44, 0x24, 0x08, 0x48, 0x8d, 0x44,
	0x24, 0x20, 0x48, 0x89, 0x44, 0x24, 0x10, 0xeb, 0xb7,
};

#define FIND(code, nr, regs, out) syscall_site__find(code, sizeof(code), 0x1000, nr, regs, out)

Test(x86_insn, knows_the_register_an_instruction_writes)
{
	static const struct { uint8_t code[8]; size_t n; int writes, cls; } cases[] = {
		{ { 0x41, 0x89, 0xca }, 3, 10, INSN_OTHER },		/* mov %ecx,%r10d */
		{ { 0x48, 0x89, 0x02 }, 3, X86_WRITES_NONE, INSN_OTHER },	/* mov %rax,(%rdx) */
		{ { 0x48, 0x8b, 0x15, 1, 2, 3, 4 }, 7, 2, INSN_OTHER },	/* mov x(%rip),%rdx */
		{ { 0xb8, 0x09, 0, 0, 0 }, 5, 0, INSN_OTHER },		/* mov $9,%eax */
		{ { 0x41, 0xba, 1, 0, 0, 0 }, 6, 10, INSN_OTHER },		/* mov $1,%r10d */
		{ { 0x48, 0x83, 0xec, 0x58 }, 4, X86_REG_RSP, INSN_OTHER },	/* sub $0x58,%rsp */
		{ { 0x41, 0xf7, 0xc1, 0xff, 0x0f, 0, 0 }, 7, X86_WRITES_NONE, INSN_FLAGS_ONLY },
		{ { 0x0f, 0x05 }, 2, X86_WRITES_UNKNOWN, INSN_SYSCALL },
		{ { 0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff }, 6, X86_WRITES_NONE, INSN_FLAGS_ONLY },
	};
	struct x86_insn insn;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(x86_insn__decode(cases[i].code, cases[i].n, &insn), 0, "case %zu", i);
		cr_assert_eq(insn.len, cases[i].n, "case %zu", i);
		cr_assert_eq(insn.cls, cases[i].cls, "case %zu", i);
		cr_assert_eq(insn.writes, cases[i].writes, "case %zu: %d", i, insn.writes);
	}
	x86_insn__decode(cases[5].code, cases[5].n, &insn);
	cr_assert_eq(insn.imm, 0x58);
	cr_assert_eq(insn.subop, 5, "sub");
}

Test(syscall_site, glibc_mmap_is_seen_at_the_branch_after_its_syscall)
{
	struct syscall_site s;

	FIND(glibc_mmap, SYS_mmap, RSI | RDX | R10, &s);
	cr_assert(s.found, "%s", s.why);
	cr_assert_eq(s.offset, 0x19, "the ja after cmp $-4096,%%rax");
	cr_assert_eq(s.sp_offset, 0, "a leaf: the return address is at %%rsp");
}

Test(syscall_site, glibc_munmap_and_brk_are_seen_after_their_syscall)
{
	struct syscall_site s;

	FIND(glibc_munmap, SYS_munmap, RDI | RSI, &s);
	cr_assert(s.found, "%s", s.why);
	cr_assert_eq(s.offset, 0xd);
	FIND(glibc_brk, SYS_brk, 0, &s);
	cr_assert(s.found, "%s", s.why);
	cr_assert_eq(s.offset, 0x14, "past the store to __curbrk and the cmp");
}

Test(syscall_site, a_register_the_record_needs_must_survive_to_the_site)
{
	struct syscall_site s;

	FIND(glibc_brk, SYS_brk, RDX, &s);	/* brk loads &__curbrk into %rdx */
	cr_assert_not(s.found);
	cr_assert(strstr(s.why, "changes"), "%s", s.why);
}

Test(syscall_site, glibc_mremap_has_a_site_but_no_known_return_address)
{
	struct syscall_site s;

	FIND(glibc_mremap, SYS_mremap, RDI | RSI | RDX, &s);
	cr_assert(s.found, "%s", s.why);
	cr_assert_eq(s.offset, 0x36);
	/* xor %eax,%eax on the way is not decoded, and a jmp comes back to the syscall */
	cr_assert_eq(s.sp_offset, SYSCALL_SITE_SP_UNKNOWN);
}

Test(syscall_site, the_wrong_number_or_two_syscalls_give_no_site)
{
	static const uint8_t twice[] = { 0xb8, 0x0b, 0, 0, 0, 0x0f, 0x05, 0x74, 0x00,
					 0xb8, 0x0b, 0, 0, 0, 0x0f, 0x05, 0x74, 0x00, 0xc3 };
	struct syscall_site s;

	FIND(glibc_munmap, SYS_mmap, 0, &s);
	cr_assert_not(s.found);
	FIND(twice, SYS_munmap, 0, &s);
	cr_assert_not(s.found, "two syscalls: which one is unknown");
}

Test(syscall_site, a_branch_into_the_stretch_after_the_syscall_gives_no_site)
{
	/* mov $11,%eax; syscall; cmp; jae +1; ret; jmp back to the cmp */
	static const uint8_t code[] = { 0xb8, 0x0b, 0, 0, 0, 0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0,
					0xff, 0xff, 0x73, 0x01, 0xc3, 0xeb, 0xf5 };
	struct syscall_site s;

	FIND(code, SYS_munmap, RDI | RSI, &s);
	cr_assert_not(s.found, "%s", s.why);
}

Test(syscall_site, pushes_and_sub_before_the_syscall_move_the_return_address)
{
	/* push %rbx; sub $0x10,%rsp; mov $9,%eax; syscall; test %rax,%rax; js ...; ret */
	static const uint8_t code[] = { 0x53, 0x48, 0x83, 0xec, 0x10, 0xb8, 0x09, 0, 0, 0, 0x0f,
					0x05, 0x48, 0x85, 0xc0, 0x78, 0x00, 0xc3 };
	struct syscall_site s;

	FIND(code, SYS_mmap, RSI | RDX | R10, &s);
	cr_assert(s.found, "%s", s.why);
	cr_assert_eq(s.offset, 15);
	cr_assert_eq(s.sp_offset, 8 + 0x10);
}

Test(map_wrappers, this_process_s_c_library_wrappers_are_probed_after_their_syscall)
{
	struct map_wrappers *w = calloc(1, sizeof(*w));
	bool nr_seen[4] = { false };
	char err[256];
	size_t i;

	cr_assert_eq(map_wrappers__resolve(getpid(), NULL, NULL, w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w->object_cnt, 1);
	cr_assert(strstr(w->objects[0].path, "libc.so"), "%s", w->objects[0].path);
	for (i = 0; i < w->func_cnt; i++) {
		const struct map_wrapper *f = &w->funcs[i];

		cr_assert(f->after_syscall, "%s: %s", f->name, f->why);
		cr_assert_gt(f->offset, f->entry, "%s", f->name);
		nr_seen[f->nr == SYS_mmap ? 0 : f->nr == SYS_munmap ? 1 : f->nr == SYS_mremap ? 2 : 3] =
			true;
		cr_assert_eq(map_wrappers__cookie(f) & 0xffffffff, f->nr);
	}
	cr_assert(nr_seen[0] && nr_seen[1] && nr_seen[2] && nr_seen[3],
		  "mmap, munmap, mremap and brk each have a wrapper (%zu found)", w->func_cnt);
	free(w);
}

Test(map_wrappers, a_missing_process_is_a_clear_error)
{
	struct map_wrappers *w = calloc(1, sizeof(*w));
	char err[256];

	cr_assert_lt(map_wrappers__resolve(0x3fffffff, NULL, NULL, w, err, sizeof(err)), 0);
	cr_assert(strstr(err, "cannot read the mappings of PID"), "%s", err);
	free(w);
}

Test(map_wrappers, a_cache_gives_what_a_fresh_resolution_gives)
{
	struct map_wrappers *fresh = calloc(1, sizeof(*fresh)), *cached = calloc(1, sizeof(*cached));
	struct map_wrappers_cache *c = map_wrappers_cache__new();
	char err[256];
	size_t i;

	cr_assert_not_null(c);
	cr_assert_eq(map_wrappers__resolve(getpid(), NULL, NULL, fresh, err, sizeof(err)), 0, "%s", err);
	for (i = 0; i < 2; i++)	/* the first fills the cache, the second reads it */
		cr_assert_eq(map_wrappers__resolve(getpid(), NULL, c, cached, err, sizeof(err)), 0,
			     "%s", err);
	cr_assert_eq(cached->func_cnt, fresh->func_cnt);
	cr_assert_str_eq(cached->objects[0].path, fresh->objects[0].path);
	for (i = 0; i < fresh->func_cnt; i++) {
		cr_assert_eq(cached->funcs[i].offset, fresh->funcs[i].offset);
		cr_assert_eq(cached->funcs[i].nr, fresh->funcs[i].nr);
		cr_assert_eq(cached->funcs[i].object, fresh->funcs[i].object);
		cr_assert_eq(map_wrappers__cookie(&cached->funcs[i]),
			     map_wrappers__cookie(&fresh->funcs[i]));
	}
	map_wrappers_cache__free(c);
	free(fresh);
	free(cached);
}
