// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cfi_reader: bounds-checked reading of .eh_frame and .debug_frame entries
 * (see cfi_reader.h). Nothing here interprets instructions.
 */
#include <errno.h>
#include <string.h>
#include "unwind/cfi_reader.h"

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

int cfi_cursor__bytes(struct cfi_cursor *c, uint64_t n, const uint8_t **out)
{
	if ((uint64_t)(c->end - c->p) < n)
		return -EINVAL;
	*out = c->p;
	c->p += n;
	return 0;
}

/* A little-endian unsigned value of n (1..8) bytes. */
int cfi_cursor__uint(struct cfi_cursor *c, unsigned int n, uint64_t *v)
{
	const uint8_t *b;
	uint64_t x = 0;

	if (cfi_cursor__bytes(c, n, &b))
		return -EINVAL;
	while (n--)
		x = x << 8 | b[n];
	*v = x;
	return 0;
}

int cfi_cursor__u8(struct cfi_cursor *c, uint8_t *v)
{
	if (c->p >= c->end)
		return -EINVAL;
	*v = *c->p++;
	return 0;
}

static int cur_leb(struct cfi_cursor *c, bool is_signed, uint64_t *v)
{
	unsigned int shift = 0;
	uint64_t x = 0;
	uint8_t b;

	for (int i = 0; i < 10; i++) {
		if (cfi_cursor__u8(c, &b))
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

int cfi_cursor__uleb(struct cfi_cursor *c, uint64_t *v)
{
	return cur_leb(c, false, v);
}

int cfi_cursor__sleb(struct cfi_cursor *c, int64_t *v)
{
	return cur_leb(c, true, (uint64_t *)v);
}

static int64_t sign_extend(uint64_t x, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	return (int64_t)(x << shift) >> shift;
}

static int read_pe_format(struct cfi_cursor *c, uint8_t fmt, uint8_t addr_size, uint64_t *v)
{
	switch (fmt) {
	case 0x00: return cfi_cursor__uint(c, addr_size, v);
	case 0x01: return cfi_cursor__uleb(c, v);
	case 0x02: return cfi_cursor__uint(c, 2, v);
	case 0x03: return cfi_cursor__uint(c, 4, v);
	case 0x04: return cfi_cursor__uint(c, 8, v);
	case 0x09: return cfi_cursor__sleb(c, (int64_t *)v);
	case 0x0a: case 0x0b: case 0x0c: {
		unsigned int n = fmt == 0x0a ? 2 : fmt == 0x0b ? 4 : 8;

		if (cfi_cursor__uint(c, n, v))
			return -EINVAL;
		*v = (uint64_t)sign_extend(*v, n);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* A pointer in encoding enc (not omit, not indirect, not aligned). */
int cfi_cursor__encoded(struct cfi_cursor *c, uint8_t enc, const struct cfi_ptr_ctx *px,
			uint64_t *v)
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

int cfi_reader__eh_frame_ptr(const void *hdr, size_t size, uint64_t hdr_vaddr,
			     uint64_t *eh_frame)
{
	struct cfi_cursor c = { hdr, (const uint8_t *)hdr + size };
	struct cfi_ptr_ctx px = { hdr, hdr_vaddr, hdr_vaddr, 0, 8 };
	uint8_t version, enc, skip;

	if (cfi_cursor__u8(&c, &version) || version != 1 || cfi_cursor__u8(&c, &enc) ||
	    cfi_cursor__u8(&c, &skip) || cfi_cursor__u8(&c, &skip))
		return -EINVAL;
	return cfi_cursor__encoded(&c, enc, &px, eh_frame);
}

int cfi_entry__read(const struct cfi_section *sec, size_t off, struct cfi_entry *e)
{
	const uint8_t *base = sec->data;
	struct cfi_cursor c = { base + off, base + sec->size };
	uint64_t len;
	unsigned int id_bytes = 4;

	memset(e, 0, sizeof(*e));
	if (off > sec->size || cfi_cursor__uint(&c, 4, &len))
		return -EINVAL;
	if (len == 0) {
		e->terminator = true;
		e->next = off + 4;
		return 0;
	}
	if (len == 0xffffffff) {
		if (cfi_cursor__uint(&c, 8, &len))
			return -EINVAL;
		id_bytes = 8;
	} else if (len >= 0xfffffff0) {
		return -EINVAL;
	}
	if (len > (uint64_t)(c.end - c.p) || len < id_bytes)
		return -EINVAL;
	e->id_off = (size_t)(c.p - base);
	e->next = e->id_off + len;
	e->body = (struct cfi_cursor){ c.p, c.p + len };
	if (cfi_cursor__uint(&e->body, id_bytes, &e->id))
		return -EINVAL;
	if (sec->debug_frame)
		e->is_cie = e->id == (id_bytes == 8 ? ~0ull : 0xffffffffull);
	else
		e->is_cie = e->id == 0;
	return 0;
}

/* The 'z' augmentation data: L, P, R, S and the ones that need no data. */
static int cie_parse_aug_data(struct cfi_cie *cie, const char *aug, struct cfi_cursor *a,
			      const struct cfi_ptr_ctx *px)
{
	uint8_t enc;
	uint64_t ignored;

	for (const char *ch = aug + 1; *ch; ch++) {
		switch (*ch) {
		case 'L':
			if (cfi_cursor__u8(a, &enc))
				return -EINVAL;
			break;
		case 'P':
			if (cfi_cursor__u8(a, &enc) ||
			    cfi_cursor__encoded(a, enc & (uint8_t)~PE_INDIRECT, px, &ignored))
				return -EINVAL;
			break;
		case 'R':
			if (cfi_cursor__u8(a, &cie->fde_enc))
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

int cfi_cie__parse(const struct cfi_entry *e, const struct cfi_ptr_ctx *px, struct cfi_cie *cie)
{
	struct cfi_cursor c = e->body, a;
	const char *aug = (const char *)c.p;
	size_t aug_len;
	uint64_t skip, aug_bytes;
	uint8_t version, seg_size;

	memset(cie, 0, sizeof(*cie));
	cie->addr_size = 8;
	if (cfi_cursor__u8(&c, &version) || (version != 1 && version != 3 && version != 4))
		return -EINVAL;
	aug = (const char *)c.p;
	aug_len = strnlen(aug, (size_t)(c.end - c.p));
	if (aug_len == (size_t)(c.end - c.p) || aug_len > CFI_AUG_MAX_LEN)
		return -EINVAL;
	c.p += aug_len + 1;
	if (aug[0] == 'e' && aug[1] == 'h' && cfi_cursor__uint(&c, 8, &skip))
		return -EINVAL;
	if (version == 4 && (cfi_cursor__u8(&c, &cie->addr_size) || cfi_cursor__u8(&c, &seg_size) ||
			     (cie->addr_size != 4 && cie->addr_size != 8) || seg_size))
		return -EINVAL;
	if (cfi_cursor__uleb(&c, &cie->code_align) || cfi_cursor__sleb(&c, &cie->data_align))
		return -EINVAL;
	if (version == 1) {
		uint8_t ra;

		if (cfi_cursor__u8(&c, &ra))
			return -EINVAL;
		cie->ra_reg = ra;
	} else if (cfi_cursor__uleb(&c, &cie->ra_reg)) {
		return -EINVAL;
	}
	if (aug[0] == 'z') {
		const uint8_t *data;
		struct cfi_ptr_ctx apx = *px;

		cie->has_z = true;
		if (cfi_cursor__uleb(&c, &aug_bytes) || cfi_cursor__bytes(&c, aug_bytes, &data))
			return -EINVAL;
		a = (struct cfi_cursor){ data, data + aug_bytes };
		apx.addr_size = cie->addr_size;
		if (cie_parse_aug_data(cie, aug, &a, &apx))
			return -EINVAL;
	} else if (aug[0] && !(aug[0] == 'e' && aug[1] == 'h' && !aug[2])) {
		cie->unknown_aug = true;
	}
	cie->insns = c;
	return 0;
}

int cfi_fde__parse(const struct cfi_entry *e, const struct cfi_cie *cie,
		   const struct cfi_ptr_ctx *px, struct cfi_fde *fde)
{
	struct cfi_cursor c = e->body;
	const uint8_t *skip;
	uint64_t aug_bytes;

	if (cfi_cursor__encoded(&c, cie->fde_enc, px, &fde->pc) ||
	    cfi_cursor__encoded(&c, cie->fde_enc & PE_FORMAT, px, &fde->range))
		return -EINVAL;
	if (cie->has_z && (cfi_cursor__uleb(&c, &aug_bytes) || cfi_cursor__bytes(&c, aug_bytes, &skip)))
		return -EINVAL;
	fde->insns = c;
	return 0;
}

/* The CIE an FDE points to, parsed. */
int cfi_fde__cie(const struct cfi_section *sec, const struct cfi_entry *e,
		 struct cfi_ptr_ctx *px, struct cfi_cie *cie)
{
	struct cfi_entry ce;
	uint64_t off;

	if (sec->debug_frame) {
		off = e->id;
	} else {
		if (e->id > e->id_off)
			return -EINVAL;
		off = e->id_off - e->id;
	}
	if (off >= sec->size || cfi_entry__read(sec, (size_t)off, &ce) || ce.terminator || !ce.is_cie)
		return -EINVAL;
	if (cfi_cie__parse(&ce, px, cie))
		return -EINVAL;
	px->addr_size = cie->addr_size;
	return 0;
}
