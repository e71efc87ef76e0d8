// SPDX-License-Identifier: GPL-2.0
/*
 * cfi_table: rows built from this machine's libc (checked against readelf's
 * own interpretation), from assembler .cfi directives (data/cfi_rules.S)
 * and from hand-built .eh_frame/.debug_frame bytes for every rule kind;
 * corrupt and oversized input refused without a crash.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "unwind/cfi_table.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define SEC_VADDR 0x2000ull	/* where the synthetic sections "are" */

/* A growing byte buffer for hand-built sections. */
struct buf {
	uint8_t *b;
	size_t n;
	size_t cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->b = realloc(b->b, b->cap);
		cr_assert_not_null(b->b);
	}
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void u8(struct buf *b, uint8_t v) { put(b, &v, 1); }
static void u16(struct buf *b, uint16_t v) { put(b, &v, 2); }
static void u32(struct buf *b, uint32_t v) { put(b, &v, 4); }
static void u64(struct buf *b, uint64_t v) { put(b, &v, 8); }

static void uleb(struct buf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;

		v >>= 7;
		u8(b, c | (v ? 0x80 : 0));
	} while (v);
}

static void sleb(struct buf *b, int64_t v)
{
	for (;;) {
		uint8_t c = v & 0x7f;

		v >>= 7;
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			u8(b, c);
			return;
		}
		u8(b, c | 0x80);
	}
}

static void set32(struct buf *b, size_t at, uint32_t v)
{
	memcpy(b->b + at, &v, 4);
}

/* Pad an entry begun at start (its length field) to 8 bytes with DW_CFA_nop and set its length. */
static void entry_end(struct buf *b, size_t start)
{
	while ((b->n - start) % 8)
		u8(b, 0);
	set32(b, start, (uint32_t)(b->n - start - 4));
}

/* The usual x86-64 CIE: "zR", code 1, data -8, ra 16, CFA rsp+8, ra at CFA-8. */
static size_t cie(struct buf *b, const char *aug, uint8_t fde_enc)
{
	size_t start = b->n;

	u32(b, 0);
	u32(b, 0);		/* CIE id */
	u8(b, 1);		/* version */
	put(b, aug, strlen(aug) + 1);
	uleb(b, 1);
	sleb(b, -8);
	u8(b, 16);
	if (aug[0] == 'z') {
		uleb(b, 1);
		u8(b, fde_enc);
	}
	u8(b, 0x0c); u8(b, 7); u8(b, 8);	/* def_cfa rsp, 8 */
	u8(b, 0x90); u8(b, 1);			/* offset r16, 1 * -8 */
	entry_end(b, start);
	return start;
}

/* An FDE of the CIE at cie_off for [pc, pc + range), pc as pcrel sdata4. */
static size_t fde_begin(struct buf *b, size_t cie_off, uint64_t pc, uint32_t range)
{
	size_t start = b->n;

	u32(b, 0);
	u32(b, (uint32_t)(b->n - cie_off));
	u32(b, (uint32_t)(int32_t)(pc - (SEC_VADDR + b->n)));
	u32(b, range);
	uleb(b, 0);		/* augmentation data length */
	return start;
}

static struct cfi_table *build(struct buf *b)
{
	struct cfi_section s = { .data = b->b, .size = b->n, .vaddr = SEC_VADDR };
	struct cfi_table *t = NULL;
	int err = cfi_table__build_sections(&s, 1, &t);

	cr_assert_eq(err, 0, "build: %s", strerror(-err));
	return t;
}

static int build_err(struct buf *b)
{
	struct cfi_section s = { .data = b->b, .size = b->n, .vaddr = SEC_VADDR };
	struct cfi_table *t = NULL;
	int err = cfi_table__build_sections(&s, 1, &t);

	cr_assert((err == 0) == (t != NULL));
	cfi_table__free(t);
	return err;
}

static struct cfi_rule rule_at(const struct cfi_table *t, uint64_t vaddr)
{
	struct unwind_row row;
	struct cfi_rule r;
	int err = cfi_table__lookup(t, vaddr, &row);

	cr_assert_eq(err, 0, "no row at %#llx", (unsigned long long)vaddr);
	cfi_row__decode(&row, &r);
	return r;
}

static void expect_rsp(const struct cfi_table *t, uint64_t vaddr, int cfa_off)
{
	struct cfi_rule r = rule_at(t, vaddr);

	cr_expect_eq(r.kind, UNWIND_CFA_RSP, "%#llx: kind %d", (unsigned long long)vaddr, r.kind);
	cr_expect_eq(r.cfa_off, cfa_off, "%#llx: cfa %+d, want %+d", (unsigned long long)vaddr,
		     r.cfa_off, cfa_off);
}

static void expect_kind(const struct cfi_table *t, uint64_t vaddr, enum unwind_cfa_kind kind)
{
	cr_expect_eq(rule_at(t, vaddr).kind, kind, "%#llx", (unsigned long long)vaddr);
}

/* One FDE at 0x1000 (0x100 bytes) whose instructions are insns. */
static struct buf one_fde(const uint8_t *insns, size_t n)
{
	struct buf b = {};
	size_t c = cie(&b, "zR", 0x1b), f = fde_begin(&b, c, 0x1000, 0x100);

	put(&b, insns, n);
	entry_end(&b, f);
	u32(&b, 0);		/* terminator */
	return b;
}

static struct cfi_table *one_fde_table(const uint8_t *insns, size_t n)
{
	struct buf b = one_fde(insns, n);
	struct cfi_table *t = build(&b);

