/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86_insn: a small x86-64 decoder for function prologues and syscall
 * wrappers: instruction lengths, classes and the general register each
 * writes, enough to find where a uprobe can sit on an instruction the kernel
 * emulates. Anything outside the subset is refused, which callers treat as
 * "stop here". Pure.
 */
#ifndef MV_X86_INSN_H
#define MV_X86_INSN_H

#include <stddef.h>
#include <stdint.h>

enum insn_class {
	INSN_UNKNOWN = 0,	/* not decoded */
	INSN_PUSH,		/* push %reg: emulated by uprobes */
	INSN_BRANCH,		/* jmp/jcc/call rel8/rel32: emulated by uprobes */
	INSN_FLAGS_ONLY,	/* cmp/test: writes only RFLAGS */
	INSN_ENDBR,		/* endbr64: no architectural effect */
	INSN_NOP,
	INSN_RET,
	INSN_SYSCALL,		/* syscall: writes %rax, %rcx, %r11 */
	INSN_OTHER,		/* decoded length; the register written is in .writes */
};

/* x86_insn.writes: a register number (0 %rax ... 4 %rsp ... 15 %r15), or one of these. */
#define X86_WRITES_NONE -1	/* no general register (flags, memory, branches) */
#define X86_WRITES_UNKNOWN -2	/* not modelled: assume anything */
#define X86_REG_RSP 4

struct x86_insn {
	uint8_t len;
	uint8_t cls;		/* enum insn_class */
	uint8_t has_prefix;	/* legacy or REX prefix other than REX.B on push */
	int32_t rel;		/* INSN_BRANCH: displacement from the next insn */
	int8_t writes;		/* general register written (besides %rsp by push/call/ret) */
	int32_t imm;		/* mov $imm32,%reg and sub/add $imm,%reg: the immediate */
	uint8_t subop;		/* group opcodes 0x80/0x81/0x83: the ModRM reg field */
};

/* Decode the instruction at code[0..avail). 0, or -EINVAL if not in the subset. */
int x86_insn__decode(const uint8_t *code, size_t avail, struct x86_insn *out);

/* Whether the kernel emulates a uprobe on this instruction (no single-step). */
int x86_insn__uprobe_emulated(const struct x86_insn *insn);

const char *x86_insn__class_name(enum insn_class cls);

#endif
