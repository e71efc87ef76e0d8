// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cfi_table: the sorted, merged unwind rows of one object, from its
 * sections of call frame information (cfi_parse reads them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <libelf.h>
#include "unwind/cfi_parse.h"
#include "unwind/cfi_reader.h"
#include "unwind/cfi_table.h"

_Static_assert(sizeof(struct unwind_row) == 8, "a row is the 8 bytes cfi_table.h describes");

struct cfi_table {
	struct unwind_row *rows;
	size_t row_cnt;
	uint64_t base_vaddr;
	struct cfi_table_stats stats;
};

static int raw_row_cmp(const void *a, const void *b)
{
	const struct cfi_raw_row *x = a, *y = b;

	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool same_rule(const struct unwind_row *a, const struct unwind_row *b)
{
	return a->cfa_off == b->cfa_off && a->flags == b->flags && a->rbp_off == b->rbp_off;
}

static void count_row(struct cfi_table_stats *st, const struct unwind_row *row)
{
	switch (row->flags & UNWIND_ROW_KIND_MASK) {
	case UNWIND_CFA_UNSUPPORTED: st->rows_unsupported_cnt++; break;
	case UNWIND_CFA_PLT: st->rows_plt_cnt++; break;
	case UNWIND_CFA_END: st->rows_end_cnt++; break;
	}
}

/*
 * Sort the raw rows, keep the first at each address (an FDE's rows before
 * another FDE's end), drop rows that repeat the rule before them and
 * leading "no FDE" rows, and rebase pcs on the first row's address.
 */
static int table_from_rows(struct cfi_build *b, struct cfi_table *t)
{
	uint64_t last_pc = 0;
	size_t n = 0;

	qsort(b->rows, b->row_cnt, sizeof(*b->rows), raw_row_cmp);
	t->rows = malloc(b->row_cnt * sizeof(*t->rows));
	if (!t->rows)
		return -ENOMEM;
	for (size_t i = 0; i < b->row_cnt; i++) {
		const struct cfi_raw_row *r = &b->rows[i];

		if (i && r->pc == last_pc)
			continue;
		last_pc = r->pc;
		if (!n && (r->row.flags & UNWIND_ROW_KIND_MASK) == UNWIND_CFA_NONE)
			continue;
		if (n && same_rule(&t->rows[n - 1], &r->row))
			continue;
		if (!n)
			t->base_vaddr = r->pc;
		if (r->pc - t->base_vaddr > UINT32_MAX)
			return -E2BIG;
		t->rows[n] = r->row;
		t->rows[n].pc = (uint32_t)(r->pc - t->base_vaddr);
		count_row(&t->stats, &t->rows[n]);
		n++;
	}
	if (!n)
		return -ENOENT;
	t->row_cnt = n;
	t->stats.rows_cnt = n;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct cfi_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Add the ranges of the section just read to the sorted prior ones. */
static int prior_join(struct cfi_range **prior, size_t *cnt, const struct cfi_build *b)
{
	struct cfi_range *p;

	if (!b->range_cnt)
		return 0;
	p = realloc(*prior, (*cnt + b->range_cnt) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memcpy(p + *cnt, b->ranges, b->range_cnt * sizeof(*p));
	*cnt += b->range_cnt;
	qsort(p, *cnt, sizeof(*p), range_cmp);
	*prior = p;
	return 0;
}

int cfi_table__build_sections(const struct cfi_section *secs, size_t sec_cnt,
			      struct cfi_table **out)
{
	struct cfi_build b = {};
	struct cfi_range *prior = NULL;
	size_t prior_cnt = 0;
	struct cfi_table *t;
	int err = 0;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < sec_cnt && !err; i++) {
		b.prior = prior;
		b.prior_cnt = prior_cnt;
		err = cfi_parse__section(&b, &secs[i]);
		if (!err)
			err = prior_join(&prior, &prior_cnt, &b);
	}
	if (!err && !b.row_cnt)
		err = -ENOENT;
	if (!err) {
		b.stats.rows_raw_cnt = b.row_cnt;
		t->stats = b.stats;
		err = table_from_rows(&b, t);
	}
	free(b.rows);
	free(b.ranges);
	free(prior);
	if (err) {
		cfi_table__free(t);
		return err;
	}
	*out = t;
	return 0;
}

void cfi_table__free(struct cfi_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}

int cfi_table__lookup(const struct cfi_table *t, uint64_t vaddr, struct unwind_row *row)
{
	size_t lo = 0, hi = t->row_cnt;
	uint64_t delta;

	if (vaddr < t->base_vaddr || vaddr - t->base_vaddr > UINT32_MAX)
		return -ENOENT;
	delta = vaddr - t->base_vaddr;
	/* The number of rows starting at or below delta. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= delta)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || (t->rows[lo - 1].flags & UNWIND_ROW_KIND_MASK) == UNWIND_CFA_NONE)
		return -ENOENT;
	*row = t->rows[lo - 1];
	return 0;
}

const struct unwind_row *cfi_table__rows(const struct cfi_table *t, size_t *cnt)
{
	*cnt = t->row_cnt;
	return t->rows;
}

size_t cfi_table__row_cnt(const struct cfi_table *t)
{
	return t->row_cnt;
}

size_t cfi_table__bytes(const struct cfi_table *t)
{
	return t->row_cnt * sizeof(*t->rows);
}

uint64_t cfi_table__base_vaddr(const struct cfi_table *t)
{
	return t->base_vaddr;
}

const struct cfi_table_stats *cfi_table__stats(const struct cfi_table *t)
{
	return &t->stats;
}

void cfi_row__decode(const struct unwind_row *row, struct cfi_rule *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->kind = row->flags & UNWIND_ROW_KIND_MASK;
	rule->cfa_off = row->flags & UNWIND_ROW_CFA_X8 ? 8 * row->cfa_off : row->cfa_off;
	rule->rbp_saved = row->flags & UNWIND_ROW_RBP_SAVED;
	rule->rbp_lost = row->flags & UNWIND_ROW_RBP_LOST;
	if (rule->kind == UNWIND_CFA_PLT)
		rule->plt_threshold = (uint8_t)row->rbp_off;
	else if (rule->rbp_saved)
		rule->rbp_off = 8 * row->rbp_off;
}

/* The call frame sections of one ELF file, as found by elf_cfi_open. */
struct elf_cfi {
	Elf *elf;
	struct cfi_section eh_frame;
	struct cfi_section debug_frame;
	bool has_eh_frame;
	bool has_debug_frame;
};

static int section_bytes(Elf_Scn *scn, const GElf_Shdr *sh, struct cfi_section *out)
{
	Elf_Data *d;

	if (sh->sh_type == SHT_NOBITS)
		return -ENOENT;
	if ((sh->sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return -EINVAL;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || !d->d_size)
		return -ENOENT;
	out->data = d->d_buf;
	out->size = d->d_size;
	out->vaddr = sh->sh_addr;
	return 0;
}

/* .eh_frame, .debug_frame and the bases of relative pointers, by section name. */
static int find_sections(struct elf_cfi *e)
{
	uint64_t got = 0, text = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(e->elf, &shstrndx))
		return 0;	/* no section headers: program headers may still do */
	while ((scn = elf_nextscn(e->elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		name = elf_strptr(e->elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ".eh_frame") && !e->has_eh_frame)
			e->has_eh_frame = !section_bytes(scn, &sh, &e->eh_frame);
		else if (!strcmp(name, ".debug_frame") && !e->has_debug_frame)
			e->has_debug_frame = !section_bytes(scn, &sh, &e->debug_frame);
		else if (!strcmp(name, ".got"))
			got = sh.sh_addr;
		else if (!strcmp(name, ".text"))
			text = sh.sh_addr;
	}
	e->eh_frame.data_base = e->debug_frame.data_base = got;
	e->eh_frame.text_base = e->debug_frame.text_base = text;
	e->debug_frame.debug_frame = true;
	return 0;
}

/* The file bytes from vaddr to the end of the PT_LOAD segment holding it. */
static int segment_bytes(Elf *elf, uint64_t vaddr, const void **p, size_t *size)
{
	size_t phnum, file_size;
	const char *raw = elf_rawfile(elf, &file_size);
	GElf_Phdr ph;

	if (!raw || elf_getphdrnum(elf, &phnum))
		return -EINVAL;
	for (size_t i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		if (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset)
			return -EINVAL;
		*p = raw + ph.p_offset + (vaddr - ph.p_vaddr);
		*size = ph.p_filesz - (vaddr - ph.p_vaddr);
		return 0;
	}
	return -ENOENT;
}

/* No .eh_frame section: follow PT_GNU_EH_FRAME (.eh_frame_hdr) to it. */
static int find_eh_frame_by_hdr(struct elf_cfi *e)
{
	const void *hdr, *frame;
	size_t phnum, hdr_size, frame_size;
	uint64_t frame_vaddr;
	GElf_Phdr ph;

	if (elf_getphdrnum(e->elf, &phnum))
		return -EINVAL;
	for (size_t i = 0; i < phnum; i++) {
		if (!gelf_getphdr(e->elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		if (segment_bytes(e->elf, ph.p_vaddr, &hdr, &hdr_size) ||
		    cfi_reader__eh_frame_ptr(hdr, hdr_size, ph.p_vaddr, &frame_vaddr) ||
		    segment_bytes(e->elf, frame_vaddr, &frame, &frame_size))
			return -EINVAL;
		e->eh_frame.data = frame;
		e->eh_frame.size = frame_size;
		e->eh_frame.vaddr = frame_vaddr;
		e->has_eh_frame = true;
		return 0;
	}
	return 0;
}

static int elf_cfi_open(struct elf_cfi *e, int fd)
{
	GElf_Ehdr eh;
	int err;

	memset(e, 0, sizeof(*e));
	e->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e->elf)
		return -EINVAL;
	if (elf_kind(e->elf) != ELF_K_ELF || gelf_getclass(e->elf) != ELFCLASS64 ||
	    !gelf_getehdr(e->elf, &eh) || eh.e_machine != EM_X86_64)
		return -ENOTSUP;
	err = find_sections(e);
	if (!err && !e->has_eh_frame)
		err = find_eh_frame_by_hdr(e);
	return err;
}

static void elf_cfi_close(struct elf_cfi *e)
{
	if (e->elf)
		elf_end(e->elf);
}

int cfi_table__build_fd(int fd, int debug_fd, struct cfi_table **out)
{
	struct elf_cfi obj = {}, dbg = {};
	struct cfi_section secs[3];
	size_t n = 0;
	int err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	err = elf_cfi_open(&obj, fd);
	if (!err && debug_fd >= 0)
		err = elf_cfi_open(&dbg, debug_fd);
	if (err)
		goto out;
	if (obj.has_eh_frame)
		secs[n++] = obj.eh_frame;
	if (obj.has_debug_frame)
		secs[n++] = obj.debug_frame;
	if (dbg.has_debug_frame)
		secs[n++] = dbg.debug_frame;
	err = n ? cfi_table__build_sections(secs, n, out) : -ENOENT;
out:
	elf_cfi_close(&dbg);
	elf_cfi_close(&obj);
	return err;
}