	free(b.b);
	return t;
}

/* libc: the rows readelf and objdump show for malloc and free. */

static uint64_t libc_func(const char *name)
{
	int fd = open(LIBC, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	uint64_t addr = 0;

	cr_assert_geq(fd, 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while ((scn = elf_nextscn(elf, scn)) && !addr) {
		Elf_Data *d;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			gelf_getsym(d, (int)i, &sym);
			if (!strcmp(elf_strptr(elf, sh.sh_link, sym.st_name), name) &&
			    GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
				addr = sym.st_value;
				break;
			}
		}
	}
	elf_end(elf);
	close(fd);
	cr_assert_neq(addr, 0, "%s not in libc's .dynsym", name);
	return addr;
}

static struct cfi_table *libc_table(void)
{
	struct cfi_table *t = NULL;
	int fd = open(LIBC, O_RDONLY), err;

	cr_assert_geq(fd, 0);
	err = cfi_table__build_fd(fd, -1, &t);
	close(fd);
	cr_assert_eq(err, 0, "libc: %s", strerror(-err));
	return t;
}

Test(cfi_table, libc_malloc_entry_is_rsp_plus_8_and_grows_with_its_pushes)
{
	struct cfi_table *t = libc_table();
	uint64_t malloc_addr = libc_func("malloc");

	/* glibc 2.36: push %r12; push %rbp; push %rbx; mov; sub $0x10,%rsp */
	expect_rsp(t, malloc_addr, 8);
	expect_rsp(t, malloc_addr + 2, 16);
	expect_rsp(t, malloc_addr + 3, 24);
	cr_expect(rule_at(t, malloc_addr + 3).rbp_saved);
	cr_expect_eq(rule_at(t, malloc_addr + 3).rbp_off, -24);
	expect_rsp(t, malloc_addr + 4, 32);
	expect_rsp(t, malloc_addr + 0xb, 48);
	cfi_table__free(t);
}

Test(cfi_table, libc_free_past_its_null_check_is_still_rsp_plus_8)
{
	struct cfi_table *t = libc_table();
	uint64_t free_addr = libc_func("free");

	/* free+9 (push %rbp, after the NULL check) is where memvigil probes */
	expect_rsp(t, free_addr, 8);
	expect_rsp(t, free_addr + 9, 8);
	expect_rsp(t, free_addr + 10, 16);
	cr_expect_eq(rule_at(t, free_addr + 10).rbp_off, -16);
	cfi_table__free(t);
}

Test(cfi_table, libc_is_compact_and_has_its_plt_and_end_rows)
{
	struct cfi_table *t = libc_table();
	const struct cfi_table_stats *s = cfi_table__stats(t);

	cr_expect_eq(cfi_table__bytes(t), cfi_table__row_cnt(t) * 8);
	cr_expect_leq(s->rows_cnt, s->rows_raw_cnt);
	cr_expect_geq(s->rows_plt_cnt, 1);
	cr_expect_geq(s->rows_end_cnt, 1, "_start and clone end the stack");
	cr_expect_lt(s->rows_unsupported_cnt, 32);
	cfi_table__free(t);
}

/* Every row readelf --debug-dump=frames-interp prints for libc, compared. */

struct readelf_row {
	uint64_t loc;
	char cfa[32];
	char rbp[32];
	char ra[32];
};

/* Split a frames-interp table line into at most n words. */
static int words(char *line, char **w, int n)
{
	int k = 0;

	for (char *tok = strtok(line, " \t\n"); tok && k < n; tok = strtok(NULL, " \t\n"))
		w[k++] = tok;
	return k;
}

static bool row_matches(const struct cfi_table *t, const struct readelf_row *r)
{
	struct unwind_row row;
	struct cfi_rule got;
	char want[40];

	if (cfi_table__lookup(t, r->loc, &row))
		return false;
	cfi_row__decode(&row, &got);
	if (!strcmp(r->ra, "u"))
		return got.kind == UNWIND_CFA_END;
	if (strcmp(r->ra, "c-8") || (strncmp(r->cfa, "rsp+", 4) && strncmp(r->cfa, "rbp+", 4)))
		return got.kind == UNWIND_CFA_UNSUPPORTED ||
		       (!strcmp(r->cfa, "exp") && got.kind == UNWIND_CFA_PLT);
	snprintf(want, sizeof(want), "%s+%d", got.kind == UNWIND_CFA_RSP ? "rsp" :
		 got.kind == UNWIND_CFA_RBP ? "rbp" : "?", got.cfa_off);
	if (strcmp(want, r->cfa))
		return false;
	if (r->rbp[0] == 'c')
		return got.rbp_saved && got.rbp_off == atoi(r->rbp + 1);
	if (!r->rbp[0] || !strcmp(r->rbp, "u") || !strcmp(r->rbp, "s"))
		return !got.rbp_saved;
	return got.rbp_lost;
}

Test(cfi_table, every_libc_row_matches_readelf_frames_interp)
{
	struct cfi_table *t = libc_table();
	FILE *p = popen("readelf --debug-dump=frames-interp " LIBC " 2>/dev/null", "r");
	char line[1024], *w[32], *cols[32], colbuf[1024] = "";
	int ncols = 0, checked = 0, bad = 0;
	bool in_fde = false;

	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, "   LOC ")) {
			snprintf(colbuf, sizeof(colbuf), "%s", line);
			ncols = words(colbuf, cols, 32);
			continue;
		}
		if (strstr(line, " FDE ") || strstr(line, " CIE ")) {
			in_fde = strstr(line, " FDE ");
			ncols = 0;
			continue;
		}
		if (!in_fde || ncols <= 0 || !strchr("0123456789abcdef", line[0]))
			continue;
		/* columns like "r10 (r10)" hold a space: such rows do not split evenly */
		if (words(line, w, 32) != ncols)
			continue;
		struct readelf_row r = { .loc = strtoull(w[0], NULL, 16) };

		for (int i = 1; i < ncols; i++) {
			if (!strcmp(cols[i], "CFA"))
				snprintf(r.cfa, sizeof(r.cfa), "%s", w[i]);
			else if (!strcmp(cols[i], "rbp"))
				snprintf(r.rbp, sizeof(r.rbp), "%s", w[i]);
			else if (!strcmp(cols[i], "ra"))
				snprintf(r.ra, sizeof(r.ra), "%s", w[i]);
		}
		checked++;
		if (!row_matches(t, &r) && ++bad <= 10)
			cr_log_error("%#llx: readelf cfa=%s rbp=%s ra=%s", (unsigned long long)r.loc,
				     r.cfa, r.rbp, r.ra);
	}
	pclose(p);
	cr_expect_gt(checked, 10000, "only %d rows from readelf", checked);
	cr_expect_eq(bad, 0, "%d of %d rows differ from readelf", bad, checked);
	cfi_table__free(t);
}

