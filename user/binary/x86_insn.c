// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "binary/x86_insn.h"

const char *x86_insn__class_name(enum insn_class cls)
{
	static const char *const names[] = {
		[INSN_UNKNOWN] = "unknown", [INSN_PUSH] = "push",
		[INSN_BRANCH] = "branch", [INSN_FLAGS_ONLY] = "cmp/test",
		[INSN_ENDBR] = "endbr64", [INSN_NOP] = "nop",
		[INSN_RET] = "ret",
		[INSN_SYSCALL] = "syscall", [INSN_OTHER] = "other",
	};

	return cls <= INSN_OTHER ? names[cls] : "?";
}

static int is_legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e ||
	       b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 || b == 0x36;
}

/* Bytes taken by a ModRM operand starting at code[0] (ModRM, SIB, displacement). */
static int modrm_len(const uint8_t *code, size_t avail)
{
	uint8_t modrm, mod, rm;
	int len = 1;

	if (avail < 1)
		return -EINVAL;
	modrm = code[0];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (avail < 2)
			return -EINVAL;
		len++;
		if (mod == 0 && (code[1] & 7) == 5)
			len += 4;	/* SIB with no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		len += 4;		/* RIP-relative disp32 */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

static int32_t read_rel(const uint8_t *p, int bytes)
{
	int32_t v;
	int16_t h;

	if (bytes == 1)
		return (int8_t)p[0];
	if (bytes == 2) {
		memcpy(&h, p, 2);
		return h;
	}
	memcpy(&v, p, 4);
	return v;
}

/* REX.R and REX.B of the prefix byte rex (0 if none). */
#define REX_R(rex) (((rex) >> 2) & 1)
#define REX_B(rex) ((rex) & 1)

/* The register a ModRM operand names when it is one (mod 3), else X86_WRITES_NONE (memory). */
static int8_t modrm_rm_reg(uint8_t modrm, uint8_t rex)
{
	return (modrm >> 6) == 3 ? (int8_t)((modrm & 7) | REX_B(rex) << 3) : X86_WRITES_NONE;
}

static int8_t modrm_reg(uint8_t modrm, uint8_t rex)
{
	return (int8_t)(((modrm >> 3) & 7) | REX_R(rex) << 3);
}

/* Fill out for a one-byte-opcode instruction at code[op] (prefixes before it). */
static int decode_one_byte(const uint8_t *code, size_t avail, size_t op, uint8_t rex,
			   struct x86_insn *out)
{
	uint8_t b = code[op];
	size_t rest = avail - op - 1;
	const uint8_t *m = code + op + 1;
	/* the operand-size prefix (66) makes a full-size immediate 16 bits, unless REX.W */
	int full = memchr(code, 0x66, op) && !(rex & 8) ? 2 : 4;
	int ml, imm = 0, cls = INSN_OTHER;
	int8_t writes = X86_WRITES_NONE;

	if (b >= 0xb8 && b <= 0xbf) {	/* mov $imm32,%r32 (no REX.W: imm64 not modelled) */
		if (rest < (size_t)full || (rex & 8))
			return -EINVAL;
		out->cls = INSN_OTHER;
		out->writes = (b - 0xb8) | REX_B(rex) << 3;
		out->imm = read_rel(m, full);
		out->len = op + 1 + full;
		return 0;
	}
	if (b >= 0x50 && b <= 0x57) {
		out->cls = INSN_PUSH;
		out->len = op + 1;
		return 0;
	}
	if (b == 0x90 || b == 0xc3) {
		out->cls = b == 0x90 ? INSN_NOP : INSN_RET;
		out->len = op + 1;
		return 0;
	}
	if ((b >= 0x70 && b <= 0x7f) || b == 0xeb || b == 0xe9 || b == 0xe8) {
		int n = (b == 0xe9 || b == 0xe8) ? 4 : 1;

		if (rest < (size_t)n)
			return -EINVAL;
		out->cls = INSN_BRANCH;
		out->rel = read_rel(m, n);
		out->len = op + 1 + n;
		return 0;
	}
	if (!rest)
		return -EINVAL;
	switch (b) {
	case 0x84: case 0x85: case 0x38: case 0x39: case 0x3a: case 0x3b:
		cls = INSN_FLAGS_ONLY;
		break;
	case 0x88: case 0x89:	/* mov reg to r/m */
		writes = modrm_rm_reg(m[0], rex);
		break;
	case 0x8a: case 0x8b: case 0x8d:	/* mov r/m to reg, lea */
		writes = modrm_reg(m[0], rex);
		break;
	case 0x80: case 0x81: case 0x83:
		imm = b == 0x81 ? full : 1;
		out->subop = (m[0] >> 3) & 7;
		cls = out->subop == 7 ? INSN_FLAGS_ONLY : INSN_OTHER;
		writes = cls == INSN_FLAGS_ONLY ? X86_WRITES_NONE : modrm_rm_reg(m[0], rex);
		break;
	case 0xf6: case 0xf7:	/* test $imm,r/m (/0); the rest of the group not modelled */
		if (((m[0] >> 3) & 7) != 0)
			return -EINVAL;
		imm = b == 0xf7 ? full : 1;
		cls = INSN_FLAGS_ONLY;
		break;
	case 0x3c: case 0x3d:
		imm = b == 0x3c ? 1 : full;
		if (rest < (size_t)imm)
			return -EINVAL;
		out->cls = INSN_FLAGS_ONLY;
		out->len = op + 1 + imm;
		return 0;
	default:
		return -EINVAL;
	}
	ml = modrm_len(m, rest);
	if (ml < 0 || (size_t)(ml + imm) > rest)
		return -EINVAL;
	out->cls = cls;
	out->writes = writes;
	if (imm)
		out->imm = read_rel(m + ml, imm);
	out->len = op + 1 + ml + imm;
	return 0;
}

static int decode_two_byte(const uint8_t *code, size_t avail, size_t op, struct x86_insn *out)
{
	uint8_t b;
	int ml;

	if (avail < op + 2)
		return -EINVAL;
	b = code[op + 1];
	if (b == 0x05) {
		out->cls = INSN_SYSCALL;
		out->writes = X86_WRITES_UNKNOWN;	/* %rax, %rcx and %r11 */
		out->len = op + 2;
		return 0;
	}
	if (b >= 0x80 && b <= 0x8f) {
		if (avail < op + 6)
			return -EINVAL;
		out->cls = INSN_BRANCH;
		out->rel = read_rel(code + op + 2, 4);
		out->len = op + 6;
		return 0;
	}
	if (b == 0x1f) {
		ml = modrm_len(code + op + 2, avail - op - 2);
		if (ml < 0 || (size_t)ml > avail - op - 2)
			return -EINVAL;
		out->cls = INSN_NOP;
		out->len = op + 2 + ml;
		return 0;
	}
	if (b == 0x1e && avail >= op + 3 && code[op + 2] == 0xfa && op == 1 && code[0] == 0xf3) {
		out->cls = INSN_ENDBR;
		out->has_prefix = 0;
		out->len = 4;
		return 0;
	}
	return -EINVAL;
}

int x86_insn__decode(const uint8_t *code, size_t avail, struct x86_insn *out)
{
	size_t op = 0;
	int rex_b_only = 0;
	uint8_t rex = 0;

	memset(out, 0, sizeof(*out));
	out->writes = X86_WRITES_NONE;
	while (op < avail && op < 4 && is_legacy_prefix(code[op]))
		op++;
	if (op < avail && (code[op] & 0xf0) == 0x40) {
		rex_b_only = code[op] == 0x41 && op == 0;
		rex = code[op];
		op++;
	}
	if (op >= avail)
		return -EINVAL;
	out->has_prefix = op > 0 && !rex_b_only;
	if (code[op] == 0x0f)
		return decode_two_byte(code, avail, op, out);
	return decode_one_byte(code, avail, op, rex, out);
}

int x86_insn__uprobe_emulated(const struct x86_insn *insn)
{
	/* Per arch/x86/kernel/uprobes.c: push reg and rel branches, unprefixed. */
	return (insn->cls == INSN_PUSH || insn->cls == INSN_BRANCH) && !insn->has_prefix;
}
