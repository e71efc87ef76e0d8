// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "binary/elf_file.h"
#include "lib/grow.h"

#define VERSYM_HIDDEN 0x8000
/* mmap maps a segment from the page that holds its first byte. */
#define SEGMENT_PAGE_SIZE 4096ull
/* How many sized symbols before the nearest one may still contain an address. */
#define NESTED_LOOKBACK 8

struct addr_sym {
	struct elf_sym sym;
	uint64_t end;		/* one past the last address it covers */
};

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Phdr *loads;	/* the PT_LOAD headers */
	size_t load_cnt;
	const uint8_t *build_id;
	size_t build_id_len;
	bool build_id_read;
	struct addr_sym *table;	/* by vaddr, one symbol per address */
	size_t table_cnt;
	bool table_built;
};

/* The internal walker also reports where the symbol's section ends. */
typedef int (*walk_fn)(const struct elf_sym *sym, uint64_t sec_end, void *ctx);

static int read_loads(struct elf_file *ef)
{
	size_t phnum, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(ef->elf, &phnum))
		return -ENOEXEC;
	ef->loads = calloc(phnum ? phnum : 1, sizeof(*ef->loads));
	if (!ef->loads)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(ef->elf, i, &ph))
			return -ENOEXEC;
		if (ph.p_type == PT_LOAD)
			ef->loads[ef->load_cnt++] = ph;
	}
	return 0;
}

struct elf_file *elf_file__open_fd(int fd)
{
	struct elf_file *ef;
	GElf_Ehdr eh;
	int err;

	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	ef->fd = fd;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = -ENOSYS;
		goto err_free;
	}
	ef->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || !gelf_getehdr(ef->elf, &eh)) {
		err = -ENOEXEC;
		goto err_free;
	}
	err = read_loads(ef);
	if (err)
		goto err_free;
	return ef;
err_free:
	elf_file__free(ef);
	errno = -err;
	return NULL;
}

struct elf_file *elf_file__open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? NULL : elf_file__open_fd(fd);
}

void elf_file__free(struct elf_file *ef)
{
	if (!ef)
		return;
	elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->loads);
	free(ef->table);
	free(ef);
}

/* The build-id note in data, if it holds one. */
static bool find_build_id(struct elf_file *ef, Elf_Data *data)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (data && (next = gelf_getnote(data, off, &nh, &name_off, &desc_off))) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && nh.n_descsz &&
		    !memcmp((char *)data->d_buf + name_off, "GNU", 4)) {
			ef->build_id = (const uint8_t *)data->d_buf + desc_off;
			ef->build_id_len = nh.n_descsz;
			return true;
		}
		off = next;
	}
	return false;
}

static void read_build_id(struct elf_file *ef)
{
	Elf_Scn *scn = NULL;
	size_t i, phnum;
	GElf_Shdr sh;
	GElf_Phdr ph;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    find_build_id(ef, elf_getdata(scn, NULL)))
			return;
	}
	/* No section headers (or none with the note): the PT_NOTE segments. */
	if (elf_getphdrnum(ef->elf, &phnum))
		return;
	for (i = 0; i < phnum; i++) {
		if (gelf_getphdr(ef->elf, i, &ph) && ph.p_type == PT_NOTE &&
		    find_build_id(ef, elf_getdata_rawchunk(ef->elf, ph.p_offset,
							   ph.p_filesz, ph.p_align == 8 ?
							   ELF_T_NHDR8 : ELF_T_NHDR)))
			return;
	}
}

int elf_file__build_id(struct elf_file *ef, const uint8_t **id, size_t *len)
{
	if (!ef->build_id_read) {
		read_build_id(ef);
		ef->build_id_read = true;
	}
	if (!ef->build_id)
		return -ENOENT;
	*id = ef->build_id;
	*len = ef->build_id_len;
	return 0;
}

static Elf_Scn *find_section(Elf *elf, uint32_t type)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			return scn;
	return NULL;
}

static uint64_t section_end(Elf *elf, size_t shndx)
{
	Elf_Scn *scn = elf_getscn(elf, shndx);
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh))
		return 0;
	return sh.sh_addr + sh.sh_size;
}

/* Fill *out from symbol i of a table; false if it is no defined function. */
static bool read_func(Elf *elf, Elf_Data *syms, Elf_Data *versym, size_t strndx,
		      size_t i, struct elf_sym *out, size_t *shndx)
{
	GElf_Versym vs = 0;
	GElf_Sym s;
	int type;

	if (!gelf_getsym(syms, i, &s))
		return false;
	type = GELF_ST_TYPE(s.st_info);
	if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF)
		return false;
	out->name = elf_strptr(elf, strndx, s.st_name);
	if (!out->name || !out->name[0])
		return false;
	if (versym)
		gelf_getversym(versym, i, &vs);
	out->vaddr = s.st_value;
	out->size = s.st_size;
	out->type = type;
	out->bind = GELF_ST_BIND(s.st_info);
	/* .symtab spells versions into the name: "f@@V" default, "f@V" hidden. */
	out->hidden_version = (vs & VERSYM_HIDDEN) ||
			      (strchr(out->name, '@') && !strstr(out->name, "@@"));
	*shndx = s.st_shndx;
	return true;
}

