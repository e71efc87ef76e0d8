/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elf_syms: the unwind proof's symbol lookups in an ELF file's .symtab
 * (else .dynsym): the function holding an address, the address of a name.
 */
#ifndef ELF_SYMS_H
#define ELF_SYMS_H

#include <stddef.h>
#include <stdint.h>

/* The name of the function holding vaddr, into buf; -ENOENT when none. */
int elf_syms__name(const char *path, uint64_t vaddr, char *buf, size_t size);

/* The address and size of function name; -ENOENT when absent. */
int elf_syms__addr(const char *path, const char *name, uint64_t *vaddr, uint64_t *size);

/* The file offset of vaddr (for uprobes); -ENOENT when no PT_LOAD holds it. */
int elf_syms__file_offset(const char *path, uint64_t vaddr, uint64_t *off);

#endif /* ELF_SYMS_H */