/* Assembler directives, through an ELF file. */

static char *data_path(const char *name)
{
	const char *build = getenv("MV_BUILD_DIR");
	char *path;

	cr_assert(asprintf(&path, "%s/tests/unit/data/%s", build ? build : "build", name) > 0);
	return path;
}

static struct cfi_table *rules_table(int fd)
{
	struct cfi_table *t = NULL;
	int err = cfi_table__build_fd(fd, -1, &t);

	cr_assert_eq(err, 0, "cfi_rules.so: %s", strerror(-err));
	return t;
}

/* Rows of data/cfi_rules.S (addresses from its link: .text at 0x1000). */
static void expect_rules(const struct cfi_table *t)
{
	struct unwind_row row;

	expect_rsp(t, 0x1000, 8);			/* cfi_frame */
	expect_rsp(t, 0x1001, 16);
	cr_expect_eq(rule_at(t, 0x1004).kind, UNWIND_CFA_RBP);
	cr_expect_eq(rule_at(t, 0x1004).cfa_off, 16);
	cr_expect_eq(rule_at(t, 0x1004).rbp_off, -16);
	expect_kind(t, 0x1007, UNWIND_CFA_END);		/* cfi_outermost */
	expect_rsp(t, 0x100a, 16);			/* cfi_state: push */
	expect_rsp(t, 0x1010, 8);			/* after pop, before ret */
	expect_rsp(t, 0x1011, 16);			/* restore_state */
	expect_rsp(t, 0x101a, 0x20008);			/* cfi_big */
	cr_expect(cfi_table__rows(t, &(size_t){ 0 })[0].flags >= 0);
	cr_expect_eq(cfi_table__lookup(t, 0x101a, &row), 0);
	cr_expect(row.flags & UNWIND_ROW_CFA_X8);
	expect_kind(t, 0x1027, UNWIND_CFA_UNSUPPORTED);	/* cfi_realign: CFA in %r10 */
	expect_kind(t, 0x102b, UNWIND_CFA_UNSUPPORTED);	/* then an expression */
	expect_kind(t, 0x102d, UNWIND_CFA_UNSUPPORTED);	/* cfi_signal */
	cr_expect_eq(cfi_table__lookup(t, 0x102f, &row), -ENOENT);
	cr_expect_eq(cfi_table__lookup(t, 0xfff, &row), -ENOENT);
}

Test(cfi_table, assembler_cfi_directives_give_their_rows)
{
	char *path = data_path("cfi_rules.so");
	int fd = open(path, O_RDONLY);
	struct cfi_table *t;

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	t = rules_table(fd);
	expect_rules(t);
	cfi_table__free(t);
	close(fd);
	free(path);
}

Test(cfi_table, eh_frame_found_through_eh_frame_hdr_without_section_headers)
{
	char *path = data_path("cfi_rules.so");
	int fd = open(path, O_RDONLY), mfd = memfd_create("noshdr", 0);
	struct cfi_table *t;
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	Elf64_Ehdr *eh;
	char *img;

	cr_assert(fd >= 0 && mfd >= 0 && size > 0);
	img = malloc((size_t)size);
	cr_assert_eq(pread(fd, img, (size_t)size, 0), size);
	eh = (Elf64_Ehdr *)img;
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = 0;
	cr_assert_eq(write(mfd, img, (size_t)size), size);
	t = rules_table(mfd);
	expect_rules(t);
	cfi_table__free(t);
	free(img);
	close(mfd);
	close(fd);
	free(path);
}

