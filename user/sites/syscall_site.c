// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "binary/x86_insn.h"
#include "sites/probe_site.h"
#include "sites/syscall_site.h"

#define MAX_INSNS_AFTER 6	/* instructions between the syscall and the site */
#define MAX_INSNS_BEFORE 32	/* from the entry to the syscall */

static void none(struct syscall_site *out, const char *why)
{
	out->found = false;
	snprintf(out->why, sizeof(out->why), "%s", why);
}

/* Offset of the only "mov $nr,%eax; syscall" in code, or -1 (none, or several). */
static long find_syscall(const uint8_t *code, size_t len, uint32_t nr)
{
	uint8_t pat[7] = { 0xb8, nr, nr >> 8, nr >> 16, nr >> 24, 0x0f, 0x05 };
	long at = -1;
	size_t i;

	for (i = 0; i + sizeof(pat) <= len; i++) {
		if (memcmp(code + i, pat, sizeof(pat)))
			continue;
		if (at >= 0)
			return -1;
		at = (long)i + 5;
	}
	return at;
}

/*
 * Bytes %rsp moved down from the entry to the syscall at code[sys]: the
 * entry's straight line must decode up to it, and its only stack moves be
 * push and sub $imm,%rsp. SYSCALL_SITE_SP_UNKNOWN otherwise.
 */
static uint32_t sp_drop(const uint8_t *code, size_t len, size_t sys, uint64_t vaddr)
{
	struct x86_insn insn;
	uint32_t drop = 0;
	size_t off = 0;
	int n;

	for (n = 0; n < MAX_INSNS_BEFORE && off < sys; n++) {
		if (x86_insn__decode(code + off, sys - off, &insn))
			return SYSCALL_SITE_SP_UNKNOWN;
		if (off && probe_site__is_branch_target(code, len, vaddr, vaddr + off))
			return SYSCALL_SITE_SP_UNKNOWN;	/* reached another way too */
		if (insn.cls == INSN_PUSH)
			drop += 8;
		else if (insn.cls == INSN_OTHER && insn.writes == X86_REG_RSP &&
			 insn.subop == 5 && insn.imm > 0)
			drop += insn.imm;	/* sub $imm,%rsp */
		else if (insn.cls == INSN_RET || insn.writes == X86_REG_RSP ||
			 insn.writes == X86_WRITES_UNKNOWN ||
			 (insn.cls == INSN_BRANCH && insn.rel < 0))
			return SYSCALL_SITE_SP_UNKNOWN;
		off += insn.len;
	}
	if (off != sys || probe_site__is_branch_target(code, len, vaddr, vaddr + sys))
		return SYSCALL_SITE_SP_UNKNOWN;
	return drop;
}

void syscall_site__find(const uint8_t *code, size_t len, uint64_t vaddr, uint32_t nr,
			uint32_t regs, struct syscall_site *out)
{
	uint32_t keep = regs | SYSCALL_REGS_RAX | SYSCALL_REG(X86_REG_RSP);
	struct x86_insn insn;
	long sys = find_syscall(code, len, nr);
	size_t off;
	int n;

	memset(out, 0, sizeof(*out));
	out->sp_offset = SYSCALL_SITE_SP_UNKNOWN;
	if (sys < 0) {
		none(out, "no single \"mov $nr,%eax; syscall\" in the function");
		return;
	}
	off = sys + 2;
	for (n = 0; n < MAX_INSNS_AFTER && off < len; n++) {
		if (x86_insn__decode(code + off, len - off, &insn)) {
			none(out, "an instruction after the syscall is not decoded");
			return;
		}
		if (probe_site__is_branch_target(code, len, vaddr, vaddr + off)) {
			none(out, "a branch lands after the syscall");
			return;
		}
		if (x86_insn__uprobe_emulated(&insn) && insn.cls == INSN_BRANCH) {
			out->found = true;
			out->offset = off;
			out->sp_offset = sp_drop(code, len, sys, vaddr);
			snprintf(out->why, sizeof(out->why), "first emulated instruction (%s) after "
				 "the syscall, +%zu", x86_insn__class_name(insn.cls), off);
			return;
		}
		if (insn.cls == INSN_PUSH || insn.cls == INSN_RET || insn.cls == INSN_BRANCH ||
		    insn.cls == INSN_SYSCALL || insn.writes == X86_WRITES_UNKNOWN ||
		    (insn.writes >= 0 && (keep & SYSCALL_REG(insn.writes)))) {
			none(out, "the result or an argument register changes after the syscall");
			return;
		}
		off += insn.len;
	}
	none(out, "no emulated instruction soon after the syscall");
}
