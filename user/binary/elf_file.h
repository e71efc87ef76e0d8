/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elf_file: one ELF file read with libelf: its GNU build-id, its function
 * symbols (.symtab, then .dynsym) by name and by address, and the mapping
 * between file offsets and virtual addresses given by its PT_LOAD headers.
 * Knows nothing of processes: callers hand it a path or a descriptor.
 */
#ifndef MV_ELF_FILE_H
#define MV_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

struct elf_sym {
	const char *name;	/* as in the string table; lives as long as the elf_file */
	uint64_t vaddr;		/* st_value */
	uint64_t size;		/* st_size, 0 if unknown */
	uint8_t type;		/* STT_FUNC or STT_GNU_IFUNC */
	uint8_t bind;		/* STB_LOCAL, STB_GLOBAL, STB_WEAK, ... */
	bool dynsym;		/* from .dynsym rather than .symtab */
	bool hidden_version;	/* a non-default version ("name@VER", not "name@@VER") */
};

/* Open path read-only. NULL with errno set (ENOEXEC: not an ELF file). */
struct elf_file *elf_file__open(const char *path);
/*
 * Read the ELF file open on fd. Takes ownership of fd in every case: it is
 * closed by elf_file__free, or before this returns NULL with errno set.
 */
struct elf_file *elf_file__open_fd(int fd);
void elf_file__free(struct elf_file *ef);

/* The GNU build-id: 0 with *id (owned by ef) and *len, or -ENOENT. */
int elf_file__build_id(struct elf_file *ef, const uint8_t **id, size_t *len);

/*
 * Call fn for every defined function symbol (STT_FUNC or STT_GNU_IFUNC,
 * st_shndx != SHN_UNDEF) of .symtab, then of .dynsym. A nonzero return from
 * fn stops the walk and is returned; otherwise 0, or a negative errno.
 */
int elf_file__for_each_func(struct elf_file *ef,
			    int (*fn)(const struct elf_sym *sym, void *ctx), void *ctx);

/*
 * The definition of function name, for attaching probes: the default
 * version wins over hidden ones ("malloc@@GLIBC_2.2.5" in .dynsym), then
 * global over weak over local binding, then a sized symbol over an unsized
 * one. 0 with *vaddr and *size (either may be NULL), or -ENOENT.
 */
int elf_file__find_symbol(struct elf_file *ef, const char *name,
			  uint64_t *vaddr, uint64_t *size);

/*
 * The defined data object name (STT_OBJECT) exported in .dynsym: 0 with
 * *vaddr (st_value) and *size, or -ENOENT.
 */
int elf_file__find_dynamic_object(struct elf_file *ef, const char *name, uint64_t *vaddr,
				  uint64_t *size);
/*
 * The function symbol containing vaddr. A sized symbol covers
 * [vaddr, vaddr + size); one of size 0 covers up to the next symbol (or the
 * end of its section) and is used only when no sized symbol contains vaddr.
 * Of several symbols at one address, a sized one, then the strongest
 * binding, then the fewest leading underscores, then the shortest name is
 * chosen (malloc over __libc_malloc). The table is built, sorted, on the
 * first call. 0 with *out, -ENOENT, or -ENOMEM.
 */
int elf_file__find_addr(struct elf_file *ef, uint64_t vaddr, struct elf_sym *out);

/*
 * File offset <-> virtual address through the PT_LOAD program headers.
 * An offset no segment holds but in the page-aligned head of one (what
 * mmap maps below its p_offset) translates through that one. 0, or
 * -ENOENT.
 */
int elf_file__offset_to_vaddr(struct elf_file *ef, uint64_t offset, uint64_t *vaddr);
int elf_file__vaddr_to_offset(struct elf_file *ef, uint64_t vaddr, uint64_t *offset);

#endif