Test(cfi_table, debug_frame_from_a_separate_debug_file)
{
	char *path = data_path("cfi_debug_frame.so"), *debug = data_path("cfi_debug_frame.debug");
	int fd = open(path, O_RDONLY), dfd = open(debug, O_RDONLY), err;
	struct cfi_table *t = NULL;
	const struct unwind_row *rows;
	size_t cnt;

	cr_assert(fd >= 0 && dfd >= 0, "%s, %s: %s", path, debug, strerror(errno));
	cr_expect_eq(cfi_table__build_fd(fd, -1, &t), -ENOENT, "stripped: no frames of its own");
	err = cfi_table__build_fd(fd, dfd, &t);
	cr_assert_eq(err, 0, "with its debug file: %s", strerror(-err));
	rows = cfi_table__rows(t, &cnt);
	cr_assert_geq(cnt, 3);
	expect_rsp(t, cfi_table__base_vaddr(t), 8);
	cr_expect_gt(rule_at(t, cfi_table__base_vaddr(t) + rows[1].pc).cfa_off, 64,
		     "the 64-byte buffer's frame");
	cfi_table__free(t);
	close(dfd);
	close(fd);
	free(debug);
	free(path);
}

Test(cfi_table, files_without_cfi_or_not_x86_64_elf_are_refused)
{
	struct cfi_table *t = NULL;
	int fd = memfd_create("junk", 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not an ELF file at all", 22), 22);
	cr_expect_neq(cfi_table__build_fd(fd, -1, &t), 0);
	cr_expect_null(t);
	close(fd);
}

/* Hand-built instructions: every rule kind. */

Test(cfi_table, def_cfa_offset_register_and_sf_forms)
{
	static const uint8_t insns[] = {
		0x41, 0x0e, 0x10,		/* +1: def_cfa_offset 16 */
		0x41, 0x0d, 0x06,		/* +2: def_cfa_register rbp */
		0x41, 0x0c, 0x07, 0x20,		/* +3: def_cfa rsp, 32 */
		0x41, 0x12, 0x06, 0x7e,		/* +4: def_cfa_sf rbp, -2 * -8 */
		0x41, 0x13, 0x7d,		/* +5: def_cfa_offset_sf -3 * -8 */
	};
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));
	struct cfi_rule r;

	expect_rsp(t, 0x1000, 8);
	expect_rsp(t, 0x1001, 16);
	r = rule_at(t, 0x1002);
	cr_expect(r.kind == UNWIND_CFA_RBP && r.cfa_off == 16);
	expect_rsp(t, 0x1003, 32);
	r = rule_at(t, 0x1004);
	cr_expect(r.kind == UNWIND_CFA_RBP && r.cfa_off == 16);
	r = rule_at(t, 0x1005);
	cr_expect(r.kind == UNWIND_CFA_RBP && r.cfa_off == 24);
	cr_expect_eq(cfi_table__lookup(t, 0x1100, &(struct unwind_row){}), -ENOENT);
	cfi_table__free(t);
}

Test(cfi_table, rbp_offset_forms_restore_and_same_value)
{
	static const uint8_t insns[] = {
		0x41, 0x86, 0x02,		/* +1: offset rbp, 2 * -8 */
		0x41, 0x05, 0x06, 0x03,		/* +2: offset_extended rbp, 3 * -8 */
		0x41, 0x11, 0x06, 0x7c,		/* +3: offset_extended_sf rbp, -4 * -8 */
		0x41, 0xc6,			/* +4: restore rbp */
		0x41, 0x2f, 0x06, 0x05,		/* +5: GNU_negative_offset_extended rbp, 5 */
		0x41, 0x06, 0x06,		/* +6: restore_extended rbp */
		0x41, 0x86, 0x02, 0x08, 0x06,	/* +7: offset rbp; same_value rbp */
	};
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	cr_expect_not(rule_at(t, 0x1000).rbp_saved);
	cr_expect_eq(rule_at(t, 0x1001).rbp_off, -16);
	cr_expect_eq(rule_at(t, 0x1002).rbp_off, -24);
	cr_expect_eq(rule_at(t, 0x1003).rbp_off, 32);
	cr_expect_not(rule_at(t, 0x1004).rbp_saved);
	cr_expect_eq(rule_at(t, 0x1005).rbp_off, 40);
	cr_expect_not(rule_at(t, 0x1006).rbp_saved);
	cr_expect_not(rule_at(t, 0x1007).rbp_saved);
	cr_expect_not(rule_at(t, 0x1007).rbp_lost);
	cfi_table__free(t);
}

Test(cfi_table, remember_and_restore_state)
{
	static const uint8_t insns[] = {
		0x41, 0x0e, 0x10, 0x86, 0x02,	/* +1: cfa 16, rbp at -16 */
		0x0a,				/* remember_state */
		0x41, 0x0e, 0x08, 0xc6,		/* +2: cfa 8, restore rbp */
		0x41, 0x0b,			/* +3: restore_state */
	};
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	expect_rsp(t, 0x1001, 16);
	expect_rsp(t, 0x1002, 8);
	cr_expect_not(rule_at(t, 0x1002).rbp_saved);
	expect_rsp(t, 0x1003, 16);
	cr_expect_eq(rule_at(t, 0x1003).rbp_off, -16);
	cfi_table__free(t);
}

Test(cfi_table, undefined_return_address_is_the_end_of_the_stack)
{
	static const uint8_t insns[] = { 0x41, 0x07, 0x10 };	/* +1: undefined r16 */
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	expect_rsp(t, 0x1000, 8);
	expect_kind(t, 0x1001, UNWIND_CFA_END);
	cfi_table__free(t);
}

