/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elf_debug: what an ELF file says of its debug information: the name and
 * CRC its .gnu_debuglink gives a separate debug file, the ELF image its
 * MiniDebugInfo (.gnu_debugdata, xz) holds, and whether it carries DWARF
 * itself. Reads only the file it is given; finding files is symbolize/'s job.
 */
#ifndef MV_ELF_DEBUG_H
#define MV_ELF_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "binary/elf_file.h"

/* The largest MiniDebugInfo image decompressed (a bound against xz bombs). */
#define ELF_DEBUG_MINI_MAX_BYTES (256ULL << 20)

/*
 * The .gnu_debuglink section: the debug file's name (a NUL-terminated
 * string inside ef, no '/' in it) and its CRC-32. 0, -ENOENT (none), or
 * -EINVAL (a malformed section, or a name with a '/').
 */
int elf_debug__link(struct elf_file *ef, const char **name, uint32_t *crc);

/*
 * The .gnu_debugaltlink section of a debug file (dwz): the name of the file
 * that holds the DWARF it shares with others (a NUL-terminated string inside
 * ef: absolute, or relative to the debug file's folder) and that file's
 * build-id (inside ef, 1 to 64 bytes). 0, -ENOENT (none), or -EINVAL.
 */
int elf_debug__altlink(struct elf_file *ef, const char **name, const uint8_t **id,
		       size_t *id_len);

/*
 * The ELF image in ef's .gnu_debugdata, decompressed (liblzma): an
 * elf_file the caller frees. NULL with errno: ENOENT (none), EFBIG (over
 * ELF_DEBUG_MINI_MAX_BYTES), EINVAL (not valid xz), ENOEXEC (not ELF),
 * ENOMEM.
 */
struct elf_file *elf_debug__mini(struct elf_file *ef);

/* Whether ef holds DWARF line and function information (.debug_info with contents). */
bool elf_debug__has_dwarf(struct elf_file *ef);

/* The CRC-32 .gnu_debuglink uses (zlib's) of the file open on fd, read from its start. */
int elf_debug__file_crc(int fd, uint32_t *crc);

#endif
