// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cfi_parse: DWARF call frame information, one section at a time, into raw
 * unwind rows (the encoding is described in cfi_table.h).
 *
 * Every FDE's instructions run from the state its CIE's initial
 * instructions leave; each advance of the location emits the state so far
 * as a row, and the FDE's end emits a CFI_CFA_NONE row that a following
 * FDE at the same address replaces. Only the columns a walker needs are
 * tracked: the CFA, %rbp (6) and the return address column (16); the rules
 * of other registers are read past.
 *
 * Structural damage (a length, pointer or operand outside its entry) fails
 * the section with -EINVAL. An FDE whose instructions are well-formed but
 * cannot be followed (an unknown opcode, restore_state without
 * remember_state, more than CFI_STATE_STACK_DEPTH remembered states, an
 * augmentation this reader does not know) becomes one unsupported row over
 * its range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "unwind/cfi_parse.h"

/* DWARF register numbers on x86-64. */
#define DW_REG_RBP	6
#define DW_REG_RSP	7
#define DW_REG_RA	16

/* Pointer encodings (DW_EH_PE_*): format in the low nibble, application above. */
#define PE_OMIT		0xff
#define PE_FORMAT	0x0f
#define PE_APPL		0x70
#define PE_INDIRECT	0x80
#define PE_ABSPTR	0x00
#define PE_PCREL	0x10
#define PE_TEXTREL	0x20
#define PE_DATAREL	0x30

/* Longest augmentation string accepted ("zPLRSBG" and friends fit). */
#define CFI_AUG_MAX_LEN		16
/* Deepest DW_CFA_remember_state nesting followed. */
#define CFI_STATE_STACK_DEPTH	16
/* Returned by the interpreter for an FDE it cannot follow (not an error). */
#define CFI_STOP		1

struct cursor {
	const uint8_t *p;
	const uint8_t *end;
};

static int cur_bytes(struct cursor *c, uint64_t n, const uint8_t **out)
{
	if ((uint64_t)(c->end - c->p) < n)
		return -EINVAL;
	*out = c->p;
	c->p += n;
	return 0;
}

/* A little-endian unsigned value of n (1..8) bytes. */
static int cur_uint(struct cursor *c, unsigned int n, uint64_t *v)
{
	const uint8_t *b;
	uint64_t x = 0;

	if (cur_bytes(c, n, &b))
		return -EINVAL;
	while (n--)
		x = x << 8 | b[n];
	*v = x;
	return 0;
}

static int cur_u8(struct cursor *c, uint8_t *v)
{
	if (c->p >= c->end)
		return -EINVAL;
	*v = *c->p++;
	return 0;
}