Test(cfi_table, rbp_undefined_in_a_register_or_by_expression_is_lost)
{
	static const uint8_t insns[] = {
		0x41, 0x07, 0x06,		/* +1: undefined rbp */
		0x41, 0x09, 0x06, 0x03,		/* +2: register rbp in rbx */
		0x41, 0x10, 0x06, 0x02, 0x77, 0x10,	/* +3: expression rbp: breg7 16 */
		0x41, 0x16, 0x06, 0x02, 0x77, 0x10,	/* +4: val_expression rbp */
		0x41, 0x14, 0x06, 0x01,		/* +5: val_offset rbp */
	};
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	for (uint64_t a = 0x1001; a <= 0x1005; a++) {
		expect_rsp(t, a, 8);
		cr_expect(rule_at(t, a).rbp_lost, "%#llx", (unsigned long long)a);
	}
	cfi_table__free(t);
}

Test(cfi_table, return_address_elsewhere_is_unsupported)
{
	static const uint8_t insns[] = {
		0x41, 0x90, 0x02,		/* +1: ra at CFA-16 */
		0x41, 0x09, 0x10, 0x00,		/* +2: ra in rax */
		0x41, 0x10, 0x10, 0x01, 0x30,	/* +3: ra by expression */
		0x41, 0x90, 0x01,		/* +4: ra at CFA-8 again */
	};
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	expect_kind(t, 0x1001, UNWIND_CFA_UNSUPPORTED);
	expect_kind(t, 0x1002, UNWIND_CFA_UNSUPPORTED);
	expect_kind(t, 0x1003, UNWIND_CFA_UNSUPPORTED);
	expect_rsp(t, 0x1004, 8);
	cfi_table__free(t);
}

Test(cfi_table, plt_expression_is_recognised_others_are_unsupported)
{
	static const uint8_t insns[] = {
		/* +1: rsp+8 + ((rip & 15) >= 11) * 8, as in .plt */
		0x41, 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22,
		/* +2: the same with lit10 (.plt.sec-style threshold) */
		0x41, 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3a, 0x2a, 0x33, 0x24, 0x22,
		/* +3: breg7 160; deref (a signal trampoline's CFA) */
		0x41, 0x0f, 0x04, 0x77, 0xa0, 0x01, 0x06,
		/* +4: CFA in r10 */
		0x41, 0x0c, 0x0a, 0x00,
	};
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));
	struct cfi_rule r = rule_at(t, 0x1001);

	cr_expect(r.kind == UNWIND_CFA_PLT && r.cfa_off == 8 && r.plt_threshold == 11);
	r = rule_at(t, 0x1002);
	cr_expect(r.kind == UNWIND_CFA_PLT && r.plt_threshold == 10);
	expect_kind(t, 0x1003, UNWIND_CFA_UNSUPPORTED);
	expect_kind(t, 0x1004, UNWIND_CFA_UNSUPPORTED);
	cfi_table__free(t);
}

Test(cfi_table, advance_forms_set_loc_args_size_and_nop)
{
	static const uint8_t insns[] = {
		0x02, 0x10, 0x0e, 0x10,			/* advance_loc1 16: +0x10 cfa 16 */
		0x03, 0x10, 0x00, 0x0e, 0x18,		/* advance_loc2 16: +0x20 cfa 24 */
		0x04, 0x10, 0x00, 0x00, 0x00, 0x0e, 0x20,	/* advance_loc4 16: +0x30 cfa 32 */
		0x2e, 0x10, 0x00, 0x00,			/* GNU_args_size 16; nops */
	};
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	expect_rsp(t, 0x100f, 8);
	expect_rsp(t, 0x1010, 16);
	expect_rsp(t, 0x1020, 24);
	expect_rsp(t, 0x1030, 32);
	expect_rsp(t, 0x10ff, 32);
	cfi_table__free(t);
}

Test(cfi_table, set_loc_takes_the_fde_pointer_encoding)
{
	struct buf b = {};
	size_t c = cie(&b, "zR", 0x1b), f = fde_begin(&b, c, 0x1000, 0x100);

	u8(&b, 0x01);		/* set_loc, pcrel sdata4 to 0x1040 */
	u32(&b, (uint32_t)(int32_t)(0x1040 - (SEC_VADDR + b.n)));
	u8(&b, 0x0e);
	u8(&b, 0x30);
	entry_end(&b, f);
	struct cfi_table *t = build(&b);

	expect_rsp(t, 0x103f, 8);
	expect_rsp(t, 0x1040, 48);
	cfi_table__free(t);
	free(b.b);
}

Test(cfi_table, large_offsets_scale_or_become_unsupported)
{
	struct buf b = {};
	size_t c = cie(&b, "zR", 0x1b), f = fde_begin(&b, c, 0x1000, 0x100);
	struct unwind_row row;

	u8(&b, 0x41); u8(&b, 0x0e); uleb(&b, 0x20008);	/* +1: cfa 0x20008: x8 */
	u8(&b, 0x41); u8(&b, 0x0e); uleb(&b, 0x20009);	/* +2: not a multiple of 8 */
	u8(&b, 0x41); u8(&b, 0x0e); uleb(&b, 0x400000);	/* +3: beyond 256 KiB */
	u8(&b, 0x41); u8(&b, 0x0e); uleb(&b, 0x7ff8);	/* +4: fits 16 bits */
	u8(&b, 0x86); uleb(&b, 200);			/* rbp at CFA-1600: beyond s8 * 8 */
	u8(&b, 0x41); u8(&b, 0x86); uleb(&b, 16);	/* +5: rbp at CFA-128: fits */
	entry_end(&b, f);
	struct cfi_table *t = build(&b);

	cr_assert_eq(cfi_table__lookup(t, 0x1001, &row), 0);
	cr_expect(row.flags & UNWIND_ROW_CFA_X8);
	expect_rsp(t, 0x1001, 0x20008);
	expect_kind(t, 0x1002, UNWIND_CFA_UNSUPPORTED);
	expect_kind(t, 0x1003, UNWIND_CFA_UNSUPPORTED);
	expect_kind(t, 0x1004, UNWIND_CFA_UNSUPPORTED);
	expect_rsp(t, 0x1005, 0x7ff8);
	cr_expect_eq(rule_at(t, 0x1005).rbp_off, -128);
	cfi_table__free(t);
	free(b.b);
}