static int walk_table(struct elf_file *ef, uint32_t type, walk_fn fn, void *ctx)
{
	Elf_Scn *scn = find_section(ef->elf, type), *vscn;
	Elf_Data *syms, *versym = NULL;
	struct elf_sym sym = { .dynsym = type == SHT_DYNSYM };
	size_t i, cnt, shndx;
	GElf_Shdr sh;
	int ret;

	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	syms = elf_getdata(scn, NULL);
	if (!syms)
		return -EIO;
	vscn = type == SHT_DYNSYM ? find_section(ef->elf, SHT_GNU_versym) : NULL;
	if (vscn)
		versym = elf_getdata(vscn, NULL);
	cnt = sh.sh_size / sh.sh_entsize;
	for (i = 1; i < cnt; i++) {
		if (!read_func(ef->elf, syms, versym, sh.sh_link, i, &sym, &shndx))
			continue;
		ret = fn(&sym, section_end(ef->elf, shndx), ctx);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk(struct elf_file *ef, walk_fn fn, void *ctx)
{
	int ret = walk_table(ef, SHT_SYMTAB, fn, ctx);

	return ret ? ret : walk_table(ef, SHT_DYNSYM, fn, ctx);
}

struct user_walk {
	int (*fn)(const struct elf_sym *sym, void *ctx);
	void *ctx;
};

static int user_walk_one(const struct elf_sym *sym, uint64_t sec_end, void *ctx)
{
	struct user_walk *w = ctx;

	(void)sec_end;
	return w->fn(sym, w->ctx);
}

int elf_file__for_each_func(struct elf_file *ef,
			    int (*fn)(const struct elf_sym *sym, void *ctx), void *ctx)
{
	struct user_walk w = { .fn = fn, .ctx = ctx };

	return walk(ef, user_walk_one, &w);
}

static int bind_rank(uint8_t bind)
{
	switch (bind) {
	case STB_GLOBAL:
	case STB_GNU_UNIQUE:
		return 2;
	case STB_WEAK:
		return 1;
	default:
		return 0;
	}
}

struct name_query {
	const char *name;
	size_t len;
	struct elf_sym best;
	int best_rank;		/* -1 until a match */
};

static int match_name(const struct elf_sym *sym, uint64_t sec_end, void *ctx)
{
	struct name_query *q = ctx;
	int rank;

	(void)sec_end;
	if (strncmp(sym->name, q->name, q->len) ||
	    (sym->name[q->len] && sym->name[q->len] != '@'))
		return 0;
	rank = (!sym->hidden_version) << 3 | bind_rank(sym->bind) << 1 | !!sym->size;
	if (rank > q->best_rank) {
		q->best = *sym;
		q->best_rank = rank;
	}
	return 0;
}

int elf_file__find_symbol(struct elf_file *ef, const char *name,
			  uint64_t *vaddr, uint64_t *size)
{
	struct name_query q = { .name = name, .len = strlen(name), .best_rank = -1 };
	int err;

	err = walk(ef, match_name, &q);
	if (err)
		return err;
	if (q.best_rank < 0)
		return -ENOENT;
	if (vaddr)
		*vaddr = q.best.vaddr;
	if (size)
		*size = q.best.size;
	return 0;
}

int elf_file__find_dynamic_object(struct elf_file *ef, const char *name, uint64_t *vaddr,
				  uint64_t *size)
{
	Elf_Scn *scn = find_section(ef->elf, SHT_DYNSYM);
	const char *sname;
	Elf_Data *syms;
	GElf_Shdr sh;
	GElf_Sym s;
	size_t i;

	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return -ENOENT;
	syms = elf_getdata(scn, NULL);
	if (!syms)
		return -EIO;
	for (i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
		if (!gelf_getsym(syms, i, &s) || GELF_ST_TYPE(s.st_info) != STT_OBJECT ||
		    s.st_shndx == SHN_UNDEF)
			continue;
		sname = elf_strptr(ef->elf, sh.sh_link, s.st_name);
		if (!sname || strcmp(sname, name))
			continue;
		*vaddr = s.st_value;
		*size = s.st_size;
		return 0;
	}
	return -ENOENT;
}

struct table_build {
	struct addr_sym *syms;
	size_t cnt, cap;
};

static int collect(const struct elf_sym *sym, uint64_t sec_end, void *ctx)
{
	struct table_build *b = ctx;
	struct addr_sym *grown;

	grown = grow__array(b->syms, &b->cap, b->cnt + 1, sizeof(*grown), 256);
	if (!grown)
		return -ENOMEM;
	b->syms = grown;
	b->syms[b->cnt].sym = *sym;
	b->syms[b->cnt].end = sec_end;
	b->cnt++;
	return 0;
}

static size_t leading_underscores(const char *s)
{
	return strspn(s, "_");
}

/* By address; at one address the symbol to show first. */
static int cmp_addr_sym(const void *a, const void *b)
{
	const struct elf_sym *x = &((const struct addr_sym *)a)->sym;
	const struct elf_sym *y = &((const struct addr_sym *)b)->sym;
	size_t ux, uy, lx, ly;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	if (!x->size != !y->size)
		return x->size ? -1 : 1;
	if (bind_rank(x->bind) != bind_rank(y->bind))
		return bind_rank(x->bind) > bind_rank(y->bind) ? -1 : 1;
	ux = leading_underscores(x->name);
	uy = leading_underscores(y->name);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Keep the first symbol at each address; give unsized ones their extent. */
static size_t dedup_and_bound(struct addr_sym *s, size_t cnt)
{
	size_t i, n = 0;

	for (i = 0; i < cnt; i++)
		if (!n || s[i].sym.vaddr != s[n - 1].sym.vaddr)
			s[n++] = s[i];
	for (i = 0; i < n; i++) {
		uint64_t next = i + 1 < n ? s[i + 1].sym.vaddr : UINT64_MAX;

		if (s[i].sym.size)
			s[i].end = s[i].sym.vaddr + s[i].sym.size;
		else if (s[i].end <= s[i].sym.vaddr || s[i].end > next)
			s[i].end = next;
	}
	return n;
}

static int build_table(struct elf_file *ef)
{
	struct table_build b = { 0 };
	int err;

	err = walk(ef, collect, &b);
	if (err) {
		free(b.syms);
		return err;
	}
	/* A stripped binary has no function symbols: nothing to sort. */
	if (b.cnt)
		qsort(b.syms, b.cnt, sizeof(*b.syms), cmp_addr_sym);
	ef->table = b.syms;
	ef->table_cnt = b.cnt ? dedup_and_bound(b.syms, b.cnt) : 0;
	ef->table_built = true;
	return 0;
}

int elf_file__find_addr(struct elf_file *ef, uint64_t vaddr, struct elf_sym *out)
{
	const struct addr_sym *t;
	size_t lo = 0, hi, i;
	int err;

	if (!ef->table_built) {
		err = build_table(ef);
		if (err)
			return err;
	}
	t = ef->table;
	hi = ef->table_cnt;
	while (lo < hi) {	/* lo: the first symbol above vaddr */
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].sym.vaddr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	/* A sized symbol wins, even one that starts earlier and encloses vaddr. */
	for (i = lo; i > 0 && lo - i < NESTED_LOOKBACK; i--) {
		if (t[i - 1].sym.size && vaddr < t[i - 1].end) {
			*out = t[i - 1].sym;
			return 0;
		}
	}
	if (t[lo - 1].sym.size || vaddr >= t[lo - 1].end)
		return -ENOENT;
	*out = t[lo - 1].sym;
	return 0;
}

int elf_file__offset_to_vaddr(struct elf_file *ef, uint64_t offset, uint64_t *vaddr)
{
	const GElf_Phdr *ph;
	size_t i;

	for (i = 0; i < ef->load_cnt; i++) {
		ph = &ef->loads[i];
		if (offset >= ph->p_offset && offset - ph->p_offset < ph->p_filesz) {
			*vaddr = offset - ph->p_offset + ph->p_vaddr;
			return 0;
		}
	}
	for (i = 0; i < ef->load_cnt; i++) {
		ph = &ef->loads[i];
		if (offset < ph->p_offset &&
		    offset >= (ph->p_offset & ~(SEGMENT_PAGE_SIZE - 1)) &&
		    ph->p_vaddr >= ph->p_offset - offset) {
			*vaddr = ph->p_vaddr - (ph->p_offset - offset);
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__vaddr_to_offset(struct elf_file *ef, uint64_t vaddr, uint64_t *offset)
{
	const GElf_Phdr *ph;
	size_t i;

	for (i = 0; i < ef->load_cnt; i++) {
		ph = &ef->loads[i];
		if (vaddr >= ph->p_vaddr && vaddr - ph->p_vaddr < ph->p_filesz) {
			*offset = vaddr - ph->p_vaddr + ph->p_offset;
			return 0;
		}
	}
	return -ENOENT;
}
