/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syscall_site: where one uprobe sees a C library syscall wrapper's result
 * as the raw_syscalls:sys_exit tracepoint would, for that process only.
 *
 * The wrapper must hold exactly one "mov $nr,%eax; syscall". The site is
 * the first instruction after the syscall that the kernel emulates (a
 * branch: no single-step), provided every instruction between leaves %rax,
 * %rsp and the argument registers the caller needs untouched, and no branch
 * lands between the syscall and the site. There the syscall's raw result
 * is in %rax, its arguments in %rdi, %rsi, %rdx, %r10, %r8, and, when the
 * code from the entry to the syscall is a straight line whose only stack
 * moves are push and sub $imm, the wrapper's return address is at a known
 * offset from %rsp. Pure.
 */
#ifndef MV_SYSCALL_SITE_H
#define MV_SYSCALL_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSCALL_SITE_SP_UNKNOWN UINT32_MAX

/* Registers (1 << x86 register number) a syscall's record is built from. */
#define SYSCALL_REG(n) (1u << (n))
#define SYSCALL_REGS_RAX SYSCALL_REG(0)

struct syscall_site {
	bool found;
	uint64_t offset;	/* of the site, from the function's entry */
	uint32_t sp_offset;	/* %rsp at the site + this = the return address, or _UNKNOWN */
	char why[96];		/* one line for -v */
};

/*
 * Look in the function code[0..len) (its whole body, mapped at vaddr, for
 * the branch-target check) for the site of syscall nr whose record needs
 * the registers in regs (SYSCALL_REG bits besides %rax). Always fills out;
 * out->found says whether there is a site.
 */
void syscall_site__find(const uint8_t *code, size_t len, uint64_t vaddr, uint32_t nr,
			uint32_t regs, struct syscall_site *out);

#endif