Test(cfi_table, signal_frame_augmentation_makes_rows_unsupported)
{
	struct buf b = {};
	size_t c = cie(&b, "zRS", 0x1b), f = fde_begin(&b, c, 0x1000, 0x10);

	entry_end(&b, f);
	struct cfi_table *t = build(&b);

	expect_kind(t, 0x1000, UNWIND_CFA_UNSUPPORTED);
	cfi_table__free(t);
	free(b.b);
}

Test(cfi_table, zplr_augmentation_with_personality_and_lsda)
{
	struct buf b = {};
	size_t c = b.n, f;

	u32(&b, 0);
	u32(&b, 0);
	u8(&b, 1);
	put(&b, "zPLR", 5);
	uleb(&b, 1);
	sleb(&b, -8);
	u8(&b, 16);
	uleb(&b, 7);
	u8(&b, 0x9b);			/* P: indirect pcrel sdata4 */
	u32(&b, 0x1234);
	u8(&b, 0x1b);			/* L */
	u8(&b, 0x1b);			/* R */
	u8(&b, 0x0c); u8(&b, 7); u8(&b, 8); u8(&b, 0x90); u8(&b, 1);
	entry_end(&b, c);
	f = b.n;
	u32(&b, 0);
	u32(&b, (uint32_t)(b.n - c));
	u32(&b, (uint32_t)(int32_t)(0x1000 - (SEC_VADDR + b.n)));
	u32(&b, 0x20);
	uleb(&b, 4);
	u32(&b, 0);			/* LSDA pointer */
	u8(&b, 0x44); u8(&b, 0x0e); u8(&b, 0x10);
	entry_end(&b, f);
	struct cfi_table *t = build(&b);

	expect_rsp(t, 0x1000, 8);
	expect_rsp(t, 0x1004, 16);
	cfi_table__free(t);
	free(b.b);
}

/* An FDE whose pc_begin is in encoding enc: the table must still start at 0x1000. */
static void check_encoding(uint8_t enc)
{
	struct buf b = {};
	size_t c = cie(&b, "zR", enc), f = b.n;
	uint64_t field;

	u32(&b, 0);
	u32(&b, (uint32_t)(b.n - c));
	field = SEC_VADDR + b.n;
	uint64_t v = (enc & 0x70) == 0x10 ? 0x1000 - field :
		     (enc & 0x70) == 0x30 ? 0x1000 - 0x800 : 0x1000;
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: u64(&b, v); u64(&b, 0x10); break;
	case 0x01: uleb(&b, v); uleb(&b, 0x10); break;
	case 0x09: sleb(&b, (int64_t)v); sleb(&b, 0x10); break;
	case 0x02: case 0x0a: u16(&b, (uint16_t)v); u16(&b, 0x10); break;
	default: u32(&b, (uint32_t)v); u32(&b, 0x10); break;
	}
	uleb(&b, 0);
	u8(&b, 0x41); u8(&b, 0x0e); u8(&b, 0x10);
	entry_end(&b, f);

	struct cfi_section s = { b.b, b.n, SEC_VADDR, 0x800, 0, false };
	struct cfi_table *t = NULL;

	cr_assert_eq(cfi_table__build_sections(&s, 1, &t), 0, "encoding %#x", enc);
	cr_expect_eq(cfi_table__base_vaddr(t), 0x1000, "encoding %#x", enc);
	expect_rsp(t, 0x1001, 16);
	cfi_table__free(t);
	free(b.b);
}

Test(cfi_table, every_pointer_encoding_of_fde_addresses)
{
	static const uint8_t encs[] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x09, 0x0a, 0x0b, 0x0c,	/* absolute */
		0x1b, 0x1c, 0x19, 0x1a,					/* pcrel */
		0x3b, 0x33,						/* datarel */
	};

	for (size_t i = 0; i < sizeof(encs); i++)
		check_encoding(encs[i]);
}

Test(cfi_table, dwarf64_entries)
{
	struct buf b = {};
	size_t c = cie(&b, "zR", 0x1b), f = b.n;

	u32(&b, 0xffffffff);
	u64(&b, 0);			/* length, set below */
	u64(&b, (uint64_t)(b.n - c));	/* CIE pointer, 8 bytes */
	u32(&b, (uint32_t)(int32_t)(0x1000 - (SEC_VADDR + b.n)));
	u32(&b, 0x10);
	uleb(&b, 0);
	u8(&b, 0x41); u8(&b, 0x0e); u8(&b, 0x10);
	uint64_t len = b.n - f - 12;

	memcpy(b.b + f + 4, &len, 8);
	struct cfi_table *t = build(&b);

	expect_rsp(t, 0x1001, 16);
	cfi_table__free(t);
	free(b.b);
}

