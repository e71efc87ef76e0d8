// SPDX-License-Identifier: GPL-2.0
/*
 * elf_syms: symbol lookups for the unwind proof. Each call opens the file
 * and scans its symbol table: the proof symbolizes one stack, no more.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "elf_syms.h"

typedef int (*sym_visit)(const char *name, const GElf_Sym *sym, void *arg);

/* Call visit on each function symbol of .symtab, or of .dynsym when there is none. */
static int for_each_func(const char *path, sym_visit visit, void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	Elf_Scn *scn = NULL, *tab = NULL;
	GElf_Shdr sh, tab_sh;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			break;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !tab)) {
			tab = scn;
			tab_sh = sh;
		}
	}
	if (tab) {
		Elf_Data *d = elf_getdata(tab, NULL);
		size_t n = d && tab_sh.sh_entsize ? tab_sh.sh_size / tab_sh.sh_entsize : 0;
		GElf_Sym sym;

		for (size_t i = 0; i < n && err == -ENOENT; i++) {
			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value)
				continue;
			err = visit(elf_strptr(elf, tab_sh.sh_link, sym.st_name), &sym, arg);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

struct name_query {
	uint64_t vaddr;
	char *buf;
	size_t size;
};

static int match_addr(const char *name, const GElf_Sym *sym, void *arg)
{
	struct name_query *q = arg;

	if (!name || q->vaddr < sym->st_value || q->vaddr >= sym->st_value + sym->st_size)
		return -ENOENT;
	snprintf(q->buf, q->size, "%s", name);
	return 0;
}

int elf_syms__name(const char *path, uint64_t vaddr, char *buf, size_t size)
{
	struct name_query q = { vaddr, buf, size };

	return for_each_func(path, match_addr, &q);
}

struct addr_query {
	const char *name;
	uint64_t vaddr;
	uint64_t size;
};

static int match_name(const char *name, const GElf_Sym *sym, void *arg)
{
	struct addr_query *q = arg;

	if (!name || strcmp(name, q->name))
		return -ENOENT;
	q->vaddr = sym->st_value;
	q->size = sym->st_size;
	return 0;
}

int elf_syms__addr(const char *path, const char *name, uint64_t *vaddr, uint64_t *size)
{
	struct addr_query q = { name, 0, 0 };
	int err = for_each_func(path, match_name, &q);

	*vaddr = q.vaddr;
	*size = q.size;
	return err;
}

int elf_syms__file_offset(const char *path, uint64_t vaddr, uint64_t *off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	size_t phnum = 0;
	GElf_Phdr ph;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && !elf_getphdrnum(elf, &phnum)) {
		for (size_t i = 0; i < phnum; i++) {
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
			    vaddr < ph.p_vaddr || vaddr >= ph.p_vaddr + ph.p_filesz)
				continue;
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			err = 0;
			break;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
