// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cfi_interp: DW_CFA_* instructions, run one FDE at a time (cfi_interp.h).
 *
 * Only the columns a walker needs are tracked: the CFA, %rbp (6) and the
 * return address column (16); the rules of other registers are read past.
 * An FDE whose instructions are well-formed but cannot be followed (an
 * unknown opcode, restore_state without remember_state, more than
 * CFI_STATE_STACK_DEPTH remembered states) becomes one unsupported row over
 * its range; structural damage fails with -EINVAL.
 */
#include <errno.h>
#include <string.h>
#include "unwind/cfi_interp.h"
#include "unwind/cfi_rows.h"

/* Deepest DW_CFA_remember_state nesting followed. */
#define CFI_STATE_STACK_DEPTH	16
/* Returned by the interpreter for an FDE it cannot follow (not an error). */
#define CFI_STOP		1

struct interp {
	struct cfi_build *b;
	const struct cfi_cie *cie;
	const struct cfi_ptr_ctx *px;
	struct cfi_frame_state st;
	struct cfi_frame_state init;
	struct cfi_frame_state stack[CFI_STATE_STACK_DEPTH];
	unsigned int depth;
	uint64_t loc;
	uint64_t end;
	bool in_cie;
};

static int64_t mul_sat(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

static int emit_state(struct interp *in)
{
	struct unwind_row row;

	cfi_row__encode(&in->st, in->cie, &row);
	return cfi_build__push_row(in->b, in->loc, &row, 0);
}

static int advance_to(struct interp *in, uint64_t loc)
{
	int err;

	if (in->in_cie || loc < in->loc || loc > in->end)
		return -EINVAL;
	if (loc == in->loc)
		return 0;
	err = emit_state(in);
	in->loc = loc;
	return err;
}

static int advance_by(struct interp *in, uint64_t delta)
{
	uint64_t d, loc;

	if (__builtin_mul_overflow(delta, in->cie->code_align, &d) ||
	    __builtin_add_overflow(in->loc, d, &loc))
		return -EINVAL;
	return advance_to(in, loc);
}

static struct cfi_reg_rule *column(struct interp *in, uint64_t reg, struct cfi_frame_state *st)
{
	if (reg == DW_REG_RBP)
		return &st->rbp;
	if (reg == in->cie->ra_reg)
		return &st->ra;
	return NULL;
}

static void set_rule(struct interp *in, uint64_t reg, uint8_t kind, int64_t off)
{
	struct cfi_reg_rule *r = column(in, reg, &in->st);

	if (r) {
		r->kind = kind;
		r->off = off;
	}
}

static void restore_rule(struct interp *in, uint64_t reg)
{
	struct cfi_reg_rule *r = column(in, reg, &in->st);

	if (r)
		*r = *column(in, reg, &in->init);
}

/* %rsp + N + ((%rip & 15) >= T) * 8: the .plt entries' CFA, as linkers write it. */
static bool match_plt_expr(const uint8_t *p, uint64_t n, int64_t *off, uint8_t *threshold)
{
	static const uint8_t tail[] = { 0x3f, 0x1a, 0x00, 0x2a, 0x33, 0x24, 0x22 };
	struct cfi_cursor c = { p, p + n };
	int64_t rip_off;
	uint8_t op;

	if (cfi_cursor__u8(&c, &op) || op != 0x77 || cfi_cursor__sleb(&c, off) ||
	    cfi_cursor__u8(&c, &op) || op != 0x80 || cfi_cursor__sleb(&c, &rip_off) || rip_off)
		return false;
	if ((size_t)(c.end - c.p) != sizeof(tail))
		return false;
	for (size_t i = 0; i < sizeof(tail); i++) {
		if (i == 2) {
			if (c.p[i] < 0x30 || c.p[i] > 0x3f)	/* DW_OP_lit0..15 */
				return false;
			*threshold = c.p[i] - 0x30;
		} else if (c.p[i] != tail[i]) {
			return false;
		}
	}
	return true;
}

static int read_block(struct cfi_cursor *c, const uint8_t **p, uint64_t *n)
{
	if (cfi_cursor__uleb(c, n))
		return -EINVAL;
	return cfi_cursor__bytes(c, *n, p);
}

/* DW_CFA_def_cfa* and DW_CFA_def_cfa_expression. */
static int step_cfa(struct interp *in, struct cfi_cursor *c, uint8_t op)
{
	struct cfi_frame_state *st = &in->st;
	int64_t da = in->cie->data_align, soff;
	uint64_t reg, off, n;
	const uint8_t *expr;

	switch (op) {
	case 0x0c: /* def_cfa */
		if (cfi_cursor__uleb(c, &reg) || cfi_cursor__uleb(c, &off))
			return -EINVAL;
		st->cfa_kind = CFA_REG;
		st->cfa_reg = reg;
		st->cfa_off = off > INT64_MAX ? INT64_MAX : (int64_t)off;
		return 0;
	case 0x12: /* def_cfa_sf */
		if (cfi_cursor__uleb(c, &reg) || cfi_cursor__sleb(c, &soff))
			return -EINVAL;
		st->cfa_kind = CFA_REG;
		st->cfa_reg = reg;
		st->cfa_off = mul_sat(soff, da);
		return 0;
	case 0x0d: /* def_cfa_register */
		if (cfi_cursor__uleb(c, &reg))
			return -EINVAL;
		if (st->cfa_kind != CFA_REG)
			st->cfa_kind = CFA_EXPR;
		st->cfa_reg = reg;
		return 0;
	case 0x0e: /* def_cfa_offset */
	case 0x13: /* def_cfa_offset_sf */
		if (op == 0x0e ? cfi_cursor__uleb(c, &off) : cfi_cursor__sleb(c, &soff))
			return -EINVAL;
		if (st->cfa_kind != CFA_REG)
			st->cfa_kind = CFA_EXPR;
		st->cfa_off = op == 0x13 ? mul_sat(soff, da) :
			      off > INT64_MAX ? INT64_MAX : (int64_t)off;
		return 0;
	case 0x0f: /* def_cfa_expression */
		if (read_block(c, &expr, &n))
			return -EINVAL;
		st->cfa_kind = match_plt_expr(expr, n, &st->cfa_off, &st->plt_threshold) ?
			       CFA_PLT : CFA_EXPR;
		return 0;
	}
	return CFI_STOP;
}

/* Rules of one register: offset*, restore*, undefined, same_value, register, *expression. */
static int step_reg(struct interp *in, struct cfi_cursor *c, uint8_t op)
{
	int64_t da = in->cie->data_align, soff;
	uint64_t reg, off, n;
	const uint8_t *block;

	if (cfi_cursor__uleb(c, &reg))
		return -EINVAL;
	switch (op) {
	case 0x05: /* offset_extended */
	case 0x2f: /* GNU_negative_offset_extended */
		if (cfi_cursor__uleb(c, &off))
			return -EINVAL;
		soff = mul_sat(off > INT64_MAX ? INT64_MAX : (int64_t)off, da);
		set_rule(in, reg, RULE_OFFSET, op == 0x2f ? -soff : soff);
		return 0;
	case 0x11: /* offset_extended_sf */
		if (cfi_cursor__sleb(c, &soff))
			return -EINVAL;
		set_rule(in, reg, RULE_OFFSET, mul_sat(soff, da));
		return 0;
	case 0x06: /* restore_extended */
		restore_rule(in, reg);
		return 0;
	case 0x07: /* undefined */
		set_rule(in, reg, RULE_UNDEF, 0);
		return 0;
	case 0x08: /* same_value */
		set_rule(in, reg, RULE_SAME, 0);
		return 0;
	case 0x09: /* register */
	case 0x14: /* val_offset */
	case 0x15: /* val_offset_sf */
		if (op == 0x15 ? cfi_cursor__sleb(c, &soff) : cfi_cursor__uleb(c, &off))
			return -EINVAL;
		set_rule(in, reg, RULE_OTHER, 0);
		return 0;
	case 0x10: /* expression */
	case 0x16: /* val_expression */
		if (read_block(c, &block, &n))
			return -EINVAL;
		set_rule(in, reg, RULE_OTHER, 0);
		return 0;
	}
	return CFI_STOP;
}

static int step_state(struct interp *in, uint8_t op)
{
	if (op == 0x0a) { /* remember_state */
		if (in->depth == CFI_STATE_STACK_DEPTH)
			return CFI_STOP;
		in->stack[in->depth++] = in->st;
		return 0;
	}
	/* restore_state */
	if (!in->depth)
		return CFI_STOP;
	in->st = in->stack[--in->depth];
	return 0;
}

static int step_loc(struct interp *in, struct cfi_cursor *c, uint8_t op)
{
	uint64_t v;

	switch (op) {
	case 0x01: /* set_loc */
		if (in->in_cie || cfi_cursor__encoded(c, in->cie->fde_enc, in->px, &v))
			return -EINVAL;
		return advance_to(in, v);
	case 0x02: case 0x03: case 0x04: /* advance_loc1, 2, 4 */
		if (cfi_cursor__uint(c, op == 0x02 ? 1 : op == 0x03 ? 2 : 4, &v))
			return -EINVAL;
		return advance_by(in, v);
	}
	return CFI_STOP;
}

static int step(struct interp *in, struct cfi_cursor *c)
{
	uint64_t v;
	uint8_t op;

	if (cfi_cursor__u8(c, &op))
		return -EINVAL;
	switch (op >> 6) {
	case 1: /* advance_loc */
		return advance_by(in, op & 0x3f);
	case 2: /* offset */
		if (cfi_cursor__uleb(c, &v))
			return -EINVAL;
		set_rule(in, op & 0x3f, RULE_OFFSET,
			 mul_sat(v > INT64_MAX ? INT64_MAX : (int64_t)v, in->cie->data_align));
		return 0;
	case 3: /* restore */
		restore_rule(in, op & 0x3f);
		return 0;
	}
	switch (op) {
	case 0x00: /* nop */
		return 0;
	case 0x2e: /* GNU_args_size */
		return cfi_cursor__uleb(c, &v);
	case 0x0a: case 0x0b:
		return step_state(in, op);
	case 0x01: case 0x02: case 0x03: case 0x04:
		return step_loc(in, c, op);
	case 0x0c: case 0x0d: case 0x0e: case 0x0f: case 0x12: case 0x13:
		return step_cfa(in, c, op);
	}
	return step_reg(in, c, op);
}

static int run(struct interp *in, struct cfi_cursor c)
{
	int err;

	while (c.p < c.end) {
		err = step(in, &c);
		if (err)
			return err;
	}
	return 0;
}

int cfi_interp__run_fde(struct cfi_build *b, const struct cfi_cie *cie,
			const struct cfi_ptr_ctx *px, uint64_t pc, uint64_t end,
			struct cfi_cursor insns)
{
	struct interp in = { .b = b, .cie = cie, .px = px, .loc = pc, .end = end, .in_cie = true };
	size_t first = b->row_cnt;
	int err;

	err = run(&in, cie->insns);
	if (!err) {
		in.init = in.st;
		in.in_cie = false;
		err = run(&in, insns);
	}
	if (!err && in.loc < end)
		err = emit_state(&in);
	if (!err)
		err = cfi_build__fde_end(b, end);
	if (err == CFI_STOP) {
		b->row_cnt = first;
		return cfi_build__unsupported_fde(b, pc, end);
	}
	return err;
}