/* A .debug_frame: version 4 CIE with address size, absolute 8-byte addresses. */
static struct buf debug_frame(uint64_t pc, uint64_t range, uint8_t cfa_off)
{
	struct buf b = {};

	u32(&b, 0);
	u32(&b, 0xffffffff);
	u8(&b, 4);
	u8(&b, 0);			/* augmentation "" */
	u8(&b, 8);			/* address size */
	u8(&b, 0);			/* segment selector size */
	uleb(&b, 1);
	sleb(&b, -8);
	uleb(&b, 16);
	u8(&b, 0x0c); u8(&b, 7); u8(&b, 8); u8(&b, 0x90); u8(&b, 1);
	entry_end(&b, 0);
	size_t f = b.n;

	u32(&b, 0);
	u32(&b, 0);			/* CIE at offset 0 */
	u64(&b, pc);
	u64(&b, range);
	u8(&b, 0x41); u8(&b, 0x0e); u8(&b, cfa_off);
	entry_end(&b, f);
	return b;
}

Test(cfi_table, debug_frame_fills_what_eh_frame_leaves_uncovered)
{
	static const uint8_t insns[] = { 0x41, 0x0e, 0x10 };
	struct buf eh = one_fde(insns, sizeof(insns));			/* 0x1000..0x1100 */
	struct buf d1 = debug_frame(0x1000, 0x100, 0x40);		/* shadowed */
	struct buf d2 = debug_frame(0x2000, 0x40, 0x20);		/* fills */
	struct cfi_section s[3] = {
		{ eh.b, eh.n, SEC_VADDR, 0, 0, false },
		{ d1.b, d1.n, 0, 0, 0, true },
		{ d2.b, d2.n, 0, 0, 0, true },
	};
	struct cfi_table *t = NULL;

	cr_assert_eq(cfi_table__build_sections(s, 3, &t), 0);
	expect_rsp(t, 0x1001, 16);
	expect_rsp(t, 0x2000, 8);
	expect_rsp(t, 0x2001, 32);
	cr_expect_eq(cfi_table__lookup(t, 0x1800, &(struct unwind_row){}), -ENOENT);
	cr_expect_eq(cfi_table__stats(t)->fde_shadowed_cnt, 1);
	cfi_table__free(t);
	free(eh.b);
	free(d1.b);
	free(d2.b);
}

Test(cfi_table, identical_rows_merge_and_adjacent_fdes_leave_no_gap)
{
	struct buf b = {};
	size_t c = cie(&b, "zR", 0x1b), f;

	for (int i = 0; i < 3; i++) {
		f = fde_begin(&b, c, 0x1000 + 0x10 * (uint64_t)i, 0x10);
		u8(&b, 0x41);	/* advance without a change: merged */
		u8(&b, 0x42); u8(&b, 0x0e); u8(&b, 0x10);
		entry_end(&b, f);
	}
	f = fde_begin(&b, c, 0x1100, 0x10);	/* after a gap */
	entry_end(&b, f);
	struct cfi_table *t = build(&b);
	const struct cfi_table_stats *s = cfi_table__stats(t);

	expect_rsp(t, 0x1010, 8);
	expect_rsp(t, 0x1013, 16);
	expect_rsp(t, 0x1020, 8);
	cr_expect_eq(cfi_table__lookup(t, 0x1030, &(struct unwind_row){}), -ENOENT);
	cr_expect_eq(cfi_table__lookup(t, 0x10ff, &(struct unwind_row){}), -ENOENT);
	expect_rsp(t, 0x1100, 8);
	/* rsp+8, rsp+16 per FDE, the gap, the last FDE, its end */
	cr_expect_eq(s->rows_cnt, 9, "rows %llu", (unsigned long long)s->rows_cnt);
	cr_expect_gt(s->rows_raw_cnt, s->rows_cnt);
	cfi_table__free(t);
	free(b.b);
}

Test(cfi_table, unknown_opcode_makes_its_fde_one_unsupported_row)
{
	static const uint8_t insns[] = { 0x41, 0x0e, 0x10, 0x41, 0x2d };  /* GNU_window_save */
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	expect_kind(t, 0x1000, UNWIND_CFA_UNSUPPORTED);
	expect_kind(t, 0x10ff, UNWIND_CFA_UNSUPPORTED);
	cr_expect_eq(cfi_table__stats(t)->fde_unsupported_cnt, 1);
	cfi_table__free(t);
}

Test(cfi_table, restore_state_without_remember_is_unsupported_not_fatal)
{
	static const uint8_t insns[] = { 0x41, 0x0b };
	struct cfi_table *t = one_fde_table(insns, sizeof(insns));

	expect_kind(t, 0x1000, UNWIND_CFA_UNSUPPORTED);
	cfi_table__free(t);
}

/* Corrupt input. */

Test(cfi_table, truncated_cie_is_refused)
{
	struct buf b = {};

	cie(&b, "zR", 0x1b);
	set32(&b, 0, 0x40);		/* longer than the section */
	cr_expect_eq(build_err(&b), -EINVAL);
	b.n = 10;			/* the section ends inside it */
	cr_expect_eq(build_err(&b), -EINVAL);
	free(b.b);
}

Test(cfi_table, length_overflow_is_refused)
{
	static const uint8_t insns[] = { 0x41, 0x0e, 0x10 };
	struct buf b = one_fde(insns, sizeof(insns));
	size_t fde = 24;		/* the CIE is 24 bytes */

	set32(&b, fde, 0xfffffff0);	/* reserved lengths */
	cr_expect_eq(build_err(&b), -EINVAL);
	set32(&b, fde, 0xffffffff);	/* 64-bit length, then no room for it */
	b.n = fde + 8;
	cr_expect_eq(build_err(&b), -EINVAL);
	free(b.b);
}