static int cur_leb(struct cursor *c, bool is_signed, uint64_t *v)
{
	unsigned int shift = 0;
	uint64_t x = 0;
	uint8_t b;

	for (int i = 0; i < 10; i++) {
		if (cur_u8(c, &b))
			return -EINVAL;
		if (shift < 64)
			x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (is_signed && shift < 64 && (b & 0x40))
				x |= ~0ull << shift;
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

static int cur_uleb(struct cursor *c, uint64_t *v)
{
	return cur_leb(c, false, v);
}

static int cur_sleb(struct cursor *c, int64_t *v)
{
	return cur_leb(c, true, (uint64_t *)v);
}

static int64_t sign_extend(uint64_t x, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	return (int64_t)(x << shift) >> shift;
}

/* Where encoded pointers are relative to. */
struct ptr_ctx {
	const uint8_t *sec_start;	/* byte 0 of the section, at vaddr */
	uint64_t vaddr;
	uint64_t data_base;
	uint64_t text_base;
	uint8_t addr_size;
};

static int read_pe_format(struct cursor *c, uint8_t fmt, uint8_t addr_size, uint64_t *v)
{
	switch (fmt) {
	case 0x00: return cur_uint(c, addr_size, v);
	case 0x01: return cur_uleb(c, v);
	case 0x02: return cur_uint(c, 2, v);
	case 0x03: return cur_uint(c, 4, v);
	case 0x04: return cur_uint(c, 8, v);
	case 0x09: return cur_sleb(c, (int64_t *)v);
	case 0x0a: case 0x0b: case 0x0c: {
		unsigned int n = fmt == 0x0a ? 2 : fmt == 0x0b ? 4 : 8;

		if (cur_uint(c, n, v))
			return -EINVAL;
		*v = (uint64_t)sign_extend(*v, n);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* A pointer in encoding enc (not omit, not indirect, not aligned). */
static int read_encoded(struct cursor *c, uint8_t enc, const struct ptr_ctx *px, uint64_t *v)
{
	uint64_t field = px->vaddr + (uint64_t)(c->p - px->sec_start);
	uint64_t x;

	if (enc == PE_OMIT || (enc & PE_INDIRECT))
		return -EINVAL;
	if (read_pe_format(c, enc & PE_FORMAT, px->addr_size, &x))
		return -EINVAL;
	switch (enc & PE_APPL) {
	case PE_ABSPTR: break;
	case PE_PCREL: x += field; break;
	case PE_TEXTREL: x += px->text_base; break;
	case PE_DATAREL: x += px->data_base; break;
	default: return -EINVAL;
	}
	*v = x;
	return 0;
}

int cfi_parse__eh_frame_ptr(const void *hdr, size_t size, uint64_t hdr_vaddr, uint64_t *eh_frame)
{
	struct cursor c = { hdr, (const uint8_t *)hdr + size };
	struct ptr_ctx px = { hdr, hdr_vaddr, hdr_vaddr, 0, 8 };
	uint8_t version, enc, skip;

	if (cur_u8(&c, &version) || version != 1 || cur_u8(&c, &enc) ||
	    cur_u8(&c, &skip) || cur_u8(&c, &skip))
		return -EINVAL;
	return read_encoded(&c, enc, &px, eh_frame);
}

/* One CIE or FDE: its header read, its body the bytes after the id field. */
struct entry {
	struct cursor body;
	uint64_t id;
	size_t id_off;		/* section offset of the id field */
	size_t next;		/* section offset of the next entry */
	bool is_cie;
	bool terminator;	/* a zero length */
};

static int entry_read(const struct cfi_section *sec, size_t off, struct entry *e)
{
	const uint8_t *base = sec->data;
	struct cursor c = { base + off, base + sec->size };
	uint64_t len;
	unsigned int id_bytes = 4;

	memset(e, 0, sizeof(*e));
	if (off > sec->size || cur_uint(&c, 4, &len))
		return -EINVAL;
	if (len == 0) {
		e->terminator = true;
		e->next = off + 4;
		return 0;
	}
	if (len == 0xffffffff) {
		if (cur_uint(&c, 8, &len))
			return -EINVAL;
		id_bytes = 8;
	} else if (len >= 0xfffffff0) {
		return -EINVAL;
	}
	if (len > (uint64_t)(c.end - c.p) || len < id_bytes)
		return -EINVAL;
	e->id_off = (size_t)(c.p - base);
	e->next = e->id_off + len;
	e->body = (struct cursor){ c.p, c.p + len };
	if (cur_uint(&e->body, id_bytes, &e->id))
		return -EINVAL;
	if (sec->debug_frame)
		e->is_cie = e->id == (id_bytes == 8 ? ~0ull : 0xffffffffull);
	else
		e->is_cie = e->id == 0;
	return 0;
}

struct cie {
	struct cursor insns;
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	uint8_t addr_size;
	bool has_z;
	bool signal;
	bool unknown_aug;
};

/* The 'z' augmentation data: L, P, R, S and the ones that need no data. */
static int cie_parse_aug_data(struct cie *cie, const char *aug, struct cursor *a,
			      const struct ptr_ctx *px)
{
	uint8_t enc;
	uint64_t ignored;

	for (const char *ch = aug + 1; *ch; ch++) {
		switch (*ch) {
		case 'L':
			if (cur_u8(a, &enc))
				return -EINVAL;
			break;
		case 'P':
			if (cur_u8(a, &enc) ||
			    read_encoded(a, enc & (uint8_t)~PE_INDIRECT, px, &ignored))
				return -EINVAL;
			break;
		case 'R':
			if (cur_u8(a, &cie->fde_enc))
				return -EINVAL;
			break;
		case 'S':
			cie->signal = true;
			break;
		case 'B': case 'G':
			break;
		default:
			/* The length of 'z' still lets the FDEs be read. */
			return 0;
		}
	}
	return 0;
}

static int cie_parse(const struct entry *e, const struct ptr_ctx *px, struct cie *cie)
{
	struct cursor c = e->body, a;
	const char *aug = (const char *)c.p;
	size_t aug_len;
	uint64_t skip, aug_bytes;
	uint8_t version, seg_size;

	memset(cie, 0, sizeof(*cie));
	cie->addr_size = 8;
	if (cur_u8(&c, &version) || (version != 1 && version != 3 && version != 4))
		return -EINVAL;
	aug = (const char *)c.p;
	aug_len = strnlen(aug, (size_t)(c.end - c.p));
	if (aug_len == (size_t)(c.end - c.p) || aug_len > CFI_AUG_MAX_LEN)
		return -EINVAL;
	c.p += aug_len + 1;
	if (aug[0] == 'e' && aug[1] == 'h' && cur_uint(&c, 8, &skip))
		return -EINVAL;
	if (version == 4 && (cur_u8(&c, &cie->addr_size) || cur_u8(&c, &seg_size) ||
			     (cie->addr_size != 4 && cie->addr_size != 8) || seg_size))
		return -EINVAL;
	if (cur_uleb(&c, &cie->code_align) || cur_sleb(&c, &cie->data_align))
		return -EINVAL;
	if (version == 1) {
		uint8_t ra;

		if (cur_u8(&c, &ra))
			return -EINVAL;
		cie->ra_reg = ra;
	} else if (cur_uleb(&c, &cie->ra_reg)) {
		return -EINVAL;
	}
	if (aug[0] == 'z') {
		const uint8_t *data;
		struct ptr_ctx apx = *px;

		cie->has_z = true;
		if (cur_uleb(&c, &aug_bytes) || cur_bytes(&c, aug_bytes, &data))
			return -EINVAL;
		a = (struct cursor){ data, data + aug_bytes };
		apx.addr_size = cie->addr_size;
		if (cie_parse_aug_data(cie, aug, &a, &apx))
			return -EINVAL;
	} else if (aug[0] && !(aug[0] == 'e' && aug[1] == 'h' && !aug[2])) {
		cie->unknown_aug = true;
	}
	cie->insns = c;
	return 0;
}

/* What the interpreter tracks of one column. */
enum rule_kind { RULE_SAME, RULE_UNDEF, RULE_OFFSET, RULE_OTHER };

struct reg_rule {
	int64_t off;
	uint8_t kind;
};

enum cfa_rule_kind { CFA_UNSET, CFA_REG, CFA_PLT, CFA_EXPR };

struct frame_state {
	int64_t cfa_off;
	uint64_t cfa_reg;
	struct reg_rule rbp;
	struct reg_rule ra;
	uint8_t cfa_kind;
	uint8_t plt_threshold;
};

struct interp {
	struct cfi_build *b;
	const struct cie *cie;
	const struct ptr_ctx *px;
	struct frame_state st;
	struct frame_state init;
	struct frame_state stack[CFI_STATE_STACK_DEPTH];
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

static bool fits(int64_t v, int64_t lo, int64_t hi)
{
	return v >= lo && v <= hi;
}

static void encode_unsupported(struct cfi_row *r)
{
	memset(r, 0, sizeof(*r));
	r->flags = CFI_CFA_UNSUPPORTED;
}

/* The CFA part of a row; false when it cannot be encoded. */
static bool encode_cfa(const struct frame_state *st, struct cfi_row *r)
{
	if (st->cfa_kind == CFA_PLT) {
		if (!fits(st->cfa_off, INT16_MIN, INT16_MAX))
			return false;
		r->flags = CFI_CFA_PLT;
		r->cfa_off = (int16_t)st->cfa_off;
		r->rbp_off = (int8_t)st->plt_threshold;
		return true;
	}
	if (st->cfa_kind != CFA_REG || (st->cfa_reg != DW_REG_RSP && st->cfa_reg != DW_REG_RBP))
		return false;
	r->flags = st->cfa_reg == DW_REG_RSP ? CFI_CFA_RSP : CFI_CFA_RBP;
	if (fits(st->cfa_off, INT16_MIN, INT16_MAX)) {
		r->cfa_off = (int16_t)st->cfa_off;
	} else if (st->cfa_off % 8 == 0 && fits(st->cfa_off / 8, INT16_MIN, INT16_MAX)) {
		r->cfa_off = (int16_t)(st->cfa_off / 8);
		r->flags |= CFI_ROW_CFA_X8;
	} else {
		return false;
	}
	return true;
}

static void encode_state(const struct frame_state *st, const struct cie *cie, struct cfi_row *r)
{
	memset(r, 0, sizeof(*r));
	if (cie->signal || cie->ra_reg != DW_REG_RA)
		return encode_unsupported(r);
	if (st->ra.kind == RULE_UNDEF) {
		r->flags = CFI_CFA_END;
		return;
	}
	if (st->ra.kind != RULE_OFFSET || st->ra.off != -8 || !encode_cfa(st, r))
		return encode_unsupported(r);
	if (st->cfa_kind == CFA_PLT)
		return;
	switch (st->rbp.kind) {
	case RULE_SAME:
		break;
	case RULE_OFFSET:
		if (st->rbp.off % 8 || !fits(st->rbp.off / 8, INT8_MIN, INT8_MAX))
			return encode_unsupported(r);
		r->flags |= CFI_ROW_RBP_SAVED;
		r->rbp_off = (int8_t)(st->rbp.off / 8);
		break;
	default:
		r->flags |= CFI_ROW_RBP_LOST;
		break;
	}
}

static int push_row(struct cfi_build *b, uint64_t pc, const struct cfi_row *row, uint8_t prio)
{
	struct cfi_raw_row *r;

	if (b->row_cnt >= CFI_TABLE_MAX_ROWS)
		return -E2BIG;
	if (b->row_cnt == b->row_cap) {
		size_t cap = b->row_cap ? b->row_cap * 2 : 1024;

		r = realloc(b->rows, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		b->rows = r;
		b->row_cap = cap;
	}
	r = &b->rows[b->row_cnt];
	memset(r, 0, sizeof(*r));
	r->pc = pc;
	r->seq = (uint32_t)b->row_cnt;
	r->prio = prio;
	r->row = *row;
	b->row_cnt++;
	return 0;
}

static int emit_state(struct interp *in)
{
	struct cfi_row row;

	encode_state(&in->st, in->cie, &row);
	return push_row(in->b, in->loc, &row, 0);
}

static int emit_fde_end(struct cfi_build *b, uint64_t end)
{
	struct cfi_row row = { .flags = CFI_CFA_NONE };

	return push_row(b, end, &row, 1);
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

static struct reg_rule *column(struct interp *in, uint64_t reg, struct frame_state *st)
{
	if (reg == DW_REG_RBP)
		return &st->rbp;
	if (reg == in->cie->ra_reg)
		return &st->ra;
	return NULL;
}

static void set_rule(struct interp *in, uint64_t reg, uint8_t kind, int64_t off)
{
	struct reg_rule *r = column(in, reg, &in->st);

	if (r) {
		r->kind = kind;
		r->off = off;
	}
}

static void restore_rule(struct interp *in, uint64_t reg)
{
	struct reg_rule *r = column(in, reg, &in->st);

	if (r)
		*r = *column(in, reg, &in->init);
}

/* %rsp + N + ((%rip & 15) >= T) * 8: the .plt entries' CFA, as linkers write it. */
static bool match_plt_expr(const uint8_t *p, uint64_t n, int64_t *off, uint8_t *threshold)
{
	static const uint8_t tail[] = { 0x3f, 0x1a, 0x00, 0x2a, 0x33, 0x24, 0x22 };
	struct cursor c = { p, p + n };
	int64_t rip_off;
	uint8_t op;

	if (cur_u8(&c, &op) || op != 0x77 || cur_sleb(&c, off) ||
	    cur_u8(&c, &op) || op != 0x80 || cur_sleb(&c, &rip_off) || rip_off)
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

static int read_block(struct cursor *c, const uint8_t **p, uint64_t *n)
{
	if (cur_uleb(c, n))
		return -EINVAL;
	return cur_bytes(c, *n, p);
}

/* DW_CFA_def_cfa* and DW_CFA_def_cfa_expression. */
static int step_cfa(struct interp *in, struct cursor *c, uint8_t op)
{
	struct frame_state *st = &in->st;
	int64_t da = in->cie->data_align, soff;
	uint64_t reg, off, n;
	const uint8_t *expr;

	switch (op) {
	case 0x0c: /* def_cfa */
		if (cur_uleb(c, &reg) || cur_uleb(c, &off))
			return -EINVAL;
		st->cfa_kind = CFA_REG;
		st->cfa_reg = reg;
		st->cfa_off = off > INT64_MAX ? INT64_MAX : (int64_t)off;
		return 0;
	case 0x12: /* def_cfa_sf */
		if (cur_uleb(c, &reg) || cur_sleb(c, &soff))
			return -EINVAL;
		st->cfa_kind = CFA_REG;
		st->cfa_reg = reg;
		st->cfa_off = mul_sat(soff, da);
		return 0;
	case 0x0d: /* def_cfa_register */
		if (cur_uleb(c, &reg))
			return -EINVAL;
		if (st->cfa_kind != CFA_REG)
			st->cfa_kind = CFA_EXPR;
		st->cfa_reg = reg;
		return 0;
	case 0x0e: /* def_cfa_offset */
	case 0x13: /* def_cfa_offset_sf */
		if (op == 0x0e ? cur_uleb(c, &off) : cur_sleb(c, &soff))
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
static int step_reg(struct interp *in, struct cursor *c, uint8_t op)
{
	int64_t da = in->cie->data_align, soff;
	uint64_t reg, off, n;
	const uint8_t *block;

	if (cur_uleb(c, &reg))
		return -EINVAL;
	switch (op) {
	case 0x05: /* offset_extended */
	case 0x2f: /* GNU_negative_offset_extended */
		if (cur_uleb(c, &off))
			return -EINVAL;
		soff = mul_sat(off > INT64_MAX ? INT64_MAX : (int64_t)off, da);
		set_rule(in, reg, RULE_OFFSET, op == 0x2f ? -soff : soff);
		return 0;
	case 0x11: /* offset_extended_sf */
		if (cur_sleb(c, &soff))
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
		if (op == 0x15 ? cur_sleb(c, &soff) : cur_uleb(c, &off))
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

static int step_loc(struct interp *in, struct cursor *c, uint8_t op)
{
	uint64_t v;

	switch (op) {
	case 0x01: /* set_loc */
		if (in->in_cie || read_encoded(c, in->cie->fde_enc, in->px, &v))
			return -EINVAL;
		return advance_to(in, v);
	case 0x02: case 0x03: case 0x04: /* advance_loc1, 2, 4 */
		if (cur_uint(c, op == 0x02 ? 1 : op == 0x03 ? 2 : 4, &v))
			return -EINVAL;
		return advance_by(in, v);
	}
	return CFI_STOP;
}

static int step(struct interp *in, struct cursor *c)
{
	uint64_t v;
	uint8_t op;

	if (cur_u8(c, &op))
		return -EINVAL;
	switch (op >> 6) {
	case 1: /* advance_loc */
		return advance_by(in, op & 0x3f);
	case 2: /* offset */
		if (cur_uleb(c, &v))
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
		return cur_uleb(c, &v);
	case 0x0a: case 0x0b:
		return step_state(in, op);
	case 0x01: case 0x02: case 0x03: case 0x04:
		return step_loc(in, c, op);
	case 0x0c: case 0x0d: case 0x0e: case 0x0f: case 0x12: case 0x13:
		return step_cfa(in, c, op);
	}
	return step_reg(in, c, op);
}

static int run(struct interp *in, struct cursor c)
{
	int err;

	while (c.p < c.end) {
		err = step(in, &c);
		if (err)
			return err;
	}
	return 0;
}

static int emit_unsupported_fde(struct cfi_build *b, uint64_t pc, uint64_t end)
{
	struct cfi_row row;
	int err;

	encode_unsupported(&row);
	b->stats.fde_unsupported_cnt++;
	err = push_row(b, pc, &row, 0);
	return err ? err : emit_fde_end(b, end);
}

static int fde_run(struct cfi_build *b, const struct cie *cie, const struct ptr_ctx *px,
		   uint64_t pc, uint64_t end, struct cursor insns)
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
		err = emit_fde_end(b, end);
	if (err == CFI_STOP) {
		b->row_cnt = first;
		return emit_unsupported_fde(b, pc, end);
	}
	return err;
}

static bool covered_before(const struct cfi_build *b, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = b->prior_cnt;

	/* The last prior range starting before end; ranges do not nest in practice. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->prior[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && b->prior[lo - 1].end > start;
}

static int range_add(struct cfi_build *b, uint64_t start, uint64_t end)
{
	if (b->range_cnt == b->range_cap) {
		size_t cap = b->range_cap ? b->range_cap * 2 : 256;
		struct cfi_range *r = realloc(b->ranges, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		b->ranges = r;
		b->range_cap = cap;
	}
	b->ranges[b->range_cnt++] = (struct cfi_range){ start, end };
	return 0;
}

struct fde {
	struct cursor insns;
	uint64_t pc;
	uint64_t range;
};

static int fde_parse(const struct entry *e, const struct cie *cie, const struct ptr_ctx *px,
		     struct fde *fde)
{
	struct cursor c = e->body;
	const uint8_t *skip;
	uint64_t aug_bytes;

	if (read_encoded(&c, cie->fde_enc, px, &fde->pc) ||
	    read_encoded(&c, cie->fde_enc & PE_FORMAT, px, &fde->range))
		return -EINVAL;
	if (cie->has_z && (cur_uleb(&c, &aug_bytes) || cur_bytes(&c, aug_bytes, &skip)))
		return -EINVAL;
	fde->insns = c;
	return 0;
}

/* The CIE an FDE points to, parsed. */
static int fde_cie(const struct cfi_section *sec, const struct entry *e, struct ptr_ctx *px,
		   struct cie *cie)
{
	struct entry ce;
	uint64_t off;

	if (sec->debug_frame) {
		off = e->id;
	} else {
		if (e->id > e->id_off)
			return -EINVAL;
		off = e->id_off - e->id;
	}
	if (off >= sec->size || entry_read(sec, (size_t)off, &ce) || ce.terminator || !ce.is_cie)
		return -EINVAL;
	if (cie_parse(&ce, px, cie))
		return -EINVAL;
	px->addr_size = cie->addr_size;
	return 0;
}

static int fde_process(struct cfi_build *b, const struct cfi_section *sec, const struct entry *e)
{
	struct ptr_ctx px = { sec->data, sec->vaddr, sec->data_base, sec->text_base, 8 };
	struct fde fde;
	struct cie cie;
	uint64_t end;
	int err;

	b->stats.fde_cnt++;
	if (fde_cie(sec, e, &px, &cie) || fde_parse(e, &cie, &px, &fde))
		return -EINVAL;
	if (!fde.pc || !fde.range) {
		b->stats.fde_empty_cnt++;
		return 0;
	}
	if (__builtin_add_overflow(fde.pc, fde.range, &end))
		return -EINVAL;
	if (covered_before(b, fde.pc, end)) {
		b->stats.fde_shadowed_cnt++;
		return 0;
	}
	err = range_add(b, fde.pc, end);
	if (err)
		return err;
	if (cie.unknown_aug)
		return emit_unsupported_fde(b, fde.pc, end);
	return fde_run(b, &cie, &px, fde.pc, end, fde.insns);
}

int cfi_parse__section(struct cfi_build *b, const struct cfi_section *sec)
{
	size_t off = 0;
	struct entry e;
	int err;

	if (sec->size > CFI_TABLE_MAX_SECTION_BYTES)
		return -E2BIG;
	b->range_cnt = 0;
	while (off < sec->size) {
		/* Fewer than 4 bytes left: only zero padding may follow the last entry. */
		if (sec->size - off < 4) {
			for (; off < sec->size; off++)
				if (((const uint8_t *)sec->data)[off])
					return -EINVAL;
			break;
		}
		err = entry_read(sec, off, &e);
		if (err)
			return err;
		if (e.terminator && !sec->debug_frame)
			break;
		if (!e.terminator && e.is_cie)
			b->stats.cie_cnt++;
		else if (!e.terminator && (err = fde_process(b, sec, &e)))
			return err;
		off = e.next;
	}
	return 0;
}
