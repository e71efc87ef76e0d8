/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cfi_reader: the byte level of DWARF call frame information. A
 * bounds-checked cursor reads fixed-size and LEB128 numbers and encoded
 * pointers; on it, the header of each CIE or FDE, a CIE's augmentation and
 * alignment factors, an FDE's address range and instructions. Each reader
 * returns 0, or -EINVAL for bytes outside their entry or a malformed field.
 * Internal to cfi_table.
 */
#ifndef MV_CFI_READER_H
#define MV_CFI_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "unwind/cfi_table.h"

/* Bytes [p, end) still to read. */
struct cfi_cursor {
	const uint8_t *p;
	const uint8_t *end;
};

/* Where encoded pointers are relative to. */
struct cfi_ptr_ctx {
	const uint8_t *sec_start;	/* byte 0 of the section, at vaddr */
	uint64_t vaddr;
	uint64_t data_base;
	uint64_t text_base;
	uint8_t addr_size;
};

/* One CIE or FDE: its header read, its body the bytes after the id field. */
struct cfi_entry {
	struct cfi_cursor body;
	uint64_t id;
	size_t id_off;		/* section offset of the id field */
	size_t next;		/* section offset of the next entry */
	bool is_cie;
	bool terminator;	/* a zero length */
};

/* A CIE, as its FDEs need it. */
struct cfi_cie {
	struct cfi_cursor insns;
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	uint8_t addr_size;
	bool has_z;
	bool signal;
	bool unknown_aug;
};

/* An FDE: the range [pc, pc + range) and the instructions for it. */
struct cfi_fde {
	struct cfi_cursor insns;
	uint64_t pc;
	uint64_t range;
};

/* n bytes at the cursor, stepped past. */
int cfi_cursor__bytes(struct cfi_cursor *c, uint64_t n, const uint8_t **out);
/* A little-endian unsigned value of n (1..8) bytes. */
int cfi_cursor__uint(struct cfi_cursor *c, unsigned int n, uint64_t *v);
int cfi_cursor__u8(struct cfi_cursor *c, uint8_t *v);
int cfi_cursor__uleb(struct cfi_cursor *c, uint64_t *v);
int cfi_cursor__sleb(struct cfi_cursor *c, int64_t *v);
/* A pointer in encoding enc (DW_EH_PE_*; not omit, not indirect, not aligned). */
int cfi_cursor__encoded(struct cfi_cursor *c, uint8_t enc, const struct cfi_ptr_ctx *px,
			uint64_t *v);

/* The CIE or FDE at section offset off (a terminator if its length is 0). */
int cfi_entry__read(const struct cfi_section *sec, size_t off, struct cfi_entry *e);
/* CIE entry e; an augmentation this reader does not know sets unknown_aug. */
int cfi_cie__parse(const struct cfi_entry *e, const struct cfi_ptr_ctx *px, struct cfi_cie *cie);
/* The CIE FDE entry e points to, parsed; sets px's address size from it. */
int cfi_fde__cie(const struct cfi_section *sec, const struct cfi_entry *e, struct cfi_ptr_ctx *px,
		 struct cfi_cie *cie);
/* FDE entry e of CIE cie. */
int cfi_fde__parse(const struct cfi_entry *e, const struct cfi_cie *cie,
		   const struct cfi_ptr_ctx *px, struct cfi_fde *fde);

/*
 * The address of .eh_frame that an .eh_frame_hdr at hdr_vaddr points to.
 * Returns 0 or -EINVAL.
 */
int cfi_reader__eh_frame_ptr(const void *hdr, size_t size, uint64_t hdr_vaddr,
			     uint64_t *eh_frame);

#endif /* MV_CFI_READER_H */