Test(cfi_table, augmentation_without_its_end_is_refused)
{
	struct buf b = {};

	u32(&b, 0);
	u32(&b, 0);
	u8(&b, 1);
	for (int i = 0; i < 40; i++)
		u8(&b, 'z');		/* "zzzz..." with no NUL before the end */
	entry_end(&b, 0);
	for (size_t i = 9; i < b.n; i++)
		b.b[i] = 'z';
	size_t f = fde_begin(&b, 0, 0x1000, 0x10);	/* the FDE that needs the CIE */

	entry_end(&b, f);
	cr_expect_eq(build_err(&b), -EINVAL);
	b.b[30] = '\0';				/* now ended, but 21 letters long */
	cr_expect_eq(build_err(&b), -EINVAL);
	free(b.b);
}

Test(cfi_table, advance_past_the_fde_end_is_refused)
{
	static const uint8_t insns[] = { 0x02, 0xff, 0x02, 0xff };	/* 0x1fe > 0x100 */
	struct buf b = one_fde(insns, sizeof(insns));

	cr_expect_eq(build_err(&b), -EINVAL);
	free(b.b);
}

Test(cfi_table, cie_pointer_outside_or_to_an_fde_is_refused)
{
	static const uint8_t insns[] = { 0x41, 0x0e, 0x10 };
	struct buf b = one_fde(insns, sizeof(insns));

	set32(&b, 28, 0x1000);		/* points before the section */
	cr_expect_eq(build_err(&b), -EINVAL);
	set32(&b, 28, 0);		/* an FDE pointing at itself is a CIE id of 0 */
	cr_expect_neq(build_err(&b), 0);
	free(b.b);
}

Test(cfi_table, truncated_leb128_operand_is_refused)
{
	static const uint8_t insns[] = { 0x0e, 0x80, 0x80 };	/* def_cfa_offset, then the end */
	struct buf b = {};
	size_t c = cie(&b, "zR", 0x1b), f = fde_begin(&b, c, 0x1000, 0x100);

	put(&b, insns, sizeof(insns));
	set32(&b, f, (uint32_t)(b.n - f - 4));		/* no padding: the LEB ends the entry */
	cr_expect_eq(build_err(&b), -EINVAL);
	free(b.b);
}

Test(cfi_table, random_damage_never_crashes)
{
	struct cfi_table *good = libc_table();
	int fd = open(LIBC, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	struct cfi_section s = {};
	size_t shstrndx;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	elf_getshdrstrndx(elf, &shstrndx);
	while ((scn = elf_nextscn(elf, scn))) {
		gelf_getshdr(scn, &sh);
		if (!strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".eh_frame")) {
			Elf_Data *d = elf_getdata(scn, NULL);

			s = (struct cfi_section){ NULL, 16384, sh.sh_addr, 0, 0, false };
			s.data = malloc(s.size);
			memcpy((void *)s.data, d->d_buf, s.size);
			break;
		}
	}
	cr_assert_not_null(s.data);
	srand(12);
	for (int round = 0; round < 2000; round++) {
		uint8_t *p = malloc(s.size);
		struct cfi_section damaged = s;
		struct cfi_table *t = NULL;

		memcpy(p, s.data, s.size);
		for (int k = 0; k < 1 + round % 8; k++)
			p[(size_t)rand() % s.size] = (uint8_t)rand();
		damaged.data = p;
		damaged.size = (size_t)rand() % s.size + 1;
		if (!cfi_table__build_sections(&damaged, 1, &t))
			cr_assert_gt(cfi_table__row_cnt(t), 0);
		cfi_table__free(t);
		free(p);
	}
	free((void *)s.data);
	elf_end(elf);
	close(fd);
	cfi_table__free(good);
}

/* Bounds. */

Test(cfi_table, section_over_the_size_bound_is_refused_unread)
{
	static const uint8_t one = 0;
	struct cfi_section s = { &one, (size_t)CFI_TABLE_MAX_SECTION_BYTES + 1, 0, 0, 0, false };
	struct cfi_table *t = NULL;

	cr_expect_eq(cfi_table__build_sections(&s, 1, &t), -E2BIG);
	cr_expect_null(t);
}

Test(cfi_table, more_rows_than_the_row_bound_is_refused)
{
	struct buf b = {};
	size_t c = cie(&b, "zR", 0x1b), f = fde_begin(&b, c, 0x1000, 0x7fffffff);
	size_t n = CFI_TABLE_MAX_ROWS + 16;
	uint8_t *insns = malloc(n);

	memset(insns, 0x41, n);		/* advance_loc 1, each a raw row */
	put(&b, insns, n);
	entry_end(&b, f);
	cr_expect_eq(build_err(&b), -E2BIG);
	free(insns);
	free(b.b);
}

Test(cfi_table, empty_input_has_no_rows)
{
	struct buf b = {};

	cie(&b, "zR", 0x1b);
	u32(&b, 0);
	cr_expect_eq(build_err(&b), -ENOENT);
	cr_expect_eq(cfi_table__build_sections(NULL, 0, &(struct cfi_table *){ NULL }), -ENOENT);
	free(b.b);
}

Test(cfi_table, free_accepts_null)
{
	cfi_table__free(NULL);
}
